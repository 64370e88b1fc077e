/*
 * netchannel/back.h - netback: the host's end of a vif.
 *
 * Usage: the toolstack has created the backend directory
 * (/local/domain/<be>/backend/vif/<fe-domid>/<handle>, with `frontend`,
 * `frontend-id`, `mac`, `handle`).  Fill a struct nc_back_config, call
 * nc_back_init, and call nc_back_poll whenever the platform's fds poll
 * readable.  Frames the frontend sends arrive through cfg.deliver; frames
 * for the frontend go in with nc_back_queue.
 *
 * The caller allocates struct nc_back (large, fixed-size); fields are
 * private.  Nothing allocates on the data path.
 *
 * Events: one port, or two with split event channels (the frontend wrote
 * event-channel-tx and event-channel-rx; TX-ring notifications then go on
 * the first, RX-ring ones on the second).  Every port of a platform handle
 * raises the same fd (events.ops->fd), so a caller polls one fd either
 * way; nc_back_poll takes events from both ports.
 *
 * Rate limiting: the toolstack's `rate` key ("BYTES,USEC", read when the
 * frontend connects and whenever it changes, as Linux) limits what the frontend may transmit to BYTES per
 * USEC microseconds, a credit scheduler like Linux netback's tx_credit
 * (src/core/back_rate.c): a frame goes when it fits the credit left in
 * the window, or when the credit is full (a frame larger than the whole
 * credit then goes and its excess is repaid by the next windows); unused
 * credit builds up to a window's plus one largest frame.  Absent, 0 in
 * either number, or malformed: unlimited (logged when malformed).  It
 * needs cfg.clock_us; a frame waiting for credit stays on the ring,
 * unanswered, and nc_back_next_poll says when to poll again: sleep until
 * then (or an fd fires), do not spin.
 *
 * Checksum offload: we offer feature-ipv6-csum-offload (unless
 * cfg.no_ipv6_csum).  Toward the frontend, a partial checksum
 * (NC_FRAME_CSUM_BLANK) it did not accept is completed in our copy
 * before it goes: IPv6 unless it wrote feature-ipv6-csum-offload=1, any
 * when it wrote feature-no-csum-offload=1 (it then never sees the
 * csum_blank or data_validated flag either).
 *
 * Security (enforced in src/core/back_*.c where marked):
 *   - every request is copied out of the ring once and parsed by the pure
 *     functions of parse.h (XSA-155);
 *   - a frontend that breaks the protocol (fatal verdicts, a producer
 *     index beyond the ring) gets one log line, a counter, and its vif
 *     disabled: state Closing, the rings no longer read.  Never a crash,
 *     a busy loop or a leak (XSA-39, XSA-90);
 *   - the queue toward the frontend is bounded in frames and bytes; what
 *     does not fit is dropped and counted (XSA-392);
 *   - data moves by grant copy: frontend pages are never mapped, so a
 *     frontend cannot change a frame after the backend validated it.
 */
#ifndef NETCHANNEL_BACK_H
#define NETCHANNEL_BACK_H

#include <stddef.h>
#include <stdint.h>

#include "netchannel/frame.h"
#include "netchannel/parse.h"
#include "netchannel/platform.h"

enum nc_back_state {
	NC_BACK_INIT = 0,      /* features published, InitWait */
	NC_BACK_CONNECTED,     /* rings mapped, data path runs */
	NC_BACK_CLOSED,        /* frontend closed; directory removed */
	NC_BACK_DISABLED,      /* frontend broke the protocol */
	NC_BACK_STOPPED,       /* nc_back_close was called */
};

/* A frame from the frontend, valid during the call. */
typedef void (*nc_deliver_cb)(void *arg, const struct nc_frame *frame);
typedef void (*nc_back_log_cb)(void *arg, const char *what, long value);

struct nc_back_config {
	/* The backend directory, absolute or relative to our home. */
	const char *path;
	/* Complete partial checksums (NC_FRAME_CSUM_BLANK) before delivery,
	 * for consumers that cannot (a TAP, a pcap).
	 * Not a GSO frame's (NC_FRAME_GSO, delivered whole as sent): a
	 * consumer that cannot take one segments it with gso.h, which
	 * completes every segment's checksums. */
	int need_full_csum;
	/* Features to offer; each defaults on when 0 is not forced. */
	int no_sg;
	/* Do not offer feature-gso-tcpv4/6: a GSO frame the frontend sends
	 * anyway is dropped (NC_R_BAD_GSO).  Toward the frontend, GSO frames
	 * given to nc_back_queue go whole when it advertised the feature,
	 * else as segments, either way. */
	int no_gso;
	/* The caller calls nc_back_poll continuously and never sleeps on the
	 * fds: the rings' event indices are never armed, so the frontend
	 * publishes without notifying, and the store and event fds are read
	 * only every NC_BUSY_POLL_CONTROL calls (the rings at every call).
	 * Never set it for a sleeping loop. */
	int busy_poll;
	/* Do not offer feature-split-event-channels (the frontend then
	 * writes one event-channel).  Both forms are accepted either way. */
	int no_split_events;
	/* Do not offer feature-ipv6-csum-offload: the frontend completes
	 * IPv6 partial checksums itself, and one it sends anyway is
	 * completed here before delivery. */
	int no_ipv6_csum;
	/* Do not offer feature-ctrl-ring (receive-side hashing set by the
	 * frontend over a control ring; src/core/back_ctrl.c).  Offered
	 * otherwise; a frontend that writes no ctrl-ring-ref has none. */
	int no_ctrl_ring;
	/* Monotonic time in microseconds, for the `rate` key.  NULL: the
	 * key is not enforced (one log line when it is set). */
	uint64_t (*clock_us)(void *arg);
	void *clock_arg;
	/* Queues to offer (multi-queue-max-queues): 0 or 1 offers one
	 * (the key is written 1); at most NC_MAX_QUEUES.  A frontend asking
	 * for more than offered is refused, as Linux netback does. */
	unsigned max_queues;
	/* RX queue bounds: frames and bytes; 0: 256 frames, 1 MiB.  The
	 * frames bound is each queue's; the bytes (the storage) are shared
	 * out equally among the queues in use. */
	unsigned rxq_frames;
	unsigned rxq_bytes;
	nc_deliver_cb deliver;
	void *deliver_arg;
	nc_back_log_cb log;
	void *log_arg;
};

#define NC_BACK_PATH_MAX 128
#define NC_BACK_RXQ_MAX_FRAMES 1024u
#define NC_BACK_RXQ_MAX_BYTES (4u << 20)

/* Private: one frame queued toward the frontend. */
struct nc_back_rxq_entry {
	uint32_t off;          /* in rxq_data */
	uint32_t len;
	uint32_t flags;
	uint16_t gso_size;
	uint8_t gso_type;
};

/* Private: a TX frame parsed whose data is still to come in with the
 * round's one batched grant copy; delivered and answered after it. */
struct nc_back_txpend {
	uint32_t off;          /* in frame_buf */
	uint32_t len;
	uint32_t flags;
	uint32_t extra_mask;   /* bit k: its slot k is an extra-info slot */
	uint32_t copy;         /* its first slot in tx_copy[] */
	uint16_t seg, nseg;    /* its segments: segs[seg .. seg + nseg) */
	uint16_t gso_size;
	uint8_t gso_type;
	uint8_t slots;
	uint8_t ok;            /* every segment copied */
};

/* Private: the control ring (src/core/back_ctrl.c) and the hashing state
 * the frontend set through it.  The most mapping entries we take (as
 * Linux netback). */
#define NC_BACK_HASH_MAPPING_MAX 128u
struct nc_back_hash {
	uint32_t algorithm;    /* XEN_NETIF_CTRL_HASH_ALGORITHM_* */
	uint32_t flags;        /* XEN_NETIF_CTRL_HASH_TYPE_* bits */
	uint8_t key[40];       /* NC_TOEPLITZ_KEY_MAX; unset octets zero */
	uint32_t size;         /* mapping entries in use; 0: modulo queues */
	uint32_t mapping[NC_BACK_HASH_MAPPING_MAX];
};
struct nc_back_ctrl {
	void *map;             /* the frontend's ring page, mapped */
	xen_netif_ctrl_back_ring_t ring;
	RING_IDX published;
	nc_port_t port;
	int have_port;
	struct nc_back_hash hash;
	uint32_t buf[NC_BACK_HASH_MAPPING_MAX];  /* grant-copied input */
};

/* Multicast control (src/core/back_mcast.c): the frontend's filter
 * list, at most this many addresses, as Linux's XEN_NETBK_MCAST_MAX. */
#define NC_BACK_MCAST_MAX 64u

struct nc_back_mcast_stats {
	uint64_t added, deleted;   /* filter updates applied */
	uint64_t not_group;        /* MCAST_ADD of a unicast address: refused */
	uint64_t full;             /* MCAST_ADD past NC_BACK_MCAST_MAX: refused */
	uint64_t del_unknown;      /* MCAST_DEL of an address not listed */
	uint64_t filtered;         /* frames withheld by nc_back_queue_filtered */
};

/* Private: the filter list and whether the frontend asked for it. */
struct nc_back_mcast {
	uint8_t addr[NC_BACK_MCAST_MAX][6];
	unsigned count;
	int requested;         /* request-multicast-control read non-zero */
	int watching;          /* watch on the frontend's key registered */
	struct nc_back_mcast_stats stats;
};

/* Private: the `rate` key's credit scheduler (src/core/back_rate.h). */
struct nc_back_rate {
	uint64_t credit_bytes;  /* per window; 0: unlimited */
	uint64_t credit_usec;   /* the window */
	int64_t remaining;      /* credit now; below 0: a big frame's debt */
	uint64_t window_start;  /* clock_us of the current window's start */
	int blocked;            /* a frame waits for the next window */
};

/* Private: one queue (multi-queue, PROTOCOL.md: the frontend's queue-N/
 * keys): its two rings mapped, its event channel(s), private copies of
 * its slots, the TX batch, the bounded queue toward the frontend (a share
 * of the caller's storage), the `rate` credit (per queue, as in Linux
 * netback) and its own counters.  A queue's data path touches only its
 * queue (nc_back_poll_queue). */
struct nc_back_q {
	unsigned index;
	void *tx_map, *rx_map;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	nc_port_t port;        /* the one port, or split: TX's */
	nc_port_t port_rx;     /* split event channels: RX's */
	int have_port, have_port_rx;
	RING_IDX tx_published, rx_published;
	int need_notify;       /* a publish asked for an event this round */
	/* private copies of ring slots (single fetch) */
	netif_tx_request_t tx_copy[NC_TX_RING_SIZE];
	netif_rx_request_t rx_copy[NC_RX_RING_SIZE];
	struct nc_tx_parsed parsed;
	/* grant-copy segments of one batch (RX: up to a ring's worth) */
	struct nc_copy_seg segs[NC_RX_RING_SIZE];
	/* TX frames being assembled, back to back (one batched copy) */
	uint8_t frame_buf[NC_MAX_FRAME + 1];
	struct nc_back_txpend txpend[NC_TX_RING_SIZE];
	unsigned ntxpend, txpend_segs;
	uint32_t txpend_bytes;
	/* bounded queue toward the frontend: a byte ring of frames */
	struct nc_back_rxq_entry rxq[NC_BACK_RXQ_MAX_FRAMES];
	unsigned rxq_head, rxq_len;
	uint32_t rxq_used;     /* bytes held */
	uint32_t rxq_wr;       /* next write offset in rxq_data */
	uint8_t *rxq_data;     /* this queue's share of the storage */
	uint32_t rxq_size;
	struct nc_back_rate rate;  /* the `rate` key, on the TX path */
	struct nc_vif_stats stats; /* this queue's traffic */
	unsigned polls;        /* busy_poll: calls since the control path */
};

struct nc_back {
	struct nc_platform plat;
	struct nc_back_config cfg;      /* cfg.path points at `path` */
	char path[NC_BACK_PATH_MAX];    /* our directory */
	char fe_path[NC_BACK_PATH_MAX]; /* the frontend's, absolute */
	nc_domid_t fe_domid;
	enum nc_back_state state;
	int fe_state;          /* last XenbusState read from the frontend */
	int xb_state;          /* last XenbusState we wrote */
	int resetting;         /* stale frontend: waiting for it to close */
	int fe_seen;           /* the frontend was seen alive since InitWait */
	int watching;          /* watch on fe_path/state registered */
	int watching_rate;     /* watch on our `rate` key registered */
	/* what the frontend asked for */
	int fe_sg, fe_rx_notify, fe_csum_offload, fe_gso_tcpv4, fe_gso_tcpv6;
	int fe_ipv6_csum;      /* feature-ipv6-csum-offload */
	/* the queues the frontend set up: q[0 .. nqueues) */
	unsigned nqueues;
	struct nc_back_q q[NC_MAX_QUEUES];
	uint8_t *rxq_storage;  /* the caller's, shared out among the queues */
	struct nc_back_mcast mcast; /* multicast control (back_mcast.c) */
	struct nc_back_ctrl ctrl;  /* feature-ctrl-ring (back_ctrl.c) */
	/* accounting: the device's own (connections, breakage); the queues
	 * keep their traffic's, added up in `total` by nc_back_stats */
	struct nc_vif_stats stats;
	struct nc_vif_stats total;
	long disable_reason;
	unsigned polls;        /* busy_poll: calls since the control path */
};

/* Publish the features and InitWait; watch the frontend.  rxq_storage
 * must hold cfg->rxq_bytes bytes (or 1 MiB when 0) for the device's life. */
int nc_back_init(struct nc_back *b, const struct nc_platform *plat,
		 const struct nc_back_config *cfg, uint8_t *rxq_storage);

/* All pending work: handshake, TX from the frontend, RX toward it.
 * The work of one call is bounded (XSA-332/391): returns 1 when it
 * stopped with requests still pending (call again soon, without waiting
 * for the fds), 0 when idle.  Keep polling a disabled device: its fds are
 * drained and ignored, and the frontend's Closed still tears it down. */
int nc_back_poll(struct nc_back *b);

/* One queue's data path only (its TX ring, its queue toward the
 * frontend; no fds, no handshake), for a caller that polls each queue on
 * a thread of its own with cfg.busy_poll: calls for different queues may
 * run concurrently provided nc_back_poll runs on none of them meanwhile,
 * nc_back_queue is not called (it picks a queue by flow) and the
 * frontend sends no multicast update.  1 when work remains. */
int nc_back_poll_queue(struct nc_back *b, unsigned queue);
/* Queue a frame toward the frontend on a given queue (as nc_back_queue;
 * NC_EINVAL for a queue not in use). */
int nc_back_queue_on(struct nc_back *b, unsigned queue,
		     const struct nc_frame *frame);
/* The queues in use (1 before a frontend connected). */
unsigned nc_back_num_queues(const struct nc_back *b);
void nc_back_handle_watch(struct nc_back *b, const char *path,
			  const char *token);
void nc_back_handle_event(struct nc_back *b);

/* Rate limiting: 1 and *when_us (cfg.clock_us's time) when a frame from
 * the frontend waits for credit: poll again then, even if no fd fires.
 * 0 when nothing waits on the clock. */
int nc_back_next_poll(const struct nc_back *b, uint64_t *when_us);

/* Parse a `rate` value, "BYTES,USEC" (two decimals, as Linux netback
 * reads it): NC_OK, or NC_EINVAL for anything else.  0 for either number
 * means unlimited, as does a malformed or absent key. */
int nc_back_parse_rate(const char *s, uint64_t *bytes, uint64_t *usec);

/* Queue a frame for the frontend, on the queue nc_back_pick_queue picks
 * for it.  NC_OK when queued; NC_ENOSPC when the
 * queue is full (the frame is dropped and counted, never kept);
 * NC_ENOTCONN when not connected (dropped, counted); NC_EMSGSIZE.
 * A GSO frame (NC_FRAME_GSO, gso_type and gso_size set) is checked with
 * nc_gso_plan (NC_EINVAL, counted as NC_R_BAD_GSO, when it cannot be
 * segmented), then goes whole with a GSO extra-info slot when the
 * frontend advertised feature-gso-tcpv4/6 for its type (and
 * scatter-gather and checksum offload), else as its segments (gso.h),
 * each a frame with complete checksums; when the queue fills part way,
 * the remaining segments are dropped and counted (NC_ENOSPC). */
int nc_back_queue(struct nc_back *b, const struct nc_frame *frame);

/* Whether a frame of `len` bytes would be queued now, whichever queue
 * its flow picks (every queue in use has room). */
int nc_back_can_queue(const struct nc_back *b, uint32_t len);

/* Disable the vif: log, count, state Closing, stop reading the rings. */
void nc_back_disable(struct nc_back *b, enum nc_reason why);

/* Tear down: unmap, unbind, Closed, remove the backend directory. */
void nc_back_close(struct nc_back *b);

/* Receive-side hashing (feature-ctrl-ring; src/core/back_ctrl.c).  The
 * frontend sets an algorithm, hash flags, a key and a mapping table over
 * the control ring; these answer with that state.  nc_back_hash_frame:
 * 1 with the Toeplitz hash of the frame's flow (toeplitz.h) and its
 * XEN_NETIF_CTRL_HASH_TYPE_* in *type, or 0 when hashing is off (no ctrl
 * ring, algorithm NONE, no flags) or the frame has no flagged type.
 * nc_back_pick_queue: the queue for the frame, mapping[hash % size], or
 * hash % queues in use when the mapping size is 0; when the frontend set
 * no hashing (or the frame has no flagged type), nc_flow_queue's choice
 * (toeplitz.h), as Linux netback falls back to the stack's flow hash.
 * Every mapping entry is below the queues in use (checked when set,
 * XSA-270). */
int nc_back_hash_frame(const struct nc_back *b, const uint8_t *frame,
		       size_t len, uint32_t *hash, uint32_t *type);
unsigned nc_back_pick_queue(const struct nc_back *b, const uint8_t *frame,
			    size_t len);
/* The hashing state in force (for tests and statistics). */
const struct nc_back_hash *nc_back_hash_state(const struct nc_back *b);

/*
 * Multicast control (netif.h; Linux netback's xenvif_mcast_*).  We offer
 * feature-multicast-control and feature-dynamic-multicast-control; the
 * frontend's request-multicast-control is read at each connection and,
 * while connected, through a watch (the dynamic variant: writing 0 turns
 * filtering off without reconnecting).  The frontend amends its list with
 * dummy TX requests carrying an MCAST_ADD or MCAST_DEL extra (as Linux,
 * when one request carries both, only the ADD is applied; of several of
 * one type, the last):
 *   - ADD: answered OKAY when listed; ERROR when the list already holds
 *     NC_BACK_MCAST_MAX (64) addresses (Linux's -ENOSPC: refused, the
 *     list and the filtering stay as they were), or, stricter than
 *     Linux, when the address is not a group address (bit 0 of byte 0),
 *     since such an entry could never match a filtered frame.  Duplicates
 *     take an entry each, as in Linux;
 *   - DEL: removes one entry equal to the address; always answered OKAY
 *     (an unknown address is only counted).
 * The list is amended whether or not filtering was requested (netif.h)
 * and is emptied when the data path goes down.
 */
/* 1 when a frame to `dest` (its destination MAC, 6 bytes) may go to the
 * frontend: always without multicast control requested, for unicast and
 * for broadcast; a multicast destination only when listed. */
int nc_back_mcast_match(const struct nc_back *b, const uint8_t *dest);

/* nc_back_queue for a bridge that floods (a switch, a TAP): a frame
 * nc_back_mcast_match refuses is withheld, counted in stats.filtered,
 * and NC_OK returned (delivered nowhere, as the filter says, like a NIC's
 * filter; not an error). */
int nc_back_queue_filtered(struct nc_back *b, const struct nc_frame *frame);

const struct nc_back_mcast_stats *nc_back_mcast_stats(const struct nc_back *b);

enum nc_back_state nc_back_state(const struct nc_back *b);
/* The device's counters: its own plus every queue's, added up now. */
const struct nc_vif_stats *nc_back_stats(struct nc_back *b);
/* One queue's counters (NULL for a queue out of range). */
const struct nc_vif_stats *nc_back_queue_stats(const struct nc_back *b,
					       unsigned queue);

#endif

/*
 * netchannel/front.h - netfront: the guest's end of a vif.
 *
 * Usage: fill a struct nc_front_config, call nc_front_init, then whenever
 * the platform's event fd or store fd polls readable (or whenever a
 * unikernel scheduler says), call nc_front_poll.  It runs the xenstore
 * handshake, reconnects when a backend comes back, reaps TX completions,
 * and delivers received frames to the rx callback.  Send with
 * nc_front_write (in place, into the TX pool) or nc_front_send (gather).
 *
 * The caller allocates struct nc_front (it is large and fixed-size: the
 * TX pool's bookkeeping and a 64 KiB private frame buffer live in it); its
 * fields are private.  Nothing allocates on the data path.
 *
 * Events: with a backend offering feature-split-event-channels the device
 * uses two ports (event-channel-tx for the TX ring, event-channel-rx for
 * the RX ring) unless cfg.no_split_events; otherwise one.  Every port of
 * a platform handle raises the same fd (events.ops->fd), so a caller
 * polls that one fd either way, and nc_front_poll takes both ports'
 * events.
 *
 * Checksum offload: frames sent with NC_FRAME_CSUM_BLANK that the backend
 * did not offer to take (IPv6 without its feature-ipv6-csum-offload, or
 * any with cfg.no_csum_offload) have their checksum completed in software
 * before they go, and are sent NC_FRAME_DATA_VALIDATED.
 *
 * Security (each enforced where marked in src/core/front_*.c):
 *   - every TX byte the backend can read is written by this frame's
 *     writer or zero (the pool; MSA01);
 *   - with an untrusted backend (`trusted` = 0 in xenstore, or
 *     cfg.untrusted) every frame goes into whole pages of its own, the rest
 *     of each page zero (XSA-403);
 *   - every response is copied once and validated; a backend that breaks
 *     the ring protocol disables the device (logged, counted);
 *   - received data is copied out of the granted buffers before the
 *     application sees it, and the application sees exactly the frame;
 *   - on disconnect every grant is revoked and the result checked; pages
 *     the backend still maps are quarantined, never reused (XSA-396).
 */
#ifndef NETCHANNEL_FRONT_H
#define NETCHANNEL_FRONT_H

#include <stddef.h>
#include <stdint.h>

#include "netchannel/frame.h"
#include "netchannel/platform.h"
#include "netchannel/pool.h"

/* Connection states of the device (not xenstore's). */
enum nc_front_state {
	NC_FRONT_INIT = 0,      /* waiting for a backend in InitWait */
	NC_FRONT_CONNECTING,    /* our keys written, backend not Connected */
	NC_FRONT_CONNECTED,     /* the data path runs */
	NC_FRONT_CLOSED,        /* backend gone; waits for it to return */
	NC_FRONT_BROKEN,        /* disabled: the backend broke the protocol */
	NC_FRONT_CLOSING,       /* nc_front_close: waiting for the backend */
	NC_FRONT_STOPPED,       /* closed; every grant revoked or quarantined */
};

typedef void (*nc_rx_cb)(void *arg, const struct nc_frame *frame);
/* A log line: `what` is a static message, `value` a number to print. */
typedef void (*nc_log_cb)(void *arg, const char *what, long value);

struct nc_front_config {
	/* The device directory, e.g. "device/vif/0" (relative to this
	 * domain's home) or "/local/domain/5/device/vif/0". */
	const char *path;
	/* TX pool pages, shared out among the queues (each at least 32, or
	 * all of them when fewer);
	 * 0: 256 (1 MiB).  Besides, each queue grants 256 RX pages and its
	 * two ring pages. */
	unsigned pool_pages;
	int poison;            /* pool poison mode (tests) */
	int untrusted;         /* bounce as if `trusted` were 0 */
	int no_sg;             /* do not use scatter-gather */
	/* Use one event channel even when the backend offers split ones. */
	int no_split_events;
	/* Write feature-no-csum-offload=1 (and feature-ipv6-csum-offload=0):
	 * the backend then sends full checksums and no checksum flags; we
	 * complete our own partial checksums before sending too. */
	int no_csum_offload;
	/* Write feature-ipv6-csum-offload=0: partial IPv6 checksums are
	 * completed by the backend before they reach us. */
	int no_ipv6_csum;
	/* Do not advertise feature-gso-tcpv4/6 (receiving GSO frames): the
	 * backend then segments them.  Without scatter-gather they are
	 * never advertised (a GSO frame spans pages). */
	int no_gso;
	/* BENCHMARK ONLY, never for real use: the TX pool's no_zero (a
	 * frame's unwritten bytes may then carry an earlier frame's data to
	 * the backend).  For `netchannel bench --no-zero`'s ratio. */
	int bench_no_zero;
	/* Multicast control: write request-multicast-control=1 when the
	 * backend offers feature-multicast-control, so that it delivers to
	 * us only the multicast groups added with nc_front_mcast_add
	 * (broadcast always).  0: the key is written 0, nothing filtered. */
	int mcast_control;
	/* The caller calls nc_front_poll continuously and never sleeps on
	 * the fds: the rings' event indices are never armed, so the backend
	 * publishes without notifying (no event-channel syscall per batch),
	 * and the store and event fds are read only every
	 * NC_BUSY_POLL_CONTROL calls (the rings at every call).  A caller
	 * that stops polling must not set it: nothing wakes it. */
	int busy_poll;
	/* Offer a control ring (ctrl-ring-ref, event-channel-ctrl) when the
	 * backend offers feature-ctrl-ring, for nc_front_ctrl_submit and the
	 * nc_front_set_hash_* requests (src/core/front_ctrl.c). */
	int ctrl_ring;
	/* Queues to ask for (multi-queue-num-queues): the most used is the
	 * least of this, the backend's multi-queue-max-queues and
	 * NC_MAX_QUEUES; 0 or 1: one queue, keys in the device directory
	 * itself (the form every backend reads). */
	unsigned queues;
	nc_rx_cb rx;           /* received frames; NULL: use nc_front_recv */
	void *rx_arg;
	nc_log_cb log;         /* NULL: silent */
	void *log_arg;
};

/* What the backend offered, and what we use. */
struct nc_front_features {
	int sg;                /* backend feature-sg, and we use it */
	int gso_tcpv4, gso_tcpv6;
	int ipv6_csum;
	int rx_copy;
	int split_events;
	int ctrl_ring;         /* backend feature-ctrl-ring, and cfg.ctrl_ring */
	int mcast_control;     /* backend feature-multicast-control */
	int mcast_dynamic;     /* backend feature-dynamic-multicast-control */
	unsigned max_queues;
};

#define NC_FRONT_PATH_MAX 128

/* Private: one TX frame in flight. */
struct nc_front_txframe {
	struct nc_pool_view view;
	uint32_t len;          /* bytes sent */
	uint16_t slots_left;   /* responses still owed */
	uint16_t in_use;
	uint16_t mcast;        /* a multicast filter update, no data */
	int16_t status;        /* worst answer so far */
};

/* Private: the control ring (src/core/front_ctrl.c).  One request is
 * outstanding at a time; its key or mapping sits in `data`, a page
 * granted read-only, unchanged until the answer came. */
struct nc_front_ctrl {
	void *page;            /* the ring page, granted writable */
	void *data;            /* the request data page, granted read-only */
	nc_gref_t ref, data_ref;
	xen_netif_ctrl_front_ring_t ring;
	RING_IDX published;
	nc_port_t port;
	int have_port;
	int pending;           /* a request waits for its answer */
	uint16_t id, type;     /* that request's */
	uint16_t next_id;
};

/* Private: one queue (multi-queue: PROTOCOL.md, queue-N/ keys): its two
 * rings, event channel(s), TX pool, TX ids, RX buffers, a private frame
 * buffer and its own counters.  A queue's data path touches only its
 * queue, so that different queues can be polled on different threads
 * (nc_front_poll_queue). */
struct nc_front_queue {
	unsigned index;
	netif_tx_front_ring_t tx;
	netif_rx_front_ring_t rx;
	void *tx_page, *rx_page;
	nc_gref_t tx_ref, rx_ref;
	nc_port_t port;                       /* the one port, or TX's */
	nc_port_t port_rx;                    /* split: the RX ring's */
	int have_port, have_port_rx;
	RING_IDX tx_published, rx_published;
	/* TX: frames by id of their first slot; every slot's id */
	struct nc_pool pool;
	int have_pool;
	uint16_t slot_frame[NC_TX_RING_SIZE];   /* id -> frame id */
	uint8_t slot_busy[NC_TX_RING_SIZE];
	struct nc_front_txframe frames[NC_TX_RING_SIZE];
	uint16_t free_ids[NC_TX_RING_SIZE];
	unsigned nfree_ids;
	/* RX: one page per ring slot, granted writable */
	uint8_t *rx_bufs;
	nc_gref_t rx_refs[NC_RX_RING_SIZE];
	int have_rx_bufs;
	netif_rx_response_t rx_copy[NC_RX_RING_SIZE];
	uint8_t frame_buf[NC_MAX_FRAME + 1];
	struct nc_vif_stats stats;            /* this queue's traffic */
	unsigned polls;        /* busy_poll: calls since the control path */
};

struct nc_front {
	/* configuration and identity */
	struct nc_platform plat;
	struct nc_front_config cfg;
	char path[NC_FRONT_PATH_MAX];        /* our device directory */
	char be_path[NC_FRONT_PATH_MAX];     /* the backend's directory */
	nc_domid_t be_domid;
	enum nc_front_state state;
	int be_state;                         /* last XenbusState seen */
	int watching_be;                      /* watch on be_path/state */
	uint8_t mac[6];
	unsigned mtu;
	int trusted;
	struct nc_front_features feat;
	/* the queues in use: q[0 .. nqueues) */
	unsigned nqueues;
	struct nc_front_queue q[NC_MAX_QUEUES];
	/* accounting: the device's own (connections, breakage); the queues
	 * keep their traffic's, added up in `total` by nc_front_stats */
	struct nc_vif_stats stats;
	struct nc_vif_stats total;
	unsigned quarantined_pages;
	struct nc_front_ctrl ctrl;   /* feature-ctrl-ring */
	/* multicast filter updates answered OKAY / otherwise */
	uint64_t mcast_acked, mcast_refused;
	unsigned polls;        /* busy_poll: calls since the control path */
	unsigned rx_turn;      /* nc_front_recv: the queue to look at first */
};

/* Start: read the device directory, publish Initialising, watch the
 * backend.  The platform tables are used for the device's lifetime. */
int nc_front_init(struct nc_front *f, const struct nc_platform *plat,
		  const struct nc_front_config *cfg);

/* Do all pending work: store watch events (handshake, reconnection),
 * event-channel events, TX completions, RX frames (delivered to cfg.rx).
 * Assumes the platform handle is this device's alone. */
int nc_front_poll(struct nc_front *f);

/* The same, split for embedders that share one platform handle between
 * devices: feed them the watch events and ports they read themselves. */
void nc_front_handle_watch(struct nc_front *f, const char *path,
			   const char *token);
void nc_front_handle_event(struct nc_front *f);

/* One queue's data path only (its TX answers and RX frames, no fds, no
 * handshake), for a caller that polls each queue on a thread of its own
 * with cfg.busy_poll: calls for different queues may run concurrently,
 * provided nc_front_poll (the control path) runs on none of them
 * meanwhile and no multicast or control-ring request is sent.  1 when
 * work remains. */
int nc_front_poll_queue(struct nc_front *f, unsigned queue);

/* Multi-queue: frames go on a queue; frames of one flow on one queue
 * (nc_flow_queue: nc_front_send/_gso hash the frame they gather;
 * nc_front_write/_gso, which cannot see the frame before it is written,
 * use queue 0, and nc_front_write_queue/_gso_queue the queue given, e.g.
 * nc_front_pick_queue's for the frame's headers).  Received frames
 * arrive on whichever queue the backend chose. */

/* Send one frame written in place: fill(ctx, buf, size) gets a view of
 * exactly `size` zeroed bytes in the TX pool and returns how many it used
 * (0 cancels).  flags: NC_FRAME_CSUM_BLANK / NC_FRAME_DATA_VALIDATED.
 * NC_EAGAIN: ring or pool full (retry after nc_front_poll);
 * NC_EMSGSIZE: too big for the backend's features; NC_ENOTCONN. */
int nc_front_write(struct nc_front *f, size_t size,
		   size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
		   void *ctx, uint32_t flags);

/* nc_front_write on queue `queue` (below nc_front_num_queues, else
 * NC_EINVAL). */
int nc_front_write_queue(struct nc_front *f, unsigned queue, size_t size,
			 size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
			 void *ctx, uint32_t flags);

/* The queues in use (1 before the first connection), and the queue for
 * a frame whose headers (Ethernet on) are hdr[0..len): nc_flow_queue. */
unsigned nc_front_num_queues(const struct nc_front *f);
unsigned nc_front_pick_queue(const struct nc_front *f, const uint8_t *hdr,
			     size_t len);

/* Send one frame gathered from n pieces (copied into the pool). */
int nc_front_send(struct nc_front *f, const struct nc_iov *iov, unsigned n,
		  uint32_t flags);

/* GSO (TCP segmentation offload).  nc_front_write and nc_front_send
 * refuse NC_FRAME_GSO (NC_EINVAL): a GSO frame goes through these, with
 * its type (XEN_NETIF_GSO_TYPE_TCPV4 or _TCPV6) and segment size (the
 * MSS, >= 1).  The frame, up to NC_MAX_FRAME bytes, is sent as one, with
 * a GSO extra-info slot after its first request; the backend segments it
 * or passes it on.  It should carry NC_FRAME_CSUM_BLANK (the TCP checksum
 * holding the pseudo-header sum), as Linux sends them.  NC_EINVAL when the
 * backend did not offer feature-gso-tcpv4/6 for this type (see
 * nc_front_can_gso) or gso_size is 0; otherwise as nc_front_write. */
int nc_front_write_gso(struct nc_front *f, size_t size,
		       size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
		       void *ctx, uint32_t flags, uint8_t gso_type,
		       uint16_t gso_size);
int nc_front_send_gso(struct nc_front *f, const struct nc_iov *iov,
		      unsigned n, uint32_t flags, uint8_t gso_type,
		      uint16_t gso_size);
int nc_front_write_gso_queue(struct nc_front *f, unsigned queue, size_t size,
			     size_t (*fill)(void *ctx, uint8_t *buf,
					    size_t size),
			     void *ctx, uint32_t flags, uint8_t gso_type,
			     uint16_t gso_size);
/* 1 when the connected backend takes GSO frames of this type. */
int nc_front_can_gso(const struct nc_front *f, uint8_t gso_type);

/* Multicast control (netif.h): ask the backend to add `mac` (a group
 * address, bit 0 of byte 0 set) to, or delete it from, the filter list
 * of groups it delivers to us.  Sent as a dummy request (size 0, no
 * data) with an MCAST_ADD / MCAST_DEL extra-info slot, the form netif.h
 * describes (Linux netfront has no multicast control).  The answer comes
 * later: counted in mcast_acked / mcast_refused (the backend refuses an
 * add past its limit, 64 in Linux).  The list takes effect while
 * cfg.mcast_control asked for filtering.  NC_OK when posted; NC_EINVAL
 * for a unicast address; NC_EPERM when the backend did not offer
 * feature-multicast-control; NC_EAGAIN when the ring is full;
 * NC_ENOTCONN. */
int nc_front_mcast_add(struct nc_front *f, const uint8_t *mac);
int nc_front_mcast_del(struct nc_front *f, const uint8_t *mac);
/* Dynamic multicast control: turn filtering on (1) or off (0) while
 * connected by rewriting request-multicast-control, which a backend
 * offering feature-dynamic-multicast-control watches.  NC_OK; NC_EPERM
 * when it does not offer it (the key then counts at connection only);
 * NC_ENOTCONN; NC_EIO when the write failed. */
int nc_front_mcast_request(struct nc_front *f, int on);

/* Without an rx callback: take the next received frame.  1 and *out set
 * (valid until the next call), 0 when none waits; a 0 has armed the
 * rings' events, so the caller may then sleep on the event fd. */
int nc_front_recv(struct nc_front *f, struct nc_frame *out);

/* Start disconnecting: state Closing.  Keep calling nc_front_poll; once
 * the backend has let go (Closing, Closed or gone) the grants are revoked
 * and the state is NC_FRONT_STOPPED.  Revoking earlier would find the
 * pages still mapped and have to quarantine them. */
void nc_front_close(struct nc_front *f);

/* Stop now, whatever the backend does: revoke every grant (pages the
 * backend still maps are quarantined, never reused), state Closed, drop
 * the watch.  Safe after nc_front_close and on any state. */
void nc_front_destroy(struct nc_front *f);

/* The control ring (xen/io/netif.h, "Control ring"), when cfg.ctrl_ring
 * and the backend offered feature-ctrl-ring (see features.ctrl_ring):
 * asynchronous, one request at a time.  Submit, keep calling
 * nc_front_poll (or wait on the event fd), and take the answer with
 * nc_front_ctrl_result.
 *
 * nc_front_ctrl_submit sends request `type` with data[0..2] as given,
 * unchecked (the backend checks).  NC_OK; NC_EAGAIN while a request is
 * outstanding; NC_ENOTCONN without a connected control ring.
 * nc_front_set_hash_algorithm / _flags / _mapping_size send those
 * requests; nc_front_set_hash_key (len <= NC_TOEPLITZ_KEY_MAX, or
 * NC_EINVAL) and nc_front_set_hash_mapping (n queue indices for entries
 * off.., 1 <= n <= NC_PAGE_SIZE / 4, or NC_EINVAL) copy their data into
 * the request page granted read-only to the backend and send its grant.
 *
 * nc_front_ctrl_result: 1 with the backend's XEN_NETIF_CTRL_STATUS_* in
 * *status and its data word in *data; 0 while no answer came; NC_EINVAL
 * when nothing is outstanding; NC_EPROTO when the backend answered out
 * of turn (the device is then disabled, as for the data rings). */
int nc_front_ctrl_submit(struct nc_front *f, uint16_t type, uint32_t d0,
			 uint32_t d1, uint32_t d2);
int nc_front_ctrl_result(struct nc_front *f, uint32_t *status,
			 uint32_t *data);
int nc_front_set_hash_algorithm(struct nc_front *f, uint32_t algorithm);
int nc_front_set_hash_flags(struct nc_front *f, uint32_t flags);
int nc_front_set_hash_key(struct nc_front *f, const uint8_t *key,
			  size_t len);
int nc_front_set_hash_mapping_size(struct nc_front *f, uint32_t entries);
int nc_front_set_hash_mapping(struct nc_front *f, const uint32_t *queues,
			      uint32_t n, uint32_t off);

enum nc_front_state nc_front_state(const struct nc_front *f);
/* The device's counters: its own plus every queue's, added up now. */
const struct nc_vif_stats *nc_front_stats(struct nc_front *f);
/* One queue's counters (NULL for a queue out of range). */
const struct nc_vif_stats *nc_front_queue_stats(const struct nc_front *f,
						unsigned queue);

#endif

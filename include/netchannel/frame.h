/*
 * netchannel/frame.h - frames, their flags, and the counters both ends keep.
 */
#ifndef NETCHANNEL_FRAME_H
#define NETCHANNEL_FRAME_H

#include <stddef.h>
#include <stdint.h>

/* Frame flags, the same on both ends and in both directions.  The wire
 * uses different bit positions for TX and RX (NETTXF_* vs NETRXF_*): only
 * the data-path code maps between them. */
enum nc_frame_flags {
	/* The L4 checksum field holds only the pseudo-header sum; whoever
	 * needs a full checksum must complete it (partial checksum). */
	NC_FRAME_CSUM_BLANK = 1u << 0,
	/* The checksums were verified (or are known good). */
	NC_FRAME_DATA_VALIDATED = 1u << 1,
	/* gso_type/gso_size are set: a large TCP frame to be segmented. */
	NC_FRAME_GSO = 1u << 2,
	/* nc_front_write/nc_front_send only, never on the wire: more frames
	 * follow at once, so leave this one unpublished (Linux's xmit_more):
	 * one producer-index update and at most one notification per batch.
	 * The batch is published by the next write without this flag, by a
	 * write that answers NC_EAGAIN, or by nc_front_poll; a caller that
	 * sets it must do one of those before it waits. */
	NC_FRAME_MORE = 1u << 3,
};

/* With a busy_poll config, nc_front_poll/nc_back_poll read the store and
 * event fds (watches, a closed peer) once in this many calls. */
#define NC_BUSY_POLL_CONTROL 64u

/* A received frame: valid only during the callback or until the next poll.
 * `data` is private memory, never a page the peer can still write. */
struct nc_frame {
	const uint8_t *data;
	uint32_t len;
	uint32_t flags;        /* enum nc_frame_flags */
	uint16_t gso_size;     /* MSS, with NC_FRAME_GSO */
	uint8_t gso_type;      /* XEN_NETIF_GSO_TYPE_*, with NC_FRAME_GSO */
};

/* One piece of a frame to gather. */
struct nc_iov {
	const void *base;
	size_t len;
};

/* Why a frame was dropped or counted as an error.  Both ends count every
 * drop under one of these, per direction. */
enum nc_reason {
	NC_R_NONE = 0,
	NC_R_BAD_GREF,        /* a grant the peer named could not be used */
	NC_R_CROSS_PAGE,      /* offset + size past the page */
	NC_R_SIZE_CHAIN,      /* first slot's total below the rest's sum */
	NC_R_TOO_MANY_SLOTS,  /* more slots than a frame may use */
	NC_R_FATAL_SLOTS,     /* so many slots the peer must be hostile */
	NC_R_TRUNCATED,       /* a frame runs past the producer index */
	NC_R_RUNT,            /* shorter than an Ethernet header */
	NC_R_BAD_EXTRA,       /* an extra-info slot of unknown type */
	NC_R_BAD_GSO,         /* a GSO extra with no size or a bad type */
	NC_R_BAD_ID,          /* an id out of range or not outstanding */
	NC_R_BAD_STATUS,      /* a status no peer may send */
	NC_R_RING_OVERFLOW,   /* a producer index beyond the ring */
	NC_R_PEER_ERROR,      /* the peer answered NETIF_RSP_ERROR */
	NC_R_PEER_DROPPED,    /* the peer answered NETIF_RSP_DROPPED */
	NC_R_QUEUE_FULL,      /* a bounded queue was full (XSA-392) */
	NC_R_TOO_BIG,         /* larger than the peer's features allow */
	NC_R_CSUM,            /* a partial checksum could not be completed */
	NC_R_NOT_CONNECTED,   /* no connection to carry it */
	NC_R_MAX
};

/* A short name for a reason ("bad-gref"), for logs and `netchannel stat`. */
const char *nc_reason_name(enum nc_reason r);

/* Counters of one direction, as `ip -s link` shows them. */
struct nc_dir_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;
	uint64_t dropped;
	uint64_t reason[NC_R_MAX];   /* errors + dropped, by reason */
};

struct nc_vif_stats {
	struct nc_dir_stats rx;      /* frames this end received */
	struct nc_dir_stats tx;      /* frames this end sent */
	uint64_t events_in;          /* event-channel wakeups */
	uint64_t events_out;         /* notifications sent */
	uint64_t connects;           /* times the data path came up */
};

/* Add every counter of `s` to `sum` (a device's queues to its total). */
void nc_vif_stats_add(struct nc_vif_stats *sum, const struct nc_vif_stats *s);

/* The most queues (rings and event channels per direction) one vif uses
 * (multi-queue-max-queues / multi-queue-num-queues, PROTOCOL.md).  The
 * device structures hold this many queues inline (they are fixed-size:
 * nothing is allocated on the data path).  A build may set it lower
 * (-DNC_MAX_QUEUES=1: the structures of one queue). */
#ifndef NC_MAX_QUEUES
#define NC_MAX_QUEUES 4u
#endif

#endif

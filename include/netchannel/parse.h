/*
 * netchannel/parse.h - pure functions that turn ring slots into frames.
 *
 * Everything a peer writes on a ring is untrusted.  The data paths copy
 * the slots out of shared memory once, into a private array, and hand that
 * array to these functions, which decide without side effects what the
 * slots describe: a frame, a frame to drop (its slots are still consumed
 * and answered), or a peer so broken the device must be disabled.  Each
 * rule below is the one Linux's netback/netfront apply, cited where it
 * differs.  Freestanding.
 */
#ifndef NETCHANNEL_PARSE_H
#define NETCHANNEL_PARSE_H

#include <stdint.h>

#include "netchannel/frame.h"
#include "netchannel/wire.h"

enum nc_verdict {
	NC_V_OK = 0,     /* a frame: use it */
	NC_V_DROP,       /* consume and answer `slots` slots, count reason */
	NC_V_FATAL,      /* the peer is broken: disable the device */
	NC_V_NEED_MORE,  /* (RX only) the frame's last slot is not there yet */
};

/* Most slots, extras included, that one parsed frame may record. */
#define NC_PARSE_MAX_SLOTS 32u
/* Default: frames of more data slots than this are dropped... */
#define NC_TX_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN
/* ...and of at least this many, the frontend is deemed hostile (Linux's
 * fatal_skb_slots default). */
#define NC_TX_FATAL_SLOTS 20u

/* One data fragment of a TX frame. */
struct nc_tx_frag {
	nc_gref_t gref;
	uint16_t offset;
	uint16_t len;        /* this fragment's own length */
};

/* What the backend learned from one TX frame's slots. */
struct nc_tx_parsed {
	enum nc_reason reason;   /* why DROP or FATAL */
	unsigned slots;          /* ring slots the frame used (all answered) */
	unsigned nfrags;         /* non-empty data fragments: zero-length
				  * slots are answered, never listed */
	uint32_t total;          /* frame length: the first slot's size */
	uint32_t flags;          /* NC_FRAME_* from NETTXF_* */
	uint16_t gso_size;
	uint8_t gso_type;
	uint8_t nmcast_add, nmcast_del;
	uint8_t mcast_add[6], mcast_del[6]; /* last of each, when counted */
	/* Per slot, in ring order: 1 if an extra-info slot (answered with
	 * NETIF_RSP_NULL), and the id to answer with.  Entries at and past
	 * `slots` (and frags[] at and past `nfrags`) are not written by
	 * nc_tx_parse: stale, never to be read. */
	uint8_t is_extra[NC_PARSE_MAX_SLOTS];
	uint16_t ids[NC_PARSE_MAX_SLOTS];
	struct nc_tx_frag frags[NC_PARSE_MAX_SLOTS];
};

/*
 * Parse the TX frame that starts at slots[0]; `avail` slots were published.
 * Rules (Linux netback's):
 *   - fragments: the first request's size is the total; each later one's
 *     size is its own; the first fragment's own length is total minus the
 *     rest.  A later fragment bigger than what remains: DROP (size
 *     chain), all slots consumed.  (Linux drops, not disables: buggy
 *     frontends overflow the u16 total this way with >= 64 KiB frames.)
 *   - offset + own length > 4096 on any fragment: FATAL (cross page).
 *   - the frame's slots run past `avail`: FATAL (truncated).
 *   - data slots > max_slots: DROP (too many); >= fatal_slots: FATAL.
 *     (Stricter than Linux by one or two: it counts only the slots after
 *     the first, so it passes 19, drops 20-21 and disables at 22.)
 *   - extra-info slots (NETTXF_extra_info, then XEN_NETIF_EXTRA_FLAG_MORE)
 *     of type 0 or >= XEN_NETIF_EXTRA_TYPE_MAX: FATAL; a GSO extra with
 *     size 0 or an unknown GSO type: FATAL; HASH extras are ignored.
 *   - total < 14 (no Ethernet header): DROP (runt).
 *   - zero-length fragments (XSA-448) are accepted deliberately: they
 *     carry nothing, are answered, and never reach the frame.
 *   - both checksum flags are passed on; NETTXF_csum_blank wins.
 */
enum nc_verdict nc_tx_parse(const netif_tx_request_t *slots, unsigned avail,
			    unsigned max_slots, unsigned fatal_slots,
			    struct nc_tx_parsed *out);

/* One data fragment of an RX frame: where in which posted buffer. */
struct nc_rx_frag {
	uint16_t slot;       /* index into the responses array */
	uint16_t offset;
	uint16_t len;
};

struct nc_rx_parsed {
	enum nc_reason reason;
	unsigned slots;          /* ring slots consumed, extras included */
	unsigned nfrags;
	uint32_t total;          /* the sum of the fragments */
	uint32_t flags;          /* NC_FRAME_* from NETRXF_* */
	uint16_t gso_size;
	uint8_t gso_type;
	struct nc_rx_frag frags[NC_PARSE_MAX_SLOTS];
};

/*
 * Parse the RX frame whose first response is rsps[0], at ring index
 * `first_idx`; `avail` responses were published; `ring_size` is the RX
 * ring's size.  Rules (Linux netfront's, plus id checks):
 *   - each data response sits in its request's slot: its id must equal
 *     (ring index & (ring_size - 1)), else DROP (bad id);
 *   - status < 0: DROP, reason peer-error / peer-dropped (other negative
 *     values: bad status); status 0 on the first slot: DROP (runt);
 *   - offset + status > 4096: DROP (cross page);
 *   - more than max_slots data slots: DROP (too many);
 *   - the total above 65535: DROP (too big);
 *   - extra-info slots of type 0 or >= MAX: DROP (bad extra), a GSO
 *     extra with size 0 or an unknown type: DROP (bad gso);
 *   - the frame's last slot not yet published: NEED_MORE; but when the
 *     frame already fills the ring (avail >= ring_size) it can never
 *     end, so DROP (too many) with `slots` = avail instead of waiting.
 *     (Linux never waits: a frame past the producer is dropped.)
 * A DROP still consumes `slots` slots, so the buffers are posted again.
 * NETRXF_data_validated / NETRXF_csum_blank become NC_FRAME_* flags.
 */
enum nc_verdict nc_rx_parse(const netif_rx_response_t *rsps, unsigned avail,
			    RING_IDX first_idx, unsigned ring_size,
			    unsigned max_slots, struct nc_rx_parsed *out);

#endif

/*
 * parse_rx.c - netfront's view of one RX frame: the private copy of the
 * backend's response slots in, a frame description or a verdict out.
 *
 * Part of the freestanding protocol core: no libc beyond mem*, no
 * allocation, no mutable global state.  nc_rx_parse never writes to its
 * input and reads each slot once, into a local copy (XSA-155).
 *
 * The rules are Linux netfront's (xennet_get_responses, xennet_get_extras,
 * xennet_set_skb_gso) plus id checks.  Nothing a backend sends is fatal
 * here: a bad frame is dropped, and its slots are still consumed so that
 * the buffers go back on the ring.  Of several faults, the first one met
 * in ring order is the reason reported.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netchannel/frame.h"
#include "netchannel/parse.h"

/* An extra-info slot is a response slot reinterpreted (netif.h). */
_Static_assert(sizeof(netif_extra_info_t) <= sizeof(netif_rx_response_t),
	       "an extra must fit an RX slot");

struct rx_ctx {
	const netif_rx_response_t *rsps;
	unsigned avail;
	RING_IDX first_idx;
	unsigned ring_size;
	unsigned max_slots;      /* clamped to the frags[] array */
	unsigned idx;            /* next slot to read */
	unsigned ndata;          /* data slots read */
	enum nc_reason drop;     /* first reason to drop, or NC_R_NONE */
	int have_gso;
	netif_extra_info_t gso;  /* the last GSO extra (Linux keeps the last) */
	struct nc_rx_parsed *out;
};

static void rx_drop(struct rx_ctx *c, enum nc_reason why)
{
	if (c->drop == NC_R_NONE)
		c->drop = why;
}

/* The next slot is not published.  Normally the frame is not complete
 * yet: NEED_MORE.  But when every ring slot already belongs to this
 * frame, the backend has no request left to answer with and the frame
 * can never end: drop what there is instead of waiting forever (XSA-39:
 * a broken peer never stalls us; Linux drops here too). */
static enum nc_verdict rx_short(struct rx_ctx *c)
{
	if (c->ring_size != 0 && c->avail >= c->ring_size) {
		c->out->slots = c->avail;
		c->out->reason = NC_R_TOO_MANY_SLOTS;
		return NC_V_DROP;
	}
	c->out->slots = 0;
	return NC_V_NEED_MORE;
}

/* A negative status is an error code, never a size (mirage-net-xen). */
static enum nc_reason rx_status_reason(int16_t status)
{
	if (status == NETIF_RSP_ERROR)
		return NC_R_PEER_ERROR;
	if (status == NETIF_RSP_DROPPED)
		return NC_R_PEER_DROPPED;
	return NC_R_BAD_STATUS;
}

/* Each response must sit in the slot of its request (netif.h: Linux
 * netfront relies on it), and our request ids are the slot numbers, so
 * the id must equal the ring index modulo the ring size.  The index is
 * computed with RING_IDX arithmetic, which wraps like the ring's. */
static int rx_id_ok(const struct rx_ctx *c, uint16_t id)
{
	RING_IDX ring_idx = c->first_idx + (RING_IDX)c->idx;

	return id == (uint16_t)(ring_idx & (RING_IDX)(c->ring_size - 1u));
}

/* Record the data slot at c->idx (its copy in *r) and check it. */
static void rx_take_data(struct rx_ctx *c, const netif_rx_response_t *r)
{
	struct nc_rx_parsed *out = c->out;
	struct nc_rx_frag *f;

	c->ndata++;
	if (!rx_id_ok(c, r->id))
		rx_drop(c, NC_R_BAD_ID);
	if (r->status < 0) {
		rx_drop(c, rx_status_reason(r->status));
		return;
	}
	/* A fragment never crosses its page: the grant covers one page. */
	if ((uint32_t)r->offset + (uint32_t)r->status > NC_PAGE_SIZE) {
		rx_drop(c, NC_R_CROSS_PAGE);
		return;
	}
	/* More slots than a frame may use; the clamp also bounds frags[]. */
	if (c->ndata > c->max_slots) {
		rx_drop(c, NC_R_TOO_MANY_SLOTS);
		return;
	}
	/* Bounded: at most max_slots * 4096 is ever added. */
	out->total += (uint16_t)r->status;   /* >= 0 here */
	if (out->total > NC_MAX_FRAME)
		rx_drop(c, NC_R_TOO_BIG);
	if (r->status == 0)
		return;   /* carries nothing: not listed */
	f = &out->frags[out->nfrags++];
	f->slot = (uint16_t)c->idx;
	f->offset = r->offset;
	f->len = (uint16_t)r->status;
}

static void rx_apply_extra(struct rx_ctx *c, const netif_extra_info_t *x)
{
	/* Type NONE or unknown: the frame is dropped (xennet_get_extras),
	 * but the chain is still followed to consume every slot. */
	if (x->type == XEN_NETIF_EXTRA_TYPE_NONE ||
	    x->type >= XEN_NETIF_EXTRA_TYPE_MAX) {
		rx_drop(c, NC_R_BAD_EXTRA);
		return;
	}
	if (x->type == XEN_NETIF_EXTRA_TYPE_GSO) {
		c->gso = *x;
		c->have_gso = 1;
	}
	/* MCAST_* and HASH mean nothing to a frontend: ignored. */
}

/* The extra-info chain after the first response.  Extras carry no id,
 * so nothing checks which request they answer (netif.h). */
static enum nc_verdict rx_read_extras(struct rx_ctx *c)
{
	netif_extra_info_t x;

	do {
		if (c->idx >= c->avail)
			return rx_short(c);
		memcpy(&x, &c->rsps[c->idx], sizeof(x));
		c->idx++;
		rx_apply_extra(c, &x);
	} while (x.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	return NC_V_OK;
}

/* xennet_set_skb_gso: no segment size or an unknown type: drop. */
static void rx_check_gso(struct rx_ctx *c)
{
	uint8_t type = c->gso.u.gso.type;

	if (!c->have_gso)
		return;
	if (c->gso.u.gso.size == 0 ||
	    (type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	     type != XEN_NETIF_GSO_TYPE_TCPV6)) {
		rx_drop(c, NC_R_BAD_GSO);
		return;
	}
	c->out->gso_size = c->gso.u.gso.size;
	c->out->gso_type = type;
	c->out->flags |= NC_FRAME_GSO;
}

/* The data slots after the first (and its extras), to the end of the
 * more_data chain; extras' own flags do not continue it (netif.h). */
static enum nc_verdict rx_read_frags(struct rx_ctx *c, int more)
{
	netif_rx_response_t r;

	while (more) {
		if (c->idx >= c->avail)
			return rx_short(c);
		memcpy(&r, &c->rsps[c->idx], sizeof(r));
		rx_take_data(c, &r);
		c->idx++;
		more = r.flags & NETRXF_more_data;
	}
	return NC_V_OK;
}

static uint32_t rx_csum_flags(uint16_t wire)
{
	uint32_t f = 0;

	/* NETRXF_* bits: data_validated is bit 0, csum_blank bit 1 (the
	 * reverse of NETTXF_*: never test RX flags with TX masks). */
	if (wire & NETRXF_csum_blank)
		f |= NC_FRAME_CSUM_BLANK;
	if (wire & NETRXF_data_validated)
		f |= NC_FRAME_DATA_VALIDATED;
	return f;
}

static void rx_init(struct rx_ctx *c, const netif_rx_response_t *rsps,
		    unsigned avail, RING_IDX first_idx, unsigned ring_size,
		    unsigned max_slots, struct nc_rx_parsed *out)
{
	memset(c, 0, sizeof(*c));
	memset(out, 0, sizeof(*out));
	c->rsps = rsps;
	c->avail = avail;
	c->first_idx = first_idx;
	c->ring_size = ring_size;
	/* Clamp: whatever the caller passes, frags[] never overflows. */
	c->max_slots = max_slots < NC_PARSE_MAX_SLOTS ? max_slots
						       : NC_PARSE_MAX_SLOTS;
	c->out = out;
}

enum nc_verdict nc_rx_parse(const netif_rx_response_t *rsps, unsigned avail,
			    RING_IDX first_idx, unsigned ring_size,
			    unsigned max_slots, struct nc_rx_parsed *out)
{
	struct rx_ctx c;
	netif_rx_response_t first;
	enum nc_verdict v;

	rx_init(&c, rsps, avail, first_idx, ring_size, max_slots, out);
	if (avail == 0)
		return NC_V_NEED_MORE;
	memcpy(&first, &rsps[0], sizeof(first));
	rx_take_data(&c, &first);
	c.idx = 1;
	/* An empty first fragment: no Ethernet header in this frame. */
	if (first.status == 0)
		rx_drop(&c, NC_R_RUNT);
	out->flags = rx_csum_flags(first.flags);
	if (first.flags & NETRXF_extra_info) {
		v = rx_read_extras(&c);
		if (v != NC_V_OK)
			return v;
		rx_check_gso(&c);
	}
	v = rx_read_frags(&c, first.flags & NETRXF_more_data);
	if (v != NC_V_OK)
		return v;
	out->slots = c.idx;
	if (c.drop != NC_R_NONE) {
		out->reason = c.drop;
		return NC_V_DROP;
	}
	return NC_V_OK;
}

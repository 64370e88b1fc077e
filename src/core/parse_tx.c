/*
 * parse_tx.c - netback's view of one TX frame: the private copy of the
 * frontend's request slots in, a frame description or a verdict out.
 *
 * Part of the freestanding protocol core: no libc beyond mem*, no
 * allocation, no mutable global state.  nc_tx_parse never writes to its
 * input and reads each slot once, into a local copy (XSA-155).
 *
 * The rules are Linux netback's (xenvif_tx_build_gops, xenvif_get_extras,
 * xenvif_count_requests, xenvif_set_skb_gso), with these choices:
 *   - whenever a frame is both hostile (FATAL) and merely bad (DROP), the
 *     FATAL verdict wins, whatever order Linux happens to check in (the
 *     first fragment's page check needs its own length, so it is skipped
 *     once the size chain is broken, as in Linux);
 *   - the first fragment's own length may be 0 (total == the rest) and
 *     later fragments may be empty (XSA-448): accepted, answered, never
 *     listed in frags[];
 *   - an extra-info chain longer than TX_MAX_EXTRAS is FATAL (Linux has
 *     no bound; only four types exist, so a longer chain is hostile), and
 *     fatal_slots is clamped so that extras plus data slots always fit
 *     the NC_PARSE_MAX_SLOTS entries of the per-slot arrays;
 *   - a request carrying MCAST_ADD/MCAST_DEL extras is a dummy, as in
 *     Linux: its slots are the first request and its extras, its size,
 *     offset and more_data are ignored, and the verdict is OK with no
 *     fragments and total 0.  The caller amends its filter and answers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netchannel/frame.h"
#include "netchannel/parse.h"

/* An extra-info slot is a request slot reinterpreted (netif.h). */
_Static_assert(sizeof(netif_extra_info_t) <= sizeof(netif_tx_request_t),
	       "an extra must fit a TX slot");

#define ETH_HLEN 14u
/* Most extra-info slots one frame may carry. */
#define TX_MAX_EXTRAS 8u
/* fatal_slots above this would let extras + data overflow the arrays:
 * data slots recorded <= fatal - 1, so extras + data <= 8 + 24 = 32. */
#define TX_FATAL_CAP (NC_PARSE_MAX_SLOTS - TX_MAX_EXTRAS + 1u)

_Static_assert(TX_MAX_EXTRAS + TX_FATAL_CAP - 1u == NC_PARSE_MAX_SLOTS,
	       "extras and data slots fill the per-slot arrays exactly");

struct tx_ctx {
	const netif_tx_request_t *slots;
	unsigned avail;
	unsigned max_slots;      /* data slots beyond this: DROP */
	unsigned fatal_slots;    /* data slots at or beyond this: FATAL */
	unsigned idx;            /* next slot to read */
	unsigned ndata;          /* data slots read, the first included */
	unsigned nextras;        /* extra-info slots read */
	uint32_t first_len;      /* what is left of the total: the first
				  * fragment's own length once all are read */
	int chain_broken;        /* a later fragment outgrew first_len */
	enum nc_reason drop;     /* first reason to drop, or NC_R_NONE */
	int have_gso;
	netif_extra_info_t gso;  /* the last GSO extra (Linux keeps the last) */
	struct nc_tx_parsed *out;
};

static enum nc_verdict tx_fatal(struct tx_ctx *c, enum nc_reason why)
{
	c->out->reason = why;
	return NC_V_FATAL;
}

static void tx_drop(struct tx_ctx *c, enum nc_reason why)
{
	if (c->drop == NC_R_NONE)
		c->drop = why;
}

/* Remember one consumed slot so that the backend can answer it.  The
 * callers' bounds (TX_MAX_EXTRAS, the clamped fatal_slots) keep the
 * index below NC_PARSE_MAX_SLOTS; the guard only makes that local. */
static void tx_record(struct nc_tx_parsed *out, uint8_t is_extra,
		      uint16_t id)
{
	if (out->slots >= NC_PARSE_MAX_SLOTS)
		return;
	out->is_extra[out->slots] = is_extra;
	out->ids[out->slots] = id;
	out->slots++;
}

/* Read slot c->idx into *r, once.  Publication rule: nothing past the
 * producer index is read; a frame that needs more is broken (XSA-39). */
static int tx_fetch(struct tx_ctx *c, void *r, size_t len)
{
	if (c->idx >= c->avail)
		return 0;
	memcpy(r, &c->slots[c->idx], len);
	c->idx++;
	return 1;
}

/* Count one more data slot against the thresholds (Linux's
 * fatal_skb_slots and XEN_NETBK_LEGACY_SLOTS_MAX).  Extras do not count.
 * The fatal bound also bounds the per-slot arrays. */
static enum nc_verdict tx_count_data(struct tx_ctx *c)
{
	unsigned n = c->ndata + 1;

	if (n >= c->fatal_slots)
		return tx_fatal(c, NC_R_FATAL_SLOTS);
	if (n > c->max_slots)
		tx_drop(c, NC_R_TOO_MANY_SLOTS);
	c->ndata = n;
	return NC_V_OK;
}

static void tx_apply_extra(struct tx_ctx *c, const netif_extra_info_t *x)
{
	struct nc_tx_parsed *out = c->out;

	switch (x->type) {
	case XEN_NETIF_EXTRA_TYPE_GSO:
		c->gso = *x;
		c->have_gso = 1;
		break;
	case XEN_NETIF_EXTRA_TYPE_MCAST_ADD:
		out->nmcast_add++;
		memcpy(out->mcast_add, x->u.mcast.addr, sizeof(out->mcast_add));
		break;
	case XEN_NETIF_EXTRA_TYPE_MCAST_DEL:
		out->nmcast_del++;
		memcpy(out->mcast_del, x->u.mcast.addr, sizeof(out->mcast_del));
		break;
	default:
		/* HASH: the frontend's hash of the flow; nothing to check. */
		break;
	}
}

/* The extra-info chain after the first request (xenvif_get_extras). */
static enum nc_verdict tx_read_extras(struct tx_ctx *c)
{
	netif_extra_info_t x;

	do {
		if (c->nextras >= TX_MAX_EXTRAS)
			return tx_fatal(c, NC_R_BAD_EXTRA);
		/* XSA-39: a chain running past the producer is fatal. */
		if (!tx_fetch(c, &x, sizeof(x)))
			return tx_fatal(c, NC_R_TRUNCATED);
		c->nextras++;
		/* Extras carry no id: answered with NETIF_RSP_NULL. */
		tx_record(c->out, 1, 0);
		/* Type NONE or unknown: Linux disables the vif. */
		if (x.type == XEN_NETIF_EXTRA_TYPE_NONE ||
		    x.type >= XEN_NETIF_EXTRA_TYPE_MAX)
			return tx_fatal(c, NC_R_BAD_EXTRA);
		tx_apply_extra(c, &x);
	} while (x.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	return NC_V_OK;
}

/* xenvif_set_skb_gso: no segment size or an unknown type is fatal. */
static enum nc_verdict tx_check_gso(struct tx_ctx *c)
{
	uint8_t type = c->gso.u.gso.type;

	if (!c->have_gso)
		return NC_V_OK;
	if (c->gso.u.gso.size == 0)
		return tx_fatal(c, NC_R_BAD_GSO);
	if (type != XEN_NETIF_GSO_TYPE_TCPV4 &&
	    type != XEN_NETIF_GSO_TYPE_TCPV6)
		return tx_fatal(c, NC_R_BAD_GSO);
	c->out->gso_size = c->gso.u.gso.size;
	c->out->gso_type = type;
	c->out->flags |= NC_FRAME_GSO;
	return NC_V_OK;
}

/* A fragment never crosses its page: the grant covers one page only. */
static int tx_crosses_page(uint16_t offset, uint32_t len)
{
	return (uint32_t)offset + len > NC_PAGE_SIZE;
}

/* Keep a non-empty fragment.  Zero-length ones (XSA-448) carry nothing:
 * they are answered through ids[] but never listed, so no grant of
 * theirs is ever used.  frags[0] stays reserved for the first request. */
static void tx_add_frag(struct nc_tx_parsed *out, unsigned *n,
			const netif_tx_request_t *r, uint16_t len)
{
	if (len == 0 || *n >= NC_PARSE_MAX_SLOTS)
		return;
	out->frags[*n].gref = r->gref;
	out->frags[*n].offset = r->offset;
	out->frags[*n].len = len;
	(*n)++;
}

/* Subtract a later fragment from what is left of the total.  A fragment
 * bigger than that means the sizes do not add up: Linux drops the frame
 * and consumes its slots ("buggy frontends" overflow the u16 total with
 * frames of 64 KiB and more), so it is not fatal. */
static void tx_take_len(struct tx_ctx *c, uint16_t len)
{
	if (c->chain_broken)
		return;
	if (len > c->first_len) {
		c->chain_broken = 1;
		tx_drop(c, NC_R_SIZE_CHAIN);
		return;
	}
	c->first_len -= len;
}

/* The data slots after the first and its extras (xenvif_count_requests),
 * consumed to the end of the chain even when the frame is dropped, so
 * that every slot is answered. */
static enum nc_verdict tx_read_frags(struct tx_ctx *c, int more,
				     unsigned *nfrags)
{
	netif_tx_request_t r;
	enum nc_verdict v;

	while (more) {
		/* XSA-39: the chain runs past the producer: fatal. */
		if (c->idx >= c->avail)
			return tx_fatal(c, NC_R_TRUNCATED);
		v = tx_count_data(c);
		if (v != NC_V_OK)
			return v;
		tx_fetch(c, &r, sizeof(r));
		tx_record(c->out, 0, r.id);
		tx_take_len(c, r.size);
		if (tx_crosses_page(r.offset, r.size))
			return tx_fatal(c, NC_R_CROSS_PAGE);
		tx_add_frag(c->out, nfrags, &r, r.size);
		more = r.flags & NETTXF_more_data;
	}
	return NC_V_OK;
}

/* Put the first fragment (own length first_len) in front of the later
 * ones, or close the gap it reserved when it is empty. */
static void tx_place_first(struct tx_ctx *c, const netif_tx_request_t *first,
			   unsigned nfrags)
{
	struct nc_tx_parsed *out = c->out;

	if (c->first_len != 0) {
		out->frags[0].gref = first->gref;
		out->frags[0].offset = first->offset;
		out->frags[0].len = (uint16_t)c->first_len;
		out->nfrags = nfrags;
		return;
	}
	memmove(&out->frags[0], &out->frags[1],
		(nfrags - 1) * sizeof(out->frags[0]));
	out->nfrags = nfrags - 1;
}

static uint32_t tx_csum_flags(uint16_t wire)
{
	uint32_t f = 0;

	/* NETTXF_* bits: csum_blank is bit 0, data_validated bit 1 (the
	 * reverse of NETRXF_*).  Both are passed on; csum_blank wins. */
	if (wire & NETTXF_csum_blank)
		f |= NC_FRAME_CSUM_BLANK;
	if (wire & NETTXF_data_validated)
		f |= NC_FRAME_DATA_VALIDATED;
	return f;
}

/* Everything after the first request's extras: the data chain, then the
 * checks that need the whole frame. */
static enum nc_verdict tx_finish(struct tx_ctx *c,
				 const netif_tx_request_t *first)
{
	unsigned nfrags = 1;      /* frags[0] reserved for the first */
	enum nc_verdict v;

	v = tx_read_frags(c, first->flags & NETTXF_more_data, &nfrags);
	if (v != NC_V_OK)
		return v;
	/* The first fragment's own length must stay in its page too. */
	if (!c->chain_broken && tx_crosses_page(first->offset, c->first_len))
		return tx_fatal(c, NC_R_CROSS_PAGE);
	if (c->drop != NC_R_NONE) {
		c->out->reason = c->drop;
		return NC_V_DROP;
	}
	/* No room for an Ethernet header: a runt, dropped (not fatal). */
	if (first->size < ETH_HLEN) {
		c->out->reason = NC_R_RUNT;
		return NC_V_DROP;
	}
	tx_place_first(c, first, nfrags);
	return NC_V_OK;
}

/* Linux: a filter update rides on a dummy request, answered with its
 * extras; its size, offset and more_data are ignored, nothing is sent. */
static enum nc_verdict tx_mcast_dummy(struct tx_ctx *c)
{
	struct nc_tx_parsed *out = c->out;

	out->total = 0;
	out->flags = 0;
	out->gso_size = 0;
	out->gso_type = 0;
	if (c->drop != NC_R_NONE) {
		out->reason = c->drop;
		return NC_V_DROP;
	}
	return NC_V_OK;
}

static void tx_init(struct tx_ctx *c, const netif_tx_request_t *slots,
		    unsigned avail, unsigned max_slots, unsigned fatal_slots,
		    struct nc_tx_parsed *out)
{
	memset(c, 0, sizeof(*c));
	/* Only the scalar fields: the per-slot arrays (~360 bytes, a third
	 * of the backend's instructions per 64 B frame when zeroed whole)
	 * are written as slots are recorded and read only below `slots` and
	 * `nfrags`. */
	memset(out, 0, offsetof(struct nc_tx_parsed, is_extra));
	c->slots = slots;
	c->avail = avail;
	c->max_slots = max_slots;
	/* Clamp: whatever the caller passes, the arrays never overflow. */
	c->fatal_slots = fatal_slots < TX_FATAL_CAP ? fatal_slots
						     : TX_FATAL_CAP;
	c->out = out;
}

/* The common frame, one slot with no extras and nothing wrong with it:
 * 1 and *out filled exactly as the general path would fill it, or 0 when
 * the general path must decide (anything else, every verdict but OK). */
static int tx_parse_simple(const netif_tx_request_t *slots, unsigned avail,
			   unsigned max_slots, unsigned fatal_slots,
			   struct nc_tx_parsed *out)
{
	netif_tx_request_t r;

	if (avail == 0 || max_slots < 1 || fatal_slots <= 1)
		return 0;
	memcpy(&r, &slots[0], sizeof(r));     /* read once (XSA-155) */
	if ((r.flags & (NETTXF_extra_info | NETTXF_more_data)) ||
	    r.size < ETH_HLEN || tx_crosses_page(r.offset, r.size))
		return 0;
	memset(out, 0, offsetof(struct nc_tx_parsed, is_extra));
	out->slots = 1;
	out->is_extra[0] = 0;
	out->ids[0] = r.id;
	out->total = r.size;
	out->flags = tx_csum_flags(r.flags);
	out->frags[0].gref = r.gref;
	out->frags[0].offset = r.offset;
	out->frags[0].len = r.size;
	out->nfrags = 1;
	return 1;
}

enum nc_verdict nc_tx_parse(const netif_tx_request_t *slots, unsigned avail,
			    unsigned max_slots, unsigned fatal_slots,
			    struct nc_tx_parsed *out)
{
	struct tx_ctx c;
	netif_tx_request_t first;
	enum nc_verdict v;

	/* Most frames (up to a page, no GSO) take this path; the general
	 * one below applies the same rules to everything else. */
	if (tx_parse_simple(slots, avail, max_slots, fatal_slots, out))
		return NC_V_OK;
	tx_init(&c, slots, avail, max_slots, fatal_slots, out);
	if (!tx_fetch(&c, &first, sizeof(first)))
		return tx_fatal(&c, NC_R_TRUNCATED);
	v = tx_count_data(&c);
	if (v != NC_V_OK)
		return v;
	tx_record(out, 0, first.id);
	out->total = first.size;
	out->flags = tx_csum_flags(first.flags);
	c.first_len = first.size;
	if (first.flags & NETTXF_extra_info) {
		v = tx_read_extras(&c);
		if (v == NC_V_OK)
			v = tx_check_gso(&c);
		if (v != NC_V_OK)
			return v;
	}
	if (out->nmcast_add || out->nmcast_del)
		return tx_mcast_dummy(&c);
	return tx_finish(&c, &first);
}

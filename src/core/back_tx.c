/*
 * back_tx.c - frames from the frontend (its TX ring, our "rx" counters).
 *
 * One round: read the request producer once (checked), copy every
 * published slot once into q->tx_copy, then parse frame after frame with
 * nc_tx_parse and answer every slot in ring order.  The frames' data
 * comes in with one batched grant copy per round (or per frame_buf-full)
 * into q->frame_buf, back to back; the frontend's pages are never mapped,
 * so it cannot change a frame after we looked at it.
 * One publish per round, one notification per poll; bounded work per
 * call.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "back_rate.h"
#include "csum_offload.h"
#include "netchannel/csum.h"

/* A frame's segments fit the batch array. */
_Static_assert(NC_PARSE_MAX_SLOTS <= sizeof(((struct nc_back_q *)0)->segs) /
				     sizeof(struct nc_copy_seg),
	       "one TX frame's fragments fit q->segs");

/* Answer the slots of the frame just parsed, in ring order, each with its
 * own id; extra-info slots get NETIF_RSP_NULL. */
static void tx_answer(struct nc_back_q *q, int16_t status)
{
	const struct nc_tx_parsed *p = &q->parsed;
	unsigned i;

	for (i = 0; i < p->slots; i++) {
		netif_tx_response_t *r =
			RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);

		r->id = p->ids[i];
		r->status = p->is_extra[i] ? NETIF_RSP_NULL : status;
		q->tx.rsp_prod_pvt++;
	}
}

static int16_t tx_drop(struct nc_back_q *q, enum nc_reason why)
{
	ncb_count(&q->stats.rx, why);
	return NETIF_RSP_ERROR;
}

/* One segment per non-empty fragment, into frame_buf from `pos` on, in
 * segs[] from `seg` on.  Returns the segment count, or -1 when the
 * fragments do not add up. */
static int tx_segments(struct nc_back *b, struct nc_back_q *q, uint32_t pos, unsigned seg)
{
	const struct nc_tx_parsed *p = &q->parsed;
	uint32_t start = pos;
	unsigned i, n = 0;

	for (i = 0; i < p->nfrags && i < NC_PARSE_MAX_SLOTS; i++) {
		const struct nc_tx_frag *f = &p->frags[i];
		struct nc_copy_seg *s = &q->segs[seg + n];

		if (f->len == 0)
			continue;       /* XSA-448: answered, carries nothing */
		/* Invariant: each segment stays in its page and the frame in
		 * frame_buf, whatever the parser let through. */
		if ((uint32_t)f->offset + f->len > NC_PAGE_SIZE ||
		    pos + f->len > sizeof(q->frame_buf))
			return -1;
		/* Built whole (every member named or zero), not memset and
		 * then stored field by field. */
		*s = (struct nc_copy_seg){
			.src.foreign = { .ref = f->gref, .offset = f->offset,
					 .domid = b->fe_domid },
			.dst.local = q->frame_buf + pos,
			.len = f->len,
			.flags = NC_COPY_SRC_GREF,
			.status = NC_EIO,  /* until the copy says otherwise */
		};
		pos += f->len;
		n++;
	}
	/* Invariant (MSA01): the fragments cover the frame exactly, so every
	 * byte delivered was copied from this frame's grants just now. */
	return pos - start == p->total ? (int)n : -1;
}

/* Whether the frame just parsed joins the pending batch: room for its
 * bytes in frame_buf, its segments in segs[] and its record.  A frame
 * always fits an empty batch. */
static int tx_fits(const struct nc_back_q *q)
{
	const struct nc_tx_parsed *p = &q->parsed;

	return q->ntxpend < NC_TX_RING_SIZE &&
	       q->txpend_segs + p->nfrags <= sizeof(q->segs) /
					     sizeof(q->segs[0]) &&
	       q->txpend_bytes + p->total <= sizeof(q->frame_buf);
}

/* Answer a pending frame's slots, in ring order: ids from the private
 * copy of its requests (extra-info slots: id 0 and NETIF_RSP_NULL, as
 * tx_answer), then consume them. */
static void tx_answer_pending(struct nc_back_q *q,
			      const struct nc_back_txpend *e, int16_t status)
{
	unsigned k;

	for (k = 0; k < e->slots; k++) {
		netif_tx_response_t *r =
			RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);
		int extra = (e->extra_mask >> k) & 1u;

		r->id = extra ? 0 : q->tx_copy[e->copy + k].id;
		r->status = extra ? NETIF_RSP_NULL : status;
		q->tx.rsp_prod_pvt++;
	}
	q->tx.req_cons += e->slots;
}

/* The partial checksums we offered to take from the frontend. */
static unsigned tx_offered_csum(const struct nc_back *b)
{
	return NC_OFFLOAD_IPV4 | (b->cfg.no_ipv6_csum ? 0u : NC_OFFLOAD_IPV6);
}

/* A copied frame: finish and deliver it.  Returns its slots' status. */
static int16_t tx_finish(struct nc_back *b, struct nc_back_q *q, const struct nc_back_txpend *e)
{
	struct nc_frame fr;

	if (!e->ok)
		return tx_drop(q, NC_R_BAD_GREF);
	fr = (struct nc_frame){ .data = q->frame_buf + e->off, .len = e->len,
				.flags = e->flags, .gso_size = e->gso_size,
				.gso_type = e->gso_type };
	/* Completed for a consumer that needs it, and for an IPv6 partial
	 * checksum we did not offer to take (feature-ipv6-csum-offload).
	 * Never a GSO frame's: one checksum over 64 KiB is no segment's;
	 * whoever segments it (gso.h) completes every segment's. */
	if ((fr.flags & NC_FRAME_CSUM_BLANK) && !(fr.flags & NC_FRAME_GSO) &&
	    (b->cfg.need_full_csum ||
	     nc_csum_must_complete(fr.data, fr.len, fr.flags,
				   tx_offered_csum(b)))) {
		/* The frontend's data arrived intact: answered OKAY, as
		 * Linux does when checksum setup fails after the copy. */
		if (nc_csum_complete_frame(q->frame_buf + e->off, e->len) != 0) {
			ncb_count(&q->stats.rx, NC_R_CSUM);
			return NETIF_RSP_OKAY;
		}
		fr.flags &= ~(uint32_t)NC_FRAME_CSUM_BLANK;
		fr.flags |= NC_FRAME_DATA_VALIDATED;
	}
	q->stats.rx.packets++;
	q->stats.rx.bytes += e->len;
	if (b->cfg.deliver)
		b->cfg.deliver(b->cfg.deliver_arg, &fr);
	return NETIF_RSP_OKAY;
}

/* Copy every pending frame in one grant-copy call (Linux netback's
 * batched gnttab_copy: one platform call per batch, not per frame), then
 * deliver and answer them in ring order.  While a frame is delivered,
 * req_cons and rsp_prod_pvt stand at its first slot, as without the
 * batch. */
static void tx_flush(struct nc_back *b, struct nc_back_q *q)
{
	const struct nc_grants *g = &b->plat.grants;
	unsigned i, k, n = q->ntxpend;
	int all_ok;

	if (n == 0)
		return;
	all_ok = g->ops->copy(g->ctx, q->segs, q->txpend_segs) == NC_OK;
	/* Every frame's outcome first: a deliver callback may queue toward
	 * the frontend (nc_back_queue), whose RX path reuses segs[]. */
	for (i = 0; i < n; i++) {
		struct nc_back_txpend *e = &q->txpend[i];

		e->ok = 1;
		for (k = 0; !all_ok && k < e->nseg; k++)
			if (q->segs[e->seg + k].status != NC_OK)
				e->ok = 0;
	}
	q->ntxpend = 0;
	q->txpend_segs = 0;
	q->txpend_bytes = 0;
	for (i = 0; i < n; i++)
		tx_answer_pending(q, &q->txpend[i],
				  tx_finish(b, q, &q->txpend[i]));
}

/* tx_queue's answer for a frame that waits for the batch's copy (the
 * NETIF_RSP_* values are -2..1). */
#define TX_QUEUED 2

/* An OK frame at tx_copy[off]: its segments join the batch (flushed first
 * when full), or the status to answer it with now. */
static int tx_queue(struct nc_back *b, struct nc_back_q *q, unsigned off)
{
	const struct nc_tx_parsed *p = &q->parsed;
	struct nc_back_txpend *e;
	unsigned i;
	int n;

	/* A multicast filter update: a dummy request, nothing to send. */
	if (p->nmcast_add || p->nmcast_del)
		return ncb_mcast_update(b, p);
	if (p->total == 0)
		return NETIF_RSP_OKAY;  /* never OK otherwise (a runt) */
	/* GSO we did not offer (cfg.no_gso): dropped, not disabled. */
	if ((p->flags & NC_FRAME_GSO) && b->cfg.no_gso)
		return tx_drop(q, NC_R_BAD_GSO);
	if (!tx_fits(q))
		tx_flush(b, q);
	n = tx_segments(b, q, q->txpend_bytes, q->txpend_segs);
	if (n < 0)
		return tx_drop(q, NC_R_SIZE_CHAIN);
	e = &q->txpend[q->ntxpend++];
	e->off = q->txpend_bytes;
	e->len = p->total;
	e->flags = p->flags;
	e->gso_size = p->gso_size;
	e->gso_type = p->gso_type;
	e->seg = (uint16_t)q->txpend_segs;
	e->nseg = (uint16_t)n;
	e->copy = off;
	e->slots = (uint8_t)p->slots;   /* <= NC_PARSE_MAX_SLOTS (32) */
	e->extra_mask = 0;
	for (i = 0; i < p->slots; i++)
		if (p->is_extra[i])
			e->extra_mask |= 1u << i;
	q->txpend_bytes += p->total;
	q->txpend_segs += (unsigned)n;
	return TX_QUEUED;
}

/* Parse the frame at tx_copy[off]; `left` slots remain.  Anything but a
 * well-formed OK or DROP is FATAL. */
static enum nc_verdict tx_parse_one(struct nc_back_q *q, unsigned off,
				    unsigned left)
{
	struct nc_tx_parsed *p = &q->parsed;
	enum nc_verdict v = nc_tx_parse(&q->tx_copy[off], left,
					NC_TX_MAX_SLOTS, NC_TX_FATAL_SLOTS, p);

	if (v == NC_V_OK || v == NC_V_DROP) {
		/* Invariant: a verdict consumes 1..left slots, so the loop
		 * always moves on and never reads past the private copy. */
		if (p->slots == 0 || p->slots > left ||
		    p->slots > NC_PARSE_MAX_SLOTS) {
			p->reason = NC_R_TRUNCATED;
			return NC_V_FATAL;
		}
		return v;
	}
	if (v != NC_V_FATAL)
		p->reason = NC_R_TRUNCATED;  /* NEED_MORE is RX-only */
	return NC_V_FATAL;
}

/* Parse and answer the frames in tx_copy[0..avail).  -1: disabled. */
static int tx_frames(struct nc_back *b, struct nc_back_q *q, unsigned avail)
{
	unsigned off = 0;

	while (off < avail) {
		enum nc_verdict v = tx_parse_one(q, off, avail - off);
		int16_t status;

		if (v == NC_V_FATAL) {
			tx_flush(b, q);    /* the frames before it are good */
			nc_back_disable(b, q->parsed.reason);
			return -1;
		}
		/* The `rate` key: a frame without credit stays on the ring,
		 * unanswered, until nc_back_next_poll's time. */
		if (v == NC_V_OK && !ncb_rate_admit(b, q, q->parsed.total))
			break;
		status = v == NC_V_OK ? tx_queue(b, q, off)
				      : tx_drop(q, q->parsed.reason);
		off += q->parsed.slots;
		if (status == TX_QUEUED)
			continue;       /* answered by tx_flush */
		/* Answered now, after every frame before it (ring order). */
		tx_flush(b, q);
		tx_answer(q, (int16_t)status);
		q->tx.req_cons += q->parsed.slots;
	}
	tx_flush(b, q);            /* before the round's answers are published */
	return (int)off;        /* avail, or where the rate stopped us */
}

/* One round: every published request.  Slots consumed, or -1. */
static int tx_round(struct nc_back *b, struct nc_back_q *q)
{
	RING_IDX prod;
	unsigned avail, i;
	int rc = NC_BACK_REQUESTS(&q->tx, &prod);

	/* XSA-39/270: a producer index beyond a ring's worth is fatal. */
	if (rc < 0) {
		nc_back_disable(b, NC_R_RING_OVERFLOW);
		return -1;
	}
	avail = (unsigned)rc;   /* <= the ring size: checked just above */
	/* XSA-155: each slot copied out of shared memory once; only the
	 * private copy is parsed and used. */
	for (i = 0; i < avail; i++)
		RING_COPY_REQUEST(&q->tx, q->tx.req_cons + i, &q->tx_copy[i]);
	return tx_frames(b, q, avail);
}

static void tx_publish(struct nc_back_q *q)
{
	if (q->tx.rsp_prod_pvt == q->tx_published)
		return;
	if (NC_BACK_PUBLISH(&q->tx, q->tx_published))
		q->need_notify |= NCB_NOTIFY_TX;
	q->tx_published = q->tx.rsp_prod_pvt;
}

/* XSA-332/391: a bounded number of rounds and slots per call; 1 when work
 * remains for the next call. */
int ncb_tx_work(struct nc_back *b, struct nc_back_q *q)
{
	unsigned round, done = 0;

	for (round = 0; round < NCB_MAX_ROUNDS; round++) {
		int n = tx_round(b, q);

		if (n < 0)
			return 0;
		done += (unsigned)n;
		tx_publish(q);
		if (q->rate.blocked)    /* woken by the clock, not the ring */
			return 0;
		/* Before going idle: ask for an event, look once more (a
		 * busy poller only looks: no event wanted). */
		if (b->cfg.busy_poll ? !NC_BACK_PEEK(&q->tx)
				     : !NC_BACK_FINAL_CHECK(&q->tx))
			return 0;
		if (done >= NCB_TX_BUDGET)
			return 1;
	}
	return 1;
}

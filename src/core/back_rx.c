/*
 * back_rx.c - frames toward the frontend (its RX ring, our "tx" counters)
 * and the bounded queue that holds them until it posts buffers.
 *
 * The queue is a byte ring (caller-provided storage, cfg.rxq_bytes) of
 * contiguous frames plus an entry ring (at most cfg.rxq_frames).  A frame
 * that does not fit is dropped and counted, never kept (XSA-392).
 *
 * Draining: the head frames that fit the buffers the frontend posted go
 * out in one batched grant copy, each chunk of at most a page into one
 * posted buffer at offset 0; each response sits in the same ring slot as
 * its request (Linux netfront relies on it).  When the head frame needs
 * more buffers than are posted we wait for the frontend's event; nothing
 * is dropped for that.
 *
 * GSO: a GSO frame goes whole to a frontend that advertised
 * feature-gso-tcpv4/6 for its type (with feature-sg and checksum
 * offload, IPv6's for TCPv6), its first response flagged
 * NETRXF_extra_info and the GSO extra in the next slot, before the rest
 * of the data (Linux netback's placement: extras go after the first data
 * slot).  To any other frontend it is segmented in software (gso.c) into
 * the queue, one complete-checksum frame per segment.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "csum_offload.h"
#include "netchannel/csum.h"
#include "netchannel/gso.h"

static struct nc_back_rxq_entry *rxq_at(struct nc_back *b, struct nc_back_q *q, unsigned i)
{
	return &q->rxq[(q->rxq_head + i) % b->cfg.rxq_frames];
}

/* Ring slots a frame of len bytes needs; 0 when it can never go (more
 * than a page to a frontend without feature-sg). */
static unsigned rx_slots(const struct nc_back *b, uint32_t len)
{
	if (!b->fe_sg)
		return len <= NC_PAGE_SIZE ? 1u : 0u;
	return (len + NC_PAGE_SIZE - 1) / NC_PAGE_SIZE;
}

/* Extra-info slots a queued frame takes: the GSO one. */
static unsigned rx_extras(uint32_t flags)
{
	return (flags & NC_FRAME_GSO) ? 1u : 0u;
}

/* Ring slots a queued frame needs, its extra included; 0: never. */
static unsigned entry_slots(const struct nc_back *b,
			    const struct nc_back_rxq_entry *e)
{
	unsigned data = rx_slots(b, e->len);

	return data ? data + rx_extras(e->flags) : 0u;
}

/* Whether the frontend takes GSO frames of this type whole: it said so,
 * and it takes frames across pages with partial checksums of that IP
 * version (as Linux, where TSO needs scatter-gather and checksum
 * offload, TSO6 IPv6's). */
static int rx_gso_ok(const struct nc_back *b, uint8_t gso_type)
{
	if (!b->fe_sg || !b->fe_csum_offload)
		return 0;
	if (gso_type == XEN_NETIF_GSO_TYPE_TCPV4)
		return b->fe_gso_tcpv4;
	if (gso_type == XEN_NETIF_GSO_TYPE_TCPV6)
		return b->fe_gso_tcpv6 && b->fe_ipv6_csum;
	return 0;
}

/* Where a frame of len bytes goes in the byte ring: 1 and *off, or 0.
 * Frames are contiguous and in queue order: either one run
 * [head, wr) with free space after it and before head, or wrapped, with
 * free space [wr, head) only. */
static int rxq_place(const struct nc_back *b, const struct nc_back_q *q, uint32_t len, uint32_t *off)
{
	const struct nc_back_rxq_entry *head, *tail;

	if (q->rxq_len >= b->cfg.rxq_frames)
		return 0;
	if (q->rxq_len == 0) {
		*off = 0;
		return len <= q->rxq_size;
	}
	head = &q->rxq[q->rxq_head];
	tail = &q->rxq[(q->rxq_head + q->rxq_len - 1) % b->cfg.rxq_frames];
	if (tail->off >= head->off) {
		if (len <= q->rxq_size - q->rxq_wr) {
			*off = q->rxq_wr;
			return 1;
		}
		*off = 0;
		return len <= head->off;
	}
	*off = q->rxq_wr;
	return len <= head->off - q->rxq_wr;
}

static void rxq_pop(struct nc_back *b, struct nc_back_q *q)
{
	q->rxq_used -= rxq_at(b, q, 0)->len;
	q->rxq_head = (q->rxq_head + 1) % b->cfg.rxq_frames;
	if (--q->rxq_len == 0) {
		q->rxq_head = 0;
		q->rxq_wr = 0;
	}
}

void ncb_rxq_flush(struct nc_back *b, struct nc_back_q *q)
{
	while (q->rxq_len) {
		ncb_count(&q->stats.tx, NC_R_NOT_CONNECTED);
		rxq_pop(b, q);
	}
}

/* Partial checksums the frontend did not accept are completed in our
 * copy: IPv4 unless it wrote feature-no-csum-offload, IPv6 only when it
 * wrote feature-ipv6-csum-offload.  A frontend with no-csum-offload gets
 * full checksums and neither flag, ever.  0, or -1 when the frame has a
 * partial checksum that cannot be completed. */
static int rx_fix_csum(struct nc_back *b, struct nc_back_q *q, uint32_t off, uint32_t len,
		       uint32_t *flags)
{
	const uint8_t *data = q->rxq_data + off;
	unsigned accept = (b->fe_csum_offload ? NC_OFFLOAD_IPV4 : 0u) |
			  (b->fe_ipv6_csum ? NC_OFFLOAD_IPV6 : 0u);
	int complete = b->fe_csum_offload
		? nc_csum_must_complete(data, len, *flags, accept)
		: (*flags & NC_FRAME_CSUM_BLANK) != 0;

	if (complete && nc_csum_complete_frame(q->rxq_data + off, len) != 0)
		return -1;
	if (!b->fe_csum_offload)
		*flags &= ~(uint32_t)(NC_FRAME_CSUM_BLANK |
				      NC_FRAME_DATA_VALIDATED);
	else if (complete)
		*flags = (*flags & ~(uint32_t)NC_FRAME_CSUM_BLANK) |
			 NC_FRAME_DATA_VALIDATED;
	return 0;
}

/* Why a frame of len bytes (extras: its extra-info slots) cannot be
 * queued now, or NC_R_NONE. */
static enum nc_reason rx_refuse(const struct nc_back *b, const struct nc_back_q *q, uint32_t len,
				unsigned extras, uint32_t *off)
{
	if (len == 0)
		return NC_R_RUNT;
	if (len > NC_MAX_FRAME)
		return NC_R_TOO_BIG;
	if (b->state != NC_BACK_CONNECTED)
		return NC_R_NOT_CONNECTED;
	/* A frame (and its extras) that can never fit the ring. */
	if (!rx_slots(b, len) || rx_slots(b, len) + extras > NC_RX_RING_SIZE)
		return NC_R_TOO_BIG;
	/* XSA-392: bounded in frames and bytes. */
	if (!rxq_place(b, q, len, off))
		return NC_R_QUEUE_FULL;
	return NC_R_NONE;
}

int nc_back_can_queue(const struct nc_back *b, uint32_t len)
{
	unsigned i, n = b->nqueues ? b->nqueues : 1u;
	uint32_t off;

	for (i = 0; i < n; i++)
		if (rx_refuse(b, &b->q[i], len, 0, &off) != NC_R_NONE)
			return 0;
	return 1;
}

/* Count a refusal; the error nc_back_queue answers with. */
static int rx_refused(struct nc_back_q *q, enum nc_reason why)
{
	ncb_count(&q->stats.tx, why);
	if (why == NC_R_QUEUE_FULL)
		return NC_ENOSPC;
	return why == NC_R_NOT_CONNECTED ? NC_ENOTCONN : NC_EMSGSIZE;
}

/* Append the frame just written at rxq_data + off to the queue; gso
 * names the GSO frame whose type and size go with it, or is NULL. */
static void rxq_push(struct nc_back *b, struct nc_back_q *q, uint32_t off, uint32_t len,
		     uint32_t flags, const struct nc_frame *gso)
{
	struct nc_back_rxq_entry *e = rxq_at(b, q, q->rxq_len);

	memset(e, 0, sizeof(*e));
	e->off = off;
	e->len = len;
	e->flags = flags;
	if (gso) {
		e->flags |= NC_FRAME_GSO;
		e->gso_size = gso->gso_size;
		e->gso_type = gso->gso_type;
	}
	q->rxq_len++;
	q->rxq_used += len;
	q->rxq_wr = off + len;
}

/* One frame as it is (a GSO frame with its extra: gso != NULL). */
static int rx_queue_one(struct nc_back *b, struct nc_back_q *q, const struct nc_frame *frame,
			const struct nc_frame *gso)
{
	uint32_t off = 0, flags;
	enum nc_reason why = rx_refuse(b, q, frame->len, gso ? 1u : 0u, &off);

	if (why != NC_R_NONE)
		return rx_refused(q, why);
	memcpy(q->rxq_data + off, frame->data, frame->len);
	flags = frame->flags & (NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED);
	if (rx_fix_csum(b, q, off, frame->len, &flags)) {
		ncb_count(&q->stats.tx, NC_R_CSUM);
		return NC_EINVAL;
	}
	rxq_push(b, q, off, frame->len, flags, gso);
	return NC_OK;
}

/* A GSO frame for a frontend that cannot take it whole: each segment
 * written straight into the queue, complete checksums.  When the queue
 * fills, the remaining segments are dropped and counted, one each. */
static int rx_queue_segments(struct nc_back *b, struct nc_back_q *q, const struct nc_frame *frame,
			     const struct nc_gso_plan *plan)
{
	unsigned i;

	for (i = 0; i < plan->nsegs; i++) {
		uint32_t off = 0, len = nc_gso_seg_len(plan, i);
		enum nc_reason why = rx_refuse(b, q, len, 0, &off);
		int rc;

		if (why != NC_R_NONE) {
			rc = rx_refused(q, why);
			while (++i < plan->nsegs)
				ncb_count(&q->stats.tx, why);
			return rc;
		}
		rc = nc_gso_segment(frame->data, frame->len, plan, i,
				    q->rxq_data + off, len);
		if (rc != (int)len) {
			ncb_count(&q->stats.tx, NC_R_BAD_GSO);
			return NC_EINVAL;
		}
		/* Complete checksums: no flag a frontend could misread. */
		rxq_push(b, q, off, len,
			 b->fe_csum_offload ? NC_FRAME_DATA_VALIDATED : 0u,
			 NULL);
	}
	return NC_OK;
}

/* A GSO frame: checked (it may come from another guest through a
 * switch), then whole or segmented as the frontend allows. */
static int rx_queue_gso(struct nc_back *b, struct nc_back_q *q, const struct nc_frame *frame)
{
	struct nc_gso_plan plan;

	if (b->state != NC_BACK_CONNECTED)
		return rx_refused(q, NC_R_NOT_CONNECTED);
	if (nc_gso_plan(frame->data, frame->len, frame->gso_type,
			frame->gso_size, &plan) != NC_OK) {
		ncb_count(&q->stats.tx, NC_R_BAD_GSO);
		return NC_EINVAL;
	}
	if (rx_gso_ok(b, frame->gso_type))
		return rx_queue_one(b, q, frame, frame);
	return rx_queue_segments(b, q, frame, &plan);
}

/* Queue `frame` on q, then send what the frontend has buffers for. */
static int rx_enqueue(struct nc_back *b, struct nc_back_q *q,
		      const struct nc_frame *frame)
{
	int rc;

	if (!frame || (!frame->data && frame->len))
		return NC_EINVAL;
	if ((frame->flags & NC_FRAME_GSO) && frame->len <= NC_MAX_FRAME)
		rc = rx_queue_gso(b, q, frame);
	else
		rc = rx_queue_one(b, q, frame, NULL);
	/* NC_ENOSPC: segments may have gone in before the queue filled. */
	if (rc != NC_OK && rc != NC_ENOSPC)
		return rc;
	ncb_rx_work(b, q);
	ncb_kick(b, q);
	return rc;
}

int nc_back_queue(struct nc_back *b, const struct nc_frame *frame)
{
	unsigned qi = 0;

	if (frame && frame->data && b->nqueues > 1)
		qi = nc_back_pick_queue(b, frame->data, frame->len);
	/* Invariant: a queue in use (pick_queue's mapping entries were
	 * checked against nqueues when set; checked again here, cheaply,
	 * since nqueues may have shrunk at a reconnection). */
	if (qi >= b->nqueues)
		qi = 0;
	return rx_enqueue(b, &b->q[qi], frame);
}

int nc_back_queue_on(struct nc_back *b, unsigned queue,
		     const struct nc_frame *frame)
{
	if (queue >= nc_back_num_queues(b))
		return NC_EINVAL;
	return rx_enqueue(b, &b->q[queue], frame);
}

/* The caller's storage, an equal share per queue in use. */
void ncb_rxq_share(struct nc_back *b)
{
	unsigned i, n = b->nqueues ? b->nqueues : 1u;
	uint32_t share = b->cfg.rxq_bytes / n;

	for (i = 0; i < NC_MAX_QUEUES; i++) {
		struct nc_back_q *q = &b->q[i];

		/* Only empty queues are (re)shared: at init and at a
		 * connection, after release_data_path flushed them. */
		q->rxq_head = 0;
		q->rxq_len = 0;
		q->rxq_used = 0;
		q->rxq_wr = 0;
		q->rxq_data = i < n ? b->rxq_storage + (size_t)i * share : NULL;
		q->rxq_size = i < n ? share : 0;
	}
}

void ncb_rxq_flush_all(struct nc_back *b)
{
	unsigned i;

	for (i = 0; i < NC_MAX_QUEUES; i++)
		ncb_rxq_flush(b, &b->q[i]);
}

/* Drop head frames the frontend can never take. */
static void rx_drop_unsendable(struct nc_back *b, struct nc_back_q *q)
{
	while (q->rxq_len && !entry_slots(b, rxq_at(b, q, 0))) {
		ncb_count(&q->stats.tx, NC_R_TOO_BIG);
		rxq_pop(b, q);
	}
}

/* How many head frames fit `avail` buffers: their slots in *slots, the
 * slots of the first that does not fit in *need. */
static unsigned rx_plan(struct nc_back *b, struct nc_back_q *q, unsigned avail, unsigned *slots,
			unsigned *need)
{
	unsigned n = 0, used = 0;

	*need = 0;
	while (n < q->rxq_len) {
		unsigned s = entry_slots(b, rxq_at(b, q, n));

		if (s == 0 || used + s > avail) {
			*need = s;
			break;
		}
		used += s;
		n++;
	}
	*slots = used;
	return n;
}

/* The buffer (index into rx_copy[], from the frame's first) that data
 * chunk k of frame e goes to: the extras sit between chunks 0 and 1. */
static unsigned rx_chunk_buf(const struct nc_back_rxq_entry *e, unsigned k)
{
	return k == 0 ? 0u : k + rx_extras(e->flags);
}

/* Segments segs[seg..] for frame e's data, one per page, into its
 * buffers rx_copy[first..].  Returns the segments built. */
static unsigned rx_build(struct nc_back *b, struct nc_back_q *q, const struct nc_back_rxq_entry *e,
			 unsigned first, unsigned seg)
{
	uint32_t done = 0;
	unsigned k;

	for (k = 0; done < e->len; k++) {
		struct nc_copy_seg *s = &q->segs[seg + k];
		unsigned buf = first + rx_chunk_buf(e, k);
		uint32_t chunk = e->len - done;

		if (chunk > NC_PAGE_SIZE)
			chunk = NC_PAGE_SIZE;
		memset(s, 0, sizeof(*s));
		s->src.local = q->rxq_data + e->off + done;
		s->dst.foreign.ref = q->rx_copy[buf].gref;
		s->dst.foreign.offset = 0;
		s->dst.foreign.domid = b->fe_domid;
		s->len = (uint16_t)chunk;
		s->flags = NC_COPY_DST_GREF;
		s->status = NC_EIO;
		done += chunk;
	}
	return k;
}

static uint16_t rx_first_flags(uint32_t f)
{
	/* NETRXF_* bits: data_validated is bit 0, csum_blank bit 1 (the
	 * reverse of NETTXF_*).  A partial checksum is also validated. */
	if (f & NC_FRAME_CSUM_BLANK)
		return (uint16_t)(NETRXF_csum_blank | NETRXF_data_validated);
	if (f & NC_FRAME_DATA_VALIDATED)
		return (uint16_t)NETRXF_data_validated;
	return 0;
}

/* The GSO extra-info slot of frame e, stored whole at ring index idx
 * (a response slot reinterpreted, netif.h; no id, no further extras). */
static void rx_gso_extra(struct nc_back_q *q, const struct nc_back_rxq_entry *e,
			 RING_IDX idx)
{
	netif_rx_response_t slot;
	netif_extra_info_t x;

	memset(&slot, 0, sizeof(slot));
	memset(&x, 0, sizeof(x));
	x.type = XEN_NETIF_EXTRA_TYPE_GSO;
	x.u.gso.size = e->gso_size;
	x.u.gso.type = e->gso_type;
	memcpy(&slot, &x, sizeof(x));
	*RING_GET_RESPONSE(&q->rx, idx) = slot;
}

/* Responses for frame e: its data went through segs[seg..], nseg of
 * them, into the buffers rx_copy[first..], its extra (if any) in the
 * slot after the first. */
static void rx_answer(struct nc_back_q *q, const struct nc_back_rxq_entry *e,
		      unsigned first, unsigned seg, unsigned nseg,
		      int all_ok)
{
	unsigned k;
	int bad = 0;

	for (k = 0; k < nseg; k++) {
		const struct nc_copy_seg *s = &q->segs[seg + k];
		unsigned buf = first + rx_chunk_buf(e, k);
		/* Invariant: the response goes at its request's ring index
		 * (req_cons == rsp_prod_pvt at the start of a round). */
		netif_rx_response_t *r =
			RING_GET_RESPONSE(&q->rx, q->rx.req_cons + buf);
		int ok = all_ok || s->status == NC_OK;
		uint16_t flags = k + 1 < nseg ? NETRXF_more_data : 0;

		if (k == 0)
			flags |= rx_first_flags(e->flags);
		if (k == 0 && rx_extras(e->flags))
			flags |= NETRXF_extra_info;
		r->id = q->rx_copy[buf].id;
		r->offset = 0;
		r->flags = flags;
		r->status = ok ? (int16_t)s->len : (int16_t)NETIF_RSP_ERROR;
		bad |= !ok;
	}
	if (rx_extras(e->flags))
		rx_gso_extra(q, e, q->rx.req_cons + first + 1);
	if (bad) {
		ncb_count(&q->stats.tx, NC_R_BAD_GREF);
		return;
	}
	q->stats.tx.packets++;
	q->stats.tx.bytes += e->len;
}

/* Send the planned frames through `slots` buffers. */
static void rx_send(struct nc_back *b, struct nc_back_q *q, unsigned frames, unsigned slots)
{
	const struct nc_grants *g = &b->plat.grants;
	unsigned i, first = 0, nseg = 0, seg;
	int rc;

	/* XSA-155: each request copied out of shared memory once. */
	for (i = 0; i < slots; i++)
		RING_COPY_REQUEST(&q->rx, q->rx.req_cons + i, &q->rx_copy[i]);
	/* Data segments are packed in segs[] (<= slots: extras have none);
	 * buffers follow ring order, extras included. */
	for (i = 0; i < frames; i++) {
		nseg += rx_build(b, q, rxq_at(b, q, i), first, nseg);
		first += entry_slots(b, rxq_at(b, q, i));
	}
	rc = g->ops->copy(g->ctx, q->segs, nseg);
	for (i = 0, first = 0, seg = 0; i < frames; i++) {
		const struct nc_back_rxq_entry *e = rxq_at(b, q, 0);
		unsigned n = rx_slots(b, e->len);

		rx_answer(q, e, first, seg, n, rc == NC_OK);
		first += entry_slots(b, e);
		seg += n;
		rxq_pop(b, q);
	}
	q->rx.req_cons += slots;
	q->rx.rsp_prod_pvt = q->rx.req_cons;
}

/* One round: frames sent (0: none fit), or -1 when disabled.  *avail and
 * *need tell what blocked the head frame. */
static int rx_round(struct nc_back *b, struct nc_back_q *q, unsigned *done, unsigned *avail,
		    unsigned *need)
{
	RING_IDX prod;
	unsigned frames, slots;
	int rc;

	rx_drop_unsendable(b, q);
	if (!q->rxq_len)
		return 0;
	rc = NC_BACK_REQUESTS(&q->rx, &prod);
	/* XSA-39/270: a producer index beyond a ring's worth is fatal. */
	if (rc < 0) {
		ncb_fail(b, &q->stats.tx, NC_R_RING_OVERFLOW,
			 "netback: RX req_prod beyond the ring, vif disabled",
			 (long)NC_R_RING_OVERFLOW);
		return -1;
	}
	*avail = (unsigned)rc;  /* <= the ring size: bounds segs, rx_copy */
	frames = rx_plan(b, q, *avail, &slots, need);
	if (frames)
		rx_send(b, q, frames, slots);
	*done += slots;
	return (int)frames;
}

static void rx_publish(struct nc_back_q *q)
{
	if (q->rx.rsp_prod_pvt == q->rx_published)
		return;
	if (NC_BACK_PUBLISH(&q->rx, q->rx_published))
		q->need_notify |= NCB_NOTIFY_RX;
	q->rx_published = q->rx.rsp_prod_pvt;
}

/* Blocked on buffers: ask for an event once the frontend has posted
 * enough for the head frame (req_event = req_cons + need), then look
 * again.  1 when more arrived meanwhile.  A plain final check (req_cons
 * + 1) would report the too-few buffers already there as new work and
 * spin. */
static int rx_wait(struct nc_back *b, struct nc_back_q *q, unsigned avail, unsigned need)
{
	RING_IDX seen = q->rx.req_cons + avail;

	if (b->cfg.busy_poll)   /* polled again anyway: no event wanted */
		return nc_ring_peek(&q->rx.sring->req_prod, seen);
	return nc_ring_final_check(&q->rx.sring->req_event,
				   &q->rx.sring->req_prod, seen,
				   need > avail ? need - avail : 1);
}

/* XSA-332/391: a bounded number of rounds and slots per call; 1 when work
 * remains for the next call. */
int ncb_rx_work(struct nc_back *b, struct nc_back_q *q)
{
	unsigned round, done = 0;

	for (round = 0; round < NCB_MAX_ROUNDS; round++) {
		unsigned avail = 0, need = 0;
		int n = rx_round(b, q, &done, &avail, &need);

		if (n < 0)
			return 0;
		rx_publish(q);
		if (!q->rxq_len)
			return 0;
		if (n == 0 && !rx_wait(b, q, avail, need))
			return 0;
		if (done >= NCB_RX_BUDGET)
			return 1;
	}
	return 1;
}

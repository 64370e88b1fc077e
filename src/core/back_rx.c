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
 * is dropped for that.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "netchannel/csum.h"

static struct nc_back_rxq_entry *rxq_at(struct nc_back *b, unsigned i)
{
	return &b->rxq[(b->rxq_head + i) % b->cfg.rxq_frames];
}

/* Ring slots a frame of len bytes needs; 0 when it can never go (more
 * than a page to a frontend without feature-sg). */
static unsigned rx_slots(const struct nc_back *b, uint32_t len)
{
	if (!b->fe_sg)
		return len <= NC_PAGE_SIZE ? 1u : 0u;
	return (len + NC_PAGE_SIZE - 1) / NC_PAGE_SIZE;
}

/* Where a frame of len bytes goes in the byte ring: 1 and *off, or 0.
 * Frames are contiguous and in queue order: either one run
 * [head, wr) with free space after it and before head, or wrapped, with
 * free space [wr, head) only. */
static int rxq_place(const struct nc_back *b, uint32_t len, uint32_t *off)
{
	const struct nc_back_rxq_entry *head, *tail;

	if (b->rxq_len >= b->cfg.rxq_frames)
		return 0;
	if (b->rxq_len == 0) {
		*off = 0;
		return len <= b->rxq_size;
	}
	head = &b->rxq[b->rxq_head];
	tail = &b->rxq[(b->rxq_head + b->rxq_len - 1) % b->cfg.rxq_frames];
	if (tail->off >= head->off) {
		if (len <= b->rxq_size - b->rxq_wr) {
			*off = b->rxq_wr;
			return 1;
		}
		*off = 0;
		return len <= head->off;
	}
	*off = b->rxq_wr;
	return len <= head->off - b->rxq_wr;
}

static void rxq_pop(struct nc_back *b)
{
	b->rxq_used -= rxq_at(b, 0)->len;
	b->rxq_head = (b->rxq_head + 1) % b->cfg.rxq_frames;
	if (--b->rxq_len == 0) {
		b->rxq_head = 0;
		b->rxq_wr = 0;
	}
}

void ncb_rxq_flush(struct nc_back *b)
{
	while (b->rxq_len) {
		ncb_count(&b->stats.tx, NC_R_NOT_CONNECTED);
		rxq_pop(b);
	}
}

/* A frontend with feature-no-csum-offload cannot take a partial checksum:
 * complete it in our copy.  0, or -1 when the frame has none to complete. */
static int rx_fix_csum(struct nc_back *b, uint32_t off, uint32_t len,
		       uint32_t *flags)
{
	if (!(*flags & NC_FRAME_CSUM_BLANK) || b->fe_csum_offload)
		return 0;
	if (nc_csum_complete_frame(b->rxq_data + off, len) != 0)
		return -1;
	*flags = NC_FRAME_DATA_VALIDATED;
	return 0;
}

/* Why a frame of len bytes cannot be queued now, or NC_R_NONE. */
static enum nc_reason rx_refuse(const struct nc_back *b, uint32_t len,
				uint32_t *off)
{
	if (len == 0)
		return NC_R_RUNT;
	if (len > NC_MAX_FRAME)
		return NC_R_TOO_BIG;
	if (b->state != NC_BACK_CONNECTED)
		return NC_R_NOT_CONNECTED;
	if (!rx_slots(b, len))
		return NC_R_TOO_BIG;
	/* XSA-392: bounded in frames and bytes. */
	if (!rxq_place(b, len, off))
		return NC_R_QUEUE_FULL;
	return NC_R_NONE;
}

int nc_back_can_queue(const struct nc_back *b, uint32_t len)
{
	uint32_t off;

	return rx_refuse(b, len, &off) == NC_R_NONE;
}

int nc_back_queue(struct nc_back *b, const struct nc_frame *frame)
{
	struct nc_back_rxq_entry *e;
	uint32_t off = 0, flags;
	enum nc_reason why;

	if (!frame || (!frame->data && frame->len))
		return NC_EINVAL;
	why = rx_refuse(b, frame->len, &off);
	if (why != NC_R_NONE) {
		ncb_count(&b->stats.tx, why);
		if (why == NC_R_QUEUE_FULL)
			return NC_ENOSPC;
		return why == NC_R_NOT_CONNECTED ? NC_ENOTCONN : NC_EMSGSIZE;
	}
	memcpy(b->rxq_data + off, frame->data, frame->len);
	flags = frame->flags & (NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED);
	if (rx_fix_csum(b, off, frame->len, &flags)) {
		ncb_count(&b->stats.tx, NC_R_CSUM);
		return NC_EINVAL;
	}
	e = rxq_at(b, b->rxq_len);
	memset(e, 0, sizeof(*e));
	e->off = off;
	e->len = frame->len;
	e->flags = flags;
	b->rxq_len++;
	b->rxq_used += frame->len;
	b->rxq_wr = off + frame->len;
	ncb_rx_work(b);
	ncb_kick(b);
	return NC_OK;
}

/* Drop head frames the frontend can never take. */
static void rx_drop_unsendable(struct nc_back *b)
{
	while (b->rxq_len && !rx_slots(b, rxq_at(b, 0)->len)) {
		ncb_count(&b->stats.tx, NC_R_TOO_BIG);
		rxq_pop(b);
	}
}

/* How many head frames fit `avail` buffers: their slots in *slots, the
 * slots of the first that does not fit in *need. */
static unsigned rx_plan(struct nc_back *b, unsigned avail, unsigned *slots,
			unsigned *need)
{
	unsigned n = 0, used = 0;

	*need = 0;
	while (n < b->rxq_len) {
		unsigned s = rx_slots(b, rxq_at(b, n)->len);

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

/* Segments for frame e into the buffers rx_copy[first..]: one per page. */
static void rx_build(struct nc_back *b, const struct nc_back_rxq_entry *e,
		     unsigned first)
{
	uint32_t done = 0;
	unsigned k;

	for (k = first; done < e->len; k++) {
		struct nc_copy_seg *s = &b->segs[k];
		uint32_t chunk = e->len - done;

		if (chunk > NC_PAGE_SIZE)
			chunk = NC_PAGE_SIZE;
		memset(s, 0, sizeof(*s));
		s->src.local = b->rxq_data + e->off + done;
		s->dst.foreign.ref = b->rx_copy[k].gref;
		s->dst.foreign.offset = 0;
		s->dst.foreign.domid = b->fe_domid;
		s->len = (uint16_t)chunk;
		s->flags = NC_COPY_DST_GREF;
		s->status = NC_EIO;
		done += chunk;
	}
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

/* Responses for frame e, whose n buffers are rx_copy[first..]. */
static void rx_answer(struct nc_back *b, const struct nc_back_rxq_entry *e,
		      unsigned first, unsigned n, int all_ok)
{
	unsigned k;
	int bad = 0;

	for (k = 0; k < n; k++) {
		const struct nc_copy_seg *s = &b->segs[first + k];
		/* Invariant: the response goes at its request's ring index
		 * (req_cons == rsp_prod_pvt at the start of a round). */
		netif_rx_response_t *r =
			RING_GET_RESPONSE(&b->rx, b->rx.req_cons + first + k);
		int ok = all_ok || s->status == NC_OK;

		r->id = b->rx_copy[first + k].id;
		r->offset = 0;
		r->flags = (uint16_t)((k ? 0 : rx_first_flags(e->flags)) |
				      (k + 1 < n ? NETRXF_more_data : 0));
		r->status = ok ? (int16_t)s->len : (int16_t)NETIF_RSP_ERROR;
		bad |= !ok;
	}
	if (bad) {
		ncb_count(&b->stats.tx, NC_R_BAD_GREF);
		return;
	}
	b->stats.tx.packets++;
	b->stats.tx.bytes += e->len;
}

/* Send the planned frames through `slots` buffers. */
static void rx_send(struct nc_back *b, unsigned frames, unsigned slots)
{
	const struct nc_grants *g = &b->plat.grants;
	unsigned i, first = 0;
	int rc;

	/* XSA-155: each request copied out of shared memory once. */
	for (i = 0; i < slots; i++)
		RING_COPY_REQUEST(&b->rx, b->rx.req_cons + i, &b->rx_copy[i]);
	for (i = 0; i < frames; i++) {
		rx_build(b, rxq_at(b, i), first);
		first += rx_slots(b, rxq_at(b, i)->len);
	}
	rc = g->ops->copy(g->ctx, b->segs, slots);
	for (i = 0, first = 0; i < frames; i++) {
		unsigned n = rx_slots(b, rxq_at(b, 0)->len);

		rx_answer(b, rxq_at(b, 0), first, n, rc == NC_OK);
		first += n;
		rxq_pop(b);
	}
	b->rx.req_cons += slots;
	b->rx.rsp_prod_pvt = b->rx.req_cons;
}

/* One round: frames sent (0: none fit), or -1 when disabled.  *avail and
 * *need tell what blocked the head frame. */
static int rx_round(struct nc_back *b, unsigned *done, unsigned *avail,
		    unsigned *need)
{
	RING_IDX prod;
	unsigned frames, slots;
	int rc;

	rx_drop_unsendable(b);
	if (!b->rxq_len)
		return 0;
	rc = NC_BACK_REQUESTS(&b->rx, &prod);
	/* XSA-39/270: a producer index beyond a ring's worth is fatal. */
	if (rc < 0) {
		ncb_fail(b, &b->stats.tx, NC_R_RING_OVERFLOW,
			 "netback: RX req_prod beyond the ring, vif disabled",
			 (long)NC_R_RING_OVERFLOW);
		return -1;
	}
	*avail = (unsigned)rc;  /* <= the ring size: bounds segs, rx_copy */
	frames = rx_plan(b, *avail, &slots, need);
	if (frames)
		rx_send(b, frames, slots);
	*done += slots;
	return (int)frames;
}

static void rx_publish(struct nc_back *b)
{
	if (b->rx.rsp_prod_pvt == b->rx_published)
		return;
	if (NC_BACK_PUBLISH(&b->rx, b->rx_published))
		b->need_notify = 1;
	b->rx_published = b->rx.rsp_prod_pvt;
}

/* Blocked on buffers: ask for an event once the frontend has posted
 * enough for the head frame (req_event = req_cons + need), then look
 * again.  1 when more arrived meanwhile.  A plain final check (req_cons
 * + 1) would report the too-few buffers already there as new work and
 * spin. */
static int rx_wait(struct nc_back *b, unsigned avail, unsigned need)
{
	RING_IDX seen = b->rx.req_cons + avail;

	if (b->cfg.busy_poll)   /* polled again anyway: no event wanted */
		return nc_ring_peek(&b->rx.sring->req_prod, seen);
	return nc_ring_final_check(&b->rx.sring->req_event,
				   &b->rx.sring->req_prod, seen,
				   need > avail ? need - avail : 1);
}

/* XSA-332/391: a bounded number of rounds and slots per call; 1 when work
 * remains for the next call. */
int ncb_rx_work(struct nc_back *b)
{
	unsigned round, done = 0;

	for (round = 0; round < NCB_MAX_ROUNDS; round++) {
		unsigned avail = 0, need = 0;
		int n = rx_round(b, &done, &avail, &need);

		if (n < 0)
			return 0;
		rx_publish(b);
		if (!b->rxq_len)
			return 0;
		if (n == 0 && !rx_wait(b, avail, need))
			return 0;
		if (done >= NCB_RX_BUDGET)
			return 1;
	}
	return 1;
}

/*
 * front_rx.c - netfront's receive path: one granted page per RX ring slot,
 * posted with id = slot index; responses parsed from a private copy;
 * frames copied out of the granted pages before anyone reads them.
 */
#include <string.h>

#include "front_internal.h"
#include "netchannel/parse.h"
#include "netchannel/ring.h"

#define RX_MASK (NC_RX_RING_SIZE - 1)

/* Fill the ring with requests.  A slot's buffer is page (index & mask):
 * at most a ring's worth is outstanding, so a posted page is never one
 * the backend may still be writing for an earlier request, and ids are
 * unique among those outstanding. */
void nc_front_rx_post(struct nc_front_queue *q)
{
	while ((RING_IDX)(q->rx.req_prod_pvt - q->rx.rsp_cons) <
	       NC_RX_RING_SIZE) {
		RING_IDX i = q->rx.req_prod_pvt;
		netif_rx_request_t *req = RING_GET_REQUEST(&q->rx, i);

		req->id = (uint16_t)(i & RX_MASK);
		req->pad = 0;
		req->gref = q->rx_refs[i & RX_MASK];
		q->rx.req_prod_pvt++;
	}
}

static uint32_t rx_flags(uint32_t flags)
{
	return flags & (NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED |
			NC_FRAME_GSO);
}

/* Copy a parsed frame out of the granted pages into frame_buf: from here
 * on the backend can no longer change what the application reads. */
static void rx_assemble(struct nc_front_queue *q, RING_IDX first,
			const struct nc_rx_parsed *p, struct nc_frame *fr)
{
	uint32_t pos = 0;
	unsigned j;

	for (j = 0; j < p->nfrags; j++) {
		const struct nc_rx_frag *fg = &p->frags[j];
		unsigned buf = (unsigned)((first + fg->slot) & RX_MASK);

		memcpy(q->frame_buf + pos,
		       q->rx_bufs + (size_t)buf * NC_PAGE_SIZE + fg->offset,
		       fg->len);
		pos += fg->len;
	}
	fr->data = q->frame_buf;
	fr->len = pos;
	fr->flags = rx_flags(p->flags);
	fr->gso_size = p->gso_size;
	fr->gso_type = p->gso_type;
}

static void rx_count_drop(struct nc_front_queue *q, enum nc_reason why)
{
	nc_front_count_drop(&q->stats.rx, why);
}

/* Parse and deliver frames from `n` copied responses.  Returns the slots
 * consumed; *frames counts frames handled. */
static unsigned rx_frames(struct nc_front *f, struct nc_front_queue *q,
			  unsigned n, unsigned max,
			  struct nc_frame *out, unsigned *frames)
{
	unsigned k = 0;
	struct nc_rx_parsed p;

	while (k < n && *frames < max) {
		RING_IDX first = q->rx.rsp_cons + k;
		enum nc_verdict v = nc_rx_parse(&q->rx_copy[k], n - k, first,
						NC_RX_RING_SIZE,
						f->feat.sg ? NC_MAX_SLOTS : 1,
						&p);

		if (v == NC_V_NEED_MORE)
			break;
		if (v == NC_V_FATAL) {
			nc_front_break(f, p.reason);
			break;
		}
		(*frames)++;
		if (v == NC_V_DROP) {
			rx_count_drop(q, p.reason);
		} else {
			struct nc_frame fr, *dst = out ? out : &fr;

			rx_assemble(q, first, &p, dst);
			q->stats.rx.packets++;
			q->stats.rx.bytes += dst->len;
			if (!out)
				f->cfg.rx(f->cfg.rx_arg, dst);
		}
		k += p.slots;
	}
	return k;
}

int nc_front_rx_process(struct nc_front *f, struct nc_front_queue *q,
			unsigned max_frames,
			struct nc_frame *out)
{
	RING_IDX prod;
	int n = NC_FRONT_RESPONSES(&q->rx, &prod);
	unsigned i, frames = 0, used;

	if (n < 0) {
		nc_front_break(f, NC_R_RING_OVERFLOW);
		return n;
	}
	/* XSA-155: every response is copied once; only copies are parsed. */
	for (i = 0; i < (unsigned)n; i++)
		RING_COPY_RESPONSE(&q->rx, q->rx.rsp_cons + i, &q->rx_copy[i]);
	used = rx_frames(f, q, (unsigned)n, max_frames, out, &frames);
	if (f->state == NC_FRONT_BROKEN)
		return NC_EPROTO;
	q->rx.rsp_cons += used;
	if (used) {
		nc_front_rx_post(q);
		nc_front_notify(f, q);
	}
	return (int)frames;
}

/* One queue: 1 with a frame in *out, 0 when none waits there. */
static int recv_queue(struct nc_front *f, struct nc_front_queue *q,
		      struct nc_frame *out)
{
	for (;;) {
		RING_IDX before = q->rx.rsp_cons;
		uint64_t delivered = q->stats.rx.packets;
		int got = nc_front_rx_process(f, q, 1, out);

		if (got < 0)
			return 0;
		/* Idle: arm the ring's event and look once more, so that a
		 * caller may sleep on the event fd after a 0 (a busy poller
		 * only looks: no event wanted). */
		if (got == 0 && (f->cfg.busy_poll ? !NC_FRONT_PEEK(&q->rx)
						  : !NC_FRONT_FINAL_CHECK(&q->rx)))
			return 0;
		if (got == 0)
			continue;
		if (q->stats.rx.packets != delivered)
			return 1;
		if (q->rx.rsp_cons == before)
			return 0;
		/* a dropped frame: look for the next one */
	}
}

int nc_front_recv(struct nc_front *f, struct nc_frame *out)
{
	unsigned i, n = nc_front_num_queues(f);

	if (f->state != NC_FRONT_CONNECTED && f->state != NC_FRONT_CONNECTING)
		return 0;
	/* The queues in turn, from the one after the last that gave a
	 * frame, so that a busy queue does not starve the others. */
	for (i = 0; i < n; i++) {
		unsigned k = (f->rx_turn + i) % n;

		if (recv_queue(f, &f->q[k], out)) {
			f->rx_turn = k + 1;
			return 1;
		}
		if (f->state == NC_FRONT_BROKEN)
			return 0;
	}
	return 0;
}

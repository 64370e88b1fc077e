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
void nc_front_rx_post(struct nc_front *f)
{
	while ((RING_IDX)(f->rx.req_prod_pvt - f->rx.rsp_cons) <
	       NC_RX_RING_SIZE) {
		RING_IDX i = f->rx.req_prod_pvt;
		netif_rx_request_t *req = RING_GET_REQUEST(&f->rx, i);

		req->id = (uint16_t)(i & RX_MASK);
		req->pad = 0;
		req->gref = f->rx_refs[i & RX_MASK];
		f->rx.req_prod_pvt++;
	}
}

static uint32_t rx_flags(uint32_t flags)
{
	return flags & (NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED |
			NC_FRAME_GSO);
}

/* Copy a parsed frame out of the granted pages into frame_buf: from here
 * on the backend can no longer change what the application reads. */
static void rx_assemble(struct nc_front *f, RING_IDX first,
			const struct nc_rx_parsed *p, struct nc_frame *fr)
{
	uint32_t pos = 0;
	unsigned j;

	for (j = 0; j < p->nfrags; j++) {
		const struct nc_rx_frag *fg = &p->frags[j];
		unsigned buf = (unsigned)((first + fg->slot) & RX_MASK);

		memcpy(f->frame_buf + pos,
		       f->rx_bufs + (size_t)buf * NC_PAGE_SIZE + fg->offset,
		       fg->len);
		pos += fg->len;
	}
	fr->data = f->frame_buf;
	fr->len = pos;
	fr->flags = rx_flags(p->flags);
	fr->gso_size = p->gso_size;
	fr->gso_type = p->gso_type;
}

static void rx_count_drop(struct nc_front *f, enum nc_reason why)
{
	nc_front_count_drop(&f->stats.rx, why);
}

/* Parse and deliver frames from `n` copied responses.  Returns the slots
 * consumed; *frames counts frames handled. */
static unsigned rx_frames(struct nc_front *f, unsigned n, unsigned max,
			  struct nc_frame *out, unsigned *frames)
{
	unsigned k = 0;
	struct nc_rx_parsed p;

	while (k < n && *frames < max) {
		RING_IDX first = f->rx.rsp_cons + k;
		enum nc_verdict v = nc_rx_parse(&f->rx_copy[k], n - k, first,
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
			rx_count_drop(f, p.reason);
		} else {
			struct nc_frame fr, *dst = out ? out : &fr;

			rx_assemble(f, first, &p, dst);
			f->stats.rx.packets++;
			f->stats.rx.bytes += dst->len;
			if (!out)
				f->cfg.rx(f->cfg.rx_arg, dst);
		}
		k += p.slots;
	}
	return k;
}

int nc_front_rx_process(struct nc_front *f, unsigned max_frames,
			struct nc_frame *out)
{
	RING_IDX prod;
	int n = NC_FRONT_RESPONSES(&f->rx, &prod);
	unsigned i, frames = 0, used;

	if (n < 0) {
		nc_front_break(f, NC_R_RING_OVERFLOW);
		return n;
	}
	/* XSA-155: every response is copied once; only copies are parsed. */
	for (i = 0; i < (unsigned)n; i++)
		RING_COPY_RESPONSE(&f->rx, f->rx.rsp_cons + i, &f->rx_copy[i]);
	used = rx_frames(f, (unsigned)n, max_frames, out, &frames);
	if (f->state == NC_FRONT_BROKEN)
		return NC_EPROTO;
	f->rx.rsp_cons += used;
	if (used) {
		nc_front_rx_post(f);
		nc_front_notify(f);
	}
	return (int)frames;
}

int nc_front_recv(struct nc_front *f, struct nc_frame *out)
{
	int got;

	if (f->state != NC_FRONT_CONNECTED && f->state != NC_FRONT_CONNECTING)
		return 0;
	for (;;) {
		RING_IDX before = f->rx.rsp_cons;
		uint64_t delivered = f->stats.rx.packets;

		got = nc_front_rx_process(f, 1, out);
		if (got <= 0)
			return 0;
		if (f->stats.rx.packets != delivered)
			return 1;
		if (f->rx.rsp_cons == before)
			return 0;
		/* a dropped frame: look for the next one */
	}
}

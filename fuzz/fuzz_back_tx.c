/*
 * fuzz_back_tx.c - libFuzzer harness: netback processing a TX ring page
 * written by a hostile frontend.
 *
 * The world is set up once (lazily) and reused: a real nc_back (domain 0)
 * connected over the in-process platform to a hand-driven frontend
 * (domain 1, as tests/test_back.c does it) that granted two ring pages,
 * FBT_NDATA read-only data pages and an event channel.  Each input
 * overwrites the TX shared ring page (its indices and slots) with fuzzed
 * bytes, writes a few fuzzed bytes at the start of every data page, kicks
 * the backend and polls it, checking:
 *
 *   - no crash, no sanitizer report;
 *   - bounded work: one poll consumes at most NCB_TX_BUDGET + a ring's
 *     worth of slots; a poll that says "call again" made progress; and
 *     once the frontend stops producing the backend goes idle;
 *   - responses never beyond what can exist: the backend answers exactly
 *     the slots it consumed (rsp_prod_pvt == req_cons), never more than
 *     the frontend published, each with the id of the request that sat in
 *     that slot (extras: NETIF_RSP_NULL) and a status netif.h allows;
 *   - every delivered frame is what an independent walk of the slots
 *     describes, byte for byte (checksum-completed frames excepted);
 *   - once the vif is disabled, the frontend closes it; afterwards the
 *     backend holds no mapping and no port (XSA-39), and the harness
 *     connects a fresh backend.
 *
 * Input layout (short inputs are zero-extended):
 *   [0]      mode: bits 0-1 req_prod (0: req_cons + slots given,
 *            1: req_cons + [1], 2: raw [1..4], 3: req_cons - [1]);
 *            bit 2: also overwrite rsp_prod, req_event, rsp_event with
 *            [5..16]; bit 3: refill (the deliver callback keeps posting
 *            frames: an endless stream); bit 4: grefs raw (else a gref
 *            below 256 picks, modulo FBT_NDATA + 2, a data page, the TX
 *            ring page, or a never-granted ref); bit 5: need_full_csum
 *            off for the next
 *            backend connected
 *   [1..4]   req_prod parameter
 *   [5..16]  rsp_prod, req_event, rsp_event (bit 2)
 *            bit 6: an RX section follows the data-page bytes
 *   [17]     n: bytes of data-page content that follow
 *   [18..]   n bytes, written at offset 0 of every data page
 *   then     (bit 6) the RX section: [nrx] [nq] [rxmode], nrx 8-byte RX
 *            requests written from the backend's RX req_cons on (a gref
 *            below 256 picks, modulo FBT_NBUF + 3, a buffer page, the RX
 *            ring page itself, a read-only data page or a never-granted
 *            ref), then nq 2-byte lengths of frames the backend queues
 *            for the frontend; the RX req_prod is req_cons + nrx (rxmode
 *            bit 0) or req_cons + 2 * rxmode (anything up to 510)
 *   then     12-byte TX slots, written from req_cons on (at most 256)
 *
 * The RX section checks the backend's other input from the frontend, its
 * RX requests: the queue stays within its bounds (XSA-392), each response
 * sits in its request's slot with that request's id, offset 0, a status
 * of 1..4096 or NETIF_RSP_ERROR, and the frames come out whole, in queue
 * order, each in ceil(len / 4096) slots.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/back_internal.h"
#include "netchannel/back.h"
#include "netchannel/inproc.h"
#include "netchannel/ring.h"

#ifndef FBT_ENTRY
#define FBT_ENTRY LLVMFuzzerTestOneInput
#endif
int FBT_ENTRY(const uint8_t *data, size_t size);

#define FBT_BE "/local/domain/0/backend/vif/1/0"
#define FBT_FE "/local/domain/1/device/vif/0"
#define FBT_NDATA 8u
#define FBT_NBUF 16u
#define FBT_MAX_QUEUE 16u
#define FBT_HDR 18u
#define FBT_MAX_REFILL 1500u
/* Polls an input may take: the stream, then idle. */
#define FBT_MAX_POLLS (FBT_MAX_REFILL + 64u)

#define FBT_REQUIRE(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_back_tx: invariant failed: "  \
				"%s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

struct fbt_world {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *hts, *hbe, *hfe;
	struct nc_platform ts, be, fe;
	struct nc_back *b;
	uint8_t *rxq;
	struct nc_back_config cfg;
	/* the hand-driven frontend */
	uint8_t *rings;
	nc_gref_t ring_refs[2];
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	nc_port_t port;
	int have_port;
	uint8_t *data;
	nc_gref_t data_refs[FBT_NDATA];
	uint8_t *bufs;
	nc_gref_t buf_refs[FBT_NBUF];
	/* RX: the requests as written, and the frames the backend holds
	 * for the frontend, in order (a mirror of its queue) */
	netif_rx_request_t rx_shadow[NC_RX_RING_SIZE];
	RING_IDX rx_checked;
	uint32_t q_len[NC_BACK_RXQ_MAX_FRAMES];
	unsigned q_head, q_n;
	int rx_wild;   /* a request named the RX ring page as a buffer: the
			* backend's copies rewrite the ring, so only the
			* bounds are checked until the next connection */
	/* per input */
	netif_tx_request_t shadow[NC_TX_RING_SIZE]; /* the page as written */
	RING_IDX fe_prod;        /* what the frontend published last */
	RING_IDX checked;        /* responses checked up to here */
	int refill;
	unsigned refills;
	unsigned delivered;
	int need_full_csum;
	unsigned connects;
};

static struct fbt_world *fbt_w;

/* Tests set this to connect a fresh backend before every input, so that
 * an input replays identically whatever ran before it. */
static int fbt_fresh_each_input;

static int fbt_wr(struct nc_platform *p, const char *dir, const char *key,
		  const char *v)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return p->store.ops->write(p->store.ctx, NC_TXN_NONE, path, v);
}

static int fbt_wr_u(struct nc_platform *p, const char *dir, const char *key,
		    unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return fbt_wr(p, dir, key, buf);
}

/* As a toolstack: both directories, owners and permissions. */
static void fbt_toolstack(struct fbt_world *e)
{
	const struct nc_store_ops *s = e->ts.store.ops;
	void *c = e->ts.store.ctx;
	struct nc_store_perm be_perm[] = { { 0, NC_PERM_READ } };
	struct nc_store_perm fe_perm[] = { { 1, NC_PERM_NONE } };

	s->mkdir(c, NC_TXN_NONE, FBT_BE);
	s->set_perms(c, NC_TXN_NONE, FBT_BE, be_perm, 1);
	fbt_wr(&e->ts, FBT_BE, "frontend", FBT_FE);
	fbt_wr(&e->ts, FBT_BE, "frontend-id", "1");
	fbt_wr(&e->ts, FBT_BE, "mac", "00:16:3e:00:00:01");
	fbt_wr(&e->ts, FBT_BE, "handle", "0");
	s->mkdir(c, NC_TXN_NONE, FBT_FE);
	s->set_perms(c, NC_TXN_NONE, FBT_FE, fe_perm, 1);
	fbt_wr(&e->ts, FBT_FE, "backend", FBT_BE);
	fbt_wr(&e->ts, FBT_FE, "backend-id", "0");
	fbt_wr(&e->ts, FBT_FE, "mac", "00:16:3e:00:00:01");
	fbt_wr_u(&e->ts, FBT_FE, "state", XenbusStateInitialising);
}

static void fbt_drain_fe_events(struct fbt_world *e)
{
	nc_port_t p;

	while (e->fe.events.ops->pending(e->fe.events.ctx, &p) > 0)
		;
}

/* An independent walk of the slots from ring index `idx` (the shadow of
 * what the page held): the frame's bytes, or 0 when the harness cannot
 * know them (a grant that is not a data page, sizes that do not add up). */
static int fbt_expect(struct fbt_world *e, RING_IDX idx, uint8_t *out,
		      uint32_t *len)
{
	netif_tx_request_t r0 = e->shadow[idx & (NC_TX_RING_SIZE - 1)];
	netif_tx_request_t pieces[NC_PARSE_MAX_SLOTS];
	unsigned n = 0, i, k;
	uint32_t rest = 0, pos = 0;

	idx++;
	if (r0.flags & NETTXF_extra_info) {
		netif_extra_info_t x;

		do {
			memcpy(&x, &e->shadow[idx & (NC_TX_RING_SIZE - 1)],
			       sizeof(x));
			idx++;
		} while (x.flags & XEN_NETIF_EXTRA_FLAG_MORE);
	}
	pieces[n++] = r0;
	for (k = r0.flags & NETTXF_more_data; k;) {
		netif_tx_request_t r = e->shadow[idx & (NC_TX_RING_SIZE - 1)];

		idx++;
		if (n == NC_PARSE_MAX_SLOTS)
			return 0;
		pieces[n++] = r;
		rest += r.size;
		k = r.flags & NETTXF_more_data;
	}
	if (rest > r0.size)
		return 0;
	pieces[0].size = (uint16_t)(r0.size - rest);
	for (i = 0; i < n; i++) {
		const uint8_t *page = NULL;

		if (pieces[i].size == 0)
			continue;
		for (k = 0; k < FBT_NDATA; k++)
			if (pieces[i].gref == e->data_refs[k])
				page = e->data + (size_t)k * NC_PAGE_SIZE;
		if (!page)
			return 0;
		FBT_REQUIRE((uint32_t)pieces[i].offset + pieces[i].size <=
			    NC_PAGE_SIZE);
		memcpy(out + pos, page + pieces[i].offset, pieces[i].size);
		pos += pieces[i].size;
	}
	*len = pos;
	return 1;
}

/* Responses the backend wrote in [e->checked, upto): each answers the
 * request that sat in its slot. */
static void fbt_check_responses(struct fbt_world *e, RING_IDX upto)
{
	for (; e->checked != upto; e->checked++) {
		netif_tx_response_t r;
		netif_tx_request_t q =
			e->shadow[e->checked & (NC_TX_RING_SIZE - 1)];

		memcpy(&r, RING_GET_RESPONSE(&e->b->q[0].tx, e->checked),
		       sizeof(r));
		FBT_REQUIRE(r.status == NETIF_RSP_OKAY ||
			    r.status == NETIF_RSP_ERROR ||
			    r.status == NETIF_RSP_NULL);
		if (r.status != NETIF_RSP_NULL)
			FBT_REQUIRE(r.id == q.id);
	}
}

static void fbt_deliver(void *arg, const struct nc_frame *f)
{
	static uint8_t want[NC_MAX_FRAME + NC_PAGE_SIZE];
	struct fbt_world *e = arg;
	RING_IDX first = e->b->q[0].tx.req_cons;   /* advanced after delivery */
	uint32_t len;
	unsigned k;

	e->delivered++;
	FBT_REQUIRE(f->len >= 14 && f->len <= NC_MAX_FRAME);
	FBT_REQUIRE(f->data != NULL);
	/* The frame is exactly what its slots describe (a completed
	 * checksum changes bytes in place: not compared). */
	if (!(f->flags & NC_FRAME_DATA_VALIDATED && e->need_full_csum) &&
	    fbt_expect(e, first, want, &len)) {
		FBT_REQUIRE(len == f->len);
		FBT_REQUIRE(memcmp(want, f->data, len) == 0);
	}
	if (!e->refill || e->refills >= FBT_MAX_REFILL)
		return;
	/* The endless stream: answered slots before this frame's are
	 * checked first, so that a new request never hides a response. */
	fbt_check_responses(e, e->b->q[0].tx.rsp_prod_pvt);
	/* Two new frames per frame delivered: the stream grows until the
	 * ring is full, so rounds of a ring's worth hit the budget. */
	for (k = 0; k < 2 && e->refills < FBT_MAX_REFILL; k++) {
		netif_tx_request_t q = {
			.gref = e->data_refs[e->refills % FBT_NDATA],
			.offset = (uint16_t)(e->refills % 64),
			.flags = 0,
			.id = (uint16_t)e->refills,
			.size = (uint16_t)(60 + e->refills % 100),
		};

		if ((RING_IDX)(e->fe_prod - e->checked) >= NC_TX_RING_SIZE)
			return;
		*RING_GET_REQUEST(&e->b->q[0].tx, e->fe_prod) = q;
		e->shadow[e->fe_prod & (NC_TX_RING_SIZE - 1)] = q;
		e->fe_prod++;
		e->refills++;
		nc_ring_store(&e->txs->req_prod, e->fe_prod);
	}
}

/* A fresh backend, and the frontend's keys, until Connected. */
static void fbt_connect(struct fbt_world *e)
{
	unsigned i;

	fbt_drain_fe_events(e);
	if (e->have_port)
		e->fe.events.ops->unbind(e->fe.events.ctx, e->port);
	FBT_REQUIRE(e->fe.events.ops->alloc_unbound(e->fe.events.ctx, 0,
						    &e->port) == NC_OK);
	e->have_port = 1;
	memset(e->rings, 0, 2 * NC_PAGE_SIZE);
	SHARED_RING_INIT(e->txs);
	SHARED_RING_INIT(e->rxs);
	memset(e->shadow, 0, sizeof(e->shadow));
	memset(e->rx_shadow, 0, sizeof(e->rx_shadow));
	e->fe_prod = 0;
	e->checked = 0;
	e->rx_checked = 0;
	e->q_head = e->q_n = 0;
	e->rx_wild = 0;
	fbt_toolstack(e);
	memset(&e->cfg, 0, sizeof(e->cfg));
	e->cfg.path = FBT_BE;
	e->cfg.need_full_csum = e->need_full_csum;
	e->cfg.deliver = fbt_deliver;
	e->cfg.deliver_arg = e;
	FBT_REQUIRE(nc_back_init(e->b, &e->be, &e->cfg, e->rxq) == NC_OK);
	fbt_wr_u(&e->fe, FBT_FE, "tx-ring-ref", e->ring_refs[0]);
	fbt_wr_u(&e->fe, FBT_FE, "rx-ring-ref", e->ring_refs[1]);
	fbt_wr_u(&e->fe, FBT_FE, "event-channel", e->port);
	fbt_wr(&e->fe, FBT_FE, "request-rx-copy", "1");
	fbt_wr(&e->fe, FBT_FE, "feature-rx-notify", "1");
	fbt_wr(&e->fe, FBT_FE, "feature-sg", "1");
	fbt_wr_u(&e->fe, FBT_FE, "state", XenbusStateConnected);
	for (i = 0; i < 4 && nc_back_state(e->b) != NC_BACK_CONNECTED; i++)
		nc_back_poll(e->b);
	FBT_REQUIRE(nc_back_state(e->b) == NC_BACK_CONNECTED);
	e->connects++;
}

/* The frontend closes a disabled (or any) vif: the backend lets go of
 * everything (XSA-39: no leak), then a new one is connected. */
static void fbt_reset(struct fbt_world *e)
{
	struct nc_inproc_counts c;
	unsigned i;

	fbt_wr_u(&e->fe, FBT_FE, "state", XenbusStateClosing);
	fbt_wr_u(&e->fe, FBT_FE, "state", XenbusStateClosed);
	for (i = 0; i < 4 && nc_back_state(e->b) != NC_BACK_CLOSED; i++)
		nc_back_poll(e->b);
	FBT_REQUIRE(nc_back_state(e->b) == NC_BACK_CLOSED);
	nc_back_close(e->b);
	FBT_REQUIRE(nc_back_state(e->b) == NC_BACK_STOPPED);
	nc_inproc_counts(e->w, 0, &c);
	FBT_REQUIRE(c.mappings == 0);
	FBT_REQUIRE(c.ports == 0);
	fbt_connect(e);
}

static struct fbt_world *fbt_world(void)
{
	struct fbt_world *e;
	const struct nc_grant_ops *g;
	unsigned i;

	if (fbt_w)
		return fbt_w;
	e = calloc(1, sizeof(*e));
	FBT_REQUIRE(e != NULL);
	e->w = nc_inproc_world_new();
	FBT_REQUIRE(e->w != NULL);
	e->hts = nc_inproc_open(e->w, 0, &e->ts);
	e->hbe = nc_inproc_open(e->w, 0, &e->be);
	e->hfe = nc_inproc_open(e->w, 1, &e->fe);
	FBT_REQUIRE(e->hts && e->hbe && e->hfe);
	e->b = calloc(1, sizeof(*e->b));
	e->rxq = malloc(1u << 20);
	FBT_REQUIRE(e->b && e->rxq);
	g = e->fe.grants.ops;
	e->rings = g->share(e->fe.grants.ctx, 0, 2, 0, e->ring_refs);
	e->data = g->share(e->fe.grants.ctx, 0, FBT_NDATA, 1, e->data_refs);
	e->bufs = g->share(e->fe.grants.ctx, 0, FBT_NBUF, 0, e->buf_refs);
	FBT_REQUIRE(e->rings && e->data && e->bufs);
	e->txs = (netif_tx_sring_t *)e->rings;
	e->rxs = (netif_rx_sring_t *)(e->rings + NC_PAGE_SIZE);
	for (i = 0; i < FBT_NDATA * NC_PAGE_SIZE; i++)
		e->data[i] = (uint8_t)(i * 7 + (i >> 12) * 13 + 1);
	e->need_full_csum = 1;
	fbt_w = e;
	fbt_connect(e);
	return e;
}

/* RX responses the backend wrote in [e->rx_checked, rsp_prod_pvt): in
 * their requests' slots, whole frames in queue order. */
static void fbt_check_rx(struct fbt_world *e)
{
	RING_IDX end = e->b->q[0].rx.rsp_prod_pvt;

	FBT_REQUIRE((RING_IDX)(end - e->rx_checked) <= NC_RX_RING_SIZE);
	while (e->rx_checked != end) {
		uint32_t len, slots, i;

		FBT_REQUIRE(e->q_n > 0);
		len = e->q_len[e->q_head];
		slots = (len + NC_PAGE_SIZE - 1) / NC_PAGE_SIZE;
		FBT_REQUIRE((RING_IDX)(end - e->rx_checked) >= slots);
		for (i = 0; i < slots; i++, e->rx_checked++) {
			netif_rx_response_t r;
			netif_rx_request_t q = e->rx_shadow[e->rx_checked &
							    (NC_RX_RING_SIZE -
							     1)];
			uint32_t chunk = len - i * NC_PAGE_SIZE;

			if (chunk > NC_PAGE_SIZE)
				chunk = NC_PAGE_SIZE;
			memcpy(&r, RING_GET_RESPONSE(&e->b->q[0].rx, e->rx_checked),
			       sizeof(r));
			FBT_REQUIRE(r.id == q.id);
			FBT_REQUIRE(r.offset == 0);
			FBT_REQUIRE(r.flags == (i + 1 < slots ? NETRXF_more_data
							      : 0));
			FBT_REQUIRE(r.status == NETIF_RSP_ERROR ||
				    r.status == (int16_t)chunk);
		}
		e->q_head = (e->q_head + 1) % NC_BACK_RXQ_MAX_FRAMES;
		e->q_n--;
	}
}

/* The queue toward the frontend never outgrows its bounds (XSA-392). */
static void fbt_check_rxq(struct fbt_world *e)
{
	if (nc_back_state(e->b) != NC_BACK_CONNECTED) {
		e->q_n = 0;             /* flushed */
		return;
	}
	FBT_REQUIRE(e->b->q[0].rxq_len <= e->b->cfg.rxq_frames);
	FBT_REQUIRE(e->b->q[0].rxq_used <= e->b->q[0].rxq_size);
	FBT_REQUIRE((RING_IDX)(e->b->q[0].rx.req_cons - e->b->q[0].rx.rsp_prod_pvt) ==
		    0);
	if (e->rx_wild) {
		e->q_n = e->b->q[0].rxq_len;
		return;
	}
	fbt_check_rx(e);
	FBT_REQUIRE(e->b->q[0].rxq_len == e->q_n);
}

/* The RX section: hostile RX requests, then frames queued for the
 * frontend.  Returns the bytes used. */
static size_t fbt_rx_section(struct fbt_world *e, const uint8_t *p,
			     size_t left)
{
	static uint8_t frame[NC_MAX_FRAME];
	RING_IDX cons = e->b->q[0].rx.req_cons;
	unsigned nrx, nq, i;
	size_t used = 3;

	if (left < 3)
		return left;
	nrx = p[0];
	nq = p[1];
	if (nrx > (left - used) / 8)
		nrx = (unsigned)((left - used) / 8);
	for (i = 0; i < nrx; i++) {
		netif_rx_request_t q;

		memcpy(&q, p + used + (size_t)i * 8, sizeof(q));
		if (q.gref < 256) {
			unsigned pick = q.gref % (FBT_NBUF + 3);

			if (pick < FBT_NBUF)
				q.gref = e->buf_refs[pick];
			else if (pick == FBT_NBUF) {
				q.gref = e->ring_refs[1];
				e->rx_wild = 1;
			}
			else if (pick == FBT_NBUF + 1)
				q.gref = e->data_refs[0];
			else
				q.gref = 9999;
		}
		*RING_GET_REQUEST(&e->b->q[0].rx, cons + i) = q;
	}
	used += (size_t)nrx * 8;
	memcpy(e->rx_shadow, e->rxs->ring, sizeof(e->rx_shadow));
	nc_ring_store(&e->rxs->req_prod,
		      p[2] & 1 ? cons + nrx : cons + 2u * p[2]);
	if (nq > FBT_MAX_QUEUE)
		nq = FBT_MAX_QUEUE;
	if (nq > (left - used) / 2)
		nq = (unsigned)((left - used) / 2);
	for (i = 0; i < nq && nc_back_state(e->b) == NC_BACK_CONNECTED;
	     i++) {
		struct nc_frame fr = { .data = frame };
		int rc;

		fr.len = (uint32_t)(p[used + 2 * i] | p[used + 2 * i + 1] << 8);
		memset(frame, (int)(fr.len & 0xff), fr.len);
		rc = nc_back_queue(e->b, &fr);
		FBT_REQUIRE(rc == NC_OK || rc == NC_ENOSPC ||
			    rc == NC_EMSGSIZE);
		if (rc == NC_OK) {
			FBT_REQUIRE(e->q_n < NC_BACK_RXQ_MAX_FRAMES);
			e->q_len[(e->q_head + e->q_n) %
				 NC_BACK_RXQ_MAX_FRAMES] = fr.len;
			e->q_n++;
		}
		fbt_check_rxq(e);
	}
	used += (size_t)nq * 2;
	return used < left ? used : left;
}

static uint32_t fbt_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Write the fuzzed slots and indices on the page, as a frontend may. */
static RING_IDX fbt_write_page(struct fbt_world *e, const uint8_t *in,
			       const uint8_t *slots, unsigned nslots)
{
	RING_IDX cons = e->b->q[0].tx.req_cons, prod;
	unsigned i;

	for (i = 0; i < nslots; i++) {
		netif_tx_request_t q;

		memcpy(&q, slots + (size_t)i * sizeof(q), sizeof(q));
		/* Small grefs name the frontend's pages; larger values (and
		 * every extra-info slot with a non-zero size or address)
		 * stay as they are. */
		if (!(in[0] & 0x10) && q.gref < 256) {
			unsigned pick = q.gref % (FBT_NDATA + 2);

			if (pick < FBT_NDATA)
				q.gref = e->data_refs[pick];
			else if (pick == FBT_NDATA)
				q.gref = e->ring_refs[0];
			else
				q.gref = 9999;   /* never granted */
		}
		*RING_GET_REQUEST(&e->b->q[0].tx, cons + i) = q;
	}
	switch (in[0] & 3) {
	case 0:
		prod = cons + nslots;
		break;
	case 1:
		prod = cons + in[1];
		break;
	case 2:
		prod = fbt_le32(in + 1);
		break;
	default:
		prod = cons - in[1];
		break;
	}
	if (in[0] & 4) {
		e->txs->rsp_prod = fbt_le32(in + 5);
		e->txs->req_event = fbt_le32(in + 9);
		e->txs->rsp_event = fbt_le32(in + 13);
	}
	/* What the backend will find there, for the checks. */
	memcpy(e->shadow, e->txs->ring, sizeof(e->shadow));
	nc_ring_store(&e->txs->req_prod, prod);
	return prod;
}

int FBT_ENTRY(const uint8_t *data, size_t size)
{
	uint8_t in[FBT_HDR] = { 0 };
	struct fbt_world *e = fbt_world();
	RING_IDX rsp0, prod;
	const uint8_t *payload, *slots;
	unsigned npay, nslots, polls, i;
	int more = 1;

	memcpy(in, data, size < FBT_HDR ? size : FBT_HDR);
	if (fbt_fresh_each_input || nc_back_state(e->b) != NC_BACK_CONNECTED)
		fbt_reset(e);
	payload = size > FBT_HDR ? data + FBT_HDR : NULL;
	npay = payload ? in[17] : 0;
	if (npay > size - FBT_HDR)
		npay = (unsigned)(size - FBT_HDR);
	slots = payload ? payload + npay : NULL;
	if (slots && (in[0] & 0x40))
		slots += fbt_rx_section(e, slots, size - FBT_HDR - npay);
	nslots = slots ? (unsigned)((size_t)(data + size - slots) /
				    sizeof(netif_tx_request_t)) : 0;
	if (nslots > NC_TX_RING_SIZE)
		nslots = NC_TX_RING_SIZE;
	for (i = 0; i < FBT_NDATA && npay; i++)
		memcpy(e->data + (size_t)i * NC_PAGE_SIZE, payload, npay);

	e->refill = (in[0] & 8) != 0;
	e->refills = 0;
	e->delivered = 0;
	rsp0 = e->b->q[0].tx.rsp_prod_pvt;
	e->checked = rsp0;
	prod = fbt_write_page(e, in, slots, nslots);
	e->fe_prod = prod;

	e->fe.events.ops->notify(e->fe.events.ctx, e->port);
	for (polls = 0; polls < FBT_MAX_POLLS && more; polls++) {
		RING_IDX cons = e->b->q[0].tx.req_cons;
		unsigned before = e->delivered;

		more = nc_back_poll(e->b);
		/* No livelock: "call again" only after real progress. */
		FBT_REQUIRE(!more || e->b->q[0].tx.req_cons != cons ||
			    nc_back_state(e->b) != NC_BACK_CONNECTED);
		/* XSA-332/391: bounded work per call. */
		FBT_REQUIRE((RING_IDX)(e->b->q[0].tx.req_cons - cons) <=
			    NCB_TX_BUDGET + NC_TX_RING_SIZE);
		FBT_REQUIRE(e->delivered - before <=
			    NCB_TX_BUDGET + NC_TX_RING_SIZE);
		if (nc_back_state(e->b) != NC_BACK_CONNECTED)
			break;
		/* Responses never beyond what can exist. */
		FBT_REQUIRE(e->b->q[0].tx.rsp_prod_pvt == e->b->q[0].tx.req_cons);
		FBT_REQUIRE((RING_IDX)(e->b->q[0].tx.rsp_prod_pvt - rsp0) <=
			    (RING_IDX)(e->fe_prod - rsp0));
		fbt_check_responses(e, e->b->q[0].tx.rsp_prod_pvt);
		FBT_REQUIRE(e->txs->rsp_prod == e->b->q[0].tx.rsp_prod_pvt ||
			    e->b->q[0].tx.rsp_prod_pvt == rsp0);
		fbt_check_rxq(e);
	}
	/* No hang: the backend went idle (or disabled the vif). */
	FBT_REQUIRE(!more || nc_back_state(e->b) != NC_BACK_CONNECTED);
	FBT_REQUIRE(e->delivered <= (RING_IDX)(e->b->q[0].tx.req_cons - rsp0) ||
		    nc_back_state(e->b) != NC_BACK_CONNECTED);
	if (nc_back_state(e->b) != NC_BACK_CONNECTED) {
		/* Disabled: later events and requests are ignored. */
		RING_IDX rsp = e->txs->rsp_prod;

		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
		FBT_REQUIRE(nc_back_poll(e->b) == 0);
		FBT_REQUIRE(e->txs->rsp_prod == rsp);
		/* Next backend: need_full_csum as the input says. */
		e->need_full_csum = !(in[0] & 0x20);
		fbt_reset(e);
	}
	fbt_drain_fe_events(e);
	return 0;
}

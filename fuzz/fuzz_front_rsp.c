/*
 * fuzz_front_rsp.c - libFuzzer harness: netfront processing RX and TX
 * response ring pages written by a hostile backend.
 *
 * The world is set up once (lazily) and reused: a real nc_front (domain
 * 1) and a hand-written backend (domain 0) that does the handshake itself,
 * maps the two ring pages and binds the event channel, as
 * tests/test_front_hostile.c does.  Each input is a list of 6-byte
 * commands: the frontend sends frames, the hostile backend writes TX and
 * RX responses and extra-info slots of its choosing (ids right, reordered,
 * repeated or made up; any status, offset and flags), publishes its
 * producers honestly or not, scribbles anywhere on either ring page, and
 * kicks the frontend.  Checked after every poll and at the end:
 *
 *   - no crash, no sanitizer report, the poll returns;
 *   - the frontend is Connected or has disabled itself (Broken), nothing
 *     else;
 *   - TX bookkeeping is consistent: free ids + busy slots + first ids
 *     held by frames still owed responses == ring size,
 *     the pool's in-flight blocks are exactly those of the frames still
 *     owed a response, no block is held by a writer, and poison mode
 *     never found a stale byte (MSA01); every view handed to a writer is
 *     zero;
 *   - RX: never more than a ring of buffers posted; every frame delivered
 *     is 1..65535 bytes in the frontend's private buffer;
 *   - when the frontend broke (or every few inputs), the backend lets go
 *     and the frontend tears down: no grant, port or quarantined page is
 *     left (XSA-396), and it reconnects.
 *
 * Input: [0] bit 0: the backend offers no feature-sg (a new connection
 * when that changes); then
 * commands of 6 bytes [op a b c d e] (see ffr_command).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/front_internal.h"
#include "netchannel/front.h"
#include "netchannel/inproc.h"
#include "netchannel/ring.h"
#include "netchannel/toolstack.h"

#ifndef FFR_ENTRY
#define FFR_ENTRY LLVMFuzzerTestOneInput
#endif
int FFR_ENTRY(const uint8_t *data, size_t size);

#define FFR_FE 1
#define FFR_BE 0
#define FFR_POOL_PAGES 16u
#define FFR_MAX_COMMANDS 512u

#define FFR_REQUIRE(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_front_rsp: invariant failed: "\
				"%s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

struct ffr_world {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *th, *fh, *bh;
	struct nc_platform tool, fplat, bplat;
	struct nc_front *f;
	struct nc_front_config fcfg;
	char fe_path[64], be_path[64];
	/* the hostile backend */
	void *txp, *rxp;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	nc_port_t port;
	int have_port;
	int no_sg;
	/* per input */
	unsigned delivered;
};

static struct ffr_world *ffr_w;
static int ffr_fresh_each_input;   /* tests: reconnect before each input */

static void ffr_rx(void *arg, const struct nc_frame *fr)
{
	struct ffr_world *e = arg;

	e->delivered++;
	FFR_REQUIRE(fr->len >= 1 && fr->len <= NC_MAX_FRAME);
	/* Private memory: the frontend's own buffer, never a granted page
	 * the backend could still write. */
	FFR_REQUIRE(fr->data == e->f->q[0].frame_buf);
}

static unsigned ffr_read_key(struct ffr_world *e, const char *key)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "%s/%s", e->fe_path, key);
	if (e->bplat.store.ops->read(e->bplat.store.ctx, 0, path, v,
				     sizeof(v)) < 0)
		return 0;
	return (unsigned)strtoul(v, NULL, 10);
}

static void ffr_be_write(struct ffr_world *e, const char *key, const char *v)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", e->be_path, key);
	e->bplat.store.ops->write(e->bplat.store.ctx, 0, path, v);
}

static void ffr_be_state(struct ffr_world *e, int state)
{
	char v[4];

	snprintf(v, sizeof(v), "%d", state);
	ffr_be_write(e, "state", v);
}

static void ffr_drain_be_events(struct ffr_world *e)
{
	nc_port_t p;

	while (e->bplat.events.ops->pending(e->bplat.events.ctx, &p) > 0)
		;
}

/* The backend's half of the handshake, by hand. */
static void ffr_be_connect(struct ffr_world *e)
{
	nc_gref_t ref;
	unsigned i;

	ffr_be_write(e, "feature-rx-copy", "1");
	ffr_be_write(e, "feature-sg", e->no_sg ? "0" : "1");
	ffr_be_state(e, XenbusStateInitWait);
	for (i = 0; i < 5 && ffr_read_key(e, "state") !=
			     XenbusStateConnected; i++)
		nc_front_poll(e->f);
	FFR_REQUIRE(ffr_read_key(e, "state") == XenbusStateConnected);
	ref = ffr_read_key(e, "tx-ring-ref");
	e->txp = e->bplat.grants.ops->map(e->bplat.grants.ctx, FFR_FE, 1,
					  &ref, 1);
	ref = ffr_read_key(e, "rx-ring-ref");
	e->rxp = e->bplat.grants.ops->map(e->bplat.grants.ctx, FFR_FE, 1,
					  &ref, 1);
	FFR_REQUIRE(e->txp && e->rxp);
	FFR_REQUIRE(e->bplat.events.ops->bind_interdomain(
			    e->bplat.events.ctx, FFR_FE,
			    ffr_read_key(e, "event-channel"),
			    &e->port) == NC_OK);
	e->have_port = 1;
	BACK_RING_INIT(&e->tx, (netif_tx_sring_t *)e->txp, NC_PAGE_SIZE);
	BACK_RING_INIT(&e->rx, (netif_rx_sring_t *)e->rxp, NC_PAGE_SIZE);
	ffr_be_state(e, XenbusStateConnected);
	for (i = 0; i < 3 && nc_front_state(e->f) != NC_FRONT_CONNECTED; i++)
		nc_front_poll(e->f);
	FFR_REQUIRE(nc_front_state(e->f) == NC_FRONT_CONNECTED);
}

/* The backend lets go of everything and leaves; the frontend must then
 * hold nothing (XSA-396: nothing quarantined, since nothing is mapped);
 * then a new connection. */
static void ffr_reset(struct ffr_world *e)
{
	struct nc_inproc_counts c;
	unsigned i;

	if (e->txp)
		e->bplat.grants.ops->unmap(e->bplat.grants.ctx, e->txp, 1);
	if (e->rxp)
		e->bplat.grants.ops->unmap(e->bplat.grants.ctx, e->rxp, 1);
	e->txp = e->rxp = NULL;
	if (e->have_port)
		e->bplat.events.ops->unbind(e->bplat.events.ctx, e->port);
	e->have_port = 0;
	ffr_be_state(e, XenbusStateClosing);
	ffr_be_state(e, XenbusStateClosed);
	for (i = 0; i < 4 && nc_front_state(e->f) != NC_FRONT_CLOSED; i++)
		nc_front_poll(e->f);
	FFR_REQUIRE(nc_front_state(e->f) == NC_FRONT_CLOSED);
	FFR_REQUIRE(e->f->quarantined_pages == 0);
	nc_inproc_counts(e->w, FFR_FE, &c);
	FFR_REQUIRE(c.grants == 0 && c.ports == 0 && c.mappings == 0);
	ffr_drain_be_events(e);
	ffr_be_connect(e);
}

static struct ffr_world *ffr_world(void)
{
	struct ffr_world *e;
	struct nc_vif_spec spec = {
		.fe_domid = FFR_FE, .be_domid = FFR_BE, .handle = 0,
		.mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 },
	};

	if (ffr_w)
		return ffr_w;
	e = calloc(1, sizeof(*e));
	FFR_REQUIRE(e != NULL);
	e->w = nc_inproc_world_new();
	FFR_REQUIRE(e->w != NULL);
	e->th = nc_inproc_open(e->w, 0, &e->tool);
	e->fh = nc_inproc_open(e->w, FFR_FE, &e->fplat);
	e->bh = nc_inproc_open(e->w, FFR_BE, &e->bplat);
	e->f = calloc(1, sizeof(*e->f));
	FFR_REQUIRE(e->th && e->fh && e->bh && e->f);
	nc_vif_paths(FFR_FE, FFR_BE, 0, e->fe_path, e->be_path);
	FFR_REQUIRE(nc_vif_add(&e->tool.store, &spec) == NC_OK);
	e->fcfg.path = "device/vif/0";
	e->fcfg.poison = 1;
	e->fcfg.pool_pages = FFR_POOL_PAGES;
	e->fcfg.rx = ffr_rx;
	e->fcfg.rx_arg = e;
	FFR_REQUIRE(nc_front_init(e->f, &e->fplat, &e->fcfg) == NC_OK);
	ffr_w = e;
	ffr_be_connect(e);
	return e;
}

/* --------------------------------------------------------- invariants */

static void ffr_check(struct ffr_world *e)
{
	struct nc_front *f = e->f;
	unsigned i, busy = 0, held = 0, owed_blocks = 0;

	FFR_REQUIRE(f->state == NC_FRONT_CONNECTED ||
		    f->state == NC_FRONT_BROKEN);
	FFR_REQUIRE(f->q[0].nfree_ids <= NC_TX_RING_SIZE);
	for (i = 0; i < NC_TX_RING_SIZE; i++) {
		busy += f->q[0].slot_busy[i] != 0;
		if (f->q[0].frames[i].in_use) {
			FFR_REQUIRE(f->q[0].frames[i].slots_left >= 1);
			owed_blocks += f->q[0].frames[i].view.nblocks;
			/* a frame's first id is held until it completes */
			held += !f->q[0].slot_busy[i];
		}
	}
	FFR_REQUIRE(busy + held + f->q[0].nfree_ids == NC_TX_RING_SIZE);
	FFR_REQUIRE(f->q[0].pool.stats.taken_blocks == 0);
	FFR_REQUIRE(f->q[0].pool.stats.inflight_blocks == owed_blocks);
	FFR_REQUIRE(f->q[0].pool.stats.free_blocks + f->q[0].pool.stats.inflight_blocks
		    == f->q[0].pool.nblocks);
	FFR_REQUIRE(f->q[0].pool.stats.poison_violations == 0);
	FFR_REQUIRE((RING_IDX)(f->q[0].rx.req_prod_pvt - f->q[0].rx.rsp_cons) <=
		    NC_RX_RING_SIZE);
	FFR_REQUIRE((RING_IDX)(f->q[0].tx.req_prod_pvt - f->q[0].tx.rsp_cons) <=
		    NC_TX_RING_SIZE);
}

static void ffr_kick(struct ffr_world *e)
{
	uint64_t before = e->f->q[0].stats.rx.packets;

	if (e->have_port)
		e->bplat.events.ops->notify(e->bplat.events.ctx, e->port);
	nc_front_poll(e->f);
	/* Bounded work: at most the poll budget of each of its rounds. */
	FFR_REQUIRE(e->f->q[0].stats.rx.packets - before <=
		    4u * NC_FRONT_POLL_BUDGET);
	ffr_drain_be_events(e);
	ffr_check(e);
}

/* ---------------------------------------------------------- commands */

struct ffr_fill {
	size_t used;
	uint8_t seed;
};

static size_t ffr_fill_cb(void *ctx, uint8_t *buf, size_t size)
{
	struct ffr_fill *x = ctx;
	size_t i, n = x->used < size ? x->used : size;

	/* MSA01: every byte handed to the writer is zero. */
	for (i = 0; i < size; i++)
		FFR_REQUIRE(buf[i] == 0);
	for (i = 0; i < n; i++)
		buf[i] = (uint8_t)(x->seed + i);
	return n;
}

static void ffr_send(struct ffr_world *e, const uint8_t *c)
{
	static uint8_t frame[NC_MAX_FRAME];
	size_t len = ((size_t)c[1] | (size_t)c[2] << 8) % 12000u + 1u;
	uint32_t flags = c[3] & (NC_FRAME_CSUM_BLANK |
				 NC_FRAME_DATA_VALIDATED);

	if (c[4] & 1) {
		struct ffr_fill x = { .seed = c[5] };

		/* A writer that uses less than it asked for (or nothing). */
		x.used = c[4] & 2 ? len - (c[5] % (len + 1)) : len;
		nc_front_write(e->f, len, ffr_fill_cb, &x, flags);
	} else {
		struct nc_iov iov[2];

		memset(frame, c[5], len);
		iov[0].base = frame;
		iov[0].len = len / 2;
		iov[1].base = frame + len / 2;
		iov[1].len = len - len / 2;
		nc_front_send(e->f, iov, 2, flags);
	}
}

static uint16_t ffr_req_id(struct ffr_world *e, RING_IDX idx)
{
	netif_tx_request_t q;

	memcpy(&q, RING_GET_REQUEST(&e->tx, idx), sizeof(q));
	return q.id;
}

static void ffr_tx_response(struct ffr_world *e, const uint8_t *c)
{
	RING_IDX i = e->tx.rsp_prod_pvt;
	netif_tx_response_t *r = RING_GET_RESPONSE(&e->tx, i);
	uint16_t raw = (uint16_t)(c[3] | c[4] << 8);
	uint16_t id;
	int16_t st;

	switch (c[2] & 3) {
	case 0:
		id = ffr_req_id(e, i);                   /* in order */
		break;
	case 1:
		id = ffr_req_id(e, i + c[1] % 8);        /* reordered */
		break;
	case 2:
		id = raw;                                /* made up */
		break;
	default:
		id = ffr_req_id(e, i - 1 - c[1] % 4);    /* answered again */
		break;
	}
	switch (c[5] % 8) {
	case 4:
		st = NETIF_RSP_ERROR;
		break;
	case 5:
		st = NETIF_RSP_DROPPED;
		break;
	case 6:
		st = NETIF_RSP_NULL;
		break;
	case 7:
		st = (int16_t)raw;
		break;
	default:
		st = NETIF_RSP_OKAY;
		break;
	}
	r->id = id;
	r->status = st;
	e->tx.rsp_prod_pvt++;
}

static void ffr_rx_response(struct ffr_world *e, const uint8_t *c)
{
	RING_IDX i = e->rx.rsp_prod_pvt;
	netif_rx_response_t r;
	uint16_t raw = (uint16_t)(c[3] | c[4] << 8);

	r.id = c[2] & 1 ? (uint16_t)c[3] : (uint16_t)(i & (NC_RX_RING_SIZE
							   - 1));
	r.offset = (uint16_t)(c[1] | (c[2] >> 1 & 0xf) << 8);
	switch (c[5] & 3) {
	case 0:
		r.status = (int16_t)(raw % (NC_PAGE_SIZE + 1));
		break;
	case 1:
		r.status = (int16_t)raw;
		break;
	case 2:
		r.status = (int16_t)(-1 - (int)(c[3] & 1));
		break;
	default:
		r.status = (int16_t)(1 + c[3] % 64);
		r.offset = 0;
		break;
	}
	r.flags = (uint16_t)((c[5] >> 2) & 0x1f);
	*RING_GET_RESPONSE(&e->rx, i) = r;
	e->rx.rsp_prod_pvt++;
}

static void ffr_rx_extra(struct ffr_world *e, const uint8_t *c)
{
	netif_extra_info_t x;

	memset(&x, 0, sizeof(x));
	x.type = (uint8_t)(c[1] % 6);
	x.flags = (uint8_t)(c[2] & 1);
	x.u.gso.size = (uint16_t)(c[3] | c[4] << 8);
	x.u.gso.type = (uint8_t)(c[5] % 4);
	memcpy(RING_GET_RESPONSE(&e->rx, e->rx.rsp_prod_pvt), &x, sizeof(x));
	e->rx.rsp_prod_pvt++;
}

static RING_IDX ffr_index(RING_IDX pvt, const uint8_t *c)
{
	switch (c[1] & 3) {
	case 0:
		return pvt;                              /* honest */
	case 1:
		return pvt + c[2];                       /* beyond */
	case 2:
		return (RING_IDX)c[2] | (RING_IDX)c[3] << 8 |
		       (RING_IDX)c[4] << 16 | (RING_IDX)c[5] << 24;
	default:
		return pvt - c[2];                       /* backwards */
	}
}

static void ffr_command(struct ffr_world *e, const uint8_t *c)
{
	switch (c[0] % 8) {
	case 0:
		ffr_send(e, c);
		ffr_check(e);
		break;
	case 1:
		ffr_tx_response(e, c);
		break;
	case 2:
		ffr_rx_response(e, c);
		break;
	case 3:
		ffr_rx_extra(e, c);
		break;
	case 4:
		nc_ring_store(&e->tx.sring->rsp_prod,
			      ffr_index(e->tx.rsp_prod_pvt, c));
		break;
	case 5:
		nc_ring_store(&e->rx.sring->rsp_prod,
			      ffr_index(e->rx.rsp_prod_pvt, c));
		break;
	case 6:
		ffr_kick(e);
		break;
	default: {
		/* Scribble 4 bytes anywhere on either ring page. */
		uint8_t *page = c[1] & 1 ? e->rxp : e->txp;
		size_t off = ((size_t)c[1] >> 1 | (size_t)c[2] << 7) %
			     (NC_PAGE_SIZE - 3);

		memcpy(page + off, c + 2, 4);
		break;
	}
	}
}

int FFR_ENTRY(const uint8_t *data, size_t size)
{
	struct ffr_world *e = ffr_world();
	size_t pos;
	unsigned n = 0;

	if (ffr_fresh_each_input ||
	    nc_front_state(e->f) != NC_FRONT_CONNECTED ||
	    e->no_sg != (size > 0 && (data[0] & 1))) {
		e->no_sg = size > 0 && (data[0] & 1);
		ffr_reset(e);
	}
	e->delivered = 0;
	for (pos = 1; pos + 6 <= size && n < FFR_MAX_COMMANDS; pos += 6) {
		ffr_command(e, data + pos);
		n++;
	}
	/* The backend publishes what it wrote, then the last kick. */
	nc_ring_store(&e->tx.sring->rsp_prod, e->tx.rsp_prod_pvt);
	nc_ring_store(&e->rx.sring->rsp_prod, e->rx.rsp_prod_pvt);
	ffr_kick(e);
	ffr_kick(e);
	if (nc_front_state(e->f) != NC_FRONT_CONNECTED) {
		/* Broken: disabled for good, and quiet. */
		uint64_t in = e->f->q[0].stats.rx.packets;

		ffr_kick(e);
		FFR_REQUIRE(e->f->q[0].stats.rx.packets == in);
		e->no_sg = size > 0 && (data[0] & 1);
		ffr_reset(e);
	}
	return 0;
}

/*
 * test_back.c - netback over the in-process platform, driven by a
 * hand-written minimal frontend: the test writes the toolstack's keys (as
 * domain 0), plays the frontend (domain 1: grants its rings and pages,
 * allocates its port, posts requests) and checks what the backend does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netchannel/back.h"
#include "netchannel/csum.h"
#include "netchannel/inproc.h"
#include "netchannel/ring.h"

#define BE "/local/domain/0/backend/vif/1/0"
#define FE "/local/domain/1/device/vif/0"
#define NDATA 24        /* read-only data pages the frontend sends from */
#define NBUF 32         /* writable pages it posts as RX buffers */

struct env {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *hts, *hbe, *hfe;
	struct nc_platform ts, be, fe;   /* toolstack, backend, frontend */
	struct nc_back *b;
	uint8_t *rxq;
	struct nc_back_config cfg;
	/* the frontend */
	uint8_t *rings;
	nc_gref_t ring_refs[2];
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	netif_tx_front_ring_t ftx;
	netif_rx_front_ring_t frx;
	nc_port_t port;
	uint8_t *data;
	nc_gref_t data_refs[NDATA];
	uint8_t *bufs;
	nc_gref_t buf_refs[NBUF];
	/* what the backend handed us */
	unsigned ndeliv;
	uint8_t got[NC_MAX_FRAME + 1];
	uint32_t got_len, got_flags;
	uint16_t got_gso;
	unsigned nlog;
	long log_value;
	int refill;     /* on_deliver posts another frame: an endless stream */
};

static void tx_req(struct env *e, nc_gref_t gref, uint16_t off,
		   uint16_t flags, uint16_t id, uint16_t size);

/* ------------------------------------------------------------ callbacks */

static void on_deliver(void *arg, const struct nc_frame *f)
{
	struct env *e = arg;

	e->ndeliv++;
	memcpy(e->got, f->data, f->len);
	e->got_len = f->len;
	e->got_flags = f->flags;
	e->got_gso = f->gso_size;
	/* Each frame here used one slot, and the backend answers a slot
	 * after delivering it: slots before this frame's are answered
	 * (not yet published), so one of them can carry a new request
	 * without clobbering an unread one. */
	if (e->refill && e->ftx.req_prod_pvt < e->ndeliv + 255) {
		tx_req(e, e->data_refs[0], 0, 0, (uint16_t)e->ndeliv, 60);
		RING_PUSH_REQUESTS(&e->ftx);
	}
}

static void on_log(void *arg, const char *what, long value)
{
	struct env *e = arg;

	e->nlog++;
	e->log_value = value;
	tap_diag("backend log: %s %ld", what, value);
}

/* ------------------------------------------------------- store helpers */

static int rd(struct nc_platform *p, const char *dir, const char *key,
	      char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return p->store.ops->read(p->store.ctx, NC_TXN_NONE, path, buf, len);
}

static int wr(struct nc_platform *p, const char *dir, const char *key,
	      const char *v)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return p->store.ops->write(p->store.ctx, NC_TXN_NONE, path, v);
}

static int wr_u(struct nc_platform *p, const char *dir, const char *key,
		unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return wr(p, dir, key, buf);
}

/* The backend's state in the store; -1 when the node is gone. */
static int be_state(struct env *e)
{
	char buf[16];

	if (rd(&e->ts, BE, "state", buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

/* As a toolstack: both directories, owners and permissions. */
static void toolstack(struct env *e, int fe_state)
{
	const struct nc_store_ops *s = e->ts.store.ops;
	void *c = e->ts.store.ctx;
	struct nc_store_perm be_perm[] = { { 0, NC_PERM_READ } };
	struct nc_store_perm fe_perm[] = { { 1, NC_PERM_NONE } };

	s->mkdir(c, NC_TXN_NONE, BE);
	s->set_perms(c, NC_TXN_NONE, BE, be_perm, 1);
	wr(&e->ts, BE, "frontend", FE);
	wr(&e->ts, BE, "frontend-id", "1");
	wr(&e->ts, BE, "mac", "00:16:3e:00:00:01");
	wr(&e->ts, BE, "handle", "0");
	s->mkdir(c, NC_TXN_NONE, FE);
	s->set_perms(c, NC_TXN_NONE, FE, fe_perm, 1);
	wr(&e->ts, FE, "backend", BE);
	wr(&e->ts, FE, "backend-id", "0");
	wr(&e->ts, FE, "mac", "00:16:3e:00:00:01");
	wr_u(&e->ts, FE, "state", (unsigned)fe_state);
}

/* ------------------------------------------------------------ the frontend */

/* Grant both rings and the data pages, initialise the rings (only the
 * frontend does), allocate the port. */
static void fe_prepare(struct env *e)
{
	const struct nc_grant_ops *g = e->fe.grants.ops;
	void *c = e->fe.grants.ctx;

	e->rings = g->share(c, 0, 2, 0, e->ring_refs);
	e->txs = (netif_tx_sring_t *)e->rings;
	e->rxs = (netif_rx_sring_t *)(e->rings + NC_PAGE_SIZE);
	SHARED_RING_INIT(e->txs);
	FRONT_RING_INIT(&e->ftx, e->txs, NC_PAGE_SIZE);
	SHARED_RING_INIT(e->rxs);
	FRONT_RING_INIT(&e->frx, e->rxs, NC_PAGE_SIZE);
	e->data = g->share(c, 0, NDATA, 1, e->data_refs);
	e->bufs = g->share(c, 0, NBUF, 0, e->buf_refs);
	e->fe.events.ops->alloc_unbound(e->fe.events.ctx, 0, &e->port);
}

/* The frontend's keys, then Connected (rx_copy < 0: key left out). */
static void fe_publish(struct env *e, int sg, int rx_copy)
{
	wr_u(&e->fe, FE, "tx-ring-ref", e->ring_refs[0]);
	wr_u(&e->fe, FE, "rx-ring-ref", e->ring_refs[1]);
	wr_u(&e->fe, FE, "event-channel", e->port);
	if (rx_copy >= 0)
		wr_u(&e->fe, FE, "request-rx-copy", (unsigned)rx_copy);
	wr(&e->fe, FE, "feature-rx-notify", "1");
	wr_u(&e->fe, FE, "feature-sg", (unsigned)sg);
	wr_u(&e->fe, FE, "state", XenbusStateConnected);
}

static int poll_all(struct env *e)
{
	int i, rc = 0;

	for (i = 0; i < 4; i++) {
		rc = nc_back_poll(e->b);
		if (rc == 0)
			break;
	}
	return rc;
}

static void tx_req(struct env *e, nc_gref_t gref, uint16_t off,
		   uint16_t flags, uint16_t id, uint16_t size)
{
	netif_tx_request_t *r = RING_GET_REQUEST(&e->ftx,
						 e->ftx.req_prod_pvt++);

	r->gref = gref;
	r->offset = off;
	r->flags = flags;
	r->id = id;
	r->size = size;
}

static void tx_extra_gso(struct env *e, uint16_t mss)
{
	netif_extra_info_t *x = (netif_extra_info_t *)RING_GET_REQUEST(
		&e->ftx, e->ftx.req_prod_pvt++);

	memset(x, 0, sizeof(*x));
	x->type = XEN_NETIF_EXTRA_TYPE_GSO;
	x->u.gso.size = mss;
	x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
}

/* Publish the TX requests, notify when the backend asked for it. */
static int tx_push(struct env *e)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&e->ftx, notify);
	if (notify)
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
	return notify;
}

static netif_tx_response_t tx_rsp(struct env *e, RING_IDX i)
{
	return *RING_GET_RESPONSE(&e->ftx, i);
}

/* Post RX buffer i (page i of bufs) with the given id. */
static void rx_post(struct env *e, unsigned i, uint16_t id)
{
	netif_rx_request_t *r = RING_GET_REQUEST(&e->frx,
						 e->frx.req_prod_pvt++);

	r->id = id;
	r->gref = e->buf_refs[i];
}

static int rx_push(struct env *e)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&e->frx, notify);
	if (notify)
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
	return notify;
}

static netif_rx_response_t rx_rsp(struct env *e, RING_IDX i)
{
	return *RING_GET_RESPONSE(&e->frx, i);
}

/* 1 when the frontend's port has an event (consumed). */
static int fe_event(struct env *e)
{
	nc_port_t p;
	int got = 0;

	while (e->fe.events.ops->pending(e->fe.events.ctx, &p) == 1)
		got |= p == e->port;
	return got;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* ------------------------------------------------------------- setup */

static int env_init(struct env *e, const struct nc_back_config *over,
		    int fe_state)
{
	memset(e, 0, sizeof(*e));
	e->w = nc_inproc_world_new();
	e->hts = nc_inproc_open(e->w, 0, &e->ts);
	e->hbe = nc_inproc_open(e->w, 0, &e->be);
	e->hfe = nc_inproc_open(e->w, 1, &e->fe);
	toolstack(e, fe_state);
	if (over)
		e->cfg = *over;
	e->cfg.path = BE;
	e->cfg.deliver = on_deliver;
	e->cfg.deliver_arg = e;
	e->cfg.log = on_log;
	e->cfg.log_arg = e;
	e->b = calloc(1, sizeof(*e->b));
	e->rxq = malloc(e->cfg.rxq_bytes ? e->cfg.rxq_bytes : (1u << 20));
	fe_prepare(e);
	return nc_back_init(e->b, &e->be, &e->cfg, e->rxq);
}

/* Init, then connect as a frontend with or without SG. */
static int env_connected(struct env *e, const struct nc_back_config *over,
			 int sg)
{
	int rc = env_init(e, over, XenbusStateInitialising);

	if (rc)
		return rc;
	poll_all(e);
	fe_publish(e, sg, 1);
	poll_all(e);
	return nc_back_state(e->b) == NC_BACK_CONNECTED ? NC_OK : NC_EIO;
}

static void env_free(struct env *e)
{
	nc_back_close(e->b);
	nc_inproc_close(e->hts);
	nc_inproc_close(e->hbe);
	nc_inproc_close(e->hfe);
	nc_inproc_world_free(e->w);
	free(e->b);
	free(e->rxq);
}

static struct env *env_new(void)
{
	return calloc(1, sizeof(struct env));
}

/* --------------------------------------------------------------- tests */

static void test_handshake(struct tap *t)
{
	struct env *e = env_new();
	struct nc_inproc_counts c;
	char buf[64];

	CHECK_EQ(t, env_init(e, NULL, XenbusStateInitialising), NC_OK);
	CHECK_EQ(t, be_state(e), XenbusStateInitWait);
	CHECK(t, rd(&e->fe, BE, "feature-rx-copy", buf, sizeof(buf)) >= 0 &&
		 strcmp(buf, "1") == 0);
	CHECK(t, rd(&e->fe, BE, "feature-rx-flip", buf, sizeof(buf)) >= 0 &&
		 strcmp(buf, "0") == 0);
	CHECK(t, rd(&e->fe, BE, "feature-sg", buf, sizeof(buf)) >= 0 &&
		 strcmp(buf, "1") == 0);
	/* GSO is offered both ways (test_gso.c has the data path) */
	CHECK(t, rd(&e->fe, BE, "feature-gso-tcpv4", buf, sizeof(buf)) >= 0 &&
		 strcmp(buf, "1") == 0);
	CHECK(t, rd(&e->fe, BE, "feature-gso-tcpv6", buf, sizeof(buf)) >= 0 &&
		 strcmp(buf, "1") == 0);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_INIT);
	CHECK_EQ(t, poll_all(e), 0);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_INIT);
	/* Buffers posted before the backend connects stay posted: the
	 * backend must not re-initialise the rings. */
	rx_post(e, 0, 40);
	rx_push(e);
	fe_publish(e, 1, 1);
	CHECK_EQ(t, poll_all(e), 0);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	CHECK_EQ(t, be_state(e), XenbusStateConnected);
	CHECK_EQ(t, nc_back_stats(e->b)->connects, 1);
	CHECK_EQ(t, e->rxs->req_prod, 1);
	nc_inproc_counts(e->w, 0, &c);
	CHECK_EQ(t, c.mappings, 2);
	CHECK_EQ(t, c.ports, 1);
	CHECK_EQ(t, e->nlog, 0);
	env_free(e);
	free(e);
}

static void test_handshake_relative_no_sg(struct tap *t)
{
	struct env *e = env_new();
	struct nc_back_config cfg = { .no_sg = 1 };
	char buf[16];

	env_init(e, &cfg, XenbusStateInitialising);
	nc_back_close(e->b);
	/* relative to the backend domain's home */
	toolstack(e, XenbusStateInitialising);
	e->cfg.no_sg = 1;
	e->cfg.path = "backend/vif/1/0";
	CHECK_EQ(t, nc_back_init(e->b, &e->be, &e->cfg, e->rxq), NC_OK);
	CHECK(t, rd(&e->fe, BE, "feature-sg", buf, sizeof(buf)) >= 0 &&
		 strcmp(buf, "0") == 0);
	fe_publish(e, 1, 1);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	env_free(e);
	free(e);
}

static void test_bad_identity(struct tap *t)
{
	struct env *e = env_new();

	env_init(e, NULL, XenbusStateInitialising);
	nc_back_close(e->b);
	toolstack(e, XenbusStateInitialising);
	wr(&e->ts, BE, "frontend-id", "32752");          /* 0x7FF0 */
	CHECK(t, nc_back_init(e->b, &e->be, &e->cfg, e->rxq) < 0);
	wr(&e->ts, BE, "frontend-id", "1x");
	CHECK(t, nc_back_init(e->b, &e->be, &e->cfg, e->rxq) < 0);
	wr(&e->ts, BE, "frontend-id", "1");
	wr(&e->ts, BE, "frontend", "local/domain/1/device/vif/0");
	CHECK(t, nc_back_init(e->b, &e->be, &e->cfg, e->rxq) < 0);
	env_free(e);
	free(e);
}

static void test_tx_single(struct tap *t)
{
	struct env *e = env_new();
	unsigned i, ok = 1;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	fe_event(e);
	fill(e->data + 100, 60, 1);
	tx_req(e, e->data_refs[0], 100, 0, 7, 60);
	CHECK(t, tx_push(e));      /* the backend armed req_event */
	CHECK_EQ(t, poll_all(e), 0);
	CHECK_EQ(t, e->ndeliv, 1);
	CHECK_EQ(t, e->got_len, 60);
	CHECK(t, memcmp(e->got, e->data + 100, 60) == 0);
	CHECK_EQ(t, e->txs->rsp_prod, 1);
	CHECK_EQ(t, tx_rsp(e, 0).id, 7);
	CHECK_EQ(t, tx_rsp(e, 0).status, NETIF_RSP_OKAY);
	CHECK(t, fe_event(e));     /* rsp_event was 1 */
	CHECK_EQ(t, nc_back_stats(e->b)->rx.packets, 1);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.bytes, 60);
	CHECK(t, nc_back_stats(e->b)->events_in >= 1);
	CHECK_EQ(t, nc_back_stats(e->b)->events_out, 1);
	/* 600 more frames, in batches of 200: the ring wraps twice. */
	for (i = 0; i < 600; i++) {
		uint16_t len = (uint16_t)(60 + i % 200);

		fill(e->data + (i % NDATA) * NC_PAGE_SIZE, len, i);
		tx_req(e, e->data_refs[i % NDATA], 0, 0, (uint16_t)i, len);
		if (i % 200 == 199) {
			RING_IDX base = e->ftx.rsp_cons = e->txs->rsp_prod;
			unsigned n0 = e->ndeliv, k;

			tx_push(e);
			poll_all(e);
			ok &= e->ndeliv == n0 + 200;
			for (k = 0; k < 200; k++) {
				netif_tx_response_t r = tx_rsp(e, base + k);

				ok &= r.status == NETIF_RSP_OKAY;
				ok &= r.id == (uint16_t)(i - 199 + k);
			}
			ok &= e->got_len == len;
			ok &= memcmp(e->got, e->data + (i % NDATA) *
				     NC_PAGE_SIZE, len) == 0;
		}
	}
	CHECK(t, ok);
	CHECK_EQ(t, e->txs->rsp_prod, 601);
	CHECK_EQ(t, e->nlog, 0);
	env_free(e);
	free(e);
}

static void test_tx_multi(struct tap *t)
{
	struct env *e = env_new();
	uint8_t want[4692];
	unsigned i;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	fill(e->data + NC_PAGE_SIZE + 4000, 96, 2);
	fill(e->data + 2 * NC_PAGE_SIZE, 4096, 3);
	fill(e->data + 3 * NC_PAGE_SIZE + 10, 500, 4);
	memcpy(want, e->data + NC_PAGE_SIZE + 4000, 96);
	memcpy(want + 96, e->data + 2 * NC_PAGE_SIZE, 4096);
	memcpy(want + 4192, e->data + 3 * NC_PAGE_SIZE + 10, 500);
	/* 96 + 4096 + (a zero-length fragment, XSA-448) + 500 */
	tx_req(e, e->data_refs[1], 4000, NETTXF_more_data, 1, 4692);
	tx_req(e, e->data_refs[2], 0, NETTXF_more_data, 2, 4096);
	tx_req(e, e->data_refs[4], 0, NETTXF_more_data, 3, 0);
	tx_req(e, e->data_refs[3], 10, 0, 4, 500);
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, e->ndeliv, 1);
	CHECK_EQ(t, e->got_len, 4692);
	CHECK(t, memcmp(e->got, want, sizeof(want)) == 0);
	CHECK_EQ(t, e->txs->rsp_prod, 4);
	for (i = 0; i < 4; i++) {
		CHECK_EQ(t, tx_rsp(e, i).id, i + 1);
		CHECK_EQ(t, tx_rsp(e, i).status, NETIF_RSP_OKAY);
	}
	/* A GSO extra and csum_blank: the extra is answered NULL. */
	fill(e->data + 5 * NC_PAGE_SIZE, 1000, 5);
	tx_req(e, e->data_refs[5], 0, NETTXF_extra_info | NETTXF_csum_blank,
	       9, 1000);
	tx_extra_gso(e, 1448);
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, e->ndeliv, 2);
	CHECK_EQ(t, e->got_len, 1000);
	CHECK(t, memcmp(e->got, e->data + 5 * NC_PAGE_SIZE, 1000) == 0);
	CHECK(t, e->got_flags & NC_FRAME_CSUM_BLANK);
	CHECK(t, e->got_flags & NC_FRAME_GSO);
	CHECK_EQ(t, e->got_gso, 1448);
	CHECK_EQ(t, e->txs->rsp_prod, 6);
	CHECK_EQ(t, tx_rsp(e, 4).id, 9);
	CHECK_EQ(t, tx_rsp(e, 4).status, NETIF_RSP_OKAY);
	CHECK_EQ(t, tx_rsp(e, 5).status, NETIF_RSP_NULL);
	env_free(e);
	free(e);
}

static void test_tx_drop(struct tap *t)
{
	struct env *e = env_new();
	unsigned i, ok = 1;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	/* a grant never made: bad-gref, ERROR */
	tx_req(e, 9999, 0, 0, 1, 60);
	/* 19 data slots: one more than a backend must take, not fatal */
	for (i = 0; i < 19; i++)
		tx_req(e, e->data_refs[i], 0, i < 18 ? NETTXF_more_data : 0,
		       (uint16_t)(10 + i), (uint16_t)(i ? 100 : 1900));
	/* a runt with a GSO extra: ERROR for the slot, NULL for the extra */
	tx_req(e, e->data_refs[0], 0, NETTXF_extra_info, 50, 10);
	tx_extra_gso(e, 1448);
	/* and a good frame after them */
	fill(e->data, 80, 9);
	tx_req(e, e->data_refs[0], 0, 0, 60, 80);
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, e->txs->rsp_prod, 1 + 19 + 2 + 1);
	CHECK_EQ(t, tx_rsp(e, 0).id, 1);
	CHECK_EQ(t, tx_rsp(e, 0).status, NETIF_RSP_ERROR);
	for (i = 0; i < 19; i++) {
		ok &= tx_rsp(e, 1 + i).id == 10 + i;
		ok &= tx_rsp(e, 1 + i).status == NETIF_RSP_ERROR;
	}
	CHECK(t, ok);
	CHECK_EQ(t, tx_rsp(e, 20).id, 50);
	CHECK_EQ(t, tx_rsp(e, 20).status, NETIF_RSP_ERROR);
	CHECK_EQ(t, tx_rsp(e, 21).status, NETIF_RSP_NULL);
	CHECK_EQ(t, tx_rsp(e, 22).id, 60);
	CHECK_EQ(t, tx_rsp(e, 22).status, NETIF_RSP_OKAY);
	CHECK_EQ(t, e->ndeliv, 1);
	CHECK_EQ(t, e->got_len, 80);
	CHECK(t, memcmp(e->got, e->data, 80) == 0);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_BAD_GREF], 1);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_TOO_MANY_SLOTS], 1);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_RUNT], 1);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.errors, 3);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.packets, 1);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	CHECK_EQ(t, e->nlog, 0);
	env_free(e);
	free(e);
}

/* Disabled: later requests and events are ignored; the frontend's Closed
 * still releases everything. */
static void check_disabled_then_closed(struct tap *t, struct env *e)
{
	struct nc_inproc_counts c;
	RING_IDX rsp = e->txs->rsp_prod;
	unsigned i, nd = e->ndeliv;

	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_DISABLED);
	CHECK_EQ(t, be_state(e), XenbusStateClosing);
	CHECK_EQ(t, e->nlog, 1);
	fill(e->data, 60, 1);
	for (i = 0; i < 100; i++) {
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
		CHECK_EQ(t, nc_back_poll(e->b), 0);
	}
	nc_back_handle_event(e->b);
	CHECK_EQ(t, e->txs->rsp_prod, rsp);
	CHECK_EQ(t, e->ndeliv, nd);
	CHECK_EQ(t, e->nlog, 1);
	CHECK(t, nc_back_queue(e->b, &(struct nc_frame){ .data = e->data,
						       .len = 60 }) ==
		 NC_ENOTCONN);
	wr_u(&e->fe, FE, "state", XenbusStateClosing);
	wr_u(&e->fe, FE, "state", XenbusStateClosed);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CLOSED);
	CHECK_EQ(t, be_state(e), -1);
	nc_inproc_counts(e->w, 0, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
}

static void test_tx_fatal(struct tap *t)
{
	struct env *e = env_new();

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	/* a fragment crossing its page */
	tx_req(e, e->data_refs[0], 4000, 0, 1, 200);
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_CROSS_PAGE], 1);
	CHECK_EQ(t, e->txs->rsp_prod, 0);
	CHECK_EQ(t, e->ndeliv, 0);
	/* more, valid, requests: never read */
	tx_req(e, e->data_refs[0], 0, 0, 2, 60);
	tx_push(e);
	check_disabled_then_closed(t, e);
	env_free(e);
	free(e);
}

static void test_tx_overflow(struct tap *t)
{
	struct env *e = env_new();

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	e->txs->req_prod = 300;          /* more than a ring's worth */
	e->fe.events.ops->notify(e->fe.events.ctx, e->port);
	poll_all(e);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_RING_OVERFLOW], 1);
	CHECK_EQ(t, e->log_value, NC_R_RING_OVERFLOW);
	check_disabled_then_closed(t, e);
	env_free(e);
	free(e);
}

static void test_tx_extra_fatal(struct tap *t)
{
	struct env *e = env_new();
	netif_extra_info_t *x;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	/* an extra of type 0: hostile */
	tx_req(e, e->data_refs[0], 0, NETTXF_extra_info, 1, 60);
	x = (netif_extra_info_t *)RING_GET_REQUEST(&e->ftx,
						   e->ftx.req_prod_pvt++);
	memset(x, 0, sizeof(*x));
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_BAD_EXTRA], 1);
	check_disabled_then_closed(t, e);
	env_free(e);
	free(e);
}

static void test_rx_single_multi(struct tap *t)
{
	struct env *e = env_new();
	uint8_t frame[10000];
	struct nc_frame f = { .data = frame };
	netif_rx_response_t r;
	unsigned i;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	fe_event(e);
	for (i = 0; i < 8; i++)
		rx_post(e, i, (uint16_t)(200 - i));   /* ids unlike slots */
	rx_push(e);
	fill(frame, sizeof(frame), 11);
	f.len = 100;
	f.flags = NC_FRAME_DATA_VALIDATED;
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	CHECK_EQ(t, e->rxs->rsp_prod, 1);
	r = rx_rsp(e, 0);
	CHECK_EQ(t, r.id, 200);
	CHECK_EQ(t, r.status, 100);
	CHECK_EQ(t, r.offset, 0);
	CHECK_EQ(t, r.flags, NETRXF_data_validated);
	CHECK(t, memcmp(e->bufs, frame, 100) == 0);
	CHECK(t, fe_event(e));
	/* 10000 bytes: 3 slots, more_data on the first two */
	f.len = 10000;
	f.flags = NC_FRAME_CSUM_BLANK;
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	CHECK_EQ(t, e->rxs->rsp_prod, 4);
	for (i = 0; i < 3; i++) {
		r = rx_rsp(e, 1 + i);
		CHECK_EQ(t, r.id, 199 - i);
		CHECK_EQ(t, r.status, i < 2 ? 4096 : 10000 - 8192);
		CHECK_EQ(t, r.flags & NETRXF_more_data,
			 i < 2 ? NETRXF_more_data : 0);
		CHECK(t, memcmp(e->bufs + (1 + i) * NC_PAGE_SIZE,
				frame + i * 4096, r.status) == 0);
	}
	CHECK_EQ(t, rx_rsp(e, 1).flags & (NETRXF_csum_blank |
					  NETRXF_data_validated),
		 NETRXF_csum_blank | NETRXF_data_validated);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, 2);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.bytes, 10100);
	CHECK_EQ(t, e->b->q[0].rxq_len, 0);
	env_free(e);
	free(e);
}

/* Too few buffers: the frame waits, nothing is dropped, and req_event
 * asks for exactly the buffers it needs. */
static void test_rx_wait(struct tap *t)
{
	struct env *e = env_new();
	uint8_t frame[10000];
	struct nc_frame f = { .data = frame, .len = 10000 };
	unsigned i;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	fill(frame, sizeof(frame), 12);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	CHECK_EQ(t, e->rxs->rsp_prod, 0);
	CHECK_EQ(t, e->rxs->req_event, 3);
	rx_post(e, 0, 0);
	rx_post(e, 1, 1);
	CHECK_EQ(t, rx_push(e), 0);      /* not enough yet: no event */
	CHECK_EQ(t, poll_all(e), 0);
	CHECK_EQ(t, e->rxs->rsp_prod, 0);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.dropped, 0);
	rx_post(e, 2, 2);
	CHECK_EQ(t, rx_push(e), 1);      /* now: the event */
	CHECK_EQ(t, poll_all(e), 0);
	CHECK_EQ(t, e->rxs->rsp_prod, 3);
	for (i = 0; i < 3; i++)
		CHECK(t, memcmp(e->bufs + i * NC_PAGE_SIZE, frame + i * 4096,
				i < 2 ? 4096 : 1808) == 0);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, 1);
	env_free(e);
	free(e);
}

static void test_rxq_bound(struct tap *t)
{
	struct env *e = env_new();
	struct nc_back_config cfg = { .rxq_frames = 4, .rxq_bytes = 8192 };
	uint8_t frame[3000];
	struct nc_frame f = { .data = frame, .len = 1000 };
	unsigned i;

	CHECK_EQ(t, env_connected(e, &cfg, 1), NC_OK);
	for (i = 0; i < 4; i++)
		CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	CHECK(t, !nc_back_can_queue(e->b, 100));
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_ENOSPC);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_QUEUE_FULL], 1);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.dropped, 1);
	for (i = 0; i < 4; i++)
		rx_post(e, i, (uint16_t)i);
	rx_push(e);
	poll_all(e);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, 4);
	CHECK_EQ(t, e->b->q[0].rxq_len, 0);
	/* bytes: A, B of 3000; one buffer takes A; C wraps to offset 0 */
	f.len = 3000;
	fill(frame, 3000, 1);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	fill(frame, 3000, 2);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	fill(frame, 3000, 3);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_ENOSPC);  /* 9000 > 8192 */
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_QUEUE_FULL], 2);
	rx_post(e, 4, 4);
	rx_push(e);
	poll_all(e);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, 5);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);      /* wraps */
	f.len = 100;
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_ENOSPC);  /* no room left */
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_QUEUE_FULL], 3);
	rx_post(e, 5, 5);
	rx_post(e, 6, 6);
	rx_push(e);
	poll_all(e);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, 7);
	fill(frame, 3000, 2);
	CHECK(t, memcmp(e->bufs + 5 * NC_PAGE_SIZE, frame, 3000) == 0);
	fill(frame, 3000, 3);
	CHECK(t, memcmp(e->bufs + 6 * NC_PAGE_SIZE, frame, 3000) == 0);
	env_free(e);
	free(e);
}

static void test_rx_no_sg(struct tap *t)
{
	struct env *e = env_new();
	uint8_t frame[5000];
	struct nc_frame f = { .data = frame, .len = 5000 };

	CHECK_EQ(t, env_connected(e, NULL, 0), NC_OK);
	fill(frame, sizeof(frame), 13);
	rx_post(e, 0, 0);
	rx_post(e, 1, 1);
	rx_push(e);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_EMSGSIZE);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_TOO_BIG], 1);
	CHECK_EQ(t, e->rxs->rsp_prod, 0);
	f.len = 1500;
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	CHECK_EQ(t, e->rxs->rsp_prod, 1);
	CHECK_EQ(t, rx_rsp(e, 0).status, 1500);
	CHECK_EQ(t, rx_rsp(e, 0).flags & NETRXF_more_data, 0);
	CHECK(t, memcmp(e->bufs, frame, 1500) == 0);
	env_free(e);
	free(e);
}

static void test_rx_not_connected(struct tap *t)
{
	struct env *e = env_new();
	uint8_t frame[100] = { 0 };
	struct nc_frame f = { .data = frame, .len = 100 };

	CHECK_EQ(t, env_init(e, NULL, XenbusStateInitialising), NC_OK);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_ENOTCONN);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_NOT_CONNECTED], 1);
	f.len = 0;
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_EMSGSIZE);
	env_free(e);
	free(e);
}

static void test_rx_overflow(struct tap *t)
{
	struct env *e = env_new();
	uint8_t frame[100] = { 0 };
	struct nc_frame f = { .data = frame, .len = 100 };

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	e->rxs->req_prod = 1000;
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_RING_OVERFLOW], 1);
	CHECK_EQ(t, e->rxs->rsp_prod, 0);
	check_disabled_then_closed(t, e);
	env_free(e);
	free(e);
}

static void test_teardown(struct tap *t)
{
	struct env *e = env_new();
	struct nc_inproc_counts c;
	uint8_t frame[100] = { 0 };
	struct nc_frame f = { .data = frame, .len = 100 };

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	CHECK_EQ(t, nc_back_queue(e->b, &f), NC_OK);     /* queued */
	wr_u(&e->fe, FE, "state", XenbusStateClosing);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CLOSED);
	CHECK_EQ(t, be_state(e), -1);       /* directory removed */
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_NOT_CONNECTED], 1);
	nc_inproc_counts(e->w, 0, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK(t, e->fe.events.ops->notify(e->fe.events.ctx, e->port) !=
		 NC_OK);
	/* the frontend can take its pages back */
	CHECK_EQ(t, e->fe.grants.ops->unshare(e->fe.grants.ctx, e->rings, 2),
		 NC_OK);
	e->rings = NULL;
	CHECK_EQ(t, poll_all(e), 0);
	nc_back_close(e->b);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_STOPPED);
	env_free(e);
	free(e);
}

static void test_close_on_demand(struct tap *t)
{
	struct env *e = env_new();
	struct nc_inproc_counts c;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	nc_back_close(e->b);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_STOPPED);
	CHECK_EQ(t, be_state(e), -1);
	nc_inproc_counts(e->w, 0, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, nc_back_poll(e->b), 0);
	env_free(e);
	free(e);
}

/* A previous backend died with the frontend Connected. */
static void test_stale(struct tap *t)
{
	struct env *e = env_new();

	CHECK_EQ(t, env_init(e, NULL, XenbusStateConnected), NC_OK);
	CHECK_EQ(t, be_state(e), XenbusStateClosed);
	poll_all(e);
	CHECK_EQ(t, be_state(e), XenbusStateClosed);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_INIT);
	wr_u(&e->fe, FE, "state", XenbusStateClosing);
	poll_all(e);
	CHECK_EQ(t, be_state(e), XenbusStateClosed);
	wr_u(&e->fe, FE, "state", XenbusStateClosed);
	poll_all(e);
	CHECK_EQ(t, be_state(e), XenbusStateInitWait);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_INIT);
	wr_u(&e->fe, FE, "state", XenbusStateInitialising);
	poll_all(e);
	CHECK_EQ(t, be_state(e), XenbusStateInitWait);
	fe_publish(e, 1, 1);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	CHECK_EQ(t, be_state(e), XenbusStateConnected);
	CHECK_EQ(t, e->nlog, 0);
	env_free(e);
	free(e);
}

static void test_no_rx_copy(struct tap *t)
{
	struct env *e = env_new();
	struct nc_inproc_counts c;

	CHECK_EQ(t, env_init(e, NULL, XenbusStateInitialising), NC_OK);
	poll_all(e);
	fe_publish(e, 1, -1);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_DISABLED);
	CHECK_EQ(t, be_state(e), XenbusStateClosing);
	CHECK_EQ(t, e->nlog, 1);
	nc_inproc_counts(e->w, 0, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	env_free(e);
	free(e);
}

static void test_bad_ring_ref(struct tap *t)
{
	struct env *e = env_new();

	CHECK_EQ(t, env_init(e, NULL, XenbusStateInitialising), NC_OK);
	poll_all(e);
	fe_publish(e, 1, 1);
	wr(&e->fe, FE, "rx-ring-ref", "9999");   /* never granted */
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_DISABLED);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_BAD_GREF], 1);
	check_disabled_then_closed(t, e);
	env_free(e);
	free(e);
}

/* Frames with a partial checksum, for a consumer that needs it whole. */
static void test_full_csum(struct tap *t)
{
	static const uint8_t hdr[42] = {
		0, 0x16, 0x3e, 0, 0, 2, 0, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 48, 0, 1, 0, 0, 64, 17, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x00, 0x07, 0, 28, 0, 0,
	};
	struct nc_back_config cfg = { .need_full_csum = 1 };
	struct env *e = env_new();

	CHECK_EQ(t, env_connected(e, &cfg, 1), NC_OK);
	memcpy(e->data, hdr, sizeof(hdr));
	memcpy(e->data + 42, "twenty bytes of data", 20);
	tx_req(e, e->data_refs[0], 0, NETTXF_csum_blank, 1, 62);
	/* not IP at all: cannot be completed, dropped (answered OKAY) */
	memset(e->data + NC_PAGE_SIZE, 0xee, 60);
	tx_req(e, e->data_refs[1], 0, NETTXF_csum_blank, 2, 60);
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, e->ndeliv, 1);
	CHECK_EQ(t, e->got_len, 62);
	CHECK_EQ(t, e->got_flags & (NC_FRAME_CSUM_BLANK |
				    NC_FRAME_DATA_VALIDATED),
		 NC_FRAME_DATA_VALIDATED);
	CHECK_EQ(t, nc_csum_verify_frame(e->got, e->got_len), 1);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_CSUM], 1);
	CHECK_EQ(t, tx_rsp(e, 1).status, NETIF_RSP_OKAY);
	env_free(e);
	free(e);
}

/* Spurious events cost one read each and no work. */
static void test_event_storm(struct tap *t)
{
	struct env *e = env_new();
	unsigned i, ok = 1;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	for (i = 0; i < 10000; i++) {
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
		ok &= nc_back_poll(e->b) == 0;
	}
	CHECK(t, ok);
	CHECK_EQ(t, e->txs->rsp_prod, 0);
	CHECK_EQ(t, nc_back_stats(e->b)->events_out, 0);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	env_free(e);
	free(e);
}

/* A frontend that never stops sending (it refills from the deliver
 * callback, faster than any real one): each poll does bounded work and
 * says more is pending (XSA-332/391). */
static void test_tx_bounded(struct tap *t)
{
	struct env *e = env_new();
	unsigned i, n0;
	int rc;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	e->refill = 1;
	for (i = 0; i < 256; i++)
		tx_req(e, e->data_refs[0], 0, 0, (uint16_t)i, 60);
	tx_push(e);
	rc = nc_back_poll(e->b);
	CHECK_EQ(t, rc, 1);
	tap_diag("one poll delivered %u frames", e->ndeliv);
	CHECK(t, e->ndeliv >= 512 && e->ndeliv <= 1024);
	n0 = e->ndeliv;
	CHECK_EQ(t, nc_back_poll(e->b), 1);
	CHECK(t, e->ndeliv > n0 && e->ndeliv - n0 <= 1024);
	e->refill = 0;
	for (i = 0; i < 8 && nc_back_poll(e->b); i++)
		;
	CHECK_EQ(t, nc_back_poll(e->b), 0);
	CHECK_EQ(t, e->txs->rsp_prod, e->ftx.req_prod_pvt);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	env_free(e);
	free(e);
}

/* A multicast filter update rides on a dummy request: answered, not
 * delivered. */
static void test_tx_mcast_dummy(struct tap *t)
{
	struct env *e = env_new();
	netif_extra_info_t *x;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	tx_req(e, e->data_refs[0], 0, NETTXF_extra_info, 3, 0);
	x = (netif_extra_info_t *)RING_GET_REQUEST(&e->ftx,
						   e->ftx.req_prod_pvt++);
	memset(x, 0, sizeof(*x));
	x->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
	x->u.mcast.addr[0] = 0x01;
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, e->ndeliv, 0);
	CHECK_EQ(t, e->txs->rsp_prod, 2);
	CHECK_EQ(t, tx_rsp(e, 0).id, 3);
	CHECK_EQ(t, tx_rsp(e, 0).status, NETIF_RSP_OKAY);
	CHECK_EQ(t, tx_rsp(e, 1).status, NETIF_RSP_NULL);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	env_free(e);
	free(e);
}

/* The frontend starts over (Initialising) without closing: the backend
 * drops the old data path and offers a new connection. */
static void test_frontend_restart(struct tap *t)
{
	struct env *e = env_new();
	struct nc_inproc_counts c;

	CHECK_EQ(t, env_connected(e, NULL, 1), NC_OK);
	wr_u(&e->fe, FE, "state", XenbusStateInitialising);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_INIT);
	CHECK_EQ(t, be_state(e), XenbusStateInitWait);
	nc_inproc_counts(e->w, 0, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	/* new rings, new port */
	e->fe.grants.ops->unshare(e->fe.grants.ctx, e->rings, 2);
	e->fe.events.ops->unbind(e->fe.events.ctx, e->port);
	e->rings = e->fe.grants.ops->share(e->fe.grants.ctx, 0, 2, 0,
					   e->ring_refs);
	e->txs = (netif_tx_sring_t *)e->rings;
	e->rxs = (netif_rx_sring_t *)(e->rings + NC_PAGE_SIZE);
	SHARED_RING_INIT(e->txs);
	FRONT_RING_INIT(&e->ftx, e->txs, NC_PAGE_SIZE);
	SHARED_RING_INIT(e->rxs);
	FRONT_RING_INIT(&e->frx, e->rxs, NC_PAGE_SIZE);
	e->fe.events.ops->alloc_unbound(e->fe.events.ctx, 0, &e->port);
	fe_publish(e, 1, 1);
	poll_all(e);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	CHECK_EQ(t, nc_back_stats(e->b)->connects, 2);
	fill(e->data, 60, 4);
	tx_req(e, e->data_refs[0], 0, 0, 1, 60);
	tx_push(e);
	poll_all(e);
	CHECK_EQ(t, e->ndeliv, 1);
	CHECK_EQ(t, tx_rsp(e, 0).status, NETIF_RSP_OKAY);
	env_free(e);
	free(e);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "handshake: InitWait, features, Connected", test_handshake);
	tap_run(&t, "handshake: relative path, no_sg",
		test_handshake_relative_no_sg);
	tap_run(&t, "handshake: bad frontend-id or frontend refused",
		test_bad_identity);
	tap_run(&t, "handshake: stale frontend reset first", test_stale);
	tap_run(&t, "handshake: no request-rx-copy disables",
		test_no_rx_copy);
	tap_run(&t, "handshake: unmappable ring disables", test_bad_ring_ref);
	tap_run(&t, "tx: single-slot frames, ring wraps", test_tx_single);
	tap_run(&t, "tx: multi-slot, zero-length fragment, GSO extra",
		test_tx_multi);
	tap_run(&t, "tx: drops answered ERROR, extras NULL", test_tx_drop);
	tap_run(&t, "tx: cross-page fragment disables the vif",
		test_tx_fatal);
	tap_run(&t, "tx: req_prod overflow disables the vif",
		test_tx_overflow);
	tap_run(&t, "tx: extra of type 0 disables the vif",
		test_tx_extra_fatal);
	tap_run(&t, "tx: need_full_csum completes checksums", test_full_csum);
	tap_run(&t, "tx: endless stream, bounded work per poll",
		test_tx_bounded);
	tap_run(&t, "tx: multicast dummy answered, not delivered",
		test_tx_mcast_dummy);
	tap_run(&t, "handshake: frontend restart reconnects",
		test_frontend_restart);
	tap_run(&t, "rx: single and multi-slot, same slot as request",
		test_rx_single_multi);
	tap_run(&t, "rx: waits for enough buffers, req_event armed",
		test_rx_wait);
	tap_run(&t, "rx: queue bounded in frames and bytes", test_rxq_bound);
	tap_run(&t, "rx: no-sg frontend gets no oversize frame",
		test_rx_no_sg);
	tap_run(&t, "rx: not connected", test_rx_not_connected);
	tap_run(&t, "rx: req_prod overflow disables the vif",
		test_rx_overflow);
	tap_run(&t, "teardown on frontend Closing", test_teardown);
	tap_run(&t, "nc_back_close on demand", test_close_on_demand);
	tap_run(&t, "event storm is cheap", test_event_storm);
	return tap_done(&t);
}

/*
 * test_front_hostile.c - a hostile backend, written by hand in the test,
 * against the real frontend: every lie it tells is counted, and the ones
 * that break the ring protocol disable the device without a crash.
 */
#include <stdio.h>

#include "harness.h"
#include "netchannel/ring.h"
#include "rig.h"

struct evil {
	struct rig r;
	netif_tx_back_ring_t tx;
	netif_rx_back_ring_t rx;
	void *txp, *rxp;
	nc_port_t port;
	int got;              /* frames the frontend delivered */
};

static void count_rx(void *arg, const struct nc_frame *fr)
{
	(void)fr;
	((struct evil *)arg)->got++;
}

static unsigned read_key(struct rig *r, const char *key)
{
	char path[128], v[32];

	snprintf(path, sizeof(path), "%s/%s", r->fe_path, key);
	if (r->bplat.store.ops->read(r->bplat.store.ctx, 0, path, v,
				     sizeof(v)) < 0)
		return 0;
	return (unsigned)strtoul(v, NULL, 10);
}

static void set_be_state(struct rig *r, int state)
{
	char path[128], v[4];

	snprintf(path, sizeof(path), "%s/state", r->be_path);
	snprintf(v, sizeof(v), "%d", state);
	r->bplat.store.ops->write(r->bplat.store.ctx, 0, path, v);
}

/* The hostile backend does the handshake by hand, then misbehaves. */
static int evil_connect(struct evil *e)
{
	struct rig *r = &e->r;
	nc_gref_t ref;
	char path[128];
	unsigned i;

	if (rig_init(r, 0))
		return -1;
	r->fcfg.rx = count_rx;
	r->fcfg.rx_arg = e;
	snprintf(path, sizeof(path), "%s/feature-rx-copy", r->be_path);
	r->bplat.store.ops->write(r->bplat.store.ctx, 0, path, "1");
	snprintf(path, sizeof(path), "%s/feature-sg", r->be_path);
	r->bplat.store.ops->write(r->bplat.store.ctx, 0, path, "1");
	set_be_state(r, XenbusStateInitWait);
	if (nc_front_init(r->f, &r->fplat, &r->fcfg))
		return -1;
	for (i = 0; i < 5; i++)
		nc_front_poll(r->f);
	if (read_key(r, "state") != XenbusStateConnected)
		return -1;
	ref = read_key(r, "tx-ring-ref");
	e->txp = r->bplat.grants.ops->map(r->bplat.grants.ctx, RIG_FE, 1,
					  &ref, 1);
	ref = read_key(r, "rx-ring-ref");
	e->rxp = r->bplat.grants.ops->map(r->bplat.grants.ctx, RIG_FE, 1,
					  &ref, 1);
	if (!e->txp || !e->rxp ||
	    r->bplat.events.ops->bind_interdomain(r->bplat.events.ctx, RIG_FE,
						  read_key(r, "event-channel"),
						  &e->port))
		return -1;
	BACK_RING_INIT(&e->tx, (netif_tx_sring_t *)e->txp, NC_PAGE_SIZE);
	BACK_RING_INIT(&e->rx, (netif_rx_sring_t *)e->rxp, NC_PAGE_SIZE);
	set_be_state(r, XenbusStateConnected);
	for (i = 0; i < 3; i++)
		nc_front_poll(r->f);
	return nc_front_state(r->f) == NC_FRONT_CONNECTED ? 0 : -1;
}

static void evil_free(struct evil *e)
{
	if (e->txp)
		e->r.bplat.grants.ops->unmap(e->r.bplat.grants.ctx, e->txp, 1);
	if (e->rxp)
		e->r.bplat.grants.ops->unmap(e->r.bplat.grants.ctx, e->rxp, 1);
	nc_inproc_close(e->r.bh);   /* no real backend to close */
	e->r.bh = NULL;
	rig_free(&e->r);
}

static void kick(struct evil *e)
{
	e->r.bplat.events.ops->notify(e->r.bplat.events.ctx, e->port);
	nc_front_poll(e->r.f);
}

static void send_one(struct evil *e, size_t len)
{
	static uint8_t buf[65536];
	struct nc_iov iov = { buf, len };

	nc_front_send(e->r.f, &iov, 1, 0);
}

/* Answer the next TX request with this id and status. */
static void tx_answer(struct evil *e, uint16_t id, int16_t status)
{
	netif_tx_response_t *rsp =
		RING_GET_RESPONSE(&e->tx, e->tx.rsp_prod_pvt++);

	rsp->id = id;
	rsp->status = status;
	nc_ring_store(&e->tx.sring->rsp_prod, e->tx.rsp_prod_pvt);
}

/* Answer the RX request at the next slot. */
static void rx_answer(struct evil *e, int idshift, uint16_t off,
		      int16_t status, uint16_t flags)
{
	RING_IDX i = e->rx.rsp_prod_pvt++;
	netif_rx_request_t req;
	netif_rx_response_t *rsp;

	RING_COPY_REQUEST(&e->rx, i, &req);
	rsp = RING_GET_RESPONSE(&e->rx, i);
	rsp->id = (uint16_t)(req.id + idshift);
	rsp->offset = off;
	rsp->status = status;
	rsp->flags = flags;
	nc_ring_store(&e->rx.sring->rsp_prod, e->rx.rsp_prod_pvt);
}

static const struct nc_vif_stats *fst(struct evil *e)
{
	return nc_front_stats(e->r.f);
}

static int front_says_closing(struct evil *e)
{
	return read_key(&e->r, "state") == XenbusStateClosing;
}

static void test_tx_error_and_drop_counted(struct tap *t)
{
	struct evil e = { .got = 0 };

	CHECK(t, evil_connect(&e) == 0);
	send_one(&e, 100);
	send_one(&e, 100);
	send_one(&e, 100);
	tx_answer(&e, RING_GET_REQUEST(&e.tx, 0)->id, NETIF_RSP_OKAY);
	tx_answer(&e, RING_GET_REQUEST(&e.tx, 1)->id, NETIF_RSP_ERROR);
	tx_answer(&e, RING_GET_REQUEST(&e.tx, 2)->id, NETIF_RSP_DROPPED);
	kick(&e);
	CHECK_EQ(t, fst(&e)->tx.packets, 1);
	CHECK_EQ(t, fst(&e)->tx.reason[NC_R_PEER_ERROR], 1);
	CHECK_EQ(t, fst(&e)->tx.reason[NC_R_PEER_DROPPED], 1);
	CHECK_EQ(t, nc_front_state(e.r.f), NC_FRONT_CONNECTED);
	CHECK_EQ(t, e.r.f->q[0].pool.stats.inflight_blocks, 0);
	evil_free(&e);
}

static void test_tx_id_out_of_range_breaks(struct tap *t)
{
	struct evil e = { .got = 0 };

	CHECK(t, evil_connect(&e) == 0);
	send_one(&e, 100);
	tx_answer(&e, 4000, NETIF_RSP_OKAY);
	kick(&e);
	CHECK_EQ(t, nc_front_state(e.r.f), NC_FRONT_BROKEN);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_BAD_ID], 1);
	CHECK(t, front_says_closing(&e));
	/* more events: ignored, no crash, no spin */
	kick(&e);
	kick(&e);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_BAD_ID], 1);
	evil_free(&e);
}

static void test_tx_duplicate_id_breaks(struct tap *t)
{
	struct evil e = { .got = 0 };
	uint16_t id;

	CHECK(t, evil_connect(&e) == 0);
	send_one(&e, 100);
	send_one(&e, 100);
	id = RING_GET_REQUEST(&e.tx, 0)->id;
	tx_answer(&e, id, NETIF_RSP_OKAY);
	tx_answer(&e, id, NETIF_RSP_OKAY);   /* answered twice */
	kick(&e);
	CHECK_EQ(t, nc_front_state(e.r.f), NC_FRONT_BROKEN);
	/* the block of the first frame was returned once, not twice */
	CHECK_EQ(t, e.r.f->q[0].pool.stats.completes, 1);
	evil_free(&e);
}

static void test_tx_unasked_responses_break(struct tap *t)
{
	struct evil e = { .got = 0 };

	CHECK(t, evil_connect(&e) == 0);
	send_one(&e, 100);
	/* a response producer past every request ever made */
	nc_ring_store(&e.tx.sring->rsp_prod, 50);
	kick(&e);
	CHECK_EQ(t, nc_front_state(e.r.f), NC_FRONT_BROKEN);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_RING_OVERFLOW], 1);
	evil_free(&e);
}

static void test_tx_multislot_frame_completes_once(struct tap *t)
{
	struct evil e = { .got = 0 };
	unsigned i, n;

	CHECK(t, evil_connect(&e) == 0);
	send_one(&e, 10000);
	n = e.r.f->q[0].tx.req_prod_pvt;
	CHECK(t, n >= 3);
	for (i = 0; i + 1 < n; i++)
		tx_answer(&e, RING_GET_REQUEST(&e.tx, i)->id, NETIF_RSP_OKAY);
	kick(&e);
	/* not all slots answered: the blocks stay with the backend */
	CHECK_EQ(t, e.r.f->q[0].pool.stats.completes, 0);
	tx_answer(&e, RING_GET_REQUEST(&e.tx, n - 1)->id, NETIF_RSP_OKAY);
	kick(&e);
	CHECK_EQ(t, e.r.f->q[0].pool.stats.completes, 1);
	CHECK_EQ(t, fst(&e)->tx.packets, 1);
	evil_free(&e);
}

static void test_rx_lies_dropped(struct tap *t)
{
	struct evil e = { .got = 0 };

	CHECK(t, evil_connect(&e) == 0);
	rx_answer(&e, 0, 0, 60, 0);                   /* fine */
	rx_answer(&e, 0, 0, NETIF_RSP_ERROR, 0);      /* error */
	rx_answer(&e, 0, 0, NETIF_RSP_DROPPED, 0);    /* dropped */
	rx_answer(&e, 0, 0, -300, 0);                 /* absurd status */
	rx_answer(&e, 0, 4000, 200, 0);               /* past the page */
	rx_answer(&e, 1, 0, 60, 0);                   /* wrong id */
	rx_answer(&e, 0, 0, 0, 0);                    /* empty */
	rx_answer(&e, 0, 4036, 60, 0);                /* exactly fits */
	kick(&e);
	CHECK_EQ(t, e.got, 2);
	CHECK_EQ(t, fst(&e)->rx.packets, 2);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_PEER_ERROR], 1);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_PEER_DROPPED], 1);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_BAD_STATUS], 1);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_CROSS_PAGE], 1);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_BAD_ID], 1);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_RUNT], 1);
	CHECK_EQ(t, nc_front_state(e.r.f), NC_FRONT_CONNECTED);
	/* every consumed buffer went back on the ring */
	CHECK_EQ(t, e.r.f->q[0].rx.req_prod_pvt - e.r.f->q[0].rx.rsp_cons,
		 NC_RX_RING_SIZE);
	evil_free(&e);
}

static void test_rx_too_many_slots_dropped(struct tap *t)
{
	struct evil e = { .got = 0 };
	unsigned i;

	CHECK(t, evil_connect(&e) == 0);
	for (i = 0; i < 19; i++)
		rx_answer(&e, 0, 0, 100, i < 18 ? NETRXF_more_data : 0);
	rx_answer(&e, 0, 0, 80, 0);
	kick(&e);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_TOO_MANY_SLOTS], 1);
	CHECK_EQ(t, e.got, 1);
	evil_free(&e);
}

static void test_rx_sees_exactly_the_frame(struct tap *t)
{
	struct evil e = { .got = 0 };
	struct nc_frame fr;
	uint8_t *page;

	CHECK(t, evil_connect(&e) == 0);
	/* the backend fills the whole buffer page, then says 64 bytes */
	page = e.r.f->q[0].rx_bufs;
	memset(page, 0xAB, NC_PAGE_SIZE);
	e.r.f->cfg.rx = NULL;
	rx_answer(&e, 0, 100, 64, NETRXF_csum_blank | NETRXF_data_validated);
	CHECK_EQ(t, nc_front_recv(e.r.f, &fr), 1);
	CHECK_EQ(t, fr.len, 64);
	/* RX bits, not TX bits: csum_blank is bit 1 on RX */
	CHECK(t, fr.flags & NC_FRAME_CSUM_BLANK);
	CHECK(t, fr.flags & NC_FRAME_DATA_VALIDATED);
	/* private memory, not the page the backend can still write */
	CHECK(t, fr.data < page || fr.data >= page + NC_RX_RING_SIZE *
	      NC_PAGE_SIZE);
	memset(page, 0xCD, NC_PAGE_SIZE);
	CHECK_EQ(t, fr.data[0], 0xAB);
	CHECK_EQ(t, nc_front_recv(e.r.f, &fr), 0);
	evil_free(&e);
}

static void test_rx_producer_overflow_breaks(struct tap *t)
{
	struct evil e = { .got = 0 };

	CHECK(t, evil_connect(&e) == 0);
	nc_ring_store(&e.rx.sring->rsp_prod, 100000);
	kick(&e);
	CHECK_EQ(t, nc_front_state(e.r.f), NC_FRONT_BROKEN);
	CHECK_EQ(t, fst(&e)->rx.reason[NC_R_RING_OVERFLOW], 1);
	evil_free(&e);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "TX error and drop answers counted",
		test_tx_error_and_drop_counted);
	tap_run(&t, "TX response id out of range disables",
		test_tx_id_out_of_range_breaks);
	tap_run(&t, "TX id answered twice disables",
		test_tx_duplicate_id_breaks);
	tap_run(&t, "TX responses never asked for disable",
		test_tx_unasked_responses_break);
	tap_run(&t, "multi-slot TX frame returns when all slots answered",
		test_tx_multislot_frame_completes_once);
	tap_run(&t, "RX lies dropped and counted by reason",
		test_rx_lies_dropped);
	tap_run(&t, "RX frame of too many slots dropped",
		test_rx_too_many_slots_dropped);
	tap_run(&t, "RX: the application sees exactly the frame, privately",
		test_rx_sees_exactly_the_frame);
	tap_run(&t, "RX producer beyond the ring disables",
		test_rx_producer_overflow_breaks);
	return tap_done(&t);
}

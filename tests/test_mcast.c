/*
 * test_mcast.c - multicast control (feature-multicast-control and its
 * dynamic variant) between a real frontend and backend on the in-process
 * platform: the handshake keys, filter updates through the TX ring, what
 * nc_back_mcast_match and nc_back_queue_filtered then let through, and
 * hostile updates (raw slots put on the frontend's ring).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netchannel/ring.h"
#include "rig.h"

static const uint8_t G1[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
static const uint8_t G2[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x02 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t UCAST[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };

/* What the frontend received. */
struct seen {
	unsigned frames;
	uint8_t last_dest[6];
};

static void on_rx(void *arg, const struct nc_frame *fr)
{
	struct seen *s = arg;

	s->frames++;
	if (fr->len >= 6)
		memcpy(s->last_dest, fr->data, 6);
}

static int setup(struct rig *r, struct seen *s, int request)
{
	memset(s, 0, sizeof(*s));
	if (rig_init(r, 0))
		return -1;
	r->fcfg.mcast_control = request;
	r->fcfg.rx = on_rx;
	r->fcfg.rx_arg = s;
	if (rig_start(r) != NC_OK)
		return -1;
	return rig_connect(r);
}

static int read_key(struct rig *r, const char *dir, const char *key,
		    char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return r->tool.store.ops->read(r->tool.store.ctx, NC_TXN_NONE, path,
				       buf, len);
}

/* The frontend rewrites its request key while connected (dynamic). */
static void write_request(struct rig *r, const char *v)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/request-multicast-control",
		 r->fe_path);
	r->fplat.store.ops->write(r->fplat.store.ctx, NC_TXN_NONE, path, v);
}

/* Queue a minimal frame to `dest` through the filtering entry point. */
static int queue_to(struct rig *r, const uint8_t *dest)
{
	uint8_t buf[60];
	struct nc_frame fr = { .data = buf, .len = sizeof(buf) };

	memset(buf, 0, sizeof(buf));
	memcpy(buf, dest, 6);
	memcpy(buf + 6, UCAST, 6);
	buf[12] = 0x08;
	return nc_back_queue_filtered(r->b, &fr);
}

/* Put `n` raw slots on the frontend's TX ring, the first one carrying a
 * TX id the frontend holds as a filter update (so that it accepts the
 * answer); the rest are extras.  Publish. */
static void raw_update(struct rig *r, const netif_tx_request_t *slots,
		       unsigned n)
{
	struct nc_front *f = r->f;
	uint16_t id = f->q[0].free_ids[--f->q[0].nfree_ids];
	struct nc_front_txframe *fr = &f->q[0].frames[id];
	unsigned i;

	memset(fr, 0, sizeof(*fr));
	fr->slots_left = 1;
	fr->in_use = 1;
	fr->mcast = 1;
	f->q[0].slot_busy[id] = 1;
	f->q[0].slot_frame[id] = id;
	for (i = 0; i < n; i++) {
		netif_tx_request_t s = slots[i];

		if (i == 0)
			s.id = id;
		*RING_GET_REQUEST(&f->q[0].tx, f->q[0].tx.req_prod_pvt) = s;
		f->q[0].tx.req_prod_pvt++;
	}
	/* Published without an event: the rig polls the backend anyway. */
	RING_PUSH_REQUESTS(&f->q[0].tx);
	f->q[0].tx_published = f->q[0].tx.req_prod_pvt;
}

static netif_tx_request_t extra_slot(uint8_t type, uint8_t flags,
				     const uint8_t *mac)
{
	netif_tx_request_t s;
	netif_extra_info_t x;

	memset(&s, 0, sizeof(s));
	memset(&x, 0, sizeof(x));
	x.type = type;
	x.flags = flags;
	if (mac)
		memcpy(x.u.mcast.addr, mac, 6);
	memcpy(&s, &x, sizeof(x));
	return s;
}

static netif_tx_request_t dummy_slot(void)
{
	netif_tx_request_t s;

	memset(&s, 0, sizeof(s));
	s.flags = NETTXF_extra_info;
	return s;
}

/* ------------------------------------------------------------ tests */

static void test_handshake_keys(struct tap *t)
{
	struct rig r;
	struct seen s;
	char v[16];

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	CHECK(t, read_key(&r, r.be_path, "feature-multicast-control", v,
			  sizeof(v)) >= 0 && !strcmp(v, "1"));
	CHECK(t, read_key(&r, r.be_path, "feature-dynamic-multicast-control",
			  v, sizeof(v)) >= 0 && !strcmp(v, "1"));
	CHECK(t, read_key(&r, r.fe_path, "request-multicast-control", v,
			  sizeof(v)) >= 0 && !strcmp(v, "1"));
	CHECK_EQ(t, r.f->feat.mcast_control, 1);
	CHECK_EQ(t, r.f->feat.mcast_dynamic, 1);
	CHECK_EQ(t, r.b->mcast.requested, 1);
	rig_free(&r);

	CHECK_EQ(t, setup(&r, &s, 0), 0);
	CHECK(t, read_key(&r, r.fe_path, "request-multicast-control", v,
			  sizeof(v)) >= 0 && !strcmp(v, "0"));
	CHECK_EQ(t, r.b->mcast.requested, 0);
	rig_free(&r);
}

static void test_add_del_through_ring(struct tap *t)
{
	struct rig r;
	struct seen s;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	/* Requested, list empty: every multicast group filtered. */
	CHECK_EQ(t, nc_back_mcast_match(r.b, G1), 0);
	CHECK_EQ(t, nc_back_mcast_match(r.b, BCAST), 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, UCAST), 1);
	CHECK_EQ(t, nc_front_mcast_add(r.f, G1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_acked, 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G1), 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 0);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->added, 1);
	/* Not a data frame: nothing counted as sent or received. */
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, 0);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets, 0);
	CHECK_EQ(t, nc_front_mcast_del(r.f, G1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_acked, 2);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G1), 0);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->deleted, 1);
	/* The frontend's own checks. */
	CHECK_EQ(t, nc_front_mcast_add(r.f, UCAST), NC_EINVAL);
	CHECK_EQ(t, r.f->q[0].nfree_ids, NC_TX_RING_SIZE);
	rig_free(&r);
}

static void test_delivery_filtered(struct tap *t)
{
	struct rig r;
	struct seen s;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	CHECK_EQ(t, nc_front_mcast_add(r.f, G1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, queue_to(&r, G1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, s.frames, 1);
	CHECK(t, !memcmp(s.last_dest, G1, 6));
	CHECK_EQ(t, queue_to(&r, G2), NC_OK);   /* withheld, not an error */
	rig_pump(&r, 4);
	CHECK_EQ(t, s.frames, 1);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->filtered, 1);
	CHECK_EQ(t, queue_to(&r, BCAST), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, s.frames, 2);
	CHECK_EQ(t, queue_to(&r, UCAST), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, s.frames, 3);
	rig_free(&r);
}

static void test_not_requested_all_pass(struct tap *t)
{
	struct rig r;
	struct seen s;

	CHECK_EQ(t, setup(&r, &s, 0), 0);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 1);
	/* The list is still amended (netif.h), just not applied. */
	CHECK_EQ(t, nc_front_mcast_add(r.f, G1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.b->mcast.count, 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 1);
	CHECK_EQ(t, queue_to(&r, G2), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, s.frames, 1);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->filtered, 0);
	rig_free(&r);
}

static void test_dynamic(struct tap *t)
{
	struct rig r;
	struct seen s;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 0);
	write_request(&r, "0");
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 1);
	CHECK_EQ(t, nc_front_mcast_request(r.f, 1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 0);
	CHECK_EQ(t, nc_front_mcast_request(r.f, 0), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 1);
	write_request(&r, "1");
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 0);
	write_request(&r, "junk");              /* malformed: not requested */
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 1);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	rig_free(&r);
}

/* A reconnection empties the list (Linux frees it on disconnect). */
static void test_reconnect_empties(struct tap *t)
{
	struct rig r;
	struct seen s;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	CHECK_EQ(t, nc_front_mcast_add(r.f, G1), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.b->mcast.count, 1);
	nc_back_close(r.b);     /* removes the backend directory */
	rig_pump(&r, 4);
	CHECK_EQ(t, r.b->mcast.count, 0);
	CHECK_EQ(t, rig_vif(&r, 0), 0);        /* the toolstack again */
	memset(r.b, 0, sizeof(*r.b));
	CHECK_EQ(t, rig_start_back(&r), NC_OK);
	CHECK_EQ(t, rig_connect(&r), 0);
	CHECK_EQ(t, r.b->mcast.count, 0);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G1), 0);
	rig_free(&r);
}

/* ------------------------------------------------------------ hostile */

static void test_unicast_add(struct tap *t)
{
	struct rig r;
	struct seen s;
	netif_tx_request_t sl[2];

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	sl[0] = dummy_slot();
	sl[1] = extra_slot(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, UCAST);
	raw_update(&r, sl, 2);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_refused, 1);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->not_group, 1);
	CHECK_EQ(t, r.b->mcast.count, 0);
	CHECK_EQ(t, nc_back_mcast_match(r.b, UCAST), 1);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTED);
	rig_free(&r);
}

static void test_too_many(struct tap *t)
{
	struct rig r;
	struct seen s;
	uint8_t g[6];
	unsigned i;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	memcpy(g, G1, 6);
	for (i = 0; i < NC_BACK_MCAST_MAX + 6; i++) {
		g[5] = (uint8_t)(0x10 + i);
		CHECK_EQ(t, nc_front_mcast_add(r.f, g), NC_OK);
		rig_pump(&r, 2);
	}
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_acked, NC_BACK_MCAST_MAX);
	CHECK_EQ(t, r.f->mcast_refused, 6);
	CHECK_EQ(t, r.b->mcast.count, NC_BACK_MCAST_MAX);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->full, 6);
	/* As Linux: refused adds change nothing; filtering goes on. */
	g[5] = 0x10;
	CHECK_EQ(t, nc_back_mcast_match(r.b, g), 1);
	g[5] = (uint8_t)(0x10 + NC_BACK_MCAST_MAX);     /* the 65th */
	CHECK_EQ(t, nc_back_mcast_match(r.b, g), 0);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 0);
	/* A delete makes room again. */
	g[5] = 0x10;
	CHECK_EQ(t, nc_front_mcast_del(r.f, g), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_front_mcast_add(r.f, G2), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G2), 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, g), 0);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	rig_free(&r);
}

static void test_del_unknown(struct tap *t)
{
	struct rig r;
	struct seen s;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	CHECK_EQ(t, nc_front_mcast_add(r.f, G1), NC_OK);
	CHECK_EQ(t, nc_front_mcast_del(r.f, G2), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_acked, 2);        /* DEL is always OKAY */
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->del_unknown, 1);
	CHECK_EQ(t, r.b->mcast.count, 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G1), 1);
	rig_free(&r);
}

/* GSO extra, then MCAST_ADD: the update applies (as Linux), the dummy
 * is answered OKAY and both extras NULL; nothing is delivered. */
static void test_after_gso_extra(struct tap *t)
{
	struct rig r;
	struct seen s;
	netif_tx_request_t sl[3];
	netif_extra_info_t x;

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	sl[0] = dummy_slot();
	memset(&x, 0, sizeof(x));
	x.type = XEN_NETIF_EXTRA_TYPE_GSO;
	x.flags = XEN_NETIF_EXTRA_FLAG_MORE;
	x.u.gso.size = 1400;
	x.u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
	memset(&sl[1], 0, sizeof(sl[1]));
	memcpy(&sl[1], &x, sizeof(x));
	sl[2] = extra_slot(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, G1);
	raw_update(&r, sl, 3);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_acked, 1);
	CHECK_EQ(t, nc_back_mcast_match(r.b, G1), 1);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets, 0);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTED);
	rig_free(&r);
}

/* ADD and DEL in one request: only the ADD applies (Linux). */
static void test_add_and_del_together(struct tap *t)
{
	struct rig r;
	struct seen s;
	netif_tx_request_t sl[3];

	CHECK_EQ(t, setup(&r, &s, 1), 0);
	sl[0] = dummy_slot();
	sl[1] = extra_slot(XEN_NETIF_EXTRA_TYPE_MCAST_DEL,
			   XEN_NETIF_EXTRA_FLAG_MORE, G1);
	sl[2] = extra_slot(XEN_NETIF_EXTRA_TYPE_MCAST_ADD, 0, G1);
	raw_update(&r, sl, 3);
	rig_pump(&r, 4);
	CHECK_EQ(t, r.f->mcast_acked, 1);
	CHECK_EQ(t, r.b->mcast.count, 1);
	CHECK_EQ(t, nc_back_mcast_stats(r.b)->deleted, 0);
	rig_free(&r);
}

/* An extra of no known type: the protocol is broken, the vif disabled
 * (Linux: xenvif_get_extras, fatal), no crash, counted. */
static void test_garbage_extra_type(struct tap *t)
{
	static const uint8_t bad[] = { 0, XEN_NETIF_EXTRA_TYPE_MAX, 0x7f };
	unsigned i;

	for (i = 0; i < sizeof(bad); i++) {
		struct rig r;
		struct seen s;
		netif_tx_request_t sl[2];

		CHECK_EQ(t, setup(&r, &s, 1), 0);
		sl[0] = dummy_slot();
		sl[1] = extra_slot(bad[i], 0, G1);
		raw_update(&r, sl, 2);
		rig_pump(&r, 4);
		/* Disabled (Closing), then torn down once the frontend
		 * closed in turn. */
		CHECK(t, nc_back_state(r.b) == NC_BACK_DISABLED ||
			 nc_back_state(r.b) == NC_BACK_CLOSED);
		CHECK(t, nc_front_state(r.f) != NC_FRONT_CONNECTED);
		CHECK_EQ(t, r.b->disable_reason, NC_R_BAD_EXTRA);
		CHECK_EQ(t, r.b->stats.rx.reason[NC_R_BAD_EXTRA], 1);
		CHECK_EQ(t, r.b->mcast.count, 0);
		rig_free(&r);
	}
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "mcast: handshake keys", test_handshake_keys);
	tap_run(&t, "mcast: add/del through the ring", test_add_del_through_ring);
	tap_run(&t, "mcast: delivery filtered", test_delivery_filtered);
	tap_run(&t, "mcast: not requested, all pass",
		test_not_requested_all_pass);
	tap_run(&t, "mcast: dynamic request key", test_dynamic);
	tap_run(&t, "mcast: reconnection empties the list",
		test_reconnect_empties);
	tap_run(&t, "mcast hostile: unicast add", test_unicast_add);
	tap_run(&t, "mcast hostile: 70 adds", test_too_many);
	tap_run(&t, "mcast hostile: del unknown", test_del_unknown);
	tap_run(&t, "mcast hostile: after a GSO extra", test_after_gso_extra);
	tap_run(&t, "mcast hostile: add and del together",
		test_add_and_del_together);
	tap_run(&t, "mcast hostile: garbage extra type",
		test_garbage_extra_type);
	return tap_done(&t);
}

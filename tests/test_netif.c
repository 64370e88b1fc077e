/*
 * test_netif.c - netfront and netback together over the in-process
 * platform: the handshake, 100,000+ frames each way byte-exact with
 * scatter-gather and checksum flags in poison mode, partial checksums
 * completed, a backend restart mid-traffic, a frontend vanishing.
 */
#include <stdio.h>

#include "harness.h"
#include "netchannel/csum.h"
#include "rig.h"

/* ------------------------------------------------------------ content */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Frame `seq`: its bytes are a function of seq, so the receiver can check
 * every one without a copy of what was sent. */
static void fill_pattern(uint8_t *buf, size_t len, uint32_t seq)
{
	uint32_t s = seq * 2654435761u + 1;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		uint32_t v = rnd(&s);

		memcpy(buf + i, &v, 4);
	}
	for (; i < len; i++)
		buf[i] = (uint8_t)rnd(&s);
	if (len >= 4)
		memcpy(buf, &seq, 4);
}

static int check_pattern(const uint8_t *buf, size_t len, uint32_t *seq)
{
	static uint8_t want[65536];

	if (len < 4)
		return 0;
	memcpy(seq, buf, 4);
	fill_pattern(want, len, *seq);
	return memcmp(want, buf, len) == 0;
}

static int has_poison(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + NC_POOL_POISON_LEN <= n; i++)
		if (!memcmp(p + i, NC_POOL_POISON, NC_POOL_POISON_LEN))
			return 1;
	return 0;
}

static size_t frame_size(uint32_t *s)
{
	return 14 + rnd(s) % (65535 - 14 + 1);
}

static uint32_t frame_flags(uint32_t seq)
{
	switch (seq % 3) {
	case 0: return NC_FRAME_CSUM_BLANK;
	case 1: return NC_FRAME_DATA_VALIDATED;
	default: return 0;
	}
}

/* ------------------------------------------------------------ receivers */

struct tally {
	uint32_t next_seq;
	uint64_t frames, bytes, bad, bad_flags, out_of_order, poison;
	uint32_t sizes_seed;  /* regenerates the expected sizes */
};

static void check_frame(struct tally *t, const struct nc_frame *fr)
{
	uint32_t seq = 0, want_flags;
	size_t want_len = frame_size(&t->sizes_seed);

	if (!check_pattern(fr->data, fr->len, &seq) || fr->len != want_len)
		t->bad++;
	if (seq != t->next_seq)
		t->out_of_order++;
	want_flags = frame_flags(seq);
	/* a partial checksum is also validated data on the wire */
	if ((fr->flags & NC_FRAME_CSUM_BLANK) !=
	    (want_flags & NC_FRAME_CSUM_BLANK) ||
	    ((want_flags & NC_FRAME_DATA_VALIDATED) &&
	     !(fr->flags & NC_FRAME_DATA_VALIDATED)))
		t->bad_flags++;
	if (has_poison(fr->data, fr->len))
		t->poison++;
	t->next_seq = seq + 1;
	t->frames++;
	t->bytes += fr->len;
}

static void on_back_deliver(void *arg, const struct nc_frame *fr)
{
	check_frame(arg, fr);
}

static void on_front_rx(void *arg, const struct nc_frame *fr)
{
	check_frame(arg, fr);
}

/* ------------------------------------------------------------ senders */

struct sender {
	uint32_t seq;
	uint32_t sizes_seed;
	size_t pending;       /* size of the frame being sent, 0: pick */
};

static size_t fill_frame(void *ctx, uint8_t *buf, size_t size)
{
	struct sender *s = ctx;

	fill_pattern(buf, size, s->seq);
	return size;
}

static int front_send_next(struct nc_front *f, struct sender *s)
{
	int rc;

	if (!s->pending)
		s->pending = frame_size(&s->sizes_seed);
	rc = nc_front_write(f, s->pending, fill_frame, s, frame_flags(s->seq));
	if (rc == NC_OK) {
		s->seq++;
		s->pending = 0;
	}
	return rc;
}

static int back_send_next(struct nc_back *b, struct sender *s,
			  uint8_t *scratch)
{
	struct nc_frame fr;
	int rc;

	if (!s->pending)
		s->pending = frame_size(&s->sizes_seed);
	if (!nc_back_can_queue(b, (uint32_t)s->pending))
		return NC_EAGAIN;
	fill_pattern(scratch, s->pending, s->seq);
	fr.data = scratch;
	fr.len = (uint32_t)s->pending;
	fr.flags = frame_flags(s->seq);
	fr.gso_size = 0;
	fr.gso_type = 0;
	rc = nc_back_queue(b, &fr);
	if (rc == NC_OK) {
		s->seq++;
		s->pending = 0;
	}
	return rc;
}

/* ------------------------------------------------------------ tests */

struct states {
	int fe[16], be[16];
	int nfe, nbe;
};

/* Read the watched state nodes after each step: xenstore events carry
 * only a path, so a watcher sees the value as it is when it looks. */
static void collect(struct rig *r, struct states *st)
{
	char path[128], tok[16], val[16];

	while (r->tool.store.ops->read_watch(r->tool.store.ctx, path,
					     sizeof(path), tok,
					     sizeof(tok)) > 0) {
		int *seq = tok[0] == 'f' ? st->fe : st->be;
		int *n = tok[0] == 'f' ? &st->nfe : &st->nbe;

		if (r->tool.store.ops->read(r->tool.store.ctx, 0, path, val,
					    sizeof(val)) > 0 &&
		    *n < 16 && (*n == 0 || seq[*n - 1] != atoi(val)))
			seq[(*n)++] = atoi(val);
	}
}

static void test_handshake_states(struct tap *t)
{
	struct rig r;
	struct states st = { .nfe = 0 };
	char val[16];
	unsigned i;

	CHECK(t, rig_init(&r, 0) == 0);
	r.tool.store.ops->watch(r.tool.store.ctx,
				"/local/domain/1/device/vif/0/state", "fe");
	r.tool.store.ops->watch(r.tool.store.ctx,
				"/local/domain/0/backend/vif/1/0/state", "be");
	collect(&r, &st);
	CHECK_EQ(t, rig_start_back(&r), NC_OK);
	collect(&r, &st);
	CHECK_EQ(t, nc_front_init(r.f, &r.fplat, &r.fcfg), NC_OK);
	collect(&r, &st);
	for (i = 0; i < 10; i++) {
		nc_front_poll(r.f);
		collect(&r, &st);
		nc_back_poll(r.b);
		collect(&r, &st);
	}
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTED);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	/* PROTOCOL.md: backend InitWait; frontend Connected (its keys
	 * written with it in one transaction); backend Connected. */
	CHECK_EQ(t, st.nbe, 3);
	CHECK_EQ(t, st.be[0], XenbusStateInitialising);
	CHECK_EQ(t, st.be[1], XenbusStateInitWait);
	CHECK_EQ(t, st.be[2], XenbusStateConnected);
	CHECK_EQ(t, st.nfe, 2);
	CHECK_EQ(t, st.fe[0], XenbusStateInitialising);
	CHECK_EQ(t, st.fe[1], XenbusStateConnected);
	CHECK(t, r.tool.store.ops->read(r.tool.store.ctx, 0,
		"/local/domain/1/device/vif/0/tx-ring-ref", val, 16) > 0);
	CHECK(t, r.tool.store.ops->read(r.tool.store.ctx, 0,
		"/local/domain/1/device/vif/0/request-rx-copy", val, 16) > 0 &&
		val[0] == '1');
	CHECK(t, r.tool.store.ops->read(r.tool.store.ctx, 0,
		"/local/domain/0/backend/vif/1/0/feature-rx-copy", val, 16) > 0 &&
		val[0] == '1');
	CHECK(t, r.f->feat.sg);
	CHECK(t, r.f->mac[5] == 0x56 && r.f->mtu == 1500 && r.f->trusted);
	/* teardown: frontend Closing -> backend Closing, Closed, gone */
	nc_front_close(r.f);
	collect(&r, &st);
	for (i = 0; i < 10; i++) {
		nc_back_poll(r.b);
		collect(&r, &st);
		nc_front_poll(r.f);
		collect(&r, &st);
	}
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_STOPPED);
	CHECK_EQ(t, st.fe[st.nfe - 2], XenbusStateClosing);
	CHECK_EQ(t, st.fe[st.nfe - 1], XenbusStateClosed);
	/* the backend let go, went Closing and Closed, removed its dir */
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CLOSED);
	CHECK_EQ(t, r.tool.store.ops->read(r.tool.store.ctx, 0,
		"/local/domain/0/backend/vif/1/0/state", val, 16), NC_ENOENT);
	rig_free(&r);
}

/* Send `count` frames each way, interleaved, and check them all. */
static void bidirectional(struct tap *t, struct rig *r, unsigned count)
{
	struct sender fs = { .seq = 0, .sizes_seed = 7 };
	struct sender bs = { .seq = 0, .sizes_seed = 99 };
	struct tally *bt = calloc(1, sizeof(*bt)), *ft = calloc(1, sizeof(*ft));
	uint8_t *scratch = malloc(65536);
	unsigned guard = 0;

	bt->sizes_seed = 7;
	ft->sizes_seed = 99;
	r->b->cfg.deliver = on_back_deliver;
	r->b->cfg.deliver_arg = bt;
	r->f->cfg.rx = on_front_rx;
	r->f->cfg.rx_arg = ft;
	while ((bt->frames < count || ft->frames < count) && guard++ < 50000000) {
		int k;

		for (k = 0; k < 64 && fs.seq < count; k++)
			if (front_send_next(r->f, &fs) != NC_OK)
				break;
		for (k = 0; k < 64 && bs.seq < count; k++)
			if (back_send_next(r->b, &bs, scratch) != NC_OK)
				break;
		rig_pump(r, 1);
	}
	/* let the last answers come back */
	for (guard = 0; guard < 100 &&
	     nc_front_stats(r->f)->tx.packets < count; guard++)
		rig_pump(r, 1);
	CHECK_EQ(t, bt->frames, count);
	CHECK_EQ(t, ft->frames, count);
	CHECK_EQ(t, bt->bad + ft->bad, 0);
	CHECK_EQ(t, bt->bad_flags + ft->bad_flags, 0);
	CHECK_EQ(t, bt->out_of_order + ft->out_of_order, 0);
	CHECK_EQ(t, bt->poison + ft->poison, 0);
	CHECK_EQ(t, r->f->q[0].pool.stats.poison_violations, 0);
	/* the counters of the two ends reconcile */
	CHECK_EQ(t, nc_front_stats(r->f)->tx.packets, count);
	CHECK_EQ(t, nc_back_stats(r->b)->rx.packets, count);
	CHECK_EQ(t, nc_back_stats(r->b)->rx.bytes, bt->bytes);
	CHECK_EQ(t, nc_front_stats(r->f)->rx.packets, count);
	CHECK_EQ(t, nc_back_stats(r->b)->tx.packets, count);
	CHECK_EQ(t, nc_front_stats(r->f)->rx.bytes, ft->bytes);
	tap_diag("%u frames each way, %.1f MB front->back, %.1f MB back->front",
		 count, bt->bytes / 1e6, ft->bytes / 1e6);
	free(bt);
	free(ft);
	free(scratch);
}

static void test_100k_frames_each_way(struct tap *t)
{
	struct rig r;

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	bidirectional(t, &r, 100000);
	rig_free(&r);
}

static void test_untrusted_backend_bounces(struct tap *t)
{
	struct rig r;

	CHECK(t, rig_init(&r, 1) == 0);        /* trusted = 0 */
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK(t, !r.f->trusted);
	/* XSA-403: whole pages per frame */
	CHECK_EQ(t, r.f->q[0].pool.block_size, NC_PAGE_SIZE);
	bidirectional(t, &r, 5000);
	rig_free(&r);
}

static void test_no_sg(struct tap *t)
{
	struct rig r;
	uint8_t big[5000] = { 0 };
	struct nc_iov iov = { big, sizeof(big) };

	CHECK(t, rig_init(&r, 0) == 0);
	r.bcfg.no_sg = 1;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK(t, !r.f->feat.sg);
	/* a frame too big without SG gets a clear error */
	CHECK_EQ(t, nc_front_send(r.f, &iov, 1, 0), NC_EMSGSIZE);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.reason[NC_R_TOO_BIG], 1);
	iov.len = 4096;
	CHECK_EQ(t, nc_front_send(r.f, &iov, 1, 0), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets, 1);
	rig_free(&r);
}

/* A UDP frame whose checksum field holds only the pseudo-header sum. */
static size_t partial_udp(uint8_t *f)
{
	size_t l4 = 8 + 100;
	uint16_t c;

	memset(f, 0, 14 + 20 + l4);
	memcpy(f, "\x00\x16\x3e\x00\x00\x01\x00\x16\x3e\x12\x34\x56\x08\x00",
	       14);
	f[14] = 0x45;
	f[17] = (uint8_t)(20 + l4);
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	f[35] = 53;
	f[37] = 53;
	f[39] = (uint8_t)l4;
	memset(f + 42, 'x', 100);
	c = nc_csum(f + 14, 20);
	memcpy(f + 24, &c, 2);
	c = (uint16_t)~nc_csum_fold(nc_csum_pseudo_v4(f + 26, f + 30, 17,
						       (uint32_t)l4));
	memcpy(f + 40, &c, 2);
	return 14 + 20 + l4;
}

struct one { uint8_t data[2048]; uint32_t len, flags; int n; };

static void keep_one(void *arg, const struct nc_frame *fr)
{
	struct one *o = arg;

	memcpy(o->data, fr->data, fr->len < 2048 ? fr->len : 2048);
	o->len = fr->len;
	o->flags = fr->flags;
	o->n++;
}

static void test_partial_checksum_completed(struct tap *t)
{
	struct rig r;
	struct one got = { .n = 0 };
	uint8_t f[256];
	struct nc_iov iov = { f, 0 };

	CHECK(t, rig_init(&r, 0) == 0);
	r.bcfg.need_full_csum = 1;
	r.bcfg.deliver = keep_one;
	r.bcfg.deliver_arg = &got;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	iov.len = partial_udp(f);
	CHECK_EQ(t, nc_csum_verify_frame(f, iov.len), 0);
	CHECK_EQ(t, nc_front_send(r.f, &iov, 1, NC_FRAME_CSUM_BLANK), NC_OK);
	rig_pump(&r, 4);
	CHECK_EQ(t, got.n, 1);
	CHECK_EQ(t, nc_csum_verify_frame(got.data, got.len), 1);
	CHECK(t, !(got.flags & NC_FRAME_CSUM_BLANK));
	rig_free(&r);
}

static void test_backend_restart_mid_traffic(struct tap *t)
{
	struct rig r;
	struct nc_inproc_counts c;
	struct sender fs = { .seq = 0, .sizes_seed = 3 };
	unsigned i, sent_after = 0;

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	for (i = 0; i < 300; i++) {
		front_send_next(r.f, &fs);
		if (i % 7 == 0)
			rig_pump(&r, 1);
	}
	/* the backend process dies: no state written, its mappings and
	 * ports released by the platform, frames still in flight */
	nc_inproc_close(r.bh);
	r.bh = NULL;
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.mappings, 0);
	rig_pump(&r, 3);
	/* the frontend noticed (its event channel's peer closed) and let
	 * go of everything; nothing was still mapped, nothing quarantined */
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CLOSED);
	nc_inproc_counts(r.w, RIG_FE, &c);
	CHECK_EQ(t, c.grants, 0);
	/* a new backend process for the same vif */
	r.bh = nc_inproc_open(r.w, RIG_BE, &r.bplat);
	memset(r.b, 0, sizeof(*r.b));
	CHECK_EQ(t, rig_start_back(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK_EQ(t, nc_front_stats(r.f)->connects, 2);
	CHECK_EQ(t, r.f->quarantined_pages, 0);
	for (i = 0; i < 500; i++) {
		if (front_send_next(r.f, &fs) == NC_OK)
			sent_after++;
		rig_pump(&r, 1);
	}
	CHECK_EQ(t, sent_after, 500);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets, 500);
	rig_free(&r);
}

static void test_frontend_vanishes(struct tap *t)
{
	struct rig r;
	struct nc_inproc_counts c;
	char v[16];
	unsigned i;

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	nc_inproc_counts(r.w, RIG_BE, &c);
	/* two ports: split event channels (TX, RX) are used by default */
	CHECK(t, c.mappings >= 2 && c.ports == 2);
	/* the guest dies: its handles, grants and store nodes go */
	nc_inproc_destroy_domain(r.w, RIG_FE);
	r.fh = NULL;
	for (i = 0; i < 10; i++)
		nc_back_poll(r.b);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CLOSED);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, r.tool.store.ops->read(r.tool.store.ctx, 0,
		"/local/domain/0/backend/vif/1/0/state", v, sizeof(v)),
		NC_ENOENT);
	rig_free(&r);
}

static void test_frontend_close_is_clean(struct tap *t)
{
	struct rig r;
	struct nc_inproc_counts c;
	unsigned i;

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	nc_front_close(r.f);
	for (i = 0; i < 5; i++)
		rig_pump(&r, 1);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CLOSED);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_STOPPED);
	nc_inproc_counts(r.w, RIG_FE, &c);
	/* every grant revoked: the backend had let go first */
	CHECK_EQ(t, c.grants, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, r.f->quarantined_pages, 0);
	rig_free(&r);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "handshake state sequences", test_handshake_states);
	tap_run(&t, "100,000 frames each way, 14..65535 B, SG, csum flags, "
		"poison", test_100k_frames_each_way);
	tap_run(&t, "untrusted backend: whole-page bounce",
		test_untrusted_backend_bounces);
	tap_run(&t, "no scatter-gather: clear error for big frames",
		test_no_sg);
	tap_run(&t, "partial checksum completed by the backend",
		test_partial_checksum_completed);
	tap_run(&t, "backend restart mid-traffic, reconnect",
		test_backend_restart_mid_traffic);
	tap_run(&t, "frontend vanishes: backend frees all",
		test_frontend_vanishes);
	tap_run(&t, "frontend close revokes every grant",
		test_frontend_close_is_clean);
	return tap_done(&t);
}

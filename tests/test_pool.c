/*
 * test_pool.c - the transmit pool over the in-process platform, with the
 * backend domain mapping the pool's pages as a real peer would.
 */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netchannel/csum.h"
#include "netchannel/inproc.h"
#include "netchannel/pool.h"

#define FRONT 1
#define BACK 0

struct env {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *fh, *bh;
	struct nc_platform front, back;
	struct nc_pool pool;
	const uint8_t *peer_view;   /* the backend's mapping of all pages */
};

static int env_init(struct env *e, unsigned npages, unsigned bs, int poison)
{
	struct nc_pool_config cfg = { .npages = npages, .block_size = bs,
				      .poison = poison, .readonly = 1 };

	memset(e, 0, sizeof(*e));
	e->w = nc_inproc_world_new();
	e->fh = nc_inproc_open(e->w, FRONT, &e->front);
	e->bh = nc_inproc_open(e->w, BACK, &e->back);
	if (nc_pool_init(&e->pool, e->front.grants, BACK, &cfg) != NC_OK)
		return -1;
	e->peer_view = e->back.grants.ops->map(e->back.grants.ctx, FRONT,
					       npages, e->pool.refs, 0);
	return e->peer_view ? 0 : -1;
}

static void env_free(struct env *e)
{
	if (e->peer_view)
		e->back.grants.ops->unmap(e->back.grants.ctx,
					  (void *)e->peer_view, e->pool.npages);
	nc_pool_destroy(&e->pool);
	nc_inproc_close(e->fh);
	nc_inproc_close(e->bh);
	nc_inproc_world_free(e->w);
}

/* What the peer reads for a view: through its own mapping and the
 * slices (gref, offset, len) a TX request would carry. */
static void peer_read(struct env *e, const struct nc_pool_view *v,
		      uint32_t used, uint8_t *out)
{
	struct nc_pool_slice sl[NC_MAX_SLOTS];
	int n = nc_pool_slices(&e->pool, v, used, sl, NC_MAX_SLOTS), i;
	unsigned j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < e->pool.npages; j++)
			if (e->pool.refs[j] == sl[i].gref)
				break;
		memcpy(out, e->peer_view + (size_t)j * NC_PAGE_SIZE +
		       sl[i].offset, sl[i].len);
		out += sl[i].len;
	}
}

static int all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return 0;
	return 1;
}

static int has_poison(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + NC_POOL_POISON_LEN <= n; i++)
		if (!memcmp(p + i, NC_POOL_POISON, NC_POOL_POISON_LEN))
			return 1;
	return 0;
}

static void send_and_complete(struct env *e, struct nc_pool_view *v)
{
	nc_pool_post(&e->pool, v);
	nc_pool_complete(&e->pool, v->first, v->nblocks);
}

static void test_init_grants_pages(struct tap *t)
{
	struct env e;
	struct nc_inproc_counts c;

	CHECK(t, env_init(&e, 16, 0, 1) == 0);
	nc_inproc_counts(e.w, FRONT, &c);
	CHECK_EQ(t, c.grants, 16);
	CHECK_EQ(t, e.pool.nblocks, 32);
	CHECK_EQ(t, e.pool.stats.free_blocks, 32);
	env_free(&e);
}

static void test_bad_configs(struct tap *t)
{
	struct env e;
	struct nc_pool p;
	struct nc_pool_config c = { .npages = 0 };

	env_init(&e, 1, 0, 1);
	CHECK_EQ(t, nc_pool_init(&p, e.front.grants, BACK, &c), NC_EINVAL);
	c.npages = NC_POOL_MAX_PAGES + 1;
	CHECK_EQ(t, nc_pool_init(&p, e.front.grants, BACK, &c), NC_EINVAL);
	c.npages = 4;
	c.block_size = 1000;
	CHECK_EQ(t, nc_pool_init(&p, e.front.grants, BACK, &c), NC_EINVAL);
	c.block_size = 8192;
	CHECK_EQ(t, nc_pool_init(&p, e.front.grants, BACK, &c), NC_EINVAL);
	env_free(&e);
}

static void test_view_is_exact_and_zero(struct tap *t)
{
	struct env e;
	struct nc_pool_view v;

	env_init(&e, 8, 0, 1);
	CHECK_EQ(t, nc_pool_take(&e.pool, 100, &v), NC_OK);
	CHECK_EQ(t, v.size, 100);
	CHECK_EQ(t, v.nblocks, 1);
	CHECK(t, all_zero(v.data, v.size));
	CHECK_EQ(t, nc_pool_take(&e.pool, 0, &v), NC_EMSGSIZE);
	CHECK_EQ(t, nc_pool_take(&e.pool, 65536, &v), NC_EMSGSIZE);
	env_free(&e);
}

static void test_rezero_only_dirty(struct tap *t)
{
	struct env e;
	struct nc_pool_view v;
	uint64_t before;
	unsigned i;

	env_init(&e, 1, 2048, 0);   /* two blocks: reuse is forced */
	for (i = 0; i < 10; i++) {
		CHECK_EQ(t, nc_pool_take(&e.pool, 64, &v), NC_OK);
		memset(v.data, 0xEE, 64);
		send_and_complete(&e, &v);
	}
	before = e.pool.stats.bytes_zeroed;
	CHECK_EQ(t, nc_pool_take(&e.pool, 64, &v), NC_OK);
	/* only the 64 bytes the last frame could touch were re-zeroed */
	CHECK_EQ(t, e.pool.stats.bytes_zeroed - before, 64);
	CHECK(t, all_zero(v.data, 64));
	send_and_complete(&e, &v);
	CHECK_EQ(t, nc_pool_take(&e.pool, 2048, &v), NC_OK);
	CHECK(t, all_zero(v.data, 2048));
	env_free(&e);
}

static void test_big_view_contiguous(struct tap *t)
{
	struct env e;
	struct nc_pool_view small, big;
	struct nc_pool_slice sl[NC_MAX_SLOTS];
	uint8_t *back = malloc(65535);
	int n, i;
	unsigned total = 0;

	env_init(&e, 64, 0, 1);
	CHECK_EQ(t, nc_pool_take(&e.pool, 1000, &small), NC_OK);
	/* the big view starts mid-page: 17 page pieces, fewer than 18 */
	CHECK_EQ(t, nc_pool_take(&e.pool, 65535, &big), NC_OK);
	CHECK_EQ(t, big.nblocks, 32);
	CHECK(t, all_zero(big.data, 65535));
	for (i = 0; i < 65535; i++)
		big.data[i] = (uint8_t)(i * 7 + 3);
	n = nc_pool_slices(&e.pool, &big, 65535, sl, NC_MAX_SLOTS);
	CHECK_EQ(t, n, 17);
	for (i = 0; i < n; i++) {
		CHECK(t, sl[i].offset + sl[i].len <= NC_PAGE_SIZE);
		total += sl[i].len;
	}
	CHECK_EQ(t, total, 65535);
	CHECK_EQ(t, sl[0].offset, 2048);
	peer_read(&e, &big, 65535, back);
	CHECK(t, memcmp(back, big.data, 65535) == 0);
	CHECK_EQ(t, nc_pool_slices(&e.pool, &big, 65535, sl, 4), NC_E2BIG);
	free(back);
	env_free(&e);
}

static int space_calls;
static void on_space(void *arg) { (void)arg; space_calls++; }

static void test_exhaustion_is_backpressure(struct tap *t)
{
	struct env e;
	struct nc_pool_view v[8], extra;
	unsigned i;

	env_init(&e, 4, 0, 1);
	space_calls = 0;
	nc_pool_on_space(&e.pool, on_space, NULL);
	for (i = 0; i < 8; i++) {
		CHECK_EQ(t, nc_pool_take(&e.pool, 1500, &v[i]), NC_OK);
		nc_pool_post(&e.pool, &v[i]);
	}
	CHECK_EQ(t, nc_pool_take(&e.pool, 60, &extra), NC_EAGAIN);
	CHECK_EQ(t, nc_pool_take(&e.pool, 60, &extra), NC_EAGAIN);
	CHECK_EQ(t, e.pool.stats.exhausted, 2);
	CHECK_EQ(t, space_calls, 0);
	nc_pool_complete(&e.pool, v[3].first, v[3].nblocks);
	CHECK_EQ(t, space_calls, 1);       /* once, not per block */
	nc_pool_complete(&e.pool, v[4].first, v[4].nblocks);
	CHECK_EQ(t, space_calls, 1);
	CHECK_EQ(t, nc_pool_take(&e.pool, 4096, &extra), NC_OK);
	env_free(&e);
}

static void test_no_fit_without_contiguous_run(struct tap *t)
{
	struct env e;
	struct nc_pool_view v[8], big;
	unsigned i;

	env_init(&e, 4, 0, 1);
	for (i = 0; i < 8; i++) {
		nc_pool_take(&e.pool, 100, &v[i]);
		nc_pool_post(&e.pool, &v[i]);
	}
	/* free every other block: 4 free, no two adjacent */
	for (i = 0; i < 8; i += 2)
		nc_pool_complete(&e.pool, v[i].first, 1);
	CHECK_EQ(t, nc_pool_take(&e.pool, 3000, &big), NC_EAGAIN);
	nc_pool_complete(&e.pool, v[5].first, 1);
	CHECK_EQ(t, nc_pool_take(&e.pool, 3000, &big), NC_OK);
	CHECK(t, big.first == 4);
	env_free(&e);
}

static void test_return_rules(struct tap *t)
{
	struct env e;
	struct nc_pool_view v;

	env_init(&e, 2, 0, 1);
	nc_pool_take(&e.pool, 3000, &v);
	/* not posted yet: the peer never had it, cannot complete it */
	CHECK_EQ(t, nc_pool_complete(&e.pool, v.first, v.nblocks), NC_EINVAL);
	CHECK_EQ(t, nc_pool_post(&e.pool, &v), NC_OK);
	CHECK_EQ(t, nc_pool_post(&e.pool, &v), NC_EINVAL);
	CHECK_EQ(t, nc_pool_abort(&e.pool, &v), NC_EINVAL);
	CHECK_EQ(t, nc_pool_complete(&e.pool, v.first, 3), NC_EINVAL);
	CHECK_EQ(t, nc_pool_complete(&e.pool, 4000, 1), NC_EINVAL);
	CHECK_EQ(t, nc_pool_complete(&e.pool, 0, 0), NC_EINVAL);
	CHECK_EQ(t, nc_pool_complete(&e.pool, v.first, v.nblocks), NC_OK);
	CHECK_EQ(t, nc_pool_complete(&e.pool, v.first, v.nblocks), NC_EINVAL);
	CHECK_EQ(t, e.pool.stats.free_blocks, 4);
	env_free(&e);
}

static void test_abort_zeroes(struct tap *t)
{
	struct env e;
	struct nc_pool_view v;

	env_init(&e, 1, 0, 0);
	nc_pool_take(&e.pool, 1000, &v);
	memset(v.data, 0x5A, 1000);
	CHECK_EQ(t, nc_pool_abort(&e.pool, &v), NC_OK);
	/* the peer can read the whole page: nothing unsent remains */
	CHECK(t, all_zero(e.peer_view, NC_PAGE_SIZE));
	env_free(&e);
}

static void test_poison_fills_and_checks(struct tap *t)
{
	struct env e;
	struct nc_pool_view v, w;
	uint8_t *stale;

	env_init(&e, 1, NC_PAGE_SIZE, 1);  /* one block: always reused */
	nc_pool_take(&e.pool, 500, &v);
	memset(v.data, 1, 500);
	send_and_complete(&e, &v);
	/* the returned block carries the pattern over what was used */
	CHECK(t, has_poison(e.peer_view, 500));
	CHECK(t, all_zero(e.peer_view + 500, NC_PAGE_SIZE - 500));
	CHECK_EQ(t, nc_pool_take(&e.pool, 500, &w), NC_OK);
	CHECK(t, all_zero(w.data, 500));
	send_and_complete(&e, &w);
	/* a writer that keeps its pointer and writes after release: past
	 * what the pool knows was dirtied, in a block it believes clean */
	stale = w.data;
	stale[3000] = 0x77;
	CHECK_EQ(t, nc_pool_take(&e.pool, 100, &w), NC_EIO);
	CHECK_EQ(t, e.pool.stats.poison_violations, 1);
	env_free(&e);
}

static void test_readonly_to_peer(struct tap *t)
{
	struct env e;
	void *rw;

	env_init(&e, 2, 0, 1);
	rw = e.back.grants.ops->map(e.back.grants.ctx, FRONT, 2, e.pool.refs,
				    1);
	CHECK(t, rw == NULL);
	env_free(&e);
}

static void test_mapped_pages_quarantined(struct tap *t)
{
	struct env e;
	struct nc_pool_view v;
	struct nc_inproc_counts c;
	const uint8_t *held;

	env_init(&e, 2, 0, 1);
	nc_pool_take(&e.pool, 10, &v);
	memcpy(v.data, "still mine", 10);
	nc_pool_post(&e.pool, &v);
	/* the backend still maps the pages: revocation must fail */
	CHECK_EQ(t, nc_pool_destroy(&e.pool), NC_EBUSY);
	CHECK_EQ(t, e.pool.stats.quarantined_pages, 2);
	nc_inproc_counts(e.w, FRONT, &c);
	CHECK_EQ(t, c.grants, 2);          /* kept, never reused */
	held = e.peer_view;
	CHECK(t, memcmp(held, "still mine", 10) == 0);
	CHECK_EQ(t, nc_pool_take(&e.pool, 10, &v), NC_EMSGSIZE);
	env_free(&e);
}

/* MSA01: an IPv4/UDP writer in mirage-tcpip's style leaves the TOS byte
 * and the checksum fields untouched, trusting them to be zero, then
 * computes the checksums.  The block last held a full-size frame of 0xFF. */
static size_t write_udp_like_mirage(uint8_t *f, size_t size)
{
	static const uint8_t mac_d[6] = { 0, 0x16, 0x3e, 1, 2, 3 };
	static const uint8_t mac_s[6] = { 0, 0x16, 0x3e, 4, 5, 6 };
	const size_t payload = 32;
	size_t ip_len = 20 + 8 + payload;
	uint16_t c;
	size_t i;

	if (size < 14 + ip_len)
		return 0;
	memcpy(f, mac_d, 6);
	memcpy(f + 6, mac_s, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	f[14] = 0x45;              /* version, IHL; TOS at f[15] untouched */
	f[16] = (uint8_t)(ip_len >> 8);
	f[17] = (uint8_t)ip_len;
	f[22] = 64;                /* TTL; id/frag offset left untouched */
	f[23] = 17;                /* UDP; header checksum f[24..25] untouched */
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[34] = 0x30; f[35] = 0x39; f[36] = 0x00; f[37] = 0x07;
	f[38] = (uint8_t)((8 + payload) >> 8);
	f[39] = (uint8_t)(8 + payload); /* UDP checksum f[40..41] untouched */
	for (i = 0; i < payload; i++)
		f[42 + i] = (uint8_t)('a' + i % 26);
	c = nc_csum(f + 14, 20);
	memcpy(f + 24, &c, 2);
	c = nc_csum_fold(nc_csum_partial(f + 34, 8 + payload,
			 nc_csum_pseudo_v4(f + 26, f + 30, 17, 8 + payload)));
	memcpy(f + 40, &c, 2);
	return 14 + ip_len;
}

static void test_msa01_regression(struct tap *t)
{
	struct env e;
	struct nc_pool_view v;
	uint8_t wire[2048];
	size_t used;

	env_init(&e, 1, NC_PAGE_SIZE, 1);  /* one block: always reused */
	/* a full-size frame of non-zero bytes goes out and comes back */
	nc_pool_take(&e.pool, 1514, &v);
	memset(v.data, 0xFF, 1514);
	send_and_complete(&e, &v);
	nc_pool_take(&e.pool, 1514, &v);
	CHECK(t, v.first == 0);            /* the very same block */
	used = write_udp_like_mirage(v.data, v.size);
	CHECK_EQ(t, used, 74);
	nc_pool_post(&e.pool, &v);
	peer_read(&e, &v, (uint32_t)used, wire);
	CHECK_EQ(t, wire[15], 0);          /* TOS: zero, not stale 0xFF */
	CHECK(t, !memchr(wire, 0xFF, used)); /* no stale byte at all */
	CHECK(t, !has_poison(wire, used));
	CHECK_EQ(t, nc_csum(wire + 14, 20), 0); /* IPv4 header verifies */
	CHECK_EQ(t, nc_csum_verify_frame(wire, used), 1); /* and UDP */
	env_free(&e);
}

/* Random sizes, random completion order, poison on: every handout is
 * zero and the peer sees exactly what each writer wrote. */
static void test_random_stress(struct tap *t)
{
	struct env e;
	struct nc_pool_view live[64];
	unsigned nlive = 0, i, bad = 0, zero_bad = 0;
	uint32_t seed = 12345;
	uint8_t *buf = malloc(65535);

	env_init(&e, 128, 0, 1);
	for (i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		if (nlive < 64 && (seed >> 16) % 3) {
			size_t sz = (seed >> 8) % 97 == 0 ? 1 + (seed % 65535)
				    : 14 + (seed >> 4) % 1501;
			struct nc_pool_view *v = &live[nlive];

			if (nc_pool_take(&e.pool, sz, v) != NC_OK)
				continue;
			if (!all_zero(v->data, v->size))
				zero_bad++;
			memset(v->data, (int)(i | 1) & 0xFF, v->size);
			nc_pool_post(&e.pool, v);
			nlive++;
		} else if (nlive) {
			unsigned k = (seed >> 3) % nlive;
			struct nc_pool_view *v = &live[k];
			size_t j;

			peer_read(&e, v, v->size, buf);
			for (j = 0; j < v->size; j++)
				if (buf[j] != v->data[0])
					bad++;
			nc_pool_complete(&e.pool, v->first, v->nblocks);
			live[k] = live[--nlive];
		}
	}
	CHECK_EQ(t, zero_bad, 0);
	CHECK_EQ(t, bad, 0);
	CHECK_EQ(t, e.pool.stats.poison_violations, 0);
	CHECK(t, e.pool.stats.takes > 50000);
	free(buf);
	env_free(&e);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "init grants every page once", test_init_grants_pages);
	tap_run(&t, "bad configurations refused", test_bad_configs);
	tap_run(&t, "a view is exactly size bytes, all zero",
		test_view_is_exact_and_zero);
	tap_run(&t, "re-zero only what the last use dirtied",
		test_rezero_only_dirty);
	tap_run(&t, "64 KiB view is contiguous, 17 slices",
		test_big_view_contiguous);
	tap_run(&t, "exhaustion is backpressure with a callback",
		test_exhaustion_is_backpressure);
	tap_run(&t, "runs never straddle a used block",
		test_no_fit_without_contiguous_run);
	tap_run(&t, "blocks return only after the peer's answer",
		test_return_rules);
	tap_run(&t, "abort zeroes what the writer left", test_abort_zeroes);
	tap_run(&t, "poison mode fills and checks",
		test_poison_fills_and_checks);
	tap_run(&t, "pool pages are read-only to the peer",
		test_readonly_to_peer);
	tap_run(&t, "XSA-396: pages still mapped are quarantined",
		test_mapped_pages_quarantined);
	tap_run(&t, "MSA01: recycled block, lazy writer, no stale byte",
		test_msa01_regression);
	tap_run(&t, "200k random takes and completions, poison on",
		test_random_stress);
	return tap_done(&t);
}

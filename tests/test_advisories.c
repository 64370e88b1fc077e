/*
 * test_advisories.c - one test per row of the security table in
 * PROTOCOL.md ("The security history to design against"), each named after
 * its advisory: the attack is reproduced against our frontend and backend
 * over the in-process platform, and the outcome the table's lesson asks
 * for is asserted.
 *
 * Two kinds of peer are used: the real nc_front / nc_back pair (rig.h),
 * and a hand-driven frontend (struct hf, as in test_back.c) that writes
 * whatever a hostile guest may write on its rings and in its store
 * directory.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "netchannel/csum.h"
#include "netchannel/ring.h"
#include "rig.h"

/* ------------------------------------------------------------ helpers */

static uint32_t rnd(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A byte of data page k at offset o that tells (k, o) apart. */
static uint8_t page_byte(unsigned k, unsigned o)
{
	uint32_t x = (k * 4096u + o) * 2654435761u;

	return (uint8_t)(x >> 24);
}

static int all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* --------------------------------------------- a hand-driven frontend */

#define HF_NDATA 24
#define HF_NBUF 256

struct hf {
	struct nc_inproc_world *w;
	int own_world;
	struct nc_inproc_handle *hts, *hbe, *hfe;
	struct nc_platform ts, be, fe;
	nc_domid_t fe_dom;
	char fe_path[64], be_path[64];
	struct nc_back *b;
	uint8_t *rxq;
	struct nc_back_config cfg;
	/* the frontend's pages, rings and port */
	uint8_t *rings;
	nc_gref_t ring_refs[2];
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	netif_tx_front_ring_t ftx;
	netif_rx_front_ring_t frx;
	nc_port_t port;
	int have_port;
	uint8_t *data;
	nc_gref_t data_refs[HF_NDATA];
	uint8_t *bufs;
	nc_gref_t buf_refs[HF_NBUF];
	/* what the backend delivered and logged */
	unsigned ndeliv;
	uint8_t *got;
	uint32_t got_len, got_flags;
	unsigned nlog;
	void (*on_frame)(struct hf *, const struct nc_frame *);
	void *user;
};

static void hf_deliver(void *arg, const struct nc_frame *fr)
{
	struct hf *e = arg;

	e->ndeliv++;
	memcpy(e->got, fr->data, fr->len);
	e->got_len = fr->len;
	e->got_flags = fr->flags;
	if (e->on_frame)
		e->on_frame(e, fr);
}

static void hf_log(void *arg, const char *what, long value)
{
	struct hf *e = arg;

	e->nlog++;
	(void)what;
	(void)value;
}

static int hf_wr(struct nc_platform *p, const char *dir, const char *key,
		 const char *v)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return p->store.ops->write(p->store.ctx, NC_TXN_NONE, path, v);
}

static int hf_wr_u(struct nc_platform *p, const char *dir, const char *key,
		   unsigned v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", v);
	return hf_wr(p, dir, key, buf);
}

static int hf_rd(struct nc_platform *p, const char *dir, const char *key,
		 char *buf, size_t len)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return p->store.ops->read(p->store.ctx, NC_TXN_NONE, path, buf, len);
}

/* As a toolstack: both directories, owners and permissions. */
static void hf_toolstack(struct hf *e)
{
	const struct nc_store_ops *s = e->ts.store.ops;
	void *c = e->ts.store.ctx;
	struct nc_store_perm be_perm[] = { { 0, NC_PERM_READ } };
	struct nc_store_perm fe_perm[] = { { e->fe_dom, NC_PERM_NONE } };

	s->mkdir(c, NC_TXN_NONE, e->be_path);
	s->set_perms(c, NC_TXN_NONE, e->be_path, be_perm, 1);
	hf_wr(&e->ts, e->be_path, "frontend", e->fe_path);
	hf_wr_u(&e->ts, e->be_path, "frontend-id", e->fe_dom);
	hf_wr(&e->ts, e->be_path, "mac", "00:16:3e:00:00:01");
	hf_wr(&e->ts, e->be_path, "handle", "0");
	s->mkdir(c, NC_TXN_NONE, e->fe_path);
	s->set_perms(c, NC_TXN_NONE, e->fe_path, fe_perm, 1);
	hf_wr(&e->ts, e->fe_path, "backend", e->be_path);
	hf_wr(&e->ts, e->fe_path, "backend-id", "0");
	hf_wr(&e->ts, e->fe_path, "mac", "00:16:3e:00:00:01");
	hf_wr_u(&e->ts, e->fe_path, "state", XenbusStateInitialising);
}

/* Fresh rings (only a frontend initialises them) and a fresh port. */
static void hf_rings(struct hf *e)
{
	if (e->have_port)
		e->fe.events.ops->unbind(e->fe.events.ctx, e->port);
	e->fe.events.ops->alloc_unbound(e->fe.events.ctx, 0, &e->port);
	e->have_port = 1;
	memset(e->rings, 0, 2 * NC_PAGE_SIZE);
	SHARED_RING_INIT(e->txs);
	FRONT_RING_INIT(&e->ftx, e->txs, NC_PAGE_SIZE);
	SHARED_RING_INIT(e->rxs);
	FRONT_RING_INIT(&e->frx, e->rxs, NC_PAGE_SIZE);
}

/* A world (or a share of `w`), the vif, a backend in InitWait and a
 * frontend with its pages granted.  cfg: backend options or NULL. */
static int hf_init(struct hf *e, struct nc_inproc_world *w,
		   nc_domid_t fe_dom, const struct nc_back_config *cfg)
{
	const struct nc_grant_ops *g;
	unsigned i;

	memset(e, 0, sizeof(*e));
	e->own_world = w == NULL;
	e->w = w ? w : nc_inproc_world_new();
	e->fe_dom = fe_dom;
	snprintf(e->fe_path, sizeof(e->fe_path),
		 "/local/domain/%u/device/vif/0", (unsigned)fe_dom);
	snprintf(e->be_path, sizeof(e->be_path),
		 "/local/domain/0/backend/vif/%u/0", (unsigned)fe_dom);
	e->hts = nc_inproc_open(e->w, 0, &e->ts);
	e->hbe = nc_inproc_open(e->w, 0, &e->be);
	e->hfe = nc_inproc_open(e->w, fe_dom, &e->fe);
	e->b = calloc(1, sizeof(*e->b));
	e->got = malloc(NC_MAX_FRAME + 1);
	if (cfg)
		e->cfg = *cfg;
	e->rxq = malloc(e->cfg.rxq_bytes ? e->cfg.rxq_bytes : (1u << 20));
	if (!e->w || !e->hts || !e->hbe || !e->hfe || !e->b || !e->got ||
	    !e->rxq)
		return -1;
	e->cfg.path = e->be_path;
	e->cfg.deliver = hf_deliver;
	e->cfg.deliver_arg = e;
	e->cfg.log = hf_log;
	e->cfg.log_arg = e;
	g = e->fe.grants.ops;
	e->rings = g->share(e->fe.grants.ctx, 0, 2, 0, e->ring_refs);
	e->data = g->share(e->fe.grants.ctx, 0, HF_NDATA, 1, e->data_refs);
	e->bufs = g->share(e->fe.grants.ctx, 0, HF_NBUF, 0, e->buf_refs);
	if (!e->rings || !e->data || !e->bufs)
		return -1;
	e->txs = (netif_tx_sring_t *)e->rings;
	e->rxs = (netif_rx_sring_t *)(e->rings + NC_PAGE_SIZE);
	for (i = 0; i < HF_NDATA * NC_PAGE_SIZE; i++)
		e->data[i] = page_byte(i / NC_PAGE_SIZE, i % NC_PAGE_SIZE);
	hf_rings(e);
	hf_toolstack(e);
	return nc_back_init(e->b, &e->be, &e->cfg, e->rxq);
}

static int hf_poll(struct hf *e)
{
	int i, rc = 0;

	for (i = 0; i < 8; i++) {
		rc = nc_back_poll(e->b);
		if (rc == 0)
			break;
	}
	return rc;
}

/* The frontend's keys, then Connected. */
static void hf_publish(struct hf *e)
{
	hf_wr_u(&e->fe, e->fe_path, "tx-ring-ref", e->ring_refs[0]);
	hf_wr_u(&e->fe, e->fe_path, "rx-ring-ref", e->ring_refs[1]);
	hf_wr_u(&e->fe, e->fe_path, "event-channel", e->port);
	hf_wr(&e->fe, e->fe_path, "request-rx-copy", "1");
	hf_wr(&e->fe, e->fe_path, "feature-rx-notify", "1");
	hf_wr(&e->fe, e->fe_path, "feature-sg", "1");
	hf_wr_u(&e->fe, e->fe_path, "state", XenbusStateConnected);
}

static int hf_connect(struct hf *e)
{
	hf_poll(e);
	hf_publish(e);
	hf_poll(e);
	return nc_back_state(e->b) == NC_BACK_CONNECTED ? 0 : -1;
}

/* The frontend closes; the backend must let go of everything. */
static void hf_close(struct hf *e)
{
	hf_wr_u(&e->fe, e->fe_path, "state", XenbusStateClosing);
	hf_wr_u(&e->fe, e->fe_path, "state", XenbusStateClosed);
	hf_poll(e);
}

/* After a disable or a close: a new backend on fresh rings. */
static int hf_reconnect(struct hf *e)
{
	if (nc_back_state(e->b) != NC_BACK_CLOSED)
		hf_close(e);
	nc_back_close(e->b);
	hf_rings(e);
	hf_toolstack(e);
	if (nc_back_init(e->b, &e->be, &e->cfg, e->rxq) != NC_OK)
		return -1;
	return hf_connect(e);
}

/* Everything the frontend holds, given back. */
static void hf_release_frontend(struct hf *e)
{
	const struct nc_grant_ops *g = e->fe.grants.ops;

	if (e->have_port)
		e->fe.events.ops->unbind(e->fe.events.ctx, e->port);
	e->have_port = 0;
	if (e->rings)
		g->unshare(e->fe.grants.ctx, e->rings, 2);
	if (e->data)
		g->unshare(e->fe.grants.ctx, e->data, HF_NDATA);
	if (e->bufs)
		g->unshare(e->fe.grants.ctx, e->bufs, HF_NBUF);
	e->rings = e->data = e->bufs = NULL;
}

static void hf_free(struct hf *e)
{
	nc_back_close(e->b);
	hf_release_frontend(e);
	nc_inproc_close(e->hts);
	nc_inproc_close(e->hbe);
	nc_inproc_close(e->hfe);
	if (e->own_world)
		nc_inproc_world_free(e->w);
	free(e->b);
	free(e->rxq);
	free(e->got);
}

static void hf_tx(struct hf *e, nc_gref_t gref, uint16_t off, uint16_t flags,
		  uint16_t id, uint16_t size)
{
	netif_tx_request_t *r = RING_GET_REQUEST(&e->ftx,
						 e->ftx.req_prod_pvt++);

	r->gref = gref;
	r->offset = off;
	r->flags = flags;
	r->id = id;
	r->size = size;
}

static void hf_push(struct hf *e)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&e->ftx, notify);
	if (notify)
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
}

static netif_tx_response_t hf_tx_rsp(struct hf *e, RING_IDX i)
{
	return *RING_GET_RESPONSE(&e->ftx, i);
}

static void hf_rx_post(struct hf *e, unsigned buf, uint16_t id)
{
	netif_rx_request_t *r = RING_GET_REQUEST(&e->frx,
						 e->frx.req_prod_pvt++);

	r->id = id;
	r->gref = e->buf_refs[buf];
}

static void hf_rx_push(struct hf *e)
{
	int notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&e->frx, notify);
	if (notify)
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
}

/* ------------------------------------------------------- frame makers */

/* Ethernet + IPv4 + UDP, `len` bytes in all: header, `pay` bytes of
 * payload from seed, the rest zero; every checksum filled in. */
static void make_udp(uint8_t *f, size_t len, size_t pay, uint8_t seed)
{
	static const uint8_t hdr[42] = {
		0, 0x16, 0x3e, 0, 0, 2, 0, 0x16, 0x3e, 0, 0, 1, 0x08, 0x00,
		0x45, 0, 0, 0, 0, 1, 0, 0, 64, 17, 0, 0,
		10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x00, 0x07, 0, 0, 0, 0,
	};
	size_t i;

	memset(f, 0, len);
	memcpy(f, hdr, sizeof(hdr));
	f[16] = (uint8_t)((len - 14) >> 8);
	f[17] = (uint8_t)(len - 14);
	f[38] = (uint8_t)((len - 34) >> 8);
	f[39] = (uint8_t)(len - 34);
	for (i = 0; i < pay && 42 + i < len; i++)
		f[42 + i] = (uint8_t)(seed + i * 3 + 1);
	nc_csum_complete_frame(f, len);
}

/* Ethernet (optionally VLAN-tagged) + IPv4 or IPv6 + TCP, `pay` bytes of
 * payload; the TCP checksum holds only the pseudo-header sum (a partial
 * checksum, NETTXF_csum_blank), the IPv4 header checksum is complete. */
static size_t make_tcp_partial(uint8_t *f, int vlan, int v6, size_t pay)
{
	size_t l2 = vlan ? 18 : 14, l3 = v6 ? 40 : 20, i;
	size_t len = l2 + l3 + 20 + pay;
	uint8_t *ip = f + l2, *tcp = ip + l3;
	uint32_t ps;
	uint16_t c;

	memset(f, 0, len);
	memcpy(f, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01", 12);
	if (vlan) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = 0x00;
		f[15] = 0x07;
	}
	f[l2 - 2] = v6 ? 0x86 : 0x08;
	f[l2 - 1] = v6 ? 0xdd : 0x00;
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)((20 + pay) >> 8);
		ip[5] = (uint8_t)(20 + pay);
		ip[6] = 6;
		ip[7] = 64;
		ip[23] = 1;
		ip[39] = 2;
		ip[8] = 0xfd;
		ip[24] = 0xfd;
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)((l3 + 20 + pay) >> 8);
		ip[3] = (uint8_t)(l3 + 20 + pay);
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10;
		ip[15] = 1;
		ip[16] = 10;
		ip[19] = 2;
		c = nc_csum(ip, 20);
		memcpy(ip + 10, &c, 2);
	}
	tcp[0] = 0x1f;
	tcp[1] = 0x90;
	tcp[2] = 0xc0;
	tcp[3] = 0x01;
	tcp[7] = 1;
	tcp[12] = 0x50;
	tcp[13] = 0x18;
	tcp[14] = 0xff;
	for (i = 0; i < pay; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	ps = v6 ? nc_csum_pseudo_v6(ip + 8, ip + 24, 6, (uint32_t)(20 + pay))
		: nc_csum_pseudo_v4(ip + 12, ip + 16, 6, (uint32_t)(20 + pay));
	/* the partial checksum: the folded pseudo-header sum, uncomplemented */
	c = (uint16_t)~nc_csum_fold(ps);
	memcpy(tcp + 16, &c, 2);
	return len;
}

/* ============================================================== MSA01 */

/* mirage-net-xen 1.10.0 handed recycled TX blocks to the writer without
 * zeroing them: the frame carried stale bytes of an earlier one, and the
 * checksums the writer computed over what it believed it sent were wrong.
 * Here: a pool of 8 pages recycled hundreds of times between frames full
 * of 0xA5 and frames whose writer fills only the header and payload and
 * relies on the rest being zero.  Every view must be zero when handed out;
 * the backend must see exactly the frame the writer meant, and its
 * checksums (computed on private memory, as the writer believes) verify. */

#define MSA_FRAMES 1500

struct msa {
	struct rig r;
	unsigned sent, delivered, bad_view, bad_frame, bad_csum;
	unsigned q_kind[MSA_FRAMES], q_len[MSA_FRAMES];
	uint8_t want[NC_MAX_FRAME];
};

struct msa_fill {
	struct msa *m;
	size_t len;
};

static size_t msa_fill_clean(void *ctx, uint8_t *buf, size_t size)
{
	struct msa_fill *x = ctx;

	/* The lesson: every byte handed to a writer is zero. */
	if (!all_zero(buf, size))
		x->m->bad_view++;
	/* The writer computes its frame privately (checksums over zeros)
	 * and writes only what is not zero: header and payload. */
	make_udp(x->m->want, x->len, 10, (uint8_t)x->m->sent);
	memcpy(buf, x->m->want, 52);
	return x->len;
}

static size_t msa_fill_dirty(void *ctx, uint8_t *buf, size_t size)
{
	struct msa_fill *x = ctx;

	if (!all_zero(buf, size))
		x->m->bad_view++;
	memset(buf, 0xA5, size);
	return size;
}

static void msa_deliver(void *arg, const struct nc_frame *fr)
{
	struct msa *m = arg;
	unsigned i = m->delivered++;
	uint32_t len = m->q_len[i];

	if (fr->len != len) {
		m->bad_frame++;
		return;
	}
	if (m->q_kind[i]) {
		make_udp(m->want, len, 10, (uint8_t)i);
		if (memcmp(fr->data, m->want, len) != 0)
			m->bad_frame++;
		if (nc_csum_verify_frame(fr->data, len) != 1)
			m->bad_csum++;
	} else {
		memset(m->want, 0xA5, len);
		if (memcmp(fr->data, m->want, len) != 0)
			m->bad_frame++;
	}
}

static void msa01_run(struct tap *t, int poison)
{
	struct msa *m = calloc(1, sizeof(*m));
	uint32_t seed = 42 + (uint32_t)poison;
	unsigned spins = 0;

	CHECK(t, rig_init(&m->r, 0) == 0);
	m->r.fcfg.poison = poison;
	m->r.fcfg.pool_pages = 8;
	m->r.bcfg.deliver = msa_deliver;
	m->r.bcfg.deliver_arg = m;
	CHECK_EQ(t, rig_start(&m->r), NC_OK);
	CHECK(t, rig_connect(&m->r) == 0);
	while (m->sent < MSA_FRAMES && spins < 100000) {
		int clean = (rnd(&seed) & 1) != 0;
		struct msa_fill x = { m, 0 };
		int rc;

		/* clean frames: 60..3000 B; dirty ones up to 9000 B */
		x.len = clean ? 60 + rnd(&seed) % 2941 : 60 + rnd(&seed) % 8941;
		m->q_kind[m->sent] = (unsigned)clean;
		m->q_len[m->sent] = (unsigned)x.len;
		rc = nc_front_write(m->r.f, x.len,
				    clean ? msa_fill_clean : msa_fill_dirty, &x,
				    0);
		if (rc == NC_OK)
			m->sent++;
		else
			CHECK_EQ(t, rc, NC_EAGAIN);
		rig_pump(&m->r, 1);
		spins++;
	}
	rig_pump(&m->r, 10);
	CHECK_EQ(t, m->sent, MSA_FRAMES);
	CHECK_EQ(t, m->delivered, MSA_FRAMES);
	CHECK_EQ(t, m->bad_view, 0);
	CHECK_EQ(t, m->bad_frame, 0);
	CHECK_EQ(t, m->bad_csum, 0);
	CHECK_EQ(t, m->r.f->q[0].pool.stats.poison_violations, 0);
	/* the pool really was recycled, many times over */
	CHECK(t, m->r.f->q[0].pool.stats.takes >= MSA_FRAMES);
	CHECK(t, m->r.f->q[0].pool.stats.bytes_zeroed > 1000000);
	tap_diag("MSA01 (poison %d): %u frames through a 16-block pool, "
		 "%llu bytes re-zeroed", poison, m->sent,
		 (unsigned long long)m->r.f->q[0].pool.stats.bytes_zeroed);
	rig_free(&m->r);
	free(m);
}

static void test_msa01(struct tap *t)
{
	msa01_run(t, 0);
	msa01_run(t, 1);
}

/* ============================================================ XSA-403 */

/* Linux netfront shared pages that held unrelated data with backends.
 * Here: trusted = 0 in the store.  Each TX frame must sit in whole pages
 * of its own, starting at offset 0, with the rest of its last page zero,
 * as seen through the backend's own read-only mapping of the grants the
 * ring names, even when those pages held larger frames before. */
static void test_xsa403(struct tap *t)
{
	struct rig r;
	static uint8_t frame[12000];
	nc_gref_t inflight[64];
	uint32_t seed = 403;
	unsigned round, checked = 0, bad_off = 0, bad_data = 0, bad_rest = 0,
		 shared_page = 0, unmappable = 0;

	CHECK(t, rig_init(&r, 1) == 0);
	r.fcfg.poison = 0;
	r.fcfg.pool_pages = 16;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK_EQ(t, r.f->trusted, 0);
	CHECK_EQ(t, r.f->q[0].pool.block_size, NC_PAGE_SIZE);
	for (round = 0; round < 60; round++) {
		RING_IDX i = r.b->q[0].tx.req_cons, end;
		unsigned nin = 0, k, n = 1 + rnd(&seed) % 4;


		/* frames of 1..12000 bytes, every byte 0xFF or a pattern */
		for (k = 0; k < n; k++) {
			size_t len = 1 + rnd(&seed) % 12000, j;
			struct nc_iov iov = { frame, len };

			for (j = 0; j < len; j++)
				frame[j] = (uint8_t)(0x80 | (j + round));
			if (nc_front_send(r.f, &iov, 1, 0) != NC_OK)
				break;
		}
		end = r.f->q[0].tx.req_prod_pvt;
		/* Walk the frames on the ring through the backend's mapping
		 * of the ring page, and map each page they name as the
		 * backend domain would. */
		while (i != end) {
			netif_tx_request_t q[NC_PARSE_MAX_SLOTS];
			unsigned ns = 0, s2;
			uint32_t rest = 0, pos = 0;

			do {
				q[ns] = *RING_GET_REQUEST(&r.b->q[0].tx, i);
				i++;
			} while ((q[ns++].flags & NETTXF_more_data) &&
				 ns < NC_PARSE_MAX_SLOTS);
			for (s2 = 1; s2 < ns; s2++)
				rest += q[s2].size;
			checked++;
			for (s2 = 0; s2 < ns; s2++) {
				uint32_t len = s2 ? q[s2].size
						  : q[0].size - rest;
				const uint8_t *pg;
				unsigned j;

				bad_off += q[s2].offset != 0;
				for (j = 0; j < nin; j++)
					shared_page += inflight[j] ==
						       q[s2].gref;
				if (nin < 64)
					inflight[nin++] = q[s2].gref;
				pg = r.tool.grants.ops->map(r.tool.grants.ctx,
							    RIG_FE, 1,
							    &q[s2].gref, 0);
				if (!pg || len > NC_PAGE_SIZE) {
					unmappable++;
					continue;
				}
				for (j = 0; j < len; j++)
					bad_data += pg[j] != (uint8_t)(0x80 |
						    (pos + j + round));
				if (!all_zero(pg + len, NC_PAGE_SIZE - len))
					bad_rest++;
				r.tool.grants.ops->unmap(r.tool.grants.ctx,
							 (void *)pg, 1);
				pos += len;
			}
		}
		rig_pump(&r, 4);
	}
	CHECK(t, checked > 100);
	CHECK_EQ(t, unmappable, 0);
	CHECK_EQ(t, bad_off, 0);
	CHECK_EQ(t, bad_data, 0);
	CHECK_EQ(t, bad_rest, 0);
	CHECK_EQ(t, shared_page, 0);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets,
		 nc_front_stats(r.f)->tx.packets);
	tap_diag("XSA-403: %u frames inspected through the backend's "
		 "mappings", checked);
	rig_free(&r);
}

/* ============================================================ XSA-155 */

/* Backends that fetched a ring field twice acted on two different
 * values: checked one, used the other.  Here a second thread keeps
 * rewriting the TX slots (gref, offset, size, id) while the backend
 * consumes them.  Every value it writes is plausible, and only the rare
 * offset 3000 with size 2000 crosses its page.  The backend must act on
 * the one copy it took: each delivered frame is exactly the bytes of one
 * (gref, offset, size) that fits its page, no copy is ever attempted past
 * a page (the platform would refuse it: bad-gref), and a crossing copy
 * disables the vif instead. */

static const uint16_t x155_off[4] = { 0, 1024, 2048, 3000 };
static const uint16_t x155_size[3] = { 60, 1000, 2000 };

struct x155 {
	struct hf e;
	_Atomic RING_IDX lo, hi;
	atomic_int stop;
	atomic_uint passes;
	uint32_t seed;
	unsigned delivered, bad, raced, disables;
	uint64_t bad_gref;
};

static void *x155_thread(void *arg)
{
	struct x155 *x = arg;

	while (!atomic_load(&x->stop)) {
		RING_IDX lo = atomic_load(&x->lo), hi = atomic_load(&x->hi);
		RING_IDX i;

		for (i = lo; i != hi && (RING_IDX)(hi - lo) <= 256; i++) {
			netif_tx_request_t *r =
				RING_GET_REQUEST(&x->e.ftx, i);
			uint32_t v = rnd(&x->seed);
			uint16_t off = x155_off[v % 3];

			if ((v >> 8 & 0xff) == 0)
				off = x155_off[3];
			__atomic_store_n(&r->gref, x->e.data_refs[v >> 30 & 1],
					 __ATOMIC_RELAXED);
			__atomic_store_n(&r->offset, off, __ATOMIC_RELAXED);
			__atomic_store_n(&r->size, x155_size[(v >> 2) % 3],
					 __ATOMIC_RELAXED);
			__atomic_store_n(&r->id, (uint16_t)(v >> 16),
					 __ATOMIC_RELAXED);
			__atomic_store_n(&r->flags, 0, __ATOMIC_RELAXED);
		}
		atomic_fetch_add(&x->passes, 1);
	}
	return NULL;
}

static void x155_frame(struct hf *e, const struct nc_frame *fr)
{
	struct x155 *x = e->user;
	unsigned k, o, ok = 0;

	x->delivered++;
	for (k = 0; k < 2 && !ok; k++)
		for (o = 0; o < 4 && !ok; o++) {
			unsigned off = x155_off[o], j;

			if (off + fr->len > NC_PAGE_SIZE)
				continue;
			ok = 1;
			for (j = 0; j < fr->len && ok; j++)
				ok = fr->data[j] == page_byte(k, off + j);
			if (ok && (k != 0 || off != 0 || fr->len != 60))
				x->raced++;
		}
	x->bad += !ok;
	if (fr->len != 60 && fr->len != 1000 && fr->len != 2000)
		x->bad++;
}

static void test_xsa155(struct tap *t)
{
	struct x155 *x = calloc(1, sizeof(*x));
	pthread_t th;
	unsigned round, k;

	CHECK_EQ(t, hf_init(&x->e, NULL, 1, NULL), NC_OK);
	CHECK(t, hf_connect(&x->e) == 0);
	x->e.on_frame = x155_frame;
	x->e.user = x;
	x->seed = 155;
	atomic_store(&x->lo, 0);
	atomic_store(&x->hi, 0);
	CHECK(t, pthread_create(&th, NULL, x155_thread, x) == 0);
	for (round = 0; round < 400; round++) {
		RING_IDX base;
		unsigned p0;

		if (nc_back_state(x->e.b) != NC_BACK_CONNECTED) {
			x->bad_gref +=
				nc_back_stats(x->e.b)->rx.reason[NC_R_BAD_GREF];
			x->disables++;
			atomic_store(&x->hi, atomic_load(&x->lo));
			CHECK(t, hf_reconnect(&x->e) == 0);
		}
		base = x->e.ftx.req_prod_pvt;
		for (k = 0; k < 64; k++)
			hf_tx(&x->e, x->e.data_refs[0], 0, 0, (uint16_t)k, 60);
		atomic_store(&x->hi, base + 64);
		atomic_store(&x->lo, base);
		/* the hostile thread has been over the slots at least once,
		 * and keeps going while the backend reads them */
		p0 = atomic_load(&x->passes);
		while (atomic_load(&x->passes) < p0 + 2)
			;
		hf_push(&x->e);
		x->e.fe.events.ops->notify(x->e.fe.events.ctx, x->e.port);
		hf_poll(&x->e);
		atomic_store(&x->lo, base + 64);
		x->e.ftx.rsp_cons = x->e.txs->rsp_prod;
	}
	atomic_store(&x->stop, 1);
	pthread_join(th, NULL);
	x->bad_gref += nc_back_stats(x->e.b)->rx.reason[NC_R_BAD_GREF];
	CHECK_EQ(t, x->bad, 0);
	CHECK_EQ(t, x->bad_gref, 0);
	CHECK(t, x->delivered > 10000);
	CHECK(t, x->raced > 1000);      /* the thread did race the backend */
	tap_diag("XSA-155: %u frames delivered, %u of them rewritten by the "
		 "hostile thread, %u vifs disabled on a crossing copy",
		 x->delivered, x->raced, x->disables);
	hf_free(&x->e);
	free(x);
}

/* ============================================================= XSA-39 */

/* Garbage on the ring looped netback, and its error paths leaked.  Here:
 * 200 connections, each fed a page of garbage (random, or shaped: an
 * overflowing producer, a chain of more_data, extras of type 0, garbage
 * RX requests while frames wait).  Every poll returns, the backend goes
 * idle within a few polls (disabled, or having answered and dropped what
 * it could parse), nothing is delivered beyond what was published, and
 * after the frontend closes and gives its pages back every count of
 * nc_inproc_counts is zero again for both domains. */
static void garbage_page(uint8_t *page, uint32_t *seed, unsigned shape,
			 RING_IDX cons)
{
	netif_tx_sring_t *s = (netif_tx_sring_t *)page;
	unsigned i;

	for (i = 0; i < NC_PAGE_SIZE; i++)
		page[i] = (uint8_t)rnd(seed);
	switch (shape % 5) {
	case 0:
		s->req_prod = cons + rnd(seed) % 300;   /* plausible or not */
		break;
	case 1:
		s->req_prod = cons + 300;               /* overflow */
		break;
	case 2:                                         /* endless chain */
		for (i = 0; i < NC_TX_RING_SIZE; i++)
			s->ring[i].req.flags = NETTXF_more_data;
		s->req_prod = cons + NC_TX_RING_SIZE;
		break;
	case 3:                                         /* extras of type 0 */
		for (i = 0; i < NC_TX_RING_SIZE; i++) {
			s->ring[i].req.flags = NETTXF_extra_info;
			s->ring[i].req.gref &= ~0xffu;
		}
		s->req_prod = cons + 8;
		break;
	default:
		s->req_prod = cons + rnd(seed) % 8;
		break;
	}
}

static void test_xsa39(struct tap *t)
{
	struct nc_inproc_counts c;
	uint32_t seed = 39;
	unsigned trial, disabled = 0, max_polls = 0, loops = 0, leaks = 0,
		 over = 0;

	for (trial = 0; trial < 200; trial++) {
		struct hf *e = calloc(1, sizeof(*e));
		uint8_t frame[200];
		struct nc_frame fr = { .data = frame, .len = 200 };
		unsigned polls;

		if (hf_init(e, NULL, 1, NULL) != NC_OK || hf_connect(e)) {
			CHECK(t, 0);
			free(e);
			break;
		}
		memset(frame, 0x5a, sizeof(frame));
		if (trial % 4 == 3) {
			/* RX garbage: a frame waits, the requests are junk */
			nc_back_queue(e->b, &fr);
			garbage_page((uint8_t *)e->rxs, &seed, trial, 0);
			nc_back_queue(e->b, &fr);
		} else {
			garbage_page((uint8_t *)e->txs, &seed, trial, 0);
		}
		e->fe.events.ops->notify(e->fe.events.ctx, e->port);
		for (polls = 1; polls <= 16 && nc_back_poll(e->b); polls++)
			;
		if (polls > 16)
			loops++;
		if (polls > max_polls)
			max_polls = polls;
		/* nothing answered beyond what could exist */
		if (e->b->q[0].tx.rsp_prod_pvt > NC_TX_RING_SIZE ||
		    e->ndeliv > NC_TX_RING_SIZE)
			over++;
		disabled += nc_back_state(e->b) == NC_BACK_DISABLED;
		/* more events: ignored, no work, no second log line */
		if (nc_back_state(e->b) == NC_BACK_DISABLED) {
			unsigned nlog = e->nlog, i;

			for (i = 0; i < 50; i++) {
				e->fe.events.ops->notify(e->fe.events.ctx,
							 e->port);
				if (nc_back_poll(e->b))
					loops++;
			}
			if (e->nlog != nlog)
				loops++;
		}
		hf_close(e);
		if (nc_back_state(e->b) != NC_BACK_CLOSED)
			leaks++;
		nc_inproc_counts(e->w, 0, &c);
		leaks += c.mappings + c.ports;
		nc_back_close(e->b);
		hf_release_frontend(e);
		nc_inproc_counts(e->w, 1, &c);
		leaks += c.grants + c.mappings + c.ports;
		nc_inproc_counts(e->w, 0, &c);
		leaks += c.grants + c.mappings + c.ports;
		hf_free(e);
		free(e);
	}
	CHECK_EQ(t, loops, 0);
	CHECK_EQ(t, leaks, 0);
	CHECK_EQ(t, over, 0);
	CHECK(t, max_polls <= 3);
	CHECK(t, disabled >= 100);
	tap_diag("XSA-39: 200 garbage pages, %u vifs disabled, at most %u "
		 "polls to go idle, nothing leaked", disabled, max_polls);
}

/* ============================================================= XSA-90 */

/* Linux netback handled a rogue frontend where it could not sleep.  Here
 * two vifs are served by one loop: vif A (a real frontend, domain 1) and
 * vif B (a hostile one, domain 2).  B breaks its ring mid-traffic: its
 * backend disables it in one short poll with one log line, and A's
 * frames keep flowing, before, during and after, none lost. */
struct x90 {
	unsigned a_got, a_bad;
};

static void x90_deliver(void *arg, const struct nc_frame *fr)
{
	struct x90 *x = arg;

	if (fr->len != 100 + x->a_got % 900 || fr->data[0] != (uint8_t)x->a_got)
		x->a_bad++;
	x->a_got++;
}

static void test_xsa90(struct tap *t)
{
	struct rig r;
	struct hf *hb = calloc(1, sizeof(*hb));
	struct x90 x = { 0, 0 };
	static uint8_t frame[1000];
	unsigned i, a_sent = 0, a_at_break = 0, a_after_break = 0;
	uint64_t t0, c0, worst = 0, worst_cpu = 0;
	int broke = 0;

	CHECK(t, rig_init(&r, 0) == 0);
	r.bcfg.deliver = x90_deliver;
	r.bcfg.deliver_arg = &x;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK_EQ(t, hf_init(hb, r.w, 2, NULL), NC_OK);
	CHECK(t, hf_connect(hb) == 0);
	for (i = 0; i < 3000; i++) {
		struct nc_iov iov = { frame, 100 + a_sent % 900 };

		memset(frame, (uint8_t)a_sent, sizeof(frame));
		if (nc_front_send(r.f, &iov, 1, 0) == NC_OK)
			a_sent++;
		/* B keeps sending too, until it turns hostile */
		if (!broke) {
			hf_tx(hb, hb->data_refs[0], 0, 0, (uint16_t)i, 60);
			hf_push(hb);
		}
		if (i == 1000) {
			hb->txs->req_prod = hb->b->q[0].tx.req_cons + 1000;
			hb->fe.events.ops->notify(hb->fe.events.ctx, hb->port);
			broke = 1;
			a_at_break = x.a_got;
		}
		nc_front_poll(r.f);
		nc_back_poll(r.b);
		t0 = now_ns(CLOCK_MONOTONIC);
		c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		nc_back_poll(hb->b);
		c0 = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
		t0 = now_ns(CLOCK_MONOTONIC) - t0;
		if (t0 > worst)
			worst = t0;
		if (c0 > worst_cpu)
			worst_cpu = c0;
		if (broke && i == 1001)
			a_after_break = x.a_got;
	}
	rig_pump(&r, 10);
	CHECK_EQ(t, nc_back_state(hb->b), NC_BACK_DISABLED);
	CHECK_EQ(t, hb->nlog, 1);
	CHECK_EQ(t, nc_back_stats(hb->b)->rx.reason[NC_R_RING_OVERFLOW], 1);
	CHECK(t, hb->ndeliv >= 900);            /* B worked before */
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTED);
	CHECK(t, a_sent > 2900);
	CHECK_EQ(t, x.a_got, a_sent);           /* nothing of A lost */
	CHECK_EQ(t, x.a_bad, 0);
	CHECK(t, a_after_break > a_at_break);   /* A moved on at once */
	/* no poll of B, the disabling one included, did real work or
	 * waited: 20 ms of CPU, 250 ms of wall time (generous: under load) */
	CHECK(t, worst_cpu < 20000000u);
	CHECK(t, worst < 250000000u);
	/* B's frontend closes: B's backend lets go; A is untouched. */
	hf_close(hb);
	CHECK_EQ(t, nc_back_state(hb->b), NC_BACK_CLOSED);
	for (i = 0; i < 100; i++) {
		struct nc_iov iov = { frame, 100 + a_sent % 900 };

		memset(frame, (uint8_t)a_sent, sizeof(frame));
		if (nc_front_send(r.f, &iov, 1, 0) == NC_OK)
			a_sent++;
		rig_pump(&r, 1);
	}
	CHECK_EQ(t, x.a_got, a_sent);
	tap_diag("XSA-90: vif A passed %u frames; vif B disabled in one "
		 "poll, slowest poll of B %llu us (%llu us CPU)", a_sent,
		 (unsigned long long)(worst / 1000),
		 (unsigned long long)(worst_cpu / 1000));
	hf_free(hb);
	free(hb);
	rig_free(&r);
}

/* ============================================================ XSA-270 */

/* Linux netback's control ring took indices from the frontend unchecked.
 * Our backend offers a control ring (feature-ctrl-ring, back_ctrl.c; the
 * requests' own indices are tested case by case in test_ctrl.c).  Here the
 * ring's keys and indices: garbage ctrl-ring-ref values refuse the vif
 * before anything of the control ring is mapped or bound; a valid page
 * full of 0xff (every index hostile) maps without a request being read or
 * a response written; a request producer then pushed beyond the ring
 * disables the vif with one log line. */
static void test_xsa270(struct tap *t)
{
	static const char *const refs[] = { NULL, "zzz", "4294967296", "-1" };
	unsigned v;

	for (v = 0; v < 4; v++) {
		struct hf *e = calloc(1, sizeof(*e));
		struct nc_inproc_counts c;
		xen_netif_ctrl_sring_t *sr;
		nc_gref_t cref;
		nc_port_t cport;
		uint8_t *ctrl;
		char buf[32];

		CHECK_EQ(t, hf_init(e, NULL, 1, NULL), NC_OK);
		CHECK(t, hf_rd(&e->fe, e->be_path, "feature-ctrl-ring", buf,
			       sizeof(buf)) >= 0 && strcmp(buf, "1") == 0);
		/* a control ring page full of hostile indices */
		ctrl = e->fe.grants.ops->share(e->fe.grants.ctx, 0, 1, 0,
					       &cref);
		CHECK(t, ctrl != NULL);
		if (!ctrl)
			break;
		memset(ctrl, 0xff, NC_PAGE_SIZE);
		sr = (xen_netif_ctrl_sring_t *)ctrl;
		e->fe.events.ops->alloc_unbound(e->fe.events.ctx, 0, &cport);
		if (refs[v])
			hf_wr(&e->fe, e->fe_path, "ctrl-ring-ref", refs[v]);
		else
			hf_wr_u(&e->fe, e->fe_path, "ctrl-ring-ref", cref);
		hf_wr_u(&e->fe, e->fe_path, "event-channel-ctrl", cport);
		if (refs[v]) {
			/* garbage: refused, the control ring never touched */
			CHECK(t, hf_connect(e) != 0);
			CHECK(t, nc_back_state(e->b) != NC_BACK_CONNECTED);
			CHECK(t, e->nlog >= 1);
			CHECK_EQ(t, sr->rsp_prod, 0xffffffffu);
			CHECK_EQ(t, e->fe.grants.ops->unshare(
					    e->fe.grants.ctx, ctrl, 1), NC_OK);
			e->fe.events.ops->unbind(e->fe.events.ctx, cport);
			hf_free(e);
			free(e);
			continue;
		}
		CHECK(t, hf_connect(e) == 0);
		nc_inproc_counts(e->w, 0, &c);
		CHECK_EQ(t, c.mappings, 3);     /* tx, rx and ctrl rings */
		CHECK_EQ(t, c.ports, 2);        /* data and ctrl channels */
		/* attached at the responses it found: nothing read, nothing
		 * answered */
		CHECK_EQ(t, sr->rsp_prod, 0xffffffffu);
		/* the data path works as usual */
		hf_tx(e, e->data_refs[0], 0, 0, 1, 60);
		hf_push(e);
		hf_poll(e);
		CHECK_EQ(t, e->ndeliv, 1);
		CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
		CHECK_EQ(t, e->nlog, 0);
		/* a request producer beyond the ring: disabled, nothing
		 * answered */
		sr->req_prod = sr->rsp_prod + 1000u;
		e->fe.events.ops->notify(e->fe.events.ctx, cport);
		hf_poll(e);
		CHECK_EQ(t, nc_back_state(e->b), NC_BACK_DISABLED);
		CHECK_EQ(t, e->nlog, 1);
		CHECK_EQ(t, sr->rsp_prod, 0xffffffffu);
		e->fe.events.ops->unbind(e->fe.events.ctx, cport);
		hf_free(e);
		free(e);
	}
	/* the indices the backend does read are checked: an event channel
	 * beyond the port space disables the vif before anything is bound */
	{
		struct hf *e = calloc(1, sizeof(*e));
		struct nc_inproc_counts c;

		CHECK_EQ(t, hf_init(e, NULL, 1, NULL), NC_OK);
		hf_poll(e);
		hf_publish(e);
		hf_wr(&e->fe, e->fe_path, "event-channel", "131072");
		hf_poll(e);
		CHECK_EQ(t, nc_back_state(e->b), NC_BACK_DISABLED);
		nc_inproc_counts(e->w, 0, &c);
		CHECK_EQ(t, c.ports, 0);
		CHECK_EQ(t, c.mappings, 0);
		hf_free(e);
		free(e);
	}
}

/* ======================================================== XSA-332/391 */

/* A guest could flood its backend with events.  Here a second thread
 * sends 1,000,000 notifications while 20,000 frames flow: every frame is
 * delivered once, in order, intact, and answered; no poll is slow; the
 * events cost at most one drain step each and coalesce.  Then 1,000,000
 * spurious notifications with nothing on the ring cost one poll. */
#define STORM 1000000u
#define STORM_FRAMES 20000u

struct storm {
	struct hf e;
	atomic_int done;
	atomic_uint progress;   /* notifications sent, in thousands */
	unsigned failed;
	unsigned next, bad;
};

static void *storm_thread(void *arg)
{
	struct storm *s = arg;
	unsigned i;

	for (i = 0; i < STORM; i++) {
		if (s->e.fe.events.ops->notify(s->e.fe.events.ctx,
					       s->e.port) != NC_OK)
			s->failed++;
		if (i % 1000 == 999)
			atomic_store(&s->progress, (i + 1) / 1000);
	}
	atomic_store(&s->done, 1);
	return NULL;
}

static void storm_frame(struct hf *e, const struct nc_frame *fr)
{
	struct storm *s = e->user;
	unsigned k = s->next % HF_NDATA, j;
	uint32_t len = 60 + s->next % 500;

	if (fr->len != len)
		s->bad++;
	for (j = 0; j < len && j < fr->len; j++)
		if (fr->data[j] != page_byte(k, j)) {
			s->bad++;
			break;
		}
	s->next++;
}

static void test_xsa332_391(struct tap *t)
{
	struct storm *s = calloc(1, sizeof(*s));
	pthread_t th;
	unsigned sent = 0, answered = 0, bad_rsp = 0, polls = 0, during = 0,
		 i;
	uint64_t cpu = 0, worst = 0, t0, ev0;
	RING_IDX rsp0;

	CHECK_EQ(t, hf_init(&s->e, NULL, 1, NULL), NC_OK);
	CHECK(t, hf_connect(&s->e) == 0);
	s->e.on_frame = storm_frame;
	s->e.user = s;
	CHECK(t, pthread_create(&th, NULL, storm_thread, s) == 0);
	while ((answered < STORM_FRAMES || !atomic_load(&s->done)) &&
	       polls < 50u * 1000 * 1000) {
		RING_IDX prod;

		/* frames flow in step with the storm, from its first
		 * thousand notifications to its last */
		unsigned allowed = atomic_load(&s->done) ? STORM_FRAMES :
			(unsigned)((uint64_t)STORM_FRAMES *
				   (atomic_load(&s->progress) + 1) /
				   (STORM / 1000));

		while (sent < STORM_FRAMES && sent < allowed &&
		       sent - answered < NC_TX_RING_SIZE - 1) {
			hf_tx(&s->e, s->e.data_refs[sent % HF_NDATA], 0, 0,
			      (uint16_t)sent, (uint16_t)(60 + sent % 500));
			sent++;
		}
		hf_push(&s->e);
		t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
		nc_back_poll(s->e.b);
		t0 = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
		cpu += t0;
		if (t0 > worst)
			worst = t0;
		polls++;
		prod = s->e.txs->rsp_prod;
		if (!atomic_load(&s->done))
			during = answered;
		for (; s->e.ftx.rsp_cons != prod; s->e.ftx.rsp_cons++) {
			netif_tx_response_t r =
				hf_tx_rsp(&s->e, s->e.ftx.rsp_cons);

			bad_rsp += r.status != NETIF_RSP_OKAY ||
				   r.id != (uint16_t)answered;
			answered++;
		}
	}
	pthread_join(th, NULL);
	CHECK_EQ(t, s->failed, 0);
	CHECK_EQ(t, answered, STORM_FRAMES);
	CHECK_EQ(t, s->e.ndeliv, STORM_FRAMES);   /* no frame lost */
	CHECK_EQ(t, s->next, STORM_FRAMES);
	CHECK_EQ(t, s->bad, 0);
	CHECK_EQ(t, bad_rsp, 0);
	CHECK_EQ(t, nc_back_state(s->e.b), NC_BACK_CONNECTED);
	/* bounded: each poll drains a bounded number of events, and events
	 * coalesce (at most one per poll reaches the backend here) */
	CHECK(t, nc_back_stats(s->e.b)->events_in <= (uint64_t)polls * 64);
	CHECK(t, nc_back_stats(s->e.b)->events_in < STORM);
	CHECK(t, worst < 20000000u);            /* no poll took 20 ms CPU */
	CHECK(t, during >= STORM_FRAMES / 2);   /* frames met the storm */
	tap_diag("XSA-332/391: 1,000,000 events during 20,000 frames (%u "
		 "answered mid-storm): %u polls, %llu events seen, backend CPU "
		 "%llu ms (%llu ns/poll, worst %llu us)", during, polls,
		 (unsigned long long)nc_back_stats(s->e.b)->events_in,
		 (unsigned long long)(cpu / 1000000),
		 (unsigned long long)(cpu / (polls ? polls : 1)),
		 (unsigned long long)(worst / 1000));
	/* Purely spurious: 1,000,000 events, nothing on the ring. */
	ev0 = nc_back_stats(s->e.b)->events_in;
	rsp0 = s->e.txs->rsp_prod;
	for (i = 0; i < STORM; i++)
		s->e.fe.events.ops->notify(s->e.fe.events.ctx, s->e.port);
	t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK_EQ(t, nc_back_poll(s->e.b), 0);
	t0 = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	CHECK_EQ(t, nc_back_stats(s->e.b)->events_in - ev0, 1);
	CHECK_EQ(t, s->e.txs->rsp_prod, rsp0);
	CHECK(t, t0 < 5000000u);
	/* and a poll per spurious event is cheap too */
	t0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < 100000; i++) {
		s->e.fe.events.ops->notify(s->e.fe.events.ctx, s->e.port);
		if (nc_back_poll(s->e.b) != 0)
			bad_rsp++;
	}
	t0 = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	CHECK_EQ(t, bad_rsp, 0);
	CHECK_EQ(t, s->e.txs->rsp_prod, rsp0);
	CHECK(t, t0 / 100000 < 100000u);        /* < 100 us per event */
	tap_diag("XSA-332/391: 1,000,000 spurious events cost one poll; "
		 "poll per event %llu ns", (unsigned long long)(t0 / 100000));
	hf_free(&s->e);
	free(s);
}

/* ============================================================ XSA-392 */

/* A guest could make Linux netback queue RX data without bound by never
 * posting receive buffers.  Here the frontend posts none while 10,000
 * frames are queued for it: the queue never holds more than its frame
 * and byte bounds, every frame refused is counted (queue-full) and
 * dropped, never kept; once buffers come, exactly the queued frames go
 * out, in order, intact. */
static void xsa392_run(struct tap *t, unsigned frames_max, unsigned bytes_max)
{
	struct nc_back_config cfg = { .rxq_frames = frames_max,
				      .rxq_bytes = bytes_max };
	struct hf *e = calloc(1, sizeof(*e));
	static uint8_t frame[9000];
	struct nc_frame fr = { .data = frame };
	uint32_t seed = 392, lens[1024];
	unsigned i, queued = 0, refused = 0, over = 0, full_but_ok = 0, sent;
	unsigned fmax = frames_max ? frames_max : 256;
	unsigned bmax = bytes_max ? bytes_max : (1u << 20);
	RING_IDX k;

	CHECK_EQ(t, hf_init(e, NULL, 1, &cfg), NC_OK);
	CHECK(t, hf_connect(e) == 0);
	for (i = 0; i < 10000; i++) {
		int rc;

		fr.len = 14 + rnd(&seed) % (sizeof(frame) - 14);
		memset(frame, (uint8_t)queued, fr.len);
		rc = nc_back_queue(e->b, &fr);
		if (rc == NC_OK) {
			if (queued < 1024)
				lens[queued] = fr.len;
			queued++;
		} else {
			refused++;
			full_but_ok += rc != NC_ENOSPC;
		}
		over += e->b->q[0].rxq_len > fmax || e->b->q[0].rxq_used > bmax;
	}
	CHECK_EQ(t, over, 0);
	CHECK_EQ(t, full_but_ok, 0);
	CHECK(t, queued <= fmax);
	CHECK_EQ(t, queued + refused, 10000);
	CHECK_EQ(t, e->b->q[0].rxq_len, queued);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.reason[NC_R_QUEUE_FULL], refused);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.dropped, refused);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, 0);
	CHECK(t, !nc_back_can_queue(e->b, 9000));
	/* buffers at last: what was queued goes out, in order, intact */
	for (i = 0; i < HF_NBUF; i++)
		hf_rx_post(e, i, (uint16_t)i);
	hf_rx_push(e);
	sent = 0;
	for (i = 0; i < 20 && (e->b->q[0].rxq_len || sent < queued); i++) {
		RING_IDX prod;

		hf_poll(e);
		prod = e->rxs->rsp_prod;
		/* read each frame before its buffers are posted again */
		for (k = e->frx.rsp_cons; k != prod;) {
			uint32_t got = 0;
			int ok = 1, more;

			do {
				netif_rx_response_t r =
					*RING_GET_RESPONSE(&e->frx, k);
				const uint8_t *b = e->bufs +
					(size_t)(r.id % HF_NBUF) * NC_PAGE_SIZE;
				int16_t j;

				ok &= r.id == (uint16_t)(k % HF_NBUF);
				ok &= r.status > 0;
				for (j = 0; j < r.status && ok; j++)
					ok &= b[j] == (uint8_t)sent;
				got += r.status > 0 ? (uint32_t)r.status : 0;
				more = r.flags & NETRXF_more_data;
				k++;
			} while (more && k != prod);
			if (!ok || sent >= 1024 || got != lens[sent])
				over++;
			sent++;
		}
		for (k = e->frx.rsp_cons; k != prod; k++)
			hf_rx_post(e, (unsigned)(k % HF_NBUF),
				   (uint16_t)(k % HF_NBUF));
		e->frx.rsp_cons = prod;
		hf_rx_push(e);
	}
	CHECK_EQ(t, over, 0);
	CHECK_EQ(t, sent, queued);
	CHECK_EQ(t, nc_back_stats(e->b)->tx.packets, queued);
	CHECK_EQ(t, e->b->q[0].rxq_len, 0);
	tap_diag("XSA-392: bound %u frames / %u bytes: %u queued, %u "
		 "dropped and counted", fmax, bmax, queued, refused);
	hf_free(e);
	free(e);
}

static void test_xsa392(struct tap *t)
{
	xsa392_run(t, 64, 128u * 1024);
	xsa392_run(t, 0, 0);              /* the defaults: 256, 1 MiB */
}

/* ============================================================ XSA-396 */

/* Linux frontends reused pages their backend still had mapped.  Here the
 * frontend revokes everything while the backend still maps its rings
 * (nc_front_destroy on a live connection): the revoke fails for those
 * pages, they are quarantined, counted, left granted and never written
 * again, even across a new connection; nothing else is lost.  The pool
 * does the same for its pages. */
static void test_xsa396(struct tap *t)
{
	struct rig r;
	struct nc_inproc_counts c;
	uint8_t frame[500], snap_tx[NC_PAGE_SIZE], snap_rx[NC_PAGE_SIZE];
	struct nc_iov iov = { frame, sizeof(frame) };
	const uint8_t *be_tx, *be_rx, *fe_tx, *fe_rx;
	nc_gref_t old_tx, old_rx;
	unsigned i;

	memset(frame, 0x39, sizeof(frame));
	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	for (i = 0; i < 50; i++) {
		nc_front_send(r.f, &iov, 1, 0);
		rig_pump(&r, 1);
	}
	/* the frontend stops now, the backend still maps both rings */
	be_tx = r.b->q[0].tx_map;
	be_rx = r.b->q[0].rx_map;
	fe_tx = r.f->q[0].tx_page;     /* quarantined pages stay mapped here */
	fe_rx = r.f->q[0].rx_page;
	old_tx = r.f->q[0].tx_ref;
	old_rx = r.f->q[0].rx_ref;
	nc_front_destroy(r.f);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_STOPPED);
	CHECK_EQ(t, r.f->quarantined_pages, 2);
	nc_inproc_counts(r.w, RIG_FE, &c);
	CHECK_EQ(t, c.grants, 2);         /* exactly the quarantined pages */
	CHECK_EQ(t, c.ports, 0);
	/* the backend's mapping is still good: nothing was freed under it,
	 * and it sees the same bytes as the frontend's old mapping */
	memcpy(snap_tx, be_tx, NC_PAGE_SIZE);
	memcpy(snap_rx, be_rx, NC_PAGE_SIZE);
	CHECK(t, memcmp(snap_tx, fe_tx, NC_PAGE_SIZE) == 0);
	CHECK(t, memcmp(snap_rx, fe_rx, NC_PAGE_SIZE) == 0);
	/* a new connection on the same vif, traffic both ways */
	nc_back_poll(r.b);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CLOSED);
	nc_back_close(r.b);
	memset(r.b, 0, sizeof(*r.b));
	{
		struct nc_vif_spec spec = {
			.fe_domid = RIG_FE, .be_domid = RIG_BE, .handle = 0,
			.mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 },
		};

		CHECK_EQ(t, nc_vif_add(&r.tool.store, &spec), NC_OK);
	}
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK(t, r.f->q[0].tx_ref != old_tx && r.f->q[0].rx_ref != old_tx);
	CHECK(t, r.f->q[0].tx_ref != old_rx && r.f->q[0].rx_ref != old_rx);
	for (i = 0; i < 300; i++) {
		struct nc_frame fr = { .data = frame, .len = 300 };

		nc_front_send(r.f, &iov, 1, 0);
		nc_back_queue(r.b, &fr);
		rig_pump(&r, 1);
	}
	CHECK(t, nc_back_stats(r.b)->rx.packets >= 250);
	/* the quarantined pages were never written again */
	CHECK(t, memcmp(snap_tx, fe_tx, NC_PAGE_SIZE) == 0);
	CHECK(t, memcmp(snap_rx, fe_rx, NC_PAGE_SIZE) == 0);
	rig_free(&r);

	/* The pool: a page the peer maps makes the whole pool quarantined,
	 * and the pool refuses further use. */
	{
		struct nc_inproc_world *w = nc_inproc_world_new();
		struct nc_platform fp, bp;
		struct nc_inproc_handle *fh = nc_inproc_open(w, 1, &fp);
		struct nc_inproc_handle *bh = nc_inproc_open(w, 0, &bp);
		struct nc_pool_config pc = { .npages = 4, .readonly = 1 };
		struct nc_pool *p = calloc(1, sizeof(*p));
		struct nc_pool_view v;
		void *m;

		CHECK_EQ(t, nc_pool_init(p, fp.grants, 0, &pc), NC_OK);
		m = bp.grants.ops->map(bp.grants.ctx, 1, 1, &p->refs[2], 0);
		CHECK(t, m != NULL);
		CHECK_EQ(t, nc_pool_destroy(p), NC_EBUSY);
		CHECK_EQ(t, p->stats.quarantined_pages, 4);
		CHECK_EQ(t, nc_pool_take(p, 100, &v), NC_EMSGSIZE);
		nc_inproc_counts(w, 1, &c);
		CHECK_EQ(t, c.grants, 4);
		bp.grants.ops->unmap(bp.grants.ctx, m, 1);
		nc_inproc_close(fh);
		nc_inproc_close(bh);
		nc_inproc_world_free(w);
		free(p);
	}
}

/* ======================================================= XSA-423/432 */

/* Linux netback let a frame's headers span several tiny first
 * fragments, which broke NICs; its fix, pulling the headers together,
 * overran.  Here frames whose Ethernet, IP and TCP headers are cut into
 * fragments of 1, 1, 2, 3, 0, 5, 7, 11, 13... bytes, spread over pages
 * and page ends, must arrive whole, with checksums the backend completes
 * over the assembled headers (need_full_csum).  Truncated headers are
 * dropped (counted), the most slots a frame may use still work, one more
 * is dropped, and a fragment one byte past its page disables the vif:
 * every step bounds-checked, nothing overrun. */

static const uint16_t split_lens[] = { 1, 1, 2, 3, 0, 5, 7, 11, 13, 17 };
#define NSPLIT (sizeof(split_lens) / sizeof(split_lens[0]))

/* Post `frame` cut into the given pieces (then one piece for the rest,
 * if any is left), each at its own place in the data pages: piece i in
 * page i % HF_NDATA, at the page's end for every third.  Returns the
 * slots used. */
static unsigned post_split(struct hf *e, const uint8_t *frame, size_t len,
			   const uint16_t *lens, unsigned n, uint16_t flags,
			   int cross)
{
	size_t pos = 0;
	unsigned i, nslots = 0;
	uint16_t pieces[40], offs[40];
	unsigned pages[40];

	for (i = 0; i < n && pos < len; i++) {
		pieces[nslots] = (uint16_t)(lens[i] < len - pos ? lens[i]
							  : len - pos);
		pos += pieces[nslots++];
	}
	if (pos < len)
		pieces[nslots++] = (uint16_t)(len - pos);
	for (i = 0, pos = 0; i < nslots; i++) {
		unsigned pg = i % HF_NDATA;
		uint16_t off = (uint16_t)(i % 3 == 2 ? NC_PAGE_SIZE - pieces[i]
						      : 100 + 7 * i);

		if (cross && i == 3)
			off = (uint16_t)(NC_PAGE_SIZE - pieces[i] + 1);
		if (off + pieces[i] <= NC_PAGE_SIZE)
			memcpy(e->data + (size_t)pg * NC_PAGE_SIZE + off,
			       frame + pos, pieces[i]);
		pages[i] = pg;
		offs[i] = off;
		pos += pieces[i];
	}
	for (i = 0; i < nslots; i++)
		hf_tx(e, e->data_refs[pages[i]], offs[i],
		      (uint16_t)((i ? 0 : flags) |
				 (i + 1 < nslots ? NETTXF_more_data : 0)),
		      (uint16_t)(200 + i),
		      (uint16_t)(i ? pieces[i] : len));
	hf_push(e);
	hf_poll(e);
	return nslots;
}

static void test_xsa423_432(struct tap *t)
{
	struct nc_back_config cfg = { .need_full_csum = 1 };
	struct hf *e = calloc(1, sizeof(*e));
	static uint8_t frame[2000], want[2000];
	static uint16_t many[18];
	size_t len;
	unsigned variant, i, n, nd;
	RING_IDX r0;

	CHECK_EQ(t, hf_init(e, NULL, 1, &cfg), NC_OK);
	CHECK(t, hf_connect(e) == 0);
	for (variant = 0; variant < 4; variant++) {
		len = make_tcp_partial(frame, variant & 1, variant >> 1, 300);
		memcpy(want, frame, len);
		CHECK_EQ(t, nc_csum_complete_frame(want, len), 0);
		nd = e->ndeliv;
		r0 = e->txs->rsp_prod;
		n = post_split(e, frame, len, split_lens, NSPLIT,
			       NETTXF_csum_blank, 0);
		CHECK_EQ(t, e->ndeliv, nd + 1);
		CHECK_EQ(t, e->got_len, len);
		CHECK(t, memcmp(e->got, want, len) == 0);
		CHECK_EQ(t, nc_csum_verify_frame(e->got, e->got_len), 1);
		CHECK(t, e->got_flags & NC_FRAME_DATA_VALIDATED);
		CHECK_EQ(t, e->txs->rsp_prod - r0, n);
		for (i = 0; i < n; i++)
			CHECK_EQ(t, hf_tx_rsp(e, r0 + i).status,
				 NETIF_RSP_OKAY);
	}
	/* truncated headers (Ethernet + part of IP), split tiny */
	for (len = 15; len <= 50; len += 7) {
		uint64_t csum0 = nc_back_stats(e->b)->rx.reason[NC_R_CSUM];

		make_tcp_partial(frame, 0, 0, 0);
		nd = e->ndeliv;
		r0 = e->txs->rsp_prod;
		n = post_split(e, frame, len, split_lens, NSPLIT,
			       NETTXF_csum_blank, 0);
		CHECK_EQ(t, e->ndeliv, nd);
		CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_CSUM],
			 csum0 + 1);
		CHECK_EQ(t, e->txs->rsp_prod - r0, n);
	}
	/* the most slots a frame may use, all tiny: fine */
	len = make_tcp_partial(frame, 1, 1, 40);
	memcpy(want, frame, len);
	nc_csum_complete_frame(want, len);
	for (i = 0; i < 17; i++)
		many[i] = (uint16_t)(1 + i % 5);
	nd = e->ndeliv;
	n = post_split(e, frame, len, many, 17, NETTXF_csum_blank, 0);
	CHECK_EQ(t, n, NC_TX_MAX_SLOTS);
	CHECK_EQ(t, e->ndeliv, nd + 1);
	CHECK(t, e->got_len == len && memcmp(e->got, want, len) == 0);
	/* one more: dropped and answered, not delivered, not fatal */
	r0 = e->txs->rsp_prod;
	for (i = 0; i < 18; i++)
		many[i] = 1;
	n = post_split(e, frame, len, many, 18, NETTXF_csum_blank, 0);
	CHECK_EQ(t, n, NC_TX_MAX_SLOTS + 1);
	CHECK_EQ(t, e->ndeliv, nd + 1);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_TOO_MANY_SLOTS], 1);
	CHECK_EQ(t, hf_tx_rsp(e, r0).status, NETIF_RSP_ERROR);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	/* a header fragment one byte past its page: the vif is disabled */
	len = make_tcp_partial(frame, 0, 0, 100);
	nd = e->ndeliv;
	post_split(e, frame, len, split_lens, NSPLIT, NETTXF_csum_blank, 1);
	CHECK_EQ(t, e->ndeliv, nd);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_DISABLED);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_CROSS_PAGE], 1);
	hf_free(e);
	free(e);
}

/* ============================================================ XSA-448 */

/* Zero-length TX fragments crashed Linux netback.  Our choice (parse.h):
 * accept them deliberately: a zero-length fragment carries nothing, is
 * answered OKAY with its own id, and never has its grant used (so even a
 * never-granted reference or an offset of 4096 is fine there).  A frame
 * of zero bytes in all is a runt: dropped, answered ERROR. */
static void test_xsa448(struct tap *t)
{
	struct hf *e = calloc(1, sizeof(*e));
	uint8_t want[3000];
	RING_IDX r0;
	unsigned i;

	CHECK_EQ(t, hf_init(e, NULL, 1, NULL), NC_OK);
	CHECK(t, hf_connect(e) == 0);
	/* (a) an empty first fragment: the frame is the rest */
	r0 = e->txs->rsp_prod;
	hf_tx(e, e->data_refs[0], 0, NETTXF_more_data, 1, 1500);
	hf_tx(e, e->data_refs[1], 100, 0, 2, 1500);
	hf_push(e);
	hf_poll(e);
	CHECK_EQ(t, e->ndeliv, 1);
	CHECK_EQ(t, e->got_len, 1500);
	CHECK(t, memcmp(e->got, e->data + NC_PAGE_SIZE + 100, 1500) == 0);
	CHECK_EQ(t, hf_tx_rsp(e, r0).id, 1);
	CHECK_EQ(t, hf_tx_rsp(e, r0).status, NETIF_RSP_OKAY);
	CHECK_EQ(t, hf_tx_rsp(e, r0 + 1).id, 2);
	CHECK_EQ(t, hf_tx_rsp(e, r0 + 1).status, NETIF_RSP_OKAY);
	/* (b) empty fragments in the middle and at the end, one naming a
	 * grant that was never made, one at offset 4096 */
	r0 = e->txs->rsp_prod;
	hf_tx(e, e->data_refs[2], 10, NETTXF_more_data, 10, 2500);
	hf_tx(e, 9999, 0, NETTXF_more_data, 11, 0);
	hf_tx(e, e->data_refs[3], NC_PAGE_SIZE, NETTXF_more_data, 12, 0);
	hf_tx(e, e->data_refs[4], 0, NETTXF_more_data, 13, 1000);
	hf_tx(e, e->data_refs[5], 4000, 0, 14, 0);
	hf_push(e);
	hf_poll(e);
	memcpy(want, e->data + 2 * NC_PAGE_SIZE + 10, 1500);
	memcpy(want + 1500, e->data + 4 * NC_PAGE_SIZE, 1000);
	CHECK_EQ(t, e->ndeliv, 2);
	CHECK_EQ(t, e->got_len, 2500);
	CHECK(t, memcmp(e->got, want, 2500) == 0);
	for (i = 0; i < 5; i++) {
		CHECK_EQ(t, hf_tx_rsp(e, r0 + i).id, 10 + i);
		CHECK_EQ(t, hf_tx_rsp(e, r0 + i).status, NETIF_RSP_OKAY);
	}
	/* (c) nothing but empty fragments: a runt, dropped deliberately */
	r0 = e->txs->rsp_prod;
	hf_tx(e, e->data_refs[0], 0, NETTXF_more_data, 20, 0);
	hf_tx(e, 9999, 0, 0, 21, 0);
	hf_tx(e, e->data_refs[0], 0, 0, 22, 0);
	hf_push(e);
	hf_poll(e);
	CHECK_EQ(t, e->ndeliv, 2);
	CHECK_EQ(t, hf_tx_rsp(e, r0).status, NETIF_RSP_ERROR);
	CHECK_EQ(t, hf_tx_rsp(e, r0 + 1).status, NETIF_RSP_ERROR);
	CHECK_EQ(t, hf_tx_rsp(e, r0 + 2).status, NETIF_RSP_ERROR);
	CHECK_EQ(t, hf_tx_rsp(e, r0 + 2).id, 22);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_RUNT], 2);
	/* no grant of an empty fragment was ever used */
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_BAD_GREF], 0);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.reason[NC_R_CROSS_PAGE], 0);
	CHECK_EQ(t, nc_back_stats(e->b)->rx.packets, 2);
	CHECK_EQ(t, nc_back_state(e->b), NC_BACK_CONNECTED);
	CHECK_EQ(t, e->nlog, 0);
	hf_free(e);
	free(e);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "MSA01: recycled pool blocks never carry stale bytes",
		test_msa01);
	tap_run(&t, "XSA-403: untrusted backend gets whole zeroed pages",
		test_xsa403);
	tap_run(&t, "XSA-155: slots rewritten during consumption, one copy "
		"acted on", test_xsa155);
	tap_run(&t, "XSA-39: garbage rings disable the vif, no loop, no leak",
		test_xsa39);
	tap_run(&t, "XSA-90: a rogue vif is disabled without stalling "
		"another", test_xsa90);
	tap_run(&t, "XSA-270: control ring keys and indices validated",
		test_xsa270);
	tap_run(&t, "XSA-332/391: event storms cost bounded CPU, lose no "
		"frames", test_xsa332_391);
	tap_run(&t, "XSA-392: RX queue bounded when no buffers are posted",
		test_xsa392);
	tap_run(&t, "XSA-396: pages still mapped are quarantined, never "
		"reused", test_xsa396);
	tap_run(&t, "XSA-423/432: headers split across tiny fragments",
		test_xsa423_432);
	tap_run(&t, "XSA-448: zero-length TX fragments accepted "
		"deliberately", test_xsa448);
	return tap_done(&t);
}

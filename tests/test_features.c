/*
 * test_features.c - issue 9's negotiated features between our netfront and
 * netback on the in-process platform:
 *   - split event channels (feature-split-event-channels,
 *     event-channel-tx/-rx): the handshake both ways, traffic each way in
 *     event mode with each ring's events on its own port, a frontend using
 *     the single key against a backend offering split, malformed keys
 *     refused cleanly;
 *   - checksum offload keys: IPv6 partial checksums completed in software
 *     toward a peer without feature-ipv6-csum-offload and passed blank to
 *     one with it (both directions), feature-no-csum-offload honoured;
 *   - the `rate` key: the credit scheduler's logic under a fake clock, the
 *     backend holding frames back under a fake clock, and the throughput a
 *     busy sender achieves against the real clock.
 */
#include <poll.h>
#include <stdio.h>
#include <time.h>

#include "core/back_rate.h"
#include "harness.h"
#include "netchannel/csum.h"
#include "rig.h"

/* ------------------------------------------------------------ helpers */

static uint64_t mono_us(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct fake_clock {
	uint64_t now;
};

static uint64_t fake_us(void *arg)
{
	return ((struct fake_clock *)arg)->now;
}

/* ------------------------------------------------ an event-ops recorder */

/* Forwards every call to the real in-process ops and counts, per local
 * port, the notifications sent and the events taken. */
#define SHIM_PORTS 8

struct port_counts {
	nc_port_t port[SHIM_PORTS];
	unsigned long n[SHIM_PORTS];
	unsigned used;
};

struct ev_shim {
	struct nc_events real;
	struct port_counts notified, taken;
};

static void count_port(struct port_counts *c, nc_port_t port)
{
	unsigned i;

	for (i = 0; i < c->used; i++)
		if (c->port[i] == port) {
			c->n[i]++;
			return;
		}
	if (c->used < SHIM_PORTS) {
		c->port[c->used] = port;
		c->n[c->used++] = 1;
	}
}

static unsigned long port_count(const struct port_counts *c, nc_port_t port)
{
	unsigned i;

	for (i = 0; i < c->used; i++)
		if (c->port[i] == port)
			return c->n[i];
	return 0;
}

static int shim_alloc(void *ctx, nc_domid_t remote, nc_port_t *port)
{
	struct ev_shim *s = ctx;

	return s->real.ops->alloc_unbound(s->real.ctx, remote, port);
}

static int shim_bind(void *ctx, nc_domid_t remote, nc_port_t rport,
		     nc_port_t *port)
{
	struct ev_shim *s = ctx;

	return s->real.ops->bind_interdomain(s->real.ctx, remote, rport,
					     port);
}

static int shim_notify(void *ctx, nc_port_t port)
{
	struct ev_shim *s = ctx;

	count_port(&s->notified, port);
	return s->real.ops->notify(s->real.ctx, port);
}

static int shim_unbind(void *ctx, nc_port_t port)
{
	struct ev_shim *s = ctx;

	return s->real.ops->unbind(s->real.ctx, port);
}

static int shim_fd(void *ctx)
{
	struct ev_shim *s = ctx;

	return s->real.ops->fd(s->real.ctx);
}

static int shim_pending(void *ctx, nc_port_t *port)
{
	struct ev_shim *s = ctx;
	int rc = s->real.ops->pending(s->real.ctx, port);

	if (rc == 1 || rc == 2)
		count_port(&s->taken, *port);
	return rc;
}

static const struct nc_event_ops shim_ops = {
	.alloc_unbound = shim_alloc,
	.bind_interdomain = shim_bind,
	.notify = shim_notify,
	.unbind = shim_unbind,
	.fd = shim_fd,
	.pending = shim_pending,
};

static void shim_wrap(struct ev_shim *s, struct nc_platform *p)
{
	memset(s, 0, sizeof(*s));
	s->real = p->events;
	p->events.ops = &shim_ops;
	p->events.ctx = s;
}

/* ------------------------------------------------------- event mode */

/* Each end runs only when one of its fds polls readable (or its last
 * poll asked to be called again): the way tools/cmd_back.c and
 * cmd_guest.c drive them.  One fd per end for events whatever the number
 * of ports, one for the store. */
struct evloop {
	struct rig *r;
	int front_more, back_more;
	unsigned idle_waits;    /* waits that timed out with nothing to do */
};

static void ev_round(struct evloop *e, int timeout_ms)
{
	struct rig *r = e->r;
	struct pollfd p[4] = {
		{ .fd = r->fplat.events.ops->fd(r->fplat.events.ctx),
		  .events = POLLIN },
		{ .fd = r->fplat.store.ops->fd(r->fplat.store.ctx),
		  .events = POLLIN },
		{ .fd = r->bplat.events.ops->fd(r->bplat.events.ctx),
		  .events = POLLIN },
		{ .fd = r->bplat.store.ops->fd(r->bplat.store.ctx),
		  .events = POLLIN },
	};
	int busy = e->front_more || e->back_more;
	int n = poll(p, 4, busy ? 0 : timeout_ms);

	if (n == 0 && !busy)
		e->idle_waits++;
	if (e->front_more || (p[0].revents | p[1].revents))
		e->front_more = nc_front_poll(r->f);
	if (e->back_more || (p[2].revents | p[3].revents))
		e->back_more = nc_back_poll(r->b);
}

/* ------------------------------------------------------ frame content */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seq)
{
	uint32_t s = seq * 2654435761u + 7;
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)rnd(&s);
	memcpy(buf, &seq, 4);
}

struct stream {
	uint32_t next_seq;     /* receiver: expected; sender: next to send */
	uint32_t size_seed;
	uint64_t frames, bytes, bad;
	uint8_t scratch[16384];
};

static size_t stream_size(uint32_t *seed)
{
	return 60 + rnd(seed) % (9000 - 60 + 1);
}

static void stream_check(void *arg, const struct nc_frame *fr)
{
	struct stream *s = arg;
	size_t want = stream_size(&s->size_seed);
	uint32_t seq;

	memcpy(&seq, fr->data, 4);
	fill_pattern(s->scratch, want, s->next_seq);
	if (fr->len != want || seq != s->next_seq ||
	    memcmp(s->scratch, fr->data, want) != 0)
		s->bad++;
	s->next_seq = seq + 1;
	s->frames++;
	s->bytes += fr->len;
}

static size_t stream_fill(void *ctx, uint8_t *buf, size_t size)
{
	fill_pattern(buf, size, *(uint32_t *)ctx);
	return size;
}

/* Send n frames one way in event mode; 0 when all arrived intact. */
static int run_front_to_back(struct evloop *e, struct stream *tx,
			     struct stream *rx, uint32_t n)
{
	size_t size = 0;

	while (rx->frames < n && e->idle_waits < 50) {
		while (tx->next_seq < n) {
			if (!size)
				size = stream_size(&tx->size_seed);
			if (nc_front_write(e->r->f, size, stream_fill,
					   &tx->next_seq, 0) != NC_OK)
				break;
			tx->next_seq++;
			size = 0;
		}
		ev_round(e, 100);
	}
	return rx->frames == n && rx->bad == 0 ? 0 : -1;
}

static int run_back_to_front(struct evloop *e, struct stream *tx,
			     struct stream *rx, uint32_t n)
{
	size_t size = 0;

	while (rx->frames < n && e->idle_waits < 50) {
		while (tx->next_seq < n) {
			struct nc_frame fr = { .data = tx->scratch };

			if (!size)
				size = stream_size(&tx->size_seed);
			if (!nc_back_can_queue(e->r->b, (uint32_t)size))
				break;
			fill_pattern(tx->scratch, size, tx->next_seq);
			fr.len = (uint32_t)size;
			if (nc_back_queue(e->r->b, &fr) != NC_OK)
				break;
			tx->next_seq++;
			size = 0;
		}
		ev_round(e, 100);
	}
	return rx->frames == n && rx->bad == 0 ? 0 : -1;
}

/* ------------------------------------------------- split event channels */

static void test_split_handshake_keys(struct tap *t)
{
	struct rig r;
	struct nc_inproc_counts c;
	char v[32];

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK(t, !strcmp(rig_read_key(&r, r.be_path,
				   "feature-split-event-channels", v,
				   sizeof(v)), "1"));
	CHECK(t, r.f->feat.split_events == 1);
	CHECK(t, rig_read_key(&r, r.fe_path, "event-channel-tx", v,
			   sizeof(v))[0] != '\0');
	CHECK(t, rig_read_key(&r, r.fe_path, "event-channel-rx", v,
			   sizeof(v))[0] != '\0');
	CHECK(t, rig_read_key(&r, r.fe_path, "event-channel", v,
			   sizeof(v))[0] == '\0');
	CHECK(t, r.f->q[0].have_port_rx && r.f->q[0].port != r.f->q[0].port_rx);
	CHECK(t, r.b->q[0].have_port_rx && r.b->q[0].port != r.b->q[0].port_rx);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.ports, 2);
	nc_inproc_counts(r.w, RIG_FE, &c);
	CHECK_EQ(t, c.ports, 2);
	rig_free(&r);
}

/* The frontend's single key when it will not (cfg) or may not (backend)
 * use split channels; and the single key accepted. */
static void check_single(struct tap *t, int front_refuses)
{
	struct rig r;
	struct nc_inproc_counts c;
	char v[32];

	CHECK(t, rig_init(&r, 0) == 0);
	if (front_refuses)
		r.fcfg.no_split_events = 1;
	else
		r.bcfg.no_split_events = 1;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK(t, !strcmp(rig_read_key(&r, r.be_path,
				   "feature-split-event-channels", v,
				   sizeof(v)), front_refuses ? "1" : "0"));
	CHECK(t, rig_read_key(&r, r.fe_path, "event-channel", v,
			   sizeof(v))[0] != '\0');
	CHECK(t, rig_read_key(&r, r.fe_path, "event-channel-tx", v,
			   sizeof(v))[0] == '\0');
	CHECK(t, rig_read_key(&r, r.fe_path, "event-channel-rx", v,
			   sizeof(v))[0] == '\0');
	CHECK(t, !r.b->q[0].have_port_rx && !r.f->q[0].have_port_rx);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.ports, 1);
	rig_free(&r);
}

static void test_single_key_frontend(struct tap *t)
{
	check_single(t, 1);
}

static void test_backend_without_split(struct tap *t)
{
	check_single(t, 0);
}

/* Traffic each way in event mode; with split channels, each ring's
 * events on its own port: the frontend's TX answers wake its TX port
 * only, frames for it its RX port only. */
static void event_traffic(struct tap *t, int split)
{
	struct rig r;
	struct ev_shim fs, bs;
	struct evloop e = { .r = &r };
	struct stream *a_tx = calloc(1, sizeof(*a_tx));
	struct stream *a_rx = calloc(1, sizeof(*a_rx));
	struct stream *b_tx = calloc(1, sizeof(*b_tx));
	struct stream *b_rx = calloc(1, sizeof(*b_rx));
	unsigned long f_tx0, f_rx0, b_tx0, b_rx0;
	const uint32_t n = 3000;

	CHECK(t, a_tx && a_rx && b_tx && b_rx);
	a_tx->size_seed = a_rx->size_seed = 11;
	b_tx->size_seed = b_rx->size_seed = 23;
	CHECK(t, rig_init(&r, 0) == 0);
	shim_wrap(&fs, &r.fplat);
	shim_wrap(&bs, &r.bplat);
	r.fcfg.no_split_events = !split;
	r.fcfg.rx = stream_check;
	r.fcfg.rx_arg = b_rx;
	r.bcfg.deliver = stream_check;
	r.bcfg.deliver_arg = a_rx;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK_EQ(t, r.f->q[0].have_port_rx, split);
	CHECK_EQ(t, r.b->q[0].have_port_rx, split);

	/* A: frontend -> backend only */
	f_tx0 = port_count(&fs.taken, r.f->q[0].port);
	f_rx0 = split ? port_count(&fs.taken, r.f->q[0].port_rx) : 0;
	b_rx0 = split ? port_count(&bs.notified, r.b->q[0].port_rx) : 0;
	CHECK(t, run_front_to_back(&e, a_tx, a_rx, n) == 0);
	CHECK_EQ(t, a_rx->frames, n);
	CHECK_EQ(t, a_rx->bad, 0);
	/* the last answers and their events, before B is counted */
	while (nc_front_stats(r.f)->tx.packets < n && e.idle_waits < 50)
		ev_round(&e, 100);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, n);
	CHECK(t, port_count(&fs.taken, r.f->q[0].port) > f_tx0);
	CHECK(t, port_count(&bs.taken, r.b->q[0].port) > 0);
	if (split) {
		/* nothing went toward the frontend: its RX port is quiet */
		CHECK_EQ(t, port_count(&fs.taken, r.f->q[0].port_rx), f_rx0);
		CHECK_EQ(t, port_count(&bs.notified, r.b->q[0].port_rx), b_rx0);
	}
	tap_diag("%s A: front took %lu events on tx, %lu on rx; back took "
		 "%lu", split ? "split" : "single",
		 port_count(&fs.taken, r.f->q[0].port) - f_tx0,
		 split ? port_count(&fs.taken, r.f->q[0].port_rx) - f_rx0 : 0,
		 port_count(&bs.taken, r.b->q[0].port));

	/* B: backend -> frontend only */
	f_tx0 = port_count(&fs.taken, r.f->q[0].port);
	f_rx0 = split ? port_count(&fs.taken, r.f->q[0].port_rx) : 0;
	b_tx0 = port_count(&bs.notified, r.b->q[0].port);
	CHECK(t, run_back_to_front(&e, b_tx, b_rx, n) == 0);
	CHECK_EQ(t, b_rx->frames, n);
	CHECK_EQ(t, b_rx->bad, 0);
	if (split) {
		CHECK(t, port_count(&fs.taken, r.f->q[0].port_rx) > f_rx0);
		CHECK(t, port_count(&bs.notified, r.b->q[0].port_rx) > 0);
		/* no TX answers: the frontend's TX port is quiet */
		CHECK_EQ(t, port_count(&fs.taken, r.f->q[0].port), f_tx0);
		CHECK_EQ(t, port_count(&bs.notified, r.b->q[0].port), b_tx0);
	} else {
		CHECK(t, port_count(&fs.taken, r.f->q[0].port) > f_tx0);
	}
	tap_diag("%s B: front took %lu events on tx, %lu on rx",
		 split ? "split" : "single",
		 port_count(&fs.taken, r.f->q[0].port) - f_tx0,
		 split ? port_count(&fs.taken, r.f->q[0].port_rx) - f_rx0 : 0);
	CHECK_EQ(t, e.idle_waits, 0);
	rig_free(&r);
	free(a_tx);
	free(a_rx);
	free(b_tx);
	free(b_rx);
}

static void test_split_event_traffic(struct tap *t)
{
	event_traffic(t, 1);
}

static void test_single_event_traffic(struct tap *t)
{
	event_traffic(t, 0);
}

/* The frontend wrote its keys (Connected); the test rewrites some before
 * the backend looks.  The backend must refuse with one log line: state
 * disabled, Closing, nothing mapped or bound that close does not free. */
static void refuse_after(struct tap *t, const char *what,
			 void (*tamper)(struct rig *))
{
	struct rig r;
	struct rig_logs l = { 0 };
	struct nc_inproc_counts c;
	char v[16];
	unsigned i;

	CHECK(t, rig_init(&r, 0) == 0);
	r.bcfg.log = rig_count_log;
	r.bcfg.log_arg = &l;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	for (i = 0; i < 10 && nc_front_state(r.f) != NC_FRONT_CONNECTING;
	     i++)
		nc_front_poll(r.f);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTING);
	tamper(&r);
	for (i = 0; i < 5; i++)
		nc_back_poll(r.b);
	if (!CHECK(t, nc_back_state(r.b) == NC_BACK_DISABLED))
		tap_diag("%s: backend state %d", what, nc_back_state(r.b));
	CHECK_EQ(t, l.lines, 1);
	tap_diag("%s: \"%s\"", what, l.last);
	CHECK(t, !strcmp(rig_read_key(&r, r.be_path, "state", v, sizeof(v)),
			 "5"));
	/* the frontend lets go when it sees Closing */
	rig_pump(&r, 5);
	CHECK(t, nc_front_state(r.f) == NC_FRONT_CLOSED);
	rig_pump(&r, 5);
	nc_back_close(r.b);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, c.mappings, 0);
	rig_free(&r);
}

static void only_tx(struct rig *r)
{
	rig_rm_key(r, r->fe_path, "event-channel-rx");
}

static void only_rx(struct rig *r)
{
	rig_rm_key(r, r->fe_path, "event-channel-tx");
}

static void only_rx_with_single(struct rig *r)
{
	char v[16];

	/* a single key beside one split key still is one split key alone */
	rig_write_key(r, r->fe_path, "event-channel",
		   rig_read_key(r, r->fe_path, "event-channel-tx", v, sizeof(v)));
	rig_rm_key(r, r->fe_path, "event-channel-tx");
}

static void tx_garbage(struct rig *r)
{
	rig_write_key(r, r->fe_path, "event-channel-tx", "12abc");
}

static void rx_zero(struct rig *r)
{
	rig_write_key(r, r->fe_path, "event-channel-rx", "0");
}

static void rx_huge(struct rig *r)
{
	rig_write_key(r, r->fe_path, "event-channel-rx", "4294967296");
}

static void rx_same_as_tx(struct rig *r)
{
	char v[16];

	/* both keys name one port: the second bind fails */
	rig_write_key(r, r->fe_path, "event-channel-rx",
		   rig_read_key(r, r->fe_path, "event-channel-tx", v, sizeof(v)));
}

static void rx_not_ours(struct rig *r)
{
	/* a port number the frontend never allocated */
	rig_write_key(r, r->fe_path, "event-channel-rx", "77");
}

static void test_split_malformed(struct tap *t)
{
	refuse_after(t, "only event-channel-tx", only_tx);
	refuse_after(t, "only event-channel-rx", only_rx);
	refuse_after(t, "event-channel + event-channel-rx",
		     only_rx_with_single);
	refuse_after(t, "event-channel-tx garbage", tx_garbage);
	refuse_after(t, "event-channel-rx 0", rx_zero);
	refuse_after(t, "event-channel-rx 2^32", rx_huge);
	refuse_after(t, "event-channel-rx == -tx", rx_same_as_tx);
	refuse_after(t, "event-channel-rx unbound", rx_not_ours);
}

/* ---------------------------------------------------- checksum offload */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

struct ipframe {
	int ipv;          /* 4 or 6 */
	uint8_t proto;    /* 6 TCP, 17 UDP */
	int vlan;         /* one 802.1Q tag */
	size_t payload;
};

/* Ethernet [+ VLAN] + IPv4/IPv6 + TCP/UDP + payload.  blank: the L4
 * checksum field holds only the pseudo-header sum, a partial checksum as
 * Linux's CHECKSUM_PARTIAL sends it; else every checksum is complete. */
static size_t build_frame(uint8_t *f, const struct ipframe *d, int blank)
{
	size_t l3 = 14 + (d->vlan ? 4u : 0u), ihl = d->ipv == 4 ? 20u : 40u;
	size_t l4 = l3 + ihl, l4hdr = d->proto == 6 ? 20u : 8u;
	size_t l4len = l4hdr + d->payload, len = l4 + l4len, i;
	uint8_t *ip = f + l3;
	uint16_t c;

	memset(f, 0, len);
	memcpy(f, "\x00\x16\x3e\x12\x34\x56\x00\x16\x3e\x65\x43\x21", 12);
	if (d->vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, 42);
	}
	put16(f + l3 - 2, d->ipv == 4 ? 0x0800 : 0x86dd);
	if (d->ipv == 4) {
		ip[0] = 0x45;
		put16(ip + 2, (unsigned)(20 + l4len));
		put16(ip + 4, 0x1234);
		ip[6] = 0x40;
		ip[8] = 64;
		ip[9] = d->proto;
		memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
		c = nc_csum(ip, 20);
		memcpy(ip + 10, &c, 2);
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (unsigned)l4len);
		ip[6] = d->proto;
		ip[7] = 64;
		ip[8] = 0xfe, ip[9] = 0x80, ip[23] = 1;
		ip[24] = 0xfe, ip[25] = 0x80, ip[39] = 2;
	}
	put16(f + l4, 40000);
	put16(f + l4 + 2, 80);
	if (d->proto == 6) {
		put16(f + l4 + 4, 0x0102);
		f[l4 + 12] = 0x50;
		f[l4 + 13] = 0x18;
		put16(f + l4 + 14, 65535);
	} else {
		put16(f + l4 + 4, (unsigned)l4len);
	}
	for (i = 0; i < d->payload; i++)
		f[l4 + l4hdr + i] = (uint8_t)(i * 7 + 3);
	if (!blank)
		return nc_csum_complete_frame(f, len) == 0 ? len : 0;
	c = (uint16_t)~nc_csum_fold(d->ipv == 4
		? nc_csum_pseudo_v4(ip + 12, ip + 16, d->proto, (uint32_t)l4len)
		: nc_csum_pseudo_v6(ip + 8, ip + 24, d->proto,
				    (uint32_t)l4len));
	memcpy(f + l4 + (d->proto == 6 ? 16 : 6), &c, 2);
	return len;
}

struct capture {
	unsigned n;
	uint32_t len, flags;
	uint8_t data[NC_MAX_FRAME];
};

static void capture_frame(void *arg, const struct nc_frame *fr)
{
	struct capture *c = arg;

	c->n++;
	c->len = fr->len;
	c->flags = fr->flags;
	memcpy(c->data, fr->data, fr->len);
}

enum csum_want {
	WANT_BLANK,       /* arrives as sent, CSUM_BLANK */
	WANT_COMPLETED,   /* completed on the way, DATA_VALIDATED */
	WANT_BARE,        /* completed on the way, no checksum flag */
};

/* The frame `sent` (blank) arrived as `c`: check it against `want`. */
static void check_arrival(struct tap *t, const struct capture *c,
			  const uint8_t *sent, size_t len, enum csum_want want)
{
	uint8_t *done = malloc(len);

	CHECK_EQ(t, c->n, 1);
	CHECK_EQ(t, c->len, len);
	CHECK(t, done != NULL);
	if (!done || c->len != len) {
		free(done);
		return;
	}
	/* a partial checksum does not verify as such */
	CHECK_EQ(t, nc_csum_verify_frame(sent, len), 0);
	memcpy(done, sent, len);
	CHECK_EQ(t, nc_csum_complete_frame(done, len), 0);
	if (want == WANT_BLANK) {
		CHECK(t, c->flags & NC_FRAME_CSUM_BLANK);
		CHECK(t, memcmp(c->data, sent, len) == 0);
		/* what a consumer does with it: complete, then it verifies */
		CHECK_EQ(t, nc_csum_verify_frame(done, len), 1);
	} else {
		CHECK(t, !(c->flags & NC_FRAME_CSUM_BLANK));
		CHECK_EQ(t, !!(c->flags & NC_FRAME_DATA_VALIDATED),
			 want == WANT_COMPLETED);
		CHECK_EQ(t, nc_csum_verify_frame(c->data, len), 1);
		/* only the checksum changed */
		CHECK(t, memcmp(c->data, done, len) == 0);
	}
	free(done);
}

struct csum_setup {
	int be_no_ipv6, fe_no_ipv6, fe_no_csum;
};

static int csum_rig(struct rig *r, const struct csum_setup *s,
		    struct capture *at_back, struct capture *at_front)
{
	if (rig_init(r, 0))
		return -1;
	r->bcfg.no_ipv6_csum = s->be_no_ipv6;
	r->fcfg.no_ipv6_csum = s->fe_no_ipv6;
	r->fcfg.no_csum_offload = s->fe_no_csum;
	r->bcfg.deliver = capture_frame;
	r->bcfg.deliver_arg = at_back;
	r->fcfg.rx = capture_frame;
	r->fcfg.rx_arg = at_front;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

/* One blank frame frontend -> backend. */
static void csum_up(struct tap *t, const struct csum_setup *s,
		    const struct ipframe *d, enum csum_want want)
{
	struct rig r;
	struct capture *cb = calloc(1, sizeof(*cb));
	struct capture *cf = calloc(1, sizeof(*cf));
	uint8_t *f = malloc(NC_MAX_FRAME);
	size_t len;

	CHECK(t, cb && cf && f);
	CHECK(t, csum_rig(&r, s, cb, cf) == 0);
	len = build_frame(f, d, 1);
	CHECK_EQ(t, nc_front_send(r.f, &(struct nc_iov){ f, len }, 1,
				  NC_FRAME_CSUM_BLANK), NC_OK);
	rig_pump(&r, 4);
	check_arrival(t, cb, f, len, want);
	rig_free(&r);
	free(cb);
	free(cf);
	free(f);
}

/* One frame backend -> frontend, with `flags`. */
static void csum_down(struct tap *t, const struct csum_setup *s,
		      const struct ipframe *d, enum csum_want want)
{
	struct rig r;
	struct capture *cb = calloc(1, sizeof(*cb));
	struct capture *cf = calloc(1, sizeof(*cf));
	uint8_t *f = malloc(NC_MAX_FRAME);
	struct nc_frame fr = { .data = f, .flags = NC_FRAME_CSUM_BLANK };

	CHECK(t, cb && cf && f);
	CHECK(t, csum_rig(&r, s, cb, cf) == 0);
	fr.len = (uint32_t)build_frame(f, d, 1);
	CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_OK);
	rig_pump(&r, 4);
	check_arrival(t, cf, f, fr.len, want);
	rig_free(&r);
	free(cb);
	free(cf);
	free(f);
}

static const struct ipframe V6_TCP = { 6, 6, 0, 1200 };
static const struct ipframe V6_UDP = { 6, 17, 0, 3000 };
static const struct ipframe V6_TCP_VLAN = { 6, 6, 1, 9000 };
static const struct ipframe V4_TCP = { 4, 6, 0, 1400 };
static const struct ipframe V4_UDP = { 4, 17, 0, 513 };

static void test_csum_keys(struct tap *t)
{
	static const struct {
		struct csum_setup s;
		const char *be_v6, *fe_v6, *fe_no;
	} cases[] = {
		{ { 0, 0, 0 }, "1", "1", "0" },
		{ { 1, 0, 0 }, "0", "1", "0" },
		{ { 0, 1, 0 }, "1", "0", "0" },
		{ { 0, 0, 1 }, "1", "0", "1" },
	};
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rig r;
		struct capture *c = calloc(1, sizeof(*c));
		char v[8];

		CHECK(t, c && csum_rig(&r, &cases[i].s, c, c) == 0);
		CHECK(t, !strcmp(rig_read_key(&r, r.be_path,
			"feature-ipv6-csum-offload", v, sizeof(v)),
			cases[i].be_v6));
		CHECK(t, !strcmp(rig_read_key(&r, r.fe_path,
			"feature-ipv6-csum-offload", v, sizeof(v)),
			cases[i].fe_v6));
		CHECK(t, !strcmp(rig_read_key(&r, r.fe_path,
			"feature-no-csum-offload", v, sizeof(v)),
			cases[i].fe_no));
		CHECK_EQ(t, r.f->feat.ipv6_csum, !cases[i].s.be_no_ipv6);
		CHECK_EQ(t, r.b->fe_ipv6_csum, !cases[i].s.fe_no_ipv6 &&
					       !cases[i].s.fe_no_csum);
		CHECK_EQ(t, r.b->fe_csum_offload, !cases[i].s.fe_no_csum);
		rig_free(&r);
		free(c);
	}
}

static void test_ipv6_csum_front_to_back(struct tap *t)
{
	static const struct csum_setup offered = { 0, 0, 0 };
	static const struct csum_setup not_offered = { 1, 0, 0 };

	/* the backend offered it: the partial checksum goes as it is */
	csum_up(t, &offered, &V6_TCP, WANT_BLANK);
	csum_up(t, &offered, &V6_UDP, WANT_BLANK);
	/* it did not: our frontend completes it before sending */
	csum_up(t, &not_offered, &V6_TCP, WANT_COMPLETED);
	csum_up(t, &not_offered, &V6_UDP, WANT_COMPLETED);
	csum_up(t, &not_offered, &V6_TCP_VLAN, WANT_COMPLETED);
	/* IPv4 partial checksums are always accepted by a backend */
	csum_up(t, &not_offered, &V4_TCP, WANT_BLANK);
	csum_up(t, &not_offered, &V4_UDP, WANT_BLANK);
}

static void test_ipv6_csum_back_to_front(struct tap *t)
{
	static const struct csum_setup takes = { 0, 0, 0 };
	static const struct csum_setup refuses = { 0, 1, 0 };

	csum_down(t, &takes, &V6_TCP, WANT_BLANK);
	csum_down(t, &takes, &V6_UDP, WANT_BLANK);
	csum_down(t, &refuses, &V6_TCP, WANT_COMPLETED);
	csum_down(t, &refuses, &V6_UDP, WANT_COMPLETED);
	csum_down(t, &refuses, &V6_TCP_VLAN, WANT_COMPLETED);
	csum_down(t, &refuses, &V4_TCP, WANT_BLANK);
}

/* A frontend that sends an IPv6 partial checksum the backend did not
 * offer to take (as a careless frontend would): the backend completes it
 * before delivery. */
static void test_ipv6_csum_unoffered_completed_by_backend(struct tap *t)
{
	static const struct csum_setup s = { 1, 0, 0 };
	struct rig r;
	struct capture *cb = calloc(1, sizeof(*cb));
	uint8_t *f = malloc(NC_MAX_FRAME);
	size_t len;

	CHECK(t, cb && f && csum_rig(&r, &s, cb, cb) == 0);
	CHECK_EQ(t, r.f->feat.ipv6_csum, 0);
	r.f->feat.ipv6_csum = 1;        /* pretend it was offered */
	len = build_frame(f, &V6_TCP, 1);
	CHECK_EQ(t, nc_front_send(r.f, &(struct nc_iov){ f, len }, 1,
				  NC_FRAME_CSUM_BLANK), NC_OK);
	rig_pump(&r, 4);
	check_arrival(t, cb, f, len, WANT_COMPLETED);
	rig_free(&r);
	free(cb);
	free(f);
}

static void test_no_csum_offload(struct tap *t)
{
	static const struct csum_setup s = { 0, 0, 1 };
	static const struct ipframe *all[] = { &V4_TCP, &V4_UDP, &V6_TCP,
					       &V6_UDP };
	unsigned i;

	/* toward it: every checksum complete, never a checksum flag */
	for (i = 0; i < 4; i++)
		csum_down(t, &s, all[i], WANT_BARE);
	/* a frame the stack had validated: the flag is not passed either */
	{
		struct rig r;
		struct capture *c = calloc(1, sizeof(*c));
		uint8_t *f = malloc(NC_MAX_FRAME);
		struct nc_frame fr = { .data = f,
				       .flags = NC_FRAME_DATA_VALIDATED };

		CHECK(t, c && f && csum_rig(&r, &s, c, c) == 0);
		fr.len = (uint32_t)build_frame(f, &V4_TCP, 0);
		CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_OK);
		rig_pump(&r, 4);
		CHECK_EQ(t, c->n, 1);
		CHECK_EQ(t, c->flags, 0);
		CHECK(t, c->len == fr.len && !memcmp(c->data, f, fr.len));
		rig_free(&r);
		free(c);
		free(f);
	}
	/* from it: it completes its own partial checksums, IPv4 too */
	for (i = 0; i < 4; i++)
		csum_up(t, &s, all[i], WANT_COMPLETED);
}

/* ------------------------------------------------------------- rate */

static void test_rate_parse(struct tap *t)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,2,3", "a,1", "1,b", "1, 2", " 1,2",
		"1,2 ", "-1,2", "+1,2", "1;2", "0x10,5", "1.5,2",
		"18446744073709551616,1", "1,18446744073709551616",
	};
	uint64_t b = 7, u = 7;
	unsigned i;

	CHECK_EQ(t, nc_back_parse_rate("500000,50000", &b, &u), NC_OK);
	CHECK(t, b == 500000 && u == 50000);
	CHECK_EQ(t, nc_back_parse_rate("0,0", &b, &u), NC_OK);
	CHECK(t, b == 0 && u == 0);
	CHECK_EQ(t, nc_back_parse_rate("18446744073709551615,1", &b, &u),
		 NC_OK);
	CHECK(t, b == UINT64_MAX && u == 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = u = 7;
		if (!CHECK(t, nc_back_parse_rate(bad[i], &b, &u) == NC_EINVAL))
			tap_diag("accepted \"%s\"", bad[i]);
		CHECK(t, b == 7 && u == 7);
	}
	CHECK_EQ(t, nc_back_parse_rate(NULL, &b, &u), NC_EINVAL);
}

static void test_rate_credit_logic(struct tap *t)
{
	struct nc_back_rate r;
	uint64_t when = 0;

	/* 1000 bytes per 1000 us, starting full */
	nc_rate_init(&r, 1000, 1000, 0);
	CHECK(t, nc_rate_limited(&r));
	CHECK_EQ(t, nc_rate_next(&r, &when), 0);
	CHECK_EQ(t, nc_rate_admit(&r, 600, 0), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 400, 0), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 1, 0), 0);
	CHECK_EQ(t, nc_rate_next(&r, &when), 1);
	CHECK_EQ(t, when, 1000);
	CHECK_EQ(t, nc_rate_admit(&r, 1, 999), 0);
	/* replenished at the window's start, on the grid */
	CHECK_EQ(t, nc_rate_admit(&r, 1000, 1000), 1);
	CHECK_EQ(t, r.remaining, 0);
	CHECK_EQ(t, nc_rate_next(&r, &when), 0);
	/* credit left over carries into the next window */
	CHECK_EQ(t, nc_rate_admit(&r, 300, 2500), 1);
	CHECK_EQ(t, r.window_start, 2000);
	CHECK_EQ(t, nc_rate_admit(&r, 800, 2999), 0);   /* 700 left */
	CHECK_EQ(t, nc_rate_next(&r, &when), 1);
	CHECK_EQ(t, when, 3000);
	CHECK_EQ(t, nc_rate_admit(&r, 800, 3000), 1);   /* 1700 */
	CHECK_EQ(t, r.remaining, 900);

	/* a frame bigger than the whole credit goes when it is full, and
	 * its excess is repaid before anything else goes */
	nc_rate_init(&r, 1000, 1000, 0);
	CHECK_EQ(t, nc_rate_admit(&r, 5000, 0), 1);
	CHECK_EQ(t, r.remaining, -4000);
	CHECK_EQ(t, nc_rate_admit(&r, 100, 0), 0);
	CHECK_EQ(t, nc_rate_admit(&r, 100, 4000), 0);   /* debt repaid: 0 */
	CHECK_EQ(t, nc_rate_admit(&r, 100, 5000), 1);
	/* ... and waits when the credit is not full */
	nc_rate_init(&r, 1000, 1000, 0);
	CHECK_EQ(t, nc_rate_admit(&r, 500, 0), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 5000, 0), 0);
	CHECK_EQ(t, nc_rate_admit(&r, 5000, 1000), 1);  /* 1500: full */
	CHECK_EQ(t, r.remaining, -3500);

	/* after idle, credit builds up to a window plus one largest frame */
	nc_rate_init(&r, 1000, 1000, 0);
	CHECK_EQ(t, nc_rate_admit(&r, 1000, 0), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 1, 1000000000), 1);
	CHECK_EQ(t, r.remaining, 1000 + NC_MAX_FRAME - 1);

	/* the largest credit and an enormous idle: no overflow */
	nc_rate_init(&r, NC_RATE_MAX_BYTES - 1, 1, 0);
	CHECK_EQ(t, nc_rate_admit(&r, 65535, 0), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 1, UINT64_MAX / 2), 1);
	CHECK(t, r.remaining == (int64_t)(NC_RATE_MAX_BYTES - 1 +
					  NC_MAX_FRAME - 1));

	/* the clock wraps at 2^64: still one window per credit_usec */
	nc_rate_init(&r, 1000, 1000, UINT64_MAX - 499);
	CHECK_EQ(t, nc_rate_admit(&r, 1000, UINT64_MAX - 499), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 1, UINT64_MAX), 0);
	CHECK_EQ(t, nc_rate_next(&r, &when), 1);
	CHECK_EQ(t, when, 500);                         /* wrapped too */
	CHECK_EQ(t, nc_rate_admit(&r, 1, 499), 0);
	CHECK_EQ(t, nc_rate_admit(&r, 1, 500), 1);
	CHECK_EQ(t, r.window_start, 500);

	/* a clock that steps back adds nothing and breaks nothing */
	nc_rate_init(&r, 1000, 1000, 10000);
	CHECK_EQ(t, nc_rate_admit(&r, 1000, 10000), 1);
	CHECK_EQ(t, nc_rate_admit(&r, 1, 5000), 0);
	CHECK_EQ(t, r.remaining, 0);
	CHECK_EQ(t, nc_rate_admit(&r, 1, 11000), 1);
}

static void test_rate_unlimited(struct tap *t)
{
	static const uint64_t cases[][2] = {
		{ 0, 1000 }, { 1000, 0 }, { 0, 0 },
		{ NC_RATE_MAX_BYTES, 1000 }, { UINT64_MAX, 1 },
		{ 1000, NC_RATE_MAX_USEC + 1 },
	};
	unsigned i, k;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nc_back_rate r;
		uint64_t when;
		int all = 1;

		nc_rate_init(&r, cases[i][0], cases[i][1], 0);
		CHECK_EQ(t, nc_rate_limited(&r), 0);
		for (k = 0; k < 10000; k++)
			all &= nc_rate_admit(&r, 65535, 0);
		CHECK(t, all);
		CHECK_EQ(t, nc_rate_next(&r, &when), 0);
	}
}

/* A backlogged sender under the scheduler for 10 s of fake time, sleeping
 * until nc_rate_next each time: the bytes it gets through stay within a
 * window's credit plus a frame of the rate, whatever the frame sizes. */
static void rate_longrun(struct tap *t, uint64_t bytes, uint64_t usec,
			 uint32_t max_frame)
{
	struct nc_back_rate r;
	uint64_t now = 0, sent = 0, want, when, wakeups = 0;
	const uint64_t end = 10000000;
	uint32_t seed = 99, size = 0;

	nc_rate_init(&r, bytes, usec, 0);
	while (now < end) {
		if (!size)
			size = 60 + rnd(&seed) % (max_frame - 60 + 1);
		if (nc_rate_admit(&r, size, now)) {
			sent += size;
			size = 0;
			continue;
		}
		CHECK(t, nc_rate_next(&r, &when) && when > now);
		now = when;
		wakeups++;
	}
	want = bytes * (end / usec);
	tap_diag("%llu,%llu frames <= %u: %llu bytes in 10 s (rate: %llu), "
		 "%llu wakeups", (unsigned long long)bytes,
		 (unsigned long long)usec, max_frame,
		 (unsigned long long)sent, (unsigned long long)want,
		 (unsigned long long)wakeups);
	CHECK(t, sent + bytes + max_frame >= want);
	CHECK(t, sent <= want + bytes + NC_MAX_FRAME + max_frame);
	CHECK(t, wakeups <= end / usec + 1);
}

static void test_rate_longrun_exact(struct tap *t)
{
	rate_longrun(t, 500000, 50000, 1514);   /* 10 MB/s */
	rate_longrun(t, 1000, 1000, 1514);      /* 1 MB/s, tiny windows */
	rate_longrun(t, 1000, 1000, 65535);     /* frames >> credit */
	rate_longrun(t, 40000, 10000, 65535);   /* 4 MB/s */
}

/* The backend with a fake clock: frames wait on the ring, unanswered,
 * until their credit comes; nc_back_next_poll says when. */
static void test_rate_backend_fake_clock(struct tap *t)
{
	struct rig r;
	struct fake_clock fc = { 0 };
	struct capture *c = calloc(1, sizeof(*c));
	uint8_t frame[1000];
	uint64_t when = 0;
	unsigned i;

	CHECK(t, c && rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_write_key(&r, r.be_path, "rate", "10000,1000"), NC_OK);
	r.bcfg.clock_us = fake_us;
	r.bcfg.clock_arg = &fc;
	r.bcfg.deliver = capture_frame;
	r.bcfg.deliver_arg = c;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	memset(frame, 0x5a, sizeof(frame));
	for (i = 0; i < 100; i++)
		CHECK_EQ(t, nc_front_send(r.f, &(struct nc_iov){ frame, 1000 },
					  1, 0), NC_OK);
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 10);                  /* the first window's */
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, 10);
	CHECK_EQ(t, nc_back_next_poll(r.b, &when), 1);
	CHECK_EQ(t, when, 1000);
	CHECK_EQ(t, nc_back_poll(r.b), 0);      /* waits: not "call again" */
	fc.now = 999;
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 10);
	fc.now = 1000;
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 20);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, 20);
	/* a long wait: a window plus one largest frame's worth at most */
	fc.now = 1000000000;
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 20 + (10000 + 65535) / 1000);
	fc.now += 1000;
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 100);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, 100);
	CHECK_EQ(t, nc_back_next_poll(r.b, &when), 0);
	rig_free(&r);
	free(c);
}

/* The toolstack changes `rate` while the frontend is connected: applied
 * at once (Linux netback watches the key too). */
static void test_rate_key_changes(struct tap *t)
{
	struct rig r;
	struct fake_clock fc = { 0 };
	struct capture *c = calloc(1, sizeof(*c));
	uint8_t frame[1000];
	uint64_t when;
	unsigned i;

	CHECK(t, c && rig_init(&r, 0) == 0);
	r.bcfg.clock_us = fake_us;
	r.bcfg.clock_arg = &fc;
	r.bcfg.deliver = capture_frame;
	r.bcfg.deliver_arg = c;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	memset(frame, 0x5a, sizeof(frame));
	/* unlimited, then limited to 5 frames a window */
	CHECK_EQ(t, rig_write_key(&r, r.be_path, "rate", "5000,1000"), NC_OK);
	rig_pump(&r, 2);
	for (i = 0; i < 50; i++)
		CHECK_EQ(t, nc_front_send(r.f, &(struct nc_iov){ frame, 1000 },
					  1, 0), NC_OK);
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 5);
	CHECK_EQ(t, nc_back_next_poll(r.b, &when), 1);
	/* lifted: the waiting frames go at once */
	CHECK_EQ(t, rig_write_key(&r, r.be_path, "rate", "0,0"), NC_OK);
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 50);
	CHECK_EQ(t, nc_back_next_poll(r.b, &when), 0);
	/* removed altogether: still unlimited */
	CHECK_EQ(t, rig_rm_key(&r, r.be_path, "rate"), NC_OK);
	for (i = 0; i < 50; i++)
		CHECK_EQ(t, nc_front_send(r.f, &(struct nc_iov){ frame, 1000 },
					  1, 0), NC_OK);
	rig_pump(&r, 3);
	CHECK_EQ(t, c->n, 100);
	rig_free(&r);
	free(c);
}

/* Absent, zero, garbage: unlimited (as Linux netback); a rate without a
 * clock is logged and not enforced. */
static void rate_unlimited_key(struct tap *t, const char *val, int clock,
			       unsigned want_logs)
{
	struct rig r;
	struct fake_clock fc = { 0 };
	struct capture *c = calloc(1, sizeof(*c));
	struct rig_logs l = { 0 };
	uint8_t frame[1000];
	uint64_t when;
	unsigned i;

	CHECK(t, c && rig_init(&r, 0) == 0);
	if (val)
		CHECK_EQ(t, rig_write_key(&r, r.be_path, "rate", val), NC_OK);
	if (clock) {
		r.bcfg.clock_us = fake_us;
		r.bcfg.clock_arg = &fc;
	}
	r.bcfg.deliver = capture_frame;
	r.bcfg.deliver_arg = c;
	r.bcfg.log = rig_count_log;
	r.bcfg.log_arg = &l;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	memset(frame, 0x5a, sizeof(frame));
	for (i = 0; i < 200; i++)
		CHECK_EQ(t, nc_front_send(r.f, &(struct nc_iov){ frame, 1000 },
					  1, 0), NC_OK);
	rig_pump(&r, 3);
	if (!CHECK(t, c->n == 200))
		tap_diag("rate \"%s\": %u delivered", val ? val : "(none)",
			 c->n);
	CHECK_EQ(t, nc_back_next_poll(r.b, &when), 0);
	CHECK_EQ(t, l.lines, want_logs);
	rig_free(&r);
	free(c);
}

static void test_rate_unlimited_keys(struct tap *t)
{
	rate_unlimited_key(t, NULL, 1, 0);
	rate_unlimited_key(t, "0,0", 1, 0);
	rate_unlimited_key(t, "0,50000", 1, 0);
	rate_unlimited_key(t, "50000,0", 1, 0);
	rate_unlimited_key(t, "lots,often", 1, 1);
	rate_unlimited_key(t, "1000,1000,1000", 1, 1);
	rate_unlimited_key(t, "99999999999999999999999,1", 1, 1);
	rate_unlimited_key(t, "1000,1000", 0, 1);       /* no clock */
}

/* A busy sender against a backend enforcing `rate` with the real clock,
 * driven as tools/cmd_back.c drives it: when neither end has work, sleep
 * on the fds until nc_back_next_poll's time.  The throughput measured
 * over 3 s (after 0.2 s) is within 5% of the rate, and the loop sleeps
 * rather than spins. */
struct meter {
	uint64_t bytes;
};

static void meter_frame(void *arg, const struct nc_frame *fr)
{
	((struct meter *)arg)->bytes += fr->len;
}

static size_t fill_ones(void *ctx, uint8_t *buf, size_t size)
{
	(void)ctx;
	memset(buf, 0x11, size);
	return size;
}

static void send_all(struct nc_front *f)
{
	while (nc_front_write(f, 1514, fill_ones, NULL, NC_FRAME_MORE) ==
	       NC_OK)
		;
}

static int wait_ms(struct rig *r, uint64_t now)
{
	uint64_t when;

	if (!nc_back_next_poll(r->b, &when))
		return 100;
	return when <= now ? 0 : (int)((when - now + 999) / 1000);
}

static void rate_throughput(struct tap *t, const char *rate, double bps)
{
	struct rig r;
	struct meter m = { 0 };
	uint64_t t0, ts = 0, te, now, b0 = 0, loops = 0;
	clock_t cpu0;
	double got, wall, cpu;

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_write_key(&r, r.be_path, "rate", rate), NC_OK);
	r.bcfg.clock_us = mono_us;
	r.bcfg.deliver = meter_frame;
	r.bcfg.deliver_arg = &m;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	t0 = now = mono_us(NULL);
	te = t0 + 3200000;
	cpu0 = clock();
	while (now < te) {
		struct pollfd p[4] = {
			{ .fd = r.fplat.events.ops->fd(r.fplat.events.ctx) },
			{ .fd = r.fplat.store.ops->fd(r.fplat.store.ctx) },
			{ .fd = r.bplat.events.ops->fd(r.bplat.events.ctx) },
			{ .fd = r.bplat.store.ops->fd(r.bplat.store.ctx) },
		};
		int more, i;

		for (i = 0; i < 4; i++)
			p[i].events = POLLIN;
		/* the sender writes whenever there is room: before and
		 * after reaping its completions */
		send_all(r.f);
		more = nc_front_poll(r.f);
		send_all(r.f);
		more |= nc_back_poll(r.b);
		now = mono_us(NULL);
		if (!ts && now >= t0 + 200000) {
			ts = now;
			b0 = m.bytes;
		}
		if (!more)
			poll(p, 4, wait_ms(&r, now));
		loops++;
	}
	wall = (double)(now - ts) / 1e6;
	cpu = (double)(clock() - cpu0) / CLOCKS_PER_SEC;
	got = (double)(m.bytes - b0) / wall;
	tap_diag("rate %s: %.0f B/s wanted, %.0f B/s achieved (%+.2f%%) over "
		 "%.2f s; %llu loop turns, CPU %.2f s of %.2f s", rate, bps,
		 got, (got / bps - 1) * 100, wall, (unsigned long long)loops,
		 cpu, (double)(now - t0) / 1e6);
	CHECK(t, got >= bps * 0.95 && got <= bps * 1.05);
	/* it slept: a few turns per window, not a spin */
	CHECK(t, loops < 20000);
	CHECK(t, cpu < 0.5 * (double)(now - t0) / 1e6);
	rig_free(&r);
}

static void test_rate_throughput_10mbs(struct tap *t)
{
	rate_throughput(t, "500000,50000", 10e6);   /* 10 MB/s */
}

static void test_rate_throughput_4mbs(struct tap *t)
{
	rate_throughput(t, "40000,10000", 4e6);     /* 4 MB/s, 10 ms */
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "split event channels: keys, two ports each end",
		test_split_handshake_keys);
	tap_run(&t, "frontend with the single key vs a backend offering split",
		test_single_key_frontend);
	tap_run(&t, "backend not offering split: the single key",
		test_backend_without_split);
	tap_run(&t, "split: traffic each way in event mode, each ring's "
		"events on its own port", test_split_event_traffic);
	tap_run(&t, "single channel: traffic each way in event mode",
		test_single_event_traffic);
	tap_run(&t, "malformed event-channel-tx/rx refused cleanly",
		test_split_malformed);
	tap_run(&t, "checksum offload keys written and read",
		test_csum_keys);
	tap_run(&t, "IPv6 partial checksums frontend -> backend",
		test_ipv6_csum_front_to_back);
	tap_run(&t, "IPv6 partial checksums backend -> frontend",
		test_ipv6_csum_back_to_front);
	tap_run(&t, "IPv6 partial checksum not offered: backend completes it",
		test_ipv6_csum_unoffered_completed_by_backend);
	tap_run(&t, "feature-no-csum-offload honoured both ways",
		test_no_csum_offload);
	tap_run(&t, "rate key parser", test_rate_parse);
	tap_run(&t, "rate credit logic (fake clock): replenish, big frames, "
		"cap, wrap", test_rate_credit_logic);
	tap_run(&t, "rate 0/huge/out of range: unlimited", test_rate_unlimited);
	tap_run(&t, "rate long run exact (fake clock)",
		test_rate_longrun_exact);
	tap_run(&t, "rate on the backend (fake clock): frames wait on the ring",
		test_rate_backend_fake_clock);
	tap_run(&t, "rate key changed while connected: applied at once",
		test_rate_key_changes);
	tap_run(&t, "rate absent/zero/garbage/no clock: unlimited",
		test_rate_unlimited_keys);
	tap_run(&t, "rate 10 MB/s, real clock: within 5%",
		test_rate_throughput_10mbs);
	tap_run(&t, "rate 4 MB/s, real clock: within 5%",
		test_rate_throughput_4mbs);
	return tap_done(&t);
}

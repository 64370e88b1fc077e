/*
 * test_mq.c - multi-queue (multi-queue-max-queues, multi-queue-num-queues,
 * queue-N/ keys) between our netfront and netback on the in-process
 * platform:
 *   - the handshake: keys both ends write, the queue count negotiated
 *     down to what both allow, the flat layout with one queue;
 *   - hostile multi-queue keys refused cleanly (no crash, nothing leaked);
 *   - traffic both ways: every flow on one queue, the one nc_flow_queue
 *     names, frames intact and in order; nc_front_write_queue and
 *     nc_back_queue_on put a frame on the queue given;
 *   - Toeplitz steering over the control ring, mapping entries checked
 *     against the queues in use (XSA-270);
 *   - reconnections changing the number of queues, stale keys removed;
 *   - per-queue polling, single-threaded and with a thread per queue
 *     (the benchmark's mode).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "harness.h"
#include "netchannel/toeplitz.h"
#include "rig.h"

/* ------------------------------------------------------------ xenstore */

static int has_key(struct rig *r, const char *dir, const char *key)
{
	char v[64];

	return rig_read_key(r, dir, key, v, sizeof(v))[0] != '\0';
}

static int key_is(struct rig *r, const char *dir, const char *key,
		  const char *want)
{
	char v[64];

	return strcmp(rig_read_key(r, dir, key, v, sizeof(v)), want) == 0;
}

/* queue-<i>/<key> under the frontend's directory. */
static int has_qkey(struct rig *r, unsigned i, const char *key)
{
	char sub[64];

	snprintf(sub, sizeof(sub), "queue-%u/%s", i, key);
	return has_key(r, r->fe_path, sub);
}

/* ------------------------------------------------------------- frames */

#define NFLOWS 64u
#define FRAME_MAX 1100u
#define PAYLOAD 54u       /* Ethernet + IPv4 + 20 bytes of L4 header */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Sizes 60..1099 bytes, varying by flow and frame. */
static size_t frame_len(unsigned flow, uint32_t seq)
{
	return 60 + (flow * 37u + seq * 101u) % (FRAME_MAX - 60);
}

/* Ethernet + IPv4 + UDP/TCP for flow `flow`, then the flow (2 bytes),
 * the sequence number (4) and a pattern of both: a frame that can be
 * recognised and checked byte for byte by its receiver.  Flows 0..31
 * are UDP, each from its own address (the flow hash takes no UDP
 * ports); flows 32..63 TCP from the same 32 addresses, told apart by
 * their source ports. */
static size_t flow_frame(uint8_t *f, unsigned flow, uint32_t seq)
{
	size_t len = frame_len(flow, seq), i;
	uint8_t *ip = f + 14;

	memset(f, 0, PAYLOAD);
	memcpy(f, "\x00\x16\x3e\x12\x34\x56\x00\x16\x3e\x00\x00\x02", 12);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(len - 14));
	ip[8] = 64;
	ip[9] = flow < 32 ? 17 : 6;
	memcpy(ip + 12, "\x0a\x01\x00", 3);         /* 10.1.0.(1 + flow % 32) */
	ip[15] = (uint8_t)(1 + flow % 32);
	memcpy(ip + 16, "\x0a\x02\x00\x01", 4);     /* 10.2.0.1 */
	put16(ip + 20, 1000 + flow);
	put16(ip + 22, 80);
	put16(f + PAYLOAD, flow);
	memcpy(f + PAYLOAD + 2, &seq, 4);
	for (i = PAYLOAD + 6; i < len; i++)
		f[i] = (uint8_t)(i * 7 + flow * 13 + seq);
	return len;
}

/* The queue a flow's frames go on when nothing else is set. */
static unsigned flow_q(unsigned flow, unsigned nqueues)
{
	uint8_t f[FRAME_MAX];
	size_t len = flow_frame(f, flow, 0);

	return nc_flow_queue(f, len, nqueues);
}

/* A receiver of flow frames: per flow, frames counted, in order and
 * intact. */
struct flows {
	unsigned count[NFLOWS];
	uint32_t next[NFLOWS];
	unsigned total, bad;
	uint8_t want[FRAME_MAX];
};

static void flows_rx(void *arg, const struct nc_frame *fr)
{
	struct flows *s = arg;
	unsigned flow;
	uint32_t seq;

	if (fr->len < PAYLOAD + 6 || fr->len > FRAME_MAX) {
		s->bad++;
		return;
	}
	flow = get16(fr->data + PAYLOAD);
	memcpy(&seq, fr->data + PAYLOAD + 2, 4);
	if (flow >= NFLOWS || seq != s->next[flow] ||
	    flow_frame(s->want, flow, seq) != fr->len ||
	    memcmp(s->want, fr->data, fr->len) != 0) {
		s->bad++;
		return;
	}
	s->next[flow]++;
	s->count[flow]++;
	s->total++;
}

/* Per-queue counters of both ends, to compare before and after. */
struct qsnap {
	uint64_t f_tx[NC_MAX_QUEUES], f_rx[NC_MAX_QUEUES];
	uint64_t b_tx[NC_MAX_QUEUES], b_rx[NC_MAX_QUEUES];
};

static void snap(struct rig *r, struct qsnap *s)
{
	unsigned i;

	for (i = 0; i < NC_MAX_QUEUES; i++) {
		s->f_tx[i] = nc_front_queue_stats(r->f, i)->tx.packets;
		s->f_rx[i] = nc_front_queue_stats(r->f, i)->rx.packets;
		s->b_tx[i] = nc_back_queue_stats(r->b, i)->tx.packets;
		s->b_rx[i] = nc_back_queue_stats(r->b, i)->rx.packets;
	}
}

/* A rig with `fq` queues asked for and `bmax` offered, both ends'
 * receivers `fr` (frontend) and `br` (backend); connected or -1. */
static int mq_rig(struct rig *r, unsigned fq, unsigned bmax,
		  struct flows *fr, struct flows *br)
{
	if (rig_init(r, 0))
		return -1;
	r->fcfg.queues = fq;
	r->bcfg.max_queues = bmax;
	r->fcfg.rx = fr ? flows_rx : NULL;
	r->fcfg.rx_arg = fr;
	r->bcfg.deliver = br ? flows_rx : NULL;
	r->bcfg.deliver_arg = br;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

/* ---------------------------------------------------------- handshake */

/* The frontend directory holds n queues' keys, each queue's event
 * channels split or not, and nothing of the one-queue layout.  `fresh`:
 * no earlier connection wrote keys, so no queue-n either. */
static void check_queue_keys(struct tap *t, struct rig *r, unsigned n,
			     int split, int fresh)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		CHECK(t, has_qkey(r, i, "tx-ring-ref"));
		CHECK(t, has_qkey(r, i, "rx-ring-ref"));
		CHECK_EQ(t, has_qkey(r, i, "event-channel-tx"), split);
		CHECK_EQ(t, has_qkey(r, i, "event-channel-rx"), split);
		CHECK_EQ(t, has_qkey(r, i, "event-channel"), !split);
	}
	/* fresh or not: an earlier connection's queue-N beyond ours is
	 * removed with the keys (front_xs.c rm_stale_layout) */
	(void)fresh;
	CHECK(t, !has_qkey(r, n, "tx-ring-ref"));
	/* nothing of the one-queue layout in the device directory */
	CHECK(t, !has_key(r, r->fe_path, "tx-ring-ref"));
	CHECK(t, !has_key(r, r->fe_path, "rx-ring-ref"));
	CHECK(t, !has_key(r, r->fe_path, "event-channel"));
	CHECK(t, !has_key(r, r->fe_path, "event-channel-tx"));
	CHECK(t, !has_key(r, r->fe_path, "event-channel-rx"));
}

static void handshake(struct tap *t, unsigned n, int split)
{
	struct rig r;
	struct nc_inproc_counts c;
	char want[8];

	snprintf(want, sizeof(want), "%u", n);
	CHECK(t, rig_init(&r, 0) == 0);
	r.fcfg.queues = n;
	r.fcfg.no_split_events = !split;
	r.bcfg.max_queues = n;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK_EQ(t, nc_front_num_queues(r.f), n);
	CHECK_EQ(t, nc_back_num_queues(r.b), n);
	CHECK_EQ(t, r.f->feat.max_queues, n);
	CHECK(t, key_is(&r, r.be_path, "multi-queue-max-queues", want));
	CHECK(t, key_is(&r, r.fe_path, "multi-queue-num-queues", want));
	check_queue_keys(t, &r, n, split, 1);
	/* each queue: two ring pages mapped, one or two ports bound */
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.mappings, 2 * n);
	CHECK_EQ(t, c.ports, (split ? 2 : 1) * n);
	nc_inproc_counts(r.w, RIG_FE, &c);
	CHECK_EQ(t, c.ports, (split ? 2 : 1) * n);
	rig_free(&r);
}

static void test_handshake(struct tap *t)
{
	handshake(t, 2, 1);
	handshake(t, 4, 1);
	handshake(t, 2, 0);
	handshake(t, 4, 0);
}

/* fq asked, bmax offered: the backend offers `offer`, both use `n`. */
static void negotiate(struct tap *t, unsigned fq, unsigned bmax,
		      const char *offer, unsigned n)
{
	struct rig r;
	char want[8];

	snprintf(want, sizeof(want), "%u", n);
	CHECK(t, mq_rig(&r, fq, bmax, NULL, NULL) == 0);
	if (!CHECK(t, key_is(&r, r.be_path, "multi-queue-max-queues", offer)))
		tap_diag("asked %u, offered %u", fq, bmax);
	CHECK_EQ(t, nc_front_num_queues(r.f), n);
	CHECK_EQ(t, nc_back_num_queues(r.b), n);
	if (n > 1) {
		CHECK(t, key_is(&r, r.fe_path, "multi-queue-num-queues", want));
		check_queue_keys(t, &r, n, 1, 1);
	} else {
		/* one queue: the flat layout every backend reads */
		CHECK(t, !has_key(&r, r.fe_path, "multi-queue-num-queues"));
		CHECK(t, has_key(&r, r.fe_path, "tx-ring-ref"));
		CHECK(t, has_key(&r, r.fe_path, "rx-ring-ref"));
		CHECK(t, has_key(&r, r.fe_path, "event-channel-tx"));
		CHECK(t, !has_qkey(&r, 0, "tx-ring-ref"));
	}
	rig_free(&r);
}

static void test_negotiation(struct tap *t)
{
	negotiate(t, 4, 2, "2", 2);     /* more than offered: the offer */
	negotiate(t, 1, 4, "4", 1);
	negotiate(t, 0, 4, "4", 1);
	negotiate(t, 2, 0, "1", 1);     /* default backend offers one */
	negotiate(t, 2, 1, "1", 1);
	negotiate(t, 3, 4, "4", 3);     /* not a power of two */
	negotiate(t, 9, 4, "4", 4);     /* above NC_MAX_QUEUES */
	negotiate(t, 4, 9, "4", 4);     /* offer clamped to NC_MAX_QUEUES */
}

/* -------------------------------------------------- hostile frontends */

/* How a case goes wrong: `pre` runs before our frontend (asking 4)
 * starts, `tamper` once it wrote its keys and Connected, before the
 * backend (offering 2) reads them; either may be NULL.  The backend
 * must refuse with one log line, containing `why` (disabled, Closing),
 * and once the frontend let go nothing stays mapped or bound. */
struct hostile {
	const char *what;
	void (*pre)(struct rig *);
	void (*tamper)(struct rig *);
	const char *why;
};

static void refuse(struct tap *t, const struct hostile *h)
{
	struct rig r;
	struct rig_logs l = { 0 };
	struct nc_inproc_counts c;
	unsigned i;

	CHECK(t, rig_init(&r, 0) == 0);
	r.fcfg.queues = 4;
	r.bcfg.max_queues = 2;
	r.bcfg.log = rig_count_log;
	r.bcfg.log_arg = &l;
	CHECK_EQ(t, rig_start_back(&r), NC_OK);
	if (h->pre)
		h->pre(&r);
	CHECK_EQ(t, nc_front_init(r.f, &r.fplat, &r.fcfg), NC_OK);
	for (i = 0; i < 10 && nc_front_state(r.f) != NC_FRONT_CONNECTING;
	     i++)
		nc_front_poll(r.f);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTING);
	CHECK_EQ(t, nc_front_num_queues(r.f), h->pre ? 4 : 2);
	if (h->tamper)
		h->tamper(&r);
	for (i = 0; i < 5; i++)
		nc_back_poll(r.b);
	if (!CHECK(t, nc_back_state(r.b) == NC_BACK_DISABLED))
		tap_diag("%s: backend state %d", h->what, nc_back_state(r.b));
	CHECK_EQ(t, l.lines, 1);
	if (!CHECK(t, strstr(l.last, h->why) != NULL))
		tap_diag("%s: \"%s\"", h->what, l.last);
	CHECK(t, key_is(&r, r.be_path, "state", "5"));
	/* the frontend lets go when it sees Closing, the backend then */
	rig_pump(&r, 10);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CLOSED);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CLOSED);
	/* the backend let go before it wrote Closing (ncb_fail while
	 * connecting): nothing was still mapped when the frontend revoked */
	if (!CHECK(t, r.f->quarantined_pages == 0))
		tap_diag("%s: the frontend quarantined %u pages", h->what,
			 r.f->quarantined_pages);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, c.mappings, 0);
	nc_back_close(r.b);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, c.mappings, 0);
	rig_free(&r);
}

/* Someone rewrites the backend's offer before our frontend reads it:
 * the frontend sets up 4 queues, every key valid, 2 more than the
 * backend offered. */
static void offer_four(struct rig *r)
{
	rig_write_key(r, r->be_path, "multi-queue-max-queues", "4");
}

static void nq_zero(struct rig *r)
{
	rig_write_key(r, r->fe_path, "multi-queue-num-queues", "0");
}

static void nq_three(struct rig *r)
{
	rig_write_key(r, r->fe_path, "multi-queue-num-queues", "3");
}

static void nq_garbage(struct rig *r)
{
	rig_write_key(r, r->fe_path, "multi-queue-num-queues", "garbage");
}

static void nq_empty(struct rig *r)
{
	rig_write_key(r, r->fe_path, "multi-queue-num-queues", "");
}

static void nq_wraps(struct rig *r)
{
	/* 2^32 + 2: 2 if truncated to 32 bits */
	rig_write_key(r, r->fe_path, "multi-queue-num-queues", "4294967298");
}

static void nq_negative(struct rig *r)
{
	rig_write_key(r, r->fe_path, "multi-queue-num-queues", "-2");
}

static void q1_missing(struct rig *r)
{
	rig_rm_key(r, r->fe_path, "queue-1");
}

static void q1_rx_port_missing(struct rig *r)
{
	rig_rm_key(r, r->fe_path, "queue-1/event-channel-rx");
}

static void q1_ring_garbage(struct rig *r)
{
	/* a grant the frontend never made: queue 0 is mapped by then */
	rig_write_key(r, r->fe_path, "queue-1/rx-ring-ref", "99999");
}

static void q1_port_of_q0(struct rig *r)
{
	char v[16];

	/* queue 1 names queue 0's port: bound already, the bind fails */
	rig_write_key(r, r->fe_path, "queue-1/event-channel-tx",
		   rig_read_key(r, r->fe_path, "queue-0/event-channel-tx", v,
			     sizeof(v)));
}

static void nq_removed(struct rig *r)
{
	/* one queue then: the flat keys, which are not there */
	rig_rm_key(r, r->fe_path, "multi-queue-num-queues");
}

static void test_hostile_keys(struct tap *t)
{
	static const struct hostile cases[] = {
		{ "4 queues, all keys valid, 2 offered", offer_four, NULL,
		  "more queues than offered" },
		{ "num-queues 0", NULL, nq_zero, "more queues than offered" },
		{ "num-queues 3 > 2 offered", NULL, nq_three,
		  "more queues than offered" },
		{ "num-queues garbage", NULL, nq_garbage,
		  "more queues than offered" },
		{ "num-queues empty", NULL, nq_empty,
		  "more queues than offered" },
		{ "num-queues 2^32+2", NULL, nq_wraps,
		  "more queues than offered" },
		{ "num-queues -2", NULL, nq_negative,
		  "more queues than offered" },
		{ "queue-1/ missing", NULL, q1_missing, "tx-ring-ref" },
		{ "queue-1/event-channel-rx missing", NULL,
		  q1_rx_port_missing, "one of event-channel-tx/rx" },
		{ "queue-1/rx-ring-ref no such grant", NULL, q1_ring_garbage,
		  "cannot map the frontend's rx ring" },
		{ "queue-1/event-channel-tx = queue 0's", NULL,
		  q1_port_of_q0, "cannot bind" },
		{ "num-queues removed, only queue-N/ keys", NULL, nq_removed,
		  "tx-ring-ref missing" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		refuse(t, &cases[i]);
}

/* ------------------------------------------------------------ traffic */

/* Queues of the 64 flows over n queues: each queue gets some. */
static void flows_spread(struct tap *t, unsigned nq, unsigned per_q[])
{
	unsigned k;

	memset(per_q, 0, nq * sizeof(per_q[0]));
	for (k = 0; k < NFLOWS; k++)
		per_q[flow_q(k, nq)]++;
	for (k = 0; k < nq; k++)
		CHECK(t, per_q[k] > 0);
}

/* One flow's frames seq0.. seq0+n-1 with nc_front_send. */
static void send_flow(struct tap *t, struct rig *r, unsigned flow,
		      uint32_t seq0, unsigned n)
{
	uint8_t f[FRAME_MAX];
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t len = flow_frame(f, flow, seq0 + i);
		struct nc_iov iov = { f, len };

		CHECK_EQ(t, nc_front_pick_queue(r->f, f, len),
			 nc_flow_queue(f, len, nc_front_num_queues(r->f)));
		CHECK_EQ(t, nc_front_send(r->f, &iov, 1, 0), NC_OK);
	}
}

/* Flow by flow: its frames show on its queue only, both ends. */
static void flows_one_by_one(struct tap *t, struct rig *r,
			     struct flows *br, unsigned nq)
{
	unsigned k, i;

	for (k = 0; k < NFLOWS; k++) {
		struct qsnap a, b;
		unsigned q = flow_q(k, nq);

		snap(r, &a);
		send_flow(t, r, k, br->next[k], 5);
		rig_pump(r, 4);
		snap(r, &b);
		for (i = 0; i < nq; i++) {
			CHECK_EQ(t, b.f_tx[i] - a.f_tx[i], i == q ? 5 : 0);
			CHECK_EQ(t, b.b_rx[i] - a.b_rx[i], i == q ? 5 : 0);
		}
		CHECK_EQ(t, br->count[k], 5);
	}
}

/* All flows interleaved, 20 rounds: per-queue sums exact. */
static void flows_interleaved(struct tap *t, struct rig *r,
			      struct flows *br, unsigned nq,
			      const unsigned per_q[])
{
	struct qsnap a, b;
	unsigned k, round;

	snap(r, &a);
	for (round = 0; round < 20; round++) {
		for (k = 0; k < NFLOWS; k++)
			send_flow(t, r, k, 5 + round, 1);
		rig_pump(r, 4);
	}
	snap(r, &b);
	for (k = 0; k < nq; k++) {
		CHECK_EQ(t, b.f_tx[k] - a.f_tx[k], 20 * per_q[k]);
		CHECK_EQ(t, b.b_rx[k] - a.b_rx[k], 20 * per_q[k]);
	}
	for (k = 0; k < NFLOWS; k++)
		CHECK_EQ(t, br->count[k], 25);
}

static void front_to_back(struct tap *t, unsigned nq)
{
	struct rig r;
	struct flows *br = calloc(1, sizeof(*br));
	unsigned per_q[NC_MAX_QUEUES], k;

	CHECK(t, br && mq_rig(&r, nq, nq, NULL, br) == 0);
	flows_spread(t, nq, per_q);
	flows_one_by_one(t, &r, br, nq);
	flows_interleaved(t, &r, br, nq, per_q);
	CHECK_EQ(t, br->total, 25 * NFLOWS);
	CHECK_EQ(t, br->bad, 0);
	for (k = 0; k < nq; k++) {
		CHECK_EQ(t, nc_front_queue_stats(r.f, k)->tx.packets,
			 25 * per_q[k]);
		CHECK_EQ(t, nc_back_queue_stats(r.b, k)->rx.packets,
			 25 * per_q[k]);
	}
	tap_diag("%u queues: flows per queue %u %u %u %u", nq, per_q[0],
		 per_q[1], nq > 2 ? per_q[2] : 0, nq > 3 ? per_q[3] : 0);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	rig_free(&r);
	free(br);
}

static void test_front_to_back_flows(struct tap *t)
{
	front_to_back(t, 2);
	front_to_back(t, 3);
	front_to_back(t, 4);
}

struct fill_ctx {
	unsigned flow;
	uint32_t seq;
};

static size_t fill_flow(void *ctx, uint8_t *buf, size_t size)
{
	const struct fill_ctx *c = ctx;
	uint8_t f[FRAME_MAX];
	size_t len = flow_frame(f, c->flow, c->seq);

	if (len != size)
		return 0;
	memcpy(buf, f, len);
	return len;
}

/* The first flow hashing to queue `q` of n. */
static unsigned flow_on(unsigned q, unsigned n)
{
	unsigned k;

	for (k = 0; k < NFLOWS; k++)
		if (flow_q(k, n) == q)
			return k;
	return 0;
}

/* nc_front_write_queue: the queue named, whatever the flow's hash;
 * nc_front_write: queue 0; a queue not in use: NC_EINVAL. */
static void test_write_queue(struct tap *t)
{
	struct rig r;
	struct flows *br = calloc(1, sizeof(*br));
	struct qsnap a, b;
	struct fill_ctx c;

	CHECK(t, br && mq_rig(&r, 2, 2, NULL, br) == 0);
	c.flow = flow_on(0, 2);
	c.seq = 0;
	snap(&r, &a);
	CHECK_EQ(t, nc_front_write_queue(r.f, 1, frame_len(c.flow, 0),
					 fill_flow, &c, 0), NC_OK);
	rig_pump(&r, 4);
	snap(&r, &b);
	CHECK_EQ(t, b.f_tx[1] - a.f_tx[1], 1);
	CHECK_EQ(t, b.b_rx[1] - a.b_rx[1], 1);
	CHECK_EQ(t, b.f_tx[0] - a.f_tx[0], 0);
	CHECK_EQ(t, b.b_rx[0] - a.b_rx[0], 0);
	/* a queue-1 flow written without a queue goes on queue 0 */
	c.flow = flow_on(1, 2);
	CHECK_EQ(t, nc_front_write(r.f, frame_len(c.flow, 0), fill_flow, &c,
				   0), NC_OK);
	rig_pump(&r, 4);
	snap(&r, &a);
	CHECK_EQ(t, a.f_tx[0] - b.f_tx[0], 1);
	CHECK_EQ(t, a.b_rx[0] - b.b_rx[0], 1);
	CHECK_EQ(t, a.b_rx[1] - b.b_rx[1], 0);
	CHECK_EQ(t, br->total, 2);
	CHECK_EQ(t, br->bad, 0);
	CHECK_EQ(t, nc_front_write_queue(r.f, 2, 60, fill_flow, &c, 0),
		 NC_EINVAL);
	CHECK_EQ(t, nc_front_write_queue(r.f, NC_MAX_QUEUES, 60, fill_flow,
					 &c, 0), NC_EINVAL);
	CHECK_EQ(t, nc_front_write_queue(r.f, ~0u, 60, fill_flow, &c, 0),
		 NC_EINVAL);
	rig_pump(&r, 4);
	CHECK_EQ(t, br->total, 2);
	CHECK(t, nc_front_queue_stats(r.f, NC_MAX_QUEUES) == NULL);
	CHECK(t, nc_back_queue_stats(r.b, NC_MAX_QUEUES) == NULL);
	rig_free(&r);
	free(br);
}

/* One flow's frames seq0.. toward the frontend with nc_back_queue. */
static void queue_flow(struct tap *t, struct rig *r, unsigned flow,
		       uint32_t seq0, unsigned n)
{
	uint8_t f[FRAME_MAX];
	unsigned i;

	for (i = 0; i < n; i++) {
		struct nc_frame fr = { .data = f };

		fr.len = (uint32_t)flow_frame(f, flow, seq0 + i);
		CHECK_EQ(t, nc_back_pick_queue(r->b, f, fr.len),
			 nc_flow_queue(f, fr.len, nc_back_num_queues(r->b)));
		CHECK_EQ(t, nc_back_queue(r->b, &fr), NC_OK);
	}
}

static void back_to_front(struct tap *t, unsigned nq)
{
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	unsigned per_q[NC_MAX_QUEUES], k, i, round;
	struct qsnap a, b;

	CHECK(t, fr && mq_rig(&r, nq, nq, fr, NULL) == 0);
	flows_spread(t, nq, per_q);
	for (k = 0; k < NFLOWS; k++) {          /* flow by flow */
		snap(&r, &a);
		queue_flow(t, &r, k, 0, 5);
		rig_pump(&r, 4);
		snap(&r, &b);
		for (i = 0; i < nq; i++) {
			unsigned want = i == flow_q(k, nq) ? 5 : 0;

			CHECK_EQ(t, b.b_tx[i] - a.b_tx[i], want);
			CHECK_EQ(t, b.f_rx[i] - a.f_rx[i], want);
		}
	}
	for (round = 0; round < 20; round++) {  /* interleaved */
		for (k = 0; k < NFLOWS; k++)
			queue_flow(t, &r, k, 5 + round, 1);
		rig_pump(&r, 4);
	}
	for (k = 0; k < nq; k++) {
		CHECK_EQ(t, nc_back_queue_stats(r.b, k)->tx.packets,
			 25 * per_q[k]);
		CHECK_EQ(t, nc_front_queue_stats(r.f, k)->rx.packets,
			 25 * per_q[k]);
	}
	for (k = 0; k < NFLOWS; k++)
		CHECK_EQ(t, fr->count[k], 25);
	CHECK_EQ(t, fr->total, 25 * NFLOWS);
	CHECK_EQ(t, fr->bad, 0);
	rig_free(&r);
	free(fr);
}

static void test_back_to_front_flows(struct tap *t)
{
	back_to_front(t, 2);
	back_to_front(t, 3);
	back_to_front(t, 4);
}

/* nc_back_queue_on: the queue named; one not in use: NC_EINVAL. */
static void test_back_queue_on(struct tap *t)
{
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	uint8_t f[FRAME_MAX];
	struct nc_frame frame = { .data = f };
	struct qsnap a, b;
	unsigned flow;

	CHECK(t, fr && mq_rig(&r, 2, 2, fr, NULL) == 0);
	flow = flow_on(0, 2);
	frame.len = (uint32_t)flow_frame(f, flow, 0);
	snap(&r, &a);
	CHECK_EQ(t, nc_back_queue_on(r.b, 1, &frame), NC_OK);
	rig_pump(&r, 4);
	snap(&r, &b);
	CHECK_EQ(t, b.f_rx[1] - a.f_rx[1], 1);
	CHECK_EQ(t, b.b_tx[1] - a.b_tx[1], 1);
	CHECK_EQ(t, b.f_rx[0] - a.f_rx[0], 0);
	CHECK_EQ(t, fr->count[flow], 1);
	frame.len = (uint32_t)flow_frame(f, flow, 1);
	CHECK_EQ(t, nc_back_queue_on(r.b, 2, &frame), NC_EINVAL);
	CHECK_EQ(t, nc_back_queue_on(r.b, NC_MAX_QUEUES, &frame), NC_EINVAL);
	CHECK_EQ(t, nc_back_queue_on(r.b, ~0u, &frame), NC_EINVAL);
	CHECK_EQ(t, nc_back_queue_on(r.b, 0, &frame), NC_OK);
	rig_pump(&r, 4);
	snap(&r, &a);
	CHECK_EQ(t, a.f_rx[0] - b.f_rx[0], 1);
	CHECK_EQ(t, fr->total, 2);
	CHECK_EQ(t, fr->bad, 0);
	rig_free(&r);
	free(fr);
}

/* ------------------------------------------------- Toeplitz steering */

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

#define OK XEN_NETIF_CTRL_STATUS_SUCCESS
#define INVAL XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER
#define V4_FLAGS (XEN_NETIF_CTRL_HASH_TYPE_IPV4 | \
		  XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP)

/* Submit rc, then the answer's status (or a negative error). */
static long ctrl_do(struct rig *r, int submit_rc)
{
	uint32_t st = 0, d = 0;
	unsigned i;

	if (submit_rc != NC_OK)
		return submit_rc;
	for (i = 0; i < 50; i++) {
		int rc;

		rig_pump(r, 1);
		rc = nc_front_ctrl_result(r->f, &st, &d);
		if (rc == 1)
			return (long)st;
		if (rc < 0)
			return rc;
	}
	return -1000;
}

static int ctrl_rig(struct rig *r, unsigned nq, struct flows *fr,
		    struct flows *br)
{
	if (rig_init(r, 0))
		return -1;
	r->fcfg.queues = nq;
	r->fcfg.ctrl_ring = 1;
	r->fcfg.rx = flows_rx;
	r->fcfg.rx_arg = fr;
	r->bcfg.max_queues = nq;
	r->bcfg.deliver = br ? flows_rx : NULL;
	r->bcfg.deliver_arg = br;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

/* Toeplitz over IPv4 (+TCP), the suite's key, a mapping of 8. */
static void hash_setup(struct tap *t, struct rig *r, const uint32_t *map)
{
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_algorithm(r->f,
			XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ)), OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_flags(r->f, V4_FLAGS)), OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_key(r->f, ms_key, 40)), OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_mapping_size(r->f, 8)), OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_mapping(r->f, map, 8, 0)),
		 OK);
}

/* A mapping naming a queue not in use: INVALID_PARAMETER, no change. */
static void bad_mapping(struct tap *t, struct rig *r, const uint32_t *map,
			uint32_t n, uint32_t off)
{
	struct nc_back_hash before = *nc_back_hash_state(r->b);

	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_mapping(r->f, map, n, off)),
		 INVAL);
	CHECK(t, memcmp(&before, nc_back_hash_state(r->b),
			sizeof(before)) == 0);
	CHECK_EQ(t, nc_back_state(r->b), NC_BACK_CONNECTED);
}

/* Every flow's frames through nc_back_queue; each lands on the queue
 * the mapping names for its hash, computed here independently. */
static void steer_check(struct tap *t, struct rig *r, const uint32_t *map,
			unsigned nq)
{
	const struct flows *fr = r->fcfg.rx_arg;
	uint64_t want[NC_MAX_QUEUES] = { 0 };
	struct qsnap a, b;
	uint8_t f[FRAME_MAX];
	unsigned k;

	snap(r, &a);
	for (k = 0; k < NFLOWS; k++) {
		size_t len = flow_frame(f, k, 0);
		uint32_t h = 0, h2 = 0, ty = 0, ty2 = 0;

		CHECK(t, nc_toeplitz_frame(ms_key, 40, V4_FLAGS, f, len, &h,
					   &ty));
		CHECK(t, nc_back_hash_frame(r->b, f, len, &h2, &ty2));
		CHECK_EQ(t, h2, h);
		CHECK_EQ(t, ty2, ty);
		CHECK_EQ(t, nc_back_pick_queue(r->b, f, len), map[h % 8]);
		want[map[h % 8]] += 3;
	}
	for (k = 0; k < NFLOWS; k++) {
		uint8_t g[FRAME_MAX];
		unsigned i;

		for (i = 0; i < 3; i++) {
			struct nc_frame fm = { .data = g };

			fm.len = (uint32_t)flow_frame(g, k, fr->next[k] + i);
			CHECK_EQ(t, nc_back_queue(r->b, &fm), NC_OK);
		}
		rig_pump(r, 2);
	}
	rig_pump(r, 4);
	snap(r, &b);
	for (k = 0; k < nq; k++) {
		CHECK_EQ(t, b.f_rx[k] - a.f_rx[k], want[k]);
		CHECK_EQ(t, b.b_tx[k] - a.b_tx[k], want[k]);
	}
}

/* Flows the mapping sends elsewhere than the fallback flow hash would:
 * proof that steer_check sees the mapping, not nc_flow_queue. */
static unsigned off_flow_hash(const uint32_t *map)
{
	uint8_t f[FRAME_MAX];
	unsigned k, n = 0;

	for (k = 0; k < NFLOWS; k++) {
		size_t len = flow_frame(f, k, 0);
		uint32_t h = 0, ty = 0;

		nc_toeplitz_frame(ms_key, 40, V4_FLAGS, f, len, &h, &ty);
		n += map[h % 8] != nc_flow_queue(f, len, 2);
	}
	return n;
}

/* An IPv6 frame is not flagged: nc_flow_queue's choice. */
static void ipv6_fallback(struct tap *t, struct rig *r, unsigned nq)
{
	uint8_t f[80];
	uint32_t h, ty;
	unsigned i;

	for (i = 0; i < 16; i++) {
		memset(f, 0, sizeof(f));
		put16(f + 12, 0x86DD);
		f[14] = 0x60;
		f[20] = 17;
		f[21] = 64;
		f[22] = 0xfe;                   /* fe80::i -> fe80::1 */
		f[23] = 0x80;
		f[37] = (uint8_t)i;
		f[38] = 0xfe;
		f[39] = 0x80;
		f[53] = 1;
		CHECK(t, !nc_back_hash_frame(r->b, f, 70, &h, &ty));
		CHECK_EQ(t, nc_back_pick_queue(r->b, f, 70),
			 nc_flow_queue(f, 70, nq));
	}
}

static void test_toeplitz_steering(struct tap *t)
{
	static const uint32_t ones[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint32_t alt[8] = { 0, 1, 0, 1, 0, 1, 0, 1 };
	static const uint32_t mixed[8] = { 1, 0, 0, 1, 0, 1, 1, 0 };
	static const uint32_t two[8] = { 0, 1, 0, 1, 0, 1, 0, 2 };
	static const uint32_t big[2] = { 1, 0xFFFFFFFFu };
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));

	CHECK(t, fr && ctrl_rig(&r, 2, fr, NULL) == 0);
	CHECK(t, r.f->feat.ctrl_ring);
	hash_setup(t, &r, ones);
	steer_check(t, &r, ones, 2);      /* everything on queue 1 */
	CHECK_EQ(t, nc_front_queue_stats(r.f, 0)->rx.packets, 0);
	CHECK_EQ(t, nc_front_queue_stats(r.f, 1)->rx.packets, 3 * NFLOWS);
	bad_mapping(t, &r, two, 8, 0);    /* XSA-270 */
	bad_mapping(t, &r, two + 7, 1, 3);
	bad_mapping(t, &r, big, 2, 6);
	steer_check(t, &r, ones, 2);      /* unchanged: still queue 1 */
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_mapping(r.f, alt, 8, 0)),
		 OK);
	steer_check(t, &r, alt, 2);
	/* the suite's key is nc_flow_queue's too, so alternating 0,1 is
	 * the fallback's choice: a mapping that is not */
	CHECK(t, off_flow_hash(mixed) > 0);
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_mapping(r.f, mixed, 8, 0)),
		 OK);
	steer_check(t, &r, mixed, 2);
	ipv6_fallback(t, &r, 2);
	CHECK_EQ(t, fr->total, 12 * NFLOWS);
	CHECK_EQ(t, fr->bad, 0);
	rig_free(&r);
	free(fr);
}

/* With 4 queues, entry 3 is accepted and 4 is not. */
static void test_toeplitz_four(struct tap *t)
{
	static const uint32_t spread[8] = { 3, 2, 1, 0, 3, 2, 1, 0 };
	static const uint32_t four[8] = { 3, 2, 1, 0, 3, 2, 1, 4 };
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));

	CHECK(t, fr && ctrl_rig(&r, 4, fr, NULL) == 0);
	CHECK_EQ(t, nc_back_num_queues(r.b), 4);
	hash_setup(t, &r, spread);
	bad_mapping(t, &r, four, 8, 0);
	steer_check(t, &r, spread, 4);
	CHECK_EQ(t, fr->total, 3 * NFLOWS);
	CHECK_EQ(t, fr->bad, 0);
	rig_free(&r);
	free(fr);
}

/* ------------------------------------------------------ reconnection */

/* Both ends go (frontend first, as a guest shutting its vif down); a
 * fresh backend offering `bmax` and a frontend asking `fq` on the same
 * vif. */
static int reconnect_fresh(struct rig *r, unsigned fq, unsigned bmax)
{
	unsigned i;

	nc_front_close(r->f);
	for (i = 0; i < 20 && nc_front_state(r->f) != NC_FRONT_STOPPED; i++)
		rig_pump(r, 1);
	if (nc_front_state(r->f) != NC_FRONT_STOPPED)
		return -1;
	nc_front_destroy(r->f);
	nc_back_close(r->b);
	if (rig_vif(r, 0))                 /* the toolstack again */
		return -1;
	r->fcfg.queues = fq;
	r->bcfg.max_queues = bmax;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

/* Traffic both ways over whatever queues are in use: every flow once
 * each way; per-queue counters move by the flows' queues. */
static void traffic_both(struct tap *t, struct rig *r, struct flows *fr,
			 struct flows *br)
{
	unsigned nq = nc_front_num_queues(r->f), k;
	uint64_t want[NC_MAX_QUEUES] = { 0 };
	struct qsnap a, b;
	unsigned fr0 = fr->total, br0 = br->total;

	CHECK_EQ(t, nc_back_num_queues(r->b), nq);
	snap(r, &a);
	for (k = 0; k < NFLOWS; k++) {
		want[flow_q(k, nq)]++;
		send_flow(t, r, k, br->next[k], 1);
		queue_flow(t, r, k, fr->next[k], 1);
		rig_pump(r, 2);
	}
	rig_pump(r, 4);
	snap(r, &b);
	CHECK_EQ(t, br->total - br0, NFLOWS);
	CHECK_EQ(t, fr->total - fr0, NFLOWS);
	CHECK_EQ(t, br->bad + fr->bad, 0);
	for (k = 0; k < nq; k++) {
		CHECK_EQ(t, b.f_tx[k] - a.f_tx[k], want[k]);
		CHECK_EQ(t, b.b_rx[k] - a.b_rx[k], want[k]);
		CHECK_EQ(t, b.f_rx[k] - a.f_rx[k], want[k]);
	}
}

/* The device's totals are its own plus every queue's. */
static void check_totals(struct tap *t, struct rig *r)
{
	uint64_t ftx = 0, frx = 0, btx = 0, brx = 0;
	const struct nc_vif_stats *fs, *bs;
	unsigned i;

	for (i = 0; i < NC_MAX_QUEUES; i++) {
		ftx += nc_front_queue_stats(r->f, i)->tx.packets;
		frx += nc_front_queue_stats(r->f, i)->rx.packets;
		btx += nc_back_queue_stats(r->b, i)->tx.packets;
		brx += nc_back_queue_stats(r->b, i)->rx.packets;
	}
	fs = nc_front_stats(r->f);
	bs = nc_back_stats(r->b);
	CHECK_EQ(t, fs->tx.packets, ftx);
	CHECK_EQ(t, fs->rx.packets, frx);
	CHECK_EQ(t, bs->tx.packets, btx);
	CHECK_EQ(t, bs->rx.packets, brx);
}

/* The layout in the frontend directory matches n queues, nothing of
 * the other one left. */
static void check_layout(struct tap *t, struct rig *r, unsigned n)
{
	if (n > 1) {
		check_queue_keys(t, r, n, 1, 0);
		return;
	}
	CHECK(t, !has_key(r, r->fe_path, "multi-queue-num-queues"));
	CHECK(t, !has_qkey(r, 0, "tx-ring-ref"));
	CHECK(t, !has_qkey(r, 0, "event-channel-tx"));
	CHECK(t, !has_qkey(r, 1, "rx-ring-ref"));
	CHECK(t, has_key(r, r->fe_path, "tx-ring-ref"));
	CHECK(t, has_key(r, r->fe_path, "event-channel-rx"));
}

/* Frontend and backend both replaced, queue counts a then b. */
static void fresh_pair(struct tap *t, unsigned qa, unsigned qb)
{
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	struct flows *br = calloc(1, sizeof(*br));
	struct nc_inproc_counts c;

	CHECK(t, fr && br && mq_rig(&r, qa, qa, fr, br) == 0);
	check_layout(t, &r, qa);
	traffic_both(t, &r, fr, br);
	check_totals(t, &r);
	CHECK(t, reconnect_fresh(&r, qb, qb) == 0);
	CHECK_EQ(t, nc_front_num_queues(r.f), qb);
	CHECK_EQ(t, nc_back_num_queues(r.b), qb);
	check_layout(t, &r, qb);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.mappings, 2 * qb);
	CHECK_EQ(t, c.ports, 2 * qb);
	traffic_both(t, &r, fr, br);
	check_totals(t, &r);
	CHECK_EQ(t, r.f->quarantined_pages, 0);
	rig_free(&r);
	free(fr);
	free(br);
}

static void test_reconnect_fresh(struct tap *t)
{
	fresh_pair(t, 2, 1);
	fresh_pair(t, 1, 2);
	fresh_pair(t, 4, 2);
}

/* The backend alone is replaced by one offering `bmax`: the same
 * frontend (asking 4) reconnects with what is offered. */
static int replace_backend(struct rig *r, unsigned bmax)
{
	nc_back_close(r->b);
	rig_pump(r, 4);
	if (nc_front_state(r->f) != NC_FRONT_CLOSED || rig_vif(r, 0))
		return -1;
	r->bcfg.max_queues = bmax;
	memset(r->b, 0, sizeof(*r->b));
	if (rig_start_back(r))
		return -1;
	return rig_connect(r);
}

static void test_reconnect_backend(struct tap *t)
{
	static const unsigned offers[] = { 1, 2, 4, 1, 3 };
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	struct flows *br = calloc(1, sizeof(*br));
	struct nc_inproc_counts c;
	unsigned i;

	CHECK(t, fr && br && mq_rig(&r, 4, 2, fr, br) == 0);
	traffic_both(t, &r, fr, br);
	for (i = 0; i < sizeof(offers) / sizeof(offers[0]); i++) {
		if (!CHECK(t, replace_backend(&r, offers[i]) == 0))
			break;
		CHECK_EQ(t, nc_front_num_queues(r.f), offers[i]);
		check_layout(t, &r, offers[i]);
		nc_inproc_counts(r.w, RIG_BE, &c);
		CHECK_EQ(t, c.mappings, 2 * offers[i]);
		traffic_both(t, &r, fr, br);
		check_totals(t, &r);
	}
	CHECK_EQ(t, nc_front_stats(r.f)->connects, 6);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, 6 * NFLOWS);
	CHECK_EQ(t, nc_front_stats(r.f)->rx.packets, 6 * NFLOWS);
	CHECK_EQ(t, r.f->quarantined_pages, 0);
	rig_free(&r);
	free(fr);
	free(br);
}

/* The guest's netfront starts over without closing (a kexec'd kernel,
 * a new process): a new frontend asking `fq` writes Initialising, the
 * same backend drops the old data path and offers a new one; the old
 * process then dies without a word. */
static int restart_front(struct rig *r, unsigned fq)
{
	struct nc_platform plat;
	struct nc_inproc_handle *h = nc_inproc_open(r->w, RIG_FE, &plat);
	struct nc_front *f = calloc(1, sizeof(*f));
	struct nc_inproc_counts c;

	r->fcfg.queues = fq;
	if (!h || !f || nc_front_init(f, &plat, &r->fcfg)) {
		free(f);
		return -1;
	}
	nc_back_poll(r->b);
	nc_back_poll(r->b);
	nc_inproc_counts(r->w, RIG_BE, &c);
	if (nc_back_state(r->b) != NC_BACK_INIT || c.mappings || c.ports)
		return -1;
	nc_inproc_close(r->fh);         /* the old process dies */
	free(r->f);
	r->f = f;
	r->fh = h;
	r->fplat = plat;
	return rig_connect(r);
}

static void test_reconnect_restart(struct tap *t)
{
	static const unsigned asks[] = { 1, 2, 4, 2 };
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	struct flows *br = calloc(1, sizeof(*br));
	unsigned i;

	CHECK(t, fr && br && mq_rig(&r, 2, 4, fr, br) == 0);
	traffic_both(t, &r, fr, br);
	for (i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		/* a new frontend: its receiver starts afresh */
		memset(fr, 0, sizeof(*fr));
		if (!CHECK(t, restart_front(&r, asks[i]) == 0))
			break;
		CHECK_EQ(t, nc_front_num_queues(r.f), asks[i]);
		CHECK_EQ(t, nc_back_num_queues(r.b), asks[i]);
		check_layout(t, &r, asks[i]);
		traffic_both(t, &r, fr, br);
		check_totals(t, &r);
	}
	CHECK_EQ(t, nc_back_stats(r.b)->connects, 5);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets, 5 * NFLOWS);
	CHECK_EQ(t, nc_back_stats(r.b)->tx.packets, 5 * NFLOWS);
	rig_free(&r);
	free(fr);
	free(br);
}

/* The hashing a frontend set dies with its connection: a restarted
 * frontend (2 queues, then 1) finds it off, frames back on the flow
 * hash, all on queue 0 with one queue. */
static void test_toeplitz_reset(struct tap *t)
{
	static const uint32_t ones[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	struct flows *br = calloc(1, sizeof(*br));
	uint8_t f[FRAME_MAX];
	unsigned k, n;

	CHECK(t, fr && br && ctrl_rig(&r, 2, fr, br) == 0);
	hash_setup(t, &r, ones);
	for (n = 2; n >= 1; n--) {
		memset(fr, 0, sizeof(*fr));
		if (!CHECK(t, restart_front(&r, n) == 0))
			break;
		CHECK_EQ(t, nc_back_num_queues(r.b), n);
		CHECK_EQ(t, nc_back_hash_state(r.b)->algorithm,
			 XEN_NETIF_CTRL_HASH_ALGORITHM_NONE);
		CHECK_EQ(t, nc_back_hash_state(r.b)->size, 0);
		for (k = 0; k < NFLOWS; k++) {
			size_t len = flow_frame(f, k, 0);

			CHECK_EQ(t, nc_back_pick_queue(r.b, f, len),
				 flow_q(k, n));
		}
		traffic_both(t, &r, fr, br);
	}
	rig_free(&r);
	free(fr);
	free(br);
}

/* Hostile: queue 1 names queue 0's ring pages.  Whatever the two
 * backend queues then make of the one ring, the backend neither
 * crashes nor keeps anything mapped or bound once closed. */
static void shared_ring(struct tap *t, const char *const *keys)
{
	struct rig r;
	struct flows *fr = calloc(1, sizeof(*fr));
	struct flows *br = calloc(1, sizeof(*br));
	struct nc_inproc_counts c;
	unsigned i, k;

	CHECK(t, fr && br && rig_init(&r, 0) == 0);
	r.fcfg.queues = 2;
	r.bcfg.max_queues = 2;
	r.fcfg.rx = flows_rx;
	r.fcfg.rx_arg = fr;
	r.bcfg.deliver = flows_rx;
	r.bcfg.deliver_arg = br;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	for (i = 0; i < 10 && nc_front_state(r.f) != NC_FRONT_CONNECTING;
	     i++)
		nc_front_poll(r.f);
	for (i = 0; keys[i]; i++) {
		char from[32], to[32], v[16];

		snprintf(from, sizeof(from), "queue-0/%s", keys[i]);
		snprintf(to, sizeof(to), "queue-1/%s", keys[i]);
		rig_write_key(&r, r.fe_path, to,
			   rig_read_key(&r, r.fe_path, from, v, sizeof(v)));
	}
	rig_pump(&r, 10);
	for (k = 0; k < 300; k++) {
		uint8_t f[FRAME_MAX];
		struct nc_iov iov = { f, flow_frame(f, k % NFLOWS,
						   k / NFLOWS) };
		struct nc_frame fm = { .data = f, .len = (uint32_t)iov.len };

		nc_front_send(r.f, &iov, 1, 0);
		nc_back_queue(r.b, &fm);
		rig_pump(&r, 1);
	}
	rig_pump(&r, 10);
	tap_diag("queue 1 naming queue 0's %s%s: front state %d, back %d; "
		 "of 300 frames each way %u reached the backend, %u the "
		 "frontend", keys[0], keys[1] ? " and rx-ring-ref" : "",
		 nc_front_state(r.f), nc_back_state(r.b), br->total,
		 fr->total);
	CHECK_EQ(t, br->bad + fr->bad, 0);
	nc_back_close(r.b);
	nc_inproc_counts(r.w, RIG_BE, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	rig_free(&r);
	free(fr);
	free(br);
}

static void test_shared_ring(struct tap *t)
{
	static const char *const tx[] = { "tx-ring-ref", NULL };
	static const char *const rx[] = { "rx-ring-ref", NULL };
	static const char *const both[] = { "tx-ring-ref", "rx-ring-ref",
					    NULL };

	shared_ring(t, tx);
	shared_ring(t, rx);
	shared_ring(t, both);
}

/* ---------------------------------------------------- per-queue poll */

/* Frames keyed by their queue: byte PAYLOAD is the queue they were
 * written on, then a sequence number; counted per key, so that each
 * queue's frames touch only their key's counters. */
struct keyed {
	unsigned count[NC_MAX_QUEUES];
	uint32_t next[NC_MAX_QUEUES];
	unsigned bad[NC_MAX_QUEUES];
	atomic_uint stray;      /* frames of no queue: shared, atomic */
};

static size_t keyed_len(uint32_t seq)
{
	return 60 + seq % 1400;
}

static void keyed_frame(uint8_t *buf, size_t len, unsigned key, uint32_t seq)
{
	size_t i;

	memset(buf, 0, PAYLOAD);
	memcpy(buf, "\x00\x16\x3e\x12\x34\x56\x00\x16\x3e\x00\x00\x02", 12);
	put16(buf + 12, 0x88b5);        /* local experimental ethertype */
	buf[PAYLOAD] = (uint8_t)key;
	memcpy(buf + PAYLOAD + 1, &seq, 4);
	for (i = PAYLOAD + 5; i < len; i++)
		buf[i] = (uint8_t)(i ^ seq ^ (key << 4));
}

static void keyed_rx(void *arg, const struct nc_frame *fr)
{
	struct keyed *k = arg;
	uint8_t want[1500];
	unsigned key;
	uint32_t seq;

	if (fr->len < PAYLOAD + 5 || fr->data[PAYLOAD] >= NC_MAX_QUEUES) {
		atomic_fetch_add(&k->stray, 1);
		return;
	}
	key = fr->data[PAYLOAD];
	memcpy(&seq, fr->data + PAYLOAD + 1, 4);
	if (seq != k->next[key] || fr->len != keyed_len(seq)) {
		k->bad[key]++;
		return;
	}
	keyed_frame(want, fr->len, key, seq);
	if (memcmp(want, fr->data, fr->len) != 0)
		k->bad[key]++;
	k->next[key] = seq + 1;
	k->count[key]++;
}

struct keyed_fill {
	unsigned key;
	uint32_t seq;
};

static size_t keyed_fill(void *ctx, uint8_t *buf, size_t size)
{
	const struct keyed_fill *c = ctx;

	keyed_frame(buf, size, c->key, c->seq);
	return size;
}

/* One queue's sender state, both ways. */
struct qsend {
	uint32_t f_seq, b_seq;
	uint8_t buf[1500];
};

/* Send what fits on queue q, up to n frames each way. */
static void qsend_some(struct rig *r, unsigned q, struct qsend *s,
		       uint32_t n)
{
	while (s->f_seq < n) {
		struct keyed_fill c = { q, s->f_seq };

		if (nc_front_write_queue(r->f, q, keyed_len(s->f_seq),
					 keyed_fill, &c, 0) != NC_OK)
			break;
		s->f_seq++;
	}
	while (s->b_seq < n) {
		struct nc_frame fr = { .data = s->buf };

		fr.len = (uint32_t)keyed_len(s->b_seq);
		keyed_frame(s->buf, fr.len, q, s->b_seq);
		if (nc_back_queue_on(r->b, q, &fr) != NC_OK)
			break;
		s->b_seq++;
	}
}

static int keyed_rig(struct rig *r, struct keyed *fk, struct keyed *bk)
{
	if (rig_init(r, 0))
		return -1;
	r->fcfg.queues = 2;
	r->fcfg.busy_poll = 1;
	r->fcfg.rx = keyed_rx;
	r->fcfg.rx_arg = fk;
	r->bcfg.max_queues = 2;
	r->bcfg.busy_poll = 1;
	r->bcfg.deliver = keyed_rx;
	r->bcfg.deliver_arg = bk;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

static void poll_q(struct rig *r, unsigned q, unsigned rounds)
{
	while (rounds--) {
		nc_front_poll_queue(r->f, q);
		nc_back_poll_queue(r->b, q);
	}
}

/* Single thread: each queue driven by its own poll calls only; polling
 * one queue moves nothing on the other. */
static void test_poll_queue(struct tap *t)
{
	struct rig r;
	struct keyed *fk = calloc(1, sizeof(*fk));
	struct keyed *bk = calloc(1, sizeof(*bk));
	struct qsend s[2];
	unsigned q;

	memset(s, 0, sizeof(s));
	CHECK(t, fk && bk && keyed_rig(&r, fk, bk) == 0);
	qsend_some(&r, 0, &s[0], 100);
	qsend_some(&r, 1, &s[1], 100);
	CHECK_EQ(t, s[0].f_seq + s[1].f_seq + s[0].b_seq + s[1].b_seq, 400);
	poll_q(&r, 0, 8);
	CHECK_EQ(t, bk->count[0], 100);
	CHECK_EQ(t, fk->count[0], 100);
	CHECK_EQ(t, nc_front_queue_stats(r.f, 0)->tx.packets, 100);
	/* queue 1 untouched until it is polled */
	CHECK_EQ(t, bk->count[1], 0);
	CHECK_EQ(t, fk->count[1], 0);
	CHECK_EQ(t, nc_front_queue_stats(r.f, 1)->tx.packets, 0);
	poll_q(&r, 1, 8);
	for (q = 0; q < 2; q++) {
		CHECK_EQ(t, bk->count[q], 100);
		CHECK_EQ(t, fk->count[q], 100);
		CHECK_EQ(t, bk->bad[q] + fk->bad[q], 0);
		CHECK_EQ(t, nc_front_queue_stats(r.f, q)->tx.packets, 100);
		CHECK_EQ(t, nc_back_queue_stats(r.b, q)->rx.packets, 100);
		CHECK_EQ(t, nc_back_queue_stats(r.b, q)->tx.packets, 100);
		CHECK_EQ(t, nc_front_queue_stats(r.f, q)->rx.packets, 100);
	}
	CHECK_EQ(t, nc_front_poll_queue(r.f, 2), 0);
	CHECK_EQ(t, nc_back_poll_queue(r.b, 2), 0);
	CHECK_EQ(t, atomic_load(&fk->stray) + atomic_load(&bk->stray), 0);
	rig_free(&r);
	free(fk);
	free(bk);
}

/* Threads: thread q alone writes, queues and polls queue q, both ends. */
#define THREAD_FRAMES 20000u

/* Without an rx callback, in event mode: nc_front_recv's 0 arms each
 * queue's RX event, so a frame queued afterwards on either queue makes
 * the backend notify (a caller sleeping on the event fd wakes). */
static void test_recv_arms_events(struct tap *t)
{
	struct rig r;
	uint8_t buf[PAYLOAD + 64];
	struct nc_frame fr = { .data = buf, .len = sizeof(buf) }, got;
	unsigned q;

	if (!CHECK(t, rig_init(&r, 0) == 0))
		return;
	r.fcfg.queues = 2;
	r.bcfg.max_queues = 2;
	if (!CHECK(t, rig_start(&r) == 0 && rig_connect(&r) == 0)) {
		rig_free(&r);
		return;
	}
	/* Three frames per queue: the ring starts with its event armed
	 * (rsp_event 1), so only the later ones show the re-arming. */
	for (q = 0; q < 6; q++) {
		uint64_t before;

		while (nc_front_recv(r.f, &got) == 1)
			;
		before = nc_back_stats(r.b)->events_out;
		keyed_frame(buf, sizeof(buf), q % 2, q / 2);
		CHECK_EQ(t, nc_back_queue_on(r.b, q % 2, &fr), NC_OK);
		if (!CHECK(t, nc_back_stats(r.b)->events_out > before))
			tap_diag("frame %u: no event after nc_front_recv's 0", q);
		CHECK_EQ(t, nc_front_recv(r.f, &got), 1);
		CHECK_EQ(t, got.len, sizeof(buf));
		CHECK_EQ(t, nc_front_queue_stats(r.f, q % 2)->rx.packets,
			 q / 2 + 1);
	}
	rig_free(&r);
}

struct qthread {
	struct rig *r;
	unsigned q;
	struct keyed *fk, *bk;
	pthread_barrier_t *start;   /* both threads start together */
	struct qsend s;
	unsigned long turns;
	int done;
};

static int qthread_done(const struct qthread *x)
{
	const struct nc_vif_stats *fs = nc_front_queue_stats(x->r->f, x->q);

	return x->bk->count[x->q] + x->bk->bad[x->q] >= THREAD_FRAMES &&
	       x->fk->count[x->q] + x->fk->bad[x->q] >= THREAD_FRAMES &&
	       fs->tx.packets >= THREAD_FRAMES;
}

static void *qthread_run(void *arg)
{
	struct qthread *x = arg;
	struct timespec t0, now;

	pthread_barrier_wait(x->start);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		qsend_some(x->r, x->q, &x->s, THREAD_FRAMES);
		poll_q(x->r, x->q, 1);
		x->turns++;
		if (qthread_done(x)) {
			x->done = 1;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec > 8)
			break;          /* stuck: reported by the checks */
	}
	return NULL;
}

static void test_poll_queue_threads(struct tap *t)
{
	struct rig r;
	struct keyed *fk = calloc(1, sizeof(*fk));
	struct keyed *bk = calloc(1, sizeof(*bk));
	struct qthread *x = calloc(2, sizeof(*x));
	pthread_barrier_t start;
	pthread_t th[2];
	unsigned q;

	CHECK(t, fk && bk && x && keyed_rig(&r, fk, bk) == 0);
	pthread_barrier_init(&start, NULL, 2);
	for (q = 0; q < 2; q++) {
		x[q].start = &start;
		x[q].r = &r;
		x[q].q = q;
		x[q].fk = fk;
		x[q].bk = bk;
		CHECK(t, pthread_create(&th[q], NULL, qthread_run, &x[q]) == 0);
	}
	for (q = 0; q < 2; q++)
		pthread_join(th[q], NULL);
	pthread_barrier_destroy(&start);
	for (q = 0; q < 2; q++) {
		CHECK(t, x[q].done);
		CHECK_EQ(t, bk->count[q], THREAD_FRAMES);
		CHECK_EQ(t, fk->count[q], THREAD_FRAMES);
		CHECK_EQ(t, bk->bad[q] + fk->bad[q], 0);
		CHECK_EQ(t, nc_front_queue_stats(r.f, q)->tx.packets,
			 THREAD_FRAMES);
		CHECK_EQ(t, nc_back_queue_stats(r.b, q)->rx.packets,
			 THREAD_FRAMES);
		CHECK_EQ(t, nc_front_queue_stats(r.f, q)->rx.packets,
			 THREAD_FRAMES);
		tap_diag("queue %u: %lu turns", q, x[q].turns);
	}
	CHECK_EQ(t, atomic_load(&fk->stray) + atomic_load(&bk->stray), 0);
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTED);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	/* the control path runs again afterwards, single-threaded */
	rig_pump(&r, 4);
	check_totals(t, &r);
	rig_free(&r);
	free(fk);
	free(bk);
	free(x);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "handshake with 2 and 4 queues: keys, ports, mappings",
		test_handshake);
	tap_run(&t, "queue count negotiated down; one queue: flat keys",
		test_negotiation);
	tap_run(&t, "hostile multi-queue keys refused, nothing leaked",
		test_hostile_keys);
	tap_run(&t, "frontend -> backend (2, 3, 4 queues): each flow on its "
		"hashed queue",
		test_front_to_back_flows);
	tap_run(&t, "nc_front_write_queue: the queue given; out of range "
		"EINVAL", test_write_queue);
	tap_run(&t, "backend -> frontend (2, 3, 4 queues): each flow on its "
		"hashed queue",
		test_back_to_front_flows);
	tap_run(&t, "nc_back_queue_on: the queue given; out of range EINVAL",
		test_back_queue_on);
	tap_run(&t, "Toeplitz mapping steers frames; entry >= queues refused",
		test_toeplitz_steering);
	tap_run(&t, "Toeplitz mapping over 4 queues", test_toeplitz_four);
	tap_run(&t, "reconnection, both ends fresh: 2->1, 1->2, 4->2 queues",
		test_reconnect_fresh);
	tap_run(&t, "backend replaced with other offers: frontend follows",
		test_reconnect_backend);
	tap_run(&t, "frontend restarts without closing: 2->1->2->4->2 "
		"queues, same backend", test_reconnect_restart);
	tap_run(&t, "Toeplitz state reset when the frontend reconnects",
		test_toeplitz_reset);
	tap_run(&t, "hostile: two queues naming one ring, no crash or leak",
		test_shared_ring);
	tap_run(&t, "per-queue polling drives each queue alone",
		test_poll_queue);
	tap_run(&t, "nc_front_recv's 0 arms every queue's RX event",
		test_recv_arms_events);
	tap_run(&t, "a thread per queue, both ends, both directions",
		test_poll_queue_threads);
	return tap_done(&t);
}

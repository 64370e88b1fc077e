/*
 * test_ring.c - the ring helpers on hand-built rings: batches, event
 * suppression, index wrap-around at 2^32, and peers that lie about their
 * producer index.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netchannel/ring.h"

struct pair {
	union {
		netif_tx_sring_t s;
		uint8_t page[NC_PAGE_SIZE];
	} *mem;
	netif_tx_front_ring_t front;
	netif_tx_back_ring_t back;
};

/* A ring whose indices all start at `start` (as after 2^32 - k frames). */
static void pair_init(struct pair *p, RING_IDX start)
{
	p->mem = aligned_alloc(NC_PAGE_SIZE, NC_PAGE_SIZE);
	memset(p->mem, 0, NC_PAGE_SIZE);
	SHARED_RING_INIT(&p->mem->s);
	p->mem->s.req_prod = p->mem->s.rsp_prod = start;
	p->mem->s.req_event = p->mem->s.rsp_event = start + 1;
	FRONT_RING_ATTACH(&p->front, &p->mem->s, start, NC_PAGE_SIZE);
	BACK_RING_ATTACH(&p->back, &p->mem->s, start, NC_PAGE_SIZE);
}

static void pair_free(struct pair *p) { free(p->mem); }

/* Front posts n requests with ids base..base+n-1; returns notify. */
static int post(struct pair *p, unsigned n, uint16_t base)
{
	RING_IDX old = p->front.req_prod_pvt;
	unsigned i;

	for (i = 0; i < n; i++) {
		netif_tx_request_t *r = RING_GET_REQUEST(&p->front,
							 p->front.req_prod_pvt++);
		r->id = (uint16_t)(base + i);
		r->size = 60;
	}
	return NC_FRONT_PUBLISH(&p->front, old);
}

/* Back consumes everything and answers each; returns count or error. */
static int serve(struct pair *p, int *notify)
{
	RING_IDX prod, old = p->back.rsp_prod_pvt;
	int n = NC_BACK_REQUESTS(&p->back, &prod), i;

	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		netif_tx_request_t req;
		netif_tx_response_t *rsp;

		RING_COPY_REQUEST(&p->back, p->back.req_cons, &req);
		p->back.req_cons++;
		rsp = RING_GET_RESPONSE(&p->back, p->back.rsp_prod_pvt++);
		rsp->id = req.id;
		rsp->status = NETIF_RSP_OKAY;
	}
	*notify = NC_BACK_PUBLISH(&p->back, old);
	return n;
}

static void test_basic_exchange(struct tap *t)
{
	struct pair p;
	RING_IDX prod = 0;
	int notify = 0, n;

	pair_init(&p, 0);
	CHECK(t, post(&p, 10, 100));   /* req_event = 1 asks for an event */
	CHECK_EQ(t, serve(&p, &notify), 10);
	CHECK(t, notify);
	n = NC_FRONT_RESPONSES(&p.front, &prod);
	CHECK_EQ(t, n, 10);
	CHECK_EQ(t, RING_GET_RESPONSE(&p.front, p.front.rsp_cons + 9)->id, 109);
	pair_free(&p);
}

static void test_wraparound(struct tap *t)
{
	struct pair p;
	unsigned round, total = 0;
	int notify;

	pair_init(&p, 0xFFFFFF00u);
	for (round = 0; round < 20; round++) {
		RING_IDX prod = 0;
		int n;

		post(&p, 37, (uint16_t)total);
		CHECK_EQ(t, serve(&p, &notify), 37);
		n = NC_FRONT_RESPONSES(&p.front, &prod);
		CHECK_EQ(t, n, 37);
		CHECK_EQ(t, RING_GET_RESPONSE(&p.front, p.front.rsp_cons)->id,
			 (uint16_t)total);
		p.front.rsp_cons = prod;
		total += 37;
	}
	/* 740 entries from 2^32 - 256: the indices wrapped past zero. */
	CHECK(t, p.front.rsp_cons < 0x1000u);
	CHECK_EQ(t, p.front.rsp_cons, (RING_IDX)(0xFFFFFF00u + total));
	pair_free(&p);
}

static void test_full_ring_exactly(struct tap *t)
{
	struct pair p;
	int notify;

	pair_init(&p, 0xFFFFFFF0u);
	CHECK_EQ(t, RING_FREE_REQUESTS(&p.front), 256);
	post(&p, 256, 0);
	CHECK(t, RING_FULL(&p.front));
	CHECK_EQ(t, serve(&p, &notify), 256);
	pair_free(&p);
}

static void test_frontend_claims_too_many(struct tap *t)
{
	struct pair p;
	RING_IDX prod = 0;

	pair_init(&p, 0xFFFFFFFEu);
	/* A hostile frontend: 257 requests outstanding cannot exist. */
	p.mem->s.req_prod = 0xFFFFFFFEu + 257;
	CHECK_EQ(t, NC_BACK_REQUESTS(&p.back, &prod), NC_EPROTO);
	p.mem->s.req_prod = 0xFFFFFFFEu + 256;
	CHECK_EQ(t, NC_BACK_REQUESTS(&p.back, &prod), 256);
	/* An index far away (2^31 ahead) is caught too. */
	p.mem->s.req_prod = 0x7FFFFFFEu;
	CHECK_EQ(t, NC_BACK_REQUESTS(&p.back, &prod), NC_EPROTO);
	pair_free(&p);
}

static void test_frontend_index_goes_backwards(struct tap *t)
{
	struct pair p;
	RING_IDX prod = 0;
	int notify;

	pair_init(&p, 5);
	post(&p, 10, 0);
	p.back.req_cons += 4; /* consumed 4, not answered yet */
	/* the frontend rewinds its producer behind what we consumed */
	p.mem->s.req_prod = 7;
	CHECK_EQ(t, NC_BACK_REQUESTS(&p.back, &prod), NC_EPROTO);
	p.mem->s.req_prod = 15;
	p.back.req_cons -= 4;
	CHECK_EQ(t, serve(&p, &notify), 10);
	pair_free(&p);
}

static void test_backend_answers_unasked(struct tap *t)
{
	struct pair p;
	RING_IDX prod = 0;

	pair_init(&p, 0xFFFFFF80u);
	post(&p, 3, 0);
	/* more responses than requests were ever made */
	p.mem->s.rsp_prod = 0xFFFFFF80u + 4;
	CHECK_EQ(t, NC_FRONT_RESPONSES(&p.front, &prod), NC_EPROTO);
	/* a response producer behind our consumer */
	p.front.rsp_cons = 0xFFFFFF80u + 2;
	p.mem->s.rsp_prod = 0xFFFFFF80u + 1;
	CHECK_EQ(t, NC_FRONT_RESPONSES(&p.front, &prod), NC_EPROTO);
	p.mem->s.rsp_prod = 0xFFFFFF80u + 3;
	CHECK_EQ(t, NC_FRONT_RESPONSES(&p.front, &prod), 1);
	pair_free(&p);
}

static void test_notify_only_when_asked(struct tap *t)
{
	struct pair p;
	int notify;

	pair_init(&p, 0);
	CHECK(t, post(&p, 1, 0));           /* event was 1 */
	CHECK(t, !post(&p, 5, 1));          /* nobody asked again */
	CHECK_EQ(t, serve(&p, &notify), 6);
	/* the backend sleeps: final check arms req_event = cons + 1 */
	CHECK(t, !NC_BACK_FINAL_CHECK(&p.back));
	CHECK(t, post(&p, 2, 6));           /* (old, new] holds the event */
	CHECK(t, NC_BACK_FINAL_CHECK(&p.back)); /* work is there */
	pair_free(&p);
}

static void test_batched_event(struct tap *t)
{
	struct pair p;

	pair_init(&p, 0xFFFFFFFAu);
	post(&p, 1, 0);
	p.back.req_cons = p.front.req_prod_pvt;
	/* ask to be woken only after 32 more requests */
	CHECK(t, !nc_ring_final_check(&p.mem->s.req_event, &p.mem->s.req_prod,
				      p.back.req_cons, 32));
	CHECK(t, !post(&p, 31, 1));
	CHECK(t, post(&p, 1, 32));
	pair_free(&p);
}

static void test_copy_is_private(struct tap *t)
{
	struct pair p;
	netif_tx_request_t copy;
	RING_IDX prod = 0;

	pair_init(&p, 0);
	post(&p, 1, 42);
	CHECK_EQ(t, NC_BACK_REQUESTS(&p.back, &prod), 1);
	RING_COPY_REQUEST(&p.back, p.back.req_cons, &copy);
	/* the peer rewrites the slot after we fetched it */
	RING_GET_REQUEST(&p.front, 0)->size = 0xFFFF;
	CHECK_EQ(t, copy.size, 60);
	CHECK_EQ(t, copy.id, 42);
	pair_free(&p);
}

/* Two threads, a producer and a consumer, across the 2^32 wrap: the
 * barriers must make every slot's contents visible before its index. */
struct stream {
	struct pair p;
	unsigned count;
	unsigned bad;
};

static void *stream_producer(void *arg)
{
	struct stream *s = arg;
	unsigned sent = 0;

	while (sent < s->count) {
		RING_IDX prod = 0;
		int n = NC_FRONT_RESPONSES(&s->p.front, &prod);

		if (n > 0)
			s->p.front.rsp_cons = prod;
		while (sent < s->count && !RING_FULL(&s->p.front)) {
			netif_tx_request_t *r = RING_GET_REQUEST(
				&s->p.front, s->p.front.req_prod_pvt++);
			r->gref = sent;
			r->id = (uint16_t)sent;
			r->size = (uint16_t)~sent;
			sent++;
		}
		nc_ring_store(&s->p.mem->s.req_prod, s->p.front.req_prod_pvt);
	}
	return NULL;
}

static void *stream_consumer(void *arg)
{
	struct stream *s = arg;
	unsigned got = 0;

	while (got < s->count) {
		RING_IDX prod = 0;
		int n = NC_BACK_REQUESTS(&s->p.back, &prod), i;

		if (n < 0) {
			s->bad++;
			return NULL;
		}
		for (i = 0; i < n; i++) {
			netif_tx_request_t req;

			RING_COPY_REQUEST(&s->p.back, s->p.back.req_cons, &req);
			s->p.back.req_cons++;
			if (req.gref != got || req.id != (uint16_t)got ||
			    req.size != (uint16_t)~got)
				s->bad++;
			got++;
			s->p.back.rsp_prod_pvt++;
		}
		nc_ring_store(&s->p.mem->s.rsp_prod, s->p.back.rsp_prod_pvt);
	}
	return NULL;
}

static void test_two_threads_across_wrap(struct tap *t)
{
	struct stream s = { .count = 2000000 };
	pthread_t a, b;

	pair_init(&s.p, 0xFFFF0000u);
	pthread_create(&a, NULL, stream_producer, &s);
	pthread_create(&b, NULL, stream_consumer, &s);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK_EQ(t, s.bad, 0);
	CHECK_EQ(t, s.p.back.req_cons, (RING_IDX)(0xFFFF0000u + s.count));
	pair_free(&s.p);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "basic exchange", test_basic_exchange);
	tap_run(&t, "indices wrap at 2^32", test_wraparound);
	tap_run(&t, "a full ring is 256 requests", test_full_ring_exactly);
	tap_run(&t, "frontend claiming more than a ring",
		test_frontend_claims_too_many);
	tap_run(&t, "frontend producer going backwards",
		test_frontend_index_goes_backwards);
	tap_run(&t, "backend answering requests never made",
		test_backend_answers_unasked);
	tap_run(&t, "notify only when the peer asked",
		test_notify_only_when_asked);
	tap_run(&t, "batched event threshold", test_batched_event);
	tap_run(&t, "slot copied once, privately", test_copy_is_private);
	tap_run(&t, "two threads, 2M requests across the wrap",
		test_two_threads_across_wrap);
	return tap_done(&t);
}

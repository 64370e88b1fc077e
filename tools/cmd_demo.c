/*
 * cmd_demo.c - `netchannel demo`: two domains in one process over the
 * in-process platform.  Domain 1 (the guest) shares a TX ring and a pool
 * with domain 0 (the host), writes UDP frames straight into pool blocks,
 * and the host fetches each one by grant copy, checks its checksums, and
 * answers; blocks return to the pool only then.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel.h"
#include "netchannel/csum.h"
#include "netchannel/inproc.h"
#include "netchannel/pool.h"
#include "netchannel/ring.h"

#define GUEST 1
#define HOST 0

struct demo {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *gh, *hh;
	struct nc_platform guest, host;
	struct nc_pool pool;
	netif_tx_front_ring_t front;
	netif_tx_back_ring_t back;
	void *ring_page, *ring_map;
	nc_gref_t ring_ref;
	nc_port_t gport, hport;
	struct nc_pool_view inflight[NC_TX_RING_SIZE];
	unsigned sent, received, bad, notifies;
};

static size_t write_udp(uint8_t *f, size_t size, unsigned seq)
{
	size_t payload = 18 + seq % 1000, l4 = 8 + payload, ip = 20 + l4;
	uint16_t c;
	size_t i;

	if (size < 14 + ip)
		return 0;
	memcpy(f, "\x00\x16\x3e\x00\x00\x00\x00\x16\x3e\x00\x00\x01\x08\x00",
	       14);
	f[14] = 0x45;
	f[16] = (uint8_t)(ip >> 8);
	f[17] = (uint8_t)ip;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	f[34] = 0x13; f[35] = 0x88; f[36] = 0x00; f[37] = 0x07;
	f[38] = (uint8_t)(l4 >> 8);
	f[39] = (uint8_t)l4;
	for (i = 0; i < payload; i++)
		f[42 + i] = (uint8_t)(seq + i);
	c = nc_csum(f + 14, 20);
	memcpy(f + 24, &c, 2);
	c = nc_csum_fold(nc_csum_partial(f + 34, l4,
			 nc_csum_pseudo_v4(f + 26, f + 30, 17, (uint32_t)l4)));
	memcpy(f + 40, &c, 2);
	return 14 + ip;
}

static int setup(struct demo *d)
{
	struct nc_pool_config cfg = { .npages = 64, .poison = 1,
				      .readonly = 1 };

	d->w = nc_inproc_world_new();
	d->gh = nc_inproc_open(d->w, GUEST, &d->guest);
	d->hh = nc_inproc_open(d->w, HOST, &d->host);
	if (!d->gh || !d->hh ||
	    nc_pool_init(&d->pool, d->guest.grants, HOST, &cfg))
		return -1;
	d->ring_page = d->guest.grants.ops->share(d->guest.grants.ctx, HOST, 1,
						  0, &d->ring_ref);
	if (!d->ring_page)
		return -1;
	SHARED_RING_INIT((netif_tx_sring_t *)d->ring_page);
	FRONT_RING_INIT(&d->front, (netif_tx_sring_t *)d->ring_page,
			NC_PAGE_SIZE);
	d->ring_map = d->host.grants.ops->map(d->host.grants.ctx, GUEST, 1,
					      &d->ring_ref, 1);
	if (!d->ring_map)
		return -1;
	BACK_RING_INIT(&d->back, (netif_tx_sring_t *)d->ring_map,
		       NC_PAGE_SIZE);
	if (d->guest.events.ops->alloc_unbound(d->guest.events.ctx, HOST,
					       &d->gport) ||
	    d->host.events.ops->bind_interdomain(d->host.events.ctx, GUEST,
						 d->gport, &d->hport))
		return -1;
	printf("guest: shared a TX ring (gref %u) and a pool of %u pages, "
	       "event channel %u <-> %u\n", d->ring_ref, d->pool.npages,
	       d->gport, d->hport);
	return 0;
}

/* The guest writes frames into pool views until the ring or pool fills. */
static void guest_send(struct demo *d, unsigned total)
{
	RING_IDX old = d->front.req_prod_pvt;

	while (d->sent < total && !RING_FULL(&d->front)) {
		struct nc_pool_view v;
		struct nc_pool_slice sl;
		netif_tx_request_t *req;
		size_t used;
		RING_IDX i = d->front.req_prod_pvt;

		if (nc_pool_take(&d->pool, 1514, &v) != NC_OK)
			break;
		used = write_udp(v.data, v.size, d->sent);
		nc_pool_slices(&d->pool, &v, (uint32_t)used, &sl, 1);
		nc_pool_post(&d->pool, &v);
		d->inflight[i % NC_TX_RING_SIZE] = v;
		req = RING_GET_REQUEST(&d->front, i);
		req->gref = sl.gref;
		req->offset = sl.offset;
		req->size = sl.len;
		req->flags = 0;
		req->id = (uint16_t)(i % NC_TX_RING_SIZE);
		d->front.req_prod_pvt++;
		d->sent++;
	}
	if (NC_FRONT_PUBLISH(&d->front, old)) {
		d->guest.events.ops->notify(d->guest.events.ctx, d->gport);
		d->notifies++;
	}
}

/* The host fetches each frame by grant copy and checks it. */
static void host_receive(struct demo *d)
{
	RING_IDX prod, old = d->back.rsp_prod_pvt;
	uint8_t buf[NC_PAGE_SIZE];
	nc_port_t port;
	int n;

	while (d->host.events.ops->pending(d->host.events.ctx, &port) > 0)
		;
	n = NC_BACK_REQUESTS(&d->back, &prod);
	for (; n > 0; n--) {
		netif_tx_request_t req;
		struct nc_copy_seg seg = { .flags = NC_COPY_SRC_GREF };
		netif_tx_response_t *rsp;

		RING_COPY_REQUEST(&d->back, d->back.req_cons, &req);
		d->back.req_cons++;
		seg.src.foreign.ref = req.gref;
		seg.src.foreign.domid = GUEST;
		seg.src.foreign.offset = req.offset;
		seg.dst.local = buf;
		seg.len = req.size;
		if (req.offset + req.size > NC_PAGE_SIZE ||
		    d->host.grants.ops->copy(d->host.grants.ctx, &seg, 1) ||
		    nc_csum_verify_frame(buf, req.size) != 1 ||
		    memmem(buf, req.size, NC_POOL_POISON, NC_POOL_POISON_LEN))
			d->bad++;
		d->received++;
		rsp = RING_GET_RESPONSE(&d->back, d->back.rsp_prod_pvt++);
		rsp->id = req.id;
		rsp->status = NETIF_RSP_OKAY;
	}
	NC_BACK_PUBLISH(&d->back, old);
}

static void guest_complete(struct demo *d)
{
	RING_IDX prod;
	int n = NC_FRONT_RESPONSES(&d->front, &prod);

	for (; n > 0; n--) {
		netif_tx_response_t rsp;
		struct nc_pool_view *v;

		RING_COPY_RESPONSE(&d->front, d->front.rsp_cons, &rsp);
		d->front.rsp_cons++;
		v = &d->inflight[rsp.id % NC_TX_RING_SIZE];
		nc_pool_complete(&d->pool, v->first, v->nblocks);
	}
}

static void teardown(struct demo *d)
{
	if (d->ring_map)
		d->host.grants.ops->unmap(d->host.grants.ctx, d->ring_map, 1);
	if (d->ring_page)
		d->guest.grants.ops->unshare(d->guest.grants.ctx,
					     d->ring_page, 1);
	nc_pool_destroy(&d->pool);
	nc_inproc_close(d->gh);
	nc_inproc_close(d->hh);
	nc_inproc_world_free(d->w);
}

int cmd_demo(int argc, char **argv)
{
	struct demo *d = calloc(1, sizeof(*d));
	unsigned total = 100000;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: netchannel demo [FRAMES]\n"
		       "Runs a guest and a host in one process over the "
		       "in-process platform and\nsends FRAMES UDP frames "
		       "(default 100000) through a TX ring and the pool.\n");
		free(d);
		return 0;
	}
	if (argc > 1)
		total = (unsigned)strtoul(argv[1], NULL, 10);
	if (!d || setup(d)) {
		fprintf(stderr, "demo: platform setup failed\n");
		return 1;
	}
	while (d->received < total) {
		guest_send(d, total);
		host_receive(d);
		guest_complete(d);
	}
	printf("guest: sent %u frames, host: received %u, bad %u "
	       "(checksum or poison), notifications %u\n", d->sent,
	       d->received, d->bad, d->notifies);
	printf("pool: %llu takes, %llu bytes re-zeroed (%.1f per frame), "
	       "%llu poison violations\n",
	       (unsigned long long)d->pool.stats.takes,
	       (unsigned long long)d->pool.stats.bytes_zeroed,
	       (double)d->pool.stats.bytes_zeroed / d->sent,
	       (unsigned long long)d->pool.stats.poison_violations);
	rc = d->bad || d->pool.stats.poison_violations ? 1 : 0;
	teardown(d);
	free(d);
	return rc;
}

/*
 * garbage_front.c - a hostile frontend process for the main-job test: it
 * joins domain DOMID of the simulator, does the netfront handshake by
 * hand, then puts garbage on its TX ring (a fragment crossing its page)
 * and keeps notifying.  The backend must disable this vif only.
 * Usage: garbage_front RUN_DIR DOMID SECONDS
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netchannel/ring.h"
#include "netchannel/sim.h"

static int wr(struct nc_platform *p, const char *dir, const char *key,
	      unsigned v)
{
	char path[160], val[16];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	snprintf(val, sizeof(val), "%u", v);
	return p->store.ops->write(p->store.ctx, 0, path, val);
}

static int backend_state(struct nc_platform *p, const char *dir)
{
	char path[200], be[128], val[16];

	snprintf(path, sizeof(path), "%s/backend", dir);
	if (p->store.ops->read(p->store.ctx, 0, path, be, sizeof(be)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/state", be);
	if (p->store.ops->read(p->store.ctx, 0, path, val, sizeof(val)) < 0)
		return -1;
	return atoi(val);
}

int main(int argc, char **argv)
{
	struct nc_platform p;
	struct nc_sim_handle *h;
	nc_gref_t txref, rxref;
	netif_tx_sring_t *tx;
	netif_tx_front_ring_t front;
	nc_port_t port;
	char dir[] = "device/vif/0";
	time_t end;
	int i;

	if (argc != 4)
		return 2;
	h = nc_sim_open(argv[1], (nc_domid_t)atoi(argv[2]), &p);
	if (!h) {
		perror("nc_sim_open");
		return 1;
	}
	end = time(NULL) + atoi(argv[3]);
	while (backend_state(&p, dir) != XenbusStateInitWait) {
		if (time(NULL) > end)
			return 1;
		usleep(20000);
	}
	tx = p.grants.ops->share(p.grants.ctx, 0, 1, 0, &txref);
	if (!tx || !p.grants.ops->share(p.grants.ctx, 0, 1, 0, &rxref) ||
	    p.events.ops->alloc_unbound(p.events.ctx, 0, &port))
		return 1;
	SHARED_RING_INIT(tx);
	FRONT_RING_INIT(&front, tx, NC_PAGE_SIZE);
	wr(&p, dir, "tx-ring-ref", txref);
	wr(&p, dir, "rx-ring-ref", rxref);
	wr(&p, dir, "event-channel", port);
	wr(&p, dir, "request-rx-copy", 1);
	wr(&p, dir, "state", XenbusStateConnected);
	while (backend_state(&p, dir) != XenbusStateConnected) {
		if (time(NULL) > end)
			return 1;
		usleep(20000);
	}
	/* Garbage: a fragment that runs past the end of its page. */
	for (i = 0; i < 8; i++) {
		netif_tx_request_t *r = RING_GET_REQUEST(&front,
							 front.req_prod_pvt++);
		r->gref = txref;
		r->offset = 4000;
		r->size = 1000;
		r->id = (uint16_t)i;
		r->flags = 0;
	}
	nc_ring_store(&tx->req_prod, front.req_prod_pvt);
	while (time(NULL) <= end) {
		p.events.ops->notify(p.events.ctx, port);   /* a storm */
		usleep(1000);
	}
	printf("garbage frontend: backend state %d\n",
	       backend_state(&p, dir));
	nc_sim_close(h);
	return 0;
}

/*
 * front_mcast.c - netfront's side of multicast control (front.h): filter
 * updates sent as a dummy TX request followed by one MCAST_ADD or
 * MCAST_DEL extra-info slot, as netif.h describes them.
 *
 * The dummy takes a TX id like a frame (its record has `mcast` set and no
 * pool blocks), so its answer goes through front_tx.c's id checks like
 * any other; the extra slot is answered NETIF_RSP_NULL.  Freestanding.
 */
#include <string.h>

#include "front_internal.h"
#include "netchannel/ring.h"
#include "xs.h"

#define MAC_LEN 6u

/* Both slots, built privately and stored whole. */
static void post_update(struct nc_front_queue *q, uint16_t id, uint8_t type,
			const uint8_t *mac)
{
	RING_IDX prod = q->tx.req_prod_pvt;
	netif_tx_request_t req, slot;
	netif_extra_info_t x;

	memset(&req, 0, sizeof(req));
	req.id = id;
	req.flags = NETTXF_extra_info;  /* size 0, no data, no more_data */
	*RING_GET_REQUEST(&q->tx, prod) = req;
	memset(&slot, 0, sizeof(slot));
	memset(&x, 0, sizeof(x));
	x.type = type;                  /* flags 0: no further extras */
	memcpy(x.u.mcast.addr, mac, MAC_LEN);
	memcpy(&slot, &x, sizeof(x));
	*RING_GET_REQUEST(&q->tx, prod + 1) = slot;
	q->tx.req_prod_pvt = prod + 2;
}

static int mcast_send(struct nc_front *f, uint8_t type, const uint8_t *mac)
{
	/* Filter updates go on queue 0 (any queue's TX ring would do). */
	struct nc_front_queue *q = &f->q[0];
	struct nc_front_txframe *fr;
	uint16_t id;

	if (f->state != NC_FRONT_CONNECTED)
		return NC_ENOTCONN;
	if (!f->feat.mcast_control)
		return NC_EPERM;
	/* A unicast entry could never match a filtered frame. */
	if (!(mac[0] & 1u))
		return NC_EINVAL;
	if (RING_FREE_REQUESTS(&q->tx) < 2 || q->nfree_ids == 0)
		return NC_EAGAIN;
	id = q->free_ids[--q->nfree_ids];
	fr = &q->frames[id];
	memset(fr, 0, sizeof(*fr));
	fr->slots_left = 1;     /* the dummy; the extra's answer is NULL */
	fr->in_use = 1;
	fr->mcast = 1;
	fr->status = NETIF_RSP_OKAY;
	q->slot_busy[id] = 1;
	q->slot_frame[id] = id;
	post_update(q, id, type, mac);
	nc_front_notify(f, q);
	return NC_OK;
}

int nc_front_mcast_add(struct nc_front *f, const uint8_t *mac)
{
	return mcast_send(f, XEN_NETIF_EXTRA_TYPE_MCAST_ADD, mac);
}

int nc_front_mcast_del(struct nc_front *f, const uint8_t *mac)
{
	return mcast_send(f, XEN_NETIF_EXTRA_TYPE_MCAST_DEL, mac);
}

void nc_front_mcast_done(struct nc_front *f, struct nc_front_txframe *fr)
{
	if (fr->status == NETIF_RSP_OKAY)
		f->mcast_acked++;
	else
		f->mcast_refused++;
	fr->in_use = 0;
	fr->mcast = 0;
}

int nc_front_mcast_request(struct nc_front *f, int on)
{
	if (f->state != NC_FRONT_CONNECTED)
		return NC_ENOTCONN;
	if (!f->feat.mcast_control || !f->feat.mcast_dynamic)
		return NC_EPERM;
	if (nc_xs_write(&f->plat.store, NC_TXN_NONE, f->path,
			"request-multicast-control", on ? "1" : "0"))
		return NC_EIO;
	return NC_OK;
}

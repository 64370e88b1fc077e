/*
 * back_ctrl.c - netback's control ring (feature-ctrl-ring, xen/io/netif.h
 * "Control ring") and the receive-side hashing state it sets.
 *
 *   connect: when the frontend wrote ctrl-ring-ref and event-channel-ctrl,
 *            map that page and bind that port (both absent: no control
 *            ring; one of them, or a malformed one: the vif is refused);
 *   work:    each request is copied out of the ring once (XSA-155),
 *            checked by a pure function over that copy, and answered;
 *   hashing: nc_back_hash_frame / nc_back_pick_queue read the state.
 *
 * Security (XSA-270: the control ring's input was not validated): every
 * number a request carries is checked before it is used: a mapping
 * offset and size against the mapping size (without overflow), a key
 * length against NC_TOEPLITZ_KEY_MAX, every queue index against the
 * queues we serve.  Keys and mapping tables come in by grant copy into a
 * private buffer, and are checked there; a request that fails any check
 * changes nothing.  Unknown requests are answered NOT_SUPPORTED.
 * Freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "netchannel/toeplitz.h"
#include "xs.h"

#define HASH_FLAGS_SUPPORTED                                               \
	(XEN_NETIF_CTRL_HASH_TYPE_IPV4 | XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP | \
	 XEN_NETIF_CTRL_HASH_TYPE_IPV6 | XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)

_Static_assert(sizeof(((struct nc_back_hash *)0)->key) ==
		       NC_TOEPLITZ_KEY_MAX,
	       "the key buffer holds the longest key");

/* A checked request: what to do once its data (if any) is copied in. */
struct ctrl_op {
	uint16_t type;
	uint32_t gref;     /* SET_HASH_KEY / SET_HASH_MAPPING: the data */
	uint32_t len;      /* bytes to grant-copy from gref offset 0 */
	uint32_t value;    /* algorithm, flags, size, or mapping offset */
};

/*
 * The pure check of one private request copy against the state in
 * force: XEN_NETIF_CTRL_STATUS_SUCCESS with *op filled, or the status to
 * answer.  *data gets a GET request's answer.  Nothing here writes state.
 */
static uint32_t ctrl_check(const struct nc_back_hash *h,
			   const struct xen_netif_ctrl_request *rq,
			   struct ctrl_op *op, uint32_t *data)
{
	uint32_t d0 = rq->data[0], d1 = rq->data[1], d2 = rq->data[2];

	memset(op, 0, sizeof(*op));
	op->type = rq->type;
	*data = 0;
	switch (rq->type) {
	case XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM:
		if (d0 != XEN_NETIF_CTRL_HASH_ALGORITHM_NONE &&
		    d0 != XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ)
			return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		op->value = d0;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	case XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS:
		*data = HASH_FLAGS_SUPPORTED;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS:
		/* Flags need an algorithm (netif.h), and only known bits. */
		if ((d0 & ~(uint32_t)HASH_FLAGS_SUPPORTED) ||
		    h->algorithm == XEN_NETIF_CTRL_HASH_ALGORITHM_NONE)
			return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		op->value = d0;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_KEY:
		/* XSA-270: never copy more than the key buffer holds. */
		if (d1 > NC_TOEPLITZ_KEY_MAX)
			return XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW;
		op->gref = d0;
		op->len = d1;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	case XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE:
		*data = NC_BACK_HASH_MAPPING_MAX;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE:
		if (d0 > NC_BACK_HASH_MAPPING_MAX)
			return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		op->value = d0;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING:
		/* XSA-270: the sub-table lies inside the table set by
		 * SET_HASH_MAPPING_SIZE; compared without overflow. */
		if (d1 > NC_BACK_HASH_MAPPING_MAX)
			return XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW;
		if (d1 == 0 || d2 > h->size || d1 > h->size - d2)
			return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		op->gref = d0;
		op->len = d1 * (uint32_t)sizeof(uint32_t);
		op->value = d2;
		return XEN_NETIF_CTRL_STATUS_SUCCESS;
	default:      /* INVALID, the GREF_MAPPING family, unknown types */
		return XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED;
	}
}

/* Every queue index of a mapping (sub-)table names a queue in use. */
static int mapping_valid(const uint32_t *q, uint32_t n, unsigned nqueues)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (q[i] >= nqueues)
			return 0;
	return 1;
}

/* Grant-copy op->len bytes from the start of the frontend's op->gref
 * into the private buffer: 0, or -1 when the copy failed. */
static int copy_in(struct nc_back *b, const struct ctrl_op *op)
{
	const struct nc_grants *g = &b->plat.grants;
	struct nc_copy_seg seg;

	if (op->len == 0)
		return 0;
	memset(&seg, 0, sizeof(seg));
	seg.src.foreign.ref = op->gref;
	seg.src.foreign.offset = 0;
	seg.src.foreign.domid = b->fe_domid;
	seg.dst.local = b->ctrl.buf;
	seg.len = (uint16_t)op->len;   /* <= 512 (checked): one page */
	seg.flags = NC_COPY_SRC_GREF;
	if (g->ops->copy(g->ctx, &seg, 1) != NC_OK || seg.status != NC_OK)
		return -1;
	return 0;
}

/* Fetch what a checked request needs, check it, then apply it: the one
 * place the hashing state changes.  Returns the status to answer. */
static uint32_t ctrl_apply(struct nc_back *b, const struct ctrl_op *op)
{
	struct nc_back_hash *h = &b->ctrl.hash;

	if (copy_in(b, op))
		return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
	switch (op->type) {
	case XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM:
		h->algorithm = op->value;
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS:
		h->flags = op->value;
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_KEY:
		/* A new key replaces the old; unset octets are zero. */
		memset(h->key, 0, sizeof(h->key));
		memcpy(h->key, b->ctrl.buf, op->len);
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE:
		/* A new table starts zero-filled (queue 0). */
		memset(h->mapping, 0, sizeof(h->mapping));
		h->size = op->value;
		break;
	case XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING:
		if (!mapping_valid(b->ctrl.buf, op->len / 4,
				   nc_back_num_queues(b)))
			return XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER;
		memcpy(h->mapping + op->value, b->ctrl.buf, op->len);
		break;
	default:      /* GET requests change nothing */
		break;
	}
	return XEN_NETIF_CTRL_STATUS_SUCCESS;
}

/* Answer one private request copy into *rsp (private too). */
static void ctrl_answer(struct nc_back *b,
			const struct xen_netif_ctrl_request *rq,
			struct xen_netif_ctrl_response *rsp)
{
	struct ctrl_op op;
	uint32_t data;
	uint32_t st = ctrl_check(&b->ctrl.hash, rq, &op, &data);

	if (st == XEN_NETIF_CTRL_STATUS_SUCCESS)
		st = ctrl_apply(b, &op);
	rsp->id = rq->id;
	rsp->type = rq->type;
	rsp->status = st;
	rsp->data = st == XEN_NETIF_CTRL_STATUS_SUCCESS ? data : 0;
}

static void ctrl_publish(struct nc_back *b)
{
	struct nc_back_ctrl *c = &b->ctrl;

	if (c->ring.rsp_prod_pvt == c->published)
		return;
	if (NC_BACK_PUBLISH(&c->ring, c->published) &&
	    b->plat.events.ops->notify(b->plat.events.ctx, c->port) == NC_OK)
		b->stats.events_out++;
	c->published = c->ring.rsp_prod_pvt;
}

int ncb_ctrl_work(struct nc_back *b)
{
	struct nc_back_ctrl *c = &b->ctrl;
	RING_IDX prod;
	int n;

	if (!c->map)
		return 0;
	n = NC_BACK_REQUESTS(&c->ring, &prod);
	if (n < 0) {
		ncb_fail(b, &b->stats.rx, NC_R_RING_OVERFLOW,
			 "netback: ctrl req_prod beyond the ring, vif disabled",
			 0);
		return 0;
	}
	/* At most a ring's worth (NC_BACK_REQUESTS bounds n): bounded. */
	while (c->ring.req_cons != prod) {
		struct xen_netif_ctrl_request rq;
		struct xen_netif_ctrl_response rsp;

		RING_COPY_REQUEST(&c->ring, c->ring.req_cons, &rq);
		c->ring.req_cons++;
		ctrl_answer(b, &rq, &rsp);
		*RING_GET_RESPONSE(&c->ring, c->ring.rsp_prod_pvt) = rsp;
		c->ring.rsp_prod_pvt++;
	}
	ctrl_publish(b);
	if (b->cfg.busy_poll)
		return NC_BACK_PEEK(&c->ring);
	return NC_BACK_FINAL_CHECK(&c->ring);
}

/* A key of the frontend: 1 with *v, 0 when absent, -1 when malformed. */
static int read_key(const struct nc_back *b, const char *key, uint32_t max,
		    uint32_t *v)
{
	char buf[16];
	int rc = nc_xs_read(&b->plat.store, NC_TXN_NONE, b->fe_path, key, buf,
			    sizeof(buf));

	if (rc == NC_ENOENT)
		return 0;
	if (rc < 0 || nc_parse_uint(buf, max, v))
		return -1;
	return 1;
}

static int ctrl_refuse(struct nc_back *b, const char *why, long value)
{
	ncb_fail(b, &b->stats.rx, NC_R_BAD_GREF, why, value);
	return -1;
}

int ncb_ctrl_connect(struct nc_back *b)
{
	const struct nc_grants *g = &b->plat.grants;
	const struct nc_events *ev = &b->plat.events;
	struct nc_back_ctrl *c = &b->ctrl;
	uint32_t ref = 0, port = 0;
	int r, p;
	RING_IDX rsp;

	memset(c, 0, sizeof(*c));   /* hashing off until the frontend asks */
	if (b->cfg.no_ctrl_ring)
		return 0;
	r = read_key(b, "ctrl-ring-ref", UINT32_MAX, &ref);
	p = read_key(b, "event-channel-ctrl", NCB_PORT_MAX, &port);
	if (r == 0 && p == 0)
		return 0;               /* optional: no control ring */
	if (r != 1 || p != 1 || port == 0)
		return ctrl_refuse(b, "netback: frontend ctrl-ring-ref or "
				      "event-channel-ctrl missing or malformed",
				   0);
	c->map = g->ops->map(g->ctx, b->fe_domid, 1, &ref, 1);
	if (!c->map)
		return ctrl_refuse(b, "netback: cannot map the frontend's "
				      "ctrl ring; gref", (long)ref);
	/* Attach at the response producer it holds, read once, as the
	 * data rings (back_xs.c map_rings). */
	rsp = nc_ring_load(&((xen_netif_ctrl_sring_t *)c->map)->rsp_prod);
	BACK_RING_ATTACH(&c->ring, (xen_netif_ctrl_sring_t *)c->map, rsp,
			 NC_PAGE_SIZE);
	c->published = rsp;
	if (ev->ops->bind_interdomain(ev->ctx, b->fe_domid, port, &c->port))
		return ctrl_refuse(b, "netback: cannot bind the frontend's "
				      "event-channel-ctrl", (long)port);
	c->have_port = 1;
	return 0;
}

void ncb_ctrl_release(struct nc_back *b)
{
	struct nc_back_ctrl *c = &b->ctrl;

	/* The page before the port (see release_data_path). */
	if (c->map)
		b->plat.grants.ops->unmap(b->plat.grants.ctx, c->map, 1);
	if (c->have_port)
		b->plat.events.ops->unbind(b->plat.events.ctx, c->port);
	memset(c, 0, sizeof(*c));
}

int ncb_ctrl_port(const struct nc_back *b, nc_port_t port)
{
	return b->ctrl.have_port && port == b->ctrl.port;
}

/* ------------------------------------------------------------- hashing */

int nc_back_hash_frame(const struct nc_back *b, const uint8_t *frame,
		       size_t len, uint32_t *hash, uint32_t *type)
{
	const struct nc_back_hash *h;

	if (!b || !frame || !hash || !type)
		return 0;
	h = &b->ctrl.hash;
	if (h->algorithm != XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ ||
	    h->flags == 0)
		return 0;
	return nc_toeplitz_frame(h->key, sizeof(h->key), h->flags, frame, len,
				 hash, type);
}

unsigned nc_back_pick_queue(const struct nc_back *b, const uint8_t *frame,
			    size_t len)
{
	const struct nc_back_hash *h;
	uint32_t hash, type;
	unsigned n = nc_back_num_queues(b);

	if (!nc_back_hash_frame(b, frame, len, &hash, &type))
		return nc_flow_queue(frame, len, n);
	h = &b->ctrl.hash;
	if (h->size == 0)
		return hash % n;
	/* size <= NC_BACK_HASH_MAPPING_MAX and every entry was checked
	 * below the queues in use when set. */
	return h->mapping[hash % h->size];
}

const struct nc_back_hash *nc_back_hash_state(const struct nc_back *b)
{
	return &b->ctrl.hash;
}

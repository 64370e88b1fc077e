/*
 * front_ctrl.c - netfront's end of the control ring (feature-ctrl-ring,
 * xen/io/netif.h "Control ring"): sharing the ring page, a request data
 * page (read-only to the backend) and an event channel at connect when
 * cfg.ctrl_ring asks for it, and one request at a time through
 * nc_front_ctrl_submit / nc_front_ctrl_result.
 *
 * The backend's answers are copied out of the ring once and must answer
 * the one outstanding request (same id and type); anything else is a
 * broken backend (nc_front_break).  Freestanding.
 */
#include <string.h>

#include "front_internal.h"
#include "netchannel/toeplitz.h"
#include "xs.h"

int nc_front_ctrl_setup(struct nc_front *f)
{
	const struct nc_grants *g = &f->plat.grants;
	struct nc_front_ctrl *c = &f->ctrl;
	int rc;

	memset(c, 0, sizeof(*c));
	if (!f->feat.ctrl_ring)
		return NC_OK;
	c->page = g->ops->share(g->ctx, f->be_domid, 1, 0, &c->ref);
	/* The backend only reads keys and tables: read-only grant. */
	c->data = g->ops->share(g->ctx, f->be_domid, 1, 1, &c->data_ref);
	if (!c->page || !c->data)
		return NC_ENOMEM;
	SHARED_RING_INIT((xen_netif_ctrl_sring_t *)c->page);
	FRONT_RING_INIT(&c->ring, (xen_netif_ctrl_sring_t *)c->page,
			NC_PAGE_SIZE);
	rc = f->plat.events.ops->alloc_unbound(f->plat.events.ctx,
					       f->be_domid, &c->port);
	c->have_port = rc == NC_OK;
	return rc;
}

/* ctrl-ring-ref and event-channel-ctrl when we have a control ring; else
 * removed, so a backend never maps what a previous connection left. */
int nc_front_ctrl_write_keys(struct nc_front *f, nc_txn_t t)
{
	const struct nc_store *st = &f->plat.store;
	char path[NC_FRONT_PATH_MAX + 24];
	int rc = 0;

	if (f->ctrl.page && f->ctrl.have_port) {
		rc |= nc_xs_write_uint(st, t, f->path, "ctrl-ring-ref",
				       f->ctrl.ref);
		rc |= nc_xs_write_uint(st, t, f->path, "event-channel-ctrl",
				       f->ctrl.port);
		return rc;
	}
	if (nc_path_join(path, sizeof(path), f->path, "ctrl-ring-ref") ||
	    st->ops->rm(st->ctx, t, path))
		rc = NC_EIO;
	if (nc_path_join(path, sizeof(path), f->path, "event-channel-ctrl") ||
	    st->ops->rm(st->ctx, t, path))
		rc = NC_EIO;
	return rc;
}

/* Revoke one page; XSA-396: one the backend still maps is quarantined. */
static void revoke_page(struct nc_front *f, void *page)
{
	if (!page)
		return;
	if (f->plat.grants.ops->unshare(f->plat.grants.ctx, page, 1) ==
	    NC_EBUSY) {
		f->quarantined_pages++;
		nc_front_log(f, "backend still maps a ctrl page; quarantined",
			     1);
	}
}

void nc_front_ctrl_teardown(struct nc_front *f)
{
	struct nc_front_ctrl *c = &f->ctrl;

	if (c->have_port)
		f->plat.events.ops->unbind(f->plat.events.ctx, c->port);
	revoke_page(f, c->page);
	revoke_page(f, c->data);
	memset(c, 0, sizeof(*c));
}

static int ctrl_usable(const struct nc_front *f)
{
	return f->ctrl.page && f->ctrl.have_port &&
	       (f->state == NC_FRONT_CONNECTED ||
		f->state == NC_FRONT_CONNECTING);
}

int nc_front_ctrl_submit(struct nc_front *f, uint16_t type, uint32_t d0,
			 uint32_t d1, uint32_t d2)
{
	struct nc_front_ctrl *c = &f->ctrl;
	struct xen_netif_ctrl_request *rq;

	if (!ctrl_usable(f))
		return NC_ENOTCONN;
	if (c->pending)
		return NC_EAGAIN;
	rq = RING_GET_REQUEST(&c->ring, c->ring.req_prod_pvt);
	rq->id = c->next_id;
	rq->type = type;
	rq->data[0] = d0;
	rq->data[1] = d1;
	rq->data[2] = d2;
	c->ring.req_prod_pvt++;
	c->pending = 1;
	c->id = c->next_id++;
	c->type = type;
	/* Ask for an event when the answer comes (rsp_event past what we
	 * consumed), before the backend can see the request: a caller that
	 * sleeps on the event fd is woken by it. */
	(void)NC_FRONT_FINAL_CHECK(&c->ring);
	if (NC_FRONT_PUBLISH(&c->ring, c->published))
		f->plat.events.ops->notify(f->plat.events.ctx, c->port);
	c->published = c->ring.req_prod_pvt;
	return NC_OK;
}

int nc_front_ctrl_result(struct nc_front *f, uint32_t *status,
			 uint32_t *data)
{
	struct nc_front_ctrl *c = &f->ctrl;
	struct xen_netif_ctrl_response rsp;
	RING_IDX prod;
	int n;

	if (!c->pending || !c->page)
		return NC_EINVAL;
	n = NC_FRONT_RESPONSES(&c->ring, &prod);
	if (n < 0) {
		nc_front_break(f, NC_R_RING_OVERFLOW);
		return NC_EPROTO;
	}
	if (n == 0) {
		NC_FRONT_FINAL_CHECK(&c->ring);  /* wake us when it answers */
		return 0;
	}
	RING_COPY_RESPONSE(&c->ring, c->ring.rsp_cons, &rsp);
	c->ring.rsp_cons++;
	c->pending = 0;
	/* One request outstanding: the answer must be to it. */
	if (rsp.id != c->id || rsp.type != c->type) {
		nc_front_break(f, NC_R_BAD_ID);
		return NC_EPROTO;
	}
	if (status)
		*status = rsp.status;
	if (data)
		*data = rsp.data;
	return 1;
}

int nc_front_set_hash_algorithm(struct nc_front *f, uint32_t algorithm)
{
	return nc_front_ctrl_submit(f, XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM,
				    algorithm, 0, 0);
}

int nc_front_set_hash_flags(struct nc_front *f, uint32_t flags)
{
	return nc_front_ctrl_submit(f, XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS,
				    flags, 0, 0);
}

int nc_front_set_hash_mapping_size(struct nc_front *f, uint32_t entries)
{
	return nc_front_ctrl_submit(f,
				    XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE,
				    entries, 0, 0);
}

/* Put n bytes at the start of the data page (the rest zero): only while
 * no request is outstanding, since the backend may be reading it. */
static int fill_data(struct nc_front *f, const void *src, size_t n)
{
	if (!ctrl_usable(f))
		return NC_ENOTCONN;
	if (f->ctrl.pending)
		return NC_EAGAIN;
	memset(f->ctrl.data, 0, NC_PAGE_SIZE);
	if (n)
		memcpy(f->ctrl.data, src, n);
	return NC_OK;
}

int nc_front_set_hash_key(struct nc_front *f, const uint8_t *key,
			  size_t len)
{
	int rc;

	if (len > NC_TOEPLITZ_KEY_MAX || (len && !key))
		return NC_EINVAL;
	rc = fill_data(f, key, len);
	if (rc)
		return rc;
	return nc_front_ctrl_submit(f, XEN_NETIF_CTRL_TYPE_SET_HASH_KEY,
				    f->ctrl.data_ref, (uint32_t)len, 0);
}

int nc_front_set_hash_mapping(struct nc_front *f, const uint32_t *queues,
			      uint32_t n, uint32_t off)
{
	int rc;

	if (!queues || n == 0 || n > NC_PAGE_SIZE / sizeof(uint32_t))
		return NC_EINVAL;
	rc = fill_data(f, queues, (size_t)n * sizeof(uint32_t));
	if (rc)
		return rc;
	return nc_front_ctrl_submit(f, XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING,
				    f->ctrl.data_ref, n, off);
}

/*
 * front_xs.c - netfront's xenstore handshake (PROTOCOL.md, "Handshake"):
 * wait for InitWait, read the backend's features, grant the rings, the
 * pool and the RX buffers, allocate an event channel, write our keys and
 * Connected in one transaction; tear everything down when the backend
 * goes, and connect again when it comes back.
 */
#include <string.h>

#include "front_internal.h"
#include "xs.h"

#define TXN_RETRIES 64

static int read_flag(struct nc_front *f, const char *key)
{
	uint32_t v;

	if (nc_xs_read_uint(&f->plat.store, NC_TXN_NONE, f->be_path, key, 1,
			    0, &v))
		return 0;  /* malformed reads as "not offered" */
	return (int)v;
}

static int read_features(struct nc_front *f)
{
	uint32_t q;

	f->feat.rx_copy = read_flag(f, "feature-rx-copy");
	f->feat.sg = read_flag(f, "feature-sg") && !f->cfg.no_sg;
	f->feat.gso_tcpv4 = read_flag(f, "feature-gso-tcpv4");
	f->feat.gso_tcpv6 = read_flag(f, "feature-gso-tcpv6");
	f->feat.ipv6_csum = read_flag(f, "feature-ipv6-csum-offload");
	f->feat.mcast_control = read_flag(f, "feature-multicast-control");
	f->feat.mcast_dynamic =
		read_flag(f, "feature-dynamic-multicast-control");
	f->feat.split_events = read_flag(f, "feature-split-event-channels") &&
			       !f->cfg.no_split_events;
	f->feat.ctrl_ring = read_flag(f, "feature-ctrl-ring") &&
			    f->cfg.ctrl_ring;
	if (nc_xs_read_uint(&f->plat.store, NC_TXN_NONE, f->be_path,
			    "multi-queue-max-queues", 64, 1, &q))
		q = 1;
	f->feat.max_queues = q;
	/* Page flipping is long gone: a backend must copy. */
	if (!f->feat.rx_copy) {
		nc_front_log(f, "backend lacks feature-rx-copy; not connecting",
			     0);
		return NC_EPROTO;
	}
	return NC_OK;
}

/* Revoke one share.  XSA-396: if the backend still maps it, the pages
 * stay allocated and are never used again (quarantine). */
static void revoke(struct nc_front *f, void **base, unsigned npages)
{
	int rc;

	if (!*base)
		return;
	rc = f->plat.grants.ops->unshare(f->plat.grants.ctx, *base, npages);
	if (rc == NC_EBUSY) {
		f->quarantined_pages += npages;
		nc_front_log(f, "backend still maps pages; quarantined",
			     (long)npages);
	}
	*base = NULL;
}

void nc_front_teardown(struct nc_front *f)
{
	if (f->have_port) {
		f->plat.events.ops->unbind(f->plat.events.ctx, f->port);
		f->have_port = 0;
	}
	if (f->have_port_rx) {
		f->plat.events.ops->unbind(f->plat.events.ctx, f->port_rx);
		f->have_port_rx = 0;
	}
	nc_front_ctrl_teardown(f);
	revoke(f, &f->tx_page, 1);
	revoke(f, &f->rx_page, 1);
	if (f->have_rx_bufs) {
		void *b = f->rx_bufs;

		revoke(f, &b, NC_RX_RING_SIZE);
		f->rx_bufs = NULL;
		f->have_rx_bufs = 0;
	}
	if (f->have_pool) {
		nc_pool_destroy(&f->pool);
		f->quarantined_pages += f->pool.stats.quarantined_pages;
		f->have_pool = 0;
	}
	nc_front_tx_reset(f);
}

static int share_rings(struct nc_front *f)
{
	const struct nc_grant_ops *g = f->plat.grants.ops;

	f->tx_page = g->share(f->plat.grants.ctx, f->be_domid, 1, 0,
			      &f->tx_ref);
	f->rx_page = g->share(f->plat.grants.ctx, f->be_domid, 1, 0,
			      &f->rx_ref);
	if (!f->tx_page || !f->rx_page)
		return NC_ENOMEM;
	SHARED_RING_INIT((netif_tx_sring_t *)f->tx_page);
	SHARED_RING_INIT((netif_rx_sring_t *)f->rx_page);
	FRONT_RING_INIT(&f->tx, (netif_tx_sring_t *)f->tx_page,
			NC_PAGE_SIZE);
	FRONT_RING_INIT(&f->rx, (netif_rx_sring_t *)f->rx_page,
			NC_PAGE_SIZE);
	f->tx_published = 0;
	f->rx_published = 0;
	return NC_OK;
}

static int share_buffers(struct nc_front *f)
{
	struct nc_pool_config pc = {
		.npages = f->cfg.pool_pages ? f->cfg.pool_pages : 256,
		.poison = f->cfg.poison,
		.no_zero = f->cfg.bench_no_zero,   /* benchmark only */
		.readonly = 1,
		/* XSA-403: an untrusted backend gets whole pages per frame,
		 * zero beyond it.  Without SG a frame must start a page. */
		.block_size = (!f->trusted || !f->feat.sg) ? NC_PAGE_SIZE
							   : 0,
	};

	if (nc_pool_init(&f->pool, f->plat.grants, f->be_domid, &pc))
		return NC_ENOMEM;
	f->have_pool = 1;
	f->rx_bufs = f->plat.grants.ops->share(f->plat.grants.ctx,
					       f->be_domid, NC_RX_RING_SIZE,
					       0, f->rx_refs);
	if (!f->rx_bufs)
		return NC_ENOMEM;
	f->have_rx_bufs = 1;
	return NC_OK;
}

static int rm_key(struct nc_front *f, nc_txn_t t, const char *key)
{
	char path[NC_FRONT_PATH_MAX + 24];

	if (nc_path_join(path, sizeof(path), f->path, key))
		return NC_EINVAL;
	return f->plat.store.ops->rm(f->plat.store.ctx, t, path);
}

/* The event channel keys of the form in use; the other form's removed,
 * so that a backend (which prefers the split keys) never binds ports a
 * previous connection left. */
static int write_ports(struct nc_front *f, nc_txn_t t)
{
	const struct nc_store *st = &f->plat.store;
	int rc = 0;

	if (!f->have_port_rx) {
		rc |= rm_key(f, t, "event-channel-tx");
		rc |= rm_key(f, t, "event-channel-rx");
		return rc | nc_xs_write_uint(st, t, f->path, "event-channel",
					     f->port);
	}
	rc |= rm_key(f, t, "event-channel");
	rc |= nc_xs_write_uint(st, t, f->path, "event-channel-tx", f->port);
	rc |= nc_xs_write_uint(st, t, f->path, "event-channel-rx",
			       f->port_rx);
	return rc;
}

static int write_keys(struct nc_front *f, nc_txn_t t)
{
	const struct nc_store *st = &f->plat.store;
	int rc = 0, rx_gso = f->feat.sg && !f->cfg.no_gso;

	rc |= nc_xs_write_uint(st, t, f->path, "tx-ring-ref", f->tx_ref);
	rc |= nc_xs_write_uint(st, t, f->path, "rx-ring-ref", f->rx_ref);
	rc |= write_ports(f, t);
	rc |= nc_front_ctrl_write_keys(f, t);
	rc |= nc_xs_write(st, t, f->path, "request-rx-copy", "1");
	rc |= nc_xs_write(st, t, f->path, "feature-rx-notify", "1");
	rc |= nc_xs_write(st, t, f->path, "feature-sg",
			  f->feat.sg ? "1" : "0");
	/* We take GSO frames (delivered with NC_FRAME_GSO) when a frame may
	 * span pages: scatter-gather. */
	rc |= nc_xs_write(st, t, f->path, "feature-gso-tcpv4",
			  rx_gso ? "1" : "0");
	rc |= nc_xs_write(st, t, f->path, "feature-gso-tcpv6",
			  rx_gso ? "1" : "0");
	rc |= nc_xs_write(st, t, f->path, "feature-no-csum-offload",
			  f->cfg.no_csum_offload ? "1" : "0");
	rc |= nc_xs_write(st, t, f->path, "feature-ipv6-csum-offload",
			  (f->cfg.no_csum_offload || f->cfg.no_ipv6_csum) ? "0"
								    : "1");
	/* Filtering only when configured and offered (front_mcast.c). */
	rc |= nc_xs_write(st, t, f->path, "request-multicast-control",
			  (f->cfg.mcast_control && f->feat.mcast_control)
				  ? "1" : "0");
	rc |= nc_xs_write_uint(st, t, f->path, "state",
			       XenbusStateConnected);
	return rc ? NC_EIO : NC_OK;
}

/* All keys and Connected in one transaction, retried on conflict. */
static int publish_keys(struct nc_front *f)
{
	const struct nc_store_ops *s = f->plat.store.ops;
	int i, rc = NC_EAGAIN;

	for (i = 0; i < TXN_RETRIES && rc == NC_EAGAIN; i++) {
		nc_txn_t t;

		rc = s->txn_start(f->plat.store.ctx, &t);
		if (rc)
			return rc;
		rc = write_keys(f, t);
		if (rc) {
			s->txn_end(f->plat.store.ctx, t, 0);
			return rc;
		}
		rc = s->txn_end(f->plat.store.ctx, t, 1);
	}
	return rc;
}

/* One port, or with split event channels a TX and an RX port. */
static int alloc_ports(struct nc_front *f)
{
	const struct nc_events *ev = &f->plat.events;
	int rc = ev->ops->alloc_unbound(ev->ctx, f->be_domid, &f->port);

	f->have_port = rc == NC_OK;
	if (rc || !f->feat.split_events)
		return rc;
	rc = ev->ops->alloc_unbound(ev->ctx, f->be_domid, &f->port_rx);
	f->have_port_rx = rc == NC_OK;
	return rc;
}

static int connect_backend(struct nc_front *f)
{
	int rc = read_features(f);

	if (!rc)
		rc = share_rings(f);
	if (!rc)
		rc = share_buffers(f);
	if (!rc)
		rc = alloc_ports(f);
	if (!rc)
		rc = nc_front_ctrl_setup(f);
	if (!rc) {
		nc_front_tx_reset(f);
		nc_front_rx_post(f);
		nc_front_notify(f);
		rc = publish_keys(f);
	}
	if (rc) {
		nc_front_log(f, "connecting to the backend failed", rc);
		nc_front_teardown(f);
		return rc;
	}
	f->state = NC_FRONT_CONNECTING;
	return NC_OK;
}

/* The backend left: drop the data path, say Closed, wait for its return. */
static void backend_gone(struct nc_front *f)
{
	nc_xs_switch_state(&f->plat.store, f->path, XenbusStateClosing);
	nc_front_teardown(f);
	nc_xs_switch_state(&f->plat.store, f->path, XenbusStateClosed);
	f->state = NC_FRONT_CLOSED;
}

void nc_front_peer_closed(struct nc_front *f)
{
	switch (f->state) {
	case NC_FRONT_CONNECTING:
	case NC_FRONT_CONNECTED:
	case NC_FRONT_BROKEN:
		nc_front_log(f, "backend's event channel closed: backend gone",
			     f->be_domid);
		backend_gone(f);
		break;
	case NC_FRONT_CLOSING:
		nc_front_destroy(f);
		break;
	default:
		break;
	}
}

static void start_over(struct nc_front *f)
{
	nc_xs_switch_state(&f->plat.store, f->path, XenbusStateInitialising);
	f->state = NC_FRONT_INIT;
	connect_backend(f);
}

/* React to the backend's state (the watch fired). */
void nc_front_evaluate(struct nc_front *f)
{
	int be = nc_xs_read_state(&f->plat.store, f->be_path);
	int gone = be == XenbusStateClosing || be == XenbusStateClosed ||
		   be == XenbusStateUnknown;

	f->be_state = be;
	switch (f->state) {
	case NC_FRONT_INIT:
		if (be == XenbusStateInitWait)
			connect_backend(f);
		break;
	case NC_FRONT_CONNECTING:
		if (be == XenbusStateConnected) {
			f->state = NC_FRONT_CONNECTED;
			f->stats.connects++;
		} else if (gone) {
			backend_gone(f);
		}
		break;
	case NC_FRONT_CONNECTED:
	case NC_FRONT_BROKEN:
		if (gone) {
			backend_gone(f);
		} else if (be == XenbusStateInitWait) {
			/* a new backend, without passing through Closed */
			backend_gone(f);
			start_over(f);
		}
		break;
	case NC_FRONT_CLOSED:
		if (be == XenbusStateInitWait)
			start_over(f);
		break;
	case NC_FRONT_CLOSING:
		/* The backend has let go of our pages: revoke them now. */
		if (gone)
			nc_front_destroy(f);
		break;
	case NC_FRONT_STOPPED:
		break;
	}
}

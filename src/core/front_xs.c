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

void nc_front_queues_reset(struct nc_front *f)
{
	unsigned i;

	for (i = 0; i < NC_MAX_QUEUES; i++) {
		f->q[i].index = i;
		nc_front_tx_reset(&f->q[i]);
	}
	if (f->nqueues == 0)
		f->nqueues = 1;
}

/* One queue's ports, rings, RX buffers and pool, given back. */
static void teardown_queue(struct nc_front *f, struct nc_front_queue *q)
{
	if (q->have_port) {
		f->plat.events.ops->unbind(f->plat.events.ctx, q->port);
		q->have_port = 0;
	}
	if (q->have_port_rx) {
		f->plat.events.ops->unbind(f->plat.events.ctx, q->port_rx);
		q->have_port_rx = 0;
	}
	revoke(f, &q->tx_page, 1);
	revoke(f, &q->rx_page, 1);
	if (q->have_rx_bufs) {
		void *b = q->rx_bufs;

		revoke(f, &b, NC_RX_RING_SIZE);
		q->rx_bufs = NULL;
		q->have_rx_bufs = 0;
	}
	if (q->have_pool) {
		nc_pool_destroy(&q->pool);
		f->quarantined_pages += q->pool.stats.quarantined_pages;
		q->have_pool = 0;
	}
	nc_front_tx_reset(q);
}

void nc_front_teardown(struct nc_front *f)
{
	unsigned i;

	nc_front_ctrl_teardown(f);
	/* Every queue a connection may have set up, not only nqueues. */
	for (i = 0; i < NC_MAX_QUEUES; i++)
		teardown_queue(f, &f->q[i]);
}

static int share_rings(struct nc_front *f, struct nc_front_queue *q)
{
	const struct nc_grant_ops *g = f->plat.grants.ops;

	q->tx_page = g->share(f->plat.grants.ctx, f->be_domid, 1, 0,
			      &q->tx_ref);
	q->rx_page = g->share(f->plat.grants.ctx, f->be_domid, 1, 0,
			      &q->rx_ref);
	if (!q->tx_page || !q->rx_page)
		return NC_ENOMEM;
	SHARED_RING_INIT((netif_tx_sring_t *)q->tx_page);
	SHARED_RING_INIT((netif_rx_sring_t *)q->rx_page);
	FRONT_RING_INIT(&q->tx, (netif_tx_sring_t *)q->tx_page,
			NC_PAGE_SIZE);
	FRONT_RING_INIT(&q->rx, (netif_rx_sring_t *)q->rx_page,
			NC_PAGE_SIZE);
	q->tx_published = 0;
	q->rx_published = 0;
	return NC_OK;
}

/* A queue's TX pool pages: the configured pool shared out among the
 * queues, so that the grants a vif takes do not grow with its queues
 * (a grant table, or Linux's gntalloc with its 1024-page default limit,
 * is finite); at least NC_FRONT_QUEUE_POOL_MIN each (or the whole
 * configured pool, when smaller). */
static unsigned queue_pool_pages(const struct nc_front *f)
{
	unsigned all = f->cfg.pool_pages ? f->cfg.pool_pages : 256u;
	unsigned n = all / (f->nqueues ? f->nqueues : 1u);
	unsigned least = all < NC_FRONT_QUEUE_POOL_MIN ? all
						       : NC_FRONT_QUEUE_POOL_MIN;

	return n < least ? least : n;
}

static int share_buffers(struct nc_front *f, struct nc_front_queue *q)
{
	struct nc_pool_config pc = {
		.npages = queue_pool_pages(f),
		.poison = f->cfg.poison,
		.no_zero = f->cfg.bench_no_zero,   /* benchmark only */
		.readonly = 1,
		/* XSA-403: an untrusted backend gets whole pages per frame,
		 * zero beyond it.  Without SG a frame must start a page. */
		.block_size = (!f->trusted || !f->feat.sg) ? NC_PAGE_SIZE
							   : 0,
	};

	if (nc_pool_init(&q->pool, f->plat.grants, f->be_domid, &pc))
		return NC_ENOMEM;
	q->have_pool = 1;
	q->rx_bufs = f->plat.grants.ops->share(f->plat.grants.ctx,
					       f->be_domid, NC_RX_RING_SIZE,
					       0, q->rx_refs);
	if (!q->rx_bufs)
		return NC_ENOMEM;
	q->have_rx_bufs = 1;
	return NC_OK;
}

static int rm_key(struct nc_front *f, nc_txn_t t, const char *key)
{
	char path[NC_FRONT_PATH_MAX + 24];

	if (nc_path_join(path, sizeof(path), f->path, key))
		return NC_EINVAL;
	return f->plat.store.ops->rm(f->plat.store.ctx, t, path);
}

/* Where a queue's keys go: the device directory itself with one queue,
 * else its queue-N subdirectory (Linux's layout). */
struct qdir {
	char name[16];                        /* "" or "queue-N" */
	char path[NC_FRONT_PATH_MAX + 16];
};

static int queue_dir(const struct nc_front *f, unsigned i, struct qdir *d)
{
	d->name[0] = '\0';
	if (f->nqueues > 1) {
		memcpy(d->name, "queue-", 6);
		nc_utoa(i, d->name + 6);
	}
	return nc_path_join(d->path, sizeof(d->path), f->path,
			    d->name[0] ? d->name : NULL);
}

/* rm_key under a queue's directory. */
static int rm_qkey(struct nc_front *f, nc_txn_t t, const struct qdir *d,
		   const char *key)
{
	char sub[48];

	if (!d->name[0])
		return rm_key(f, t, key);
	if (nc_path_join(sub, sizeof(sub), d->name, key))
		return NC_EINVAL;
	return rm_key(f, t, sub);
}

/* A queue's event channel keys, of the form in use; the other form's
 * removed, so that a backend (which prefers the split keys) never binds
 * ports a previous connection left. */
static int write_ports(struct nc_front *f, nc_txn_t t, const struct qdir *d,
		       const struct nc_front_queue *q)
{
	const struct nc_store *st = &f->plat.store;
	int rc = 0;

	if (!q->have_port_rx) {
		rc |= rm_qkey(f, t, d, "event-channel-tx");
		rc |= rm_qkey(f, t, d, "event-channel-rx");
		return rc | nc_xs_write_uint(st, t, d->path, "event-channel",
					     q->port);
	}
	rc |= rm_qkey(f, t, d, "event-channel");
	rc |= nc_xs_write_uint(st, t, d->path, "event-channel-tx", q->port);
	rc |= nc_xs_write_uint(st, t, d->path, "event-channel-rx",
			       q->port_rx);
	return rc;
}

/* Keys a previous connection may have left: with one queue,
 * multi-queue-num-queues and every queue-N; with several, the device
 * directory's own ring and port keys and the queue-N beyond ours. */
static int rm_stale_layout(struct nc_front *f, nc_txn_t t)
{
	static const char *const flat[] = {
		"tx-ring-ref", "rx-ring-ref", "event-channel",
		"event-channel-tx", "event-channel-rx",
	};
	struct qdir d;
	unsigned i;
	int rc = 0;

	if (f->nqueues > 1) {
		for (i = 0; i < sizeof(flat) / sizeof(flat[0]); i++)
			rc |= rm_key(f, t, flat[i]);
	} else {
		rc |= rm_key(f, t, "multi-queue-num-queues");
	}
	/* queue-N beyond the queues in use (all of them with one). */
	for (i = f->nqueues > 1 ? f->nqueues : 0; i < NC_MAX_QUEUES; i++) {
		memcpy(d.name, "queue-", 6);
		nc_utoa(i, d.name + 6);
		rc |= rm_key(f, t, d.name);
	}
	return rc;
}

static int write_queue_keys(struct nc_front *f, nc_txn_t t)
{
	const struct nc_store *st = &f->plat.store;
	unsigned i;
	int rc = rm_stale_layout(f, t);

	if (f->nqueues > 1)
		rc |= nc_xs_write_uint(st, t, f->path, "multi-queue-num-queues",
				       f->nqueues);
	for (i = 0; i < f->nqueues; i++) {
		const struct nc_front_queue *q = &f->q[i];
		struct qdir d;

		if (queue_dir(f, i, &d))
			return NC_EINVAL;
		rc |= nc_xs_write_uint(st, t, d.path, "tx-ring-ref", q->tx_ref);
		rc |= nc_xs_write_uint(st, t, d.path, "rx-ring-ref", q->rx_ref);
		rc |= write_ports(f, t, &d, q);
	}
	return rc;
}

static int write_keys(struct nc_front *f, nc_txn_t t)
{
	const struct nc_store *st = &f->plat.store;
	int rc = 0, rx_gso = f->feat.sg && !f->cfg.no_gso;

	rc |= write_queue_keys(f, t);
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
static int alloc_ports(struct nc_front *f, struct nc_front_queue *q)
{
	const struct nc_events *ev = &f->plat.events;
	int rc = ev->ops->alloc_unbound(ev->ctx, f->be_domid, &q->port);

	q->have_port = rc == NC_OK;
	if (rc || !f->feat.split_events)
		return rc;
	rc = ev->ops->alloc_unbound(ev->ctx, f->be_domid, &q->port_rx);
	q->have_port_rx = rc == NC_OK;
	return rc;
}

/* How many queues: what we were asked for, within what the backend
 * offers and what the device holds. */
static unsigned queue_count(const struct nc_front *f)
{
	unsigned n = f->cfg.queues ? f->cfg.queues : 1u;

	if (n > f->feat.max_queues)
		n = f->feat.max_queues;
	if (n > NC_MAX_QUEUES)
		n = NC_MAX_QUEUES;
	return n ? n : 1u;
}

/* Every queue's rings, buffers and ports, then each one's RX buffers
 * posted. */
static int connect_queues(struct nc_front *f)
{
	unsigned i;
	int rc = NC_OK;

	f->nqueues = queue_count(f);
	for (i = 0; i < f->nqueues && !rc; i++) {
		struct nc_front_queue *q = &f->q[i];

		rc = share_rings(f, q);
		if (!rc)
			rc = share_buffers(f, q);
		if (!rc)
			rc = alloc_ports(f, q);
	}
	return rc;
}

static int connect_backend(struct nc_front *f)
{
	int rc = read_features(f);
	unsigned i;

	if (!rc)
		rc = connect_queues(f);
	if (!rc)
		rc = nc_front_ctrl_setup(f);
	if (!rc) {
		for (i = 0; i < f->nqueues; i++) {
			nc_front_tx_reset(&f->q[i]);
			nc_front_rx_post(&f->q[i]);
			nc_front_notify(f, &f->q[i]);
		}
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

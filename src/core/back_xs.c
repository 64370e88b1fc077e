/*
 * back_xs.c - netback's xenstore handshake.
 *
 *   init: read `frontend` and `frontend-id` from our directory, publish
 *         our features, InitWait (or, when a previous backend left the
 *         frontend connected, Closing + Closed until it lets go), and watch
 *         the frontend's state;
 *   frontend Connected/Initialised: read its keys, map both rings,
 *         bind its event channel, Connected, process the rings;
 *   frontend Initialising after a connection: drop the data path and
 *         offer a new one (InitWait), as Linux's set_backend_state does;
 *   frontend Closing/Closed/gone: release everything, Closing, Closed,
 *         remove our directory.
 *
 * Everything read from the frontend's directory is the frontend's word:
 * parsed strictly (xs.h), bounded, never trusted.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "back_rate.h"
#include "xs.h"

/* What the frontend's directory says about one queue's rings. */
struct fe_rings {
	uint32_t tx_ref, rx_ref, port;
	uint32_t port_rx;      /* split event channels: the RX port */
	int split;
	/* where its keys are: the frontend's directory with one queue,
	 * else its queue-N subdirectory */
	char dir[NC_BACK_PATH_MAX + 16];
};

int ncb_switch_state(struct nc_back *b, int state)
{
	int rc = nc_xs_switch_state(&b->plat.store, b->path, state);

	if (rc == NC_OK)
		b->xb_state = state;
	return rc;
}

/* A required number at dir/key: NC_ENOENT when absent; NC_EINVAL when not
 * plain decimal or above max (the peer's words, xs.h). */
static int read_number(const struct nc_store *st, const char *dir,
		       const char *key, uint32_t max, uint32_t *out)
{
	char buf[16];
	int rc = nc_xs_read(st, NC_TXN_NONE, dir, key, buf, sizeof(buf));

	if (rc < 0)
		return rc == NC_ENOSPC ? NC_EINVAL : rc;
	return nc_parse_uint(buf, max, out) ? NC_EINVAL : NC_OK;
}

/* An optional 0/1-style key of the frontend: absent is 0, any other
 * number is true, anything else NC_EINVAL. */
static int read_flag(const struct nc_back *b, const char *key, int *out)
{
	uint32_t v;
	int rc = nc_xs_read_uint(&b->plat.store, NC_TXN_NONE, b->fe_path, key,
				 UINT32_MAX, 0, &v);

	if (rc == NC_OK)
		*out = v != 0;
	return rc;
}

static int watch_path(const struct nc_back *b, char *buf, size_t len)
{
	return nc_path_join(buf, len, b->fe_path, "state");
}

/* The toolstack's keys in our directory: who the frontend is. */
static int read_identity(struct nc_back *b)
{
	const struct nc_store *st = &b->plat.store;
	uint32_t id;
	int rc;

	/* Domain ids from DOMID_FIRST_RESERVED on name no domain. */
	rc = read_number(st, b->path, "frontend-id", NCB_DOMID_MAX, &id);
	if (rc)
		return rc;
	rc = nc_xs_read(st, NC_TXN_NONE, b->path, "frontend", b->fe_path,
			sizeof(b->fe_path));
	if (rc < 0)
		return rc;
	/* Relative paths would resolve in our own home: absolute only. */
	if (b->fe_path[0] != '/' || b->fe_path[1] == '\0')
		return NC_EINVAL;
	b->fe_domid = (nc_domid_t)id;
	return NC_OK;
}

/* Our features.  Every key is written, 0 included, so that a value a
 * previous backend left cannot be mistaken for ours.  GSO: frames from
 * the frontend are delivered with NC_FRAME_GSO (back_tx.c). */
static int publish_features(struct nc_back *b)
{
	const struct nc_store *st = &b->plat.store;
	const struct { const char *key; uint32_t v; } f[] = {
		{ "feature-rx-copy", 1 },
		{ "feature-rx-flip", 0 },
		{ "feature-sg", b->cfg.no_sg ? 0u : 1u },
		{ "feature-gso-tcpv4", b->cfg.no_gso ? 0u : 1u },
		{ "feature-gso-tcpv6", b->cfg.no_gso ? 0u : 1u },
		{ "feature-split-event-channels",
		  b->cfg.no_split_events ? 0u : 1u },
		{ "feature-ipv6-csum-offload", b->cfg.no_ipv6_csum ? 0u : 1u },
		{ "feature-ctrl-ring", b->cfg.no_ctrl_ring ? 0u : 1u },
		{ "feature-multicast-control", 1 },        /* back_mcast.c */
		{ "feature-dynamic-multicast-control", 1 },
		{ "multi-queue-max-queues",
		  b->cfg.max_queues ? b->cfg.max_queues : 1u },
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		rc = nc_xs_write_uint(st, NC_TXN_NONE, b->path, f[i].key,
				      f[i].v);
		if (rc)
			return rc;
	}
	return NC_OK;
}

/* Watch (on) or stop watching our `rate` key, so a change applies at
 * once as in Linux netback.  Optional: without the watch the key is
 * still read at each connection. */
static void watch_rate(struct nc_back *b, int on)
{
	char wp[NC_BACK_PATH_MAX + 8];
	const struct nc_store *st = &b->plat.store;

	if (on == b->watching_rate ||
	    nc_path_join(wp, sizeof(wp), b->path, "rate"))
		return;
	if (on)
		b->watching_rate = st->ops->watch(st->ctx, wp,
						  NCB_RATE_WATCH_TOKEN) == NC_OK;
	else
		st->ops->unwatch(st->ctx, wp, NCB_RATE_WATCH_TOKEN);
	if (!on)
		b->watching_rate = 0;
}

int ncb_xs_start(struct nc_back *b)
{
	char wp[NC_BACK_PATH_MAX + 8];
	int rc, fe;

	rc = read_identity(b);
	if (rc == NC_OK)
		rc = publish_features(b);
	if (rc == NC_OK)
		rc = watch_path(b, wp, sizeof(wp));
	if (rc)
		return rc;
	fe = nc_xs_read_state(&b->plat.store, b->fe_path);
	b->fe_state = fe;
	if (fe == XenbusStateInitialised || fe == XenbusStateConnected ||
	    fe == XenbusStateClosing) {
		/* A previous backend died with the frontend attached: its
		 * rings and port belong to that connection.  Closing then
		 * Closed make the frontend reset; InitWait follows once it
		 * reads Closed or Initialising (reset_step). */
		b->resetting = 1;
		rc = ncb_switch_state(b, XenbusStateClosing);
		if (rc == NC_OK)
			rc = ncb_switch_state(b, XenbusStateClosed);
	} else {
		rc = ncb_switch_state(b, XenbusStateInitWait);
	}
	if (rc == NC_OK)
		rc = b->plat.store.ops->watch(b->plat.store.ctx, wp,
					      NCB_WATCH_TOKEN);
	if (rc == NC_OK)
		b->watching = 1;
	if (rc == NC_OK)
		watch_rate(b, 1);
	return rc;
}

/* A port key: 1 with *port valid, 0 when absent, -1 when malformed (not
 * a number, 0, or above the largest port). */
static int read_port(const struct nc_back *b, const char *dir,
		     const char *key, uint32_t *port)
{
	int rc = read_number(&b->plat.store, dir, key, NCB_PORT_MAX, port);

	if (rc == NC_ENOENT)
		return 0;
	return rc == NC_OK && *port != 0 ? 1 : -1;
}

/* The frontend's event channels.  Split (event-channel-tx and -rx) when
 * it wrote them, preferred as Linux netback does; else the one
 * event-channel.  Both split keys or neither: one of them alone is a
 * broken frontend, refused.  NULL or what was wrong. */
static const char *read_ports(const struct nc_back *b, struct fe_rings *r)
{
	int tx = read_port(b, r->dir, "event-channel-tx", &r->port);
	int rx = read_port(b, r->dir, "event-channel-rx", &r->port_rx);

	if (tx < 0 || rx < 0)
		return "netback: frontend event-channel-tx/rx malformed";
	if (tx != rx)
		return "netback: frontend wrote one of event-channel-tx/rx";
	r->split = tx;
	if (r->split)
		return NULL;
	if (read_port(b, r->dir, "event-channel", &r->port) != 1)
		return "netback: frontend event-channel missing or malformed";
	r->port_rx = r->port;
	return NULL;
}

/* Queue i's ring keys (in r->dir, set here); NULL or what was wrong. */
static const char *read_rings(const struct nc_back *b, unsigned i,
			      struct fe_rings *r)
{
	const struct nc_store *st = &b->plat.store;
	char sub[16] = "queue-";

	nc_utoa(i, sub + 6);
	if (nc_path_join(r->dir, sizeof(r->dir), b->fe_path,
			 b->nqueues > 1 ? sub : NULL))
		return "netback: frontend path too long";
	if (read_number(st, r->dir, "tx-ring-ref", UINT32_MAX, &r->tx_ref))
		return "netback: frontend tx-ring-ref missing or malformed";
	if (read_number(st, r->dir, "rx-ring-ref", UINT32_MAX, &r->rx_ref))
		return "netback: frontend rx-ring-ref missing or malformed";
	return read_ports(b, r);
}

/* The frontend's requests and features; NULL or what was wrong.  *value
 * gets the offending number for the log line. */
static const char *read_features(struct nc_back *b, long *value)
{
	uint32_t v = 0;
	int no_csum = 0;

	*value = 0;
	/* Only copying receivers are served (feature-rx-flip is 0). */
	if (nc_xs_read_uint(&b->plat.store, NC_TXN_NONE, b->fe_path,
			    "request-rx-copy", UINT32_MAX, 0, &v) || v != 1) {
		*value = (long)v;
		return "netback: frontend does not request rx-copy";
	}
	/* Absent: one queue, keys in its directory.  More than we offered
	 * (or 0, or garbage) is refused, as Linux netback refuses it. */
	if (nc_xs_read_uint(&b->plat.store, NC_TXN_NONE, b->fe_path,
			    "multi-queue-num-queues", UINT32_MAX, 1, &v) ||
	    v == 0 || v > (b->cfg.max_queues ? b->cfg.max_queues : 1u)) {
		*value = (long)v;
		return "netback: frontend asks for more queues than offered";
	}
	b->nqueues = v;
	if (read_flag(b, "feature-sg", &b->fe_sg) ||
	    read_flag(b, "feature-rx-notify", &b->fe_rx_notify) ||
	    read_flag(b, "feature-no-csum-offload", &no_csum) ||
	    read_flag(b, "feature-gso-tcpv4", &b->fe_gso_tcpv4) ||
	    read_flag(b, "feature-gso-tcpv6", &b->fe_gso_tcpv6) ||
	    read_flag(b, "feature-ipv6-csum-offload", &b->fe_ipv6_csum))
		return "netback: frontend feature key malformed";
	b->fe_csum_offload = !no_csum;
	return NULL;
}

/* Map both ring pages writable and attach to them.  They are never
 * re-initialised: the frontend set them up and may have posted requests
 * already (RX buffers).  We attach at the response producer it holds,
 * read once; a bogus value only makes the first request-producer check
 * (NC_BACK_REQUESTS) disable the vif.  NULL, or what failed. */
static const char *map_rings(struct nc_back *b, struct nc_back_q *q,
			     const struct fe_rings *r, long *value)
{
	const struct nc_grants *g = &b->plat.grants;
	netif_tx_sring_t *ts;
	netif_rx_sring_t *rs;
	RING_IDX t, x;

	*value = (long)r->tx_ref;
	q->tx_map = g->ops->map(g->ctx, b->fe_domid, 1, &r->tx_ref, 1);
	if (!q->tx_map)
		return "netback: cannot map the frontend's tx ring; gref";
	*value = (long)r->rx_ref;
	q->rx_map = g->ops->map(g->ctx, b->fe_domid, 1, &r->rx_ref, 1);
	if (!q->rx_map)
		return "netback: cannot map the frontend's rx ring; gref";
	ts = q->tx_map;
	rs = q->rx_map;
	t = nc_ring_load(&ts->rsp_prod);
	x = nc_ring_load(&rs->rsp_prod);
	BACK_RING_ATTACH(&q->tx, ts, t, NC_PAGE_SIZE);
	BACK_RING_ATTACH(&q->rx, rs, x, NC_PAGE_SIZE);
	q->tx_published = t;
	q->rx_published = x;
	return NULL;
}

/* The toolstack's `rate` key (our directory) as a credit and a window,
 * 0 and 0 for unlimited: absent, 0 or malformed is unlimited, as Linux
 * netback reads it.  *why names what made a set key void, or is NULL. */
static void rate_key(const struct nc_back *b, uint64_t *bytes,
		     uint64_t *usec, const char **why)
{
	char buf[48];
	int rc = nc_xs_read(&b->plat.store, NC_TXN_NONE, b->path, "rate", buf,
			    sizeof(buf));

	*bytes = 0;
	*usec = 0;
	*why = NULL;
	if (rc == NC_ENOSPC ||
	    (rc >= 0 && nc_back_parse_rate(buf, bytes, usec) != NC_OK)) {
		*bytes = 0;
		*usec = 0;
		*why = "netback: rate key malformed; traffic unlimited";
	} else if (*bytes && *usec && !b->cfg.clock_us) {
		*bytes = 0;
		*why = "netback: rate key set but no clock; not enforced";
	}
}

/* Put the `rate` key in force: at each connection, and on its watch
 * (changed_only) when it differs from the one in force, since the watch
 * also fires once when set and a mere re-read must not refill the
 * credit. */
static void read_rate(struct nc_back *b, int changed_only)
{
	struct nc_back_rate next;
	uint64_t bytes, usec, now = 0;
	const char *why;

	unsigned i;

	rate_key(b, &bytes, &usec, &why);
	if (b->cfg.clock_us)
		now = b->cfg.clock_us(b->cfg.clock_arg);
	nc_rate_init(&next, bytes, usec, now);
	if (changed_only && next.credit_bytes == b->q[0].rate.credit_bytes &&
	    next.credit_usec == b->q[0].rate.credit_usec)
		return;
	if (why)
		ncb_log(b, why, 0);
	for (i = 0; i < b->nqueues; i++)
		b->q[i].rate = next;
}

void ncb_rate_changed(struct nc_back *b)
{
	if (b->state == NC_BACK_CONNECTED)
		read_rate(b, 1);
}

/* Bind a queue's port(s): 0, or -1 (logged, vif disabled). */
static int bind_ports(struct nc_back *b, struct nc_back_q *q,
		      const struct fe_rings *r)
{
	const struct nc_events *ev = &b->plat.events;

	if (ev->ops->bind_interdomain(ev->ctx, b->fe_domid, r->port,
				      &q->port)) {
		ncb_fail(b, &b->stats.rx, NC_R_BAD_GREF,
			 "netback: cannot bind the frontend's event-channel",
			 (long)r->port);
		return -1;
	}
	q->have_port = 1;
	if (!r->split)
		return 0;
	if (ev->ops->bind_interdomain(ev->ctx, b->fe_domid, r->port_rx,
				      &q->port_rx)) {
		ncb_fail(b, &b->stats.rx, NC_R_BAD_GREF,
			 "netback: cannot bind the frontend's event-channel-rx",
			 (long)r->port_rx);
		return -1;
	}
	q->have_port_rx = 1;
	return 0;
}

/* Queue i: its keys read, its rings mapped, its ports bound; 0, or -1
 * (logged, vif disabled). */
static int connect_queue(struct nc_back *b, unsigned i)
{
	struct nc_back_q *q = &b->q[i];
	struct fe_rings r;
	const char *why;
	long value;

	why = read_rings(b, i, &r);
	if (why) {
		ncb_fail(b, &b->stats.rx, NC_R_BAD_GREF, why, (long)i);
		return -1;
	}
	why = map_rings(b, q, &r, &value);
	if (why) {
		ncb_fail(b, &b->stats.rx, NC_R_BAD_GREF, why, value);
		return -1;
	}
	return bind_ports(b, q, &r);
}

static void fe_connect(struct nc_back *b)
{
	const char *why;
	long value;
	unsigned i;

	why = read_features(b, &value);
	if (why) {
		ncb_fail(b, NULL, NC_R_NONE, why, value);
		return;
	}
	ncb_rxq_share(b);
	for (i = 0; i < b->nqueues; i++)
		if (connect_queue(b, i))
			return;
	if (ncb_ctrl_connect(b))        /* optional control ring */
		return;
	read_rate(b, 0);
	ncb_mcast_connect(b);
	ncb_switch_state(b, XenbusStateConnected);
	b->state = NC_BACK_CONNECTED;
	b->stats.connects++;
	ncb_work(b);    /* requests posted before we came */
}

/* Unmap, unbind, forget the rings, drop what was queued. */
void ncb_release_data_path(struct nc_back *b)
{
	const struct nc_grants *g = &b->plat.grants;

	/* Pages first, ports after: our frontend takes a closed event
	 * channel for a backend that is gone and revokes its grants at once;
	 * anything still mapped then would be quarantined (XSA-396). */
	unsigned i;

	ncb_ctrl_release(b);
	for (i = 0; i < NC_MAX_QUEUES; i++) {
		struct nc_back_q *q = &b->q[i];

		if (q->tx_map)
			g->ops->unmap(g->ctx, q->tx_map, 1);
		if (q->rx_map)
			g->ops->unmap(g->ctx, q->rx_map, 1);
		q->tx_map = NULL;
		q->rx_map = NULL;
	}
	for (i = 0; i < NC_MAX_QUEUES; i++) {
		struct nc_back_q *q = &b->q[i];

		if (q->have_port)
			b->plat.events.ops->unbind(b->plat.events.ctx,
						   q->port);
		if (q->have_port_rx)
			b->plat.events.ops->unbind(b->plat.events.ctx,
						   q->port_rx);
		q->have_port = 0;
		q->have_port_rx = 0;
		memset(&q->rate, 0, sizeof(q->rate));
		memset(&q->tx, 0, sizeof(q->tx));
		memset(&q->rx, 0, sizeof(q->rx));
		q->need_notify = 0;
		q->ntxpend = 0;
		q->txpend_segs = 0;
		q->txpend_bytes = 0;
	}
	ncb_mcast_disconnect(b);
	ncb_rxq_flush_all(b);
}

void ncb_teardown(struct nc_back *b, enum nc_back_state final)
{
	char wp[NC_BACK_PATH_MAX + 8];

	ncb_release_data_path(b);
	/* Closing then Closed, the sequence a frontend waits for. */
	if (b->xb_state != XenbusStateClosing &&
	    b->xb_state != XenbusStateClosed)
		ncb_switch_state(b, XenbusStateClosing);
	if (b->xb_state != XenbusStateClosed)
		ncb_switch_state(b, XenbusStateClosed);
	if (b->watching && watch_path(b, wp, sizeof(wp)) == NC_OK)
		b->plat.store.ops->unwatch(b->plat.store.ctx, wp,
					   NCB_WATCH_TOKEN);
	b->watching = 0;
	watch_rate(b, 0);
	b->plat.store.ops->rm(b->plat.store.ctx, NC_TXN_NONE, b->path);
	b->state = final;
}

/* Stale connection at start: wait until the frontend let go. */
static void reset_step(struct nc_back *b, int fe)
{
	if (fe != XenbusStateClosed && fe != XenbusStateInitialising &&
	    fe != XenbusStateUnknown)
		return;
	if (ncb_switch_state(b, XenbusStateInitWait))
		return;                 /* retried on the next watch */
	b->resetting = 0;
	b->fe_seen = fe == XenbusStateInitialising;
}

static void fe_alive(struct nc_back *b)
{
	b->fe_seen = 1;
	if (b->state != NC_BACK_CONNECTED)
		return;
	/* The frontend started over without closing: its old rings are
	 * gone from under us.  Offer a new connection. */
	ncb_release_data_path(b);
	ncb_switch_state(b, XenbusStateInitWait);
	b->state = NC_BACK_INIT;
}

static void fe_gone(struct nc_back *b)
{
	/* A frontend not yet started may sit in Closed: wait for it. */
	if (b->state == NC_BACK_INIT && !b->fe_seen)
		return;
	ncb_teardown(b, NC_BACK_CLOSED);
}

void ncb_xs_frontend_changed(struct nc_back *b)
{
	int fe;

	if (b->state == NC_BACK_CLOSED || b->state == NC_BACK_STOPPED)
		return;
	/* An absent or malformed state reads as Closed (xs.h). */
	fe = nc_xs_read_state(&b->plat.store, b->fe_path);
	b->fe_state = fe;
	if (b->resetting) {
		reset_step(b, fe);
		return;
	}
	switch (fe) {
	case XenbusStateInitialising:
	case XenbusStateInitWait:
		fe_alive(b);
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		b->fe_seen = 1;
		if (b->state == NC_BACK_INIT)
			fe_connect(b);
		break;
	case XenbusStateUnknown:
	case XenbusStateClosing:
	case XenbusStateClosed:
		fe_gone(b);
		break;
	default:                        /* Reconfiguring: not supported */
		break;
	}
}

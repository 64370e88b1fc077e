/*
 * front.c - netfront's life: init, poll, events, close, accounting.
 */
#include <string.h>

#include "front_internal.h"
#include "xs.h"

void nc_front_log(struct nc_front *f, const char *what, long value)
{
	if (f->cfg.log)
		f->cfg.log(f->cfg.log_arg, what, value);
}

void nc_front_count_drop(struct nc_dir_stats *d, enum nc_reason why)
{
	if (why == NC_R_PEER_ERROR || why == NC_R_BAD_STATUS ||
	    why == NC_R_BAD_GREF || why == NC_R_CROSS_PAGE)
		d->errors++;
	else
		d->dropped++;
	d->reason[why < NC_R_MAX ? why : NC_R_NONE]++;
}

void nc_front_break(struct nc_front *f, enum nc_reason why)
{
	if (f->state == NC_FRONT_BROKEN)
		return;
	/* One log line, one counter; the rings are not read again. */
	nc_front_log(f, "backend broke the protocol, vif disabled: reason",
		     (long)why);
	f->stats.rx.reason[why < NC_R_MAX ? why : NC_R_NONE]++;
	f->stats.rx.errors++;
	f->state = NC_FRONT_BROKEN;
	nc_xs_switch_state(&f->plat.store, f->path, XenbusStateClosing);
}

static int read_device_keys(struct nc_front *f)
{
	char buf[NC_FRONT_PATH_MAX];
	uint32_t v;

	if (nc_xs_read(&f->plat.store, NC_TXN_NONE, f->path, "backend",
		       f->be_path, sizeof(f->be_path)) < 0 ||
	    f->be_path[0] != '/')
		return NC_EINVAL;
	if (nc_xs_read_uint(&f->plat.store, NC_TXN_NONE, f->path,
			    "backend-id", 0x7FEF, 0, &v))
		return NC_EINVAL;
	f->be_domid = (nc_domid_t)v;
	if (nc_xs_read(&f->plat.store, NC_TXN_NONE, f->path, "mac", buf,
		       sizeof(buf)) < 0 || nc_parse_mac(buf, f->mac))
		return NC_EINVAL;
	if (nc_xs_read_uint(&f->plat.store, NC_TXN_NONE, f->path, "mtu",
			    65535, 1500, &v) || v < 68)
		return NC_EINVAL;
	f->mtu = v;
	if (nc_xs_read_uint(&f->plat.store, NC_TXN_NONE, f->path, "trusted",
			    1, 1, &v))
		return NC_EINVAL;
	f->trusted = (int)v && !f->cfg.untrusted;
	return NC_OK;
}

int nc_front_init(struct nc_front *f, const struct nc_platform *plat,
		  const struct nc_front_config *cfg)
{
	char watch[NC_FRONT_PATH_MAX + 8];
	int rc;

	memset(f, 0, sizeof(*f));
	f->plat = *plat;
	f->cfg = *cfg;
	f->cfg.path = NULL;
	if (!cfg->path || nc_path_join(f->path, sizeof(f->path), cfg->path,
				       NULL))
		return NC_EINVAL;
	rc = read_device_keys(f);
	if (rc)
		return rc;
	nc_front_queues_reset(f);
	rc = nc_xs_switch_state(&f->plat.store, f->path,
				XenbusStateInitialising);
	if (rc)
		return rc;
	if (nc_path_join(watch, sizeof(watch), f->be_path, "state"))
		return NC_EINVAL;
	rc = f->plat.store.ops->watch(f->plat.store.ctx, watch,
				      NC_FRONT_WATCH_TOKEN);
	if (rc)
		return rc;
	f->watching_be = 1;
	f->state = NC_FRONT_INIT;
	return NC_OK;
}

void nc_front_handle_watch(struct nc_front *f, const char *path,
			   const char *token)
{
	(void)path;
	if (strcmp(token, NC_FRONT_WATCH_TOKEN) == 0)
		nc_front_evaluate(f);
}

static void notify_port(struct nc_front *f, struct nc_front_queue *q,
			nc_port_t port)
{
	f->plat.events.ops->notify(f->plat.events.ctx, port);
	q->stats.events_out++;
}

/* Publish a queue's rings' producers; notify once if the backend asked
 * (with split event channels: each ring on its own port). */
void nc_front_notify(struct nc_front *f, struct nc_front_queue *q)
{
	int tx, rx;

	/* Nothing new: no index store, no full barrier. */
	if (q->tx.req_prod_pvt == q->tx_published &&
	    q->rx.req_prod_pvt == q->rx_published)
		return;
	tx = NC_FRONT_PUBLISH(&q->tx, q->tx_published);
	rx = NC_FRONT_PUBLISH(&q->rx, q->rx_published);

	q->tx_published = q->tx.req_prod_pvt;
	q->rx_published = q->rx.req_prod_pvt;
	if (!q->have_port)
		return;
	if (q->have_port_rx) {
		if (tx)
			notify_port(f, q, q->port);
		if (rx)
			notify_port(f, q, q->port_rx);
	} else if (tx || rx) {
		notify_port(f, q, q->port);
	}
}

static int data_path_up(const struct nc_front *f)
{
	return f->state == NC_FRONT_CONNECTED ||
	       f->state == NC_FRONT_CONNECTING;
}

/* Process one queue's rings until idle or out of budget; 1 if work
 * remains. */
static int process_queue(struct nc_front *f, struct nc_front_queue *q)
{
	unsigned rounds;

	for (rounds = 0; rounds < 4; rounds++) {
		int more;

		if (!data_path_up(f))
			return 0;
		nc_front_tx_complete(f, q);
		if (f->cfg.rx)
			nc_front_rx_process(f, q, NC_FRONT_POLL_BUDGET, NULL);
		if (!data_path_up(f))
			return 0;
		nc_front_notify(f, q);
		/* Sleep only after arming both event indices and looking
		 * again (the final check).  A busy poller only looks: with
		 * the indices unarmed the backend never notifies. */
		if (f->cfg.busy_poll) {
			more = NC_FRONT_PEEK(&q->tx);
			if (f->cfg.rx)
				more |= NC_FRONT_PEEK(&q->rx);
		} else {
			more = NC_FRONT_FINAL_CHECK(&q->tx);
			if (f->cfg.rx)
				more |= NC_FRONT_FINAL_CHECK(&q->rx);
		}
		if (!more)
			return 0;
	}
	return 1;
}

/* Every queue's rings; 1 if work remains on any. */
static int process_rings(struct nc_front *f)
{
	unsigned i;
	int more = 0;

	for (i = 0; i < f->nqueues && data_path_up(f); i++)
		more |= process_queue(f, &f->q[i]);
	return more && data_path_up(f);
}

int nc_front_poll_queue(struct nc_front *f, unsigned queue)
{
	if (queue >= f->nqueues)
		return 0;
	return process_queue(f, &f->q[queue]);
}

void nc_front_handle_event(struct nc_front *f)
{
	f->stats.events_in++;
	process_rings(f);
}

/* Whether `port` is one of the data path's (any queue's). */
static int data_port(const struct nc_front *f, nc_port_t port)
{
	unsigned i;

	for (i = 0; i < f->nqueues; i++) {
		const struct nc_front_queue *q = &f->q[i];

		if ((q->have_port && port == q->port) ||
		    (q->have_port_rx && port == q->port_rx))
			return 1;
	}
	return 0;
}

int nc_front_poll(struct nc_front *f)
{
	char path[NC_STORE_MAX_PATH], token[32];
	nc_port_t port;
	int got = 0;

	/* A busy poller reads the fds once in NC_BUSY_POLL_CONTROL calls
	 * (no event index is armed: nothing there is data path work). */
	if (f->cfg.busy_poll && f->state == NC_FRONT_CONNECTED &&
	    ++f->polls < NC_BUSY_POLL_CONTROL)
		return process_rings(f);
	f->polls = 0;
	while (f->plat.store.ops->read_watch(f->plat.store.ctx, path,
					     sizeof(path), token,
					     sizeof(token)) > 0)
		nc_front_handle_watch(f, path, token);
	for (;;) {
		int rc = f->plat.events.ops->pending(f->plat.events.ctx, &port);

		if (rc <= 0)
			break;
		got = 1;
		/* Any data port closing means the backend's process is
		 * gone. */
		if (rc == 2 && data_port(f, port))
			nc_front_peer_closed(f);
	}
	if (got)
		f->stats.events_in++;
	return process_rings(f);
}

void nc_front_close(struct nc_front *f)
{
	switch (f->state) {
	case NC_FRONT_CONNECTING:
	case NC_FRONT_CONNECTED:
	case NC_FRONT_BROKEN:
		nc_xs_switch_state(&f->plat.store, f->path,
				   XenbusStateClosing);
		f->state = NC_FRONT_CLOSING;
		nc_front_evaluate(f);   /* the backend may be gone already */
		break;
	case NC_FRONT_CLOSING:
	case NC_FRONT_STOPPED:
		break;
	default:
		nc_front_destroy(f);
	}
}

void nc_front_destroy(struct nc_front *f)
{
	char watch[NC_FRONT_PATH_MAX + 8];

	nc_front_teardown(f);
	if (f->state != NC_FRONT_STOPPED)
		nc_xs_switch_state(&f->plat.store, f->path,
				   XenbusStateClosed);
	if (f->watching_be &&
	    !nc_path_join(watch, sizeof(watch), f->be_path, "state"))
		f->plat.store.ops->unwatch(f->plat.store.ctx, watch,
					   NC_FRONT_WATCH_TOKEN);
	f->watching_be = 0;
	f->state = NC_FRONT_STOPPED;
}

enum nc_front_state nc_front_state(const struct nc_front *f)
{
	return f->state;
}

const struct nc_vif_stats *nc_front_stats(struct nc_front *f)
{
	unsigned i;

	f->total = f->stats;
	for (i = 0; i < NC_MAX_QUEUES; i++)
		nc_vif_stats_add(&f->total, &f->q[i].stats);
	return &f->total;
}

const struct nc_vif_stats *nc_front_queue_stats(const struct nc_front *f,
						unsigned queue)
{
	return queue < NC_MAX_QUEUES ? &f->q[queue].stats : NULL;
}

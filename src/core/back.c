/*
 * back.c - netback's entry points: init, the poll loop's work function,
 * watch and event dispatch, disable, close, and the accounting helpers the
 * other back_*.c files share.
 *
 * Freestanding: no libc beyond the mem and str functions, no allocation, no global state.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "back_rate.h"

void ncb_log(const struct nc_back *b, const char *what, long value)
{
	if (b->cfg.log)
		b->cfg.log(b->cfg.log_arg, what, value);
}

/* Every drop is counted with its reason: what the peer got wrong is an
 * error, what we had no room or no way to carry is a drop. */
void ncb_count(struct nc_dir_stats *dir, enum nc_reason why)
{
	if ((unsigned)why >= (unsigned)NC_R_MAX)
		why = NC_R_NONE;
	switch (why) {
	case NC_R_QUEUE_FULL:
	case NC_R_NOT_CONNECTED:
	case NC_R_TOO_BIG:
	case NC_R_CSUM:
		dir->dropped++;
		break;
	default:
		dir->errors++;
		break;
	}
	dir->reason[why]++;
}

/*
 * Security invariant (XSA-39, XSA-90): a frontend that breaks the protocol
 * costs one log line and one counter, then the vif is disabled: state
 * Closing, the rings are never read again (ncb_work runs only while
 * connected), events are consumed and ignored.  Mappings and the port stay
 * until the frontend closes or nc_back_close, which release them.
 */
void ncb_fail(struct nc_back *b, struct nc_dir_stats *dir,
	      enum nc_reason why, const char *what, long value)
{
	int connecting = b->state == NC_BACK_INIT;

	if (b->state != NC_BACK_INIT && b->state != NC_BACK_CONNECTED)
		return;                 /* disabled once, logged once */
	/* A connection refused part way (a queue's keys or grants wrong
	 * after others were mapped) lets go of what it mapped before the
	 * frontend reads Closing, as Linux netback's failed connect does:
	 * a frontend revoking then finds nothing mapped (XSA-396). */
	if (connecting)
		ncb_release_data_path(b);
	ncb_log(b, what, value);
	if (dir && why != NC_R_NONE)
		ncb_count(dir, why);
	b->disable_reason = why;
	b->state = NC_BACK_DISABLED;
	ncb_rxq_flush_all(b);
	ncb_switch_state(b, XenbusStateClosing);
}

static void notify_port(struct nc_back *b, struct nc_back_q *q,
			nc_port_t port)
{
	if (b->plat.events.ops->notify(b->plat.events.ctx, port) == NC_OK)
		q->stats.events_out++;
}

void ncb_kick(struct nc_back *b, struct nc_back_q *q)
{
	int want = q->need_notify;

	if (!want || !q->have_port)
		return;
	q->need_notify = 0;
	if (!q->have_port_rx) {         /* one port for both rings */
		notify_port(b, q, q->port);
		return;
	}
	/* Split event channels: TX-ring answers on the TX port, RX-ring
	 * frames on the RX port (the frontend sleeps on each separately). */
	if (want & NCB_NOTIFY_TX)
		notify_port(b, q, q->port);
	if (want & NCB_NOTIFY_RX)
		notify_port(b, q, q->port_rx);
}

/* The credit scheduler's verdict on a frame of `size` bytes from the
 * frontend: 1 when it may go now (charged), 0 when it waits. */
int ncb_rate_admit(struct nc_back *b, struct nc_back_q *q, uint32_t size)
{
	if (!nc_rate_limited(&q->rate) || size == 0 || !b->cfg.clock_us)
		return 1;
	return nc_rate_admit(&q->rate, size,
			     b->cfg.clock_us(b->cfg.clock_arg));
}

/* The earliest time a queue's frame waits for. */
int nc_back_next_poll(const struct nc_back *b, uint64_t *when_us)
{
	unsigned i;
	int any = 0;

	if (!b || !when_us || b->state != NC_BACK_CONNECTED)
		return 0;
	for (i = 0; i < b->nqueues; i++) {
		uint64_t t;

		if (nc_rate_next(&b->q[i].rate, &t) && (!any || t < *when_us)) {
			*when_us = t;
			any = 1;
		}
	}
	return any;
}

int ncb_queue_work(struct nc_back *b, struct nc_back_q *q)
{
	int more = 0;

	if (b->state == NC_BACK_CONNECTED)
		more |= ncb_tx_work(b, q);
	if (b->state == NC_BACK_CONNECTED)
		more |= ncb_rx_work(b, q);
	ncb_kick(b, q);
	return b->state == NC_BACK_CONNECTED && more;
}

int ncb_work(struct nc_back *b)
{
	unsigned i;
	int more = 0;

	for (i = 0; i < b->nqueues; i++)
		more |= ncb_queue_work(b, &b->q[i]);
	if (b->state == NC_BACK_CONNECTED)
		more |= ncb_ctrl_work(b);
	return b->state == NC_BACK_CONNECTED && more;
}

int nc_back_poll_queue(struct nc_back *b, unsigned queue)
{
	if (queue >= b->nqueues)
		return 0;
	return ncb_queue_work(b, &b->q[queue]);
}

unsigned nc_back_num_queues(const struct nc_back *b)
{
	return b->nqueues ? b->nqueues : 1u;
}

void ncb_queues_reset(struct nc_back *b)
{
	unsigned i;

	for (i = 0; i < NC_MAX_QUEUES; i++)
		b->q[i].index = i;
	if (b->nqueues == 0)
		b->nqueues = 1;
}

/* The RX queue's bounds: the config's, or the defaults, never above the
 * compile-time maxima the entry array and NC_BACK_RXQ_MAX_BYTES fix.
 * The storage goes to queue 0 until a frontend says how many it uses. */
static void rxq_setup(struct nc_back *b, uint8_t *storage)
{
	unsigned frames = b->cfg.rxq_frames ? b->cfg.rxq_frames
					    : NCB_RXQ_DEFAULT_FRAMES;
	unsigned bytes = b->cfg.rxq_bytes ? b->cfg.rxq_bytes
					  : NCB_RXQ_DEFAULT_BYTES;

	if (frames > NC_BACK_RXQ_MAX_FRAMES)
		frames = NC_BACK_RXQ_MAX_FRAMES;
	if (bytes > NC_BACK_RXQ_MAX_BYTES)
		bytes = NC_BACK_RXQ_MAX_BYTES;
	b->cfg.rxq_frames = frames;
	b->cfg.rxq_bytes = bytes;
	if (b->cfg.max_queues > NC_MAX_QUEUES)
		b->cfg.max_queues = NC_MAX_QUEUES;
	b->rxq_storage = storage;
	b->nqueues = 1;
	ncb_queues_reset(b);
	ncb_rxq_share(b);
}

int nc_back_init(struct nc_back *b, const struct nc_platform *plat,
		 const struct nc_back_config *cfg, uint8_t *rxq_storage)
{
	size_t n;
	int rc;

	if (!b || !plat || !cfg || !cfg->path || !rxq_storage)
		return NC_EINVAL;
	n = strlen(cfg->path);
	if (n == 0 || n >= NC_BACK_PATH_MAX)
		return NC_EINVAL;
	memset(b, 0, sizeof(*b));
	b->plat = *plat;
	b->cfg = *cfg;
	memcpy(b->path, cfg->path, n + 1);
	b->cfg.path = b->path;  /* never keep the caller's pointer */
	rxq_setup(b, rxq_storage);
	b->state = NC_BACK_STOPPED;
	rc = ncb_xs_start(b);
	if (rc == NC_OK)
		b->state = NC_BACK_INIT;
	return rc;
}

/* Fired watches, a bounded number per call.  A path or token too long for
 * our buffers cannot be ours to ignore safely, so it is treated as our
 * watch: re-reading the frontend's state is idempotent. */
static int drain_watches(struct nc_back *b)
{
	char path[NC_BACK_PATH_MAX + 16], token[32];
	unsigned i;

	for (i = 0; i < NCB_MAX_DRAIN; i++) {
		int rc = b->plat.store.ops->read_watch(b->plat.store.ctx, path,
						       sizeof(path), token,
						       sizeof(token));

		if (rc == 1)
			nc_back_handle_watch(b, path, token);
		else if (rc == NC_ENOSPC)
			ncb_xs_frontend_changed(b);
		else
			return 0;
	}
	return 1;
}

/* Whether `port` is one of ours: a queue's one port, or either split
 * one, or the control ring's. */
static int our_port(const struct nc_back *b, nc_port_t port)
{
	unsigned i;

	for (i = 0; i < b->nqueues; i++) {
		const struct nc_back_q *q = &b->q[i];

		if ((q->have_port && port == q->port) ||
		    (q->have_port_rx && port == q->port_rx))
			return 1;
	}
	return ncb_ctrl_port(b, port);
}

/* Pending ports, a bounded number per call.  XSA-332/391: an event costs
 * one read; one for a disabled or closed vif is consumed and ignored. */
static int drain_events(struct nc_back *b)
{
	unsigned i;

	for (i = 0; i < NCB_MAX_DRAIN; i++) {
		nc_port_t port;

		int rc = b->plat.events.ops->pending(b->plat.events.ctx, &port);

		if (rc != 1 && rc != 2)
			return 0;
		if (!our_port(b, port))
			continue;
		b->stats.events_in++;
		if (rc == 2) {
			/* The frontend's end closed: its process is gone. */
			ncb_log(b, "frontend's event channel closed", 0);
			ncb_teardown(b, NC_BACK_CLOSED);
			return 0;
		}
	}
	return 1;
}

int nc_back_poll(struct nc_back *b)
{
	int more;

	if (b->state == NC_BACK_STOPPED)
		return 0;
	/* A busy poller reads the fds (a syscall or two each) once in
	 * NC_BUSY_POLL_CONTROL calls: nothing on them is data path work
	 * when no event index is armed. */
	if (b->cfg.busy_poll && b->state == NC_BACK_CONNECTED &&
	    ++b->polls < NC_BUSY_POLL_CONTROL)
		return ncb_work(b);
	b->polls = 0;
	more = drain_watches(b);
	more |= drain_events(b);
	more |= ncb_work(b);
	return more ? 1 : 0;
}

void nc_back_handle_watch(struct nc_back *b, const char *path,
			  const char *token)
{
	(void)path;  /* one watch per key: its token says it all */
	if (token && strcmp(token, NCB_RATE_WATCH_TOKEN) == 0) {
		ncb_rate_changed(b);
		return;
	}
	if (token && strcmp(token, NCB_MCAST_WATCH_TOKEN) == 0) {
		ncb_mcast_changed(b);
		return;
	}
	if (!token || strcmp(token, NCB_WATCH_TOKEN) != 0)
		return;
	ncb_xs_frontend_changed(b);
}

void nc_back_handle_event(struct nc_back *b)
{
	b->stats.events_in++;
	ncb_work(b);
}

/* The one log line of a disabled vif: what the frontend did. */
static const char *fatal_what(enum nc_reason why)
{
	switch (why) {
	case NC_R_CROSS_PAGE:
		return "netback: TX fragment crosses its page, vif disabled";
	case NC_R_FATAL_SLOTS:
		return "netback: TX frame of hostile slot count, vif disabled";
	case NC_R_TRUNCATED:
		return "netback: TX frame past the producer, vif disabled";
	case NC_R_BAD_EXTRA:
		return "netback: TX extra-info of bad type, vif disabled";
	case NC_R_BAD_GSO:
		return "netback: TX GSO extra malformed, vif disabled";
	case NC_R_RING_OVERFLOW:
		return "netback: TX req_prod beyond the ring, vif disabled";
	default:
		return "netback: frontend broke the protocol, vif disabled";
	}
}

void nc_back_disable(struct nc_back *b, enum nc_reason why)
{
	ncb_fail(b, &b->stats.rx, why, fatal_what(why), (long)why);
}

void nc_back_close(struct nc_back *b)
{
	if (b->state == NC_BACK_STOPPED)
		return;
	if (b->state == NC_BACK_CLOSED) {
		b->state = NC_BACK_STOPPED;   /* torn down already */
		return;
	}
	ncb_teardown(b, NC_BACK_STOPPED);
}

enum nc_back_state nc_back_state(const struct nc_back *b)
{
	return b->state;
}

const struct nc_vif_stats *nc_back_stats(struct nc_back *b)
{
	unsigned i;

	b->total = b->stats;
	for (i = 0; i < NC_MAX_QUEUES; i++)
		nc_vif_stats_add(&b->total, &b->q[i].stats);
	return &b->total;
}

const struct nc_vif_stats *nc_back_queue_stats(const struct nc_back *b,
					       unsigned queue)
{
	return queue < NC_MAX_QUEUES ? &b->q[queue].stats : NULL;
}

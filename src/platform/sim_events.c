/*
 * sim_events.c - event-channel ops of the simulator platform.
 *
 * Each port is an eventfd the daemon made: ours is readable when the
 * port has an event; notify writes 1 to the peer's (no daemon round
 * trip).  Many notifies before a pending() add up in the eventfd's
 * counter and are taken by one read: an event storm costs one wakeup.
 *
 * fd() is an epoll set over our ports' eventfds, the platform socket (the
 * daemon's notices: a port bound, a peer closed) and notice_fd (readable
 * while "peer closed" reports wait to be taken by pending()).
 *
 * Rules (the daemon enforces binding and closing; these are local):
 *   notify on a port this handle does not hold is NC_EBADF;
 *   notify on a port whose peer closed (or that was never bound) is
 *   NC_ENOTCONN, once the daemon's notice has been read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "sim_internal.h"

/* Readiness checks per pending() call, so it always returns. */
#define SC_PENDING_TRIES 64u

static struct sc_port *own_port(struct nc_sim_handle *h, nc_port_t port)
{
	if (!h->ports || port == 0 || port >= h->max_ports ||
	    h->ports[port].state == SC_PORT_FREE)
		return NULL;
	return &h->ports[port];
}

/* ------------------------------------------------- closed-port reports */

static void closed_push(struct nc_sim_handle *h, nc_port_t port)
{
	uint64_t one = 1;

	/* Each port is queued at most once: the queue never overflows. */
	if (h->ports[port].closed_queued)
		return;
	h->ports[port].closed_queued = 1;
	h->closed_q[(h->cq_head + h->cq_len) % h->max_ports] = port;
	if (h->cq_len++ == 0 && write(h->notice_fd, &one, sizeof(one)) < 0) {
		/* an eventfd at 0 takes a 1: cannot fail */
	}
}

static void notice_reset(struct nc_sim_handle *h)
{
	uint64_t v;

	if (read(h->notice_fd, &v, sizeof(v)) < 0) {
		/* already 0 */
	}
}

static nc_port_t closed_pop(struct nc_sim_handle *h)
{
	nc_port_t port = h->closed_q[h->cq_head];

	h->cq_head = (h->cq_head + 1) % h->max_ports;
	if (--h->cq_len == 0)
		notice_reset(h);
	h->ports[port].closed_queued = 0;
	return port;
}

/* Take `port` out of the queue (it is being unbound). */
static void closed_forget(struct nc_sim_handle *h, nc_port_t port)
{
	unsigned i, kept = 0;

	if (!h->ports[port].closed_queued)
		return;
	h->ports[port].closed_queued = 0;
	for (i = 0; i < h->cq_len; i++) {
		nc_port_t p = h->closed_q[(h->cq_head + i) % h->max_ports];

		if (p != port)
			h->closed_q[(h->cq_head + kept++) % h->max_ports] = p;
	}
	h->cq_len = kept;
	if (!kept)
		notice_reset(h);
}

/* ------------------------------------------------------------ notices */

static void on_port_bound(struct nc_sim_handle *h, const uint8_t *body,
			  uint32_t len, int *fds, unsigned nfds)
{
	struct ncsp_ev_port_bound ev;
	struct sc_port *p;

	if (len != sizeof(ev) || nfds != 1)
		return;
	memcpy(&ev, body, sizeof(ev));
	p = own_port(h, ev.port);
	if (!p || p->state != SC_PORT_UNBOUND || p->peer_efd >= 0)
		return;       /* unbound by us meanwhile: the fd is closed */
	p->state = SC_PORT_BOUND;
	p->peer_efd = fds[0];
	fds[0] = -1;
}

static void on_port_closed(struct nc_sim_handle *h, const uint8_t *body,
			   uint32_t len, unsigned nfds)
{
	struct ncsp_ev_port_closed ev;
	struct sc_port *p;

	if (len != sizeof(ev) || nfds)
		return;
	memcpy(&ev, body, sizeof(ev));
	p = own_port(h, ev.port);
	if (!p || p->state != SC_PORT_BOUND)
		return;
	close(p->peer_efd);
	p->peer_efd = -1;
	p->state = SC_PORT_UNBOUND;
	closed_push(h, ev.port);
}

/* A notice from the daemon; whatever fds it carried and we did not keep
 * are closed.  An unknown or malformed notice is ignored. */
void sc_events_notice(struct nc_sim_handle *h, uint16_t op,
		      const uint8_t *body, uint32_t len, int *fds,
		      unsigned nfds)
{
	if (op == NCSP_EV_PORT_BOUND)
		on_port_bound(h, body, len, fds, nfds);
	else if (op == NCSP_EV_PORT_CLOSED)
		on_port_closed(h, body, len, nfds);
	ncsp_close_fds(fds, nfds);
}

/* ------------------------------------------------------------- ports */

static void port_teardown(struct nc_sim_handle *h, nc_port_t port)
{
	struct sc_port *p = &h->ports[port];

	closed_forget(h, port);
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, p->efd, NULL);
	close(p->efd);
	if (p->peer_efd >= 0)
		close(p->peer_efd);
	p->efd = p->peer_efd = -1;
	p->state = SC_PORT_FREE;
}

/* Take a port the daemon just gave us: fds[0] ours, fds[1] the peer's
 * (bind only).  On a bad reply nothing is kept. */
static int port_install(struct nc_sim_handle *h, struct sc_reply *rep,
			unsigned want_fds, nc_port_t *out)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ncsp_port_rep r;
	struct sc_port *p;

	if (rep->len != sizeof(r) || rep->nfds != want_fds)
		return NC_EPROTO;
	memcpy(&r, rep->body, sizeof(r));
	if (r.port == 0 || r.port >= h->max_ports ||
	    h->ports[r.port].state != SC_PORT_FREE)
		return NC_EPROTO;
	ev.data.u64 = r.port;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, rep->fds[0], &ev) < 0)
		return NC_ENOMEM;
	p = &h->ports[r.port];
	p->efd = rep->fds[0];
	p->peer_efd = want_fds == 2 ? rep->fds[1] : -1;
	p->state = want_fds == 2 ? SC_PORT_BOUND : SC_PORT_UNBOUND;
	rep->nfds = 0;
	*out = r.port;
	return NC_OK;
}

/* A port the daemon made but we could not take: give it back. */
static void port_refuse(struct nc_sim_handle *h, struct sc_reply *rep)
{
	struct ncsp_port_rep r;
	struct ncsp_unbind q = { 0 };
	struct sc_reply ignored;

	ncsp_close_fds(rep->fds, rep->nfds);
	if (rep->len != sizeof(r))
		return;
	memcpy(&r, rep->body, sizeof(r));
	q.port = r.port;
	sc_call(h, NCSP_UNBIND, &q, sizeof(q), &ignored);
}

static int sc_alloc_unbound(void *ctx, nc_domid_t remote, nc_port_t *port)
{
	struct nc_sim_handle *h = ctx;
	struct ncsp_alloc_unbound q = { .remote = remote };
	struct sc_reply rep;
	int rc = sc_call(h, NCSP_ALLOC_UNBOUND, &q, sizeof(q), &rep);

	if (rc == NC_OK)
		rc = port_install(h, &rep, 1, port);
	if (rc != NC_OK && rep.nfds)
		port_refuse(h, &rep);
	return rc;
}

static int sc_bind_interdomain(void *ctx, nc_domid_t remote,
			       nc_port_t remote_port, nc_port_t *port)
{
	struct nc_sim_handle *h = ctx;
	struct ncsp_bind q = { .remote = remote, .remote_port = remote_port };
	struct sc_reply rep;
	int rc = sc_call(h, NCSP_BIND_INTERDOMAIN, &q, sizeof(q), &rep);

	if (rc == NC_OK)
		rc = port_install(h, &rep, 2, port);
	if (rc != NC_OK && rep.nfds)
		port_refuse(h, &rep);
	return rc;
}

static int sc_notify(void *ctx, nc_port_t port)
{
	struct nc_sim_handle *h = ctx;
	struct sc_port *p = own_port(h, port);
	uint64_t one = 1;

	if (!p)
		return NC_EBADF;     /* not a port of ours (closed, unknown) */
	/* Bound by the peer, and its notice not read yet?  Read it now. */
	if (p->state != SC_PORT_BOUND)
		sc_drain_notices(h);
	if (p->state != SC_PORT_BOUND)
		return NC_ENOTCONN;  /* never bound, or the peer closed */
	/* EAGAIN: the counter is full, the event already pending. */
	if (write(p->peer_efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		return NC_EIO;
	return NC_OK;
}

static int sc_unbind(void *ctx, nc_port_t port)
{
	struct nc_sim_handle *h = ctx;
	struct ncsp_unbind q = { .port = port };
	struct sc_reply rep;
	int rc;

	if (!own_port(h, port))
		return NC_EBADF;
	rc = sc_call(h, NCSP_UNBIND, &q, sizeof(q), &rep);
	/* Ours no more, whatever the daemon said (gone: it freed it). */
	port_teardown(h, port);
	return rc == NC_EIO ? NC_OK : rc;
}

static int sc_event_fd(void *ctx)
{
	return ((struct nc_sim_handle *)ctx)->epfd;
}

/* One ready source of the epoll set: 1 and *port for an event, 0 when
 * nothing is ready, -1 when something else was handled (look again), or
 * NC_EIO. */
static int take_ready(struct nc_sim_handle *h, nc_port_t *port)
{
	struct epoll_event ev;
	uint64_t v;
	int n = epoll_wait(h->epfd, &ev, 1, 0);

	if (n < 0)
		return errno == EINTR ? -1 : NC_EIO;
	if (n == 0)
		return 0;
	if (ev.data.u64 == SC_TAG_SOCK) {
		n = sc_drain_notices(h);
		return n < 0 ? n : -1;
	}
	if (ev.data.u64 == SC_TAG_NOTICE) {
		if (!h->cq_len)
			notice_reset(h);
		return -1;
	}
	*port = (nc_port_t)ev.data.u64;
	/* Consume every event of the port at once, unmasking it. */
	return read(h->ports[*port].efd, &v, sizeof(v)) == sizeof(v) ? 1 : -1;
}

static int sc_pending(void *ctx, nc_port_t *port)
{
	struct nc_sim_handle *h = ctx;
	unsigned i;
	int rc;

	for (i = 0; i < SC_PENDING_TRIES; i++) {
		if (h->cq_len) {        /* a peer closed: report it once */
			*port = closed_pop(h);
			return 2;
		}
		rc = take_ready(h, port);
		if (rc != -1)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------- lifetime */

static int epoll_tag(int epfd, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN };

	ev.data.u64 = tag;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int sc_events_open(struct nc_sim_handle *h)
{
	unsigned i;

	h->ports = calloc(h->max_ports, sizeof(*h->ports));
	h->closed_q = calloc(h->max_ports, sizeof(*h->closed_q));
	if (!h->ports || !h->closed_q)
		return NC_ENOMEM;
	for (i = 0; i < h->max_ports; i++)
		h->ports[i].efd = h->ports[i].peer_efd = -1;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->notice_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->epfd < 0 || h->notice_fd < 0 ||
	    epoll_tag(h->epfd, h->sock, SC_TAG_SOCK) < 0 ||
	    epoll_tag(h->epfd, h->notice_fd, SC_TAG_NOTICE) < 0)
		return NC_ENOMEM;
	return NC_OK;
}

/* Close our ends locally; the daemon closes them (telling the peers)
 * when the connection goes. */
void sc_events_close(struct nc_sim_handle *h)
{
	unsigned i;

	for (i = 1; h->ports && i < h->max_ports; i++)
		if (h->ports[i].state != SC_PORT_FREE)
			port_teardown(h, (nc_port_t)i);
	free(h->ports);
	free(h->closed_q);
	h->ports = NULL;
	h->closed_q = NULL;
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->notice_fd >= 0)
		close(h->notice_fd);
	h->epfd = h->notice_fd = -1;
}

const struct nc_event_ops nc_sim_event_ops = {
	.alloc_unbound = sc_alloc_unbound,
	.bind_interdomain = sc_bind_interdomain,
	.notify = sc_notify,
	.unbind = sc_unbind,
	.fd = sc_event_fd,
	.pending = sc_pending,
};

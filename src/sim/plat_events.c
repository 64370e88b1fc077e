/*
 * plat_events.c - the simulator's event channels.
 *
 * A port is an eventfd.  Its owner's client polls it; the peer's client
 * holds a copy and notifies by writing 1 to it, without the daemon.  The
 * daemon only binds and closes, and tells the other end:
 *   NCSP_EV_PORT_BOUND   to the owner of an unbound port when it is bound,
 *                        with the binder's eventfd (so it can notify);
 *   NCSP_EV_PORT_CLOSED  to the owner of a bound port whose peer closed;
 *                        that port falls back to unbound, as on Xen.
 * Both go out before the reply to the request that caused them, on the
 * same ordered socket.
 *
 * Rules, enforced where marked:
 *   E1 only a port left unbound for the caller's domain can be bound;
 *   E2 only its owner (the connection that made it) closes a port;
 *   E3 ports are per domain, NCSP_MAX_PORTS of them, and each holds one
 *      fd of the domain's budget.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "sim/plat_internal.h"

static int ports_ensure(struct ps_domain *d)
{
	if (!d->ports)
		d->ports = calloc(NCSP_MAX_PORTS, sizeof(*d->ports));
	return d->ports ? 0 : -1;
}

static struct ps_port *port_of(struct ps_domain *d, nc_port_t port)
{
	if (!d || !d->ports || port == 0 || port >= NCSP_MAX_PORTS)
		return NULL;
	return &d->ports[port];
}

static nc_port_t port_number(const struct ps_domain *d,
			     const struct ps_port *p)
{
	return (nc_port_t)(p - d->ports);
}

/* A new port of c's domain, owned by c, with its eventfd (E3). */
static struct ps_port *port_alloc(struct ps_conn *c)
{
	struct ps_domain *d = c->dom;
	nc_port_t i;
	int efd;

	if (!ps_fd_budget_ok(c) || ports_ensure(d) < 0)
		return NULL;
	for (i = 1; i < NCSP_MAX_PORTS; i++)
		if (d->ports[i].state == PS_PORT_FREE)
			break;
	if (i == NCSP_MAX_PORTS)
		return NULL;
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0)
		return NULL;
	d->ports[i].owner = c;
	d->ports[i].efd = efd;
	d->ports_used++;
	d->fds_held++;
	return &d->ports[i];
}

/* Close p of domain d; its peer's end falls back to unbound and its owner
 * is told. */
static void port_close(struct ncsim_plat *srv, struct ps_domain *d,
		       struct ps_port *p)
{
	if (p->state == PS_PORT_BOUND) {
		struct ps_domain *rd = ps_domain(srv, p->remote_dom);
		struct ps_port *r = port_of(rd, p->remote_port);

		if (r && r->state == PS_PORT_BOUND &&
		    r->remote_dom == d->id &&
		    r->remote_port == port_number(d, p)) {
			struct ncsp_ev_port_closed ev = {
				.port = port_number(rd, r) };

			r->state = PS_PORT_UNBOUND;
			r->remote_port = 0;
			ps_notice(r->owner, NCSP_EV_PORT_CLOSED, &ev,
				  sizeof(ev), NULL, 0);
		}
	}
	close(p->efd);
	p->efd = -1;
	p->state = PS_PORT_FREE;
	p->owner = NULL;
	p->remote_port = 0;
	d->ports_used--;
	d->fds_held--;
}

int ps_op_alloc_unbound(struct ps_conn *c, const struct ps_req *r,
			struct ps_reply *rep)
{
	struct ncsp_alloc_unbound q;
	struct ncsp_port_rep *out;
	struct ps_port *p;

	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	if (!ps_domain(c->srv, q.remote))
		return NC_EINVAL;
	p = port_alloc(c);
	if (!p)
		return NC_ENOMEM;
	p->state = PS_PORT_UNBOUND;
	p->remote_dom = q.remote;
	out = ps_reply_body(rep, sizeof(*out));
	out->port = port_number(c->dom, p);
	ps_reply_fd(rep, p->efd, 0);
	return NC_OK;
}

int ps_op_bind(struct ps_conn *c, const struct ps_req *r,
	       struct ps_reply *rep)
{
	struct ncsp_ev_port_bound ev = { 0 };
	struct ncsp_port_rep *out;
	struct ps_domain *rd;
	struct ps_port *rp, *p;
	struct ncsp_bind q;

	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	rd = ps_domain(c->srv, q.remote);
	rp = port_of(rd, q.remote_port);
	/* E1: only a port left unbound for our domain. */
	if (!rp || rp->state != PS_PORT_UNBOUND || rp->remote_dom != c->domid)
		return NC_EINVAL;
	p = port_alloc(c);
	if (!p)
		return NC_ENOMEM;
	p->state = PS_PORT_BOUND;
	p->remote_dom = q.remote;
	p->remote_port = q.remote_port;
	rp->state = PS_PORT_BOUND;
	rp->remote_port = port_number(c->dom, p);
	ev.port = q.remote_port;
	ev.remote = c->domid;
	ev.remote_port = rp->remote_port;
	ps_notice(rp->owner, NCSP_EV_PORT_BOUND, &ev, sizeof(ev), &p->efd, 1);
	out = ps_reply_body(rep, sizeof(*out));
	out->port = rp->remote_port;
	ps_reply_fd(rep, p->efd, 0);
	ps_reply_fd(rep, rp->efd, 0);
	return NC_OK;
}

int ps_op_unbind(struct ps_conn *c, const struct ps_req *r,
		 struct ps_reply *rep)
{
	struct ncsp_unbind q;
	struct ps_port *p;

	(void)rep;
	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	p = port_of(c->dom, q.port);
	/* E2: a port is closed by its owner only. */
	if (!p || p->state == PS_PORT_FREE || p->owner != c)
		return NC_EBADF;
	port_close(c->srv, c->dom, p);
	return NC_OK;
}

void ps_events_release(struct ps_conn *c)
{
	struct ps_domain *d = c->dom;
	nc_port_t i;

	for (i = 1; d->ports && d->ports_used && i < NCSP_MAX_PORTS; i++)
		if (d->ports[i].state != PS_PORT_FREE &&
		    d->ports[i].owner == c)
			port_close(c->srv, d, &d->ports[i]);
}

void ps_events_fini(struct ncsim_plat *srv)
{
	unsigned i;
	nc_port_t p;

	for (i = 0; srv->domains && i < srv->ndomains; i++) {
		struct ps_domain *d = &srv->domains[i];

		for (p = 1; d->ports && p < NCSP_MAX_PORTS; p++)
			if (d->ports[p].state != PS_PORT_FREE)
				close(d->ports[p].efd);
		free(d->ports);
	}
}

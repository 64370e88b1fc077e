/*
 * inproc_events.c - interdomain event channels of the in-process platform.
 *
 * A port belongs to one handle.  notify() marks the remote port pending
 * (once: a pending port is not queued twice, so an event storm costs one
 * queue entry) and makes the remote handle's eventfd readable.
 */
#include <stdint.h>
#include <unistd.h>

#include "inproc_internal.h"

static struct ip_port *port_of(struct nc_inproc_world *w, nc_domid_t dom,
			       nc_port_t port)
{
	struct ip_domain *d = ip_domain_find(w, dom);

	if (!d || port == 0 || port >= INPROC_MAX_PORTS)
		return NULL;
	return &d->ports[port];
}

/* A port of h's domain that h owns, or NULL. */
static struct ip_port *own_port(struct nc_inproc_handle *h, nc_port_t port)
{
	struct ip_port *p = port_of(h->w, h->domid, port);

	return p && p->state != IP_PORT_FREE && p->owner == h ? p : NULL;
}

static int port_alloc(struct nc_inproc_handle *h, nc_port_t *out)
{
	struct ip_domain *d = ip_domain_find(h->w, h->domid);
	nc_port_t i;

	for (i = 1; d && i < INPROC_MAX_PORTS; i++)
		if (d->ports[i].state == IP_PORT_FREE) {
			d->ports[i].owner = h;
			d->ports[i].pending = 0;
			*out = i;
			return NC_OK;
		}
	return NC_ENOMEM;
}

static int ip_alloc_unbound(void *ctx, nc_domid_t remote, nc_port_t *port)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = port_alloc(h, port);
	if (rc == NC_OK) {
		struct ip_port *p = port_of(h->w, h->domid, *port);

		p->state = IP_PORT_UNBOUND;
		p->remote_dom = remote;
		p->remote_port = 0;
	}
	ip_unlock(h->w);
	return rc;
}

static int ip_bind_interdomain(void *ctx, nc_domid_t remote,
			       nc_port_t remote_port, nc_port_t *port)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_port *r, *p;
	int rc;

	ip_lock(h->w);
	r = port_of(h->w, remote, remote_port);
	/* Only a port left unbound for our domain may be bound. */
	if (!r || r->state != IP_PORT_UNBOUND || r->remote_dom != h->domid) {
		rc = NC_EINVAL;
	} else if ((rc = port_alloc(h, port)) == NC_OK) {
		p = port_of(h->w, h->domid, *port);
		p->state = IP_PORT_BOUND;
		p->remote_dom = remote;
		p->remote_port = remote_port;
		r->state = IP_PORT_BOUND;
		r->remote_port = *port;
	}
	ip_unlock(h->w);
	return rc;
}

static void queue_event(struct nc_inproc_handle *h, nc_port_t port)
{
	uint64_t one = 1;

	h->queue[(h->q_head + h->q_len) % INPROC_MAX_PORTS] = port;
	if (h->q_len++ == 0 && write(h->evfd, &one, sizeof(one)) < 0) {
		/* eventfd counter cannot overflow at 1; nothing to do */
	}
}

static int ip_notify(void *ctx, nc_port_t port)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_port *p, *r;
	int rc = NC_OK;

	ip_lock(h->w);
	p = own_port(h, port);
	if (!p) {
		rc = NC_EBADF;
	} else if (p->state != IP_PORT_BOUND) {
		rc = NC_ENOTCONN;  /* the peer closed its end */
	} else {
		r = port_of(h->w, p->remote_dom, p->remote_port);
		if (r && r->state == IP_PORT_BOUND && !r->pending) {
			r->pending = 1;
			queue_event(r->owner, p->remote_port);
		}
	}
	ip_unlock(h->w);
	return rc;
}

/* Close our end: the peer's end falls back to unbound, as on Xen. */
static void port_close(struct nc_inproc_handle *h, struct ip_port *p)
{
	if (p->state == IP_PORT_BOUND) {
		struct ip_port *r = port_of(h->w, p->remote_dom,
					    p->remote_port);

		if (r && r->state == IP_PORT_BOUND) {
			r->state = IP_PORT_UNBOUND;
			/* Tell the peer's owner its channel died. */
			r->peer_closed = 1;
			if (!r->pending) {
				r->pending = 1;
				queue_event(r->owner, p->remote_port);
			}
		}
	}
	p->state = IP_PORT_FREE;
	p->owner = NULL;
	p->pending = 0;
	p->peer_closed = 0;
}

static int ip_unbind(void *ctx, nc_port_t port)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_port *p;
	int rc = NC_OK;

	ip_lock(h->w);
	p = own_port(h, port);
	if (p)
		port_close(h, p);
	else
		rc = NC_EBADF;
	ip_unlock(h->w);
	return rc;
}

void ip_events_close_all(struct nc_inproc_handle *h)
{
	struct ip_domain *d = ip_domain_find(h->w, h->domid);
	unsigned i;

	for (i = 1; d && i < INPROC_MAX_PORTS; i++)
		if (d->ports[i].state != IP_PORT_FREE &&
		    d->ports[i].owner == h)
			port_close(h, &d->ports[i]);
}

static int ip_event_fd(void *ctx)
{
	return ((struct nc_inproc_handle *)ctx)->evfd;
}

static int ip_pending(void *ctx, nc_port_t *port)
{
	struct nc_inproc_handle *h = ctx;
	int got = 0;

	ip_lock(h->w);
	while (h->q_len && !got) {
		nc_port_t pt = h->queue[h->q_head];
		struct ip_port *p = own_port(h, pt);

		h->q_head = (h->q_head + 1) % INPROC_MAX_PORTS;
		h->q_len--;
		if (p && p->pending) {   /* skip ports closed meanwhile */
			p->pending = 0;  /* consume and unmask */
			*port = pt;
			got = p->peer_closed ? 2 : 1;
			p->peer_closed = 0;
		}
	}
	if (!h->q_len) {
		uint64_t v;

		if (read(h->evfd, &v, sizeof(v)) < 0) {
			/* already drained: nothing to do */
		}
	}
	ip_unlock(h->w);
	return got;
}

const struct nc_event_ops nc_inproc_event_ops = {
	.alloc_unbound = ip_alloc_unbound,
	.bind_interdomain = ip_bind_interdomain,
	.notify = ip_notify,
	.unbind = ip_unbind,
	.fd = ip_event_fd,
	.pending = ip_pending,
};

/*
 * xen_events.c - event-channel ops of the Xen platform (netchannel/xen.h),
 * over /dev/xen/evtchn through libxenevtchn.
 *
 * What Linux's evtchn driver (6.1) does, which the code relies on:
 *   - a bound port is unmasked; when an event arrives the kernel masks
 *     it and queues the port on the handle's ring (once: a masked port is
 *     not queued again), making the fd readable; xenevtchn_pending()
 *     reads one port off the ring, xenevtchn_unmask() re-enables it (an
 *     event that came meanwhile is then delivered again);
 *   - read() honours O_NONBLOCK (EAGAIN when the ring is empty); the fd
 *     is opened without it, so it is set here.  libxenevtchn warns that
 *     some old kernels blocked anyway: pending() also polls the fd with a
 *     zero timeout first, so it never blocks;
 *   - notify, unbind and unmask of a port the handle does not hold answer
 *     ENOTCONN (unmask: silently ignored); a port stays queued on the ring
 *     after it is unbound, so pending() may report it once more;
 *   - notify on a port whose peer closed succeeds: the hypervisor drops
 *     the event.  Nothing tells us the peer closed: pending() never
 *     returns 2;
 *   - the ring overflowing (EFBIG, impossible since the ring is sized to
 *     the bound ports) is NC_EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "xen_internal.h"

/* The kernel's answer for a port this handle does not hold. */
static int port_err(int e)
{
	return e == ENOTCONN || e == EBADF ? NC_EBADF : xp_err(e);
}

static int xp_alloc_unbound(void *ctx, nc_domid_t remote, nc_port_t *port)
{
	struct nc_xen_handle *h = ctx;
	xenevtchn_port_or_error_t p;

	if (!port)
		return NC_EINVAL;
	p = xenevtchn_bind_unbound_port(h->ev, remote);
	if (p < 0)
		return xp_err(errno);
	*port = (nc_port_t)p;
	return NC_OK;
}

static int xp_bind_interdomain(void *ctx, nc_domid_t remote,
			       nc_port_t remote_port, nc_port_t *port)
{
	struct nc_xen_handle *h = ctx;
	xenevtchn_port_or_error_t p;

	if (!port)
		return NC_EINVAL;
	p = xenevtchn_bind_interdomain(h->ev, remote, remote_port);
	if (p < 0)
		return xp_err(errno);
	*port = (nc_port_t)p;
	return NC_OK;
}

static int xp_notify(void *ctx, nc_port_t port)
{
	struct nc_xen_handle *h = ctx;

	return xenevtchn_notify(h->ev, port) == 0 ? NC_OK : port_err(errno);
}

static int xp_unbind(void *ctx, nc_port_t port)
{
	struct nc_xen_handle *h = ctx;

	return xenevtchn_unbind(h->ev, port) == 0 ? NC_OK : port_err(errno);
}

static int xp_event_fd(void *ctx)
{
	return ((struct nc_xen_handle *)ctx)->evfd;
}

static int xp_pending(void *ctx, nc_port_t *port)
{
	struct nc_xen_handle *h = ctx;
	struct pollfd pfd = { .fd = h->evfd, .events = POLLIN };
	xenevtchn_port_or_error_t p;
	int n;

	if (!port)
		return NC_EINVAL;
	n = poll(&pfd, 1, 0);
	if (n < 0)
		return errno == EINTR ? 0 : NC_EIO;
	if (n == 0)
		return 0;
	if (pfd.revents & (POLLERR | POLLNVAL))
		return NC_EIO;
	if (!(pfd.revents & POLLIN))
		return 0;
	p = xenevtchn_pending(h->ev);
	if (p < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		       errno == EINTR ? 0 : NC_EIO;
	/* Consumed: re-enable it (the kernel ignores a port unbound
	 * meanwhile). */
	xenevtchn_unmask(h->ev, (evtchn_port_t)p);
	*port = (nc_port_t)p;
	return 1;
}

/* ---------------------------------------------------------- lifetime */

int xp_events_open(struct nc_xen_handle *h)
{
	int fl;

	h->ev = xenevtchn_open(xp_quiet_logger(), 0);
	if (!h->ev)
		return xp_err(errno);
	h->evfd = xenevtchn_fd(h->ev);
	if (h->evfd < 0)
		return NC_EIO;
	fl = fcntl(h->evfd, F_GETFL);
	if (fl < 0 || fcntl(h->evfd, F_SETFL, fl | O_NONBLOCK) < 0)
		return xp_err(errno);
	return NC_OK;
}

/* Closing the device unbinds every port this handle still holds (the
 * peers' ends become unbound; their notifies are dropped). */
void xp_events_close(struct nc_xen_handle *h)
{
	if (h->ev)
		xenevtchn_close(h->ev);
	h->ev = NULL;
	h->evfd = -1;
}

const struct nc_event_ops nc_xen_event_ops = {
	.alloc_unbound = xp_alloc_unbound,
	.bind_interdomain = xp_bind_interdomain,
	.notify = xp_notify,
	.unbind = xp_unbind,
	.fd = xp_event_fd,
	.pending = xp_pending,
};

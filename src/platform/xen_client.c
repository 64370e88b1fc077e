/*
 * xen_client.c - opening the Xen platform (netchannel/xen.h): the
 * devices, the store, this domain's id.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xentoollog.h>

#include "netchannel/xs_store.h"
#include "xen_internal.h"

#define XP_DEV_EVTCHN "/dev/xen/evtchn"
#define XP_DEV_GNTDEV "/dev/xen/gntdev"
#define XP_DEV_GNTALLOC "/dev/xen/gntalloc"
#define XP_CAPABILITIES "/proc/xen/capabilities"

/* ------------------------------------------------------------ helpers */

int xp_err(int e)
{
	switch (e) {
	case EPERM:
		return NC_EPERM;
	case ENOENT:
	case ESRCH:            /* no such domain */
	case ENODEV:
	case ENXIO:
		return NC_ENOENT;
	case EACCES:
		return NC_EACCES;
	case EAGAIN:
		return NC_EAGAIN;
	case ENOMEM:
	case ENOSPC:           /* out of ports, grant entries ... */
		return NC_ENOMEM;
	case EBUSY:
		return NC_EBUSY;
	case EINVAL:
	case EFAULT:
		return NC_EINVAL;
	case EBADF:
	case ENOTCONN:
		return NC_EBADF;
	default:
		return NC_EIO;
	}
}

static void quiet_vmessage(struct xentoollog_logger *logger,
			   xentoollog_level level, int errnoval,
			   const char *context, const char *format, va_list al)
{
	(void)logger;
	(void)level;
	(void)errnoval;
	(void)context;
	(void)format;
	(void)al;
}

static void quiet_progress(struct xentoollog_logger *logger,
			   const char *context, const char *doing_what,
			   int percent, unsigned long done,
			   unsigned long total)
{
	(void)logger;
	(void)context;
	(void)doing_what;
	(void)percent;
	(void)done;
	(void)total;
}

static void quiet_destroy(struct xentoollog_logger *logger)
{
	(void)logger;          /* static: nothing to free */
}

static struct xentoollog_logger quiet_logger = {
	.vmessage = quiet_vmessage,
	.progress = quiet_progress,
	.destroy = quiet_destroy,
};

struct xentoollog_logger *xp_quiet_logger(void)
{
	return &quiet_logger;
}

/* --------------------------------------------------------- this domain */

int nc_xen_available(void)
{
	return access(XP_DEV_GNTDEV, F_OK) == 0 ||
	       access(XP_DEV_EVTCHN, F_OK) == 0;
}

/* 1 when /proc/xen/capabilities says this is the control domain. */
static int is_control_domain(void)
{
	char buf[256];
	size_t n;
	FILE *f = fopen(XP_CAPABILITIES, "re");

	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, "control_d") != NULL;
}

/* This domain's id: the store's relative "domid" (xenstored resolves it
 * under /local/domain/<us>/), else 0 in the control domain. */
static int self_domid(struct nc_xen_handle *h, nc_domid_t *out)
{
	char buf[16], *end;
	unsigned long v;
	int rc = h->store.ops->read(h->store.ctx, NC_TXN_NONE, "domid", buf,
				    sizeof(buf));

	if (rc < 0) {
		if (is_control_domain()) {
			*out = 0;
			return NC_OK;
		}
		return rc;
	}
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || *end || v >= NC_XEN_DOMID_AUTO)
		return NC_EPROTO;
	*out = (nc_domid_t)v;
	return NC_OK;
}

/* ----------------------------------------------------------- the handle */

void nc_xen_close(struct nc_xen_handle *h)
{
	if (!h)
		return;
	nc_xs_store_close(&h->store);
	xp_grants_close(h);
	xp_events_close(h);
	free(h);
}

static int handle_open(struct nc_xen_handle *h, nc_domid_t self)
{
	static const char *const devs[] = {
		XP_DEV_EVTCHN, XP_DEV_GNTDEV, XP_DEV_GNTALLOC,
	};
	unsigned i;
	int rc;

	/* A plain ENOENT without Xen, before any library is involved. */
	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (access(devs[i], F_OK) != 0)
			return NC_ENOENT;
	rc = xp_events_open(h);
	if (rc == NC_OK)
		rc = xp_grants_open(h);
	if (rc == NC_OK)
		rc = nc_xs_store_open(NULL, &h->store);
	if (rc != NC_OK)
		return rc;
	if (self != NC_XEN_DOMID_AUTO) {
		h->domid = self;
		return NC_OK;
	}
	return self_domid(h, &h->domid);
}

struct nc_xen_handle *nc_xen_open(nc_domid_t self_or_auto,
				  struct nc_platform *plat)
{
	struct nc_xen_handle *h;
	int rc;

	if (!plat) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->evfd = -1;
	rc = handle_open(h, self_or_auto);
	if (rc != NC_OK) {
		nc_xen_close(h);
		errno = -rc;
		return NULL;
	}
	memset(plat, 0, sizeof(*plat));
	plat->grants.ops = &nc_xen_grant_ops;
	plat->grants.ctx = h;
	plat->events.ops = &nc_xen_event_ops;
	plat->events.ctx = h;
	plat->store = h->store;
	plat->domid = h->domid;
	return h;
}

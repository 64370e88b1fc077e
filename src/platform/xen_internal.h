/*
 * xen_internal.h - a process's handle on the Xen platform
 * (netchannel/xen.h): its libxengnttab, libxenevtchn and libxenstore
 * handles, and the shares and mappings it holds (kept so that unshare and
 * unmap only ever release what this handle made, and close releases all).
 */
#ifndef NETCHANNEL_XEN_INTERNAL_H
#define NETCHANNEL_XEN_INTERNAL_H

#include <xenevtchn.h>
#include <xengnttab.h>

#include "netchannel/xen.h"

struct xp_region {            /* one share() or one map() */
	struct xp_region *next;
	void *addr;
	unsigned npages;
};

struct nc_xen_handle {
	xengntshr_handle *gs;       /* gntalloc: share */
	xengnttab_handle *gt;       /* gntdev: map, copy */
	xenevtchn_handle *ev;
	int evfd;
	nc_domid_t domid;
	struct xp_region *shares;
	struct xp_region *mappings;
	struct nc_store store;
};

/* The logger given to libxengnttab and libxenevtchn: silent (a hostile
 * peer must not be able to fill stderr with refused maps; errors are
 * returned as codes). */
struct xentoollog_logger *xp_quiet_logger(void);

/* xen_grants.c */
extern const struct nc_grant_ops nc_xen_grant_ops;
int xp_grants_open(struct nc_xen_handle *h);
void xp_grants_close(struct nc_xen_handle *h);

/* xen_events.c */
extern const struct nc_event_ops nc_xen_event_ops;
int xp_events_open(struct nc_xen_handle *h);
void xp_events_close(struct nc_xen_handle *h);

/* errno to NC_E* (for the kernel's answers). */
int xp_err(int e);

#endif

/*
 * netchannel/inproc.h - the in-process platform: several Xen domains in one
 * process, for unit tests and the single-process demo.
 *
 * It enforces the same rules as the simulator and Xen:
 *   - grants: pages are memfd-backed and mapped with real page protections,
 *     so a read-only grant really is read-only; only the domain a grant was
 *     made to can map or copy it; unshare of a mapped grant is NC_EBUSY;
 *   - events: interdomain channels between two handles; notify on a closed
 *     channel is NC_EBADF; each handle has an eventfd for poll();
 *   - store: the same engine as the simulator's xenstored, with owners,
 *     permissions, watches and transactions; domain 0 is privileged.
 *
 * Thread-safe (one lock per world), so tests may attack a ring from a
 * second thread.  Hosted: uses malloc, memfd and eventfd.
 */
#ifndef NETCHANNEL_INPROC_H
#define NETCHANNEL_INPROC_H

#include "netchannel/platform.h"

struct nc_inproc_world;
struct nc_inproc_handle;

/* Accounting of one domain, for leak checks in tests. */
struct nc_inproc_counts {
	unsigned grants;      /* grant entries this domain has made */
	unsigned mappings;    /* pages of other domains it maps now */
	unsigned ports;       /* event channel ports it holds open */
	unsigned handles;     /* open handles */
};

struct nc_inproc_world *nc_inproc_world_new(void);
/* Frees everything, including what open handles still hold. */
void nc_inproc_world_free(struct nc_inproc_world *w);

/* A new handle for domain `domid`: fills *plat with its three tables.
 * Each handle has its own event fd, watch queue and store connection, as
 * separate processes of one domain would.  NULL on failure. */
struct nc_inproc_handle *nc_inproc_open(struct nc_inproc_world *w,
					nc_domid_t domid,
					struct nc_platform *plat);
/* Closes the handle's ports, its store connection and its mappings, as
 * Xen does for a process that exits; grants it made stay until unshared
 * or until nc_inproc_destroy_domain. */
void nc_inproc_close(struct nc_inproc_handle *h);

/* The domain died: close its handles, end its grants (peers' mappings stay
 * valid until unmapped, as on Xen), remove its store nodes and fire
 * @releaseDomain. */
void nc_inproc_destroy_domain(struct nc_inproc_world *w, nc_domid_t domid);

void nc_inproc_counts(struct nc_inproc_world *w, nc_domid_t domid,
		      struct nc_inproc_counts *out);

#endif

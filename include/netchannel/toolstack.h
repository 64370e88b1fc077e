/*
 * netchannel/toolstack.h - what a toolstack (xl, libxl) writes to the
 * store for a vif, so a frontend and a backend can find each other.
 *
 * Frontend directory /local/domain/<fe>/device/vif/<handle>:
 *   backend, backend-id, mac, mtu, handle, trusted, state = Initialising;
 *   owned by the frontend domain, readable by the backend domain.
 * Backend directory /local/domain/<be>/backend/vif/<fe>/<handle>:
 *   frontend, frontend-id, mac, handle, mtu, online = 1, rate (if set),
 *   script, state = Initialising; owned by the backend domain, readable
 *   by the frontend domain.
 * Requires a privileged store connection (domain 0).
 */
#ifndef NETCHANNEL_TOOLSTACK_H
#define NETCHANNEL_TOOLSTACK_H

#include <stdint.h>

#include "netchannel/platform.h"

struct nc_vif_spec {
	nc_domid_t fe_domid;
	nc_domid_t be_domid;
	unsigned handle;      /* the vif number, <N> in vif/<N> */
	uint8_t mac[6];
	unsigned mtu;         /* 0: 1500 */
	int untrusted;        /* write trusted = 0 */
	const char *rate;     /* "bytes,usec", or NULL */
	/* The backend directory's `bridge` key for `netchannel back`
	 * ("tap[:NAME]", "switch", "none"), or NULL.  Written in the same
	 * transaction as the rest: a backend that sees the directory sees
	 * its bridge too. */
	const char *bridge;
};

/* Create both directories with their owners and permissions. */
int nc_vif_add(const struct nc_store *st, const struct nc_vif_spec *spec);

/* Remove both directories. */
int nc_vif_del(const struct nc_store *st, nc_domid_t fe_domid,
	       nc_domid_t be_domid, unsigned handle);

/* The two paths, into buffers of at least 64 bytes. */
void nc_vif_paths(nc_domid_t fe_domid, nc_domid_t be_domid, unsigned handle,
		  char *fe_path, char *be_path);

#endif

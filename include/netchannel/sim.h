/*
 * netchannel/sim.h - the simulator platform: a process joins a domain of a
 * running `netchannel sim` daemon and gets the three platform tables.
 *
 *   store:  libxenstore on the domain's xenstore socket
 *           (DIR/xenstored/socket for domain 0,
 *            DIR/domain/<id>/xenstored/socket for the others);
 *   grants: pages are memfds the daemon creates; a grantee receives them
 *           over DIR/domain/<id>/platform.sock (SCM_RIGHTS) and maps them,
 *           read-only fds for read-only grants; grant copy checks the
 *           granter's table and copies in the caller's process;
 *   events: one eventfd per port; notify writes the peer's eventfd.
 *
 * The daemon enforces Xen's rules: only the grantee maps or copies, a
 * read-only grant never yields a writable mapping, unshare fails while
 * mapped, and when a domain's last process exits everything it held is
 * released (grants, mappings, ports, and for domains other than 0 its
 * store nodes, with @releaseDomain fired).
 */
#ifndef NETCHANNEL_SIM_H
#define NETCHANNEL_SIM_H

#include "netchannel/platform.h"

struct nc_sim_handle;

/* Join domain `domid` of the daemon serving `run_dir`; fills *plat.
 * NULL with errno set when the daemon is not there (ECONNREFUSED/ENOENT). */
struct nc_sim_handle *nc_sim_open(const char *run_dir, nc_domid_t domid,
				  struct nc_platform *plat);
void nc_sim_close(struct nc_sim_handle *h);

/* The daemon's own accounting of a domain, for leak checks. */
struct nc_sim_counts {
	unsigned grants;       /* grant entries the domain has made */
	unsigned mapped;       /* pages of other domains it maps */
	unsigned ports;        /* event-channel ports it has open */
	unsigned processes;    /* platform connections of that domain */
};

/* Ask the daemon (any domain may ask).  0, or a negative nc_error. */
int nc_sim_counts(const char *run_dir, nc_domid_t domid,
		  struct nc_sim_counts *out);

#endif

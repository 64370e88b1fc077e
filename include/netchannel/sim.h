/*
 * netchannel/sim.h - the simulator platform: a process joins a domain of a
 * running `netchannel sim` daemon and gets the three platform tables.
 *
 *   store:  libxenstore on the domain's xenstore socket
 *           (DIR/xenstored/socket for domain 0,
 *            DIR/domain/<id>/xenstored/socket for the others);
 *   grants: pages are memfds the daemon creates; a grantee receives them
 *           over DIR/domain/<id>/platform.sock (SCM_RIGHTS) and maps them,
 *           read-only fds for read-only grants (whose memfds are also
 *           sealed against writable mappings); grant copy checks the
 *           granter's entry in a grant table the daemon shares read-only
 *           with every client, and copies in the caller's process through
 *           a view of the granter's share obtained once from the daemon;
 *   events: one eventfd per port; notify writes the peer's eventfd, with
 *           no daemon round trip.  events.fd() is an epoll fd over the
 *           handle's ports and its platform socket: the daemon's notices
 *           (a port was bound, a peer closed) make it readable too, so a
 *           wakeup may find no port pending.  pending() returns 2 once for
 *           a port whose peer closed (or whose peer's process died); notify
 *           on it then answers NC_ENOTCONN, on a port of ours that is
 *           closed or unknown NC_EBADF.
 *
 * The daemon enforces Xen's rules: only the grantee maps or copies, a
 * read-only grant never yields a writable mapping, unshare fails while
 * mapped, and everything a process held is released when it exits (even
 * by SIGKILL): its mappings, ports (peers are told) and grants (peers'
 * existing mappings stay valid memory, as Xen keeps a dying domain's
 * pages).  When the last process of a domain other than 0 exits, its
 * store nodes are removed and @releaseDomain fires.
 *
 * Grant copy holds no grant (as on Xen, a copy does not block a revoke);
 * a copy racing the granter's unshare may read or write the revoked
 * share's old pages, never anyone else's memory.
 *
 * A handle is used by one thread at a time; separate handles are
 * independent.  After fork() the child must neither use nor close its
 * parent's handles (it opens its own).  The daemon's limits per domain:
 * 16376 grant entries and 1023 ports; per process connection: 256 shares,
 * 1024 mappings of at most 256 pages, 16384 mapped pages.
 */
#ifndef NETCHANNEL_SIM_H
#define NETCHANNEL_SIM_H

#include "netchannel/platform.h"

struct nc_sim_handle;

/* Join domain `domid` of the daemon serving `run_dir`; fills *plat.
 * NULL with errno set: ENOENT or ECONNREFUSED when the daemon is not
 * there, EPROTO for a daemon of another protocol version, or the store's
 * error.  Once the daemon is gone, every request answers NC_EIO. */
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

/* Ask the daemon (any domain may ask: an observer connection to that
 * domain's socket, which is no process of it).  0, NC_ENOENT when the
 * daemon serves no such domain, or a negative nc_error. */
int nc_sim_counts(const char *run_dir, nc_domid_t domid,
		  struct nc_sim_counts *out);

#endif

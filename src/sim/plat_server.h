/*
 * plat_server.h - the simulator's hypervisor services: grant tables and
 * event channels for client processes, over the protocol of
 * sim/plat_proto.h on one SOCK_SEQPACKET socket per domain.
 *
 * Domains: every listening socket belongs to one domain; a client is of
 * the domain whose socket it connected to.
 *
 * Rules enforced (each marked where it is, in plat_grants.c and
 * plat_events.c):
 *   grants  only the domain a grant names maps it or gets it for copy; a
 *           read-only grant yields only read-only fds, and its memfd is
 *           sealed against writable mappings before anyone but the granter
 *           gets it; unshare of a mapped page answers NC_EBUSY;
 *   events  only a port left unbound for the caller's domain can be
 *           bound; a port is closed only by its owner; the peer of a
 *           closed port is told (NCSP_EV_PORT_CLOSED).
 *
 * Lifetime: everything belongs to the connection that made it.  When a
 * connection closes (the process exited, even by SIGKILL) its mappings
 * are dropped (map counts fall), its ports closed (peers told), its shares
 * revoked (table entries cleared, memfds closed; peers' existing mappings
 * stay valid memory, as Xen keeps a dying domain's pages while mapped).
 * The first process of a domain calls hooks.joined, the last one leaving
 * calls hooks.left: the daemon introduces / releases the domain in its
 * store.
 *
 * Limits (a client can cost the daemon no more; see plat_internal.h for
 * the numbers): connections; grant entries and ports per domain (the
 * tables); shares, mappings and mapped pages per connection; fds per
 * domain (each share and port holds one); message size.  Exceeding one
 * is an error reply; a malformed message closes that connection; a client
 * that does not read its socket until it is full is disconnected.
 *
 * Event loop: like the store server, it owns an epoll set and exposes it
 * as ONE fd; call ncsim_plat_dispatch() when it polls readable.  Never
 * blocks.  Not thread-safe; no global state.
 */
#ifndef NETCHANNEL_SIM_PLAT_SERVER_H
#define NETCHANNEL_SIM_PLAT_SERVER_H

#include "netchannel/platform.h"

struct ncsim_plat;

/* Where messages go: a syslog(3) level and a line without newline. */
typedef void (*ncsim_plat_log_fn)(void *arg, int level, const char *msg);

/* What the server tells its owner about domains. */
struct ncsim_plat_hooks {
	/* The domain's first process connected (for every domain, 0 too). */
	void (*joined)(void *arg, nc_domid_t domid);
	/* The domain's last process is gone (for every domain, 0 too). */
	void (*left)(void *arg, nc_domid_t domid);
	void *arg;
};

/* A server for domains 0 .. ndomains-1 (1..256).  NULL on failure. */
struct ncsim_plat *ncsim_plat_new(unsigned ndomains);
/* Closes every connection and listener (removing the socket files) and
 * frees everything; hooks are not called. */
void ncsim_plat_free(struct ncsim_plat *srv);
void ncsim_plat_set_log(struct ncsim_plat *srv, ncsim_plat_log_fn fn,
			void *arg);
void ncsim_plat_set_hooks(struct ncsim_plat *srv,
			  const struct ncsim_plat_hooks *hooks);

/* Listen at `path` for clients of domain `domid` (mode 0600 for domain 0,
 * 0660 for others).  A stale socket file is replaced; a live one answers
 * -EADDRINUSE.  0 or a negative errno. */
int ncsim_plat_listen(struct ncsim_plat *srv, const char *path,
		      nc_domid_t domid);

/* The fd to watch for readability, and the work to do when it is: the
 * number of ready sockets handled, or a negative errno if epoll failed. */
int ncsim_plat_fd(const struct ncsim_plat *srv);
int ncsim_plat_dispatch(struct ncsim_plat *srv);

#endif

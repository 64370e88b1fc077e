/*
 * xs_server.h - the simulator's xenstored: unix stream sockets speaking
 * the xenstore wire protocol (sim/xs_wire.h) in front of the store engine
 * (store/store.h), so that libxenstore and xenstore-utils work unchanged.
 *
 * Domains: every listening socket belongs to one domain; a client is of
 * the domain whose socket it connected to.  Domain 0 is privileged.
 *
 * Event loop: the server owns an epoll set holding its listeners and
 * connections, and exposes it as ONE fd.  A bigger loop (the daemon's, with
 * its grant and event-channel sockets) watches that fd for readability
 * (EPOLLIN/POLLIN; an epoll fd nests in epoll, poll and select) and calls
 * ncsim_xs_dispatch() when it fires.  dispatch never blocks; it handles a
 * bounded batch of ready sockets, and the fd stays readable while more
 * work remains, so other services are never starved.
 *
 * Limits, per connection (a client can cost the daemon no more):
 *   - input: one message (header + XENSTORE_PAYLOAD_MAX bytes) at a time;
 *     a header announcing a longer payload gets an XS_ERROR "E2BIG" and
 *     the connection is closed (the stream cannot be resynchronised);
 *   - output: replies and watch events wait in a queue; while it holds
 *     more than NCSIM_XS_OUTQ_PAUSE bytes the client's requests are not
 *     read; once it would exceed NCSIM_XS_OUTQ_MAX (watch events pile up
 *     for a client that does not read) the client is disconnected;
 *   - watches, transactions, nodes: the engine's ncs_limits.
 * Malformed requests (missing NUL, unknown type, oversized path, bad
 * permission string, ...) get an XS_ERROR reply; the daemon never exits
 * because of a client.  A closed connection releases its watches and
 * aborts its transactions (ncs_conn_free); its nodes stay.
 *
 * Not thread-safe; no global state.
 */
#ifndef NETCHANNEL_SIM_XS_SERVER_H
#define NETCHANNEL_SIM_XS_SERVER_H

#include <stddef.h>

#include "netchannel/platform.h"
#include "store/store.h"

/* Output queue bounds, per connection. */
#define NCSIM_XS_OUTQ_PAUSE (64u * 1024u)
#define NCSIM_XS_OUTQ_MAX (1024u * 1024u)
/* Connections open at once, over all listeners. */
#define NCSIM_XS_MAX_CONNS 512u

struct ncsim_xs;

/* Where the server's messages go: `level` is a syslog(3) priority
 * (LOG_ERR .. LOG_DEBUG); `msg` has no trailing newline. */
typedef void (*ncsim_xs_log_fn)(void *arg, int level, const char *msg);

/* A server for `store`, which must outlive it.  NULL on failure. */
struct ncsim_xs *ncsim_xs_new(struct ncs_store *store);
/* Closes every connection and listener and removes the listeners' socket
 * files.  The store is left alone. */
void ncsim_xs_free(struct ncsim_xs *srv);
/* Messages go nowhere until this is called. */
void ncsim_xs_set_log(struct ncsim_xs *srv, ncsim_xs_log_fn fn, void *arg);

/* Listen on a unix stream socket at `path` for clients of domain `domid`
 * (mode 0600 for domain 0, 0660 for others).  A stale socket file left by
 * a dead daemon is replaced; a live one answers -EADDRINUSE, and any other
 * kind of file -EEXIST.  NC_OK or a negative errno. */
int ncsim_xs_listen(struct ncsim_xs *srv, const char *path, nc_domid_t domid);

/* The fd to watch for readability; see "Event loop" above. */
int ncsim_xs_fd(const struct ncsim_xs *srv);
/* Handle what is ready, without blocking: the number of sockets handled
 * (0 when nothing was ready), or a negative errno if epoll itself
 * failed. */
int ncsim_xs_dispatch(struct ncsim_xs *srv);

/* The toolstack's view of domains, as XS_INTRODUCE / XS_RELEASE from
 * domain 0 do: mark the domain (not) introduced and fire
 * "@introduceDomain" / "@releaseDomain" (release also removes the nodes
 * the domain owns).  NC_EINVAL for domain 0 or a reserved id; introduce
 * fires only for a domain not already introduced, release answers
 * NC_ENOENT for one that is not. */
int ncsim_xs_introduce_domain(struct ncsim_xs *srv, nc_domid_t domid);
int ncsim_xs_release_domain(struct ncsim_xs *srv, nc_domid_t domid);
/* 1 for domain 0 and introduced domains. */
int ncsim_xs_domain_introduced(const struct ncsim_xs *srv, nc_domid_t domid);

/* Accounting: connections open now. */
unsigned ncsim_xs_conn_count(const struct ncsim_xs *srv);

#endif

/*
 * store.h - the xenstore engine shared by the in-process platform and the
 * simulator daemon: a tree of nodes with values, owners and permissions,
 * watches and transactions, with xenstored's semantics.
 *
 * Hosted code (uses malloc); never on a data path.  Not thread-safe: one
 * owner drives it (the daemon's loop, or the test's thread).
 *
 * Paths: absolute ("/local/domain/1/device") or relative to the caller's
 * home "/local/domain/<domid>".  Watch paths may also be the special
 * "@introduceDomain" and "@releaseDomain".  A path component is
 * [A-Za-z0-9_@-]+ (xenstored also allows '.' ':' and ','); "//", a trailing
 * '/' (except "/"), an empty path and one longer than NC_STORE_MAX_PATH are
 * NC_EINVAL.
 *
 * Permissions (xenstored): entry 0 of a node's list is its owner and the
 * default for domains not listed.  The owner and privileged connections
 * (domain 0) may do anything.  Reading (read, directory, get_perms) needs
 * READ; changing (write, mkdir, rm, creating children) needs WRITE on the
 * node, or for a new node on its nearest existing ancestor; set_perms needs
 * ownership (or privilege).  A new node inherits its parent's list; when an
 * unprivileged domain creates it, that domain becomes entry 0's owner.
 * A denied access is NC_EACCES.  Watches fire only to connections that may
 * read the changed node (or its parent, for a removed node).
 *
 * Transactions: reads and writes inside transaction t see the tree as it
 * was when t started plus t's own changes.  Commit applies t's changes
 * atomically, or answers NC_EAGAIN (changing nothing) when any node t read,
 * listed or wrote was changed by someone else since t started.
 */
#ifndef NETCHANNEL_STORE_ENGINE_H
#define NETCHANNEL_STORE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "netchannel/platform.h"

struct ncs_store;
struct ncs_conn;

/* A fired watch, delivered through the connection's sink: `path` is the
 * changed node (relative when the watch was registered relative), `token`
 * the watch's token.  The sink must copy what it keeps. */
typedef void (*ncs_watch_sink)(void *arg, const char *path,
			       const char *token);

/* Limits that keep one client from exhausting the daemon. */
struct ncs_limits {
	unsigned max_nodes;          /* whole tree; default 20000 */
	unsigned max_watches;        /* per connection; default 128 */
	unsigned max_transactions;   /* open per connection; default 16 */
};

/* A new store holding "/", "/local", "/local/domain" and "/tool",
 * owned by domain 0 with no access for others.  NULL on OOM.
 * `limits` may be NULL for the defaults. */
struct ncs_store *ncs_store_new(const struct ncs_limits *limits);
void ncs_store_free(struct ncs_store *s);

/* A client of domain `domid`.  `privileged` lets it bypass permissions
 * (domain 0's toolstack).  Watch events go to sink(arg, ...). */
struct ncs_conn *ncs_conn_new(struct ncs_store *s, nc_domid_t domid,
			      int privileged, ncs_watch_sink sink, void *arg);
/* Drops the connection's watches and aborts its open transactions.
 * Its nodes stay (see ncs_release_domain). */
void ncs_conn_free(struct ncs_conn *c);
nc_domid_t ncs_conn_domid(const struct ncs_conn *c);

/* Node operations: as struct nc_store_ops, but values are byte strings
 * with a length (xenstore values need not be text).
 *   read: *val points to a NUL-terminated copy owned by the store, valid
 *         until the next call on this store; *len is its length.
 *   directory: *names points to the children's names, each NUL-terminated,
 *         back to back, *len bytes in all; same lifetime. */
int ncs_read(struct ncs_conn *c, nc_txn_t t, const char *path,
	     const char **val, size_t *len);
int ncs_write(struct ncs_conn *c, nc_txn_t t, const char *path,
	      const void *val, size_t len);
int ncs_mkdir(struct ncs_conn *c, nc_txn_t t, const char *path);
int ncs_rm(struct ncs_conn *c, nc_txn_t t, const char *path);
int ncs_directory(struct ncs_conn *c, nc_txn_t t, const char *path,
		  const char **names, size_t *len);
int ncs_get_perms(struct ncs_conn *c, nc_txn_t t, const char *path,
		  struct nc_store_perm *perms, unsigned max);
int ncs_set_perms(struct ncs_conn *c, nc_txn_t t, const char *path,
		  const struct nc_store_perm *perms, unsigned n);

/* Transactions: ids are never 0 and never reused while open. */
int ncs_txn_start(struct ncs_conn *c, nc_txn_t *t);
int ncs_txn_end(struct ncs_conn *c, nc_txn_t t, int commit);

/* Watches: registering fires the sink once at once with the watch's own
 * path.  Same (path, token) twice: NC_EEXIST.  unwatch of an unknown one:
 * NC_ENOENT. */
int ncs_watch(struct ncs_conn *c, const char *path, const char *token);
int ncs_unwatch(struct ncs_conn *c, const char *path, const char *token);

/* "/local/domain/<domid>" into buf. */
int ncs_get_domain_path(nc_domid_t domid, char *buf, size_t len);

/* The toolstack's view of domains: fire "@introduceDomain" or
 * "@releaseDomain" to every watcher of it.  ncs_release_domain also removes
 * every node the domain owns (with its subtree), firing watches, as a
 * toolstack cleaning up after a dead domain. */
void ncs_introduce_domain(struct ncs_store *s, nc_domid_t domid);
void ncs_release_domain(struct ncs_store *s, nc_domid_t domid);

/* Accounting for tests and `netchannel stat`. */
unsigned ncs_node_count(const struct ncs_store *s);
unsigned ncs_watch_count(const struct ncs_store *s);
unsigned ncs_txn_count(const struct ncs_store *s);

#endif

/*
 * store_internal.h - declarations shared by the files of the xenstore
 * engine (src/store/).  Nothing here is part of the public contract in
 * store.h.
 *
 * The engine in one paragraph: a store holds one tree of nodes (the
 * committed state), a list of connections and a generation counter.  Every
 * operation runs against a `struct ncs_ctx`, which names the tree it works
 * on (the store's, or a transaction's private copy), who is asking, where
 * to record the nodes it touched (transactions) and where to queue the
 * watch events it causes (outside transactions).  Events are fired only
 * once an operation has finished changing the tree.
 */
#ifndef NETCHANNEL_STORE_INTERNAL_H
#define NETCHANNEL_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* ------------------------------------------------------------- limits */

#define NCS_DEFAULT_MAX_NODES 20000u
#define NCS_DEFAULT_MAX_WATCHES 128u
#define NCS_DEFAULT_MAX_TRANSACTIONS 16u

/* A buffer that holds any valid absolute path and its NUL. */
#define NCS_PATH_BUF (NC_STORE_MAX_PATH + 1)

/* xenstored's XENSTORE_PAYLOAD_MAX: a watch event (path, token and two
 * NULs) must fit in one message. */
#define NCS_PAYLOAD_MAX 4096u

/* Permission bits as perm_for_conn() answers them: NC_PERM_READ,
 * NC_PERM_WRITE and this one, held by the owner and privileged callers. */
#define NCS_PERM_OWNER 4u

/* The generation recorded for a path that named no node. */
#define NCS_NO_GEN UINT64_MAX

/* ---------------------------------------------------------------- tree */

/* A permission list: p[0] is the owner and the default, as xenstored. */
struct ncs_perms {
	unsigned n;                               /* 1..NC_STORE_MAX_PERMS */
	struct nc_store_perm p[NC_STORE_MAX_PERMS];
};

struct ncs_node {
	char *name;                 /* last path component; "" for "/" */
	struct ncs_node *parent;    /* NULL for "/" */
	struct ncs_node **children; /* in creation order, as xenstored */
	unsigned nchildren;         /* entries used in children */
	unsigned cap;               /* entries allocated in children */
	unsigned char *value;       /* NULL when len is 0 */
	size_t len;                 /* value bytes */
	struct ncs_perms perms;
	uint64_t gen;               /* store generation of the last change */
};

struct ncs_tree {
	struct ncs_node *root;
	unsigned count;             /* nodes, "/" included */
};

/* Who asks: permissions are decided from these two alone. */
struct ncs_who {
	nc_domid_t domid;
	int privileged;
};

/* One queued watch event. */
struct ncs_event {
	char *path;        /* absolute node path, or a special "@..." name */
	int exact;         /* fire only watches on exactly `path` */
	int special;       /* "@introduceDomain" / "@releaseDomain" */
	unsigned nreaders; /* readers[] used: 0 (special) .. 2 */
	/* A connection sees the event when it may read under any of these
	 * lists (the node's, plus its parent's or its old list). */
	struct ncs_perms readers[2];
};

struct ncs_events {
	struct ncs_event *v;
	size_t n, cap;
};

struct ncs_txn;

struct ncs_ctx {
	struct ncs_store *s;
	struct ncs_tree *tree;      /* the tree operated on */
	struct ncs_who who;
	struct ncs_txn *txn;        /* record accessed nodes, or NULL */
	struct ncs_events *events;  /* queue events here, or NULL */
};

/* A change to the tree, as applied directly or logged by a transaction. */
enum ncs_change_kind {
	NCS_CHANGE_WRITE,
	NCS_CHANGE_MKDIR,
	NCS_CHANGE_RM,
	NCS_CHANGE_SET_PERMS,
};

struct ncs_change {
	enum ncs_change_kind kind;
	const void *val;            /* WRITE */
	size_t len;                 /* WRITE */
	struct ncs_perms perms;     /* SET_PERMS */
};

/* --------------------------------------------------------------- store */

struct ncs_watch {
	struct ncs_watch *next;
	char *path;          /* absolute, or a special "@..." name */
	char *token;
	size_t rel_prefix;   /* bytes of "/local/domain/<id>" to strip from
			      * event paths; 0 for an absolute watch */
};

/* Deliveries being handed to sinks: kept on a stack in the store so that
 * ncs_conn_free() called from a sink can cancel the ones for its conn. */
struct ncs_delivery {
	struct ncs_conn *conn;  /* NULL once cancelled */
	char *path;
	char *token;
};

struct ncs_batch {
	struct ncs_batch *outer;
	struct ncs_delivery *v;
	size_t n, cap;
};

struct ncs_conn {
	struct ncs_store *s;
	struct ncs_conn *next;      /* in s->conns */
	struct ncs_who who;
	ncs_watch_sink sink;
	void *arg;
	struct ncs_watch *watches;
	unsigned nwatches;
	struct ncs_txn *txns;       /* open transactions */
	unsigned ntxns;
};

struct ncs_store {
	struct ncs_limits limits;
	struct ncs_tree tree;       /* committed state */
	uint64_t gen;               /* last generation handed out */
	struct ncs_conn *conns;
	nc_txn_t last_txn;          /* last transaction id handed out */
	struct ncs_batch *firing;   /* innermost delivery batch, or NULL */
	char *scratch;              /* results of read / directory */
	size_t scratch_cap;
};

/* ----------------------------------------------------------- store.c */

/* A buffer of at least `len` bytes, valid until the next call on s. */
char *ncs_scratch(struct ncs_store *s, size_t len);
uint64_t ncs_next_gen(struct ncs_store *s);
/* strdup() and strnlen(), which plain C11 lacks. */
char *ncs_strdup(const char *str);
size_t ncs_strnlen(const char *str, size_t max);

/* ------------------------------------------------------- store_path.c */

/* Resolve a node path (absolute, or relative to domid's home) into
 * abs[NCS_PATH_BUF], validating it.  NC_EINVAL when invalid. */
int ncs_path_resolve(nc_domid_t domid, const char *path, char *abs);
/* "/local/domain/<domid>" into buf; its length, or NC_ENOSPC. */
int ncs_path_home(nc_domid_t domid, char *buf, size_t len);
/* 1 for "@introduceDomain" and "@releaseDomain". */
int ncs_path_is_special(const char *path);
/* 1 when `path` is `ancestor` or lies below it ("/" is above all). */
int ncs_path_is_under(const char *path, const char *ancestor);
/* The length of path's parent ("/a" -> 1, "/a/b" -> 2); path != "/". */
size_t ncs_path_parent_len(const char *path);

/* ------------------------------------------------------ store_perms.c */

/* The bits (NC_PERM_READ | NC_PERM_WRITE | NCS_PERM_OWNER) `who` holds
 * on a node with list `perms`. */
unsigned ncs_perm_for(const struct ncs_who *who, const struct ncs_perms *perms);
int ncs_may_read(const struct ncs_who *who, const struct ncs_perms *perms);
/* Copy a caller's list in, validating it: NC_EINVAL when bad. */
int ncs_perms_from_user(struct ncs_perms *out,
			const struct nc_store_perm *p, unsigned n);

/* ------------------------------------------------------- store_tree.c */

int ncs_tree_init(struct ncs_tree *t, struct ncs_store *s);
void ncs_tree_free(struct ncs_tree *t);
int ncs_tree_copy(struct ncs_tree *dst, const struct ncs_tree *src);
struct ncs_node *ncs_tree_lookup(const struct ncs_tree *t, const char *abs);
/* Write the path of n into buf[NCS_PATH_BUF]. */
void ncs_node_path(const struct ncs_node *n, char *buf);

/* The node at abs if `want` (permission bits) is held on it, else NULL
 * with *err NC_ENOENT or NC_EACCES, as xenstored's get_node(). */
struct ncs_node *ncs_tree_get(struct ncs_ctx *ctx, const char *abs,
			      unsigned want, int *err);
/* Apply one change at abs (already resolved). */
int ncs_tree_apply(struct ncs_ctx *ctx, const char *abs,
		   const struct ncs_change *ch);
/* Remove n and its subtree as a toolstack would (no permission check). */
void ncs_tree_remove(struct ncs_ctx *ctx, struct ncs_node *n);

/* -------------------------------------------------------- store_txn.c */

struct ncs_txn *ncs_txn_find(struct ncs_conn *c, nc_txn_t id);
/* Record that the transaction in ctx looked at abs, which held n (or
 * nothing).  Only the first access counts.  No-op outside transactions. */
void ncs_txn_note(struct ncs_ctx *ctx, const char *abs,
		  const struct ncs_node *n);
/* The tree transaction t works on. */
struct ncs_tree *ncs_txn_tree(struct ncs_txn *t);
/* Apply a change inside t and log it for the commit. */
int ncs_txn_change(struct ncs_conn *c, struct ncs_txn *t, const char *abs,
		   const struct ncs_change *ch);
/* Abort every open transaction of c. */
void ncs_txn_abort_all(struct ncs_conn *c);
int ncs_txn_id_in_use(const struct ncs_store *s, nc_txn_t id);

/* ------------------------------------------------------ store_watch.c */

/* Queue an event; drops it (as xenstored does) when out of memory. */
void ncs_event_changed(struct ncs_ctx *ctx, const char *abs,
		       const struct ncs_perms *now, const struct ncs_perms *old);
void ncs_event_removed(struct ncs_ctx *ctx, const char *abs, int exact,
		       const struct ncs_perms *node,
		       const struct ncs_perms *parent);
void ncs_event_special(struct ncs_events *ev, const char *name);
/* Deliver every queued event to its watchers, then empty the queue. */
void ncs_events_fire(struct ncs_store *s, struct ncs_events *ev);
void ncs_events_clear(struct ncs_events *ev);
/* Drop all of c's watches and cancel deliveries still due to c. */
void ncs_watch_drop_conn(struct ncs_conn *c);

#endif

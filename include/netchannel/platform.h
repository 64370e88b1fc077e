/*
 * netchannel/platform.h - what the protocol ends need from the world.
 *
 * The frontend and backend never call Xen, the simulator or libc for grants,
 * events or the store: they call the three ops tables below, which the
 * embedder fills.  Implementations:
 *   - in-process (netchannel/inproc.h): several domains in one process, for
 *     the unit tests and the single-process demo;
 *   - simulator: the `netchannel sim` daemon, through its sockets;
 *   - xen: libxengnttab, libxenevtchn and libxenstore.
 * A unikernel supplies its own three tables.
 *
 * Every call returns NC_OK (0) or a negative nc_error (netchannel/errors.h)
 * unless it says otherwise.  No table is global: a device gets a
 * struct nc_platform by value and keeps it.
 *
 * Rules every implementation enforces (the simulator and Xen do too):
 *   - only the domain a grant was made to can map or copy it;
 *   - a read-only grant never yields a writable mapping or a copy into it;
 *   - a grant that is mapped cannot be revoked (unshare answers NC_EBUSY,
 *     and the pages stay allocated: the caller quarantines them);
 *   - store nodes have an owner and per-domain permissions, as xenstored.
 */
#ifndef NETCHANNEL_PLATFORM_H
#define NETCHANNEL_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "netchannel/errors.h"
#include "netchannel/wire.h"

/* ---------------------------------------------------------------- grants */

/* One grant-copy segment (GNTTABOP_copy).  Each side is either a grant of
 * a foreign domain (flag set) or a local address.  A segment never crosses
 * a page on a granted side: offset + len <= NC_PAGE_SIZE. */
struct nc_copy_seg {
	union {
		struct {
			nc_gref_t ref;     /* the peer's grant reference */
			uint16_t offset;   /* byte offset inside that page */
			nc_domid_t domid;  /* the granting domain */
		} foreign;
		void *local;               /* an address in this process */
	} src, dst;
	uint16_t len;      /* bytes to copy */
	uint16_t flags;    /* NC_COPY_SRC_GREF | NC_COPY_DST_GREF */
	int16_t status;    /* out: NC_OK or a negative nc_error */
};
#define NC_COPY_SRC_GREF 0x1u
#define NC_COPY_DST_GREF 0x2u

struct nc_grant_ops {
	/* Allocate npages zeroed, page-aligned, virtually contiguous pages
	 * and grant each to `peer` (read-only when `readonly`).  refs[i] gets
	 * the reference of page i.  Returns the base address, or NULL. */
	void *(*share)(void *ctx, nc_domid_t peer, unsigned npages,
		       int readonly, nc_gref_t *refs);
	/* Revoke the grants of one share() call and free its pages.
	 * NC_EBUSY: the peer still maps a page; nothing was freed and the
	 * caller must never write or reuse those pages (XSA-396). */
	int (*unshare)(void *ctx, void *base, unsigned npages);
	/* Map n grants of `peer` contiguously; NULL when refused. */
	void *(*map)(void *ctx, nc_domid_t peer, unsigned n,
		     const nc_gref_t *refs, int writable);
	/* Undo one map() call. */
	int (*unmap)(void *ctx, void *addr, unsigned n);
	/* Perform n copy segments, setting each one's status.  Returns NC_OK
	 * when every segment succeeded, else the first failure. */
	int (*copy)(void *ctx, struct nc_copy_seg *segs, unsigned n);
};

/* ---------------------------------------------------------------- events */

struct nc_event_ops {
	/* A new port that `remote` may bind to. */
	int (*alloc_unbound)(void *ctx, nc_domid_t remote, nc_port_t *port);
	/* Bind to `remote`'s unbound port; *port gets our end. */
	int (*bind_interdomain)(void *ctx, nc_domid_t remote,
				nc_port_t remote_port, nc_port_t *port);
	/* Raise an event on the peer of our `port`.  NC_EBADF once the
	 * channel is closed: an error, never a hang. */
	int (*notify)(void *ctx, nc_port_t port);
	/* Close our end of the channel. */
	int (*unbind)(void *ctx, nc_port_t port);
	/* An fd that polls readable while any port of this handle has an
	 * event pending, or -1 when the platform has none (the embedder then
	 * calls the device's work function from its own scheduler). */
	int (*fd)(void *ctx);
	/* Take one pending port: 1 and *port set, 0 when none is pending,
	 * or a negative error.  The event is consumed and the port unmasked.
	 * 2 and *port set: the peer closed that channel (its process or
	 * domain is gone); the port stays ours until unbound and notify on it
	 * answers NC_ENOTCONN.  Platforms that cannot tell never return 2. */
	int (*pending)(void *ctx, nc_port_t *port);
};

/* ----------------------------------------------------------------- store */

typedef uint32_t nc_txn_t;          /* 0: outside any transaction */
#define NC_TXN_NONE ((nc_txn_t)0)

/* Per-domain permission, as xenstored: NONE, READ, WRITE or BOTH. */
enum nc_perm { NC_PERM_NONE = 0, NC_PERM_READ = 1, NC_PERM_WRITE = 2,
	       NC_PERM_BOTH = 3 };

/* A node's permission list: entry 0 names the owner (who may do anything)
 * and the permission of every domain not listed; entries 1.. name one
 * domain each.  Domain 0 is privileged and always allowed. */
struct nc_store_perm {
	nc_domid_t domid;
	uint8_t perm;      /* enum nc_perm */
};

/* The most entries a permission list may have. */
#define NC_STORE_MAX_PERMS 16
/* The longest absolute path (XENSTORE_ABS_PATH_MAX) and value
 * (XENSTORE_PAYLOAD_MAX). */
#define NC_STORE_MAX_PATH 3072
#define NC_STORE_MAX_VALUE 4096

struct nc_store_ops {
	/* Read a node's value into buf, NUL-terminated; returns its length.
	 * NC_ENOENT when absent, NC_ENOSPC when buf is too small. */
	int (*read)(void *ctx, nc_txn_t t, const char *path, char *buf,
		    size_t len);
	/* Write a value (a C string), creating the node and its parents. */
	int (*write)(void *ctx, nc_txn_t t, const char *path,
		     const char *value);
	int (*mkdir)(void *ctx, nc_txn_t t, const char *path);
	/* Remove a node and everything under it. NC_OK if it was absent. */
	int (*rm)(void *ctx, nc_txn_t t, const char *path);
	/* The names of a node's children, each NUL-terminated, back to back;
	 * returns the bytes used. */
	int (*directory)(void *ctx, nc_txn_t t, const char *path, char *buf,
			 size_t len);
	/* Permissions: get returns the number of entries written. */
	int (*get_perms)(void *ctx, nc_txn_t t, const char *path,
			 struct nc_store_perm *perms, unsigned max);
	int (*set_perms)(void *ctx, nc_txn_t t, const char *path,
			 const struct nc_store_perm *perms, unsigned n);
	/* Transactions: txn_end(commit=1) answers NC_EAGAIN on a conflict;
	 * the caller then starts over. */
	int (*txn_start)(void *ctx, nc_txn_t *t);
	int (*txn_end)(void *ctx, nc_txn_t t, int commit);
	/* Watch a node and its subtree.  Registration fires once at once. */
	int (*watch)(void *ctx, const char *path, const char *token);
	int (*unwatch)(void *ctx, const char *path, const char *token);
	/* An fd that polls readable while a watch event waits, or -1. */
	int (*fd)(void *ctx);
	/* Take one fired watch: 1 with path and token copied out, 0 if none. */
	int (*read_watch)(void *ctx, char *path, size_t path_len, char *token,
			  size_t token_len);
};

/* ------------------------------------------------------------- together */

struct nc_grants { const struct nc_grant_ops *ops; void *ctx; };
struct nc_events { const struct nc_event_ops *ops; void *ctx; };
struct nc_store { const struct nc_store_ops *ops; void *ctx; };

/* Everything a device needs, passed by value to a frontend or backend. */
struct nc_platform {
	struct nc_grants grants;
	struct nc_events events;
	struct nc_store store;
	nc_domid_t domid;  /* this domain's id */
};

#endif

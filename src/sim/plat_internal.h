/*
 * plat_internal.h - the platform server's objects, shared by
 * plat_server.c (sockets, connections, dispatch), plat_grants.c and
 * plat_events.c.
 *
 * Ownership: a share, a mapping and a port belong to one connection.  A
 * connection that must go is marked dead at once (it gets no more
 * messages) and freed by ps_reap() once no handler up the stack holds it;
 * freeing it releases what it owned, which may kill other connections
 * (a notice they cannot take), freed in the same reap.
 */
#ifndef NETCHANNEL_SIM_PLAT_INTERNAL_H
#define NETCHANNEL_SIM_PLAT_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>
#include <sys/un.h>

#include "sim/plat_proto.h"
#include "sim/plat_server.h"

/* Limits: per connection, and over the server. */
#define PS_MAX_CONNS 512u
#define PS_MAX_SHARES_PER_CONN 256u
#define PS_MAX_MAPS_PER_CONN 1024u
#define PS_MAX_MAPPED_PER_CONN 16384u   /* pages */
/* fds each domain may make the daemon hold (a share or a port: one). */
#define PS_MIN_FDS_PER_DOMAIN 32u
#define PS_FDS_RESERVED 1280u           /* connections, store, slack */

/* What an epoll event's data.ptr points to: the first member of both. */
enum ps_kind { PS_LISTENER, PS_CONN };

struct ps_conn;

/* One SHARE: npages pages in one memfd, granted to one peer. */
struct ps_share {
	struct ps_share *next;          /* in owner->shares */
	struct ps_conn *owner;
	uint64_t id;                    /* NCSP share id, never 0 */
	int fd;                         /* the memfd (the daemon's) */
	int readonly;
	int published;                  /* the table entries are live */
	nc_domid_t peer;
	unsigned npages;
	nc_gref_t refs[];               /* page i's ref */
};

/* The daemon's private half of a grant entry (the public half is the
 * word in the shared table). */
struct ps_grant {
	struct ps_share *share;         /* NULL: the ref is free */
	uint32_t map_count;             /* pages of it mapped now */
	uint32_t gen;                   /* bumps when the ref is freed */
	unsigned page;                  /* its page in the share */
};

enum ps_port_state { PS_PORT_FREE = 0, PS_PORT_UNBOUND, PS_PORT_BOUND };

struct ps_port {
	enum ps_port_state state;
	struct ps_conn *owner;
	nc_domid_t remote_dom;
	nc_port_t remote_port;
	int efd;                        /* its eventfd (the daemon's copy) */
};

struct ps_domain {
	nc_domid_t id;
	_Atomic uint64_t *table;        /* its entries in the shared table */
	struct ps_grant *grants;        /* NCSP_MAX_GRANTS, on first share */
	unsigned grants_used;           /* refs allocated (reserved or live) */
	unsigned grant_hint;            /* where the next search starts */
	struct ps_port *ports;          /* NCSP_MAX_PORTS, on first port */
	unsigned ports_used;
	unsigned members;               /* joined connections */
	unsigned mapped_pages;          /* others' pages its clients map */
	unsigned fds_held;              /* shares and ports */
};

/* One MAP: which grant (and which incarnation of it) each page holds. */
struct ps_map_page {
	nc_gref_t ref;
	uint32_t gen;
};

struct ps_mapping {
	struct ps_mapping *next;        /* in conn->mappings */
	uint32_t id;
	nc_domid_t granter;
	unsigned n;
	struct ps_map_page pages[];
};

struct ps_conn {
	enum ps_kind kind;              /* PS_CONN */
	struct ncsim_plat *srv;
	struct ps_conn *prev, *next;    /* in srv->conns */
	int fd;
	nc_domid_t domid;
	struct ps_domain *dom;
	int hello;                      /* HELLO done */
	int joined;                     /* a process of dom (not observer) */
	int dead;                       /* to be freed by ps_reap() */
	struct ps_share *shares;
	unsigned nshares;
	struct ps_mapping *mappings;
	unsigned nmappings;
	unsigned mapped_pages;
	uint32_t next_map_id;
};

struct ps_listener {
	enum ps_kind kind;              /* PS_LISTENER */
	struct ps_listener *next;
	int fd;
	nc_domid_t domid;
	int paused;                     /* out of fds: not accepting */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* One request, validated as far as the header goes. */
struct ps_req {
	uint16_t op;
	uint32_t seq;
	const uint8_t *body;
	uint32_t len;
};

/* The reply being built.  fds flagged temp were opened for this reply
 * (read-only reopens) and are closed once it is sent. */
struct ps_reply {
	int32_t status;
	uint32_t len;
	unsigned nfds;
	int fds[NCSP_MAX_FDS];
	uint8_t temp[NCSP_MAX_FDS];
	_Alignas(uint64_t) uint8_t body[NCSP_MAX_BODY];
};

/* A handler's answer: a status for the reply, or PS_BAD_MSG: the request
 * was malformed and the connection goes. */
#define PS_BAD_MSG 1

struct ncsim_plat {
	int epfd;
	unsigned ndomains;
	struct ps_domain *domains;
	unsigned fds_per_domain;        /* budget, from RLIMIT_NOFILE */
	int table_fd;                   /* the shared grant table memfd */
	int table_ro_fd;                /* the same, opened read-only */
	_Atomic uint64_t *table;
	size_t table_bytes;
	uint64_t next_share_id;
	struct ps_listener *listeners;
	struct ps_conn *conns;
	unsigned nconns;
	int reap_pending;
	ncsim_plat_log_fn log;
	void *log_arg;
	struct ncsim_plat_hooks hooks;
	struct ps_reply reply;          /* one request at a time */
	_Alignas(uint64_t) uint8_t in[NCSP_MAX_MSG + 1];
};

/* plat_server.c */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ps_log(struct ncsim_plat *srv, int level, const char *fmt, ...);
/* Mark c dead (freed by the next reap) and log why at `level`. */
void ps_conn_kill(struct ps_conn *c, int level, const char *why);
/* Send a notice to c (nothing if c is dead); a full socket kills c. */
void ps_notice(struct ps_conn *c, uint16_t op, const void *body,
	       uint32_t len, const int *fds, unsigned nfds);
struct ps_domain *ps_domain(struct ncsim_plat *srv, nc_domid_t domid);
/* Room for one more held fd in c's domain budget? */
int ps_fd_budget_ok(const struct ps_conn *c);
/* A read-only fd of the same file as fd (-1 with errno on failure). */
int ps_reopen_readonly(int fd);
/* Add an fd to the reply. */
void ps_reply_fd(struct ps_reply *rep, int fd, int temp);
/* Reserve `len` bytes of reply body; NULL if it would not fit. */
void *ps_reply_body(struct ps_reply *rep, uint32_t len);

/* plat_grants.c */
int ps_grants_init(struct ncsim_plat *srv);
void ps_grants_fini(struct ncsim_plat *srv);
int ps_op_share(struct ps_conn *c, const struct ps_req *r,
		struct ps_reply *rep);
int ps_op_publish(struct ps_conn *c, const struct ps_req *r,
		  struct ps_reply *rep);
int ps_op_unshare(struct ps_conn *c, const struct ps_req *r,
		  struct ps_reply *rep);
int ps_op_map(struct ps_conn *c, const struct ps_req *r,
	      struct ps_reply *rep);
int ps_op_unmap(struct ps_conn *c, const struct ps_req *r,
		struct ps_reply *rep);
int ps_op_copy_access(struct ps_conn *c, const struct ps_req *r,
		      struct ps_reply *rep);
/* Release everything c holds in the grant tables. */
void ps_grants_release(struct ps_conn *c);

/* plat_events.c */
int ps_op_alloc_unbound(struct ps_conn *c, const struct ps_req *r,
			struct ps_reply *rep);
int ps_op_bind(struct ps_conn *c, const struct ps_req *r,
	       struct ps_reply *rep);
int ps_op_unbind(struct ps_conn *c, const struct ps_req *r,
		 struct ps_reply *rep);
/* Close every port c owns, telling the peers. */
void ps_events_release(struct ps_conn *c);
void ps_events_fini(struct ncsim_plat *srv);

#endif

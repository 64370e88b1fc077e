/*
 * inproc_internal.h - the in-process platform's world: domains, their
 * grant tables and event ports, handles, and the shared store engine.
 * Every entry point takes the world lock; helpers here assume it is held.
 */
#ifndef NETCHANNEL_INPROC_INTERNAL_H
#define NETCHANNEL_INPROC_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "netchannel/inproc.h"
#include "store/store.h"

#define INPROC_FIRST_GREF 8u      /* Xen reserves refs 0..7 */
#define INPROC_MAX_PORTS 1024u
#define INPROC_WATCH_QUEUE 1024u  /* bounded: overflow drops, counted */

/* One grant entry of a domain's table. */
struct ip_grant {
	int in_use;
	int readonly;
	nc_domid_t peer;        /* the only domain that may use it */
	int fd;                 /* the share's memfd */
	unsigned page;          /* page index inside that memfd */
	uint8_t *local;         /* the granter's own address of the page */
	unsigned map_count;     /* pages of it mapped by the peer now */
	uint32_t generation;    /* bumps on reuse, so stale maps are told */
};

/* One share() call: its pages and refs. */
struct ip_share {
	struct ip_share *next;
	uint8_t *base;
	unsigned npages;
	int fd;
	nc_gref_t *refs;
};

enum ip_port_state { IP_PORT_FREE = 0, IP_PORT_UNBOUND, IP_PORT_BOUND };

struct ip_port {
	enum ip_port_state state;
	struct nc_inproc_handle *owner;
	nc_domid_t remote_dom;
	nc_port_t remote_port;
	int pending;
	int peer_closed;        /* the peer closed: report it once */
};

struct ip_domain {
	int exists;
	nc_domid_t domid;
	struct ip_grant *grants;
	unsigned ngrants;       /* table size */
	unsigned grants_used;
	struct ip_share *shares;
	struct ip_port ports[INPROC_MAX_PORTS];
	unsigned handles;
};

/* One mapping made through a handle. */
struct ip_mapping {
	struct ip_mapping *next;
	uint8_t *addr;
	unsigned n;
	nc_domid_t granter;
	nc_gref_t *refs;
	uint32_t *gens;
};

struct ip_watch_event {
	char *path;
	char *token;
};

struct nc_inproc_handle {
	struct nc_inproc_handle *next;
	struct nc_inproc_world *w;
	nc_domid_t domid;
	int evfd;                       /* events pending */
	nc_port_t *queue;               /* ports with an event, FIFO */
	unsigned q_head, q_len;
	int store_fd;                   /* watch events pending */
	struct ncs_conn *conn;
	struct ip_watch_event watches[INPROC_WATCH_QUEUE];
	unsigned w_head, w_len;
	uint64_t watch_drops;
	struct ip_mapping *mappings;
};

struct nc_inproc_world {
	pthread_rwlock_t lock;   /* readers: grant copies; writers: the rest */
	struct ip_domain *domains;
	unsigned ndomains;
	struct nc_inproc_handle *handles;
	struct ncs_store *store;
};

struct ip_domain *ip_domain_get(struct nc_inproc_world *w, nc_domid_t d);
struct ip_domain *ip_domain_find(struct nc_inproc_world *w, nc_domid_t d);

extern const struct nc_grant_ops nc_inproc_grant_ops;
extern const struct nc_event_ops nc_inproc_event_ops;
extern const struct nc_store_ops nc_inproc_store_ops;

/* Per-concern teardown used by close and destroy. */
void ip_grants_unmap_all(struct nc_inproc_handle *h);
void ip_grants_end_all(struct nc_inproc_world *w, struct ip_domain *d);
void ip_events_close_all(struct nc_inproc_handle *h);
void ip_store_watch_sink(void *arg, const char *path, const char *token);
void ip_store_drain(struct nc_inproc_handle *h);

void ip_lock(struct nc_inproc_world *w);
void ip_unlock(struct nc_inproc_world *w);
/* Shared: for a grant copy, which only reads the tables (copies by
 * different threads, e.g. one per queue, run side by side). */
void ip_lock_shared(struct nc_inproc_world *w);

#endif

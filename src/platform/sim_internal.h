/*
 * sim_internal.h - a process's handle on one domain of the simulator:
 * its platform connection, the grant tables it reads, its shares,
 * mappings, grant-copy views and event-channel ports.
 *
 * One handle is used by one thread at a time (the protocol ends are
 * single-threaded); handles are independent of each other.  After fork()
 * the child must neither use nor close its parent's handles.
 */
#ifndef NETCHANNEL_SIM_INTERNAL_H
#define NETCHANNEL_SIM_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "netchannel/sim.h"
#include "sim/plat_proto.h"

/* Grant-copy views kept per handle (each a whole share, mapped once). */
#define SC_COPY_VIEWS 32u
/* A reply must come within this; otherwise the daemon is gone (NC_EIO). */
#define SC_REPLY_TIMEOUT_S 10
/* epoll tags that are not ports */
#define SC_TAG_SOCK (UINT64_C(1) << 32)
#define SC_TAG_NOTICE (SC_TAG_SOCK + 1)

enum sc_port_state { SC_PORT_FREE = 0, SC_PORT_UNBOUND, SC_PORT_BOUND };

struct sc_port {
	uint8_t state;          /* enum sc_port_state */
	uint8_t closed_queued;  /* in the closed-report queue */
	int efd;                /* ours: readable when an event is pending */
	int peer_efd;           /* the peer's: notify writes to it; -1 */
};

struct sc_share {
	struct sc_share *next;
	uint8_t *base;
	unsigned npages;
	uint64_t id;
};

struct sc_mapping {
	struct sc_mapping *next;
	uint8_t *addr;
	unsigned n;
	uint32_t id;
};

/* A share of another domain mapped whole for grant copy. */
struct sc_view {
	uint8_t *base;          /* NULL: slot free */
	unsigned npages;
	int writable;
	nc_domid_t granter;
	nc_gref_t ref;          /* a ref of it, to tell when it is gone */
	uint64_t share_id;
	uint64_t last_use;
};

/* A reply: body points into the handle's buffer (valid until the next
 * message is read); fds are the caller's to keep or close. */
struct sc_reply {
	int32_t status;
	const uint8_t *body;
	uint32_t len;
	int fds[NCSP_MAX_FDS];
	unsigned nfds;
};

struct nc_sim_handle {
	int sock;               /* the platform connection */
	int broken;             /* the daemon is gone: NC_EIO from now on */
	nc_domid_t domid;
	uint32_t seq;
	unsigned ndomains, max_grants, max_ports;
	const _Atomic uint64_t *table;  /* every domain's grant entries */
	size_t table_bytes;
	int epfd;               /* events.fd(): ports, socket, notices */
	int notice_fd;          /* readable while closed reports wait */
	struct sc_port *ports;  /* max_ports */
	nc_port_t *closed_q;    /* ports whose peer closed, FIFO */
	unsigned cq_head, cq_len;
	struct sc_share *shares;
	struct sc_mapping *mappings;
	struct sc_view views[SC_COPY_VIEWS];
	struct sc_view *last_view;
	uint64_t use_clock;
	struct nc_store store;
	_Alignas(uint64_t) uint8_t msg[NCSP_MAX_MSG + 1];
};

/* sim_client.c: requests, notices. */
int sc_call(struct nc_sim_handle *h, uint16_t op, const void *body,
	    uint32_t len, struct sc_reply *rep);
/* Handle the notices waiting on the socket, without blocking.  NC_OK, or
 * NC_EIO when the daemon is gone. */
int sc_drain_notices(struct nc_sim_handle *h);
int sc_connect(const char *run_dir, nc_domid_t domid);

/* sim_grants.c */
extern const struct nc_grant_ops nc_sim_grant_ops;
void sc_grants_close(struct nc_sim_handle *h);

/* sim_events.c */
extern const struct nc_event_ops nc_sim_event_ops;
int sc_events_open(struct nc_sim_handle *h);
void sc_events_close(struct nc_sim_handle *h);
void sc_events_notice(struct nc_sim_handle *h, uint16_t op,
		      const uint8_t *body, uint32_t len, int *fds,
		      unsigned nfds);

#endif

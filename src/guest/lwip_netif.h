/*
 * guest/lwip_netif.h - an lwIP network interface over a netfront.
 *
 * The glue between lwIP (Debian's liblwip: the unix port, NO_SYS=0, core
 * locking on) and a struct nc_front:
 *
 *   receive:  the frontend's rx callback (nc_lwip_netif_rx) copies each
 *             frame into one contiguous pbuf, completes a partial checksum
 *             the backend left blank, drops unicast for other MACs (what a
 *             NIC's filter does), and hands the pbuf to netif->input, which
 *             is ethernet_input: called directly, because the rx callback
 *             runs inside nc_front_poll and that runs under the core lock.
 *   transmit: lwIP calls linkoutput under the core lock, from its tcpip
 *             thread (timers, retransmissions) or from ours (replies made
 *             while input is processed).  It writes the frame in place with
 *             nc_front_write: the fill callback copies the pbuf chain
 *             straight into the zeroed pool view (pbuf_copy_partial).  When
 *             the ring or the pool is full the frame is copied into a
 *             bounded queue, sent in order after the next poll; beyond the
 *             bound it is dropped and counted (TCP retransmits).
 *   link:     up while the frontend is NC_FRONT_CONNECTED, down otherwise,
 *             re-evaluated after every poll.
 *
 * Locking rule: every function here, and every frontend call of whoever
 * uses this netif, runs with lwIP's core lock held (LOCK_TCPIP_CORE), so
 * lwIP's thread and the caller's loop never touch the frontend at once.
 */
#ifndef NETCHANNEL_GUEST_LWIP_NETIF_H
#define NETCHANNEL_GUEST_LWIP_NETIF_H

#include <stdint.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "netchannel/front.h"

/* Frames held while the ring or the pool is full. */
#define NC_LWIP_TXQ_MAX 128u

/* What the glue did, on top of the frontend's own nc_vif_stats. */
struct nc_lwip_counters {
	uint64_t rx_frames;          /* frames handed to lwIP */
	uint64_t rx_bytes;
	uint64_t rx_filtered;        /* unicast to another MAC, ignored */
	uint64_t rx_csum_completed;  /* partial checksums filled in */
	uint64_t rx_dropped;         /* no pbuf, runt, or lwIP refused it */
	uint64_t tx_frames;          /* frames written into the pool */
	uint64_t tx_bytes;
	uint64_t tx_deferred;        /* ring or pool full: queued */
	uint64_t tx_dropped;         /* queue full, down, or too big */
	uint64_t link_ups;
	uint64_t link_downs;
};

struct nc_lwip_netif {
	struct netif netif;          /* lwIP's interface; .state is us */
	struct nc_front *front;      /* the device frames go through */
	int added;                   /* netif_add done, not yet removed */
	int link_up;                 /* what we last told lwIP */
	struct pbuf *txq[NC_LWIP_TXQ_MAX];  /* private copies, oldest first */
	unsigned txq_head;           /* index of the oldest */
	unsigned txq_len;
	struct nc_lwip_counters counters;
};

/* The frontend's rx callback: cfg.rx = nc_lwip_netif_rx, cfg.rx_arg = the
 * struct nc_lwip_netif.  Frames that arrive before nc_lwip_netif_add are
 * dropped and counted. */
void nc_lwip_netif_rx(void *arg, const struct nc_frame *frame);

/* Add the interface to lwIP (no address yet), named "nc", with the
 * frontend's MAC and MTU, administratively up, link down until the
 * frontend connects.  The frontend must have been initialised with the rx
 * callback above.  Core lock held.  0, or -1 when lwIP refused. */
int nc_lwip_netif_add(struct nc_lwip_netif *nif, struct nc_front *front);

/* Poll the frontend (nc_front_poll: handshake, TX completions, received
 * frames into lwIP), follow its state with the link, and send what the
 * queue holds.  Core lock held.  Returns nc_front_poll's answer (1: more
 * work pending, poll again soon). */
int nc_lwip_netif_poll(struct nc_lwip_netif *nif);

/* Frames waiting in the queue (the caller polls again soon while > 0). */
unsigned nc_lwip_netif_tx_pending(const struct nc_lwip_netif *nif);

/* Link down, interface down, queue dropped, netif removed from lwIP.
 * The frontend is left to the caller.  Core lock held. */
void nc_lwip_netif_remove(struct nc_lwip_netif *nif);

#endif

/*
 * back_internal.h - what the netback files share: the handshake
 * (back_xs.c), the frontend->backend path (back_tx.c), the
 * backend->frontend path and its bounded queue (back_rx.c) and the glue
 * (back.c).  Freestanding.
 */
#ifndef NETCHANNEL_BACK_INTERNAL_H
#define NETCHANNEL_BACK_INTERNAL_H

#include "netchannel/back.h"
#include "netchannel/ring.h"

/* The token of our watch on the frontend's state node. */
#define NCB_WATCH_TOKEN "nc-back-fe"

/* Bounded work per call (XSA-332/391): ring slots consumed per direction,
 * ring rounds (producer reads), and watch events or ports drained. */
#define NCB_TX_BUDGET (2u * NC_TX_RING_SIZE)
#define NCB_RX_BUDGET (2u * NC_RX_RING_SIZE)
#define NCB_MAX_ROUNDS 8u
#define NCB_MAX_DRAIN 64u

/* Event-channel ports are below 2^17 (the FIFO ABI's limit). */
#define NCB_PORT_MAX ((1u << 17) - 1u)
/* Domain ids from DOMID_FIRST_RESERVED (0x7FF0) on are not domains. */
#define NCB_DOMID_MAX 0x7FEFu

/* q->need_notify bits: the ring whose publish asked for an event.  With
 * split event channels each ring's event goes on its own port. */
#define NCB_NOTIFY_TX 0x1
#define NCB_NOTIFY_RX 0x2

/* The RX queue's defaults when the config leaves them 0. */
#define NCB_RXQ_DEFAULT_FRAMES 256u
#define NCB_RXQ_DEFAULT_BYTES (1u << 20)

/* back.c */
void ncb_log(const struct nc_back *b, const char *what, long value);
void ncb_count(struct nc_dir_stats *dir, enum nc_reason why);
/* Disable the vif (once): log `what` with `value`, count `why` in `dir`
 * (none when dir is NULL or why is NC_R_NONE), write Closing. */
void ncb_fail(struct nc_back *b, struct nc_dir_stats *dir,
	      enum nc_reason why, const char *what, long value);
/* Every queue's TX then RX, and the control ring, while connected, then
 * each queue's notification; 1: work remains. */
int ncb_work(struct nc_back *b);
/* One queue's TX then RX, then its notification; 1: work remains. */
int ncb_queue_work(struct nc_back *b, struct nc_back_q *q);
/* Send the event a queue's publish asked for, once per batch. */
void ncb_kick(struct nc_back *b, struct nc_back_q *q);
/* Every queue's index set; nqueues at least 1. */
void ncb_queues_reset(struct nc_back *b);

/* back_xs.c */
/* Write our state; remembered in b->xb_state when the write succeeded. */
int ncb_switch_state(struct nc_back *b, int state);
int ncb_xs_start(struct nc_back *b);
void ncb_xs_frontend_changed(struct nc_back *b);
void ncb_teardown(struct nc_back *b, enum nc_back_state final);
/* Every queue's rings unmapped and ports unbound, the control ring's
 * too; queued frames dropped. */
void ncb_release_data_path(struct nc_back *b);

/* back_tx.c */
int ncb_tx_work(struct nc_back *b, struct nc_back_q *q);

/* back_mcast.c */
#define NCB_MCAST_WATCH_TOKEN "nc-back-mcast"
/* A filter update (a dummy request with MCAST extras, parsed): applied,
 * and the status to answer its request with. */
int16_t ncb_mcast_update(struct nc_back *b, const struct nc_tx_parsed *p);
/* Data path up: empty list, read request-multicast-control, watch it. */
void ncb_mcast_connect(struct nc_back *b);
/* The watch fired: re-read the key (connected only). */
void ncb_mcast_changed(struct nc_back *b);
/* Data path down: stop watching, empty the list. */
void ncb_mcast_disconnect(struct nc_back *b);

/* back_ctrl.c: the control ring.  connect: 0, or -1 when the frontend's
 * ctrl keys are refused (vif disabled); work: 1 when requests remain. */
int ncb_ctrl_connect(struct nc_back *b);
void ncb_ctrl_release(struct nc_back *b);
int ncb_ctrl_work(struct nc_back *b);
int ncb_ctrl_port(const struct nc_back *b, nc_port_t port);

/* back_rx.c */
int ncb_rx_work(struct nc_back *b, struct nc_back_q *q);
void ncb_rxq_flush(struct nc_back *b, struct nc_back_q *q);
/* Every queue's queue toward the frontend dropped (counted). */
void ncb_rxq_flush_all(struct nc_back *b);
/* Share the caller's storage among the queues in use. */
void ncb_rxq_share(struct nc_back *b);

#endif

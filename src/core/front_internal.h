/*
 * front_internal.h - what the frontend's files share.
 */
#ifndef NETCHANNEL_FRONT_INTERNAL_H
#define NETCHANNEL_FRONT_INTERNAL_H

#include "netchannel/front.h"
#include "netchannel/ring.h"

#define NC_FRONT_WATCH_TOKEN "nc-front"
/* Work one poll call may do per ring before it yields (bounded CPU). */
#define NC_FRONT_POLL_BUDGET (2 * NC_RX_RING_SIZE)
/* The fewest TX pool pages a queue gets (a 64 KiB frame needs 17). */
#define NC_FRONT_QUEUE_POOL_MIN 32u

void nc_front_log(struct nc_front *f, const char *what, long value);
/* The backend broke the protocol: count, log once, stop using the rings,
 * tell the backend (Closing).  Grants stay until the backend lets go. */
void nc_front_break(struct nc_front *f, enum nc_reason why);
void nc_front_count_drop(struct nc_dir_stats *d, enum nc_reason why);

/* front_xs.c */
void nc_front_evaluate(struct nc_front *f);
void nc_front_teardown(struct nc_front *f);
/* Every queue's index and TX ids set; nqueues at least 1. */
void nc_front_queues_reset(struct nc_front *f);
/* The backend's end of our event channel closed: its process is gone. */
void nc_front_peer_closed(struct nc_front *f);

/* front_ctrl.c: the control ring's share, keys and release. */
int nc_front_ctrl_setup(struct nc_front *f);
int nc_front_ctrl_write_keys(struct nc_front *f, nc_txn_t t);
void nc_front_ctrl_teardown(struct nc_front *f);

/* front_tx.c */
void nc_front_tx_reset(struct nc_front_queue *q);
int nc_front_tx_complete(struct nc_front *f, struct nc_front_queue *q);

/* front_mcast.c: a filter update's answer (its frame record). */
void nc_front_mcast_done(struct nc_front *f, struct nc_front_txframe *fr);

/* front_rx.c */
void nc_front_rx_post(struct nc_front_queue *q);
int nc_front_rx_process(struct nc_front *f, struct nc_front_queue *q,
			unsigned max_frames, struct nc_frame *out);

/* Publish a queue's rings and notify the backend if it asked. */
void nc_front_notify(struct nc_front *f, struct nc_front_queue *q);

#endif

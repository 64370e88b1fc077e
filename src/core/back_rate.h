/*
 * back_rate.h - the credit scheduler that enforces the toolstack's `rate`
 * key on the frontend's transmit path (as Linux netback's tx_credit).
 * struct nc_back_rate is declared in netchannel/back.h (struct nc_back
 * holds one).  Pure functions: the time is always the caller's argument,
 * monotonic microseconds.  Freestanding.
 *
 * Model: credit_bytes of credit per credit_usec window, on a fixed grid of
 * windows (no drift).  A frame goes when it fits the remaining credit, or
 * when the credit is full (at least credit_bytes): then a frame bigger than
 * the whole credit still goes and its excess is a debt the next windows
 * repay, so nothing stalls and the long-run rate stays exact.  Credit
 * accumulates up to credit_bytes + NC_MAX_FRAME (the burst after idle):
 * a backlogged sender never loses the credit a too-big frame left unused.
 */
#ifndef NETCHANNEL_BACK_RATE_H
#define NETCHANNEL_BACK_RATE_H

#include <stdint.h>

#include "netchannel/back.h"

/* Credit above this per window is no limit (Linux's default is ~0UL). */
#define NC_RATE_MAX_BYTES (1ull << 48)
/* Windows longer than this (about 13 days) are taken as garbage. */
#define NC_RATE_MAX_USEC (1ull << 40)

/* Start limiting at bytes per usec from `now`; bytes or usec 0 or beyond
 * the maxima: unlimited. */
void nc_rate_init(struct nc_back_rate *r, uint64_t bytes, uint64_t usec,
		  uint64_t now);

/* Whether a frame of `size` bytes may go at `now`: 1 and charged, or 0 and
 * r->blocked set until nc_rate_next's time. */
int nc_rate_admit(struct nc_back_rate *r, uint32_t size, uint64_t now);

/* Whether limiting is on. */
int nc_rate_limited(const struct nc_back_rate *r);

/* When a blocked frame may be admitted: 1 and *when (the next window's
 * start), or 0 when nothing waits for credit. */
int nc_rate_next(const struct nc_back_rate *r, uint64_t *when);

/* The token of our watch on our own directory's `rate` key. */
#define NCB_RATE_WATCH_TOKEN "nc-back-rate"

/* back_xs.c: the `rate` key changed: re-read it (connected only); every
 * queue gets the key's credit, as each Linux netback queue does. */
void ncb_rate_changed(struct nc_back *b);

/* back.c's glue: the verdict for a frame of `size` bytes from the
 * frontend at cfg.clock_us's now (1: go, charged; 0: wait). */
int ncb_rate_admit(struct nc_back *b, struct nc_back_q *q, uint32_t size);

#endif

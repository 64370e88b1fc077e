/*
 * netchannel/ring.h - safe use of Xen's shared rings (io/ring.h).
 *
 * Xen's macros are correct for trusting peers; these helpers add what an
 * untrusting end needs, and nothing else:
 *
 *   - the peer's producer index is read exactly once per batch (an atomic
 *     acquire load, which is also the read barrier) and checked: a peer
 *     claiming more entries than can exist is broken (NC_EPROTO);
 *   - slots are copied out of shared memory exactly once, into private
 *     memory, with RING_COPY_REQUEST / RING_COPY_RESPONSE (XSA-155);
 *   - publishing returns whether the peer asked to be notified
 *     (req_event / rsp_event), so callers notify only then, once a batch;
 *   - the final check before sleeping sets our event index and looks again.
 *
 * All index arithmetic is modulo 2^32 (RING_IDX), so wrap-around is
 * ordinary.  Use with the ring types Xen's DEFINE_RING_TYPES generates,
 * e.g. netif_tx_front_ring_t.
 */
#ifndef NETCHANNEL_RING_H
#define NETCHANNEL_RING_H

#include "netchannel/errors.h"
#include "netchannel/wire.h"

/* Read an index the peer writes: once, with acquire ordering, so that the
 * slots it covers are read after it (xen_rmb). */
static inline RING_IDX nc_ring_load(const RING_IDX *shared)
{
	return __atomic_load_n(shared, __ATOMIC_ACQUIRE);
}

/* Write an index the peer reads, after the slots it covers (xen_wmb). */
static inline void nc_ring_store(RING_IDX *shared, RING_IDX v)
{
	__atomic_store_n(shared, v, __ATOMIC_RELEASE);
}

/*
 * Frontend: how many responses wait.  The backend cannot answer requests
 * we never made, so a response producer beyond our request producer is a
 * protocol violation (stricter than RING_RESPONSE_PROD_OVERFLOW).
 * Returns the count (>= 0) and sets *prod, or NC_EPROTO.
 */
static inline int nc_front_responses(const RING_IDX *rsp_prod_shared,
				     RING_IDX rsp_cons, RING_IDX req_prod_pvt,
				     RING_IDX *prod)
{
	RING_IDX p = nc_ring_load(rsp_prod_shared);

	/* Invariant: rsp_cons <= rsp_prod <= req_prod_pvt (mod 2^32). */
	if ((RING_IDX)(p - rsp_cons) > (RING_IDX)(req_prod_pvt - rsp_cons))
		return NC_EPROTO;
	*prod = p;
	return (int)(RING_IDX)(p - rsp_cons);
}

/*
 * Backend: how many requests wait.  The frontend can have at most a
 * ring's worth of requests not yet answered (RING_REQUEST_PROD_OVERFLOW);
 * more is a protocol violation.  Returns the count and sets *prod, or
 * NC_EPROTO.
 */
static inline int nc_back_requests(const RING_IDX *req_prod_shared,
				   RING_IDX req_cons, RING_IDX rsp_prod_pvt,
				   unsigned ring_size, RING_IDX *prod)
{
	RING_IDX p = nc_ring_load(req_prod_shared);

	/* Invariant: rsp_prod_pvt <= req_cons <= req_prod and
	 * req_prod - rsp_prod_pvt <= ring size. */
	if ((RING_IDX)(p - rsp_prod_pvt) > ring_size ||
	    (RING_IDX)(p - rsp_prod_pvt) < (RING_IDX)(req_cons - rsp_prod_pvt))
		return NC_EPROTO;
	*prod = p;
	return (int)(RING_IDX)(p - req_cons);
}

/*
 * Publish our producer index `new_prod` and say whether the peer wants an
 * event: its event index lies in (old, new].  `old` is the index we
 * published last time (our own copy, not re-read from the shared page).
 */
static inline int nc_ring_publish(RING_IDX *prod_shared,
				  const RING_IDX *event_shared,
				  RING_IDX old_prod, RING_IDX new_prod)
{
	RING_IDX ev;

	nc_ring_store(prod_shared, new_prod);
	xen_mb(); /* the peer sees the index before we read its event */
	ev = __atomic_load_n(event_shared, __ATOMIC_RELAXED);
	return (RING_IDX)(new_prod - ev) < (RING_IDX)(new_prod - old_prod);
}

/*
 * Before sleeping: ask for an event when the peer produces past `cons`
 * (plus `batch - 1` more entries when batch > 1, to be woken once per
 * batch), then look again.  Returns 1 when work arrived meanwhile.
 */
static inline int nc_ring_final_check(RING_IDX *event_shared,
				      const RING_IDX *prod_shared,
				      RING_IDX cons, unsigned batch)
{
	__atomic_store_n(event_shared, cons + (batch ? batch : 1),
			 __ATOMIC_RELAXED);
	xen_mb(); /* our event index is visible before we re-read prod */
	return nc_ring_load(prod_shared) != cons;
}

/*
 * Busy-polling, instead of the final check: whether the peer produced past
 * `cons`, leaving our event index as it is.  An end that polls without
 * ever sleeping never arms its index, so the peer never has to notify it
 * (no event-channel syscall on the data path; memif's MASK_INT).
 */
static inline int nc_ring_peek(const RING_IDX *prod_shared, RING_IDX cons)
{
	return nc_ring_load(prod_shared) != cons;
}

/* Convenience forms over Xen's generated ring structs. */
#define NC_FRONT_RESPONSES(r, prodp) \
	nc_front_responses(&(r)->sring->rsp_prod, (r)->rsp_cons, \
			   (r)->req_prod_pvt, (prodp))
#define NC_BACK_REQUESTS(r, prodp) \
	nc_back_requests(&(r)->sring->req_prod, (r)->req_cons, \
			 (r)->rsp_prod_pvt, RING_SIZE(r), (prodp))
#define NC_FRONT_PUBLISH(r, old) \
	nc_ring_publish(&(r)->sring->req_prod, &(r)->sring->req_event, \
			(old), (r)->req_prod_pvt)
#define NC_BACK_PUBLISH(r, old) \
	nc_ring_publish(&(r)->sring->rsp_prod, &(r)->sring->rsp_event, \
			(old), (r)->rsp_prod_pvt)
#define NC_FRONT_FINAL_CHECK(r) \
	nc_ring_final_check(&(r)->sring->rsp_event, &(r)->sring->rsp_prod, \
			    (r)->rsp_cons, 1)
#define NC_BACK_FINAL_CHECK(r) \
	nc_ring_final_check(&(r)->sring->req_event, &(r)->sring->req_prod, \
			    (r)->req_cons, 1)
#define NC_FRONT_PEEK(r) nc_ring_peek(&(r)->sring->rsp_prod, (r)->rsp_cons)
#define NC_BACK_PEEK(r) nc_ring_peek(&(r)->sring->req_prod, (r)->req_cons)

#endif

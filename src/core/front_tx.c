/*
 * front_tx.c - netfront's transmit path: frames written in place into the
 * pool (or gathered into it), posted as page-bounded slots, and their
 * blocks returned only when the backend has answered every slot.
 */
#include <string.h>

#include "csum_offload.h"
#include "front_internal.h"
#include "netchannel/csum.h"
#include "netchannel/ring.h"
#include "netchannel/toeplitz.h"

void nc_front_tx_reset(struct nc_front_queue *q)
{
	unsigned i;

	memset(q->frames, 0, sizeof(q->frames));
	memset(q->slot_busy, 0, sizeof(q->slot_busy));
	for (i = 0; i < NC_TX_RING_SIZE; i++)
		q->free_ids[i] = (uint16_t)(NC_TX_RING_SIZE - 1 - i);
	q->nfree_ids = NC_TX_RING_SIZE;
}

static uint16_t tx_flags(uint32_t flags)
{
	/* Frame flags to TX bits.  A partial checksum is also "validated"
	 * (as Linux netfront sends CHECKSUM_PARTIAL). */
	if (flags & NC_FRAME_CSUM_BLANK)
		return NETTXF_csum_blank | NETTXF_data_validated;
	if (flags & NC_FRAME_DATA_VALIDATED)
		return NETTXF_data_validated;
	return 0;
}

/* What goes with a frame besides its bytes: NC_FRAME_* flags and, with
 * NC_FRAME_GSO, the GSO extra's type and size. */
struct tx_meta {
	uint32_t flags;
	uint16_t gso_size;
	uint8_t gso_type;
};

/* Extra-info slots a frame takes after its first request (the GSO one). */
static unsigned tx_extras(const struct tx_meta *m)
{
	return (m->flags & NC_FRAME_GSO) ? 1u : 0u;
}

/* The GSO extra-info slot, built whole in a zeroed request and stored at
 * once (as Linux netfront: type GSO, no further extras).  Extras carry no
 * id: the backend answers them with NETIF_RSP_NULL (tx_answer). */
static void post_gso_extra(struct nc_front_queue *q, RING_IDX prod,
			   const struct tx_meta *m)
{
	netif_tx_request_t slot;
	netif_extra_info_t x;

	memset(&slot, 0, sizeof(slot));
	memset(&x, 0, sizeof(x));
	x.type = XEN_NETIF_EXTRA_TYPE_GSO;
	x.u.gso.size = m->gso_size;
	x.u.gso.type = m->gso_type;
	memcpy(&slot, &x, sizeof(x));
	*RING_GET_REQUEST(&q->tx, prod) = slot;
}

/* Put one frame's slices on the ring; the ids are free (checked).
 * Hot path: the producer index and the free-id count live in locals and
 * each request is built privately then stored whole (stores through a
 * pointer into the shared page would otherwise make the compiler reload
 * f's fields after every one).  Always inline: with n and the flags
 * known at a call (tx_write_one's single slot), the loop folds away. */
static inline __attribute__((always_inline)) void
post_slices(struct nc_front_queue *q, const struct nc_pool_view *v,
	    const struct nc_pool_slice *sl, unsigned n, uint32_t used,
	    const struct tx_meta *m)
{
	RING_IDX prod = q->tx.req_prod_pvt;
	unsigned nfree = q->nfree_ids;
	uint16_t first_id = q->free_ids[nfree - 1];
	struct nc_front_txframe *fr = &q->frames[first_id];
	uint16_t more = NETTXF_more_data, first_flags = tx_flags(m->flags);
	unsigned i;

	if (tx_extras(m))
		first_flags |= NETTXF_extra_info;

	fr->view = *v;
	fr->slots_left = (uint16_t)n;
	fr->in_use = 1;
	fr->len = used;
	fr->status = NETIF_RSP_OKAY;
	for (i = 0; i < n; i++) {
		uint16_t id = q->free_ids[--nfree];
		netif_tx_request_t req;

		q->slot_busy[id] = 1;
		q->slot_frame[id] = first_id;
		req.gref = sl[i].gref;
		req.offset = sl[i].offset;
		req.id = id;
		/* First slot: the total; later slots: their own length. */
		req.size = (uint16_t)(i == 0 ? used : sl[i].len);
		req.flags = (uint16_t)((i == 0 ? first_flags : 0) |
				       (i + 1 < n ? more : 0));
		*RING_GET_REQUEST(&q->tx, prod) = req;
		prod++;
		/* The extra follows the first request (netif.h). */
		if (i == 0 && tx_extras(m))
			post_gso_extra(q, prod++, m);
	}
	q->nfree_ids = nfree;
	q->tx.req_prod_pvt = prod;
}

static int tx_refuse(struct nc_front_queue *q, enum nc_reason why, int rc)
{
	nc_front_count_drop(&q->stats.tx, why);
	return rc;
}

/* Common checks before taking a view. */
static int tx_admit(struct nc_front *f, struct nc_front_queue *q,
		    size_t size)
{
	if (f->state != NC_FRONT_CONNECTED)
		return tx_refuse(q, NC_R_NOT_CONNECTED, NC_ENOTCONN);
	if (size == 0 || size > NC_MAX_FRAME ||
	    (!f->feat.sg && size > NC_PAGE_SIZE))
		return tx_refuse(q, NC_R_TOO_BIG, NC_EMSGSIZE);
	return NC_OK;
}

/* A GSO frame goes only as the backend offered it: feature-gso-tcpv4 or
 * -tcpv6 for its type, and a segment size.  NC_OK or NC_EINVAL. */
static int tx_check_gso(struct nc_front *f, struct nc_front_queue *q,
			const struct tx_meta *m)
{
	int offered;

	if (!(m->flags & NC_FRAME_GSO))
		return NC_OK;
	offered = nc_front_can_gso(f, m->gso_type);
	if (!offered || m->gso_size == 0)
		return tx_refuse(q, NC_R_BAD_GSO, NC_EINVAL);
	return NC_OK;
}

int nc_front_can_gso(const struct nc_front *f, uint8_t gso_type)
{
	if (gso_type == XEN_NETIF_GSO_TYPE_TCPV4)
		return f->feat.gso_tcpv4;
	if (gso_type == XEN_NETIF_GSO_TYPE_TCPV6)
		return f->feat.gso_tcpv6;
	return 0;
}

/* Whether a frame's partial checksum must be completed here: the backend
 * did not offer to take it (IPv6 without feature-ipv6-csum-offload), or
 * cfg.no_csum_offload.  GSO frames keep theirs: a backend that took the
 * GSO type fills the segments' checksums in. */
static int tx_must_complete(const struct nc_front *f, const uint8_t *data,
			    size_t used, const struct tx_meta *m)
{
	unsigned accept = NC_OFFLOAD_IPV4 |
			  (f->feat.ipv6_csum ? NC_OFFLOAD_IPV6 : 0u);

	if (m->flags & NC_FRAME_GSO)
		return 0;
	if (f->cfg.no_csum_offload)
		return (m->flags & NC_FRAME_CSUM_BLANK) != 0;
	return nc_csum_must_complete(data, used, m->flags, accept);
}

/* Post a filled view: slices, ids, ring space; or give it back. */
static int tx_commit(struct nc_front *f, struct nc_front_queue *q,
		     struct nc_pool_view *v,
		     size_t used, const struct tx_meta *m)
{
	struct nc_pool_slice sl[NC_MAX_SLOTS];
	struct tx_meta done;
	int n;

	if (used == 0) {
		nc_pool_abort(&q->pool, v);
		return NC_OK;
	}
	if (used > v->size) {
		nc_pool_abort(&q->pool, v);
		return NC_EINVAL;
	}
	if (tx_must_complete(f, v->data, used, m)) {
		/* In our pool view, before the backend is told of it. */
		if (nc_csum_complete_frame(v->data, used) != 0) {
			nc_pool_abort(&q->pool, v);
			return tx_refuse(q, NC_R_CSUM, NC_EINVAL);
		}
		done = *m;
		done.flags = (done.flags & ~(uint32_t)NC_FRAME_CSUM_BLANK) |
			     NC_FRAME_DATA_VALIDATED;
		m = &done;
	}
	n = nc_pool_slices(&q->pool, v, (uint32_t)used, sl, NC_MAX_SLOTS);
	if (n < 0 || (n > 1 && !f->feat.sg)) {
		nc_pool_abort(&q->pool, v);
		return tx_refuse(q, NC_R_TOO_BIG, NC_EMSGSIZE);
	}
	if ((unsigned)n + tx_extras(m) > RING_FREE_REQUESTS(&q->tx) ||
	    (unsigned)n > q->nfree_ids) {
		nc_pool_abort(&q->pool, v);
		return NC_EAGAIN;
	}
	nc_pool_post(&q->pool, v);
	post_slices(q, v, sl, (unsigned)n, (uint32_t)used, m);
	/* NC_FRAME_MORE: published with the batch's last frame. */
	if (!(m->flags & NC_FRAME_MORE))
		nc_front_notify(f, q);
	return NC_OK;
}

/* A write that cannot go now: publish what NC_FRAME_MORE held back, so
 * that the backend can answer and make room. */
static int tx_blocked(struct nc_front *f, struct nc_front_queue *q, int rc)
{
	if (rc == NC_EAGAIN && f->state == NC_FRONT_CONNECTED)
		nc_front_notify(f, q);
	return rc;
}

/* Take a view whose every slice will fit on the ring right now, so that
 * a writer's work is never thrown away for lack of slots. */
static int tx_take(struct nc_front_queue *q, size_t size,
		   struct nc_pool_view *v, unsigned extras)
{
	unsigned n;
	int rc;

	if (RING_FREE_REQUESTS(&q->tx) <= extras || q->nfree_ids == 0)
		return NC_EAGAIN;
	rc = nc_pool_take(&q->pool, size, v);
	if (rc)
		return rc;
	/* Only the count matters here (tx_commit makes the slices): the
	 * pages the view spans, without building them twice per frame. */
	n = nc_pool_nslices(&q->pool, v, v->size);
	if (n <= NC_MAX_SLOTS && (n + extras > RING_FREE_REQUESTS(&q->tx) ||
				  n > q->nfree_ids)) {
		nc_pool_abort(&q->pool, v);
		return NC_EAGAIN;
	}
	return NC_OK;
}

static int tx_write(struct nc_front *f, struct nc_front_queue *q, size_t size,
		    size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
		    void *ctx, const struct tx_meta *m)
{
	struct nc_pool_view v;
	int rc = tx_admit(f, q, size);

	if (!rc)
		rc = tx_check_gso(f, q, m);
	if (!rc)
		rc = tx_take(q, size, &v, tx_extras(m));
	if (rc)
		return tx_blocked(f, q, rc);
	/* MSA01: the writer sees exactly `size` bytes, all zero. */
	rc = tx_commit(f, q, &v, fill(ctx, v.data, v.size), m);
	return tx_blocked(f, q, rc);
}

/* NC_FRAME_GSO needs a type and size: only the _gso calls take it. */
static int tx_plain_flags(struct nc_front_queue *q, uint32_t flags)
{
	if (flags & NC_FRAME_GSO)
		return tx_refuse(q, NC_R_BAD_GSO, NC_EINVAL);
	return NC_OK;
}

/* Whether a write can take tx_write_one: connected, a frame of one pool
 * block (so in one page, one slot), no GSO, no partial checksum (nothing
 * to complete or check), a slot and an id free.  Then tx_admit,
 * tx_check_gso and tx_take's ring checks would all pass. */
static int tx_is_simple(const struct nc_front *f,
			const struct nc_front_queue *q, size_t size,
			uint32_t flags)
{
	return f->state == NC_FRONT_CONNECTED &&
	       !(flags & ~(uint32_t)(NC_FRAME_MORE |
				     NC_FRAME_DATA_VALIDATED)) &&
	       size - 1 < q->pool.block_size &&
	       RING_FREE_REQUESTS(&q->tx) > 0 && q->nfree_ids > 0;
}

/* The usual frame (tx_is_simple), without the general path's calls: the
 * same steps and checks as tx_write then tx_commit for it (take a zeroed
 * view, fill, check `used`, one slice, re-check the slot and id after
 * the writer ran, post), and the general code for anything else. */
static inline __attribute__((always_inline)) int
tx_write_one(struct nc_front *f, struct nc_front_queue *q,
			size_t size,
			size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
			void *ctx, uint32_t flags)
{
	/* (The mask changes nothing, tx_is_simple having checked; it lets
	 * the compiler see that there is no GSO extra.) */
	struct tx_meta m = { .flags = flags & (NC_FRAME_MORE |
					       NC_FRAME_DATA_VALIDATED) };
	struct nc_pool_view v;
	struct nc_pool_slice sl;
	size_t used;
	int rc = nc_pool_take(&q->pool, size, &v);

	if (rc)
		return tx_blocked(f, q, rc);
	/* MSA01: the writer sees exactly `size` bytes, all zero. */
	used = fill(ctx, v.data, v.size);
	if (used - 1 >= v.size || RING_FREE_REQUESTS(&q->tx) == 0 ||
	    q->nfree_ids == 0 ||
	    nc_pool_slices(&q->pool, &v, (uint32_t)used, &sl, 1) != 1)
		return tx_blocked(f, q, tx_commit(f, q, &v, used, &m));
	nc_pool_post(&q->pool, &v);
	post_slices(q, &v, &sl, 1, (uint32_t)used, &m);
	/* NC_FRAME_MORE: published with the batch's last frame. */
	if (!(flags & NC_FRAME_MORE))
		nc_front_notify(f, q);
	return NC_OK;
}

/* The queue a caller named, or NULL (counted as a refused frame on
 * queue 0, which always exists). */
static struct nc_front_queue *tx_queue_at(struct nc_front *f, unsigned queue)
{
	if (queue < f->nqueues)
		return &f->q[queue];
	tx_refuse(&f->q[0], NC_R_NONE, NC_EINVAL);
	return NULL;
}

/* A write on queue q: the usual frame's fast path, else the general. */
static inline __attribute__((always_inline)) int
write_on(struct nc_front *f, struct nc_front_queue *q, size_t size,
	 size_t (*fill)(void *ctx, uint8_t *buf, size_t size), void *ctx,
	 uint32_t flags)
{
	struct tx_meta m = { .flags = flags };
	int rc;

	if (tx_is_simple(f, q, size, flags))
		return tx_write_one(f, q, size, fill, ctx, flags);
	rc = tx_plain_flags(q, flags);
	return rc ? rc : tx_write(f, q, size, fill, ctx, &m);
}

int nc_front_write_queue(struct nc_front *f, unsigned queue, size_t size,
			 size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
			 void *ctx, uint32_t flags)
{
	struct nc_front_queue *q = tx_queue_at(f, queue);

	return q ? write_on(f, q, size, fill, ctx, flags) : NC_EINVAL;
}

int nc_front_write(struct nc_front *f, size_t size,
		   size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
		   void *ctx, uint32_t flags)
{
	return write_on(f, &f->q[0], size, fill, ctx, flags);
}

int nc_front_write_gso_queue(struct nc_front *f, unsigned queue, size_t size,
			     size_t (*fill)(void *ctx, uint8_t *buf,
					    size_t size),
			     void *ctx, uint32_t flags, uint8_t gso_type,
			     uint16_t gso_size)
{
	struct tx_meta m = { .flags = flags | NC_FRAME_GSO,
			     .gso_size = gso_size, .gso_type = gso_type };
	struct nc_front_queue *q = tx_queue_at(f, queue);

	return q ? tx_write(f, q, size, fill, ctx, &m) : NC_EINVAL;
}

int nc_front_write_gso(struct nc_front *f, size_t size,
		       size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
		       void *ctx, uint32_t flags, uint8_t gso_type,
		       uint16_t gso_size)
{
	return nc_front_write_gso_queue(f, 0, size, fill, ctx, flags,
					gso_type, gso_size);
}

unsigned nc_front_num_queues(const struct nc_front *f)
{
	return f->nqueues ? f->nqueues : 1u;
}

unsigned nc_front_pick_queue(const struct nc_front *f, const uint8_t *hdr,
			     size_t len)
{
	return nc_flow_queue(hdr, len, nc_front_num_queues(f));
}

/* The queue of a gathered frame's flow: its first bytes (the headers)
 * collected from the pieces into a small private buffer. */
static struct nc_front_queue *tx_flow_queue(struct nc_front *f,
					    const struct nc_iov *iov,
					    unsigned n)
{
	uint8_t hdr[128] = { 0 };
	size_t got = 0;
	unsigned i;

	if (f->nqueues <= 1)
		return &f->q[0];
	for (i = 0; i < n && got < sizeof(hdr); i++) {
		size_t take = iov[i].len;

		if (take > sizeof(hdr) - got)
			take = sizeof(hdr) - got;
		memcpy(hdr + got, iov[i].base, take);
		got += take;
	}
	return &f->q[nc_flow_queue(hdr, got, f->nqueues)];
}

static int tx_send(struct nc_front *f, const struct nc_iov *iov, unsigned n,
		   const struct tx_meta *m)
{
	struct nc_front_queue *q = tx_flow_queue(f, iov, n);
	struct nc_pool_view v;
	size_t total = 0, pos = 0;
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		total += iov[i].len;
		if (total > NC_MAX_FRAME)
			return tx_refuse(q, NC_R_TOO_BIG, NC_EMSGSIZE);
	}
	rc = tx_admit(f, q, total);
	if (!rc)
		rc = tx_check_gso(f, q, m);
	if (!rc)
		rc = tx_take(q, total, &v, tx_extras(m));
	if (rc)
		return tx_blocked(f, q, rc);
	for (i = 0; i < n; i++) {
		memcpy(v.data + pos, iov[i].base, iov[i].len);
		pos += iov[i].len;
	}
	return tx_blocked(f, q, tx_commit(f, q, &v, total, m));
}

int nc_front_send(struct nc_front *f, const struct nc_iov *iov, unsigned n,
		  uint32_t flags)
{
	struct tx_meta m = { .flags = flags };

	if (flags & NC_FRAME_GSO)
		return tx_plain_flags(&f->q[0], flags);
	return tx_send(f, iov, n, &m);
}

int nc_front_send_gso(struct nc_front *f, const struct nc_iov *iov,
		      unsigned n, uint32_t flags, uint8_t gso_type,
		      uint16_t gso_size)
{
	struct tx_meta m = { .flags = flags | NC_FRAME_GSO,
			     .gso_size = gso_size, .gso_type = gso_type };

	return tx_send(f, iov, n, &m);
}

/* One answered slot.  The id is the backend's word: checked against our
 * own table before it is used (a stale or forged id breaks the device). */
static int tx_answer(struct nc_front *f, struct nc_front_queue *q,
		     const netif_tx_response_t *rsp)
{
	struct nc_front_txframe *fr;
	uint16_t first_id;

	if (rsp->status == NETIF_RSP_NULL)
		return NC_OK;             /* an extra-info slot's answer */
	if (rsp->id >= NC_TX_RING_SIZE || !q->slot_busy[rsp->id]) {
		nc_front_break(f, NC_R_BAD_ID);
		return NC_EPROTO;
	}
	q->slot_busy[rsp->id] = 0;
	first_id = q->slot_frame[rsp->id];
	/* Fix (found by fuzz/fuzz_front_rsp): the frame's record lives at
	 * frames[first id], so that id returns to the free list only with
	 * the frame.  Freed as soon as the first slot was answered, a new
	 * frame could take it while this one still owed responses: its
	 * record was overwritten, its blocks never returned, and the new
	 * frame's blocks were returned early. */
	if (rsp->id != first_id)
		q->free_ids[q->nfree_ids++] = rsp->id;
	fr = &q->frames[first_id];
	if (rsp->status != NETIF_RSP_OKAY && fr->status == NETIF_RSP_OKAY)
		fr->status = rsp->status;
	if (--fr->slots_left)
		return NC_OK;
	if (fr->mcast) {        /* a filter update: no blocks, no bytes */
		nc_front_mcast_done(f, fr);
		q->free_ids[q->nfree_ids++] = first_id;
		return NC_OK;
	}
	/* Every slot answered: the backend is done with the blocks. */
	nc_pool_complete(&q->pool, fr->view.first, fr->view.nblocks);
	fr->in_use = 0;
	q->free_ids[q->nfree_ids++] = first_id;
	if (fr->status == NETIF_RSP_OKAY) {
		q->stats.tx.packets++;
		q->stats.tx.bytes += fr->len;
	} else if (fr->status == NETIF_RSP_DROPPED) {
		nc_front_count_drop(&q->stats.tx, NC_R_PEER_DROPPED);
	} else if (fr->status == NETIF_RSP_ERROR) {
		nc_front_count_drop(&q->stats.tx, NC_R_PEER_ERROR);
	} else {
		nc_front_count_drop(&q->stats.tx, NC_R_BAD_STATUS);
	}
	return NC_OK;
}

int nc_front_tx_complete(struct nc_front *f, struct nc_front_queue *q)
{
	RING_IDX prod;
	int n = NC_FRONT_RESPONSES(&q->tx, &prod), done = 0;

	if (n < 0) {
		nc_front_break(f, NC_R_RING_OVERFLOW);
		return n;
	}
	while (n-- > 0) {
		netif_tx_response_t rsp;

		/* XSA-155: one copy, then only the copy is read. */
		RING_COPY_RESPONSE(&q->tx, q->tx.rsp_cons, &rsp);
		q->tx.rsp_cons++;
		if (tx_answer(f, q, &rsp))
			return NC_EPROTO;
		done++;
	}
	return done;
}

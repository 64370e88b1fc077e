/*
 * front_tx.c - netfront's transmit path: frames written in place into the
 * pool (or gathered into it), posted as page-bounded slots, and their
 * blocks returned only when the backend has answered every slot.
 */
#include <string.h>

#include "front_internal.h"
#include "netchannel/ring.h"

void nc_front_tx_reset(struct nc_front *f)
{
	unsigned i;

	memset(f->frames, 0, sizeof(f->frames));
	memset(f->slot_busy, 0, sizeof(f->slot_busy));
	for (i = 0; i < NC_TX_RING_SIZE; i++)
		f->free_ids[i] = (uint16_t)(NC_TX_RING_SIZE - 1 - i);
	f->nfree_ids = NC_TX_RING_SIZE;
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

/* Put one frame's slices on the ring; the ids are free (checked).
 * Hot path: the producer index and the free-id count live in locals and
 * each request is built privately then stored whole (stores through a
 * pointer into the shared page would otherwise make the compiler reload
 * f's fields after every one). */
static void post_slices(struct nc_front *f, const struct nc_pool_view *v,
			const struct nc_pool_slice *sl, unsigned n,
			uint32_t used, uint32_t flags)
{
	RING_IDX prod = f->tx.req_prod_pvt;
	unsigned nfree = f->nfree_ids;
	uint16_t first_id = f->free_ids[nfree - 1];
	struct nc_front_txframe *fr = &f->frames[first_id];
	uint16_t more = NETTXF_more_data, first_flags = tx_flags(flags);
	unsigned i;

	fr->view = *v;
	fr->slots_left = (uint16_t)n;
	fr->in_use = 1;
	fr->len = used;
	fr->status = NETIF_RSP_OKAY;
	for (i = 0; i < n; i++) {
		uint16_t id = f->free_ids[--nfree];
		netif_tx_request_t req;

		f->slot_busy[id] = 1;
		f->slot_frame[id] = first_id;
		req.gref = sl[i].gref;
		req.offset = sl[i].offset;
		req.id = id;
		/* First slot: the total; later slots: their own length. */
		req.size = (uint16_t)(i == 0 ? used : sl[i].len);
		req.flags = (uint16_t)((i == 0 ? first_flags : 0) |
				       (i + 1 < n ? more : 0));
		*RING_GET_REQUEST(&f->tx, prod) = req;
		prod++;
	}
	f->nfree_ids = nfree;
	f->tx.req_prod_pvt = prod;
}

static int tx_refuse(struct nc_front *f, enum nc_reason why, int rc)
{
	nc_front_count_drop(&f->stats.tx, why);
	return rc;
}

/* Common checks before taking a view. */
static int tx_admit(struct nc_front *f, size_t size)
{
	if (f->state != NC_FRONT_CONNECTED)
		return tx_refuse(f, NC_R_NOT_CONNECTED, NC_ENOTCONN);
	if (size == 0 || size > NC_MAX_FRAME ||
	    (!f->feat.sg && size > NC_PAGE_SIZE))
		return tx_refuse(f, NC_R_TOO_BIG, NC_EMSGSIZE);
	return NC_OK;
}

/* Post a filled view: slices, ids, ring space; or give it back. */
static int tx_commit(struct nc_front *f, struct nc_pool_view *v,
		     size_t used, uint32_t flags)
{
	struct nc_pool_slice sl[NC_MAX_SLOTS];
	int n;

	if (used == 0) {
		nc_pool_abort(&f->pool, v);
		return NC_OK;
	}
	if (used > v->size) {
		nc_pool_abort(&f->pool, v);
		return NC_EINVAL;
	}
	n = nc_pool_slices(&f->pool, v, (uint32_t)used, sl, NC_MAX_SLOTS);
	if (n < 0 || (n > 1 && !f->feat.sg)) {
		nc_pool_abort(&f->pool, v);
		return tx_refuse(f, NC_R_TOO_BIG, NC_EMSGSIZE);
	}
	if ((unsigned)n > RING_FREE_REQUESTS(&f->tx) ||
	    (unsigned)n > f->nfree_ids) {
		nc_pool_abort(&f->pool, v);
		return NC_EAGAIN;
	}
	nc_pool_post(&f->pool, v);
	post_slices(f, v, sl, (unsigned)n, (uint32_t)used, flags);
	/* NC_FRAME_MORE: published with the batch's last frame. */
	if (!(flags & NC_FRAME_MORE))
		nc_front_notify(f);
	return NC_OK;
}

/* A write that cannot go now: publish what NC_FRAME_MORE held back, so
 * that the backend can answer and make room. */
static int tx_blocked(struct nc_front *f, int rc)
{
	if (rc == NC_EAGAIN && f->state == NC_FRONT_CONNECTED)
		nc_front_notify(f);
	return rc;
}

/* Take a view whose every slice will fit on the ring right now, so that
 * a writer's work is never thrown away for lack of slots. */
static int tx_take(struct nc_front *f, size_t size, struct nc_pool_view *v)
{
	unsigned n;
	int rc;

	if (RING_FREE_REQUESTS(&f->tx) == 0 || f->nfree_ids == 0)
		return NC_EAGAIN;
	rc = nc_pool_take(&f->pool, size, v);
	if (rc)
		return rc;
	/* Only the count matters here (tx_commit makes the slices): the
	 * pages the view spans, without building them twice per frame. */
	n = nc_pool_nslices(&f->pool, v, v->size);
	if (n <= NC_MAX_SLOTS && (n > RING_FREE_REQUESTS(&f->tx) ||
				  n > f->nfree_ids)) {
		nc_pool_abort(&f->pool, v);
		return NC_EAGAIN;
	}
	return NC_OK;
}

int nc_front_write(struct nc_front *f, size_t size,
		   size_t (*fill)(void *ctx, uint8_t *buf, size_t size),
		   void *ctx, uint32_t flags)
{
	struct nc_pool_view v;
	int rc = tx_admit(f, size);

	if (!rc)
		rc = tx_take(f, size, &v);
	if (rc)
		return tx_blocked(f, rc);
	/* MSA01: the writer sees exactly `size` bytes, all zero. */
	rc = tx_commit(f, &v, fill(ctx, v.data, v.size), flags);
	return tx_blocked(f, rc);
}

int nc_front_send(struct nc_front *f, const struct nc_iov *iov, unsigned n,
		  uint32_t flags)
{
	struct nc_pool_view v;
	size_t total = 0, pos = 0;
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		total += iov[i].len;
		if (total > NC_MAX_FRAME)
			return tx_refuse(f, NC_R_TOO_BIG, NC_EMSGSIZE);
	}
	rc = tx_admit(f, total);
	if (!rc)
		rc = tx_take(f, total, &v);
	if (rc)
		return tx_blocked(f, rc);
	for (i = 0; i < n; i++) {
		memcpy(v.data + pos, iov[i].base, iov[i].len);
		pos += iov[i].len;
	}
	return tx_blocked(f, tx_commit(f, &v, total, flags));
}

/* One answered slot.  The id is the backend's word: checked against our
 * own table before it is used (a stale or forged id breaks the device). */
static int tx_answer(struct nc_front *f, const netif_tx_response_t *rsp)
{
	struct nc_front_txframe *fr;
	uint16_t first_id;

	if (rsp->status == NETIF_RSP_NULL)
		return NC_OK;             /* an extra-info slot's answer */
	if (rsp->id >= NC_TX_RING_SIZE || !f->slot_busy[rsp->id]) {
		nc_front_break(f, NC_R_BAD_ID);
		return NC_EPROTO;
	}
	f->slot_busy[rsp->id] = 0;
	first_id = f->slot_frame[rsp->id];
	/* Fix (found by fuzz/fuzz_front_rsp): the frame's record lives at
	 * frames[first id], so that id returns to the free list only with
	 * the frame.  Freed as soon as the first slot was answered, a new
	 * frame could take it while this one still owed responses: its
	 * record was overwritten, its blocks never returned, and the new
	 * frame's blocks were returned early. */
	if (rsp->id != first_id)
		f->free_ids[f->nfree_ids++] = rsp->id;
	fr = &f->frames[first_id];
	if (rsp->status != NETIF_RSP_OKAY && fr->status == NETIF_RSP_OKAY)
		fr->status = rsp->status;
	if (--fr->slots_left)
		return NC_OK;
	/* Every slot answered: the backend is done with the blocks. */
	nc_pool_complete(&f->pool, fr->view.first, fr->view.nblocks);
	fr->in_use = 0;
	f->free_ids[f->nfree_ids++] = first_id;
	if (fr->status == NETIF_RSP_OKAY) {
		f->stats.tx.packets++;
		f->stats.tx.bytes += fr->len;
	} else if (fr->status == NETIF_RSP_DROPPED) {
		nc_front_count_drop(&f->stats.tx, NC_R_PEER_DROPPED);
	} else if (fr->status == NETIF_RSP_ERROR) {
		nc_front_count_drop(&f->stats.tx, NC_R_PEER_ERROR);
	} else {
		nc_front_count_drop(&f->stats.tx, NC_R_BAD_STATUS);
	}
	return NC_OK;
}

int nc_front_tx_complete(struct nc_front *f)
{
	RING_IDX prod;
	int n = NC_FRONT_RESPONSES(&f->tx, &prod), done = 0;

	if (n < 0) {
		nc_front_break(f, NC_R_RING_OVERFLOW);
		return n;
	}
	while (n-- > 0) {
		netif_tx_response_t rsp;

		/* XSA-155: one copy, then only the copy is read. */
		RING_COPY_RESPONSE(&f->tx, f->tx.rsp_cons, &rsp);
		f->tx.rsp_cons++;
		if (tx_answer(f, &rsp))
			return NC_EPROTO;
		done++;
	}
	return done;
}

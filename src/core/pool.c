/*
 * pool.c - the transmit page pool (see netchannel/pool.h for the
 * invariants this file enforces).
 */
#include <string.h>

#include "netchannel/pool.h"

/* ------------------------------------------------------ free-block map */

static int block_is_free(const struct nc_pool *p, unsigned b)
{
	return nc_pool__bit(p, b);
}

static void mark_free(struct nc_pool *p, unsigned b)
{
	p->free_map[b / 64] |= (uint64_t)1 << (b % 64);
}

static void mark_used(struct nc_pool *p, unsigned b)
{
	p->free_map[b / 64] &= ~((uint64_t)1 << (b % 64));
}

/* The first free block at or after `from`, or p->nblocks when none. */
static unsigned find_free_from(const struct nc_pool *p, unsigned from)
{
	unsigned w = from / 64;
	uint64_t bits;

	if (from >= p->nblocks)
		return p->nblocks;
	bits = p->free_map[w] & (~(uint64_t)0 << (from % 64));
	for (;;) {
		if (bits) {
			unsigned b = w * 64 + (unsigned)__builtin_ctzll(bits);
			return b < p->nblocks ? b : p->nblocks;
		}
		if (++w >= (p->nblocks + 63) / 64)
			return p->nblocks;
		bits = p->free_map[w];
	}
}

/* How many free blocks follow `b` (inclusive), counting at most `want`. */
static unsigned free_run_length(const struct nc_pool *p, unsigned b,
				unsigned want)
{
	unsigned n = 0;

	while (n < want && b + n < p->nblocks && block_is_free(p, b + n))
		n++;
	return n;
}

/* First fit of `n` consecutive free blocks in [from, nblocks); -1 if none.
 * A run never wraps: a view must be contiguous memory. */
static int find_run_in(const struct nc_pool *p, unsigned from, unsigned n)
{
	unsigned b = find_free_from(p, from);

	while (b + n <= p->nblocks) {
		unsigned len = free_run_length(p, b, n);

		if (len == n)
			return (int)b;
		b = find_free_from(p, b + len + 1);
	}
	return -1;
}

static int find_run(const struct nc_pool *p, unsigned n)
{
	int b = find_run_in(p, p->cursor, n);

	if (b < 0 && p->cursor)
		b = find_run_in(p, 0, n);
	return b;
}

/* ------------------------------------------------------------ zeroing */

static uint8_t *block_addr(const struct nc_pool *p, unsigned b)
{
	return p->base + ((size_t)b << p->block_shift);
}

/* Re-zero exactly what block b's previous view could have written, then
 * record how far the new view reaches.  Invariant 1: afterwards every byte
 * of the block is zero (bytes past `dirty` were never handed out since the
 * pages were shared zeroed, or were zeroed by an earlier call).  Exactly
 * the dirty bytes, not nc_pool__rezero's whole line: poison mode, which
 * only this file's paths serve, must see a write past `dirty`. */
static void rezero_block(struct nc_pool *p, unsigned b, uint16_t reach)
{
	if (p->dirty[b]) {
		memset(block_addr(p, b), 0, p->dirty[b]);
		p->stats.bytes_zeroed += p->dirty[b];
	}
	p->dirty[b] = reach;
}

/* Poison mode: the whole block must be zero now.  Anything else means a
 * write after release or a dirty-tracking bug: refuse the handout. */
static int block_is_clean(const struct nc_pool *p, unsigned b)
{
	const uint8_t *a = block_addr(p, b);
	unsigned i;

	for (i = 0; i < p->block_size; i++)
		if (a[i])
			return 0;
	return 1;
}

static void poison_block(struct nc_pool *p, unsigned b)
{
	uint8_t *a = block_addr(p, b);
	unsigned i;

	for (i = 0; i < p->dirty[b]; i++)
		a[i] = (uint8_t)NC_POOL_POISON[i % NC_POOL_POISON_LEN];
}

/* ------------------------------------------------------------ life */

static int valid_config(const struct nc_pool_config *cfg, unsigned bs)
{
	if (!cfg->npages || cfg->npages > NC_POOL_MAX_PAGES)
		return 0;
	if (bs < 64 || bs > NC_PAGE_SIZE || (bs & (bs - 1)))
		return 0;
	if (cfg->poison && cfg->no_zero)
		return 0;       /* poison checks what no_zero leaves dirty */
	return (size_t)cfg->npages * (NC_PAGE_SIZE / bs) <= NC_POOL_MAX_BLOCKS;
}

int nc_pool_init(struct nc_pool *p, struct nc_grants grants, nc_domid_t peer,
		 const struct nc_pool_config *cfg)
{
	unsigned bs = cfg->block_size ? cfg->block_size : NC_POOL_DEFAULT_BLOCK;
	unsigned b;

	memset(p, 0, sizeof(*p));
	if (!valid_config(cfg, bs))
		return NC_EINVAL;
	p->grants = grants;
	p->npages = cfg->npages;
	p->block_size = bs;
	p->block_shift = (unsigned)__builtin_ctz(bs);
	p->nblocks = cfg->npages * (NC_PAGE_SIZE / bs);
	p->poison = cfg->poison;
	p->no_zero = cfg->no_zero;
	/* Invariant 3: the pages are granted once, here. */
	p->base = grants.ops->share(grants.ctx, peer, cfg->npages,
				    cfg->readonly, p->refs);
	if (!p->base)
		return NC_ENOMEM;
	for (b = 0; b < p->nblocks; b++)
		mark_free(p, b);
	p->stats.free_blocks = p->nblocks;
	return NC_OK;
}

int nc_pool_destroy(struct nc_pool *p)
{
	int rc;

	if (!p->base)
		return NC_OK;
	rc = p->grants.ops->unshare(p->grants.ctx, p->base, p->npages);
	if (rc == NC_EBUSY) {
		/* Invariant 3 (XSA-396): the peer may still read these
		 * pages; they are left allocated and never touched again. */
		p->stats.quarantined_pages += p->npages;
	}
	p->base = NULL;
	memset(p->free_map, 0, sizeof(p->free_map));
	p->stats.free_blocks = 0;
	return rc;
}

/* Inlined on the take path (the exported function is not). */
static inline size_t max_view(const struct nc_pool *p)
{
	size_t all = (size_t)p->nblocks << p->block_shift;

	return all < NC_MAX_FRAME ? all : NC_MAX_FRAME;
}

size_t nc_pool_max_view(const struct nc_pool *p)
{
	return max_view(p);
}

/* Set n block states, without a memset call for the usual single block. */
static inline void set_state(struct nc_pool *p, unsigned first, unsigned n,
			     uint8_t st)
{
	if (n == 1)
		p->state[first] = st;
	else
		memset(&p->state[first], st, n);
}

/* ------------------------------------------------------------ handout */

static int hand_out(struct nc_pool *p, unsigned first, unsigned n,
		    size_t size, struct nc_pool_view *v)
{
	unsigned i;
	size_t left = size;

	for (i = 0; i < n; i++) {
		unsigned b = first + i;
		uint16_t reach = (uint16_t)(left < p->block_size ?
					    left : p->block_size);

		if (!p->no_zero)
			rezero_block(p, b, reach);
		else if (reach > p->dirty[b])
			p->dirty[b] = reach;  /* benchmark only: not zeroed */
		left -= reach;
		if (p->poison && !block_is_clean(p, b)) {
			p->stats.poison_violations++;
			return NC_EIO;
		}
	}
	for (i = 0; i < n; i++)
		mark_used(p, first + i);
	set_state(p, first, n, NC_BLOCK_TAKEN);
	v->data = block_addr(p, first);
	v->size = (uint32_t)size;
	v->first = (uint16_t)first;
	v->nblocks = (uint16_t)n;
	return NC_OK;
}

int nc_pool_take_general(struct nc_pool *p, size_t size,
			 struct nc_pool_view *v)
{
	unsigned n;
	int first, rc;

	if (!p->base || size == 0 || size > max_view(p))
		return NC_EMSGSIZE;
	n = (unsigned)((size + p->block_size - 1) >> p->block_shift);
	/* Fast path: one block, and the one at the cursor is free (blocks
	 * mostly come back in the order they went out): no search.  The
	 * cursor is always < nblocks. */
	if (n == 1 && block_is_free(p, p->cursor))
		first = (int)p->cursor;
	else
		first = find_run(p, n);
	if (first < 0) {
		/* Invariant 4: backpressure, never a queue. */
		p->stats.exhausted++;
		p->want_space = 1;
		return NC_EAGAIN;
	}
	rc = hand_out(p, (unsigned)first, n, size, v);
	if (rc)
		return rc;
	p->cursor = (unsigned)first + n < p->nblocks ? (unsigned)first + n : 0;
	p->stats.takes++;
	p->stats.free_blocks -= n;
	p->stats.taken_blocks += n;
	return NC_OK;
}

/* ------------------------------------------------------------ return */

static int blocks_in_state(const struct nc_pool *p, unsigned first,
			   unsigned n, uint8_t st)
{
	unsigned i;

	if (n == 0 || first >= p->nblocks || n > p->nblocks - first)
		return 0;
	for (i = 0; i < n; i++)
		if (p->state[first + i] != st)
			return 0;
	return 1;
}

static void release_blocks(struct nc_pool *p, unsigned first, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (p->poison)
			poison_block(p, first + i);
		p->state[first + i] = NC_BLOCK_FREE;
		mark_free(p, first + i);
	}
	p->stats.free_blocks += n;
	if (p->want_space && p->space_cb) {
		p->want_space = 0;
		p->space_cb(p->space_arg);
	}
}

int nc_pool_abort(struct nc_pool *p, const struct nc_pool_view *v)
{
	unsigned i;

	if (!blocks_in_state(p, v->first, v->nblocks, NC_BLOCK_TAKEN))
		return NC_EINVAL;
	/* Nothing the writer left behind stays in a granted page. */
	for (i = 0; i < v->nblocks; i++)
		rezero_block(p, v->first + i, 0);
	p->stats.aborts++;
	p->stats.taken_blocks -= v->nblocks;
	release_blocks(p, v->first, v->nblocks);
	return NC_OK;
}

int nc_pool_post_general(struct nc_pool *p, const struct nc_pool_view *v)
{
	if (!blocks_in_state(p, v->first, v->nblocks, NC_BLOCK_TAKEN))
		return NC_EINVAL;
	set_state(p, v->first, v->nblocks, NC_BLOCK_INFLIGHT);
	p->stats.taken_blocks -= v->nblocks;
	p->stats.inflight_blocks += v->nblocks;
	return NC_OK;
}

int nc_pool_complete_general(struct nc_pool *p, uint16_t first,
			     uint16_t nblocks)
{
	/* Invariant 2: only blocks the peer held come back this way. */
	if (!blocks_in_state(p, first, nblocks, NC_BLOCK_INFLIGHT))
		return NC_EINVAL;
	p->stats.completes++;
	p->stats.inflight_blocks -= nblocks;
	release_blocks(p, first, nblocks);
	return NC_OK;
}

void nc_pool_on_space(struct nc_pool *p, nc_pool_space_cb cb, void *arg)
{
	p->space_cb = cb;
	p->space_arg = arg;
}

/* ------------------------------------------------------------ slices */

int nc_pool_slices_general(const struct nc_pool *p,
			   const struct nc_pool_view *v, uint32_t used,
			   struct nc_pool_slice *out, unsigned max)
{
	size_t pos = (size_t)(v->data - p->base);
	unsigned n = 0;

	if (used > v->size)
		return NC_EINVAL;
	while (used) {
		uint32_t off = (uint32_t)(pos % NC_PAGE_SIZE);
		uint32_t len = NC_PAGE_SIZE - off;

		if (len > used)
			len = used;
		if (n == max)
			return NC_E2BIG;
		out[n].gref = p->refs[pos / NC_PAGE_SIZE];
		out[n].offset = (uint16_t)off;
		out[n].len = (uint16_t)len;
		n++;
		pos += len;
		used -= len;
	}
	return (int)n;
}

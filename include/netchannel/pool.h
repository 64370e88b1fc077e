/*
 * netchannel/pool.h - the transmit page pool, the heart of MSA01.
 *
 * A frontend shares a set of pages with its backend once, read-only, and
 * carves them into blocks (2 KiB by default).  A writer asks for a view of
 * exactly `size` bytes; the view lies in consecutive blocks (so it is
 * contiguous memory, and a 64 KiB frame fits) and every one of its bytes
 * is zero.  The writer fills what it needs, the frontend posts the view's
 * page slices on the TX ring, and the blocks come back only when the
 * backend has answered for them.
 *
 * Security invariants (each enforced in pool.c where marked):
 *   1. Every byte of a view is zero when handed out (MSA01).  Only the
 *      bytes the block's previous use could have written are re-zeroed:
 *      the pool records, per block, how far its last view reached.
 *   2. A block is free again only after the peer's response for it
 *      (nc_pool_complete on an in-flight block), or when its writer gave
 *      up before posting it (nc_pool_abort, which also zeroes it).
 *   3. Pages are granted once, for the pool's lifetime.  At the end,
 *      nc_pool_destroy revokes them; a page the peer still maps is kept
 *      in quarantine, never reused (XSA-396).
 *   4. Exhaustion is backpressure: nc_pool_take answers NC_EAGAIN and the
 *      space callback fires once when blocks return.  No queue grows.
 *
 * Poison mode (a runtime option; the tests run with it): a block that
 * returns is filled, over the bytes its last view reached, with
 * NC_POOL_POISON, and before every handout the whole block is checked to
 * be zero after re-zeroing.  A violation is counted and the take fails.
 *
 * Freestanding: no malloc (struct nc_pool is caller-allocated, fixed
 * size), no libc beyond mem*.  Not thread-safe: one writer context.
 */
#ifndef NETCHANNEL_POOL_H
#define NETCHANNEL_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "netchannel/platform.h"

#define NC_POOL_MAX_PAGES 1024u
#define NC_POOL_MAX_BLOCKS 2048u
#define NC_POOL_DEFAULT_BLOCK 2048u
/* The 8-byte pattern poison mode writes over returned blocks. */
#define NC_POOL_POISON "\xDE\xAD\xBE\xEFPOIS"
#define NC_POOL_POISON_LEN 8u

struct nc_pool_config {
	unsigned npages;      /* pages to share: 1..NC_POOL_MAX_PAGES */
	unsigned block_size;  /* power of two, 64..4096; 0: 2048 */
	int poison;           /* poison mode */
	int readonly;         /* grant read-only (1 for TX) */
	/* BENCHMARK ONLY, never for real use: skip invariant 1's re-zeroing
	 * on handout, so a view may hold an earlier frame's bytes (MSA01 is
	 * broken).  Exists so that `netchannel bench --no-zero` can measure
	 * what zeroing costs.  Every other check stays; nc_pool_abort still
	 * zeroes.  Mutually exclusive with poison (NC_EINVAL). */
	int no_zero;
};

/* A writer's view: `size` bytes at `data`, in blocks first..first+n-1. */
struct nc_pool_view {
	uint8_t *data;
	uint32_t size;
	uint16_t first;
	uint16_t nblocks;
};

/* One page-bounded piece of a view, as a TX request describes it. */
struct nc_pool_slice {
	nc_gref_t gref;
	uint16_t offset;
	uint16_t len;
};

struct nc_pool_stats {
	uint64_t takes;            /* successful nc_pool_take calls */
	uint64_t exhausted;        /* takes refused with NC_EAGAIN */
	uint64_t completes;        /* views returned by the peer */
	uint64_t aborts;           /* views returned unposted */
	uint64_t bytes_zeroed;     /* bytes re-zeroed on handout/abort */
	uint64_t poison_violations;/* non-zero bytes found before handout */
	unsigned free_blocks;
	unsigned taken_blocks;
	unsigned inflight_blocks;
	unsigned quarantined_pages;/* pages kept after a failed revoke */
};

typedef void (*nc_pool_space_cb)(void *arg);

/* Block states. */
enum { NC_BLOCK_FREE = 0, NC_BLOCK_TAKEN = 1, NC_BLOCK_INFLIGHT = 2 };

struct nc_pool {
	struct nc_grants grants;       /* who shared the pages */
	uint8_t *base;                 /* npages contiguous pages */
	unsigned npages;
	unsigned block_size;
	unsigned block_shift;
	unsigned nblocks;
	unsigned cursor;               /* where the next search starts */
	int poison;
	int no_zero;                   /* benchmark only: see the config */
	int want_space;                /* a take failed: call space_cb */
	nc_pool_space_cb space_cb;
	void *space_arg;
	struct nc_pool_stats stats;
	uint64_t free_map[NC_POOL_MAX_BLOCKS / 64]; /* bit set: block free */
	uint16_t dirty[NC_POOL_MAX_BLOCKS]; /* bytes the last view reached */
	uint8_t state[NC_POOL_MAX_BLOCKS];
	nc_gref_t refs[NC_POOL_MAX_PAGES];
};

/* Share cfg->npages pages with `peer` and set the pool up.  NC_EINVAL for a
 * bad config, NC_ENOMEM when the platform refuses the pages. */
int nc_pool_init(struct nc_pool *p, struct nc_grants grants, nc_domid_t peer,
		 const struct nc_pool_config *cfg);

/* Revoke and free the pages.  NC_EBUSY: some page is still mapped by the
 * peer and stays quarantined (counted in stats.quarantined_pages); the pool
 * must not be used again either way. */
int nc_pool_destroy(struct nc_pool *p);

/* A zeroed view of exactly `size` bytes (1..65535).  NC_EAGAIN when no run
 * of free blocks is long enough (wait for the space callback), NC_EMSGSIZE
 * when size can never fit, NC_EIO when poison mode caught stale bytes.
 * (Inline below: the one-block case at the cursor; the rest is
 * nc_pool_take_general.) */
static inline int nc_pool_take(struct nc_pool *p, size_t size,
			       struct nc_pool_view *v);

/* The writer gave up before posting: zero what it may have written and
 * free the blocks.  NC_EINVAL unless the blocks are taken. */
int nc_pool_abort(struct nc_pool *p, const struct nc_pool_view *v);

/* The view is on the ring: its blocks are in flight until completed.
 * NC_EINVAL unless all of them are taken. */
static inline int nc_pool_post(struct nc_pool *p,
			       const struct nc_pool_view *v);

/* The peer answered for the view: free its blocks.  NC_EINVAL unless all
 * of them are in flight (a double completion is refused). */
static inline int nc_pool_complete(struct nc_pool *p, uint16_t first,
				   uint16_t nblocks);

/* Split the first `used` bytes of a view at page boundaries.  Returns the
 * number of slices written (<= max), or NC_E2BIG when more are needed
 * (NC_EINVAL when used > the view's size). */
static inline int nc_pool_slices(const struct nc_pool *p,
				 const struct nc_pool_view *v, uint32_t used,
				 struct nc_pool_slice *out, unsigned max);

/* How many slices nc_pool_slices would write for `used` bytes (<= the
 * view's size): the pages they span, by arithmetic alone. */
static inline unsigned nc_pool_nslices(const struct nc_pool *p,
				       const struct nc_pool_view *v,
				       uint32_t used);

/* The general cases of the inline calls above (any block count, poison
 * mode, every refusal).  Call those, not these: they come here for
 * anything but the usual case. */
int nc_pool_take_general(struct nc_pool *p, size_t size,
			 struct nc_pool_view *v);
int nc_pool_post_general(struct nc_pool *p, const struct nc_pool_view *v);
int nc_pool_complete_general(struct nc_pool *p, uint16_t first,
			     uint16_t nblocks);
int nc_pool_slices_general(const struct nc_pool *p,
			   const struct nc_pool_view *v, uint32_t used,
			   struct nc_pool_slice *out, unsigned max);

/* Call cb(arg) once, the next time blocks return after a refused take. */
void nc_pool_on_space(struct nc_pool *p, nc_pool_space_cb cb, void *arg);

/* The largest view the pool can ever hand out. */
size_t nc_pool_max_view(const struct nc_pool *p);

/* ------------------------------------------------- inline fast paths
 *
 * The frontend calls these once or twice per frame, so the usual case (a
 * view of one block, no poison mode) is inline: no call, no loop.  Each
 * does what the general function does for that case, with the same
 * checks; anything else goes to the general function, which checks again
 * from scratch. */

static inline int nc_pool__bit(const struct nc_pool *p, unsigned b)
{
	return (int)((p->free_map[b / 64] >> (b % 64)) & 1u);
}

/* Prefetch a line for writing (x86's prefetchw: the line comes over in
 * the exclusive state, so the stores that follow need no second trip).
 * Only a hint: it never faults and changes no byte. */
static inline void nc_pool__prefetchw(const void *a)
{
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)a));
#else
	__builtin_prefetch(a, 1, 3);
#endif
}

/* Blocks mostly go out in cursor order, and the block NC_POOL__AHEAD
 * after this one was last read by the peer long ago: its dirty lines
 * (those its take will re-zero) are fetched for writing now, so that
 * the other core's copies are invalidated ahead of the stores. */
#define NC_POOL__AHEAD 2u
static inline void nc_pool__prefetch_ahead(const struct nc_pool *p,
					   unsigned b)
{
	unsigned t = b + NC_POOL__AHEAD, lines;
	const uint8_t *a;

	if (t >= p->nblocks)
		t -= p->nblocks;
	if (t >= p->nblocks)
		return;                 /* a pool of fewer blocks */
	a = p->base + ((size_t)t << p->block_shift);
	for (lines = (p->dirty[t] + 63u) / 64u; lines; lines--, a += 64)
		nc_pool__prefetchw(a);
}

/* Invariant 1 for one block: re-zero what its previous view reached
 * (recorded in dirty[b]), then record the new reach.  Up to 64 dirty
 * bytes are one aligned line (blocks are >= 64 B and aligned to their
 * size): zeroed whole, as a few stores instead of a memset call (bytes
 * past `dirty` are zero already, so writing them again changes
 * nothing); the count is of the dirty bytes, as for any size. */
static inline void nc_pool__rezero(struct nc_pool *p, unsigned b,
				   uint8_t *a, uint16_t reach)
{
	uint16_t d = p->dirty[b];

	if (d) {
		if (d <= 64)
			__builtin_memset(a, 0, 64);
		else
			__builtin_memset(a, 0, d);
		p->stats.bytes_zeroed += d;
	}
	p->dirty[b] = reach;
}

/* (always_inline: the compiler's size estimate would otherwise keep this
 * one out of line in the frontend's write path.) */
static inline __attribute__((always_inline)) int
nc_pool_take(struct nc_pool *p, size_t size, struct nc_pool_view *v)
{
	unsigned b = p->cursor;
	uint8_t *a;

	/* One block (1..block_size bytes), free at the cursor (the bit is
	 * clear before init and after destroy), no poison checks to make:
	 * no search.  The cursor is always < nblocks. */
	if (size - 1 >= p->block_size || p->poison || !nc_pool__bit(p, b))
		return nc_pool_take_general(p, size, v);
	a = p->base + ((size_t)b << p->block_shift);
	nc_pool__prefetch_ahead(p, b);
	if (!p->no_zero)
		nc_pool__rezero(p, b, a, (uint16_t)size);
	else if (size > p->dirty[b])
		p->dirty[b] = (uint16_t)size; /* benchmark only: not zeroed */
	p->free_map[b / 64] &= ~((uint64_t)1 << (b % 64));
	p->state[b] = NC_BLOCK_TAKEN;
	p->cursor = b + 1 < p->nblocks ? b + 1 : 0;
	p->stats.takes++;
	p->stats.free_blocks--;
	p->stats.taken_blocks++;
	v->data = a;
	v->size = (uint32_t)size;
	v->first = (uint16_t)b;
	v->nblocks = 1;
	return NC_OK;
}

static inline int nc_pool_post(struct nc_pool *p,
			       const struct nc_pool_view *v)
{
	/* (nblocks <= NC_POOL_MAX_BLOCKS: the first test bounds the index
	 * for the compiler, the second for this pool.) */
	if (v->nblocks != 1 || v->first >= NC_POOL_MAX_BLOCKS ||
	    v->first >= p->nblocks ||
	    p->state[v->first] != NC_BLOCK_TAKEN)
		return nc_pool_post_general(p, v);
	p->state[v->first] = NC_BLOCK_INFLIGHT;
	p->stats.taken_blocks--;
	p->stats.inflight_blocks++;
	return NC_OK;
}

static inline int nc_pool_complete(struct nc_pool *p, uint16_t first,
				   uint16_t nblocks)
{
	/* Invariant 2: only a block the peer held comes back this way. */
	if (nblocks != 1 || first >= NC_POOL_MAX_BLOCKS ||
	    first >= p->nblocks || p->poison ||
	    p->state[first] != NC_BLOCK_INFLIGHT || p->want_space)
		return nc_pool_complete_general(p, first, nblocks);
	p->state[first] = NC_BLOCK_FREE;
	p->free_map[first / 64] |= (uint64_t)1 << (first % 64);
	p->stats.completes++;
	p->stats.inflight_blocks--;
	p->stats.free_blocks++;
	return NC_OK;
}

static inline unsigned nc_pool_nslices(const struct nc_pool *p,
				       const struct nc_pool_view *v,
				       uint32_t used)
{
	size_t pos = (size_t)(v->data - p->base);

	if (!used)
		return 0;
	return (unsigned)((pos + used - 1) / NC_PAGE_SIZE - pos / NC_PAGE_SIZE)
	       + 1;
}

static inline int nc_pool_slices(const struct nc_pool *p,
				 const struct nc_pool_view *v, uint32_t used,
				 struct nc_pool_slice *out, unsigned max)
{
	size_t pos = (size_t)(v->data - p->base);

	/* The usual case, 1..size bytes inside one page: one slice. */
	if (used - 1 >= v->size || !max ||
	    pos % NC_PAGE_SIZE + used > NC_PAGE_SIZE)
		return nc_pool_slices_general(p, v, used, out, max);
	out[0].gref = p->refs[pos / NC_PAGE_SIZE];
	out[0].offset = (uint16_t)(pos % NC_PAGE_SIZE);
	out[0].len = (uint16_t)used;
	return 1;
}

#endif

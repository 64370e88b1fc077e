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
 * when size can never fit, NC_EIO when poison mode caught stale bytes. */
int nc_pool_take(struct nc_pool *p, size_t size, struct nc_pool_view *v);

/* The writer gave up before posting: zero what it may have written and
 * free the blocks.  NC_EINVAL unless the blocks are taken. */
int nc_pool_abort(struct nc_pool *p, const struct nc_pool_view *v);

/* The view is on the ring: its blocks are in flight until completed. */
int nc_pool_post(struct nc_pool *p, const struct nc_pool_view *v);

/* The peer answered for the view: free its blocks.  NC_EINVAL unless all
 * of them are in flight (a double completion is refused). */
int nc_pool_complete(struct nc_pool *p, uint16_t first, uint16_t nblocks);

/* Split the first `used` bytes of a view at page boundaries.  Returns the
 * number of slices written (<= max), or NC_E2BIG when more are needed. */
int nc_pool_slices(const struct nc_pool *p, const struct nc_pool_view *v,
		   uint32_t used, struct nc_pool_slice *out, unsigned max);

/* How many slices nc_pool_slices would write for `used` bytes (<= the
 * view's size): the pages they span, by arithmetic alone. */
unsigned nc_pool_nslices(const struct nc_pool *p,
			 const struct nc_pool_view *v, uint32_t used);

/* Call cb(arg) once, the next time blocks return after a refused take. */
void nc_pool_on_space(struct nc_pool *p, nc_pool_space_cb cb, void *arg);

/* The largest view the pool can ever hand out. */
size_t nc_pool_max_view(const struct nc_pool *p);

#endif

/*
 * xen_grants.c - grant ops of the Xen platform (netchannel/xen.h).
 *
 * share/unshare: gntalloc through libxengnttab's xengntshr_*.  What the
 * library and Linux (6.1) do underneath, which the contract relies on:
 *   - xengntshr_share_pages() allocates the pages in the kernel (zeroed),
 *     grants each to the peer (read-only unless `writable`), maps them
 *     into us, then at once drops gntalloc's own reference: from then on
 *     the grants live exactly as long as our mapping;
 *   - xengntshr_unshare() is munmap(): when the mapping goes, the kernel
 *     ends each grant; one still mapped by the peer is handed to
 *     gnttab_end_foreign_access(), which keeps the page (and the ref)
 *     until the peer unmaps it, then frees it.  No result comes back to
 *     userspace, so unshare() cannot answer NC_EBUSY: it answers NC_OK,
 *     and a page a peer still maps is never reused by anyone meanwhile
 *     (XSA-396).
 *
 * map/unmap: gntdev through xengnttab_map_domain_grant_refs() and
 * xengnttab_unmap().  A writable mapping of a read-only grant fails in
 * the hypervisor: the library answers NULL.
 *
 * copy: GNTTABOP_copy through gntdev (xengnttab_grant_copy()).  gntdev
 * fails the whole call (EINVAL) for a local-to-local segment or one that
 * crosses a page on a granted side, and (EFAULT) for a bad local address;
 * the first two are settled here before the call, so one bad segment
 * cannot fail its neighbours.  A local side may cross pages (gntdev
 * splits it).  gntdev writes each segment's status: GNTST_okay, or the
 * first failing hypercall status of that segment.
 *
 * Both lists (shares, mappings) are kept so that unshare and unmap only
 * ever release a region this handle made (xengntshr_unshare() would
 * munmap any address it is given) and close releases everything.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "xen_internal.h"

_Static_assert(sizeof(nc_gref_t) == sizeof(uint32_t),
	       "grant refs are uint32_t in libxengnttab");
_Static_assert(NC_PAGE_SIZE == 4096u, "Xen pages are 4 KiB");

/* Refs copied on the stack for map(); more are allocated. */
#define XP_MAP_STACK_REFS 64u
/* The most pages one share() or map() may span (a size that fits an int
 * for libxengnttab, far above gntalloc's and gntdev's own limits). */
#define XP_MAX_REGION_PAGES ((unsigned)(INT_MAX / NC_PAGE_SIZE))

static struct xp_region *region_add(struct xp_region **list, void *addr,
				    unsigned npages)
{
	struct xp_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->addr = addr;
	r->npages = npages;
	r->next = *list;
	*list = r;
	return r;
}

/* The link pointing at the region (addr, npages), or NULL. */
static struct xp_region **region_find(struct xp_region **list, void *addr,
				      unsigned npages)
{
	struct xp_region **pp;

	for (pp = list; *pp; pp = &(*pp)->next)
		if ((*pp)->addr == addr && (*pp)->npages == npages)
			return pp;
	return NULL;
}

static void region_unlink(struct xp_region **pp)
{
	struct xp_region *r = *pp;

	*pp = r->next;
	free(r);
}

/* -------------------------------------------------------------- share */

static void *xp_share(void *ctx, nc_domid_t peer, unsigned npages,
		      int readonly, nc_gref_t *refs)
{
	struct nc_xen_handle *h = ctx;
	void *base;

	if (!h->gs || !refs || !npages || npages > XP_MAX_REGION_PAGES) {
		errno = EINVAL;
		return NULL;
	}
	base = xengntshr_share_pages(h->gs, peer, (int)npages, refs,
				     readonly ? 0 : 1);
	if (!base)
		return NULL;
	/* gntalloc's pages come zeroed; the contract is ours to keep. */
	memset(base, 0, (size_t)npages * NC_PAGE_SIZE);
	if (!region_add(&h->shares, base, npages)) {
		/* Nobody knows the refs yet: nobody maps them. */
		xengntshr_unshare(h->gs, base, npages);
		errno = ENOMEM;
		return NULL;
	}
	return base;
}

static int xp_unshare(void *ctx, void *base, unsigned npages)
{
	struct nc_xen_handle *h = ctx;
	struct xp_region **pp = region_find(&h->shares, base, npages);

	if (!pp)
		return NC_ENOENT;
	/* Never NC_EBUSY: see the top of this file. */
	if (xengntshr_unshare(h->gs, base, npages) != 0)
		return xp_err(errno);
	region_unlink(pp);
	return NC_OK;
}

/* ---------------------------------------------------------------- map */

static void *xp_map(void *ctx, nc_domid_t peer, unsigned n,
		    const nc_gref_t *refs, int writable)
{
	struct nc_xen_handle *h = ctx;
	uint32_t stack_refs[XP_MAP_STACK_REFS], *r = stack_refs;
	void *addr;
	int prot = PROT_READ | (writable ? PROT_WRITE : 0);

	if (!h->gt || !refs || !n || n > XP_MAX_REGION_PAGES) {
		errno = EINVAL;
		return NULL;
	}
	/* libxengnttab takes a non-const array: give it our copy. */
	if (n > XP_MAP_STACK_REFS) {
		r = malloc((size_t)n * sizeof(*r));
		if (!r)
			return NULL;
	}
	memcpy(r, refs, (size_t)n * sizeof(*r));
	addr = xengnttab_map_domain_grant_refs(h->gt, n, peer, r, prot);
	if (r != stack_refs)
		free(r);
	if (!addr)
		return NULL;
	if (!region_add(&h->mappings, addr, n)) {
		xengnttab_unmap(h->gt, addr, n);
		errno = ENOMEM;
		return NULL;
	}
	return addr;
}

static int xp_unmap(void *ctx, void *addr, unsigned n)
{
	struct nc_xen_handle *h = ctx;
	struct xp_region **pp = region_find(&h->mappings, addr, n);

	if (!pp)
		return NC_EINVAL;
	if (xengnttab_unmap(h->gt, addr, n) != 0)
		return xp_err(errno);
	region_unlink(pp);
	return NC_OK;
}

/* --------------------------------------------------------------- copy */

static int16_t status_from_gntst(int16_t st)
{
	switch (st) {
	case GNTST_okay:
		return NC_OK;
	case GNTST_eagain:
		return NC_EAGAIN;
	case GNTST_bad_copy_arg:
		return NC_EINVAL;
	default:
		/* bad_domain, bad_gntref, permission_denied, general_error
		 * (a read-only grant as destination, a grant not to us) ...:
		 * Xen refused the segment. */
		return NC_EPERM;
	}
}

/* Check one side of a segment; fill x's side.  NC_OK or NC_EINVAL. */
static int side_fill(const struct nc_copy_seg *s, int dst,
		     union xengnttab_copy_ptr *x, uint16_t *xflags)
{
	unsigned gflag = dst ? NC_COPY_DST_GREF : NC_COPY_SRC_GREF;

	if (s->flags & gflag) {
		uint16_t off = dst ? s->dst.foreign.offset
				   : s->src.foreign.offset;

		if ((unsigned)off + s->len > NC_PAGE_SIZE)
			return NC_EINVAL;
		x->foreign.ref = dst ? s->dst.foreign.ref : s->src.foreign.ref;
		x->foreign.offset = off;
		x->foreign.domid = dst ? s->dst.foreign.domid
				       : s->src.foreign.domid;
		*xflags |= dst ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
		return NC_OK;
	}
	x->virt = dst ? s->dst.local : s->src.local;
	return x->virt || !s->len ? NC_OK : NC_EINVAL;
}

/* Prepare one segment: 1 when *x is to be sent to the kernel, 0 when
 * the segment is settled here (s->status set). */
static int seg_prepare(struct nc_copy_seg *s,
		       xengnttab_grant_copy_segment_t *x)
{
	int rc;

	memset(x, 0, sizeof(*x));
	if (s->flags & ~(NC_COPY_SRC_GREF | NC_COPY_DST_GREF)) {
		s->status = NC_EINVAL;
		return 0;
	}
	if (!(s->flags & (NC_COPY_SRC_GREF | NC_COPY_DST_GREF))) {
		/* Local to local: gntdev refuses it; it is a memmove. */
		if (s->len && (!s->src.local || !s->dst.local)) {
			s->status = NC_EINVAL;
			return 0;
		}
		if (s->len)
			memmove(s->dst.local, s->src.local, s->len);
		s->status = NC_OK;
		return 0;
	}
	rc = side_fill(s, 0, &x->source, &x->flags);
	if (rc == NC_OK)
		rc = side_fill(s, 1, &x->dest, &x->flags);
	if (rc != NC_OK) {
		s->status = (int16_t)rc;
		return 0;
	}
	x->len = s->len;
	x->status = GNTST_general_error;    /* unless gntdev says otherwise */
	return 1;
}

static void flush(struct nc_xen_handle *h, xengnttab_grant_copy_segment_t *x,
		  struct nc_copy_seg **which, unsigned k)
{
	unsigned j;
	int16_t err;

	if (xengnttab_grant_copy(h->gt, k, x) == 0) {
		for (j = 0; j < k; j++)
			which[j]->status = status_from_gntst(x[j].status);
		return;
	}
	/* The kernel refused the call (a bad local address, no memory):
	 * which segments were done is unknown, so none counts as done. */
	err = (int16_t)xp_err(errno);
	if (err == NC_OK)
		err = NC_EIO;
	for (j = 0; j < k; j++)
		which[j]->status = err;
}

static int xp_copy(void *ctx, struct nc_copy_seg *segs, unsigned n)
{
	struct nc_xen_handle *h = ctx;
	xengnttab_grant_copy_segment_t x[NC_XEN_COPY_BATCH];
	struct nc_copy_seg *which[NC_XEN_COPY_BATCH];
	unsigned i, k = 0;

	if (!n)
		return NC_OK;
	if (!segs)
		return NC_EINVAL;
	for (i = 0; i < n; i++) {
		if (!seg_prepare(&segs[i], &x[k]))
			continue;
		if (!h->gt) {
			segs[i].status = NC_EIO;
			continue;
		}
		which[k++] = &segs[i];
		if (k == NC_XEN_COPY_BATCH) {
			flush(h, x, which, k);
			k = 0;
		}
	}
	if (k)
		flush(h, x, which, k);
	for (i = 0; i < n; i++)
		if (segs[i].status != NC_OK)
			return segs[i].status;
	return NC_OK;
}

/* ---------------------------------------------------------- lifetime */

int xp_grants_open(struct nc_xen_handle *h)
{
	h->gs = xengntshr_open(xp_quiet_logger(), 0);
	if (!h->gs)
		return xp_err(errno);
	h->gt = xengnttab_open(xp_quiet_logger(), 0);
	if (!h->gt)
		return xp_err(errno);
	return NC_OK;
}

void xp_grants_close(struct nc_xen_handle *h)
{
	/* Our mappings first: a share of ours we map ourselves (domid 0
	 * granting to itself) is then free to go at once. */
	while (h->mappings) {
		if (h->gt)
			xengnttab_unmap(h->gt, h->mappings->addr,
					h->mappings->npages);
		region_unlink(&h->mappings);
	}
	while (h->shares) {
		if (h->gs)
			xengntshr_unshare(h->gs, h->shares->addr,
					  h->shares->npages);
		region_unlink(&h->shares);
	}
	if (h->gt)
		xengnttab_close(h->gt);
	if (h->gs)
		xengntshr_close(h->gs);
	h->gt = NULL;
	h->gs = NULL;
}

const struct nc_grant_ops nc_xen_grant_ops = {
	.share = xp_share,
	.unshare = xp_unshare,
	.map = xp_map,
	.unmap = xp_unmap,
	.copy = xp_copy,
};

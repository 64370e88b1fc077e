/*
 * inproc_grants.c - grant tables of the in-process platform.
 *
 * The rules of Xen's grant tables, each enforced where marked:
 *   G1 only the domain named in the entry may map or copy it;
 *   G2 a read-only grant is mapped PROT_READ and never copied into;
 *   G3 an entry mapped by its peer cannot be revoked (NC_EBUSY);
 *   G4 copies stay inside one page.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inproc_internal.h"
#include "shm.h"

static struct ip_grant *grant_lookup(struct ip_domain *d, nc_gref_t ref)
{
	if (!d || ref < INPROC_FIRST_GREF || ref >= d->ngrants ||
	    !d->grants[ref].in_use)
		return NULL;
	return &d->grants[ref];
}

/* A free entry in d's table, growing it; 0 when out of memory. */
static nc_gref_t grant_alloc(struct ip_domain *d)
{
	unsigned i, n;
	struct ip_grant *g;

	for (i = INPROC_FIRST_GREF; i < d->ngrants; i++)
		if (!d->grants[i].in_use)
			return i;
	n = d->ngrants ? d->ngrants * 2 : 256;
	g = realloc(d->grants, n * sizeof(*g));
	if (!g)
		return 0;
	memset(g + d->ngrants, 0, (n - d->ngrants) * sizeof(*g));
	i = d->ngrants > INPROC_FIRST_GREF ? d->ngrants : INPROC_FIRST_GREF;
	d->grants = g;
	d->ngrants = n;
	return i;
}

static void grant_end(struct ip_domain *d, nc_gref_t ref)
{
	d->grants[ref].in_use = 0;
	d->grants[ref].generation++;
	d->grants_used--;
}

static void share_free(struct ip_domain *d, struct ip_share *s)
{
	unsigned i;

	for (i = 0; i < s->npages; i++)
		grant_end(d, s->refs[i]);
	nc_shm_unmap(s->base, s->npages);
	close(s->fd);
	free(s->refs);
	free(s);
}

static int share_pages(struct ip_domain *d, struct ip_share *s,
		       nc_domid_t peer, int readonly)
{
	unsigned i;

	for (i = 0; i < s->npages; i++) {
		nc_gref_t ref = grant_alloc(d);
		struct ip_grant *g;

		if (!ref) {
			while (i--)
				grant_end(d, s->refs[i]);
			return -1;
		}
		g = &d->grants[ref];
		g->in_use = 1;
		g->readonly = readonly;
		g->peer = peer;
		g->fd = s->fd;
		g->page = i;
		g->local = s->base + (size_t)i * NC_PAGE_SIZE;
		g->map_count = 0;
		d->grants_used++;
		s->refs[i] = ref;
	}
	return 0;
}

static void *ip_share(void *ctx, nc_domid_t peer, unsigned npages,
		      int readonly, nc_gref_t *refs)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_share *s = calloc(1, sizeof(*s));
	struct ip_domain *d;
	void *base = NULL;

	if (!s || !npages)
		goto out_free;
	s->refs = calloc(npages, sizeof(*s->refs));
	s->npages = npages;
	s->fd = nc_shm_create(npages, "nc-grant", &s->base);
	if (!s->refs || s->fd < 0)
		goto out_free;
	ip_lock(h->w);
	d = ip_domain_get(h->w, h->domid);
	if (d && share_pages(d, s, peer, readonly) == 0) {
		s->next = d->shares;
		d->shares = s;
		memcpy(refs, s->refs, npages * sizeof(*refs));
		base = s->base;
	}
	ip_unlock(h->w);
	if (base)
		return base;
out_free:
	if (s) {
		if (s->fd >= 0)
			close(s->fd);
		nc_shm_unmap(s->base, s->npages);
		free(s->refs);
		free(s);
	}
	return NULL;
}

static int share_in_use(struct ip_domain *d, const struct ip_share *s)
{
	unsigned i;

	for (i = 0; i < s->npages; i++)
		if (d->grants[s->refs[i]].map_count)
			return 1;
	return 0;
}

static int ip_unshare(void *ctx, void *base, unsigned npages)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_share **pp, *s;
	struct ip_domain *d;
	int rc = NC_ENOENT;

	ip_lock(h->w);
	d = ip_domain_find(h->w, h->domid);
	for (pp = d ? &d->shares : NULL; pp && *pp; pp = &(*pp)->next) {
		s = *pp;
		if (s->base != base || s->npages != npages)
			continue;
		/* G3: the peer still maps a page: refuse, keep everything. */
		if (share_in_use(d, s)) {
			rc = NC_EBUSY;
			break;
		}
		*pp = s->next;
		share_free(d, s);
		rc = NC_OK;
		break;
	}
	ip_unlock(h->w);
	return rc;
}

/* Check one ref for mapping by h: G1 and G2. */
static struct ip_grant *grant_for_map(struct nc_inproc_handle *h,
				      struct ip_domain *granter, nc_gref_t ref,
				      int writable)
{
	struct ip_grant *g = grant_lookup(granter, ref);

	if (!g || g->peer != h->domid)
		return NULL;          /* G1 */
	if (writable && g->readonly)
		return NULL;          /* G2 */
	return g;
}

static int map_all(struct nc_inproc_handle *h, struct ip_domain *granter,
		   struct ip_mapping *m, int writable)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (!grant_for_map(h, granter, m->refs[i], writable))
			return -1;
	for (i = 0; i < m->n; i++) {
		struct ip_grant *g = &granter->grants[m->refs[i]];

		if (nc_shm_map_page(m->addr + (size_t)i * NC_PAGE_SIZE, g->fd,
				    g->page, writable) < 0)
			return -1;
	}
	for (i = 0; i < m->n; i++) {
		struct ip_grant *g = &granter->grants[m->refs[i]];

		g->map_count++;
		m->gens[i] = g->generation;
	}
	return 0;
}

static void mapping_free(struct ip_mapping *m)
{
	free(m->refs);
	free(m->gens);
	free(m);
}

static void *ip_map(void *ctx, nc_domid_t peer, unsigned n,
		    const nc_gref_t *refs, int writable)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_mapping *m = calloc(1, sizeof(*m));
	void *addr = NULL;

	if (!m || !n)
		goto out;
	m->n = n;
	m->granter = peer;
	m->refs = malloc(n * sizeof(*m->refs));
	m->gens = malloc(n * sizeof(*m->gens));
	m->addr = nc_shm_reserve(n);
	if (!m->refs || !m->gens || !m->addr)
		goto out;
	memcpy(m->refs, refs, n * sizeof(*refs));
	ip_lock(h->w);
	if (map_all(h, ip_domain_find(h->w, peer), m, writable) == 0) {
		m->next = h->mappings;
		h->mappings = m;
		addr = m->addr;
	}
	ip_unlock(h->w);
out:
	if (!addr && m) {
		nc_shm_unmap(m->addr, m->n);
		mapping_free(m);
	}
	return addr;
}

/* Drop one mapping's hold on its grants (they may be gone already: the
 * granter died, and the generation tells a reused entry apart). */
static void mapping_release(struct nc_inproc_world *w, struct ip_mapping *m)
{
	struct ip_domain *d = ip_domain_find(w, m->granter);
	unsigned i;

	for (i = 0; i < m->n; i++) {
		struct ip_grant *g = grant_lookup(d, m->refs[i]);

		if (g && g->generation == m->gens[i] && g->map_count)
			g->map_count--;
	}
	nc_shm_unmap(m->addr, m->n);
	mapping_free(m);
}

static int ip_unmap(void *ctx, void *addr, unsigned n)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_mapping **pp;
	int rc = NC_EINVAL;

	ip_lock(h->w);
	for (pp = &h->mappings; *pp; pp = &(*pp)->next) {
		struct ip_mapping *m = *pp;

		if (m->addr == addr && m->n == n) {
			*pp = m->next;
			mapping_release(h->w, m);
			rc = NC_OK;
			break;
		}
	}
	ip_unlock(h->w);
	return rc;
}

void ip_grants_unmap_all(struct nc_inproc_handle *h)
{
	while (h->mappings) {
		struct ip_mapping *m = h->mappings;

		h->mappings = m->next;
		mapping_release(h->w, m);
	}
}

/* The domain is gone: its grants end.  Peers' mappings keep the memfd
 * pages alive until they unmap, as Xen keeps a dying domain's pages. */
void ip_grants_end_all(struct nc_inproc_world *w, struct ip_domain *d)
{
	(void)w;
	while (d->shares) {
		struct ip_share *s = d->shares;

		d->shares = s->next;
		share_free(d, s);
	}
	free(d->grants);
	d->grants = NULL;
	d->ngrants = 0;
	d->grants_used = 0;
}

/* Resolve one side of a copy segment to an address, enforcing G1, G2, G4. */
static uint8_t *copy_side(struct nc_inproc_handle *h, int is_gref,
			  const struct nc_copy_seg *s, int src, uint16_t len)
{
	struct ip_grant *g;
	nc_domid_t dom = src ? s->src.foreign.domid : s->dst.foreign.domid;
	nc_gref_t ref = src ? s->src.foreign.ref : s->dst.foreign.ref;
	uint16_t off = src ? s->src.foreign.offset : s->dst.foreign.offset;

	if (!is_gref)
		return src ? s->src.local : s->dst.local;
	g = grant_lookup(ip_domain_find(h->w, dom), ref);
	if (!g || g->peer != h->domid)             /* G1 */
		return NULL;
	if (!src && g->readonly)                    /* G2 */
		return NULL;
	if ((unsigned)off + len > NC_PAGE_SIZE)     /* G4 */
		return NULL;
	return g->local + off;
}

static int ip_copy(void *ctx, struct nc_copy_seg *segs, unsigned n)
{
	struct nc_inproc_handle *h = ctx;
	unsigned i;
	int rc = NC_OK;

	ip_lock_shared(h->w);   /* the tables are only read here */
	for (i = 0; i < n; i++) {
		struct nc_copy_seg *s = &segs[i];
		uint8_t *from = copy_side(h, s->flags & NC_COPY_SRC_GREF, s, 1,
					  s->len);
		uint8_t *to = copy_side(h, s->flags & NC_COPY_DST_GREF, s, 0,
					s->len);

		if (!from || !to) {
			s->status = NC_EPERM;
			if (rc == NC_OK)
				rc = NC_EPERM;
			continue;
		}
		memmove(to, from, s->len);
		s->status = NC_OK;
	}
	ip_unlock(h->w);
	return rc;
}

const struct nc_grant_ops nc_inproc_grant_ops = {
	.share = ip_share,
	.unshare = ip_unshare,
	.map = ip_map,
	.unmap = ip_unmap,
	.copy = ip_copy,
};

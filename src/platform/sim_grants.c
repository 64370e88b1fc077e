/*
 * sim_grants.c - grant ops of the simulator platform.
 *
 * share/unshare/map/unmap are requests to the daemon, which enforces the
 * rules (src/sim/plat_grants.c); this side maps the fds it is given.
 *
 * Grant copy runs in this process, without a round trip per frame: each
 * foreign side of a segment is checked against the granter's entry in
 * the shared grant table (read-only here, written by the daemon), then
 * copied through a view: the whole share, mapped once, obtained from the
 * daemon with COPY_ACCESS (which itself checks that the share holds a
 * grant to us, and gives a read-only fd for read-only grants).  The
 * checks, marked where they are made, are Xen's:
 *   C1 the entry is in use and names our domain;
 *   C2 a read-only grant is never a destination;
 *   C3 a segment stays inside its page (offset + len <= 4096).
 *
 * The one race this leaves: a copy that read the entry just before the
 * granter revoked it copies from (or into) the revoked share's old pages.
 * Those are still the same share's pages (a view keeps its memfd alive;
 * memfds are never reused for another share), so a copy never touches
 * anyone else's memory, and the granter no longer sees what was written.
 * On Xen a copy racing a revoke is equally ordered either way.
 *
 * Views of revoked shares are dropped when a new view is needed (a sweep
 * checks each view's entry) or by LRU; at most SC_COPY_VIEWS are kept.
 */
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "shm.h"
#include "sim_internal.h"

/* ------------------------------------------------------------- helpers */

/* fd holds at least `pages` pages: a mapping of it never SIGBUSes. */
static int fd_has_pages(int fd, uint64_t pages)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_size >= 0 &&
	       (uint64_t)st.st_size >= pages * NC_PAGE_SIZE;
}

static int request_id(struct nc_sim_handle *h, uint16_t op, uint64_t id)
{
	struct ncsp_share_id q = { .share_id = id };
	struct sc_reply rep;

	return sc_call(h, op, &q, sizeof(q), &rep);
}

/* -------------------------------------------------------------- share */

/* SHARE's reply: the id and refs (checked), and the memfd. */
static int share_reply(struct nc_sim_handle *h, const struct sc_reply *rep,
		       unsigned npages, nc_gref_t *refs, uint64_t *id)
{
	struct ncsp_share_rep r;
	unsigned i;

	if (rep->len != sizeof(r) + npages * sizeof(uint32_t) ||
	    rep->nfds != 1 || !fd_has_pages(rep->fds[0], npages))
		return NC_EPROTO;
	memcpy(&r, rep->body, sizeof(r));
	if (r.npages != npages)
		return NC_EPROTO;
	memcpy(refs, rep->body + sizeof(r), npages * sizeof(uint32_t));
	for (i = 0; i < npages; i++)
		if (refs[i] < NCSP_FIRST_GREF || refs[i] >= h->max_grants)
			return NC_EPROTO;
	*id = r.share_id;
	return NC_OK;
}

/* Map the new share, then make its grants live (PUBLISH: after our
 * writable mapping, so a read-only share can be sealed). */
static uint8_t *share_map_publish(struct nc_sim_handle *h, int fd,
				  unsigned npages, uint64_t id)
{
	size_t len = (size_t)npages * NC_PAGE_SIZE;
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			  0);

	if (base == MAP_FAILED)
		return NULL;
	if (request_id(h, NCSP_PUBLISH, id) != NC_OK) {
		munmap(base, len);
		return NULL;
	}
	return base;
}

static void *sc_share(void *ctx, nc_domid_t peer, unsigned npages,
		      int readonly, nc_gref_t *refs)
{
	struct nc_sim_handle *h = ctx;
	struct ncsp_share q = { .peer = peer, .readonly = readonly ? 1 : 0,
				.npages = npages };
	struct sc_share *s = calloc(1, sizeof(*s));
	struct sc_reply rep;
	uint64_t id = 0;
	int rc;

	if (!s || !npages || npages > NCSP_MAX_SHARE_PAGES)
		goto fail;
	rc = sc_call(h, NCSP_SHARE, &q, sizeof(q), &rep);
	if (rc != NC_OK)
		goto fail;
	rc = share_reply(h, &rep, npages, refs, &id);
	if (rc == NC_OK)
		s->base = share_map_publish(h, rep.fds[0], npages, id);
	ncsp_close_fds(rep.fds, rep.nfds);
	if (!s->base) {
		if (rc == NC_OK)      /* reserved refs go back */
			request_id(h, NCSP_UNSHARE, id);
		goto fail;
	}
	s->npages = npages;
	s->id = id;
	s->next = h->shares;
	h->shares = s;
	return s->base;
fail:
	free(s);
	return NULL;
}

static int sc_unshare(void *ctx, void *base, unsigned npages)
{
	struct nc_sim_handle *h = ctx;
	struct sc_share **pp, *s;
	int rc;

	for (pp = &h->shares; (s = *pp); pp = &s->next) {
		if (s->base != base || s->npages != npages)
			continue;
		/* NC_EBUSY (still mapped): nothing freed, pages kept. */
		rc = request_id(h, NCSP_UNSHARE, s->id);
		if (rc != NC_OK)
			return rc;
		*pp = s->next;
		munmap(s->base, (size_t)s->npages * NC_PAGE_SIZE);
		free(s);
		return NC_OK;
	}
	return NC_ENOENT;
}

/* ---------------------------------------------------------------- map */

/* Map each page of a MAP reply at its place in the reservation. */
static int map_pages(uint8_t *addr, unsigned n, const struct sc_reply *rep,
		     int writable)
{
	struct ncsp_map_rep r;
	struct ncsp_map_page pg;
	unsigned i;

	if (rep->len != sizeof(r) + n * sizeof(pg))
		return -1;
	memcpy(&r, rep->body, sizeof(r));
	if (r.n != n || r.nfds != rep->nfds)
		return -1;
	for (i = 0; i < n; i++) {
		memcpy(&pg, rep->body + sizeof(r) + i * sizeof(pg), sizeof(pg));
		if (pg.fd_index >= rep->nfds ||
		    !fd_has_pages(rep->fds[pg.fd_index], (uint64_t)pg.page + 1) ||
		    nc_shm_map_page(addr + (size_t)i * NC_PAGE_SIZE,
				    rep->fds[pg.fd_index], pg.page,
				    writable) < 0)
			return -1;
	}
	return 0;
}

static void unmap_request(struct nc_sim_handle *h, uint32_t id)
{
	struct ncsp_unmap q = { .map_id = id };
	struct sc_reply rep;

	sc_call(h, NCSP_UNMAP, &q, sizeof(q), &rep);
}

static void *sc_map(void *ctx, nc_domid_t peer, unsigned n,
		    const nc_gref_t *refs, int writable)
{
	struct nc_sim_handle *h = ctx;
	uint8_t body[sizeof(struct ncsp_map) +
		     NCSP_MAX_MAP_PAGES * sizeof(uint32_t)];
	struct ncsp_map q = { .granter = peer, .writable = writable ? 1 : 0,
			      .n = n };
	struct sc_mapping *m = calloc(1, sizeof(*m));
	struct sc_reply rep;
	int ok;

	if (!m || !n || n > NCSP_MAX_MAP_PAGES)
		goto fail;
	memcpy(body, &q, sizeof(q));
	memcpy(body + sizeof(q), refs, n * sizeof(uint32_t));
	if (sc_call(h, NCSP_MAP, body, (uint32_t)(sizeof(q) +
		    n * sizeof(uint32_t)), &rep) != NC_OK)
		goto fail;
	if (rep.len >= sizeof(struct ncsp_map_rep))   /* map_id first */
		memcpy(&m->id, rep.body, sizeof(m->id));
	m->addr = nc_shm_reserve(n);
	ok = m->id && m->addr && map_pages(m->addr, n, &rep, writable) == 0;
	ncsp_close_fds(rep.fds, rep.nfds);
	if (!ok) {
		nc_shm_unmap(m->addr, n);
		if (m->id)
			unmap_request(h, m->id);
		goto fail;
	}
	m->n = n;
	m->next = h->mappings;
	h->mappings = m;
	return m->addr;
fail:
	free(m);
	return NULL;
}

static int sc_unmap(void *ctx, void *addr, unsigned n)
{
	struct nc_sim_handle *h = ctx;
	struct sc_mapping **pp, *m;

	for (pp = &h->mappings; (m = *pp); pp = &m->next) {
		if (m->addr != addr || m->n != n)
			continue;
		*pp = m->next;
		/* Gone from our address space before the daemon lets the
		 * granter revoke. */
		nc_shm_unmap(m->addr, m->n);
		unmap_request(h, m->id);
		free(m);
		return NC_OK;
	}
	return NC_EINVAL;
}

/* ---------------------------------------------------------- copy views */

static uint64_t entry_read(const struct nc_sim_handle *h, nc_domid_t dom,
			   nc_gref_t ref)
{
	if (dom >= h->ndomains || ref < NCSP_FIRST_GREF ||
	    ref >= h->max_grants)
		return 0;
	return atomic_load_explicit(&h->table[(size_t)dom * h->max_grants +
					      ref], memory_order_acquire);
}

static struct sc_view *view_find(struct nc_sim_handle *h, nc_domid_t dom,
				 uint64_t share_id)
{
	struct sc_view *v = h->last_view;
	unsigned i;

	if (v && v->base && v->granter == dom && v->share_id == share_id)
		return v;
	for (i = 0; i < SC_COPY_VIEWS; i++) {
		v = &h->views[i];
		if (v->base && v->granter == dom && v->share_id == share_id)
			return v;
	}
	return NULL;
}

static void view_drop(struct nc_sim_handle *h, struct sc_view *v)
{
	munmap(v->base, (size_t)v->npages * NC_PAGE_SIZE);
	v->base = NULL;
	if (h->last_view == v)
		h->last_view = NULL;
}

/* A free view slot: drop views of revoked shares first, else the least
 * recently used one.  The last view used is kept whatever: the other side
 * of the segment being resolved may point into it. */
static struct sc_view *view_slot(struct nc_sim_handle *h)
{
	struct sc_view *v, *keep = h->last_view, *lru = NULL;
	unsigned i;

	for (i = 0; i < SC_COPY_VIEWS; i++) {
		v = &h->views[i];
		if (v->base && v != keep &&
		    ncsp_gnt_share(entry_read(h, v->granter, v->ref)) !=
		    v->share_id)
			view_drop(h, v);
	}
	for (i = 0; i < SC_COPY_VIEWS; i++) {
		v = &h->views[i];
		if (!v->base)
			return v;
		if (v != keep && (!lru || v->last_use < lru->last_use))
			lru = v;
	}
	view_drop(h, lru);
	return lru;
}

static int view_map(struct sc_view *v, const struct sc_reply *rep)
{
	struct ncsp_copy_access_rep r;
	void *p;

	if (rep->len != sizeof(r) || rep->nfds != 1)
		return -1;
	memcpy(&r, rep->body, sizeof(r));
	if (!r.npages || r.npages > NCSP_MAX_SHARE_PAGES ||
	    !fd_has_pages(rep->fds[0], r.npages))
		return -1;
	p = mmap(NULL, (size_t)r.npages * NC_PAGE_SIZE,
		 PROT_READ | (r.writable ? PROT_WRITE : 0), MAP_SHARED,
		 rep->fds[0], 0);
	if (p == MAP_FAILED)
		return -1;
	v->base = p;
	v->npages = r.npages;
	v->writable = r.writable != 0;
	v->share_id = r.share_id;
	return 0;
}

/* Ask the daemon for the share holding `ref` of `dom`. */
static struct sc_view *view_fetch(struct nc_sim_handle *h, nc_domid_t dom,
				  nc_gref_t ref)
{
	struct ncsp_copy_access q = { .granter = dom, .ref = ref };
	struct sc_reply rep;
	struct sc_view *v;
	int ok;

	if (sc_call(h, NCSP_COPY_ACCESS, &q, sizeof(q), &rep) != NC_OK)
		return NULL;
	v = view_slot(h);
	ok = view_map(v, &rep) == 0;
	ncsp_close_fds(rep.fds, rep.nfds);
	if (!ok)
		return NULL;
	v->granter = dom;
	v->ref = ref;
	return v;
}

/* --------------------------------------------------------------- copy */

/* The address of a foreign side of a segment, or NULL when a rule
 * refuses it. */
static uint8_t *foreign_addr(struct nc_sim_handle *h, nc_domid_t dom,
			     nc_gref_t ref, uint16_t off, uint16_t len,
			     int dst)
{
	struct sc_view *v;
	unsigned tries;
	uint64_t e;

	if ((unsigned)off + len > NC_PAGE_SIZE)               /* C3 */
		return NULL;
	for (tries = 0; tries < 2; tries++) {
		e = entry_read(h, dom, ref);
		if (!(e & NCSP_GNT_IN_USE) || ncsp_gnt_peer(e) != h->domid)
			return NULL;                          /* C1 */
		if (dst && (e & NCSP_GNT_READONLY))
			return NULL;                          /* C2 */
		v = view_find(h, dom, ncsp_gnt_share(e));
		if (!v)
			v = view_fetch(h, dom, ref);
		if (!v)
			return NULL;
		if (v->share_id != ncsp_gnt_share(e))
			continue;     /* the entry changed meanwhile: again */
		if (ncsp_gnt_page(e) >= v->npages || (dst && !v->writable))
			return NULL;
		v->last_use = ++h->use_clock;
		h->last_view = v;
		return v->base + (size_t)ncsp_gnt_page(e) * NC_PAGE_SIZE + off;
	}
	return NULL;
}

static uint8_t *side_addr(struct nc_sim_handle *h,
			  const struct nc_copy_seg *s, int dst)
{
	uint16_t flag = dst ? NC_COPY_DST_GREF : NC_COPY_SRC_GREF;

	if (!(s->flags & flag))
		return dst ? s->dst.local : s->src.local;
	if (dst)
		return foreign_addr(h, s->dst.foreign.domid, s->dst.foreign.ref,
				    s->dst.foreign.offset, s->len, 1);
	return foreign_addr(h, s->src.foreign.domid, s->src.foreign.ref,
			    s->src.foreign.offset, s->len, 0);
}

static int sc_copy(void *ctx, struct nc_copy_seg *segs, unsigned n)
{
	struct nc_sim_handle *h = ctx;
	unsigned i;
	int rc = NC_OK;

	for (i = 0; i < n; i++) {
		struct nc_copy_seg *s = &segs[i];
		uint8_t *from = side_addr(h, s, 0);
		uint8_t *to = from ? side_addr(h, s, 1) : NULL;

		if (!from || !to) {
			s->status = NC_EPERM;
			if (rc == NC_OK)
				rc = NC_EPERM;
			continue;
		}
		memmove(to, from, s->len);
		s->status = NC_OK;
	}
	return rc;
}

/* -------------------------------------------------------------- close */

/* The process lets go of everything; the daemon releases its side when
 * the connection closes. */
void sc_grants_close(struct nc_sim_handle *h)
{
	unsigned i;

	while (h->mappings) {
		struct sc_mapping *m = h->mappings;

		h->mappings = m->next;
		nc_shm_unmap(m->addr, m->n);
		free(m);
	}
	while (h->shares) {
		struct sc_share *s = h->shares;

		h->shares = s->next;
		munmap(s->base, (size_t)s->npages * NC_PAGE_SIZE);
		free(s);
	}
	for (i = 0; i < SC_COPY_VIEWS; i++)
		if (h->views[i].base)
			view_drop(h, &h->views[i]);
}

const struct nc_grant_ops nc_sim_grant_ops = {
	.share = sc_share,
	.unshare = sc_unshare,
	.map = sc_map,
	.unmap = sc_unmap,
	.copy = sc_copy,
};

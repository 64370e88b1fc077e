/*
 * plat_grants.c - the simulator's grant tables.
 *
 * A share is one memfd of npages, its pages granted to one peer with one
 * flag (read-only or not).  Each domain's table has a public half, one
 * 64-bit word per ref in the shared table memfd that every client maps
 * read-only (for grant copy without a round trip), and a private half
 * (struct ps_grant: which share, map count, generation).
 *
 * Xen's rules, each enforced where marked:
 *   G1 only the domain a grant names may map it or get it for copy;
 *   G2 a read-only grant never yields a writable fd: its memfd is sealed
 *      (F_SEAL_FUTURE_WRITE) before any grantee gets it, and grantees get
 *      fds opened read-only (a reopen of /proc/self/fd with O_RDWR would
 *      not help them: the seal refuses writable mappings);
 *   G3 a share with a mapped page cannot be revoked (NC_EBUSY);
 *   G4 nobody can shrink or grow a share (sealed at creation), so a
 *      grantee's mapping never turns into SIGBUS under it.
 *
 * A share's refs are reserved at SHARE and become live at PUBLISH, after
 * the granter mapped the memfd writable: so a read-only share can be
 * sealed before any grantee could race the granter's own mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/mman.h>

#include "sim/plat_internal.h"

/* Every reply fits its buffer: ps_reply_body() cannot fail for them. */
_Static_assert(sizeof(struct ncsp_share_rep) + NCSP_MAX_SHARE_PAGES *
	       sizeof(uint32_t) <= NCSP_MAX_BODY, "SHARE reply too large");
_Static_assert(sizeof(struct ncsp_map_rep) + NCSP_MAX_MAP_PAGES *
	       sizeof(struct ncsp_map_page) <= NCSP_MAX_BODY,
	       "MAP reply too large");
_Static_assert(sizeof(struct ncsp_map) + NCSP_MAX_MAP_PAGES *
	       sizeof(uint32_t) <= NCSP_MAX_BODY, "MAP request too large");

/* ------------------------------------------------------------- sealing */

/* Add seals; on a kernel without F_SEAL_FUTURE_WRITE (before 5.1) fall
 * back to the others: read-only fds then stand alone.  0 or -1. */
static int seal(int fd, int seals)
{
	if (fcntl(fd, F_ADD_SEALS, seals) == 0)
		return 0;
	if (errno != EINVAL || !(seals & F_SEAL_FUTURE_WRITE))
		return -1;
	return fcntl(fd, F_ADD_SEALS, seals & ~F_SEAL_FUTURE_WRITE);
}

/* G4 at creation; a writable share is sealed for good (nobody may add
 * a seal that would stop its grantees mapping it writable). */
static int share_memfd(unsigned npages, int readonly)
{
	int fd = memfd_create("nc-share", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	int seals = F_SEAL_SHRINK | F_SEAL_GROW | (readonly ? 0 : F_SEAL_SEAL);

	if (fd < 0)
		return -1;
	if (ftruncate(fd, (off_t)npages * NC_PAGE_SIZE) < 0 ||
	    seal(fd, seals) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* G2: no new writable mapping of a read-only share, by anyone. */
static int seal_readonly(int fd)
{
	int seals;

	if (seal(fd, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) < 0)
		return -1;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & F_SEAL_SEAL) ? 0 : -1;
}

/* ---------------------------------------------------------- the table */

int ps_grants_init(struct ncsim_plat *srv)
{
	unsigned i;
	void *p;

	srv->table_bytes = (size_t)srv->ndomains * NCSP_MAX_GRANTS *
			   sizeof(uint64_t);
	srv->table_fd = memfd_create("nc-grant-table",
				     MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (srv->table_fd < 0 ||
	    ftruncate(srv->table_fd, (off_t)srv->table_bytes) < 0)
		return -1;
	p = mmap(NULL, srv->table_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		 srv->table_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	srv->table = p;
	/* Security: the daemon alone writes the table. */
	if (seal(srv->table_fd, F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK |
		 F_SEAL_GROW | F_SEAL_SEAL) < 0)
		return -1;
	srv->table_ro_fd = ps_reopen_readonly(srv->table_fd);
	if (srv->table_ro_fd < 0)
		return -1;
	for (i = 0; i < srv->ndomains; i++)
		srv->domains[i].table = srv->table + (size_t)i * NCSP_MAX_GRANTS;
	srv->next_share_id = 1;
	return 0;
}

void ps_grants_fini(struct ncsim_plat *srv)
{
	unsigned i;

	for (i = 0; srv->domains && i < srv->ndomains; i++)
		free(srv->domains[i].grants);
	if (srv->table)
		munmap((void *)srv->table, srv->table_bytes);
	if (srv->table_fd >= 0)
		close(srv->table_fd);
	if (srv->table_ro_fd >= 0)
		close(srv->table_ro_fd);
}

static void entry_set(struct ps_domain *d, nc_gref_t ref, uint64_t e)
{
	atomic_store_explicit(&d->table[ref], e, memory_order_release);
}

/* ------------------------------------------------------------- refs */

static int grants_ensure(struct ps_domain *d)
{
	if (!d->grants)
		d->grants = calloc(NCSP_MAX_GRANTS, sizeof(*d->grants));
	return d->grants ? 0 : -1;
}

/* A free ref of d (the caller checked that one exists). */
static nc_gref_t ref_alloc(struct ps_domain *d, struct ps_share *s)
{
	unsigned i = d->grant_hint;

	for (;;) {
		if (i < NCSP_FIRST_GREF || i >= NCSP_MAX_GRANTS)
			i = NCSP_FIRST_GREF;
		if (!d->grants[i].share)
			break;
		i++;
	}
	d->grants[i].share = s;
	d->grants[i].map_count = 0;
	d->grants_used++;
	d->grant_hint = i + 1;
	return i;
}

static void ref_free(struct ps_domain *d, nc_gref_t ref)
{
	struct ps_grant *g = &d->grants[ref];

	entry_set(d, ref, 0);
	g->share = NULL;
	g->map_count = 0;
	g->gen++;
	d->grants_used--;
}

/* The live grant `ref` of d for `caller`, or NULL with *err set. */
static struct ps_grant *grant_for(struct ps_domain *d, nc_gref_t ref,
				  nc_domid_t caller, int *err)
{
	struct ps_grant *g;

	*err = NC_ENOENT;
	if (!d || !d->grants || ref < NCSP_FIRST_GREF ||
	    ref >= NCSP_MAX_GRANTS)
		return NULL;
	g = &d->grants[ref];
	if (!g->share || !g->share->published)
		return NULL;
	/* G1: only the domain the grant names. */
	if (g->share->peer != caller) {
		*err = NC_EPERM;
		return NULL;
	}
	return g;
}

/* ------------------------------------------------------------- shares */

static struct ps_share *share_find(struct ps_conn *c, uint64_t id,
				   struct ps_share ***link)
{
	struct ps_share **pp;

	for (pp = &c->shares; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			if (link)
				*link = pp;
			return *pp;
		}
	return NULL;
}

static uint64_t share_id_next(struct ncsim_plat *srv)
{
	uint64_t id = srv->next_share_id;

	srv->next_share_id = (id + 1) & NCSP_GNT_SHARE_MASK;
	if (!srv->next_share_id)
		srv->next_share_id = 1;
	return id;
}

static void share_free(struct ps_conn *c, struct ps_share *s)
{
	unsigned i;

	for (i = 0; i < s->npages; i++)
		ref_free(c->dom, s->refs[i]);
	close(s->fd);
	c->dom->fds_held--;
	c->nshares--;
	free(s);
}

static struct ps_share *share_new(struct ps_conn *c,
				  const struct ncsp_share *q)
{
	struct ps_share *s = calloc(1, sizeof(*s) +
				    q->npages * sizeof(s->refs[0]));
	unsigned i;

	if (!s)
		return NULL;
	s->fd = share_memfd(q->npages, q->readonly);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	s->owner = c;
	s->id = share_id_next(c->srv);
	s->readonly = q->readonly;
	s->peer = q->peer;
	s->npages = q->npages;
	for (i = 0; i < s->npages; i++) {
		s->refs[i] = ref_alloc(c->dom, s);
		c->dom->grants[s->refs[i]].page = i;
	}
	s->next = c->shares;
	c->shares = s;
	c->nshares++;
	c->dom->fds_held++;
	return s;
}

int ps_op_share(struct ps_conn *c, const struct ps_req *r,
		struct ps_reply *rep)
{
	struct ps_domain *d = c->dom;
	struct ncsp_share_rep *out;
	struct ncsp_share q;
	struct ps_share *s;

	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	if (q.readonly > 1 || q.pad)
		return PS_BAD_MSG;
	if (!q.npages || q.npages > NCSP_MAX_SHARE_PAGES ||
	    !ps_domain(c->srv, q.peer))
		return NC_EINVAL;
	/* Limits: shares per connection, fds per domain, the table. */
	if (c->nshares >= PS_MAX_SHARES_PER_CONN || !ps_fd_budget_ok(c) ||
	    grants_ensure(d) < 0 ||
	    d->grants_used + q.npages > NCSP_MAX_GRANTS - NCSP_FIRST_GREF)
		return NC_ENOMEM;
	s = share_new(c, &q);
	if (!s)
		return NC_ENOMEM;
	out = ps_reply_body(rep, sizeof(*out));
	out->share_id = s->id;
	out->npages = s->npages;
	memcpy(ps_reply_body(rep, s->npages * sizeof(uint32_t)), s->refs,
	       s->npages * sizeof(uint32_t));
	ps_reply_fd(rep, s->fd, 0);
	return NC_OK;
}

int ps_op_publish(struct ps_conn *c, const struct ps_req *r,
		  struct ps_reply *rep)
{
	struct ncsp_share_id q;
	struct ps_share *s;
	unsigned i;

	(void)rep;
	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	s = share_find(c, q.share_id, NULL);
	if (!s)
		return NC_ENOENT;
	if (s->published)
		return NC_OK;
	/* G2: sealed before the grants are live. */
	if (s->readonly && seal_readonly(s->fd) < 0) {
		ps_log(c->srv, LOG_WARNING, "platform: cannot seal a "
		       "read-only share: %s", strerror(errno));
		return NC_EIO;
	}
	s->published = 1;
	for (i = 0; i < s->npages; i++)
		entry_set(c->dom, s->refs[i], ncsp_gnt_pack(s->peer,
			  s->readonly, i, s->id));
	return NC_OK;
}

static int share_mapped(const struct ps_conn *c, const struct ps_share *s)
{
	unsigned i;

	for (i = 0; i < s->npages; i++)
		if (c->dom->grants[s->refs[i]].map_count)
			return 1;
	return 0;
}

int ps_op_unshare(struct ps_conn *c, const struct ps_req *r,
		  struct ps_reply *rep)
{
	struct ps_share **link, *s;
	struct ncsp_share_id q;

	(void)rep;
	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	/* Only the connection that made a share revokes it. */
	s = share_find(c, q.share_id, &link);
	if (!s)
		return NC_ENOENT;
	/* G3: a mapped page keeps its grant. */
	if (share_mapped(c, s))
		return NC_EBUSY;
	*link = s->next;
	share_free(c, s);
	return NC_OK;
}

/* ------------------------------------------------------------ mappings */

/* Index of s in shares[*n], adding it; -1 when NCSP_MAX_FDS are used. */
static int share_slot(struct ps_share **shares, unsigned *n,
		      struct ps_share *s)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (shares[i] == s)
			return (int)i;
	if (*n == NCSP_MAX_FDS)
		return -1;
	shares[*n] = s;
	return (int)(*n)++;
}

/* An fd of share s for a grantee: read-only unless `writable` (G2). */
static int grantee_fd(struct ps_share *s, int writable,
		      struct ps_reply *rep)
{
	int fd;

	if (writable && !s->readonly) {
		ps_reply_fd(rep, s->fd, 0);
		return 0;
	}
	fd = ps_reopen_readonly(s->fd);
	if (fd < 0)
		return -1;
	ps_reply_fd(rep, fd, 1);
	return 0;
}

/* Check every ref of a MAP (G1, G2) and describe its pages in the reply;
 * shares[] gets the distinct shares, in fd order. */
static int map_check(struct ps_conn *c, struct ps_domain *granter,
		     const struct ncsp_map *q, const uint32_t *refs,
		     struct ncsp_map_page *pages, struct ps_share **shares,
		     unsigned *nshares)
{
	unsigned i;
	int err, slot;

	for (i = 0; i < q->n; i++) {
		struct ps_grant *g = grant_for(granter, refs[i], c->domid,
					       &err);

		if (!g)
			return err;
		/* G2: a read-only grant is never mapped writable. */
		if (q->writable && g->share->readonly)
			return NC_EPERM;
		slot = share_slot(shares, nshares, g->share);
		if (slot < 0)
			return NC_E2BIG;
		pages[i].fd_index = (uint32_t)slot;
		pages[i].page = g->page;
	}
	return NC_OK;
}

static uint32_t map_id_next(struct ps_conn *c)
{
	struct ps_mapping *m;
	uint32_t id;

	do {
		id = c->next_map_id++;
		if (!id)
			id = c->next_map_id++;
		for (m = c->mappings; m && m->id != id; m = m->next)
			;
	} while (m);
	return id;
}

static int map_record(struct ps_conn *c, struct ps_domain *granter,
		      const struct ncsp_map *q, const uint32_t *refs)
{
	struct ps_mapping *m = malloc(sizeof(*m) + q->n * sizeof(m->pages[0]));
	unsigned i;

	if (!m)
		return -1;
	m->id = map_id_next(c);
	m->granter = granter->id;
	m->n = q->n;
	for (i = 0; i < q->n; i++) {
		struct ps_grant *g = &granter->grants[refs[i]];

		g->map_count++;
		m->pages[i].ref = refs[i];
		m->pages[i].gen = g->gen;
	}
	m->next = c->mappings;
	c->mappings = m;
	c->nmappings++;
	c->mapped_pages += m->n;
	c->dom->mapped_pages += m->n;
	return 0;
}

int ps_op_map(struct ps_conn *c, const struct ps_req *r,
	      struct ps_reply *rep)
{
	struct ps_share *shares[NCSP_MAX_FDS];
	struct ncsp_map_rep *out;
	struct ps_domain *granter;
	uint32_t refs[NCSP_MAX_MAP_PAGES];
	unsigned nshares = 0, i;
	struct ncsp_map q;
	int rc;

	if (r->len < sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	if (q.writable > 1 || q.pad ||
	    (uint64_t)r->len != sizeof(q) + (uint64_t)q.n * sizeof(uint32_t))
		return PS_BAD_MSG;
	if (!q.n || q.n > NCSP_MAX_MAP_PAGES)
		return NC_EINVAL;
	granter = ps_domain(c->srv, q.granter);
	if (!granter)
		return NC_ENOENT;
	/* Limits: mappings and mapped pages per connection. */
	if (c->nmappings >= PS_MAX_MAPS_PER_CONN ||
	    c->mapped_pages + q.n > PS_MAX_MAPPED_PER_CONN)
		return NC_ENOMEM;
	memcpy(refs, r->body + sizeof(q), q.n * sizeof(uint32_t));
	out = ps_reply_body(rep, sizeof(*out));
	rc = map_check(c, granter, &q, refs, ps_reply_body(rep, q.n *
		       sizeof(struct ncsp_map_page)), shares, &nshares);
	for (i = 0; rc == NC_OK && i < nshares; i++)
		if (grantee_fd(shares[i], q.writable, rep) < 0)
			rc = NC_ENOMEM;
	if (rc == NC_OK && map_record(c, granter, &q, refs) < 0)
		rc = NC_ENOMEM;
	if (rc != NC_OK)
		return rc;
	out->map_id = c->mappings->id;
	out->n = q.n;
	out->nfds = nshares;
	return NC_OK;
}

/* Drop m's hold on its grants: a grant freed since (its granter died:
 * the generation differs) is left alone. */
static void mapping_release(struct ps_conn *c, struct ps_mapping *m)
{
	struct ps_domain *granter = ps_domain(c->srv, m->granter);
	unsigned i;

	for (i = 0; i < m->n; i++) {
		struct ps_grant *g = &granter->grants[m->pages[i].ref];

		if (g->share && g->gen == m->pages[i].gen && g->map_count)
			g->map_count--;
	}
	c->nmappings--;
	c->mapped_pages -= m->n;
	c->dom->mapped_pages -= m->n;
	free(m);
}

int ps_op_unmap(struct ps_conn *c, const struct ps_req *r,
		struct ps_reply *rep)
{
	struct ps_mapping **pp, *m;
	struct ncsp_unmap q;

	(void)rep;
	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	/* Only the connection that mapped unmaps. */
	for (pp = &c->mappings; (m = *pp); pp = &m->next)
		if (m->id == q.map_id) {
			*pp = m->next;
			mapping_release(c, m);
			return NC_OK;
		}
	return NC_EINVAL;
}

/* ---------------------------------------------------------- grant copy */

int ps_op_copy_access(struct ps_conn *c, const struct ps_req *r,
		      struct ps_reply *rep)
{
	struct ncsp_copy_access_rep *out;
	struct ncsp_copy_access q;
	struct ps_grant *g;
	int err;

	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	/* G1: the share holds a grant to the caller. */
	g = grant_for(ps_domain(c->srv, q.granter), q.ref, c->domid, &err);
	if (!g)
		return err;
	/* G2: read-only grants give read-only access. */
	if (grantee_fd(g->share, 1, rep) < 0)
		return NC_ENOMEM;
	out = ps_reply_body(rep, sizeof(*out));
	out->share_id = g->share->id;
	out->npages = g->share->npages;
	out->writable = !g->share->readonly;
	return NC_OK;
}

/* ------------------------------------------------------------ lifetime */

void ps_grants_release(struct ps_conn *c)
{
	while (c->mappings) {
		struct ps_mapping *m = c->mappings;

		c->mappings = m->next;
		mapping_release(c, m);
	}
	/* Revoked even if mapped: the mappers keep the memory (the memfd
	 * lives while mapped), as Xen keeps a dying domain's pages. */
	while (c->shares) {
		struct ps_share *s = c->shares;

		c->shares = s->next;
		share_free(c, s);
	}
}

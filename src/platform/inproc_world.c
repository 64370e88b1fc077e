/* inproc_world.c - domains and handles of the in-process platform. */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "inproc_internal.h"

void ip_lock(struct nc_inproc_world *w) { pthread_rwlock_wrlock(&w->lock); }
void ip_lock_shared(struct nc_inproc_world *w)
{
	pthread_rwlock_rdlock(&w->lock);
}
void ip_unlock(struct nc_inproc_world *w) { pthread_rwlock_unlock(&w->lock); }

struct ip_domain *ip_domain_find(struct nc_inproc_world *w, nc_domid_t d)
{
	unsigned i;

	for (i = 0; i < w->ndomains; i++)
		if (w->domains[i].exists && w->domains[i].domid == d)
			return &w->domains[i];
	return NULL;
}

/* Find or create domain d. */
struct ip_domain *ip_domain_get(struct nc_inproc_world *w, nc_domid_t d)
{
	struct ip_domain *dom = ip_domain_find(w, d), *grown;
	unsigned i;

	if (dom)
		return dom;
	for (i = 0; i < w->ndomains; i++)
		if (!w->domains[i].exists)
			break;
	if (i == w->ndomains) {
		/* Handles point at ports by (domid, port), never by address,
		 * so the array may move. */
		grown = realloc(w->domains, (w->ndomains + 1) * sizeof(*grown));
		if (!grown)
			return NULL;
		w->domains = grown;
		w->ndomains++;
	}
	dom = &w->domains[i];
	memset(dom, 0, sizeof(*dom));
	dom->exists = 1;
	dom->domid = d;
	ncs_introduce_domain(w->store, d);
	return dom;
}

struct nc_inproc_world *nc_inproc_world_new(void)
{
	struct nc_inproc_world *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->store = ncs_store_new(NULL);
	if (!w->store) {
		free(w);
		return NULL;
	}
	pthread_rwlock_init(&w->lock, NULL);
	return w;
}

static void handle_free_locked(struct nc_inproc_handle *h)
{
	struct nc_inproc_world *w = h->w;
	struct nc_inproc_handle **pp;
	struct ip_domain *d = ip_domain_find(w, h->domid);

	ip_grants_unmap_all(h);
	ip_events_close_all(h);
	ncs_conn_free(h->conn);
	ip_store_drain(h);
	for (pp = &w->handles; *pp; pp = &(*pp)->next)
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	if (d)
		d->handles--;
	close(h->evfd);
	close(h->store_fd);
	free(h->queue);
	free(h);
}

void nc_inproc_world_free(struct nc_inproc_world *w)
{
	unsigned i;

	if (!w)
		return;
	ip_lock(w);
	while (w->handles)
		handle_free_locked(w->handles);
	for (i = 0; i < w->ndomains; i++)
		if (w->domains[i].exists)
			ip_grants_end_all(w, &w->domains[i]);
	ncs_store_free(w->store);
	free(w->domains);
	ip_unlock(w);
	pthread_rwlock_destroy(&w->lock);
	free(w);
}

struct nc_inproc_handle *nc_inproc_open(struct nc_inproc_world *w,
					nc_domid_t domid,
					struct nc_platform *plat)
{
	struct nc_inproc_handle *h = calloc(1, sizeof(*h));
	struct ip_domain *d;

	if (!h)
		return NULL;
	h->w = w;
	h->domid = domid;
	h->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->store_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->queue = calloc(INPROC_MAX_PORTS, sizeof(*h->queue));
	ip_lock(w);
	d = ip_domain_get(w, domid);
	if (d)
		h->conn = ncs_conn_new(w->store, domid, domid == 0,
				       ip_store_watch_sink, h);
	if (!d || !h->conn || h->evfd < 0 || h->store_fd < 0 || !h->queue) {
		ip_unlock(w);
		if (h->conn)
			ncs_conn_free(h->conn);
		if (h->evfd >= 0)
			close(h->evfd);
		if (h->store_fd >= 0)
			close(h->store_fd);
		free(h->queue);
		free(h);
		return NULL;
	}
	d->handles++;
	h->next = w->handles;
	w->handles = h;
	ip_unlock(w);
	plat->grants.ops = &nc_inproc_grant_ops;
	plat->grants.ctx = h;
	plat->events.ops = &nc_inproc_event_ops;
	plat->events.ctx = h;
	plat->store.ops = &nc_inproc_store_ops;
	plat->store.ctx = h;
	plat->domid = domid;
	return h;
}

void nc_inproc_close(struct nc_inproc_handle *h)
{
	struct nc_inproc_world *w;

	if (!h)
		return;
	w = h->w;
	ip_lock(w);
	handle_free_locked(h);
	ip_unlock(w);
}

void nc_inproc_destroy_domain(struct nc_inproc_world *w, nc_domid_t domid)
{
	struct nc_inproc_handle *h, *next;
	struct ip_domain *d;

	ip_lock(w);
	for (h = w->handles; h; h = next) {
		next = h->next;
		if (h->domid == domid)
			handle_free_locked(h);
	}
	d = ip_domain_find(w, domid);
	if (d) {
		ip_grants_end_all(w, d);
		d->exists = 0;
	}
	ncs_release_domain(w->store, domid);
	ip_unlock(w);
}

void nc_inproc_counts(struct nc_inproc_world *w, nc_domid_t domid,
		      struct nc_inproc_counts *out)
{
	struct nc_inproc_handle *h;
	struct ip_mapping *m;
	struct ip_domain *d;
	unsigned i;

	memset(out, 0, sizeof(*out));
	ip_lock(w);
	d = ip_domain_find(w, domid);
	if (d) {
		out->grants = d->grants_used;
		out->handles = d->handles;
		for (i = 0; i < INPROC_MAX_PORTS; i++)
			if (d->ports[i].state != IP_PORT_FREE)
				out->ports++;
	}
	for (h = w->handles; h; h = h->next)
		if (h->domid == domid)
			for (m = h->mappings; m; m = m->next)
				out->mappings += m->n;
	ip_unlock(w);
}

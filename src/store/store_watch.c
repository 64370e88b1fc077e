/*
 * store_watch.c - watches and the events that fire them.
 *
 * An operation queues events (struct ncs_events) while it changes the
 * tree; ncs_events_fire() then decides, for every event, which watches of
 * which connections see it, copies the (path, token) pairs into a delivery
 * batch, and only then calls the sinks.  A sink may therefore call back
 * into the store, even free a connection: deliveries still due to a freed
 * connection are cancelled.
 *
 * Matching, as C xenstored:
 *   - a change of node P fires watches on P and on every ancestor of P;
 *   - removing P fires those too, and each watch on a node below P that
 *     existed and was removed with it (with that node's path);
 *   - "@introduceDomain" / "@releaseDomain" fire watches on that name only.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* --------------------------------------------------------------- events */

static struct ncs_event *event_push(struct ncs_events *ev, const char *path)
{
	struct ncs_event *e;

	if (ev->n == ev->cap) {
		size_t cap = ev->cap ? ev->cap * 2 : 8;
		struct ncs_event *v = realloc(ev->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		ev->v = v;
		ev->cap = cap;
	}
	e = &ev->v[ev->n];
	memset(e, 0, sizeof(*e));
	e->path = ncs_strdup(path);
	if (!e->path)
		return NULL;
	ev->n++;
	return e;
}

void ncs_event_changed(struct ncs_ctx *ctx, const char *abs,
		       const struct ncs_perms *now, const struct ncs_perms *old)
{
	struct ncs_event *e;

	if (!ctx->events)
		return;                 /* inside a transaction: at commit */
	e = event_push(ctx->events, abs);
	if (!e)
		return;
	e->readers[e->nreaders++] = *now;
	if (old)
		e->readers[e->nreaders++] = *old;
}

void ncs_event_removed(struct ncs_ctx *ctx, const char *abs, int exact,
		       const struct ncs_perms *node,
		       const struct ncs_perms *parent)
{
	struct ncs_event *e;

	if (!ctx->events)
		return;
	e = event_push(ctx->events, abs);
	if (!e)
		return;
	e->exact = exact;
	e->readers[e->nreaders++] = *node;
	e->readers[e->nreaders++] = *parent;
}

void ncs_event_special(struct ncs_events *ev, const char *name)
{
	struct ncs_event *e = event_push(ev, name);

	if (!e)
		return;
	e->exact = 1;
	e->special = 1;
}

void ncs_events_clear(struct ncs_events *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		free(ev->v[i].path);
	free(ev->v);
	memset(ev, 0, sizeof(*ev));
}

/* ------------------------------------------------------------- matching */

static int watch_matches(const struct ncs_watch *w, const struct ncs_event *e)
{
	if (e->exact)
		return strcmp(w->path, e->path) == 0;
	return ncs_path_is_under(e->path, w->path);
}

/* Security invariant: a connection learns of a change only if it may read
 * the node (before or after a permission change), or, for a removed node,
 * the node or its parent.  The special events go to every watcher. */
static int event_visible(const struct ncs_conn *c, const struct ncs_event *e)
{
	unsigned i;

	if (e->special)
		return 1;
	for (i = 0; i < e->nreaders; i++)
		if (ncs_may_read(&c->who, &e->readers[i]))
			return 1;
	return 0;
}

/* The path a watch reports: relative to the home when it was registered
 * relative.  The event lies below the watch, hence below the home. */
static const char *event_path_for(const struct ncs_watch *w, const char *path)
{
	if (!w->rel_prefix)
		return path;
	path += w->rel_prefix;
	return *path == '/' ? path + 1 : path;
}

/* ----------------------------------------------------------- deliveries */

static void batch_add(struct ncs_batch *b, struct ncs_conn *c,
		      const char *path, const char *token)
{
	struct ncs_delivery *d;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 8;
		struct ncs_delivery *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return;         /* dropped, as xenstored on ENOMEM */
		b->v = v;
		b->cap = cap;
	}
	d = &b->v[b->n];
	d->conn = c;
	d->path = ncs_strdup(path);
	d->token = ncs_strdup(token);
	if (!d->path || !d->token) {
		free(d->path);
		free(d->token);
		return;
	}
	b->n++;
}

static void batch_collect(struct ncs_store *s, struct ncs_batch *b,
			  const struct ncs_event *e)
{
	struct ncs_conn *c;
	struct ncs_watch *w;

	for (c = s->conns; c; c = c->next) {
		if (!event_visible(c, e))
			continue;
		for (w = c->watches; w; w = w->next)
			if (watch_matches(w, e))
				batch_add(b, c, event_path_for(w, e->path),
					  w->token);
	}
}

/* Hand every delivery to its sink, then free the batch. */
static void batch_deliver(struct ncs_store *s, struct ncs_batch *b)
{
	size_t i;

	b->outer = s->firing;
	s->firing = b;
	for (i = 0; i < b->n; i++) {
		struct ncs_conn *c = b->v[i].conn;

		if (c && c->sink)
			c->sink(c->arg, b->v[i].path, b->v[i].token);
	}
	s->firing = b->outer;
	for (i = 0; i < b->n; i++) {
		free(b->v[i].path);
		free(b->v[i].token);
	}
	free(b->v);
}

void ncs_events_fire(struct ncs_store *s, struct ncs_events *ev)
{
	struct ncs_batch b = { 0 };
	size_t i;

	for (i = 0; i < ev->n; i++)
		batch_collect(s, &b, &ev->v[i]);
	ncs_events_clear(ev);
	batch_deliver(s, &b);
}

/* -------------------------------------------------------------- watches */

static void watch_free(struct ncs_watch *w)
{
	free(w->path);
	free(w->token);
	free(w);
}

/* The absolute form of a watch path into abs[NCS_PATH_BUF]; *rel_prefix
 * gets the home's length when the path was relative. */
static int watch_path_resolve(const struct ncs_conn *c, const char *path,
			      char *abs, size_t *rel_prefix)
{
	char home[NCS_PATH_BUF];
	int rc;

	*rel_prefix = 0;
	if (!path)
		return NC_EINVAL;
	if (ncs_path_is_special(path)) {
		strcpy(abs, path);
		return NC_OK;
	}
	rc = ncs_path_resolve(c->who.domid, path, abs);
	if (rc)
		return rc;
	if (path[0] != '/') {
		rc = ncs_path_home(c->who.domid, home, sizeof(home));
		*rel_prefix = (size_t)rc;
	}
	return NC_OK;
}

static struct ncs_watch **watch_find(struct ncs_conn *c, const char *abs,
				     const char *token)
{
	struct ncs_watch **pw;

	for (pw = &c->watches; *pw; pw = &(*pw)->next)
		if (strcmp((*pw)->path, abs) == 0 &&
		    strcmp((*pw)->token, token) == 0)
			return pw;
	return NULL;
}

static struct ncs_watch *watch_new(const char *abs, const char *token,
				   size_t rel_prefix)
{
	struct ncs_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->path = ncs_strdup(abs);
	w->token = ncs_strdup(token);
	w->rel_prefix = rel_prefix;
	if (!w->path || !w->token) {
		watch_free(w);
		return NULL;
	}
	return w;
}

static void watch_append(struct ncs_conn *c, struct ncs_watch *w)
{
	struct ncs_watch **pw = &c->watches;

	while (*pw)
		pw = &(*pw)->next;
	*pw = w;
	c->nwatches++;
}

int ncs_watch(struct ncs_conn *c, const char *path, const char *token)
{
	char abs[NCS_PATH_BUF];
	struct ncs_batch b = { 0 };
	struct ncs_watch *w;
	size_t rel;
	int rc;

	if (!c || !token)
		return NC_EINVAL;
	rc = watch_path_resolve(c, path, abs, &rel);
	if (rc)
		return rc;
	/* Limit: an event (path, token, two NULs) fits one xenstore
	 * message. */
	if (strlen(abs) + ncs_strnlen(token, NCS_PAYLOAD_MAX) + 2 > NCS_PAYLOAD_MAX)
		return NC_E2BIG;
	if (watch_find(c, abs, token))
		return NC_EEXIST;
	/* Limit: max_watches per connection (xenstored: ENOSPC). */
	if (c->nwatches >= c->s->limits.max_watches)
		return NC_ENOSPC;
	w = watch_new(abs, token, rel);
	if (!w)
		return NC_ENOMEM;
	watch_append(c, w);
	/* Fire once at once, with the path as the watch reports it. */
	batch_add(&b, c, event_path_for(w, w->path), w->token);
	batch_deliver(c->s, &b);
	return NC_OK;
}

int ncs_unwatch(struct ncs_conn *c, const char *path, const char *token)
{
	char abs[NCS_PATH_BUF];
	struct ncs_watch **pw, *w;
	size_t rel;
	int rc;

	if (!c || !token)
		return NC_EINVAL;
	rc = watch_path_resolve(c, path, abs, &rel);
	if (rc)
		return rc;
	pw = watch_find(c, abs, token);
	if (!pw)
		return NC_ENOENT;
	w = *pw;
	*pw = w->next;
	c->nwatches--;
	watch_free(w);
	return NC_OK;
}

void ncs_watch_drop_conn(struct ncs_conn *c)
{
	struct ncs_batch *b;
	struct ncs_watch *w;
	size_t i;

	while ((w = c->watches)) {
		c->watches = w->next;
		watch_free(w);
	}
	c->nwatches = 0;
	for (b = c->s->firing; b; b = b->outer)
		for (i = 0; i < b->n; i++)
			if (b->v[i].conn == c)
				b->v[i].conn = NULL;
}

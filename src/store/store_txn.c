/*
 * store_txn.c - transactions.
 *
 * The simple, correct scheme: a transaction starts with a private deep copy
 * of the committed tree and works on it, so that it sees the tree as it
 * was at its start plus its own changes.  It records every path it
 * looked at (read, listed, wrote, created, removed, or walked past to find
 * an ancestor) with the generation that path had in its copy before it
 * touched it (NCS_NO_GEN for "no node"), and logs its successful changes.
 *
 * Commit: if any recorded path now has another generation in the
 * committed tree, someone else changed it: NC_EAGAIN, nothing applied.
 * Otherwise the log is replayed on a copy of the committed tree, which
 * replaces it only if every change succeeded (so commit is atomic even
 * when the node limit or memory runs out), and the events are fired.
 * Since every node the log depends on is unchanged, the replay has the
 * outcome the transaction saw.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

struct ncs_access {
	struct ncs_access *next;
	uint64_t gen;          /* at the transaction's start; or NCS_NO_GEN */
	char path[];
};

struct ncs_log {
	struct ncs_log *next;
	struct ncs_change ch;  /* ch.val points into this entry */
	char path[];
};

struct ncs_txn {
	struct ncs_txn *next;         /* in conn->txns */
	nc_txn_t id;
	struct ncs_tree tree;         /* snapshot plus own changes */
	struct ncs_access **buckets;  /* accessed paths, hashed */
	size_t nbuckets, naccessed;
	struct ncs_log *log, **log_tail;
	int failed;                   /* lost track (OOM): commit fails */
};

/* ------------------------------------------------------- accessed paths */

static size_t path_hash(const char *p)
{
	size_t h = 2166136261u;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static int access_grow(struct ncs_txn *t)
{
	size_t nb = t->nbuckets ? t->nbuckets * 2 : 64, i;
	struct ncs_access **v = calloc(nb, sizeof(*v));

	if (!v)
		return NC_ENOMEM;
	for (i = 0; i < t->nbuckets; i++) {
		struct ncs_access *a = t->buckets[i], *next;

		for (; a; a = next) {
			size_t h = path_hash(a->path) % nb;

			next = a->next;
			a->next = v[h];
			v[h] = a;
		}
	}
	free(t->buckets);
	t->buckets = v;
	t->nbuckets = nb;
	return NC_OK;
}

static struct ncs_access *access_find(const struct ncs_txn *t, const char *abs)
{
	struct ncs_access *a;

	if (!t->nbuckets)
		return NULL;
	for (a = t->buckets[path_hash(abs) % t->nbuckets]; a; a = a->next)
		if (strcmp(a->path, abs) == 0)
			return a;
	return NULL;
}

void ncs_txn_note(struct ncs_ctx *ctx, const char *abs,
		  const struct ncs_node *n)
{
	struct ncs_txn *t = ctx->txn;
	struct ncs_access *a;
	size_t len, h;

	if (!t || access_find(t, abs))
		return;                 /* the first access is the one */
	if (t->naccessed >= t->nbuckets && access_grow(t) != NC_OK) {
		t->failed = 1;
		return;
	}
	len = strlen(abs);
	a = malloc(sizeof(*a) + len + 1);
	if (!a) {
		t->failed = 1;
		return;
	}
	a->gen = n ? n->gen : NCS_NO_GEN;
	memcpy(a->path, abs, len + 1);
	h = path_hash(abs) % t->nbuckets;
	a->next = t->buckets[h];
	t->buckets[h] = a;
	t->naccessed++;
}

/* 1 when some recorded path changed in the committed tree. */
static int txn_conflicts(const struct ncs_store *s, const struct ncs_txn *t)
{
	const struct ncs_access *a;
	const struct ncs_node *n;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (a = t->buckets[i]; a; a = a->next) {
			n = ncs_tree_lookup(&s->tree, a->path);
			if ((n ? n->gen : NCS_NO_GEN) != a->gen)
				return 1;
		}
	return 0;
}

/* ------------------------------------------------------------------ log */

static struct ncs_log *log_entry_new(const char *abs,
				     const struct ncs_change *ch)
{
	size_t plen = strlen(abs);
	size_t vlen = ch->kind == NCS_CHANGE_WRITE ? ch->len : 0;
	struct ncs_log *e = malloc(sizeof(*e) + plen + 1 + vlen);

	if (!e)
		return NULL;
	e->next = NULL;
	e->ch = *ch;
	memcpy(e->path, abs, plen + 1);
	e->ch.val = NULL;
	if (vlen) {
		memcpy(e->path + plen + 1, ch->val, vlen);
		e->ch.val = e->path + plen + 1;
	}
	return e;
}

/* ------------------------------------------------------------ lifecycle */

struct ncs_tree *ncs_txn_tree(struct ncs_txn *t)
{
	return &t->tree;
}

static void txn_free(struct ncs_txn *t)
{
	struct ncs_access *a, *an;
	struct ncs_log *e, *en;
	size_t i;

	for (i = 0; i < t->nbuckets; i++)
		for (a = t->buckets[i]; a; a = an) {
			an = a->next;
			free(a);
		}
	free(t->buckets);
	for (e = t->log; e; e = en) {
		en = e->next;
		free(e);
	}
	ncs_tree_free(&t->tree);
	free(t);
}

struct ncs_txn *ncs_txn_find(struct ncs_conn *c, nc_txn_t id)
{
	struct ncs_txn *t;

	for (t = c->txns; t; t = t->next)
		if (t->id == id)
			return t;
	return NULL;
}

int ncs_txn_id_in_use(const struct ncs_store *s, nc_txn_t id)
{
	const struct ncs_conn *c;
	const struct ncs_txn *t;

	for (c = s->conns; c; c = c->next)
		for (t = c->txns; t; t = t->next)
			if (t->id == id)
				return 1;
	return 0;
}

/* Ids are never 0 and never that of an open transaction; the open ones
 * are few (limits), so the search ends quickly even after wrapping. */
static nc_txn_t txn_next_id(struct ncs_store *s)
{
	do {
		s->last_txn++;
	} while (s->last_txn == NC_TXN_NONE ||
		 ncs_txn_id_in_use(s, s->last_txn));
	return s->last_txn;
}

int ncs_txn_start(struct ncs_conn *c, nc_txn_t *id)
{
	struct ncs_txn *t;

	if (!c || !id)
		return NC_EINVAL;
	/* Limit: open transactions per connection (xenstored: ENOSPC);
	 * each one holds a copy of the tree. */
	if (c->ntxns >= c->s->limits.max_transactions)
		return NC_ENOSPC;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NC_ENOMEM;
	if (ncs_tree_copy(&t->tree, &c->s->tree) != NC_OK) {
		free(t);
		return NC_ENOMEM;
	}
	t->log_tail = &t->log;
	t->id = txn_next_id(c->s);
	t->next = c->txns;
	c->txns = t;
	c->ntxns++;
	*id = t->id;
	return NC_OK;
}

int ncs_txn_change(struct ncs_conn *c, struct ncs_txn *t, const char *abs,
		   const struct ncs_change *ch)
{
	struct ncs_ctx ctx = { c->s, &t->tree, c->who, t, NULL };
	struct ncs_log *e = log_entry_new(abs, ch);
	int rc;

	if (!e)
		return NC_ENOMEM;
	rc = ncs_tree_apply(&ctx, abs, ch);
	if (rc) {
		free(e);
		return rc;
	}
	*t->log_tail = e;
	t->log_tail = &e->next;
	return NC_OK;
}

static int txn_commit(struct ncs_conn *c, struct ncs_txn *t)
{
	struct ncs_store *s = c->s;
	struct ncs_events ev = { 0 };
	struct ncs_tree work;
	struct ncs_ctx ctx = { s, &work, c->who, NULL, &ev };
	struct ncs_log *e;
	int rc = NC_OK;

	if (t->failed)
		return NC_ENOMEM;
	if (txn_conflicts(s, t))
		return NC_EAGAIN;
	if (!t->log)
		return NC_OK;
	if (ncs_tree_copy(&work, &s->tree) != NC_OK)
		return NC_ENOMEM;
	for (e = t->log; e && rc == NC_OK; e = e->next)
		rc = ncs_tree_apply(&ctx, e->path, &e->ch);
	if (rc != NC_OK) {
		ncs_tree_free(&work);
		ncs_events_clear(&ev);
		return rc;
	}
	ncs_tree_free(&s->tree);
	s->tree = work;
	ncs_events_fire(s, &ev);
	return NC_OK;
}

static void txn_unlink(struct ncs_conn *c, struct ncs_txn *t)
{
	struct ncs_txn **pt;

	for (pt = &c->txns; *pt; pt = &(*pt)->next)
		if (*pt == t) {
			*pt = t->next;
			c->ntxns--;
			return;
		}
}

int ncs_txn_end(struct ncs_conn *c, nc_txn_t id, int commit)
{
	struct ncs_txn *t;
	int rc = NC_OK;

	if (!c)
		return NC_EINVAL;
	t = id == NC_TXN_NONE ? NULL : ncs_txn_find(c, id);
	if (!t)
		return NC_ENOENT;
	/* Unlinked first: a sink called at commit may free c. */
	txn_unlink(c, t);
	if (commit)
		rc = txn_commit(c, t);
	txn_free(t);
	return rc;
}

void ncs_txn_abort_all(struct ncs_conn *c)
{
	struct ncs_txn *t;

	while ((t = c->txns)) {
		c->txns = t->next;
		txn_free(t);
	}
	c->ntxns = 0;
}

/*
 * store.c - the store and its connections, and the public node
 * operations: each resolves its path, picks the tree (committed, or the
 * transaction's) and hands over to store_tree.c / store_txn.c.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* --------------------------------------------------------------- store */

static unsigned limit_or(unsigned v, unsigned dflt)
{
	return v ? v : dflt;
}

/* A zero field of `limits` takes its default too. */
struct ncs_store *ncs_store_new(const struct ncs_limits *limits)
{
	struct ncs_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (limits)
		s->limits = *limits;
	s->limits.max_nodes = limit_or(s->limits.max_nodes,
				       NCS_DEFAULT_MAX_NODES);
	s->limits.max_watches = limit_or(s->limits.max_watches,
					 NCS_DEFAULT_MAX_WATCHES);
	s->limits.max_transactions = limit_or(s->limits.max_transactions,
					      NCS_DEFAULT_MAX_TRANSACTIONS);
	if (ncs_tree_init(&s->tree, s) != NC_OK) {
		free(s);
		return NULL;
	}
	return s;
}

/* Frees the connections still open too: none may be used afterwards. */
void ncs_store_free(struct ncs_store *s)
{
	if (!s)
		return;
	while (s->conns)
		ncs_conn_free(s->conns);
	ncs_tree_free(&s->tree);
	free(s->scratch);
	free(s);
}

char *ncs_scratch(struct ncs_store *s, size_t len)
{
	char *p;

	if (len <= s->scratch_cap)
		return s->scratch;
	p = realloc(s->scratch, len);
	if (!p)
		return NULL;
	s->scratch = p;
	s->scratch_cap = len;
	return p;
}

uint64_t ncs_next_gen(struct ncs_store *s)
{
	return ++s->gen;
}

char *ncs_strdup(const char *str)
{
	size_t len = strlen(str) + 1;
	char *p = malloc(len);

	if (p)
		memcpy(p, str, len);
	return p;
}

size_t ncs_strnlen(const char *str, size_t max)
{
	size_t n = 0;

	while (n < max && str[n])
		n++;
	return n;
}

/* --------------------------------------------------------- connections */

struct ncs_conn *ncs_conn_new(struct ncs_store *s, nc_domid_t domid,
			      int privileged, ncs_watch_sink sink, void *arg)
{
	struct ncs_conn *c, **pc;

	if (!s)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->s = s;
	c->who.domid = domid;
	c->who.privileged = privileged != 0;
	c->sink = sink;
	c->arg = arg;
	for (pc = &s->conns; *pc; pc = &(*pc)->next)
		;
	*pc = c;        /* events reach connections in creation order */
	return c;
}

void ncs_conn_free(struct ncs_conn *c)
{
	struct ncs_conn **pc;

	if (!c)
		return;
	ncs_txn_abort_all(c);
	ncs_watch_drop_conn(c);
	for (pc = &c->s->conns; *pc; pc = &(*pc)->next)
		if (*pc == c) {
			*pc = c->next;
			break;
		}
	free(c);
}

nc_domid_t ncs_conn_domid(const struct ncs_conn *c)
{
	return c->who.domid;
}

/* ------------------------------------------------------ node operations */

/* Resolve path and set ctx up for a look-up by c, in transaction t or
 * outside. */
static int lookup_ctx(struct ncs_conn *c, nc_txn_t t, const char *path,
		      char *abs, struct ncs_ctx *ctx)
{
	struct ncs_txn *txn = NULL;
	int rc;

	if (!c)
		return NC_EINVAL;
	rc = ncs_path_resolve(c->who.domid, path, abs);
	if (rc)
		return rc;
	if (t != NC_TXN_NONE) {
		txn = ncs_txn_find(c, t);
		if (!txn)
			return NC_ENOENT;
	}
	ctx->s = c->s;
	ctx->tree = txn ? ncs_txn_tree(txn) : &c->s->tree;
	ctx->who = c->who;
	ctx->txn = txn;
	ctx->events = NULL;
	return NC_OK;
}

static struct ncs_node *get_readable(struct ncs_conn *c, nc_txn_t t,
				     const char *path, int *err)
{
	char abs[NCS_PATH_BUF];
	struct ncs_ctx ctx;

	*err = lookup_ctx(c, t, path, abs, &ctx);
	if (*err)
		return NULL;
	return ncs_tree_get(&ctx, abs, NC_PERM_READ, err);
}

int ncs_read(struct ncs_conn *c, nc_txn_t t, const char *path,
	     const char **val, size_t *len)
{
	struct ncs_node *n;
	char *buf;
	int err;

	if (!val || !len)
		return NC_EINVAL;
	n = get_readable(c, t, path, &err);
	if (!n)
		return err;
	buf = ncs_scratch(c->s, n->len + 1);
	if (!buf)
		return NC_ENOMEM;
	if (n->len)
		memcpy(buf, n->value, n->len);
	buf[n->len] = '\0';
	*val = buf;
	*len = n->len;
	return NC_OK;
}

int ncs_directory(struct ncs_conn *c, nc_txn_t t, const char *path,
		  const char **names, size_t *len)
{
	struct ncs_node *n;
	size_t total = 0, off = 0, l;
	unsigned i;
	char *buf;
	int err;

	if (!names || !len)
		return NC_EINVAL;
	n = get_readable(c, t, path, &err);
	if (!n)
		return err;
	for (i = 0; i < n->nchildren; i++)
		total += strlen(n->children[i]->name) + 1;
	buf = ncs_scratch(c->s, total + 1);
	if (!buf)
		return NC_ENOMEM;
	for (i = 0; i < n->nchildren; i++) {
		l = strlen(n->children[i]->name) + 1;
		memcpy(buf + off, n->children[i]->name, l);
		off += l;
	}
	buf[total] = '\0';
	*names = buf;
	*len = total;
	return NC_OK;
}

int ncs_get_perms(struct ncs_conn *c, nc_txn_t t, const char *path,
		  struct nc_store_perm *perms, unsigned max)
{
	struct ncs_node *n;
	int err;

	n = get_readable(c, t, path, &err);
	if (!n)
		return err;
	if (!perms || max < n->perms.n)
		return NC_ENOSPC;
	memcpy(perms, n->perms.p, n->perms.n * sizeof(*perms));
	return (int)n->perms.n;
}

/* Apply a change by c at path, in transaction t or directly (firing the
 * watches once the tree is consistent again). */
static int change(struct ncs_conn *c, nc_txn_t t, const char *path,
		  const struct ncs_change *ch)
{
	char abs[NCS_PATH_BUF];
	struct ncs_events ev = { 0 };
	struct ncs_ctx ctx;
	int rc;

	rc = lookup_ctx(c, t, path, abs, &ctx);
	if (rc)
		return rc;
	if (ctx.txn)
		return ncs_txn_change(c, ctx.txn, abs, ch);
	ctx.events = &ev;
	rc = ncs_tree_apply(&ctx, abs, ch);
	ncs_events_fire(c->s, &ev);
	return rc;
}

int ncs_write(struct ncs_conn *c, nc_txn_t t, const char *path,
	      const void *val, size_t len)
{
	struct ncs_change ch = { .kind = NCS_CHANGE_WRITE, .val = val,
				 .len = len };

	/* Limit: checked before anything else, as xenstored refuses an
	 * oversized message outright. */
	if (len > NC_STORE_MAX_VALUE)
		return NC_E2BIG;
	if (len && !val)
		return NC_EINVAL;
	return change(c, t, path, &ch);
}

int ncs_mkdir(struct ncs_conn *c, nc_txn_t t, const char *path)
{
	struct ncs_change ch = { .kind = NCS_CHANGE_MKDIR };

	return change(c, t, path, &ch);
}

int ncs_rm(struct ncs_conn *c, nc_txn_t t, const char *path)
{
	struct ncs_change ch = { .kind = NCS_CHANGE_RM };

	return change(c, t, path, &ch);
}

int ncs_set_perms(struct ncs_conn *c, nc_txn_t t, const char *path,
		  const struct nc_store_perm *perms, unsigned n)
{
	struct ncs_change ch = { .kind = NCS_CHANGE_SET_PERMS };
	int rc = ncs_perms_from_user(&ch.perms, perms, n);

	return rc ? rc : change(c, t, path, &ch);
}

/* ----------------------------------------------------------- accounting */

unsigned ncs_node_count(const struct ncs_store *s)
{
	return s->tree.count;
}

unsigned ncs_watch_count(const struct ncs_store *s)
{
	const struct ncs_conn *c;
	unsigned n = 0;

	for (c = s->conns; c; c = c->next)
		n += c->nwatches;
	return n;
}

unsigned ncs_txn_count(const struct ncs_store *s)
{
	const struct ncs_conn *c;
	unsigned n = 0;

	for (c = s->conns; c; c = c->next)
		n += c->ntxns;
	return n;
}

/*
 * store_tree.c - nodes, values, permissions inheritance, creation and
 * removal, as xenstored does them.
 *
 * Each operation works on ctx->tree.  Before it reads or changes a node it
 * tells the transaction layer (ncs_txn_note), and once it changed the tree
 * it queues the watch events (ncs_event_*).  A change either happens
 * entirely or not at all: everything that can fail is allocated before the
 * tree is touched.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store_internal.h"

/* ---------------------------------------------------------------- nodes */

static struct ncs_node *node_new(const char *name, size_t name_len,
				 const struct ncs_perms *perms)
{
	struct ncs_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = malloc(name_len + 1);
	if (!n->name) {
		free(n);
		return NULL;
	}
	memcpy(n->name, name, name_len);
	n->name[name_len] = '\0';
	n->perms = *perms;
	return n;
}

/* Free n and everything below it; returns how many nodes went. */
static unsigned node_free(struct ncs_node *n)
{
	unsigned i, freed = 1;

	if (!n)
		return 0;
	for (i = 0; i < n->nchildren; i++)
		freed += node_free(n->children[i]);
	free(n->children);
	free(n->value);
	free(n->name);
	free(n);
	return freed;
}

static struct ncs_node *node_child(const struct ncs_node *n, const char *name,
				   size_t len)
{
	unsigned i;

	for (i = 0; i < n->nchildren; i++) {
		const char *cn = n->children[i]->name;

		if (strncmp(cn, name, len) == 0 && cn[len] == '\0')
			return n->children[i];
	}
	return NULL;
}

static int node_add_child(struct ncs_node *parent, struct ncs_node *child)
{
	if (parent->nchildren == parent->cap) {
		unsigned cap = parent->cap ? parent->cap * 2 : 4;
		struct ncs_node **v;

		v = realloc(parent->children, cap * sizeof(*v));
		if (!v)
			return NC_ENOMEM;
		parent->children = v;
		parent->cap = cap;
	}
	parent->children[parent->nchildren++] = child;
	child->parent = parent;
	return NC_OK;
}

static void node_unlink(struct ncs_node *child)
{
	struct ncs_node *p = child->parent;
	unsigned i;

	for (i = 0; i < p->nchildren; i++) {
		if (p->children[i] != child)
			continue;
		memmove(&p->children[i], &p->children[i + 1],
			(p->nchildren - i - 1) * sizeof(p->children[0]));
		p->nchildren--;
		break;
	}
	child->parent = NULL;
}

static struct ncs_node *node_copy(const struct ncs_node *src)
{
	struct ncs_node *n = node_new(src->name, strlen(src->name),
				      &src->perms);
	unsigned i;

	if (!n)
		return NULL;
	n->gen = src->gen;
	if (src->len) {
		n->value = malloc(src->len);
		if (!n->value)
			goto fail;
		memcpy(n->value, src->value, src->len);
		n->len = src->len;
	}
	for (i = 0; i < src->nchildren; i++) {
		struct ncs_node *c = node_copy(src->children[i]);

		if (!c || node_add_child(n, c) != NC_OK) {
			node_free(c);
			goto fail;
		}
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

void ncs_node_path(const struct ncs_node *n, char *buf)
{
	const struct ncs_node *i;
	size_t len = 0, clen;

	if (!n->parent) {
		strcpy(buf, "/");
		return;
	}
	for (i = n; i->parent; i = i->parent)
		len += 1 + strlen(i->name);
	buf[len] = '\0';
	for (i = n; i->parent; i = i->parent) {
		clen = strlen(i->name);
		len -= clen;
		memcpy(buf + len, i->name, clen);
		buf[--len] = '/';
	}
}

/* ----------------------------------------------------------------- tree */

static int add_base_node(struct ncs_tree *t, struct ncs_node *parent,
			 const char *name, uint64_t gen, struct ncs_node **out)
{
	static const struct ncs_perms dom0_only = { 1, { { 0, NC_PERM_NONE } } };
	struct ncs_node *n = node_new(name, strlen(name), &dom0_only);

	if (!n)
		return NC_ENOMEM;
	n->gen = gen;
	if (parent && node_add_child(parent, n) != NC_OK) {
		node_free(n);
		return NC_ENOMEM;
	}
	t->count++;
	*out = n;
	return NC_OK;
}

int ncs_tree_init(struct ncs_tree *t, struct ncs_store *s)
{
	struct ncs_node *local, *dom, *tool;
	uint64_t gen = ncs_next_gen(s);

	memset(t, 0, sizeof(*t));
	if (add_base_node(t, NULL, "", gen, &t->root) != NC_OK ||
	    add_base_node(t, t->root, "local", gen, &local) != NC_OK ||
	    add_base_node(t, local, "domain", gen, &dom) != NC_OK ||
	    add_base_node(t, t->root, "tool", gen, &tool) != NC_OK) {
		ncs_tree_free(t);
		return NC_ENOMEM;
	}
	return NC_OK;
}

void ncs_tree_free(struct ncs_tree *t)
{
	node_free(t->root);
	t->root = NULL;
	t->count = 0;
}

int ncs_tree_copy(struct ncs_tree *dst, const struct ncs_tree *src)
{
	dst->root = node_copy(src->root);
	dst->count = dst->root ? src->count : 0;
	return dst->root ? NC_OK : NC_ENOMEM;
}

struct ncs_node *ncs_tree_lookup(const struct ncs_tree *t, const char *abs)
{
	struct ncs_node *n = t->root;
	const char *p = abs + 1;

	while (n && *p) {
		size_t len = strcspn(p, "/");

		n = node_child(n, p, len);
		p += len;
		if (*p == '/')
			p++;
	}
	return n;
}

/* The deepest existing ancestor of abs (which does not exist); its path
 * is left in buf.  "/" always exists, so this never fails. */
static struct ncs_node *nearest_ancestor(struct ncs_ctx *ctx, const char *abs,
					 char *buf)
{
	struct ncs_node *n;

	strcpy(buf, abs);
	do {
		buf[ncs_path_parent_len(buf)] = '\0';
		n = ncs_tree_lookup(ctx->tree, buf);
		ncs_txn_note(ctx, buf, n);
	} while (!n);
	return n;
}

/* Security invariant: as xenstored's get_node(), a caller lacking `want`
 * learns nothing about the node: EACCES when the node exists, and for an
 * absent node ENOENT only if the nearest existing ancestor grants some of
 * `want` (so a new node needs WRITE on that ancestor), else EACCES. */
struct ncs_node *ncs_tree_get(struct ncs_ctx *ctx, const char *abs,
			      unsigned want, int *err)
{
	char buf[NCS_PATH_BUF];
	struct ncs_node *n = ncs_tree_lookup(ctx->tree, abs);

	ncs_txn_note(ctx, abs, n);
	if (n) {
		if ((ncs_perm_for(&ctx->who, &n->perms) & want) == want)
			return n;
		*err = NC_EACCES;
		return NULL;
	}
	n = nearest_ancestor(ctx, abs, buf);
	*err = (ncs_perm_for(&ctx->who, &n->perms) & want) ? NC_ENOENT
							   : NC_EACCES;
	return NULL;
}

/* ------------------------------------------------------------- creation */

/* The list a new child of `parent` gets: the parent's, except that an
 * unprivileged creator becomes the owner (xenstored construct_node()). */
static void inherit_perms(const struct ncs_ctx *ctx,
			  const struct ncs_node *parent, struct ncs_perms *out)
{
	*out = parent->perms;
	if (!ctx->who.privileged)
		out->p[0].domid = ctx->who.domid;
}

/* Build, detached, the chain of nodes abs needs below `anc` (whose path
 * is anc_len bytes of abs).  *last gets the deepest one. */
static struct ncs_node *build_chain(struct ncs_ctx *ctx, struct ncs_node *anc,
				    const char *abs, size_t anc_len,
				    unsigned *count, struct ncs_node **last)
{
	char prefix[NCS_PATH_BUF];
	struct ncs_perms perms;
	struct ncs_node *first = NULL, *parent = NULL;
	const char *p = abs + anc_len + (anc_len > 1);

	inherit_perms(ctx, anc, &perms);
	*count = 0;
	while (*p) {
		size_t len = strcspn(p, "/");
		struct ncs_node *n = node_new(p, len, &perms);

		if (!n || (parent && node_add_child(parent, n) != NC_OK)) {
			node_free(n);
			node_free(first);
			return NULL;
		}
		memcpy(prefix, abs, (size_t)(p - abs) + len);
		prefix[(p - abs) + len] = '\0';
		ncs_txn_note(ctx, prefix, NULL);
		if (!first)
			first = n;
		parent = n;
		(*count)++;
		p += len;
		if (*p == '/')
			p++;
	}
	*last = parent;
	return first;
}

/* Create abs and its missing parents; *out gets the node.  Limit: the
 * tree never grows beyond max_nodes. */
static int create_node(struct ncs_ctx *ctx, const char *abs,
		       struct ncs_node **out)
{
	char anc_path[NCS_PATH_BUF];
	struct ncs_node *anc = nearest_ancestor(ctx, abs, anc_path);
	struct ncs_node *first, *last;
	unsigned count;
	uint64_t gen;

	first = build_chain(ctx, anc, abs, strlen(anc_path), &count, &last);
	if (!first)
		return NC_ENOMEM;
	if (ctx->tree->count + count > ctx->s->limits.max_nodes) {
		node_free(first);
		return NC_ENOSPC;
	}
	if (node_add_child(anc, first) != NC_OK) {
		node_free(first);
		return NC_ENOMEM;
	}
	*out = last;
	gen = ncs_next_gen(ctx->s);
	anc->gen = gen;
	for (; last != anc; last = last->parent)
		last->gen = gen;
	ctx->tree->count += count;
	return NC_OK;
}

/* --------------------------------------------------------------- change */

static int op_write(struct ncs_ctx *ctx, const char *abs, const void *val,
		    size_t len)
{
	struct ncs_node *n;
	unsigned char *copy = NULL;
	int err;

	/* Limit: values are at most NC_STORE_MAX_VALUE bytes. */
	if (len > NC_STORE_MAX_VALUE || (len && !val))
		return len > NC_STORE_MAX_VALUE ? NC_E2BIG : NC_EINVAL;
	if (len) {
		copy = malloc(len);
		if (!copy)
			return NC_ENOMEM;
		memcpy(copy, val, len);
	}
	n = ncs_tree_get(ctx, abs, NC_PERM_WRITE, &err);
	if (!n && err == NC_ENOENT)
		err = create_node(ctx, abs, &n);
	if (!n) {
		free(copy);
		return err;
	}
	free(n->value);
	n->value = copy;
	n->len = len;
	n->gen = ncs_next_gen(ctx->s);
	ncs_event_changed(ctx, abs, &n->perms, NULL);
	return NC_OK;
}

static int op_mkdir(struct ncs_ctx *ctx, const char *abs)
{
	struct ncs_node *n;
	int err;

	n = ncs_tree_get(ctx, abs, NC_PERM_WRITE, &err);
	if (n)
		return NC_OK;           /* exists: fine, and no event */
	if (err != NC_ENOENT)
		return err;
	err = create_node(ctx, abs, &n);
	if (err)
		return err;
	ncs_event_changed(ctx, abs, &n->perms, NULL);
	return NC_OK;
}

/* Note every node below n for the transaction and queue the event of each
 * one (deepest first, as xenstored's delete_node()).  path holds n's path
 * and is restored on return.  Returns the nodes below n. */
static unsigned note_removed_below(struct ncs_ctx *ctx,
				   const struct ncs_node *n, char *path)
{
	size_t len = strlen(path);
	unsigned i, count = 0;

	for (i = 0; i < n->nchildren; i++) {
		const struct ncs_node *c = n->children[i];

		path[len] = '/';
		strcpy(path + len + 1, c->name);
		count += 1 + note_removed_below(ctx, c, path);
		ncs_txn_note(ctx, path, c);
		ncs_event_removed(ctx, path, 1, &c->perms, &n->perms);
		path[len] = '\0';
	}
	return count;
}

void ncs_tree_remove(struct ncs_ctx *ctx, struct ncs_node *n)
{
	char path[NCS_PATH_BUF], parent_path[NCS_PATH_BUF];
	struct ncs_node *parent = n->parent;
	unsigned count;

	ncs_node_path(n, path);
	ncs_node_path(parent, parent_path);
	ncs_txn_note(ctx, parent_path, parent);  /* its children change */
	ncs_txn_note(ctx, path, n);
	ncs_event_removed(ctx, path, 0, &n->perms, &parent->perms);
	count = 1 + note_removed_below(ctx, n, path);
	node_unlink(n);
	node_free(n);
	parent->gen = ncs_next_gen(ctx->s);
	ctx->tree->count -= count;
}

static int op_rm(struct ncs_ctx *ctx, const char *abs)
{
	char parent[NCS_PATH_BUF];
	struct ncs_node *n;
	int err;

	n = ncs_tree_get(ctx, abs, NC_PERM_WRITE, &err);
	if (!n) {
		if (err != NC_ENOENT)
			return err;
		/* Absent is fine if the parent exists (xenstored do_rm). */
		memcpy(parent, abs, ncs_path_parent_len(abs));
		parent[ncs_path_parent_len(abs)] = '\0';
		n = ncs_tree_lookup(ctx->tree, parent);
		ncs_txn_note(ctx, parent, n);
		return n ? NC_OK : NC_ENOENT;
	}
	if (!n->parent)
		return NC_EINVAL;       /* never "/" */
	ncs_tree_remove(ctx, n);
	return NC_OK;
}

static int op_set_perms(struct ncs_ctx *ctx, const char *abs,
			const struct ncs_perms *perms)
{
	struct ncs_perms old;
	struct ncs_node *n;
	int err;

	/* Security invariant: only the owner (or a privileged caller) may
	 * change a list, and an unprivileged owner may not give the node
	 * away to another domain (xenstored do_set_perms()). */
	n = ncs_tree_get(ctx, abs, NC_PERM_WRITE | NCS_PERM_OWNER, &err);
	if (!n)
		return err;
	if (!ctx->who.privileged && perms->p[0].domid != n->perms.p[0].domid)
		return NC_EPERM;
	old = n->perms;
	n->perms = *perms;
	n->gen = ncs_next_gen(ctx->s);
	ncs_event_changed(ctx, abs, &n->perms, &old);
	return NC_OK;
}

int ncs_tree_apply(struct ncs_ctx *ctx, const char *abs,
		   const struct ncs_change *ch)
{
	switch (ch->kind) {
	case NCS_CHANGE_WRITE:
		return op_write(ctx, abs, ch->val, ch->len);
	case NCS_CHANGE_MKDIR:
		return op_mkdir(ctx, abs);
	case NCS_CHANGE_RM:
		return op_rm(ctx, abs);
	case NCS_CHANGE_SET_PERMS:
		return op_set_perms(ctx, abs, &ch->perms);
	}
	return NC_EINVAL;
}

/*
 * store_domain.c - the toolstack's view of domains: their home paths and
 * the @introduceDomain / @releaseDomain events.
 */
#include "store/store_internal.h"

int ncs_get_domain_path(nc_domid_t domid, char *buf, size_t len)
{
	int n = ncs_path_home(domid, buf, len);

	return n < 0 ? n : NC_OK;
}

void ncs_introduce_domain(struct ncs_store *s, nc_domid_t domid)
{
	struct ncs_events ev = { 0 };

	(void)domid;    /* the event carries no domain, as in xenstored */
	if (!s)
		return;
	ncs_event_special(&ev, "@introduceDomain");
	ncs_events_fire(s, &ev);
}

/* Remove, below n, every node domid owns, with its subtree. */
static void remove_owned_below(struct ncs_ctx *ctx, struct ncs_node *n,
			       nc_domid_t domid)
{
	unsigned i = 0;

	while (i < n->nchildren) {
		struct ncs_node *child = n->children[i];

		if (child->perms.p[0].domid == domid) {
			ncs_tree_remove(ctx, child);  /* i is now the next */
			continue;
		}
		remove_owned_below(ctx, child, domid);
		i++;
	}
}

/* The nodes go first, then @releaseDomain fires: a watcher woken by it
 * finds the dead domain's nodes already gone.  Domain 0 owns the base
 * structure ("/local", ...) and never dies: only the event fires. */
void ncs_release_domain(struct ncs_store *s, nc_domid_t domid)
{
	struct ncs_events ev = { 0 };
	struct ncs_ctx ctx = { s, NULL, { 0, 1 }, NULL, &ev };

	if (!s)
		return;
	ctx.tree = &s->tree;
	if (domid != 0)
		remove_owned_below(&ctx, s->tree.root, domid);
	ncs_event_special(&ev, "@releaseDomain");
	ncs_events_fire(s, &ev);
}

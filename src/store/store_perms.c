/*
 * store_perms.c - xenstored's permission model.
 *
 * Entry 0 of a node's list names its owner and the permission of every
 * domain not listed; entries 1.. name one domain each.  The owner and a
 * privileged connection hold everything, including "owner" (the right to
 * change the list).  This file only answers "what may `who` do here";
 * the tree code decides where to ask.
 */
#include <string.h>

#include "store/store_internal.h"

#define NCS_PERM_ALL (NC_PERM_READ | NC_PERM_WRITE | NCS_PERM_OWNER)

/* Security invariant: this is the single place that turns a permission
 * list into rights.  An unprivileged domain gets exactly its own entry, or
 * the default of entry 0; never "owner" unless it is entry 0's domain. */
unsigned ncs_perm_for(const struct ncs_who *who, const struct ncs_perms *perms)
{
	unsigned i;

	if (who->privileged || perms->p[0].domid == who->domid)
		return NCS_PERM_ALL;
	for (i = 1; i < perms->n; i++)
		if (perms->p[i].domid == who->domid)
			return perms->p[i].perm & NC_PERM_BOTH;
	return perms->p[0].perm & NC_PERM_BOTH;
}

int ncs_may_read(const struct ncs_who *who, const struct ncs_perms *perms)
{
	return (ncs_perm_for(who, perms) & NC_PERM_READ) != 0;
}

/* Limit: a list has 1..NC_STORE_MAX_PERMS entries, each NONE, READ,
 * WRITE or BOTH; anything else is refused before it reaches a node. */
int ncs_perms_from_user(struct ncs_perms *out,
			const struct nc_store_perm *p, unsigned n)
{
	unsigned i;

	if (!p || n == 0 || n > NC_STORE_MAX_PERMS)
		return NC_EINVAL;
	for (i = 0; i < n; i++)
		if (p[i].perm > NC_PERM_BOTH)
			return NC_EINVAL;
	memset(out, 0, sizeof(*out));
	out->n = n;
	memcpy(out->p, p, n * sizeof(*p));
	return NC_OK;
}

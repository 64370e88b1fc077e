/* toolstack.c - a vif's store entries, as xl writes them (toolstack.h). */
#include <string.h>

#include "netchannel/toolstack.h"
#include "xs.h"

static void append(char *dst, const char *s)
{
	memcpy(dst + strlen(dst), s, strlen(s) + 1);
}

static void append_uint(char *dst, uint32_t v)
{
	char num[11];

	nc_utoa(v, num);
	append(dst, num);
}

void nc_vif_paths(nc_domid_t fe_domid, nc_domid_t be_domid, unsigned handle,
		  char *fe_path, char *be_path)
{
	fe_path[0] = '\0';
	append(fe_path, "/local/domain/");
	append_uint(fe_path, fe_domid);
	append(fe_path, "/device/vif/");
	append_uint(fe_path, handle);
	be_path[0] = '\0';
	append(be_path, "/local/domain/");
	append_uint(be_path, be_domid);
	append(be_path, "/backend/vif/");
	append_uint(be_path, fe_domid);
	append(be_path, "/");
	append_uint(be_path, handle);
}

static void format_mac(const uint8_t mac[6], char *out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < 6; i++) {
		out[i * 3] = hex[mac[i] >> 4];
		out[i * 3 + 1] = hex[mac[i] & 15];
		out[i * 3 + 2] = i < 5 ? ':' : '\0';
	}
}

static int write_frontend(const struct nc_store *st, nc_txn_t t,
			  const struct nc_vif_spec *s, const char *fe,
			  const char *be, const char *mac)
{
	int rc = 0;

	rc |= nc_xs_write(st, t, fe, "backend", be);
	rc |= nc_xs_write_uint(st, t, fe, "backend-id", s->be_domid);
	rc |= nc_xs_write(st, t, fe, "mac", mac);
	rc |= nc_xs_write_uint(st, t, fe, "mtu", s->mtu ? s->mtu : 1500);
	rc |= nc_xs_write_uint(st, t, fe, "handle", s->handle);
	rc |= nc_xs_write(st, t, fe, "trusted", s->untrusted ? "0" : "1");
	rc |= nc_xs_write_uint(st, t, fe, "state", XenbusStateInitialising);
	return rc ? NC_EIO : NC_OK;
}

static int write_backend(const struct nc_store *st, nc_txn_t t,
			 const struct nc_vif_spec *s, const char *fe,
			 const char *be, const char *mac)
{
	int rc = 0;

	rc |= nc_xs_write(st, t, be, "frontend", fe);
	rc |= nc_xs_write_uint(st, t, be, "frontend-id", s->fe_domid);
	rc |= nc_xs_write(st, t, be, "mac", mac);
	rc |= nc_xs_write_uint(st, t, be, "handle", s->handle);
	rc |= nc_xs_write_uint(st, t, be, "mtu", s->mtu ? s->mtu : 1500);
	rc |= nc_xs_write(st, t, be, "online", "1");
	rc |= nc_xs_write(st, t, be, "script", "/etc/xen/scripts/vif-bridge");
	if (s->rate)
		rc |= nc_xs_write(st, t, be, "rate", s->rate);
	if (s->bridge)
		rc |= nc_xs_write(st, t, be, "bridge", s->bridge);
	rc |= nc_xs_write_uint(st, t, be, "state", XenbusStateInitialising);
	return rc ? NC_EIO : NC_OK;
}

/* Owner first (no access for others), then the peer with read access;
 * applied to the directory and each node written in it. */
static int set_dir_perms(const struct nc_store *st, nc_txn_t t,
			 const char *dir, nc_domid_t owner, nc_domid_t peer)
{
	static const char *const keys[] = {
		NULL, "backend", "backend-id", "frontend", "frontend-id",
		"mac", "mtu", "handle", "trusted", "online", "script",
		"rate", "bridge", "state",
	};
	struct nc_store_perm p[2] = { { owner, NC_PERM_NONE },
				      { peer, NC_PERM_READ } };
	char path[NC_STORE_MAX_PATH];
	unsigned i;
	int rc = NC_OK;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]) && !rc; i++) {
		if (nc_path_join(path, sizeof(path), dir, keys[i]))
			return NC_EINVAL;
		rc = st->ops->set_perms(st->ctx, t, path, p,
					owner == peer ? 1 : 2);
		if (rc == NC_ENOENT)
			rc = NC_OK;   /* a key this end does not have */
	}
	return rc;
}

static int vif_add_txn(const struct nc_store *st, nc_txn_t t,
		       const struct nc_vif_spec *s)
{
	char fe[64], be[64], mac[18];
	int rc;

	nc_vif_paths(s->fe_domid, s->be_domid, s->handle, fe, be);
	format_mac(s->mac, mac);
	rc = write_frontend(st, t, s, fe, be, mac);
	if (!rc)
		rc = write_backend(st, t, s, fe, be, mac);
	if (!rc)
		rc = set_dir_perms(st, t, fe, s->fe_domid, s->be_domid);
	if (!rc)
		rc = set_dir_perms(st, t, be, s->be_domid, s->fe_domid);
	return rc;
}

int nc_vif_add(const struct nc_store *st, const struct nc_vif_spec *spec)
{
	int tries, rc = NC_EAGAIN;

	for (tries = 0; tries < 64 && rc == NC_EAGAIN; tries++) {
		nc_txn_t t;

		rc = st->ops->txn_start(st->ctx, &t);
		if (rc)
			return rc;
		rc = vif_add_txn(st, t, spec);
		if (rc) {
			st->ops->txn_end(st->ctx, t, 0);
			return rc;
		}
		rc = st->ops->txn_end(st->ctx, t, 1);
	}
	return rc;
}

int nc_vif_del(const struct nc_store *st, nc_domid_t fe_domid,
	       nc_domid_t be_domid, unsigned handle)
{
	char fe[64], be[64];
	int a, b;

	nc_vif_paths(fe_domid, be_domid, handle, fe, be);
	a = st->ops->rm(st->ctx, NC_TXN_NONE, fe);
	b = st->ops->rm(st->ctx, NC_TXN_NONE, be);
	return a ? a : b;
}

/*
 * cmd_vif.c - `netchannel vif add|del|list`: the toolstack's part of a
 * vif, as xl does it: both xenstore directories with their owners and
 * permissions, and the keys a frontend and a backend look for.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel.h"
#include "netchannel/back.h"
#include "netchannel/toolstack.h"
#include "netchannel/xs_store.h"
#include "store_conn.h"

struct vif_args {
	const char *run_dir;
	const char *bridge;
	struct nc_vif_spec spec;
	int have_fe, have_mac;
};

static void vif_usage(FILE *f)
{
	fprintf(f,
"usage: netchannel vif add --frontend DOMID [--backend DOMID] [--handle N]\n"
"                          [--mac MAC] [--mtu N] [--untrusted]\n"
"                          [--rate BYTES,USEC] [--bridge tap[:NAME]|switch|none]\n"
"                          [--run-dir DIR]\n"
"       netchannel vif del --frontend DOMID [--backend DOMID] [--handle N]\n"
"                          [--run-dir DIR]\n"
"       netchannel vif list [--run-dir DIR]\n"
"\n"
"Creates or removes a vif's xenstore entries, as xl does: the frontend's\n"
"/local/domain/FE/device/vif/N (owned by FE, readable by the backend) and\n"
"the backend's /local/domain/BE/backend/vif/FE/N (owned by BE, readable by\n"
"FE).  Defaults: backend 0, handle 0, MAC 00:16:3e:00:FE:N, MTU 1500.\n"
"--bridge is written to the backend directory for `netchannel back`.\n"
"The store is the simulator's under DIR (default %s) or, on Xen\n"
"without --run-dir, the real xenstored.\n", NC_DEFAULT_RUN_DIR);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6], i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5]) != 6 || strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_args(int argc, char **argv, struct vif_args *a)
{
	static const struct option opts[] = {
		{ "frontend", required_argument, NULL, 'f' },
		{ "backend", required_argument, NULL, 'b' },
		{ "handle", required_argument, NULL, 'n' },
		{ "mac", required_argument, NULL, 'm' },
		{ "mtu", required_argument, NULL, 'u' },
		{ "rate", required_argument, NULL, 'r' },
		{ "untrusted", no_argument, NULL, 't' },
		{ "bridge", required_argument, NULL, 'B' },
		{ "run-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rate_b, rate_u;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': a->spec.fe_domid = (nc_domid_t)atoi(optarg);
			a->have_fe = 1; break;
		case 'b': a->spec.be_domid = (nc_domid_t)atoi(optarg); break;
		case 'n': a->spec.handle = (unsigned)atoi(optarg); break;
		case 'm':
			if (parse_mac(optarg, a->spec.mac))
				return -1;
			a->have_mac = 1;
			break;
		case 'u': a->spec.mtu = (unsigned)atoi(optarg); break;
		case 'r':
			/* As netback reads it: BYTES per USEC microseconds. */
			if (nc_back_parse_rate(optarg, &rate_b, &rate_u)) {
				fprintf(stderr, "vif add: --rate BYTES,USEC\n");
				return -1;
			}
			a->spec.rate = optarg;
			break;
		case 't': a->spec.untrusted = 1; break;
		case 'B': a->bridge = optarg; break;
		case 'd': a->run_dir = optarg; break;
		case 'h': vif_usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (!a->have_mac) {
		static const uint8_t oui[3] = { 0x00, 0x16, 0x3e };

		memcpy(a->spec.mac, oui, 3);
		a->spec.mac[3] = 0;
		a->spec.mac[4] = (uint8_t)a->spec.fe_domid;
		a->spec.mac[5] = (uint8_t)a->spec.handle;
	}
	return 0;
}

static int vif_add(struct nc_store *st, struct vif_args *a)
{
	char fe[64], be[64];
	int rc;

	/* Frontend == backend is allowed: a frontend in the backend's own
	 * domain (Linux netfront in dom0, frontend-id 0) is a real setup. */
	if (!a->have_fe) {
		fprintf(stderr, "vif add: --frontend DOMID is required\n");
		return 2;
	}
	/* The bridge key goes in nc_vif_add's transaction: a backend that
	 * finds the directory finds its bridge too. */
	a->spec.bridge = a->bridge;
	rc = nc_vif_add(st, &a->spec);
	if (rc) {
		fprintf(stderr, "vif add: %s\n", nc_strerror(rc));
		return 1;
	}
	nc_vif_paths(a->spec.fe_domid, a->spec.be_domid, a->spec.handle, fe,
		     be);
	printf("vif %u/%u: frontend %s, backend %s\n",
	       (unsigned)a->spec.fe_domid, a->spec.handle, fe, be);
	return 0;
}

static int vif_del(struct nc_store *st, struct vif_args *a)
{
	int rc;

	if (!a->have_fe) {
		fprintf(stderr, "vif del: --frontend DOMID is required\n");
		return 2;
	}
	rc = nc_vif_del(st, a->spec.fe_domid, a->spec.be_domid,
			a->spec.handle);
	if (rc) {
		fprintf(stderr, "vif del: %s\n", nc_strerror(rc));
		return 1;
	}
	return 0;
}

static void read_or(struct nc_store *st, const char *dir, const char *key,
		    char *buf, size_t len)
{
	char path[256];

	if (snprintf(path, sizeof(path), "%s/%s", dir, key) >=
	    (int)sizeof(path)) {
		snprintf(buf, len, "-");
		return;
	}
	if (st->ops->read(st->ctx, NC_TXN_NONE, path, buf, len) < 0)
		snprintf(buf, len, "-");
}

/* Calls fn(name) for each child of path. */
static int each_child(struct nc_store *st, const char *path,
		      void (*fn)(void *, const char *), void *arg)
{
	static char names[65536];
	int n = st->ops->directory(st->ctx, NC_TXN_NONE, path, names,
				   sizeof(names));
	int off = 0;

	if (n < 0)
		return n;
	while (off < n) {
		fn(arg, names + off);
		off += (int)strlen(names + off) + 1;
	}
	return 0;
}

struct lister {
	struct nc_store *st;
	char base[256];
	int rows;
};

static void list_handle(void *arg, const char *handle)
{
	struct lister *l = arg;
	char be[300], fe[128], mac[32], bst[8], fst[8], fpath[160];

	if (snprintf(be, sizeof(be), "%s/%s", l->base, handle) >=
	    (int)sizeof(be))
		return;
	read_or(l->st, be, "frontend", fe, sizeof(fe));
	read_or(l->st, be, "mac", mac, sizeof(mac));
	read_or(l->st, be, "state", bst, sizeof(bst));
	snprintf(fpath, sizeof(fpath), "%s", fe);
	read_or(l->st, fpath, "state", fst, sizeof(fst));
	printf("%-40s %-18s %-9s %-9s %s\n", be, mac, bst, fst, fe);
	l->rows++;
}

static void list_frontend(void *arg, const char *fe)
{
	struct lister *l = arg;
	struct lister sub = *l;

	if (snprintf(sub.base, sizeof(sub.base), "%s/%s", l->base, fe) >=
	    (int)sizeof(sub.base))
		return;
	each_child(l->st, sub.base, list_handle, &sub);
	l->rows = sub.rows;
}

static void list_backend_domain(void *arg, const char *dom)
{
	struct lister *l = arg;
	struct lister sub = *l;

	snprintf(sub.base, sizeof(sub.base), "/local/domain/%s/backend/vif",
		 dom);
	each_child(l->st, sub.base, list_frontend, &sub);
	l->rows = sub.rows;
}

static int vif_list(struct nc_store *st)
{
	struct lister l = { .st = st, .rows = 0 };

	printf("%-40s %-18s %-9s %-9s %s\n", "backend", "mac", "be-state",
	       "fe-state", "frontend");
	each_child(st, "/local/domain", list_backend_domain, &l);
	return 0;
}

int cmd_vif(int argc, char **argv)
{
	struct vif_args a;
	struct nc_store st;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	memset(&a, 0, sizeof(a));
	if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
		vif_usage(stdout);
		return 0;
	}
	if (strcmp(verb, "add") && strcmp(verb, "del") && strcmp(verb, "list")) {
		vif_usage(stderr);
		return 2;
	}
	if (parse_args(argc - 1, argv + 1, &a)) {
		vif_usage(stderr);
		return 2;
	}
	if (tool_store_open(a.run_dir, &st))
		return 1;
	if (!strcmp(verb, "add"))
		rc = vif_add(&st, &a);
	else if (!strcmp(verb, "del"))
		rc = vif_del(&st, &a);
	else
		rc = vif_list(&st);
	nc_xs_store_close(&st);
	return rc;
}

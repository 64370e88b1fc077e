/*
 * test_store.c - the xenstore engine (src/store/store.h): nodes, paths,
 * permissions, watches, transactions, limits and accounting, checked
 * against xenstored's behaviour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "store/store.h"

/* ------------------------------------------------------------- helpers */

#define REC_MAX 128
/* A token that cannot fit one watch event message. */
#define NCS_TEST_TOKEN_LEN 4096

/* Watch events a sink received. */
struct rec {
	int n;
	char path[REC_MAX][256];
	char token[REC_MAX][64];
};

static void rec_sink(void *arg, const char *path, const char *token)
{
	struct rec *r = arg;

	if (r->n < REC_MAX) {
		snprintf(r->path[r->n], sizeof(r->path[0]), "%s", path);
		snprintf(r->token[r->n], sizeof(r->token[0]), "%s", token);
	}
	r->n++;
}

static int rec_count(const struct rec *r, const char *path, const char *token)
{
	int i, n = 0;

	for (i = 0; i < r->n && i < REC_MAX; i++)
		if (strcmp(r->path[i], path) == 0 &&
		    (!token || strcmp(r->token[i], token) == 0))
			n++;
	return n;
}

static void rec_reset(struct rec *r)
{
	r->n = 0;
}

/* A store, a privileged dom0 toolstack connection, and the records of up
 * to three watchers. */
struct fx {
	struct ncs_store *s;
	struct ncs_conn *dom0;
	struct rec r0, r1, r2;
};

static struct fx *fx_new(const struct ncs_limits *limits)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		abort();
	f->s = ncs_store_new(limits);
	if (!f->s)
		abort();
	f->dom0 = ncs_conn_new(f->s, 0, 1, rec_sink, &f->r0);
	if (!f->dom0)
		abort();
	return f;
}

static void fx_free(struct fx *f)
{
	ncs_store_free(f->s);
	free(f);
}

/* As a toolstack: "/local/domain/<d>" owned by d, dom0 may read. */
static int make_home(struct fx *f, nc_domid_t d)
{
	struct nc_store_perm p[2] = { { d, NC_PERM_NONE }, { 0, NC_PERM_READ } };
	char path[64];

	snprintf(path, sizeof(path), "/local/domain/%u", (unsigned)d);
	if (ncs_mkdir(f->dom0, 0, path) != NC_OK)
		return -1;
	return ncs_set_perms(f->dom0, 0, path, p, 2);
}

static int wr(struct ncs_conn *c, nc_txn_t t, const char *path,
	      const char *val)
{
	return ncs_write(c, t, path, val, strlen(val));
}

/* 1 when path reads as exactly `expect`. */
static int reads(struct ncs_conn *c, nc_txn_t t, const char *path,
		 const char *expect)
{
	const char *v;
	size_t len;

	if (ncs_read(c, t, path, &v, &len) != NC_OK)
		return 0;
	return len == strlen(expect) && strcmp(v, expect) == 0;
}

static int read_rc(struct ncs_conn *c, nc_txn_t t, const char *path)
{
	const char *v;
	size_t len;

	return ncs_read(c, t, path, &v, &len);
}

/* 1 when the children of path are exactly `expect` ("a\0b\0", len). */
static int dir_is(struct ncs_conn *c, nc_txn_t t, const char *path,
		  const char *expect, size_t expect_len)
{
	const char *names;
	size_t len;

	if (ncs_directory(c, t, path, &names, &len) != NC_OK)
		return 0;
	return len == expect_len && memcmp(names, expect, len) == 0;
}

/* ------------------------------------------------------------ the tree */

static void test_initial_tree(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct nc_store_perm p[4];

	CHECK_EQ(t, ncs_node_count(f->s), 4);
	CHECK(t, dir_is(f->dom0, 0, "/", "local\0tool", 11));
	CHECK(t, dir_is(f->dom0, 0, "/local", "domain", 7));
	CHECK(t, reads(f->dom0, 0, "/tool", ""));
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/", p, 4), 1);
	CHECK_EQ(t, p[0].domid, 0);
	CHECK_EQ(t, p[0].perm, NC_PERM_NONE);
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/local/domain", p, 4), 1);
	CHECK_EQ(t, ncs_watch_count(f->s), 0);
	CHECK_EQ(t, ncs_txn_count(f->s), 0);
	CHECK_EQ(t, ncs_conn_domid(f->dom0), 0);
	fx_free(f);
}

static void test_write_read(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, wr(f->dom0, 0, "/tool/x", "hello"), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/tool/x", "hello"));
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/x", "hi"), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/tool/x", "hi"));
	CHECK_EQ(t, ncs_write(f->dom0, 0, "/tool/x", NULL, 0), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/tool/x", ""));
	CHECK_EQ(t, ncs_write(f->dom0, 0, "/tool/x", NULL, 3), NC_EINVAL);
	CHECK_EQ(t, ncs_node_count(f->s), 5);
	fx_free(f);
}

static void test_write_creates_parents(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, wr(f->dom0, 0, "/a/b/c/d", "v"), NC_OK);
	CHECK_EQ(t, ncs_node_count(f->s), 8);
	CHECK(t, reads(f->dom0, 0, "/a", ""));
	CHECK(t, reads(f->dom0, 0, "/a/b/c", ""));
	CHECK(t, reads(f->dom0, 0, "/a/b/c/d", "v"));
	CHECK(t, dir_is(f->dom0, 0, "/a/b", "c", 2));
	fx_free(f);
}

static void test_read_missing(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	const char *names;
	size_t len;

	CHECK_EQ(t, read_rc(f->dom0, 0, "/nope"), NC_ENOENT);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/nope/deeper"), NC_ENOENT);
	CHECK_EQ(t, ncs_directory(f->dom0, 0, "/nope", &names, &len),
		 NC_ENOENT);
	CHECK_EQ(t, ncs_read(f->dom0, 0, "/tool", NULL, &len), NC_EINVAL);
	fx_free(f);
}

static void test_mkdir(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/m/n"), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/m/n", ""));
	CHECK_EQ(t, wr(f->dom0, 0, "/m/n", "keep"), NC_OK);
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/m/n"), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/m/n", "keep"));
	CHECK_EQ(t, ncs_node_count(f->s), 6);
	fx_free(f);
}

static void test_directory_order(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/d"), NC_OK);
	CHECK(t, dir_is(f->dom0, 0, "/d", "", 0));
	CHECK_EQ(t, wr(f->dom0, 0, "/d/zeta", "1"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/d/alpha", "2"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/d/mid/x", "3"), NC_OK);
	CHECK(t, dir_is(f->dom0, 0, "/d", "zeta\0alpha\0mid", 15));
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/d/alpha"), NC_OK);
	CHECK(t, dir_is(f->dom0, 0, "/d", "zeta\0mid", 9));
	fx_free(f);
}

static void test_rm_recursive(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, wr(f->dom0, 0, "/r/a/b", "1"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/r/a/c", "2"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/r/keep", "3"), NC_OK);
	CHECK_EQ(t, ncs_node_count(f->s), 9);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/r/a"), NC_OK);
	CHECK_EQ(t, ncs_node_count(f->s), 6);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/r/a"), NC_ENOENT);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/r/a/b"), NC_ENOENT);
	CHECK(t, reads(f->dom0, 0, "/r/keep", "3"));
	/* Absent with an existing parent: fine.  Without: ENOENT. */
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/r/a"), NC_OK);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/r/a/b/c"), NC_ENOENT);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/"), NC_EINVAL);
	CHECK_EQ(t, ncs_node_count(f->s), 6);
	fx_free(f);
}

/* --------------------------------------------------------------- paths */

static void test_relative_paths(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, wr(u, 0, "device/vif/0/state", "1"), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/local/domain/5/device/vif/0/state", "1"));
	CHECK(t, reads(u, 0, "device/vif/0/state", "1"));
	/* dom0's relative paths resolve under its own home. */
	CHECK_EQ(t, wr(f->dom0, 0, "backend/vif/5/0/state", "2"), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/local/domain/0/backend/vif/5/0/state",
		       "2"));
	CHECK_EQ(t, ncs_rm(u, 0, "device/vif"), NC_OK);
	CHECK_EQ(t, read_rc(u, 0, "device/vif/0"), NC_ENOENT);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_invalid_paths(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	static const char *bad[] = {
		"", "//", "/a//b", "/a/", "a/", "/a b", "/a.b", "/a:b",
		"/a,b", "/a\tb", "/\xc3\xa9", "@introduceDomain", "@x",
		"a//b", "/a/b//",
	};
	char *longp = malloc(NC_STORE_MAX_PATH + 2);
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = wr(f->dom0, 0, bad[i], "v");

		if (rc != NC_EINVAL)
			tap_diag("path \"%s\": %d", bad[i], rc);
		CHECK_EQ(t, rc, NC_EINVAL);
		CHECK_EQ(t, read_rc(f->dom0, 0, bad[i]), NC_EINVAL);
		CHECK_EQ(t, ncs_mkdir(f->dom0, 0, bad[i]), NC_EINVAL);
		CHECK_EQ(t, ncs_rm(f->dom0, 0, bad[i]), NC_EINVAL);
	}
	CHECK_EQ(t, wr(f->dom0, 0, NULL, "v"), NC_EINVAL);
	/* Exactly NC_STORE_MAX_PATH bytes is fine, one more is not. */
	memset(longp, 'x', NC_STORE_MAX_PATH + 1);
	longp[0] = '/';
	longp[NC_STORE_MAX_PATH] = '\0';
	CHECK_EQ(t, wr(f->dom0, 0, longp, "v"), NC_OK);
	longp[NC_STORE_MAX_PATH] = 'x';
	longp[NC_STORE_MAX_PATH + 1] = '\0';
	CHECK_EQ(t, wr(f->dom0, 0, longp, "v"), NC_EINVAL);
	/* A relative path too long once resolved. */
	memset(longp, 'y', NC_STORE_MAX_PATH - 5);
	longp[NC_STORE_MAX_PATH - 5] = '\0';
	CHECK_EQ(t, wr(f->dom0, 0, longp, "v"), NC_EINVAL);
	/* Special names are not nodes, but ordinary components may hold
	 * '@', '-' and '_'. */
	CHECK_EQ(t, wr(f->dom0, 0, "/ok/A-z_0@9", "v"), NC_OK);
	free(longp);
	fx_free(f);
}

static void test_domain_path(struct tap *t)
{
	char buf[32];

	CHECK_EQ(t, ncs_get_domain_path(7, buf, sizeof(buf)), NC_OK);
	CHECK(t, strcmp(buf, "/local/domain/7") == 0);
	CHECK_EQ(t, ncs_get_domain_path(65535, buf, sizeof(buf)), NC_OK);
	CHECK(t, strcmp(buf, "/local/domain/65535") == 0);
	CHECK_EQ(t, ncs_get_domain_path(7, buf, 15), NC_ENOSPC);
	CHECK_EQ(t, ncs_get_domain_path(7, buf, 16), NC_OK);
}

/* -------------------------------------------------------------- values */

static void test_value_limits(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	unsigned char *big = malloc(NC_STORE_MAX_VALUE + 1);
	const char *v;
	size_t len, i;

	for (i = 0; i <= NC_STORE_MAX_VALUE; i++)
		big[i] = (unsigned char)(i * 7 + 1);
	CHECK_EQ(t, ncs_write(f->dom0, 0, "/big", big, NC_STORE_MAX_VALUE),
		 NC_OK);
	CHECK_EQ(t, ncs_read(f->dom0, 0, "/big", &v, &len), NC_OK);
	CHECK_EQ(t, len, NC_STORE_MAX_VALUE);
	CHECK(t, memcmp(v, big, len) == 0);
	CHECK_EQ(t, v[len], '\0');
	CHECK_EQ(t, ncs_write(f->dom0, 0, "/big", big, NC_STORE_MAX_VALUE + 1),
		 NC_E2BIG);
	CHECK_EQ(t, ncs_write(f->dom0, 0, "/big2", big,
			      NC_STORE_MAX_VALUE + 1), NC_E2BIG);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/big2"), NC_ENOENT);
	free(big);
	fx_free(f);
}

static void test_binary_value(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	static const unsigned char bin[] = { 0, 1, 0, 0xff, 'a', 0 };
	const char *v;
	size_t len;

	CHECK_EQ(t, ncs_write(f->dom0, 0, "/bin", bin, sizeof(bin)), NC_OK);
	CHECK_EQ(t, ncs_read(f->dom0, 0, "/bin", &v, &len), NC_OK);
	CHECK_EQ(t, len, sizeof(bin));
	CHECK(t, memcmp(v, bin, sizeof(bin)) == 0);
	CHECK_EQ(t, v[len], '\0');
	fx_free(f);
}

/* ---------------------------------------------------------- permissions */

static void test_perms_default_denies(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 3, 0, NULL, NULL);
	struct nc_store_perm p[2];
	const char *names;
	size_t len;

	CHECK_EQ(t, wr(f->dom0, 0, "/tool/secret", "s"), NC_OK);
	CHECK_EQ(t, read_rc(u, 0, "/tool/secret"), NC_EACCES);
	CHECK_EQ(t, ncs_directory(u, 0, "/tool", &names, &len), NC_EACCES);
	CHECK_EQ(t, ncs_get_perms(u, 0, "/tool/secret", p, 2), NC_EACCES);
	CHECK_EQ(t, wr(u, 0, "/tool/secret", "x"), NC_EACCES);
	CHECK_EQ(t, wr(u, 0, "/tool/new", "x"), NC_EACCES);
	CHECK_EQ(t, ncs_mkdir(u, 0, "/tool/new"), NC_EACCES);
	CHECK_EQ(t, ncs_rm(u, 0, "/tool/secret"), NC_EACCES);
	/* An absent node below an unreadable one says EACCES, not ENOENT:
	 * its existence is not disclosed. */
	CHECK_EQ(t, read_rc(u, 0, "/tool/none"), NC_EACCES);
	CHECK_EQ(t, ncs_rm(u, 0, "/tool/none"), NC_EACCES);
	CHECK(t, reads(f->dom0, 0, "/tool/secret", "s"));
	CHECK_EQ(t, read_rc(f->dom0, 0, "/tool/new"), NC_ENOENT);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_perms_owner_and_entries(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *a = ncs_conn_new(f->s, 1, 0, NULL, NULL);
	struct ncs_conn *b = ncs_conn_new(f->s, 2, 0, NULL, NULL);
	struct ncs_conn *c = ncs_conn_new(f->s, 3, 0, NULL, NULL);
	struct nc_store_perm p[3] = { { 1, NC_PERM_READ }, { 2, NC_PERM_WRITE },
				      { 3, NC_PERM_NONE } };

	CHECK_EQ(t, wr(f->dom0, 0, "/shared/n", "v"), NC_OK);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/shared/n", p, 3), NC_OK);
	/* Owner 1: everything. */
	CHECK(t, reads(a, 0, "/shared/n", "v"));
	CHECK_EQ(t, wr(a, 0, "/shared/n", "w"), NC_OK);
	/* Domain 2: its entry, WRITE only. */
	CHECK_EQ(t, read_rc(b, 0, "/shared/n"), NC_EACCES);
	CHECK_EQ(t, wr(b, 0, "/shared/n", "x"), NC_OK);
	/* Domain 3: its entry, nothing, although the default is READ. */
	CHECK_EQ(t, read_rc(c, 0, "/shared/n"), NC_EACCES);
	CHECK_EQ(t, wr(c, 0, "/shared/n", "y"), NC_EACCES);
	/* Dom0 is privileged though not listed. */
	CHECK(t, reads(f->dom0, 0, "/shared/n", "x"));
	ncs_conn_free(a);
	ncs_conn_free(b);
	ncs_conn_free(c);
	fx_free(f);
}

static void test_perms_default_entry(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 9, 0, NULL, NULL);
	struct nc_store_perm p[1] = { { 0, NC_PERM_READ } };

	CHECK_EQ(t, wr(f->dom0, 0, "/pub/n", "v"), NC_OK);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/pub/n", p, 1), NC_OK);
	CHECK(t, reads(u, 0, "/pub/n", "v"));
	CHECK_EQ(t, wr(u, 0, "/pub/n", "x"), NC_EACCES);
	/* Under a readable node, an absent child is ENOENT; creating it
	 * needs WRITE there. */
	CHECK_EQ(t, read_rc(u, 0, "/pub/n/none"), NC_ENOENT);
	CHECK_EQ(t, wr(u, 0, "/pub/n/none", "x"), NC_EACCES);
	p[0].perm = NC_PERM_BOTH;
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/pub/n", p, 1), NC_OK);
	CHECK_EQ(t, wr(u, 0, "/pub/n/child", "x"), NC_OK);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_perms_unprivileged_dom0(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *z = ncs_conn_new(f->s, 0, 0, NULL, NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 4, 0, NULL, NULL);

	CHECK_EQ(t, make_home(f, 4), NC_OK);
	CHECK_EQ(t, wr(u, 0, "private", "p"), NC_OK);
	/* Dom0 not flagged privileged is only the owner of dom0's nodes. */
	CHECK_EQ(t, wr(z, 0, "/tool/x", "v"), NC_OK);
	/* Home lists dom0 READ (make_home) and "private" inherits it. */
	CHECK(t, reads(z, 0, "/local/domain/4/private", "p"));
	CHECK_EQ(t, wr(z, 0, "/local/domain/4/private", "q"), NC_EACCES);
	CHECK_EQ(t, wr(f->dom0, 0, "/local/domain/4/private", "q"), NC_OK);
	ncs_conn_free(z);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_perms_inheritance(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 6, 0, NULL, NULL);
	struct nc_store_perm p[4];

	CHECK_EQ(t, make_home(f, 6), NC_OK);
	/* An unprivileged creator owns what it creates, parents included,
	 * and keeps the rest of the parent's list. */
	CHECK_EQ(t, wr(u, 0, "a/b", "v"), NC_OK);
	CHECK_EQ(t, ncs_get_perms(u, 0, "a/b", p, 4), 2);
	CHECK_EQ(t, p[0].domid, 6);
	CHECK_EQ(t, p[0].perm, NC_PERM_NONE);
	CHECK_EQ(t, p[1].domid, 0);
	CHECK_EQ(t, p[1].perm, NC_PERM_READ);
	CHECK_EQ(t, ncs_get_perms(u, 0, "a", p, 4), 2);
	CHECK_EQ(t, p[0].domid, 6);

	/* A shared directory owned by dom0, writable by 6: what 6 creates
	 * there is 6's, though the parent is dom0's. */
	p[0].domid = 0;
	p[0].perm = NC_PERM_NONE;
	p[1].domid = 6;
	p[1].perm = NC_PERM_BOTH;
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/shared"), NC_OK);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/shared", p, 2), NC_OK);
	CHECK_EQ(t, wr(u, 0, "/shared/mine", "m"), NC_OK);
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/shared/mine", p, 4), 2);
	CHECK_EQ(t, p[0].domid, 6);
	CHECK_EQ(t, p[1].domid, 6);
	CHECK_EQ(t, p[1].perm, NC_PERM_BOTH);

	/* A privileged creator inherits the list unchanged. */
	CHECK_EQ(t, wr(f->dom0, 0, "/local/domain/6/tools", "t"), NC_OK);
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/local/domain/6/tools", p, 4),
		 2);
	CHECK_EQ(t, p[0].domid, 6);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_set_perms_rules(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 7, 0, NULL, NULL);
	struct ncs_conn *v = ncs_conn_new(f->s, 8, 0, NULL, NULL);
	struct nc_store_perm p[NC_STORE_MAX_PERMS + 1];
	unsigned i;

	memset(p, 0, sizeof(p));
	CHECK_EQ(t, make_home(f, 7), NC_OK);
	CHECK_EQ(t, wr(u, 0, "n", "v"), NC_OK);
	/* Owner 7 lets 8 write, keeps itself owner. */
	p[0].domid = 7;
	p[0].perm = NC_PERM_READ;
	p[1].domid = 8;
	p[1].perm = NC_PERM_BOTH;
	CHECK_EQ(t, ncs_set_perms(u, 0, "n", p, 2), NC_OK);
	/* 8 may write but is not the owner: no set_perms. */
	CHECK_EQ(t, wr(v, 0, "/local/domain/7/n", "w"), NC_OK);
	CHECK_EQ(t, ncs_set_perms(v, 0, "/local/domain/7/n", p, 2), NC_EACCES);
	/* An unprivileged owner may not give the node away. */
	p[0].domid = 8;
	CHECK_EQ(t, ncs_set_perms(u, 0, "n", p, 2), NC_EPERM);
	/* The toolstack may. */
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/local/domain/7/n", p, 2),
		 NC_OK);
	CHECK_EQ(t, ncs_set_perms(u, 0, "n", p, 2), NC_EACCES);
	/* Malformed lists. */
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool", p, 0), NC_EINVAL);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool", NULL, 1), NC_EINVAL);
	for (i = 0; i <= NC_STORE_MAX_PERMS; i++)
		p[i].domid = (nc_domid_t)i;
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool", p,
				  NC_STORE_MAX_PERMS + 1), NC_EINVAL);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool", p, NC_STORE_MAX_PERMS),
		 NC_OK);
	p[0].perm = 4;
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool", p, 1), NC_EINVAL);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/none", p, 1), NC_EINVAL);
	p[0].perm = NC_PERM_NONE;
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/none", p, 1), NC_ENOENT);
	ncs_conn_free(u);
	ncs_conn_free(v);
	fx_free(f);
}

static void test_cross_domain_refused(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *a = ncs_conn_new(f->s, 1, 0, NULL, NULL);
	struct ncs_conn *b = ncs_conn_new(f->s, 2, 0, NULL, NULL);

	CHECK_EQ(t, make_home(f, 1), NC_OK);
	CHECK_EQ(t, make_home(f, 2), NC_OK);
	CHECK_EQ(t, wr(a, 0, "data", "a's"), NC_OK);
	CHECK_EQ(t, read_rc(b, 0, "/local/domain/1/data"), NC_EACCES);
	CHECK_EQ(t, wr(b, 0, "/local/domain/1/data", "b's"), NC_EACCES);
	CHECK_EQ(t, wr(b, 0, "/local/domain/1/other", "b's"), NC_EACCES);
	CHECK_EQ(t, ncs_rm(b, 0, "/local/domain/1/data"), NC_EACCES);
	CHECK_EQ(t, ncs_rm(b, 0, "/local/domain/1"), NC_EACCES);
	CHECK(t, reads(a, 0, "data", "a's"));
	/* Domain 1 may not write into /local/domain itself either. */
	CHECK_EQ(t, wr(a, 0, "/local/domain/3", "x"), NC_EACCES);
	ncs_conn_free(a);
	ncs_conn_free(b);
	fx_free(f);
}

static void test_rm_needs_write_on_node_only(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, wr(u, 0, "dir/x", "1"), NC_OK);
	/* A dom0-only node inside 5's subtree. */
	CHECK_EQ(t, wr(f->dom0, 0, "/local/domain/5/dir/tool", "t"), NC_OK);
	{
		struct nc_store_perm p = { 0, NC_PERM_NONE };

		CHECK_EQ(t, ncs_set_perms(f->dom0, 0,
					  "/local/domain/5/dir/tool", &p, 1),
			 NC_OK);
	}
	CHECK_EQ(t, ncs_rm(u, 0, "dir/tool"), NC_EACCES);
	CHECK_EQ(t, ncs_rm(u, 0, "dir"), NC_OK);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/local/domain/5/dir/tool"),
		 NC_ENOENT);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_mkdir_existing_unwritable(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);

	CHECK_EQ(t, ncs_mkdir(u, 0, "/tool"), NC_EACCES);
	CHECK_EQ(t, ncs_mkdir(u, 0, "/"), NC_EACCES);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_get_perms_buffer(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct nc_store_perm p[3] = { { 1, NC_PERM_NONE }, { 2, NC_PERM_READ },
				      { 3, NC_PERM_WRITE } };
	struct nc_store_perm out[3];

	CHECK_EQ(t, wr(f->dom0, 0, "/p", ""), NC_OK);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/p", p, 3), NC_OK);
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/p", out, 2), NC_ENOSPC);
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/p", out, 3), 3);
	CHECK(t, memcmp(out, p, sizeof(p)) == 0);
	fx_free(f);
}

/* -------------------------------------------------------------- watches */

static void test_watch_initial_fire(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, ncs_watch(f->dom0, "/not/yet", "tok"), NC_OK);
	CHECK_EQ(t, f->r0.n, 1);
	CHECK_EQ(t, rec_count(&f->r0, "/not/yet", "tok"), 1);
	CHECK_EQ(t, ncs_watch_count(f->s), 1);
	fx_free(f);
}

static void test_watch_subtree(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, ncs_watch(f->dom0, "/w/a", "t"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, wr(f->dom0, 0, "/w/a", "1"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/w/a/b/c", "2"), NC_OK);
	CHECK_EQ(t, f->r0.n, 2);
	CHECK_EQ(t, rec_count(&f->r0, "/w/a", "t"), 1);
	CHECK_EQ(t, rec_count(&f->r0, "/w/a/b/c", "t"), 1);
	rec_reset(&f->r0);
	/* Siblings, prefixes that are not ancestors, the parent: none. */
	CHECK_EQ(t, wr(f->dom0, 0, "/w/ab", "x"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/w/b", "x"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/w", "x"), NC_OK);
	CHECK_EQ(t, f->r0.n, 0);
	/* mkdir of an existing node changes nothing: no event. */
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/w/a"), NC_OK);
	CHECK_EQ(t, f->r0.n, 0);
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/w/a/new"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r0, "/w/a/new", "t"), 1);
	fx_free(f);
}

static void test_watch_root_sees_all(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, ncs_watch(f->dom0, "/", "all"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, wr(f->dom0, 0, "/x/y", "1"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r0, "/x/y", "all"), 1);
	CHECK_EQ(t, f->r0.n, 1);
	fx_free(f);
}

static void test_watch_implicit_parent(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	/* Writing /p/q/r creates /p/q: a watcher of /p/q hears of it. */
	CHECK_EQ(t, ncs_watch(f->dom0, "/p/q", "t"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, wr(f->dom0, 0, "/p/q/r", "1"), NC_OK);
	CHECK_EQ(t, f->r0.n, 1);
	CHECK_EQ(t, rec_count(&f->r0, "/p/q/r", "t"), 1);
	fx_free(f);
}

static void test_watch_relative(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "device", "rel"), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "/local/domain/5/data", "abs"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "device", "rel"), 1);
	CHECK_EQ(t, rec_count(&f->r1, "/local/domain/5/data", "abs"), 1);
	rec_reset(&f->r1);
	CHECK_EQ(t, wr(u, 0, "device/vif/0", "x"), NC_OK);
	CHECK_EQ(t, wr(u, 0, "data/y", "x"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "device/vif/0", "rel"), 1);
	CHECK_EQ(t, rec_count(&f->r1, "/local/domain/5/data/y", "abs"), 1);
	CHECK_EQ(t, f->r1.n, 2);
	rec_reset(&f->r1);
	/* Removing the home fires the relative watch with its own path. */
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/local/domain/5"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "device", "rel"), 1);
	CHECK_EQ(t, rec_count(&f->r1, "/local/domain/5/data", "abs"), 1);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_watch_rm_fires(struct tap *t)
{
	struct fx *f = fx_new(NULL);

	CHECK_EQ(t, wr(f->dom0, 0, "/t/a/b/c", "1"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/t", "anc"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/t/a", "self"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/t/a/b/c", "desc"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/t/a/b/none", "ghost"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/t/other", "sib"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/t/a"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r0, "/t/a", "anc"), 1);
	CHECK_EQ(t, rec_count(&f->r0, "/t/a", "self"), 1);
	CHECK_EQ(t, rec_count(&f->r0, "/t/a/b/c", "desc"), 1);
	/* A watch on a node that did not exist is not fired (xenstored
	 * fires once per node removed). */
	CHECK_EQ(t, rec_count(&f->r0, "/t/a/b/none", NULL), 0);
	CHECK_EQ(t, rec_count(&f->r0, "/t/other", NULL), 0);
	CHECK_EQ(t, f->r0.n, 3);
	/* The removed node's own event comes first. */
	CHECK(t, strcmp(f->r0.path[0], "/t/a") == 0);
	rec_reset(&f->r0);
	/* Removing an absent node fires nothing. */
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/t/a"), NC_OK);
	CHECK_EQ(t, f->r0.n, 0);
	fx_free(f);
}

static void test_unwatch(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/u", "t1"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/u", "t2"), NC_OK);
	CHECK_EQ(t, ncs_watch_count(f->s), 2);
	CHECK_EQ(t, ncs_unwatch(f->dom0, "/u", "t1"), NC_OK);
	CHECK_EQ(t, ncs_unwatch(f->dom0, "/u", "t1"), NC_ENOENT);
	CHECK_EQ(t, ncs_unwatch(f->dom0, "/v", "t2"), NC_ENOENT);
	CHECK_EQ(t, ncs_watch_count(f->s), 1);
	rec_reset(&f->r0);
	CHECK_EQ(t, wr(f->dom0, 0, "/u", "x"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r0, "/u", "t1"), 0);
	CHECK_EQ(t, rec_count(&f->r0, "/u", "t2"), 1);
	/* Relative and absolute spellings name the same watch. */
	CHECK_EQ(t, ncs_watch(u, "dev", "t"), NC_OK);
	CHECK_EQ(t, ncs_unwatch(u, "/local/domain/5/dev", "t"), NC_OK);
	CHECK_EQ(t, ncs_watch_count(f->s), 1);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_watch_duplicate(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);

	CHECK_EQ(t, ncs_watch(f->dom0, "/d", "t"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/d", "t"), NC_EEXIST);
	CHECK_EQ(t, ncs_watch(f->dom0, "/d", "other"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/d/e", "t"), NC_OK);
	/* Another connection may hold the same pair. */
	CHECK_EQ(t, ncs_watch(u, "/d", "t"), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "/local/domain/5/x", "t"), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "x", "t"), NC_EEXIST);
	CHECK_EQ(t, ncs_watch_count(f->s), 5);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_watch_bad_args(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	char *tok = malloc(NCS_TEST_TOKEN_LEN + 1);

	CHECK_EQ(t, ncs_watch(f->dom0, "", "t"), NC_EINVAL);
	CHECK_EQ(t, ncs_watch(f->dom0, "/a/", "t"), NC_EINVAL);
	CHECK_EQ(t, ncs_watch(f->dom0, "@foo", "t"), NC_EINVAL);
	CHECK_EQ(t, ncs_watch(f->dom0, NULL, "t"), NC_EINVAL);
	CHECK_EQ(t, ncs_watch(f->dom0, "/a", NULL), NC_EINVAL);
	memset(tok, 'k', NCS_TEST_TOKEN_LEN);
	tok[NCS_TEST_TOKEN_LEN] = '\0';
	CHECK_EQ(t, ncs_watch(f->dom0, "/a", tok), NC_E2BIG);
	CHECK_EQ(t, ncs_unwatch(f->dom0, "/a/", "t"), NC_EINVAL);
	CHECK_EQ(t, ncs_watch_count(f->s), 0);
	CHECK_EQ(t, f->r0.n, 0);
	free(tok);
	fx_free(f);
}

static void test_watch_permission_filter(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);
	struct nc_store_perm pub = { 0, NC_PERM_READ };

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	/* Registering a watch needs no permission... */
	CHECK_EQ(t, ncs_watch(u, "/", "root"), NC_OK);
	rec_reset(&f->r1);
	/* ...but only readable changes are reported. */
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/secret", "s"), NC_OK);
	CHECK_EQ(t, f->r1.n, 0);
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/pub", "p"), NC_OK);
	CHECK_EQ(t, f->r1.n, 0);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool/pub", &pub, 1), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "/tool/pub", "root"), 1);
	rec_reset(&f->r1);
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/pub", "q"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "/tool/pub", "root"), 1);
	CHECK_EQ(t, wr(u, 0, "mine", "m"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "/local/domain/5/mine", "root"), 1);
	rec_reset(&f->r1);
	/* A removed node is reported if it or its parent was readable. */
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/pub/hidden", "h"), NC_OK);
	{
		struct nc_store_perm none = { 0, NC_PERM_NONE };

		CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool/pub/hidden",
					  &none, 1), NC_OK);
	}
	rec_reset(&f->r1);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/tool/pub/hidden"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "/tool/pub/hidden", "root"), 1);
	rec_reset(&f->r1);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/tool/secret"), NC_OK);
	CHECK_EQ(t, f->r1.n, 0);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_watch_perm_loss_reported(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);
	struct nc_store_perm p = { 0, NC_PERM_READ };

	CHECK_EQ(t, wr(f->dom0, 0, "/n", "v"), NC_OK);
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/n", &p, 1), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "/n", "t"), NC_OK);
	rec_reset(&f->r1);
	/* The watcher that loses access hears of it (old list). */
	p.perm = NC_PERM_NONE;
	CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/n", &p, 1), NC_OK);
	CHECK_EQ(t, rec_count(&f->r1, "/n", "t"), 1);
	rec_reset(&f->r1);
	CHECK_EQ(t, wr(f->dom0, 0, "/n", "w"), NC_OK);
	CHECK_EQ(t, f->r1.n, 0);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_special_watches(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);

	CHECK_EQ(t, ncs_watch(f->dom0, "@introduceDomain", "intro"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "@releaseDomain", "rel"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/", "root"), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "@releaseDomain", "urel"), NC_OK);
	CHECK_EQ(t, rec_count(&f->r0, "@introduceDomain", "intro"), 1);
	CHECK_EQ(t, rec_count(&f->r1, "@releaseDomain", "urel"), 1);
	rec_reset(&f->r0);
	rec_reset(&f->r1);
	ncs_introduce_domain(f->s, 9);
	CHECK_EQ(t, f->r0.n, 1);
	CHECK_EQ(t, rec_count(&f->r0, "@introduceDomain", "intro"), 1);
	CHECK_EQ(t, f->r1.n, 0);
	rec_reset(&f->r0);
	ncs_release_domain(f->s, 9);
	CHECK_EQ(t, f->r0.n, 1);
	CHECK_EQ(t, rec_count(&f->r0, "@releaseDomain", "rel"), 1);
	CHECK_EQ(t, rec_count(&f->r1, "@releaseDomain", "urel"), 1);
	CHECK_EQ(t, ncs_unwatch(f->dom0, "@releaseDomain", "rel"), NC_OK);
	rec_reset(&f->r0);
	ncs_release_domain(f->s, 9);
	CHECK_EQ(t, f->r0.n, 0);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_release_domain_removes(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);
	unsigned before;

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, make_home(f, 6), NC_OK);
	CHECK_EQ(t, wr(u, 0, "device/vif/0/state", "4"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/local/domain/6/x", "6"), NC_OK);
	/* 5 writes into a shared dom0 directory it may write. */
	{
		struct nc_store_perm p[2] = { { 0, NC_PERM_NONE },
					      { 5, NC_PERM_BOTH } };

		CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/tool/shared"), NC_OK);
		CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/tool/shared", p, 2),
			 NC_OK);
	}
	CHECK_EQ(t, wr(u, 0, "/tool/shared/five", "5"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/local/domain/5/device", "dev"),
		 NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "@releaseDomain", "rel"), NC_OK);
	rec_reset(&f->r0);
	before = ncs_node_count(f->s);
	ncs_release_domain(f->s, 5);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/local/domain/5"), NC_ENOENT);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/tool/shared/five"), NC_ENOENT);
	CHECK(t, reads(f->dom0, 0, "/local/domain/6/x", "6"));
	CHECK(t, reads(f->dom0, 0, "/tool/shared", ""));
	CHECK_EQ(t, ncs_node_count(f->s), before - 6);
	CHECK_EQ(t, rec_count(&f->r0, "/local/domain/5/device", "dev"), 1);
	CHECK_EQ(t, rec_count(&f->r0, "@releaseDomain", "rel"), 1);
	/* @releaseDomain comes after the clean-up. */
	CHECK(t, strcmp(f->r0.path[f->r0.n - 1], "@releaseDomain") == 0);
	/* Domain 0's base structure is never removed. */
	before = ncs_node_count(f->s);
	ncs_release_domain(f->s, 0);
	CHECK_EQ(t, ncs_node_count(f->s), before);
	ncs_conn_free(u);
	fx_free(f);
}

/* --------------------------------------------------------- transactions */

static void test_txn_isolation(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *c2 = ncs_conn_new(f->s, 0, 1, NULL, NULL);
	nc_txn_t tx;

	CHECK_EQ(t, wr(f->dom0, 0, "/i/a", "old"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK(t, tx != NC_TXN_NONE);
	/* An outside change after the start is not seen inside... */
	CHECK_EQ(t, wr(c2, 0, "/i/a", "new"), NC_OK);
	CHECK_EQ(t, wr(c2, 0, "/i/b", "b"), NC_OK);
	CHECK(t, reads(f->dom0, tx, "/i/a", "old"));
	CHECK_EQ(t, read_rc(f->dom0, tx, "/i/b"), NC_ENOENT);
	CHECK(t, dir_is(f->dom0, tx, "/i", "a", 2));
	/* ...and the transaction's changes are not seen outside. */
	CHECK_EQ(t, wr(f->dom0, tx, "/i/c", "c"), NC_OK);
	CHECK(t, reads(f->dom0, tx, "/i/c", "c"));
	CHECK_EQ(t, read_rc(c2, 0, "/i/c"), NC_ENOENT);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/i/c"), NC_ENOENT);
	/* It read /i/a, which changed since: conflict. */
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/i/c"), NC_ENOENT);
	CHECK(t, reads(f->dom0, 0, "/i/a", "new"));
	CHECK_EQ(t, ncs_txn_count(f->s), 0);
	ncs_conn_free(c2);
	fx_free(f);
}

static void test_txn_commit(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct nc_store_perm p = { 0, NC_PERM_READ };
	nc_txn_t tx;
	unsigned before = ncs_node_count(f->s);

	CHECK_EQ(t, wr(f->dom0, 0, "/c/gone/x", "x"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/c", "t"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/c/k1", "1"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/c/k2/deep", "2"), NC_OK);
	CHECK_EQ(t, ncs_mkdir(f->dom0, tx, "/c/dir"), NC_OK);
	CHECK_EQ(t, ncs_rm(f->dom0, tx, "/c/gone"), NC_OK);
	CHECK_EQ(t, ncs_set_perms(f->dom0, tx, "/c/k1", &p, 1), NC_OK);
	CHECK_EQ(t, ncs_rm(f->dom0, tx, "/c/k2/deep"), NC_OK);
	/* Events wait for the commit. */
	CHECK_EQ(t, f->r0.n, 0);
	CHECK_EQ(t, ncs_node_count(f->s), before + 3);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/c/k1", "1"));
	CHECK(t, reads(f->dom0, 0, "/c/k2", ""));
	CHECK_EQ(t, read_rc(f->dom0, 0, "/c/k2/deep"), NC_ENOENT);
	CHECK(t, reads(f->dom0, 0, "/c/dir", ""));
	CHECK_EQ(t, read_rc(f->dom0, 0, "/c/gone"), NC_ENOENT);
	CHECK(t, dir_is(f->dom0, 0, "/c", "k1\0k2\0dir", 10));
	{
		struct nc_store_perm out[2];

		CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/c/k1", out, 2), 1);
		CHECK_EQ(t, out[0].perm, NC_PERM_READ);
	}
	CHECK_EQ(t, ncs_node_count(f->s), before + 4);
	CHECK(t, rec_count(&f->r0, "/c/k1", "t") >= 1);
	CHECK_EQ(t, rec_count(&f->r0, "/c/gone", "t"), 1);
	CHECK_EQ(t, rec_count(&f->r0, "/c/dir", "t"), 1);
	CHECK_EQ(t, ncs_txn_count(f->s), 0);
	fx_free(f);
}

static void test_txn_conflict_write(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	nc_txn_t tx;

	CHECK_EQ(t, wr(f->dom0, 0, "/k", "0"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/k", "txn"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/k2", "txn"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/k", "outside"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, ncs_watch(f->dom0, "/", "all"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);
	CHECK(t, reads(f->dom0, 0, "/k", "outside"));
	CHECK_EQ(t, read_rc(f->dom0, 0, "/k2"), NC_ENOENT);
	CHECK_EQ(t, f->r0.n, 0);
	/* Ended either way. */
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_ENOENT);
	fx_free(f);
}

static void test_txn_conflict_kinds(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	nc_txn_t tx;
	const char *names;
	size_t len;

	/* A node the transaction found absent appears. */
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, read_rc(f->dom0, tx, "/appear"), NC_ENOENT);
	CHECK_EQ(t, wr(f->dom0, 0, "/appear", "x"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);

	/* A node it read disappears. */
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK(t, reads(f->dom0, tx, "/appear", "x"));
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/appear"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);

	/* A directory it listed gains a child. */
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/dir"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, ncs_directory(f->dom0, tx, "/dir", &names, &len), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/dir/new", "x"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);

	/* A subtree it removed gains a grandchild. */
	CHECK_EQ(t, wr(f->dom0, 0, "/sub/a/b", "x"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, ncs_rm(f->dom0, tx, "/sub"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/sub/a/b/c", "x"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);
	CHECK(t, reads(f->dom0, 0, "/sub/a/b/c", "x"));

	/* Permissions of a node it read change. */
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK(t, reads(f->dom0, tx, "/sub/a", ""));
	{
		struct nc_store_perm p = { 0, NC_PERM_READ };

		CHECK_EQ(t, ncs_set_perms(f->dom0, 0, "/sub/a", &p, 1), NC_OK);
	}
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_EAGAIN);

	/* A change before the start is no conflict; neither is one to a
	 * node the transaction never looked at. */
	CHECK_EQ(t, wr(f->dom0, 0, "/q", "1"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK(t, reads(f->dom0, tx, "/q", "1"));
	CHECK_EQ(t, wr(f->dom0, tx, "/sub/z", "z"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/unrelated", "x"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/sub/a/b/c", "y"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/sub/z", "z"));
	fx_free(f);
}

static void test_txn_abort(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	nc_txn_t tx;
	unsigned before = ncs_node_count(f->s);

	CHECK_EQ(t, ncs_watch(f->dom0, "/", "all"), NC_OK);
	rec_reset(&f->r0);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/ab/x", "1"), NC_OK);
	CHECK_EQ(t, ncs_rm(f->dom0, tx, "/tool"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 0), NC_OK);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/ab"), NC_ENOENT);
	CHECK(t, reads(f->dom0, 0, "/tool", ""));
	CHECK_EQ(t, ncs_node_count(f->s), before);
	CHECK_EQ(t, f->r0.n, 0);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 0), NC_ENOENT);
	fx_free(f);
}

static void test_txn_ids(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);
	nc_txn_t a, b, c;

	CHECK_EQ(t, ncs_txn_start(f->dom0, &a), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &b), NC_OK);
	CHECK_EQ(t, ncs_txn_start(u, &c), NC_OK);
	CHECK(t, a != 0 && b != 0 && c != 0);
	CHECK(t, a != b && b != c && a != c);
	CHECK_EQ(t, ncs_txn_count(f->s), 3);
	/* Another connection's transaction is unknown here. */
	CHECK_EQ(t, read_rc(f->dom0, c, "/tool"), NC_ENOENT);
	CHECK_EQ(t, ncs_txn_end(f->dom0, c, 0), NC_ENOENT);
	CHECK_EQ(t, wr(f->dom0, 12345, "/x", "x"), NC_ENOENT);
	CHECK_EQ(t, ncs_txn_end(f->dom0, 0, 1), NC_ENOENT);
	CHECK_EQ(t, ncs_txn_end(f->dom0, a, 0), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &a), NC_OK);
	CHECK(t, a != b && a != c && a != 0);
	CHECK_EQ(t, ncs_txn_start(f->dom0, NULL), NC_EINVAL);
	ncs_conn_free(u);
	CHECK_EQ(t, ncs_txn_count(f->s), 2);
	fx_free(f);
}

static void test_txn_limit(struct tap *t)
{
	struct ncs_limits lim = { 0, 0, 3 };
	struct fx *f = fx_new(&lim);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);
	nc_txn_t tx[4];

	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx[0]), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx[1]), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx[2]), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx[3]), NC_ENOSPC);
	/* Per connection. */
	CHECK_EQ(t, ncs_txn_start(u, &tx[3]), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx[1], 1), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx[1]), NC_OK);
	CHECK_EQ(t, ncs_txn_count(f->s), 4);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_txn_unprivileged(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);
	struct nc_store_perm p[2];
	nc_txn_t tx;

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, ncs_txn_start(u, &tx), NC_OK);
	CHECK_EQ(t, wr(u, tx, "device/vif/0/tx-ring-ref", "8"), NC_OK);
	CHECK_EQ(t, wr(u, tx, "device/vif/0/state", "4"), NC_OK);
	CHECK_EQ(t, wr(u, tx, "/tool/x", "no"), NC_EACCES);
	CHECK_EQ(t, ncs_txn_end(u, tx, 1), NC_OK);
	CHECK(t, reads(f->dom0, 0, "/local/domain/5/device/vif/0/state", "4"));
	CHECK_EQ(t, ncs_get_perms(f->dom0, 0, "/local/domain/5/device", p, 2),
		 2);
	CHECK_EQ(t, p[0].domid, 5);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/tool/x"), NC_ENOENT);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_txn_retry_loop(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	int attempts = 0, rc;
	nc_txn_t tx;

	CHECK_EQ(t, wr(f->dom0, 0, "/ctr", "0"), NC_OK);
	do {
		const char *v;
		size_t len;
		char buf[16];

		attempts++;
		CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
		CHECK_EQ(t, ncs_read(f->dom0, tx, "/ctr", &v, &len), NC_OK);
		snprintf(buf, sizeof(buf), "%d", atoi(v) + 1);
		if (attempts == 1)      /* a competitor gets in first */
			CHECK_EQ(t, wr(f->dom0, 0, "/ctr", "10"), NC_OK);
		CHECK_EQ(t, wr(f->dom0, tx, "/ctr", buf), NC_OK);
		rc = ncs_txn_end(f->dom0, tx, 1);
	} while (rc == NC_EAGAIN && attempts < 5);
	CHECK_EQ(t, rc, NC_OK);
	CHECK_EQ(t, attempts, 2);
	CHECK(t, reads(f->dom0, 0, "/ctr", "11"));
	fx_free(f);
}

static void test_txn_commit_node_limit(struct tap *t)
{
	struct ncs_limits lim = { 8, 0, 0 };
	struct fx *f = fx_new(&lim);
	nc_txn_t tx;

	/* 4 base nodes: the transaction may add 3 in its copy... */
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/t/a/b", "x"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, tx, "/t/c/d", "x"), NC_ENOSPC);
	/* ...but meanwhile the tree filled up (in a part the transaction
	 * never looked at): the commit fails whole. */
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/p", "x"), NC_OK);
	CHECK_EQ(t, wr(f->dom0, 0, "/tool/q", "x"), NC_OK);
	CHECK_EQ(t, ncs_txn_end(f->dom0, tx, 1), NC_ENOSPC);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/t"), NC_ENOENT);
	CHECK_EQ(t, ncs_node_count(f->s), 6);
	fx_free(f);
}

static void test_txn_relative_and_mixed(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);
	nc_txn_t tx;

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, wr(u, 0, "a/x", "1"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(u, &tx), NC_OK);
	CHECK_EQ(t, ncs_rm(u, tx, "a"), NC_OK);
	CHECK_EQ(t, read_rc(u, tx, "a/x"), NC_ENOENT);
	CHECK_EQ(t, wr(u, tx, "a/y", "2"), NC_OK);
	CHECK(t, dir_is(u, tx, "a", "y", 2));
	CHECK(t, reads(u, 0, "a/x", "1"));
	CHECK_EQ(t, ncs_txn_end(u, tx, 1), NC_OK);
	CHECK(t, dir_is(u, 0, "a", "y", 2));
	CHECK(t, reads(u, 0, "/local/domain/5/a/y", "2"));
	ncs_conn_free(u);
	fx_free(f);
}

static void test_conn_free_cleans_up(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, rec_sink, &f->r1);
	nc_txn_t tx;

	CHECK_EQ(t, make_home(f, 5), NC_OK);
	CHECK_EQ(t, wr(u, 0, "kept", "k"), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "/", "a"), NC_OK);
	CHECK_EQ(t, ncs_watch(u, "kept", "b"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(u, &tx), NC_OK);
	CHECK_EQ(t, wr(u, tx, "pending", "p"), NC_OK);
	CHECK_EQ(t, ncs_txn_start(u, &tx), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/x", "d"), NC_OK);
	CHECK_EQ(t, ncs_watch_count(f->s), 3);
	CHECK_EQ(t, ncs_txn_count(f->s), 2);
	ncs_conn_free(u);
	CHECK_EQ(t, ncs_watch_count(f->s), 1);
	CHECK_EQ(t, ncs_txn_count(f->s), 0);
	/* Its nodes stay; its transaction never committed. */
	CHECK(t, reads(f->dom0, 0, "/local/domain/5/kept", "k"));
	CHECK_EQ(t, read_rc(f->dom0, 0, "/local/domain/5/pending"), NC_ENOENT);
	rec_reset(&f->r1);
	CHECK_EQ(t, wr(f->dom0, 0, "/local/domain/5/kept", "z"), NC_OK);
	CHECK_EQ(t, f->r1.n, 0);
	ncs_conn_free(NULL);
	fx_free(f);
}

/* --------------------------------------------------------------- limits */

static void test_node_limit(struct tap *t)
{
	struct ncs_limits lim = { 7, 0, 0 };
	struct fx *f = fx_new(&lim);

	CHECK_EQ(t, wr(f->dom0, 0, "/a", "1"), NC_OK);
	CHECK_EQ(t, ncs_node_count(f->s), 5);
	/* Needs 3 more: refused whole, no partial parents. */
	CHECK_EQ(t, wr(f->dom0, 0, "/b/c/d", "x"), NC_ENOSPC);
	CHECK_EQ(t, read_rc(f->dom0, 0, "/b"), NC_ENOENT);
	CHECK_EQ(t, ncs_node_count(f->s), 5);
	CHECK_EQ(t, wr(f->dom0, 0, "/b/c", "x"), NC_OK);
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/e"), NC_ENOSPC);
	/* Overwriting needs no new node. */
	CHECK_EQ(t, wr(f->dom0, 0, "/b/c", "y"), NC_OK);
	CHECK_EQ(t, ncs_rm(f->dom0, 0, "/b"), NC_OK);
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/e"), NC_OK);
	CHECK_EQ(t, ncs_node_count(f->s), 6);
	fx_free(f);
}

static void test_watch_limit(struct tap *t)
{
	struct ncs_limits lim = { 0, 3, 0 };
	struct fx *f = fx_new(&lim);
	struct ncs_conn *u = ncs_conn_new(f->s, 5, 0, NULL, NULL);

	CHECK_EQ(t, ncs_watch(f->dom0, "/a", "1"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/a", "2"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/a", "3"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/a", "4"), NC_ENOSPC);
	CHECK_EQ(t, ncs_watch(u, "/a", "4"), NC_OK);
	CHECK_EQ(t, ncs_unwatch(f->dom0, "/a", "2"), NC_OK);
	CHECK_EQ(t, ncs_watch(f->dom0, "/a", "4"), NC_OK);
	CHECK_EQ(t, ncs_watch_count(f->s), 4);
	ncs_conn_free(u);
	fx_free(f);
}

static void test_default_limits(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	char path[32], tok[16];
	unsigned i;
	nc_txn_t tx;
	int rc = NC_OK;

	for (i = 0; i < 128; i++) {
		snprintf(tok, sizeof(tok), "%u", i);
		CHECK_EQ(t, ncs_watch(f->dom0, "/w", tok), NC_OK);
	}
	CHECK_EQ(t, ncs_watch(f->dom0, "/w", "x"), NC_ENOSPC);
	for (i = 0; i < 16; i++)
		CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_OK);
	CHECK_EQ(t, ncs_txn_start(f->dom0, &tx), NC_ENOSPC);
	/* Spread over 200 directories, one new node per call. */
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "/tool/d%u", i);
		CHECK_EQ(t, ncs_mkdir(f->dom0, 0, path), NC_OK);
	}
	for (i = 0; i < 30000; i++) {
		snprintf(path, sizeof(path), "/tool/d%u/n%u", i % 200, i);
		rc = ncs_mkdir(f->dom0, 0, path);
		if (rc != NC_OK)
			break;
	}
	CHECK_EQ(t, rc, NC_ENOSPC);
	CHECK_EQ(t, ncs_node_count(f->s), 20000);
	CHECK_EQ(t, ncs_mkdir(f->dom0, 0, "/one-more"), NC_ENOSPC);
	fx_free(f);
}

/* ------------------------------------------------------------ reentrancy */

struct reentry {
	struct ncs_conn *self;
	struct ncs_conn *victim;
	int calls;
	int read_ok;
};

static void reentrant_sink(void *arg, const char *path, const char *token)
{
	struct reentry *r = arg;
	const char *v;
	size_t len;

	(void)path;
	(void)token;
	r->calls++;
	if (r->calls == 1)
		return;                 /* the initial fire */
	r->read_ok = ncs_read(r->self, 0, "/re", &v, &len) == NC_OK;
	ncs_conn_free(r->victim);       /* its pending delivery is dropped */
	r->victim = NULL;
}

static void test_sink_reentry(struct tap *t)
{
	struct fx *f = fx_new(NULL);
	struct reentry r = { 0 };
	struct ncs_conn *a, *b;

	a = ncs_conn_new(f->s, 0, 1, reentrant_sink, &r);
	b = ncs_conn_new(f->s, 0, 1, rec_sink, &f->r1);
	r.self = a;
	r.victim = b;
	CHECK_EQ(t, ncs_watch(a, "/re", "a"), NC_OK);
	CHECK_EQ(t, ncs_watch(b, "/re", "b"), NC_OK);
	rec_reset(&f->r1);
	CHECK_EQ(t, wr(f->dom0, 0, "/re", "x"), NC_OK);
	CHECK_EQ(t, r.calls, 2);
	CHECK(t, r.read_ok);
	CHECK_EQ(t, f->r1.n, 0);
	CHECK_EQ(t, ncs_watch_count(f->s), 1);
	fx_free(f);
}

/* ----------------------------------------------------------------- main */

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "initial tree", test_initial_tree);
	tap_run(&t, "write and read", test_write_read);
	tap_run(&t, "write creates parents", test_write_creates_parents);
	tap_run(&t, "read missing", test_read_missing);
	tap_run(&t, "mkdir", test_mkdir);
	tap_run(&t, "directory order", test_directory_order);
	tap_run(&t, "rm recursive", test_rm_recursive);
	tap_run(&t, "relative paths", test_relative_paths);
	tap_run(&t, "invalid paths", test_invalid_paths);
	tap_run(&t, "domain path", test_domain_path);
	tap_run(&t, "value limits", test_value_limits);
	tap_run(&t, "binary value", test_binary_value);
	tap_run(&t, "perms: default denies", test_perms_default_denies);
	tap_run(&t, "perms: owner and entries", test_perms_owner_and_entries);
	tap_run(&t, "perms: default entry", test_perms_default_entry);
	tap_run(&t, "perms: unprivileged dom0", test_perms_unprivileged_dom0);
	tap_run(&t, "perms: inheritance", test_perms_inheritance);
	tap_run(&t, "perms: set_perms rules", test_set_perms_rules);
	tap_run(&t, "perms: cross-domain refused", test_cross_domain_refused);
	tap_run(&t, "perms: rm needs write on node only",
		test_rm_needs_write_on_node_only);
	tap_run(&t, "perms: mkdir existing unwritable",
		test_mkdir_existing_unwritable);
	tap_run(&t, "perms: get_perms buffer", test_get_perms_buffer);
	tap_run(&t, "watch: initial fire", test_watch_initial_fire);
	tap_run(&t, "watch: node and subtree", test_watch_subtree);
	tap_run(&t, "watch: root sees all", test_watch_root_sees_all);
	tap_run(&t, "watch: implicit parent", test_watch_implicit_parent);
	tap_run(&t, "watch: relative", test_watch_relative);
	tap_run(&t, "watch: rm fires", test_watch_rm_fires);
	tap_run(&t, "watch: unwatch", test_unwatch);
	tap_run(&t, "watch: duplicate", test_watch_duplicate);
	tap_run(&t, "watch: bad arguments", test_watch_bad_args);
	tap_run(&t, "watch: permission filter", test_watch_permission_filter);
	tap_run(&t, "watch: permission loss reported",
		test_watch_perm_loss_reported);
	tap_run(&t, "watch: special events", test_special_watches);
	tap_run(&t, "release domain removes", test_release_domain_removes);
	tap_run(&t, "txn: isolation", test_txn_isolation);
	tap_run(&t, "txn: commit", test_txn_commit);
	tap_run(&t, "txn: conflict on write", test_txn_conflict_write);
	tap_run(&t, "txn: conflict kinds", test_txn_conflict_kinds);
	tap_run(&t, "txn: abort", test_txn_abort);
	tap_run(&t, "txn: ids", test_txn_ids);
	tap_run(&t, "txn: limit", test_txn_limit);
	tap_run(&t, "txn: unprivileged", test_txn_unprivileged);
	tap_run(&t, "txn: retry loop", test_txn_retry_loop);
	tap_run(&t, "txn: commit node limit", test_txn_commit_node_limit);
	tap_run(&t, "txn: relative and mixed", test_txn_relative_and_mixed);
	tap_run(&t, "conn_free cleans up", test_conn_free_cleans_up);
	tap_run(&t, "limit: nodes", test_node_limit);
	tap_run(&t, "limit: watches", test_watch_limit);
	tap_run(&t, "limit: defaults", test_default_limits);
	tap_run(&t, "sink reentry", test_sink_reentry);
	return tap_done(&t);
}

/*
 * test_inproc.c - the in-process platform enforces the rules the simulator
 * and Xen enforce: grants, event channels, store permissions and watches.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netchannel/inproc.h"

struct two {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *h1, *h2, *h3;
	struct nc_platform d1, d2, d3;   /* domains 1, 2 and 3 */
};

static void two_init(struct two *s)
{
	s->w = nc_inproc_world_new();
	s->h1 = nc_inproc_open(s->w, 1, &s->d1);
	s->h2 = nc_inproc_open(s->w, 2, &s->d2);
	s->h3 = nc_inproc_open(s->w, 3, &s->d3);
}

static void two_free(struct two *s)
{
	nc_inproc_close(s->h1);
	nc_inproc_close(s->h2);
	nc_inproc_close(s->h3);
	nc_inproc_world_free(s->w);
}

#define G(p) (p).grants.ops
#define E(p) (p).events.ops
#define S(p) (p).store.ops

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void test_only_grantee_maps(struct tap *t)
{
	struct two s;
	nc_gref_t refs[2];
	uint8_t *pg, *m;

	two_init(&s);
	pg = G(s.d1)->share(s.d1.grants.ctx, 2, 2, 0, refs);
	CHECK(t, pg != NULL);
	CHECK(t, refs[0] >= 8 && refs[1] != refs[0]);
	memcpy(pg, "hello", 6);
	CHECK(t, G(s.d3)->map(s.d3.grants.ctx, 1, 2, refs, 0) == NULL);
	m = G(s.d2)->map(s.d2.grants.ctx, 1, 2, refs, 1);
	CHECK(t, m != NULL);
	CHECK(t, m && strcmp((char *)m, "hello") == 0);
	if (m) {
		m[NC_PAGE_SIZE] = 'x';    /* second page, writable */
		CHECK_EQ(t, pg[NC_PAGE_SIZE], 'x');
	}
	/* a grant ref never made */
	refs[1] = 9999;
	CHECK(t, G(s.d2)->map(s.d2.grants.ctx, 1, 2, refs, 0) == NULL);
	two_free(&s);
}

static void test_readonly_and_revoke(struct tap *t)
{
	struct two s;
	nc_gref_t ref;
	struct nc_inproc_counts c;
	uint8_t *pg, *m;

	two_init(&s);
	pg = G(s.d1)->share(s.d1.grants.ctx, 2, 1, 1, &ref);
	CHECK(t, G(s.d2)->map(s.d2.grants.ctx, 1, 1, &ref, 1) == NULL);
	m = G(s.d2)->map(s.d2.grants.ctx, 1, 1, &ref, 0);
	CHECK(t, m != NULL);
	nc_inproc_counts(s.w, 2, &c);
	CHECK_EQ(t, c.mappings, 1);
	CHECK_EQ(t, G(s.d1)->unshare(s.d1.grants.ctx, pg, 1), NC_EBUSY);
	CHECK_EQ(t, G(s.d2)->unmap(s.d2.grants.ctx, m, 1), NC_OK);
	CHECK_EQ(t, G(s.d1)->unshare(s.d1.grants.ctx, pg, 1), NC_OK);
	CHECK_EQ(t, G(s.d1)->unshare(s.d1.grants.ctx, pg, 1), NC_ENOENT);
	nc_inproc_counts(s.w, 1, &c);
	CHECK_EQ(t, c.grants, 0);
	two_free(&s);
}

static void test_grant_copy_rules(struct tap *t)
{
	struct two s;
	nc_gref_t ro, rw;
	uint8_t *a, *b, local[64] = "from domain two";
	struct nc_copy_seg seg[2];

	two_init(&s);
	a = G(s.d1)->share(s.d1.grants.ctx, 2, 1, 1, &ro);
	b = G(s.d1)->share(s.d1.grants.ctx, 2, 1, 0, &rw);
	memcpy(a + 100, "read me", 8);
	memset(seg, 0, sizeof(seg));
	seg[0].flags = NC_COPY_SRC_GREF;
	seg[0].src.foreign.ref = ro;
	seg[0].src.foreign.domid = 1;
	seg[0].src.foreign.offset = 100;
	seg[0].dst.local = local;
	seg[0].len = 8;
	seg[1].flags = NC_COPY_DST_GREF;
	seg[1].src.local = local + 32;
	seg[1].dst.foreign.ref = rw;
	seg[1].dst.foreign.domid = 1;
	seg[1].dst.foreign.offset = 4000;
	seg[1].len = 16;
	memcpy(local + 32, "into a rw grant", 16);
	CHECK_EQ(t, G(s.d2)->copy(s.d2.grants.ctx, seg, 2), NC_OK);
	CHECK(t, strcmp((char *)local, "read me") == 0);
	CHECK(t, memcmp(b + 4000, "into a rw grant", 16) == 0);
	/* into a read-only grant: refused */
	seg[1].dst.foreign.ref = ro;
	CHECK_EQ(t, G(s.d2)->copy(s.d2.grants.ctx, &seg[1], 1), NC_EPERM);
	/* crossing the page end: refused */
	seg[1].dst.foreign.ref = rw;
	seg[1].dst.foreign.offset = 4090;
	CHECK_EQ(t, G(s.d2)->copy(s.d2.grants.ctx, &seg[1], 1), NC_EPERM);
	/* domain 3 was not granted anything */
	CHECK_EQ(t, G(s.d3)->copy(s.d3.grants.ctx, &seg[0], 1), NC_EPERM);
	CHECK_EQ(t, seg[0].status, NC_EPERM);
	two_free(&s);
}

static void test_event_channel(struct tap *t)
{
	struct two s;
	nc_port_t p1, p2, got;
	int i;

	two_init(&s);
	CHECK_EQ(t, E(s.d1)->alloc_unbound(s.d1.events.ctx, 2, &p1), NC_OK);
	/* domain 3 may not bind a port meant for domain 2 */
	CHECK_EQ(t, E(s.d3)->bind_interdomain(s.d3.events.ctx, 1, p1, &p2),
		 NC_EINVAL);
	CHECK_EQ(t, E(s.d2)->bind_interdomain(s.d2.events.ctx, 1, p1, &p2),
		 NC_OK);
	CHECK(t, !readable(E(s.d2)->fd(s.d2.events.ctx)));
	/* a storm of notifications: one pending event */
	for (i = 0; i < 1000; i++)
		CHECK_EQ(t, E(s.d1)->notify(s.d1.events.ctx, p1), NC_OK);
	CHECK(t, readable(E(s.d2)->fd(s.d2.events.ctx)));
	CHECK_EQ(t, E(s.d2)->pending(s.d2.events.ctx, &got), 1);
	CHECK_EQ(t, got, p2);
	CHECK_EQ(t, E(s.d2)->pending(s.d2.events.ctx, &got), 0);
	CHECK(t, !readable(E(s.d2)->fd(s.d2.events.ctx)));
	/* both directions */
	CHECK_EQ(t, E(s.d2)->notify(s.d2.events.ctx, p2), NC_OK);
	CHECK_EQ(t, E(s.d1)->pending(s.d1.events.ctx, &got), 1);
	CHECK_EQ(t, got, p1);
	/* the peer closes: its end hears of it once (2), and notify is an
	 * error, not a hang */
	CHECK_EQ(t, E(s.d2)->unbind(s.d2.events.ctx, p2), NC_OK);
	CHECK(t, readable(E(s.d1)->fd(s.d1.events.ctx)));
	CHECK_EQ(t, E(s.d1)->pending(s.d1.events.ctx, &got), 2);
	CHECK_EQ(t, got, p1);
	CHECK_EQ(t, E(s.d1)->pending(s.d1.events.ctx, &got), 0);
	CHECK_EQ(t, E(s.d1)->notify(s.d1.events.ctx, p1), NC_ENOTCONN);
	CHECK_EQ(t, E(s.d2)->notify(s.d2.events.ctx, p2), NC_EBADF);
	CHECK_EQ(t, E(s.d1)->notify(s.d1.events.ctx, 555), NC_EBADF);
	two_free(&s);
}

static void test_store_permissions(struct tap *t)
{
	struct two s;
	struct nc_platform d0;
	struct nc_inproc_handle *h0;
	struct nc_store_perm perms[2] = { { 1, NC_PERM_NONE },
					  { 2, NC_PERM_READ } };
	char buf[64];

	two_init(&s);
	h0 = nc_inproc_open(s.w, 0, &d0);
	CHECK_EQ(t, S(d0)->write(d0.store.ctx, 0, "/local/domain/1/device/x",
				 "v"), NC_OK);
	CHECK_EQ(t, S(d0)->set_perms(d0.store.ctx, 0, "/local/domain/1/device/x",
				     perms, 2), NC_OK);
	CHECK_EQ(t, S(s.d1)->write(s.d1.store.ctx, 0, "device/x", "mine"),
		 NC_OK);
	CHECK_EQ(t, S(s.d2)->read(s.d2.store.ctx, 0, "/local/domain/1/device/x",
				  buf, sizeof(buf)), 4);
	CHECK_EQ(t, S(s.d2)->write(s.d2.store.ctx, 0,
				   "/local/domain/1/device/x", "theirs"),
		 NC_EACCES);
	CHECK(t, S(s.d3)->read(s.d3.store.ctx, 0, "/local/domain/1/device/x",
			       buf, sizeof(buf)) < 0);
	CHECK_EQ(t, S(s.d1)->read(s.d1.store.ctx, 0, "device/x", buf, 3),
		 NC_ENOSPC);
	nc_inproc_close(h0);
	two_free(&s);
}

static void test_store_watch_fd(struct tap *t)
{
	struct two s;
	struct nc_platform d0;
	struct nc_inproc_handle *h0;
	char path[128], tok[32];
	int fd;

	two_init(&s);
	h0 = nc_inproc_open(s.w, 0, &d0);
	fd = S(d0)->fd(d0.store.ctx);
	CHECK_EQ(t, S(d0)->watch(d0.store.ctx, "/local/domain/1", "tk"), NC_OK);
	CHECK(t, readable(fd));
	CHECK_EQ(t, S(d0)->read_watch(d0.store.ctx, path, sizeof(path), tok,
				      sizeof(tok)), 1);
	CHECK(t, strcmp(path, "/local/domain/1") == 0 && !strcmp(tok, "tk"));
	CHECK_EQ(t, S(d0)->read_watch(d0.store.ctx, path, sizeof(path), tok,
				      sizeof(tok)), 0);
	CHECK(t, !readable(fd));
	S(d0)->write(d0.store.ctx, 0, "/local/domain/1/a/b", "1");
	CHECK(t, readable(fd));
	CHECK_EQ(t, S(d0)->read_watch(d0.store.ctx, path, sizeof(path), tok,
				      sizeof(tok)), 1);
	CHECK(t, strncmp(path, "/local/domain/1/a", 17) == 0);
	nc_inproc_close(h0);
	two_free(&s);
}

static void test_close_releases(struct tap *t)
{
	struct two s;
	struct nc_inproc_counts c;
	nc_gref_t ref;
	nc_port_t p1, p2;
	uint8_t *m;

	two_init(&s);
	G(s.d1)->share(s.d1.grants.ctx, 2, 1, 0, &ref);
	m = G(s.d2)->map(s.d2.grants.ctx, 1, 1, &ref, 1);
	CHECK(t, m != NULL);
	E(s.d1)->alloc_unbound(s.d1.events.ctx, 2, &p1);
	E(s.d2)->bind_interdomain(s.d2.events.ctx, 1, p1, &p2);
	nc_inproc_counts(s.w, 2, &c);
	CHECK_EQ(t, c.mappings, 1);
	CHECK_EQ(t, c.ports, 1);
	/* domain 2's process exits: its mappings and ports go */
	nc_inproc_close(s.h2);
	s.h2 = NULL;
	nc_inproc_counts(s.w, 2, &c);
	CHECK_EQ(t, c.mappings, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, E(s.d1)->notify(s.d1.events.ctx, p1), NC_ENOTCONN);
	/* domain 1 dies: its grants end */
	nc_inproc_destroy_domain(s.w, 1);
	s.h1 = NULL;
	nc_inproc_counts(s.w, 1, &c);
	CHECK_EQ(t, c.grants, 0);
	CHECK_EQ(t, c.ports, 0);
	two_free(&s);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "only the grantee maps", test_only_grantee_maps);
	tap_run(&t, "read-only stays read-only; no revoke while mapped",
		test_readonly_and_revoke);
	tap_run(&t, "grant copy rules", test_grant_copy_rules);
	tap_run(&t, "event channels: bind, notify, storm, close",
		test_event_channel);
	tap_run(&t, "store permissions between domains",
		test_store_permissions);
	tap_run(&t, "store watches through the fd", test_store_watch_fd);
	tap_run(&t, "a closed handle and a dead domain release all",
		test_close_releases);
	return tap_done(&t);
}

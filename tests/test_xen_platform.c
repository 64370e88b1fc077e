/*
 * test_xen_platform.c - the Xen platform (netchannel/xen.h) against the
 * real hypervisor, looped inside one domain: grants shared to our own
 * domid and mapped back, grant copy, an event channel bound to itself,
 * the store.  Run inside dom0 by the Xen-in-QEMU harness (XEN-IN-QEMU.md:
 * dom0 may grant to itself and map the grant back).
 *
 * Without /dev/xen every case but the first is skipped; the first checks
 * that nc_xen_open() fails cleanly (NULL, errno ENOENT).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "netchannel/xen.h"

#define SKIP_REASON "no /dev/xen: runs inside the Xen-in-QEMU harness"
#define WAIT_MS 2000

static struct nc_xen_handle *xh;
static struct nc_platform plat;

#define G(op, ...) plat.grants.ops->op(plat.grants.ctx, __VA_ARGS__)
#define E(op, ...) plat.events.ops->op(plat.events.ctx, __VA_ARGS__)
#define S(op, ...) plat.store.ops->op(plat.store.ctx, __VA_ARGS__)
#define EV_FD() plat.events.ops->fd(plat.events.ctx)
#define ST_FD() plat.store.ops->fd(plat.store.ctx)

static int check_ok(struct tap *t, int rc, const char *what,
		    const char *file, int line)
{
	if (!tap_check(t, rc == NC_OK, what, file, line))
		printf("#   got %d\n", rc);
	return rc == NC_OK;
}

/* CHECK_EQ_OK(t, call): the call answered NC_OK; evaluates to that. */
#define CHECK_EQ_OK(t, e) check_ok((t), (e), #e " == NC_OK", __FILE__, \
				   __LINE__)

/* 1 when the case can run; otherwise it is skipped (no Xen) or failed
 * (Xen, but the handle did not open). */
static int need_xen(struct tap *t)
{
	if (!nc_xen_available()) {
		tap_skip(t, SKIP_REASON);
		return 0;
	}
	if (!xh) {
		CHECK(t, xh != NULL);     /* the "open" case failed */
		return 0;
	}
	return 1;
}

static int wait_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

static int all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* The permissions ("rw-s") of the mapping holding addr, from
 * /proc/self/maps; 0 when found. */
static int mapping_perms(const void *addr, char perms[8])
{
	char line[512], p[8];
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)addr;
	FILE *f = fopen("/proc/self/maps", "re");
	int rc = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, p) == 3 && lo <= a &&
		    a < hi) {
			memcpy(perms, p, sizeof(p));
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* ----------------------------------------------------------------- open */

static void test_open(struct tap *t)
{
	struct nc_platform p2;
	struct nc_xen_handle *h2;

	if (!nc_xen_available()) {
		errno = 0;
		h2 = nc_xen_open(NC_XEN_DOMID_AUTO, &p2);
		CHECK(t, h2 == NULL);
		CHECK_EQ(t, errno, ENOENT);
		nc_xen_close(h2);      /* NULL: ignored */
		return;
	}
	xh = nc_xen_open(NC_XEN_DOMID_AUTO, &plat);
	if (!CHECK(t, xh != NULL)) {
		tap_diag("nc_xen_open: %s", strerror(errno));
		return;
	}
	tap_diag("this is domain %u", (unsigned)plat.domid);
	CHECK_EQ(t, plat.domid, 0);       /* the harness runs us in dom0 */
	CHECK(t, plat.grants.ops && plat.events.ops && plat.store.ops);
	CHECK(t, EV_FD() >= 0);
	CHECK(t, ST_FD() >= 0);

	/* An explicit domid is taken as given; close releases what a
	 * handle still holds (a share mapped by ourselves, a port). */
	h2 = nc_xen_open(0, &p2);
	if (CHECK(t, h2 != NULL)) {
		nc_gref_t ref;
		nc_port_t port;
		uint8_t *s = p2.grants.ops->share(p2.grants.ctx, 0, 1, 0, &ref);
		uint8_t *m = s ? p2.grants.ops->map(p2.grants.ctx, 0, 1, &ref,
						    1) : NULL;

		CHECK(t, s && m);
		CHECK_EQ(t, p2.domid, 0);
		CHECK_EQ(t, p2.events.ops->alloc_unbound(p2.events.ctx, 0,
							 &port), NC_OK);
		nc_xen_close(h2);
	}
}

/* --------------------------------------------------------------- grants */

static void test_share_map(struct tap *t)
{
	nc_gref_t refs[2];
	uint8_t *s, *m;

	if (!need_xen(t))
		return;
	s = G(share, plat.domid, 2, 0, refs);
	if (!CHECK(t, s != NULL))
		return;
	tap_diag("refs %u %u", (unsigned)refs[0], (unsigned)refs[1]);
	CHECK(t, all_bytes(s, 2 * NC_PAGE_SIZE, 0));   /* zeroed */
	m = G(map, plat.domid, 2, refs, 1);
	if (CHECK(t, m != NULL)) {
		CHECK(t, all_bytes(m, 2 * NC_PAGE_SIZE, 0));
		/* granter -> grantee */
		memset(s, 0xA5, NC_PAGE_SIZE);
		s[NC_PAGE_SIZE + 7] = 0x5A;
		CHECK(t, all_bytes(m, NC_PAGE_SIZE, 0xA5));
		CHECK_EQ(t, m[NC_PAGE_SIZE + 7], 0x5A);
		/* grantee -> granter */
		m[9] = 0x11;
		m[2 * NC_PAGE_SIZE - 1] = 0x22;
		CHECK_EQ(t, s[9], 0x11);
		CHECK_EQ(t, s[2 * NC_PAGE_SIZE - 1], 0x22);
		/* only what map() returned can be unmapped */
		CHECK_EQ(t, G(unmap, m + NC_PAGE_SIZE, 1), NC_EINVAL);
		CHECK_EQ(t, G(unmap, m, 1), NC_EINVAL);
		CHECK_EQ(t, G(unmap, m, 2), NC_OK);
		CHECK_EQ(t, G(unmap, m, 2), NC_EINVAL);
	}
	CHECK_EQ(t, G(unshare, s, 1), NC_ENOENT);
	CHECK_EQ(t, G(unshare, s, 2), NC_OK);
	CHECK_EQ(t, G(unshare, s, 2), NC_ENOENT);
}

/* Unshare while the peer (here: us) still maps: NC_OK, never NC_EBUSY,
 * and the page lives on in the kernel until the mapping goes. */
static void test_unshare_while_mapped(struct tap *t)
{
	nc_gref_t ref;
	uint8_t *s, *m;

	if (!need_xen(t))
		return;
	s = G(share, plat.domid, 1, 0, &ref);
	if (!CHECK(t, s != NULL))
		return;
	m = G(map, plat.domid, 1, &ref, 1);
	if (!CHECK(t, m != NULL)) {
		G(unshare, s, 1);
		return;
	}
	memset(s, 0x77, NC_PAGE_SIZE);
	CHECK_EQ(t, G(unshare, s, 1), NC_OK);
	CHECK(t, all_bytes(m, NC_PAGE_SIZE, 0x77));  /* still the page */
	m[0] = 0x78;                                  /* and still ours */
	CHECK_EQ(t, m[0], 0x78);
	CHECK_EQ(t, G(unmap, m, 1), NC_OK);
}

static void test_readonly(struct tap *t)
{
	nc_gref_t ref;
	uint8_t *s, *m;
	char perms[8];

	if (!need_xen(t))
		return;
	s = G(share, plat.domid, 1, 1, &ref);
	if (!CHECK(t, s != NULL))
		return;
	s[0] = 0x42;                       /* the granter writes its own */
	CHECK(t, G(map, plat.domid, 1, &ref, 1) == NULL);
	m = G(map, plat.domid, 1, &ref, 0);
	if (CHECK(t, m != NULL)) {
		CHECK_EQ(t, m[0], 0x42);
		s[1] = 0x43;
		CHECK_EQ(t, m[1], 0x43);
		if (CHECK(t, mapping_perms(m, perms) == 0)) {
			tap_diag("read-only mapping: %s", perms);
			CHECK(t, perms[0] == 'r' && perms[1] != 'w');
		}
		CHECK_EQ(t, G(unmap, m, 1), NC_OK);
	}
	CHECK_EQ(t, G(unshare, s, 1), NC_OK);
}

static void seg_from_gref(struct nc_copy_seg *g, nc_gref_t ref,
			  uint16_t off, void *to, uint16_t len)
{
	memset(g, 0, sizeof(*g));
	g->src.foreign.ref = ref;
	g->src.foreign.offset = off;
	g->src.foreign.domid = plat.domid;
	g->dst.local = to;
	g->len = len;
	g->flags = NC_COPY_SRC_GREF;
	g->status = 1;      /* must be overwritten */
}

static void seg_to_gref(struct nc_copy_seg *g, const void *from,
			nc_gref_t ref, uint16_t off, uint16_t len)
{
	memset(g, 0, sizeof(*g));
	g->src.local = (void *)(uintptr_t)from;
	g->dst.foreign.ref = ref;
	g->dst.foreign.offset = off;
	g->dst.foreign.domid = plat.domid;
	g->len = len;
	g->flags = NC_COPY_DST_GREF;
	g->status = 1;
}

#define NSEG 150u     /* more than two batches */

static void test_copy(struct tap *t)
{
	static struct nc_copy_seg segs[NSEG];
	static uint8_t buf[NC_PAGE_SIZE], in[NC_PAGE_SIZE];
	nc_gref_t ref, roref;
	uint8_t *s, *r;
	unsigned i;
	int rc;

	if (!need_xen(t))
		return;
	s = G(share, plat.domid, 1, 0, &ref);
	r = G(share, plat.domid, 1, 1, &roref);
	if (!CHECK(t, s && r))
		goto out;
	for (i = 0; i < NC_PAGE_SIZE; i++)
		s[i] = (uint8_t)(i * 7 + 3);

	/* out of a grant */
	memset(buf, 0, sizeof(buf));
	seg_from_gref(&segs[0], ref, 100, buf, 200);
	CHECK_EQ(t, G(copy, segs, 1), NC_OK);
	CHECK_EQ(t, segs[0].status, NC_OK);
	CHECK(t, memcmp(buf, s + 100, 200) == 0);

	/* into a grant */
	memset(in, 0xEE, sizeof(in));
	seg_to_gref(&segs[0], in, ref, 3000, 1000);
	CHECK_EQ(t, G(copy, segs, 1), NC_OK);
	CHECK_EQ(t, segs[0].status, NC_OK);
	CHECK(t, all_bytes(s + 3000, 1000, 0xEE));
	CHECK_EQ(t, s[2999], (uint8_t)(2999 * 7 + 3));

	/* a read-only grant: out yes, in no */
	r[5] = 0x99;
	seg_from_gref(&segs[0], roref, 0, buf, 16);
	CHECK_EQ(t, G(copy, segs, 1), NC_OK);
	CHECK_EQ(t, buf[5], 0x99);
	seg_to_gref(&segs[0], in, roref, 0, 16);
	rc = G(copy, segs, 1);
	CHECK(t, rc != NC_OK);
	CHECK(t, segs[0].status != NC_OK);
	CHECK_EQ(t, rc, segs[0].status);
	CHECK_EQ(t, r[0], 0);
	CHECK_EQ(t, r[5], 0x99);

	/* one bad segment fails alone: crossing a page, a bogus ref, a
	 * local-to-local copy in between good ones */
	memset(buf, 0, sizeof(buf));
	seg_from_gref(&segs[0], ref, 0, buf, 8);
	seg_from_gref(&segs[1], ref, 4000, buf + 8, 200);     /* crosses */
	seg_from_gref(&segs[2], 0xFFFFFu, 0, buf + 8, 8);     /* no such */
	memset(&segs[3], 0, sizeof(segs[3]));
	segs[3].src.local = in;
	segs[3].dst.local = buf + 16;
	segs[3].len = 8;
	seg_from_gref(&segs[4], ref, 8, buf + 24, 8);
	rc = G(copy, segs, 5);
	CHECK_EQ(t, rc, NC_EINVAL);                /* the first failure */
	CHECK_EQ(t, segs[0].status, NC_OK);
	CHECK_EQ(t, segs[1].status, NC_EINVAL);
	CHECK(t, segs[2].status != NC_OK);
	tap_diag("bogus ref: %d", segs[2].status);
	CHECK_EQ(t, segs[3].status, NC_OK);
	CHECK_EQ(t, segs[4].status, NC_OK);
	CHECK(t, memcmp(buf, s, 8) == 0);
	CHECK(t, all_bytes(buf + 16, 8, 0xEE));
	CHECK(t, memcmp(buf + 24, s + 8, 8) == 0);

	/* many segments: several kernel calls */
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < NSEG; i++)
		seg_from_gref(&segs[i], ref, (uint16_t)(i * 16), buf + i * 16,
			      16);
	CHECK_EQ(t, G(copy, segs, NSEG), NC_OK);
	for (i = 0; i < NSEG; i++)
		if (segs[i].status != NC_OK)
			break;
	CHECK_EQ(t, i, NSEG);
	CHECK(t, memcmp(buf, s, NSEG * 16) == 0);
out:
	if (s)
		CHECK_EQ(t, G(unshare, s, 1), NC_OK);
	if (r)
		CHECK_EQ(t, G(unshare, r, 1), NC_OK);
}

/* --------------------------------------------------------------- events */

static int take(nc_port_t *port)
{
	if (!wait_readable(EV_FD(), WAIT_MS))
		return 0;
	return E(pending, port);
}

static void test_events(struct tap *t)
{
	nc_port_t a = 0, b = 0, p = 0;
	unsigned i;
	int rc;

	if (!need_xen(t))
		return;
	for (i = 0; i < 64 && E(pending, &p) > 0; i++)
		;                        /* leftovers of earlier cases */
	CHECK_EQ(t, E(pending, &p), 0);  /* nothing: returns at once */
	if (!CHECK_EQ_OK(t, E(alloc_unbound, plat.domid, &a)))
		return;
	if (!CHECK_EQ_OK(t, E(bind_interdomain, plat.domid, a, &b))) {
		E(unbind, a);
		return;
	}
	tap_diag("ports %u <-> %u", (unsigned)a, (unsigned)b);
	CHECK(t, a != b);
	/* Xen marks a freshly bound interdomain port pending, in case the
	 * remote end notified while it was unbound: take that one first. */
	if (take(&p) == 1)
		tap_diag("pending after bind: port %u", (unsigned)p);
	CHECK_EQ(t, E(pending, &p), 0);

	CHECK_EQ(t, E(notify, b), NC_OK);
	CHECK_EQ(t, take(&p), 1);
	CHECK_EQ(t, p, a);
	CHECK_EQ(t, E(pending, &p), 0);

	CHECK_EQ(t, E(notify, a), NC_OK);
	CHECK_EQ(t, take(&p), 1);
	CHECK_EQ(t, p, b);
	CHECK_EQ(t, E(pending, &p), 0);

	/* unmasked again: a second round works */
	CHECK_EQ(t, E(notify, b), NC_OK);
	CHECK_EQ(t, take(&p), 1);
	CHECK_EQ(t, p, a);

	/* a storm is a few wakeups, never more than notifies */
	for (i = 0; i < 100; i++)
		E(notify, b);
	for (i = 0; i < 200; i++) {
		rc = wait_readable(EV_FD(), 200) ? E(pending, &p) : 0;
		if (rc <= 0)
			break;
		CHECK_EQ(t, p, a);
	}
	tap_diag("100 notifies: %u events", i);
	CHECK(t, i >= 1 && i <= 100);

	/* closed ends */
	CHECK_EQ(t, E(unbind, b), NC_OK);
	CHECK_EQ(t, E(unbind, b), NC_EBADF);
	CHECK_EQ(t, E(notify, b), NC_EBADF);
	/* the peer is gone: Xen drops the event, and cannot say so */
	CHECK_EQ(t, E(notify, a), NC_OK);
	rc = wait_readable(EV_FD(), 200) ? E(pending, &p) : 0;
	CHECK(t, rc != 2);
	CHECK_EQ(t, E(unbind, a), NC_OK);
	CHECK_EQ(t, E(notify, a), NC_EBADF);
}

/* ---------------------------------------------------------------- store */

static int next_watch(char *path, size_t plen, char *token, size_t tlen)
{
	if (!wait_readable(ST_FD(), WAIT_MS))
		return 0;
	return S(read_watch, path, plen, token, tlen);
}

static void drain_watches(void)
{
	char path[NC_STORE_MAX_PATH], token[64];

	while (wait_readable(ST_FD(), 200) &&
	       S(read_watch, path, sizeof(path), token, sizeof(token)) > 0)
		;
}

static void test_store(struct tap *t)
{
	char base[128], key[160], path[NC_STORE_MAX_PATH], token[64];
	char buf[64];
	nc_txn_t txn;
	unsigned tries;
	int rc = NC_EIO;

	if (!need_xen(t))
		return;
	snprintf(base, sizeof(base), "/local/domain/%u/data/netchannel-test-%d",
		 (unsigned)plat.domid, (int)getpid());
	snprintf(key, sizeof(key), "%s/key", base);
	CHECK_EQ(t, S(rm, NC_TXN_NONE, base), NC_OK);
	CHECK_EQ(t, S(write, NC_TXN_NONE, key, "hello"), NC_OK);
	CHECK_EQ(t, S(read, NC_TXN_NONE, key, buf, sizeof(buf)), 5);
	CHECK(t, strcmp(buf, "hello") == 0);
	CHECK_EQ(t, S(directory, NC_TXN_NONE, base, buf, sizeof(buf)), 4);
	CHECK(t, strcmp(buf, "key") == 0);
	/* the relative path nc_xen_open reads */
	rc = S(read, NC_TXN_NONE, "domid", buf, sizeof(buf));
	tap_diag("relative \"domid\": %d %s", rc, rc > 0 ? buf : "");

	/* a watch fires once at registration, then on each change */
	if (CHECK_EQ_OK(t, S(watch, base, "tok"))) {
		CHECK_EQ(t, next_watch(path, sizeof(path), token,
				       sizeof(token)), 1);
		CHECK(t, strcmp(path, base) == 0);
		CHECK(t, strcmp(token, "tok") == 0);
		drain_watches();
		CHECK_EQ(t, S(write, NC_TXN_NONE, key, "again"), NC_OK);
		CHECK_EQ(t, next_watch(path, sizeof(path), token,
				       sizeof(token)), 1);
		CHECK(t, strcmp(path, key) == 0);
		CHECK(t, strcmp(token, "tok") == 0);
		CHECK_EQ(t, S(unwatch, base, "tok"), NC_OK);
		drain_watches();
	}

	/* a transaction, retried on a conflict */
	snprintf(path, sizeof(path), "%s/t", base);
	for (tries = 0; tries < 10; tries++) {
		if (!CHECK_EQ_OK(t, S(txn_start, &txn)))
			break;
		CHECK_EQ(t, S(write, txn, path, "1"), NC_OK);
		rc = S(txn_end, txn, 1);
		if (rc != NC_EAGAIN)
			break;
	}
	CHECK_EQ(t, rc, NC_OK);
	CHECK_EQ(t, S(read, NC_TXN_NONE, path, buf, sizeof(buf)), 1);

	CHECK_EQ(t, S(rm, NC_TXN_NONE, base), NC_OK);
	CHECK_EQ(t, S(read, NC_TXN_NONE, key, buf, sizeof(buf)), NC_ENOENT);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "open (fails cleanly without /dev/xen)", test_open);
	tap_run(&t, "share to self, map back, data both ways", test_share_map);
	tap_run(&t, "unshare while mapped: NC_OK, page kept",
		test_unshare_while_mapped);
	tap_run(&t, "read-only grant maps read-only only", test_readonly);
	tap_run(&t, "grant copy in and out, batches, refusals", test_copy);
	tap_run(&t, "event channel looped in this domain", test_events);
	tap_run(&t, "store write/read/watch/transaction", test_store);
	nc_xen_close(xh);
	return tap_done(&t);
}

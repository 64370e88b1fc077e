/*
 * test_sim_platform.c - the simulator's grants and event channels
 * (netchannel/sim.h) against a real `netchannel sim` daemon that this
 * test starts itself: the path of the `netchannel` binary comes from
 * $NC_SIM_BINARY or argv[1]; without one, every case is skipped.
 *
 * Several handles in this process play different domains; forked child
 * processes play others (a read-only mapping written to, a domain killed
 * with SIGKILL, the frontend of a vif).  At the end, the real netfront
 * (domain 1, a child process) sends 1,000,000 frames to the real netback
 * (domain 0, this process) through the daemon, byte-exact, in poison
 * mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "netchannel/back.h"
#include "netchannel/front.h"
#include "netchannel/sim.h"
#include "netchannel/toolstack.h"
#include "sim/plat_proto.h"

#define DOMAINS "4"

/* ------------------------------------------------------------ daemon */

struct daemon {
	int up;
	pid_t pid;
	char dir[64];
	char why[160];          /* why the cases are skipped */
};

/* The daemon of this run: started in main, used by every case. */
static struct daemon D;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int path_exists(const char *dir, const char *rel)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0;
}

static void daemon_start(const char *bin)
{
	double t0;

	if (!bin || !*bin) {
		snprintf(D.why, sizeof(D.why), "no netchannel binary "
			 "(set NC_SIM_BINARY or pass it as argv[1])");
		return;
	}
	strcpy(D.dir, "/tmp/nc-sim-test.XXXXXX");
	if (!mkdtemp(D.dir)) {
		snprintf(D.why, sizeof(D.why), "mkdtemp: %s", strerror(errno));
		return;
	}
	fflush(NULL);
	D.pid = fork();
	if (D.pid == 0) {
		execl(bin, bin, "sim", "--run-dir", D.dir, "--domains",
		      DOMAINS, (char *)NULL);
		_exit(127);
	}
	/* DIR/xenstored/socket is made last: then every socket exists. */
	for (t0 = now(); now() - t0 < 20; sleep_ms(10)) {
		if (path_exists(D.dir, "xenstored/socket")) {
			D.up = 1;
			return;
		}
		if (waitpid(D.pid, NULL, WNOHANG) == D.pid)
			break;
	}
	snprintf(D.why, sizeof(D.why), "%s sim did not start", bin);
	D.pid = 0;
}

static int daemon_stop(void)
{
	int st = 0;

	if (D.pid <= 0)
		return 0;
	kill(D.pid, SIGTERM);
	waitpid(D.pid, &st, 0);
	rmdir(D.dir);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int daemon_alive(void)
{
	return D.pid > 0 && waitpid(D.pid, NULL, WNOHANG) == 0;
}

static int need_daemon(struct tap *t)
{
	if (!D.up)
		tap_skip(t, "%s", D.why);
	return D.up;
}

/* ----------------------------------------------------------- helpers */

static struct nc_sim_handle *join(struct tap *t, nc_domid_t d,
				  struct nc_platform *p)
{
	struct nc_sim_handle *h = nc_sim_open(D.dir, d, p);

	if (!CHECK(t, h != NULL))
		tap_diag("nc_sim_open(%u): %s", (unsigned)d, strerror(errno));
	return h;
}

static void *share(struct nc_platform *p, nc_domid_t peer, unsigned n,
		   int ro, nc_gref_t *refs)
{
	return p->grants.ops->share(p->grants.ctx, peer, n, ro, refs);
}

static int unshare(struct nc_platform *p, void *base, unsigned n)
{
	return p->grants.ops->unshare(p->grants.ctx, base, n);
}

static uint8_t *map(struct nc_platform *p, nc_domid_t peer, unsigned n,
		    const nc_gref_t *refs, int writable)
{
	return p->grants.ops->map(p->grants.ctx, peer, n, refs, writable);
}

static int unmap(struct nc_platform *p, void *addr, unsigned n)
{
	return p->grants.ops->unmap(p->grants.ctx, addr, n);
}

static int gcopy(struct nc_platform *p, struct nc_copy_seg *s, unsigned n)
{
	return p->grants.ops->copy(p->grants.ctx, s, n);
}

static int ev_alloc(struct nc_platform *p, nc_domid_t remote, nc_port_t *o)
{
	return p->events.ops->alloc_unbound(p->events.ctx, remote, o);
}

static int ev_bind(struct nc_platform *p, nc_domid_t remote, nc_port_t rp,
		   nc_port_t *o)
{
	return p->events.ops->bind_interdomain(p->events.ctx, remote, rp, o);
}

static int ev_notify(struct nc_platform *p, nc_port_t port)
{
	return p->events.ops->notify(p->events.ctx, port);
}

static int ev_unbind(struct nc_platform *p, nc_port_t port)
{
	return p->events.ops->unbind(p->events.ctx, port);
}

static int ev_pending(struct nc_platform *p, nc_port_t *port)
{
	return p->events.ops->pending(p->events.ctx, port);
}

static int check_ok(struct tap *t, int rc, const char *what, int line)
{
	if (!tap_check(t, rc == NC_OK, what, __FILE__, line))
		printf("#   got %d (%s)\n", rc, nc_strerror(rc));
	return rc == NC_OK;
}
#define CHECK_OK(t, e) check_ok((t), (e), #e, __LINE__)

static int readable(int fd, int timeout_ms)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };

	return poll(&pf, 1, timeout_ms) == 1;
}

static int ev_readable(struct nc_platform *p, int timeout_ms)
{
	return readable(p->events.ops->fd(p->events.ctx), timeout_ms);
}

static struct nc_sim_counts counts(struct tap *t, nc_domid_t d)
{
	struct nc_sim_counts c;

	memset(&c, 0xff, sizeof(c));
	CHECK_EQ(t, nc_sim_counts(D.dir, d, &c), NC_OK);
	return c;
}

/* Wait until domain d has `procs` processes (the daemon reads a hang-up
 * asynchronously). */
static struct nc_sim_counts wait_processes(struct tap *t, nc_domid_t d,
					   unsigned procs)
{
	struct nc_sim_counts c = counts(t, d);
	double t0 = now();

	while (c.processes != procs && now() - t0 < 10) {
		sleep_ms(5);
		c = counts(t, d);
	}
	return c;
}

static void check_idle(struct tap *t, nc_domid_t d, unsigned procs)
{
	struct nc_sim_counts c = wait_processes(t, d, procs);

	CHECK_EQ(t, c.grants, 0);
	CHECK_EQ(t, c.mapped, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, c.processes, procs);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static int same(const uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (uint8_t)(seed * 31u + i * 7u + (i >> 8)))
			return 0;
	return 1;
}

/* -------------------------------------------------------------- grants */

static void test_share_map_roundtrip(struct tap *t)
{
	struct nc_platform p1, p2;
	struct nc_sim_handle *h1, *h2;
	nc_gref_t a[1], b[2], refs[3];
	uint8_t *pa, *pb, *m;
	struct nc_sim_counts c;

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	h2 = join(t, 2, &p2);
	if (!h1 || !h2)
		goto out;
	pa = share(&p1, 2, 1, 0, a);
	pb = share(&p1, 2, 2, 0, b);
	CHECK(t, pa && pb);
	CHECK(t, a[0] >= 8 && b[0] >= 8 && b[1] >= 8);
	CHECK(t, a[0] != b[0] && b[0] != b[1] && a[0] != b[1]);
	if (!pa || !pb)
		goto out;
	CHECK(t, pa[0] == 0 && pb[8191] == 0);     /* zeroed */
	fill(pa, 4096, 1);
	fill(pb, 8192, 2);
	/* one mapping over two shares: a page of b, a, another page of b */
	refs[0] = b[1];
	refs[1] = a[0];
	refs[2] = b[0];
	m = map(&p2, 1, 3, refs, 1);
	CHECK(t, m != NULL);
	if (m) {
		CHECK(t, same(m, 4096, 1) == 0);
		CHECK(t, memcmp(m, pb + 4096, 4096) == 0);
		CHECK(t, same(m + 4096, 4096, 1));
		CHECK(t, memcmp(m + 8192, pb, 4096) == 0);
		/* and back: the granter sees the grantee's writes */
		memcpy(m + 4096, "from domain 2", 14);
		CHECK(t, memcmp(pa, "from domain 2", 14) == 0);
		c = counts(t, 1);
		CHECK_EQ(t, c.grants, 3);
		CHECK_EQ(t, c.processes, 1);
		c = counts(t, 2);
		CHECK_EQ(t, c.mapped, 3);
		CHECK_EQ(t, unmap(&p2, m, 3), NC_OK);
		CHECK_EQ(t, unmap(&p2, m, 3), NC_EINVAL);
	}
	CHECK_EQ(t, unshare(&p1, pa, 1), NC_OK);
	CHECK_EQ(t, unshare(&p1, pb, 2), NC_OK);
	CHECK_EQ(t, unshare(&p1, pb, 2), NC_ENOENT);
	/* a revoked grant maps no more */
	CHECK(t, map(&p2, 1, 1, a, 0) == NULL);
	check_idle(t, 1, 1);
	check_idle(t, 2, 1);
out:
	nc_sim_close(h1);
	nc_sim_close(h2);
}

static void test_only_grantee_maps(struct tap *t)
{
	struct nc_platform p1, p2, p3;
	struct nc_sim_handle *h1, *h2, *h3;
	nc_gref_t r[1], bad[1] = { 3 };
	uint8_t *pg, *m;

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	h2 = join(t, 2, &p2);
	h3 = join(t, 3, &p3);
	if (!h1 || !h2 || !h3)
		goto out;
	pg = share(&p1, 3, 1, 0, r);      /* domain 1 grants to domain 3 */
	CHECK(t, pg != NULL);
	if (!pg)
		goto out;
	memcpy(pg, "for three", 10);
	CHECK(t, map(&p2, 1, 1, r, 0) == NULL);   /* domain 2 refused */
	CHECK(t, map(&p2, 1, 1, r, 1) == NULL);
	CHECK(t, map(&p3, 1, 1, bad, 0) == NULL); /* a reserved ref */
	CHECK(t, map(&p3, 2, 1, r, 0) == NULL);   /* the wrong granter */
	CHECK(t, map(&p3, 9, 1, r, 0) == NULL);   /* no such domain */
	CHECK_EQ(t, counts(t, 2).mapped, 0);
	m = map(&p3, 1, 1, r, 0);
	CHECK(t, m && strcmp((char *)m, "for three") == 0);
	if (m)
		CHECK_EQ(t, unmap(&p3, m, 1), NC_OK);
	CHECK_EQ(t, unshare(&p1, pg, 1), NC_OK);
out:
	nc_sim_close(h1);
	nc_sim_close(h2);
	nc_sim_close(h3);
}

/* In a child: write to addr.  Its exit says what happened. */
static int child_writes(volatile uint8_t *addr)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		addr[0] = 0x55;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static int raw_connect(nc_domid_t d);
static int raw_hello(int fd, int join_domain);
static int raw_request(int fd, uint16_t op, const void *body, uint32_t len,
		       int sendfd);

/* As a hostile grantee would: MAP through a raw connection of domain 2
 * and keep the fd.  Returns it, or -1; *conn gets the connection. */
static int raw_map_fd(nc_gref_t ref, int *conn)
{
	struct {
		struct ncsp_map q;
		uint32_t ref;
	} req = { { .granter = 1, .writable = 0, .n = 1 }, ref };
	uint8_t buf[NCSP_MAX_MSG];
	int fds[NCSP_MAX_FDS];
	unsigned nfds = 0, i;
	int hello_done = 0;

	*conn = raw_connect(2);
	if (*conn < 0 || raw_hello(*conn, 1) < 0)
		return -1;
	for (i = 0; i < 2; i++) {      /* HELLO's reply, then MAP's */
		if (!readable(*conn, 5000) ||
		    ncsp_recv(*conn, buf, sizeof(buf), fds, &nfds, 0) <= 0)
			return -1;
		if (i == 0) {
			ncsp_close_fds(fds, nfds);
			hello_done = raw_request(*conn, NCSP_MAP, &req,
						 sizeof(req), -1) == 0;
		}
	}
	if (!hello_done || nfds != 1)
		return -1;
	return fds[0];
}

/* Whatever the holder of a read-only grant's fd tries, it gets no
 * writable mapping: the fd is read-only, and a read-write reopen through
 * /proc meets the memfd's seal. */
static void check_fd_unwritable(struct tap *t, int fd)
{
	char path[64];
	int rw;

	CHECK(t, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
		 == MAP_FAILED);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	rw = open(path, O_RDWR);
	if (rw < 0)
		return;
	CHECK(t, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0)
		 == MAP_FAILED);
	CHECK(t, write(rw, "x", 1) < 0);
	CHECK(t, ftruncate(rw, 0) < 0);
	close(rw);
}

static void test_readonly_grant(struct tap *t)
{
	struct nc_platform p1, p2;
	struct nc_sim_handle *h1, *h2;
	uint8_t *pg, *m;
	nc_gref_t r[2];
	int raw, conn = -1;

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	h2 = join(t, 2, &p2);
	if (!h1 || !h2)
		goto out;
	pg = share(&p1, 2, 2, 1, r);
	CHECK(t, pg != NULL);
	if (!pg)
		goto out;
	fill(pg, 8192, 9);                 /* the granter writes freely */
	CHECK(t, map(&p2, 1, 2, r, 1) == NULL);   /* writable: refused */
	CHECK_EQ(t, counts(t, 2).mapped, 0);
	m = map(&p2, 1, 2, r, 0);
	CHECK(t, m != NULL);
	if (m) {
		CHECK(t, same(m, 8192, 9));
		/* the MMU enforces it: a write kills the writer */
		CHECK_EQ(t, child_writes(m + 4100), SIGSEGV);
		CHECK(t, same(m, 8192, 9));
		pg[0] = 0xAB;               /* the granter still can */
		CHECK_EQ(t, m[0], 0xAB);
		CHECK_EQ(t, unmap(&p2, m, 2), NC_OK);
	}
	/* the granter's own page stays writable after the seal */
	CHECK_EQ(t, child_writes(pg), 0);
	raw = raw_map_fd(r[1], &conn);
	CHECK(t, raw >= 0);
	if (raw >= 0)
		check_fd_unwritable(t, raw);
	if (raw >= 0)
		close(raw);
	if (conn >= 0)
		close(conn);
	/* that connection's mapping went with it */
	CHECK_EQ(t, wait_processes(t, 2, 1).mapped, 0);
	CHECK_EQ(t, unshare(&p1, pg, 2), NC_OK);
out:
	nc_sim_close(h1);
	nc_sim_close(h2);
}

static void test_unshare_while_mapped(struct tap *t)
{
	struct nc_platform p1, p2;
	struct nc_sim_handle *h1, *h2;
	uint8_t *pg, *m;
	nc_gref_t r[4];

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	h2 = join(t, 2, &p2);
	if (!h1 || !h2)
		goto out;
	pg = share(&p1, 2, 4, 0, r);
	CHECK(t, pg != NULL);
	if (!pg)
		goto out;
	m = map(&p2, 1, 1, &r[2], 0);      /* one page of four */
	CHECK(t, m != NULL);
	CHECK_EQ(t, unshare(&p1, pg, 4), NC_EBUSY);
	CHECK_EQ(t, counts(t, 1).grants, 4);   /* nothing was freed */
	pg[3 * 4096] = 7;                       /* still ours */
	if (m)
		CHECK_EQ(t, unmap(&p2, m, 1), NC_OK);
	CHECK_EQ(t, unshare(&p1, pg, 4), NC_OK);
	check_idle(t, 1, 1);
	check_idle(t, 2, 1);
out:
	nc_sim_close(h1);
	nc_sim_close(h2);
}

static void seg_from_gref(struct nc_copy_seg *s, nc_domid_t dom,
			  nc_gref_t ref, uint16_t off, void *to, uint16_t len)
{
	memset(s, 0, sizeof(*s));
	s->src.foreign.domid = dom;
	s->src.foreign.ref = ref;
	s->src.foreign.offset = off;
	s->dst.local = to;
	s->len = len;
	s->flags = NC_COPY_SRC_GREF;
}

static void seg_to_gref(struct nc_copy_seg *s, const void *from,
			nc_domid_t dom, nc_gref_t ref, uint16_t off,
			uint16_t len)
{
	memset(s, 0, sizeof(*s));
	s->src.local = (void *)from;
	s->dst.foreign.domid = dom;
	s->dst.foreign.ref = ref;
	s->dst.foreign.offset = off;
	s->len = len;
	s->flags = NC_COPY_DST_GREF;
}

static void test_grant_copy(struct tap *t)
{
	struct nc_platform p1, p2, p3;
	struct nc_sim_handle *h1, *h2, *h3;
	struct nc_copy_seg s[3];
	uint8_t *rw, *ro, buf[4096];
	nc_gref_t rwr[2], ror[1];

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	h2 = join(t, 2, &p2);
	h3 = join(t, 3, &p3);
	if (!h1 || !h2 || !h3)
		goto out;
	rw = share(&p1, 2, 2, 0, rwr);
	ro = share(&p1, 2, 1, 1, ror);
	CHECK(t, rw && ro);
	if (!rw || !ro)
		goto out;
	fill(rw, 8192, 3);
	fill(ro, 4096, 4);
	/* from a grant, in two segments, and from a read-only one */
	seg_from_gref(&s[0], 1, rwr[1], 100, buf, 1000);
	seg_from_gref(&s[1], 1, rwr[0], 0, buf + 1000, 4096 - 1000);
	CHECK_EQ(t, gcopy(&p2, s, 2), NC_OK);
	CHECK_EQ(t, s[0].status, NC_OK);
	CHECK(t, memcmp(buf, rw + 4096 + 100, 1000) == 0);
	CHECK(t, memcmp(buf + 1000, rw, 3096) == 0);
	seg_from_gref(&s[0], 1, ror[0], 0, buf, 4096);
	CHECK_EQ(t, gcopy(&p2, s, 1), NC_OK);
	CHECK(t, same(buf, 4096, 4));
	/* into a grant: the granter sees it */
	seg_to_gref(&s[0], "copied in", 1, rwr[0], 4000, 10);
	CHECK_EQ(t, gcopy(&p2, s, 1), NC_OK);
	CHECK(t, memcmp(rw + 4000, "copied in", 10) == 0);
	/* grant to grant */
	seg_to_gref(&s[0], NULL, 1, rwr[1], 0, 16);
	s[0].flags |= NC_COPY_SRC_GREF;
	s[0].src.foreign.domid = 1;
	s[0].src.foreign.ref = ror[0];
	s[0].src.foreign.offset = 16;
	CHECK_EQ(t, gcopy(&p2, s, 1), NC_OK);
	CHECK(t, memcmp(rw + 4096, ro + 16, 16) == 0);
	/* refusals: another domain, into a read-only grant, across the
	 * page; each segment has its own status */
	seg_from_gref(&s[0], 1, rwr[0], 0, buf, 16);
	CHECK_EQ(t, gcopy(&p3, s, 1), NC_EPERM);
	CHECK_EQ(t, s[0].status, NC_EPERM);
	seg_to_gref(&s[0], "no", 1, ror[0], 0, 2);
	seg_from_gref(&s[1], 1, rwr[0], 4090, buf, 7);
	seg_from_gref(&s[2], 1, rwr[0], 4089, buf, 7);
	CHECK_EQ(t, gcopy(&p2, s, 3), NC_EPERM);
	CHECK_EQ(t, s[0].status, NC_EPERM);
	CHECK_EQ(t, s[1].status, NC_EPERM);
	CHECK_EQ(t, s[2].status, NC_OK);
	CHECK(t, same(ro, 4096, 4));
	/* a copy holds nothing: unshare works, then the grant is gone */
	CHECK_EQ(t, unshare(&p1, rw, 2), NC_OK);
	seg_from_gref(&s[0], 1, rwr[0], 0, buf, 16);
	CHECK_EQ(t, gcopy(&p2, s, 1), NC_EPERM);
	CHECK_EQ(t, unshare(&p1, ro, 1), NC_OK);
	CHECK_EQ(t, counts(t, 2).mapped, 0);
out:
	nc_sim_close(h1);
	nc_sim_close(h2);
	nc_sim_close(h3);
}

/* -------------------------------------------------------------- events */

struct chan {
	struct nc_platform p1, p2;
	struct nc_sim_handle *h1, *h2;
	nc_port_t a, b;           /* domain 1's port, domain 2's */
};

static int chan_open(struct tap *t, struct chan *c)
{
	memset(c, 0, sizeof(*c));
	c->h1 = join(t, 1, &c->p1);
	c->h2 = join(t, 2, &c->p2);
	if (!c->h1 || !c->h2)
		return -1;
	if (!CHECK_OK(t, ev_alloc(&c->p1, 2, &c->a)) ||
	    !CHECK_OK(t, ev_bind(&c->p2, 1, c->a, &c->b)))
		return -1;
	return 0;
}

static void chan_close(struct chan *c)
{
	nc_sim_close(c->h1);
	nc_sim_close(c->h2);
}

static void test_event_channel(struct tap *t)
{
	struct nc_platform p3;
	struct nc_sim_handle *h3 = NULL;
	struct chan c;
	nc_port_t got = 0, x;

	if (!need_daemon(t))
		return;
	if (chan_open(t, &c) < 0)
		goto out;
	CHECK(t, c.a > 0 && c.b > 0);
	/* the daemon's notice that domain 2 bound our port wakes us once,
	 * and is no event */
	CHECK(t, ev_readable(&c.p1, 2000));
	CHECK_EQ(t, ev_pending(&c.p1, &got), 0);
	CHECK(t, !ev_readable(&c.p1, 0));
	/* 2 -> 1 */
	CHECK_EQ(t, ev_notify(&c.p2, c.b), NC_OK);
	CHECK(t, ev_readable(&c.p1, 2000));
	CHECK_EQ(t, ev_pending(&c.p1, &got), 1);
	CHECK_EQ(t, got, c.a);
	CHECK_EQ(t, ev_pending(&c.p1, &got), 0);
	CHECK(t, !ev_readable(&c.p1, 0));
	/* 1 -> 2 (domain 1 learns its peer from the daemon's notice) */
	CHECK_EQ(t, ev_notify(&c.p1, c.a), NC_OK);
	CHECK(t, ev_readable(&c.p2, 2000));
	CHECK_EQ(t, ev_pending(&c.p2, &got), 1);
	CHECK_EQ(t, got, c.b);
	/* a bound port binds no more; a port for domain 2 is not domain
	 * 3's to bind */
	h3 = join(t, 3, &p3);
	CHECK_EQ(t, ev_bind(&p3, 1, c.a, &x), NC_EINVAL);
	CHECK_EQ(t, ev_alloc(&c.p1, 2, &x), NC_OK);
	CHECK_EQ(t, ev_bind(&p3, 1, x, &got), NC_EINVAL);
	CHECK_EQ(t, ev_bind(&p3, 1, 999, &got), NC_EINVAL);
	CHECK_EQ(t, ev_notify(&c.p1, x), NC_ENOTCONN);  /* never bound */
	CHECK_EQ(t, ev_unbind(&c.p1, x), NC_OK);
	CHECK_EQ(t, counts(t, 1).ports, 1);
	CHECK_EQ(t, counts(t, 2).ports, 1);
out:
	nc_sim_close(h3);
	chan_close(&c);
}

static void test_event_storm(struct tap *t)
{
	struct chan c;
	nc_port_t got;
	unsigned i;

	if (!need_daemon(t))
		return;
	if (chan_open(t, &c) < 0)
		goto out;
	for (i = 0; i < 100000; i++)
		if (ev_notify(&c.p2, c.b) != NC_OK)
			break;
	CHECK_EQ(t, i, 100000);
	CHECK(t, ev_readable(&c.p1, 2000));
	/* coalesced: one pending event, then nothing */
	CHECK_EQ(t, ev_pending(&c.p1, &got), 1);
	CHECK_EQ(t, ev_pending(&c.p1, &got), 0);
	CHECK(t, !ev_readable(&c.p1, 0));
out:
	chan_close(&c);
}

static void test_peer_closes(struct tap *t)
{
	struct chan c;
	nc_port_t got = 0;

	if (!need_daemon(t))
		return;
	if (chan_open(t, &c) < 0)
		goto out;
	CHECK_EQ(t, ev_unbind(&c.p2, c.b), NC_OK);
	CHECK_EQ(t, ev_notify(&c.p2, c.b), NC_EBADF);   /* our closed port */
	CHECK_EQ(t, ev_unbind(&c.p2, c.b), NC_EBADF);
	CHECK_EQ(t, ev_notify(&c.p2, 777), NC_EBADF);   /* never ours */
	/* domain 1 hears of it once, through its fd */
	CHECK(t, ev_readable(&c.p1, 2000));
	CHECK_EQ(t, ev_pending(&c.p1, &got), 2);
	CHECK_EQ(t, got, c.a);
	CHECK_EQ(t, ev_pending(&c.p1, &got), 0);
	CHECK(t, !ev_readable(&c.p1, 0));
	CHECK_EQ(t, ev_notify(&c.p1, c.a), NC_ENOTCONN);
	/* the port fell back to unbound: domain 2 may bind it again */
	CHECK_EQ(t, ev_bind(&c.p2, 1, c.a, &c.b), NC_OK);
	CHECK_EQ(t, ev_notify(&c.p1, c.a), NC_OK);
	CHECK(t, ev_readable(&c.p2, 2000));
	CHECK_EQ(t, ev_pending(&c.p2, &got), 1);
	CHECK_EQ(t, ev_unbind(&c.p1, c.a), NC_OK);
	CHECK_EQ(t, ev_notify(&c.p1, c.a), NC_EBADF);
	CHECK(t, ev_readable(&c.p2, 2000));
	CHECK_EQ(t, ev_pending(&c.p2, &got), 2);
	CHECK_EQ(t, ev_notify(&c.p2, c.b), NC_ENOTCONN);
	CHECK_EQ(t, ev_unbind(&c.p2, c.b), NC_OK);
	check_idle(t, 1, 1);
	check_idle(t, 2, 1);
out:
	chan_close(&c);
}

/* ------------------------------------------------------- process death */

struct victim_report {
	nc_gref_t ref;          /* first of its 3 granted pages */
	nc_port_t port;         /* unbound, for domain 0 */
	int ok;
};

#define VICTIM_NODE "/local/domain/2/data/x"

/* Domain 2 in a child process: grants, a mapping of ours, a port, a
 * store node; then it waits to be killed. */
static void victim(int report_fd, nc_gref_t ours)
{
	struct victim_report r = { 0, 0, 0 };
	struct nc_platform p;
	struct nc_sim_handle *h = nc_sim_open(D.dir, 2, &p);
	uint8_t *pg = NULL, *m = NULL;
	nc_gref_t refs[3];

	if (h) {
		pg = share(&p, 0, 3, 0, refs);
		m = map(&p, 0, 1, &ours, 1);
	}
	if (pg && m) {
		fill(pg, 3 * 4096, 5);
		memcpy(m, "victim was here", 16);
		r.ref = refs[0];
		r.ok = ev_alloc(&p, 0, &r.port) == NC_OK &&
		       p.store.ops->write(p.store.ctx, NC_TXN_NONE,
					  VICTIM_NODE, "alive") == NC_OK;
	}
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	for (;;)
		pause();
}

static pid_t victim_start(nc_gref_t ours, struct victim_report *r)
{
	int fds[2];
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		victim(fds[1], ours);
	}
	close(fds[1]);
	if (pid > 0 && (!readable(fds[0], 20000) ||
			read(fds[0], r, sizeof(*r)) != sizeof(*r)))
		r->ok = 0;
	close(fds[0]);
	return pid;
}

/* A watch event on `path` arrives within the timeout. */
static int watch_fires(struct nc_platform *p, const char *path)
{
	char got[256], tok[32];
	double t0 = now();

	while (now() - t0 < 10) {
		readable(p->store.ops->fd(p->store.ctx), 100);
		while (p->store.ops->read_watch(p->store.ctx, got, sizeof(got),
						tok, sizeof(tok)) > 0)
			if (!strcmp(got, path))
				return 1;
	}
	return 0;
}

static void drain_watches(struct nc_platform *p)
{
	char got[256], tok[32];

	readable(p->store.ops->fd(p->store.ctx), 1000);
	while (p->store.ops->read_watch(p->store.ctx, got, sizeof(got), tok,
					sizeof(tok)) > 0)
		;
}

/* The toolstack's part: a directory domain 2 owns. */
static int victim_home(struct nc_platform *p0)
{
	static const struct nc_store_perm own2 = { 2, NC_PERM_NONE };
	const struct nc_store_ops *s = p0->store.ops;

	if (s->mkdir(p0->store.ctx, NC_TXN_NONE, "/local/domain/2/data"))
		return -1;
	return s->set_perms(p0->store.ctx, NC_TXN_NONE,
			    "/local/domain/2/data", &own2, 1);
}

static void kill9_check_daemon(struct tap *t, struct nc_platform *p0,
			       nc_port_t port)
{
	struct nc_sim_counts c = wait_processes(t, 2, 0);
	nc_port_t got = 0;
	char val[32];

	/* the daemon's accounting: everything of domain 2 released */
	CHECK_EQ(t, c.grants, 0);
	CHECK_EQ(t, c.mapped, 0);
	CHECK_EQ(t, c.ports, 0);
	CHECK_EQ(t, c.processes, 0);
	/* its end of our channel closed: we hear of it */
	CHECK(t, ev_readable(p0, 5000));
	CHECK_EQ(t, ev_pending(p0, &got), 2);
	CHECK_EQ(t, got, port);
	CHECK_EQ(t, ev_notify(p0, port), NC_ENOTCONN);
	/* the domain was released: its nodes are gone, the event fired */
	CHECK(t, watch_fires(p0, "@releaseDomain"));
	CHECK_EQ(t, p0->store.ops->read(p0->store.ctx, NC_TXN_NONE,
					VICTIM_NODE, val, sizeof(val)),
		 NC_ENOENT);
}

static void test_kill9_releases(struct tap *t)
{
	struct nc_platform p0, p2;
	struct nc_sim_handle *h0, *h2;
	struct victim_report r;
	struct nc_sim_counts c;
	uint8_t *pg = NULL, *m = NULL;
	nc_gref_t ours[1];
	nc_port_t port = 0;
	char val[32];
	pid_t pid;

	if (!need_daemon(t))
		return;
	h0 = join(t, 0, &p0);
	if (!h0 || !CHECK_OK(t, victim_home(&p0)))
		goto out;
	pg = share(&p0, 2, 1, 0, ours);
	if (!CHECK(t, pg != NULL))
		goto out;
	/* fork before any watch: no libxenstore thread to fork with */
	pid = victim_start(ours[0], &r);
	if (!CHECK(t, pid > 0 && r.ok))
		goto kill;
	m = map(&p0, 2, 1, &r.ref, 0);
	CHECK(t, m && same(m, 4096, 5));
	CHECK(t, memcmp(pg, "victim was here", 16) == 0);
	CHECK_OK(t, ev_bind(&p0, 2, r.port, &port));
	CHECK(t, p0.store.ops->read(p0.store.ctx, NC_TXN_NONE, VICTIM_NODE,
				    val, sizeof(val)) == 5);
	CHECK_OK(t, p0.store.ops->watch(p0.store.ctx, "@releaseDomain",
					"rel"));
	drain_watches(&p0);          /* the registration's own event */
	c = counts(t, 2);
	CHECK_EQ(t, c.grants, 3);
	CHECK_EQ(t, c.mapped, 1);
	CHECK_EQ(t, c.ports, 1);
	CHECK_EQ(t, c.processes, 1);
	CHECK_EQ(t, unshare(&p0, pg, 1), NC_EBUSY);     /* it maps ours */
kill:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	kill9_check_daemon(t, &p0, port);
	/* what we mapped of the dead domain stays valid memory */
	if (m) {
		CHECK(t, same(m, 4096, 5));
		CHECK_OK(t, unmap(&p0, m, 1));
	}
	/* its mapping of ours is gone with it */
	CHECK_OK(t, unshare(&p0, pg, 1));
	CHECK_OK(t, ev_unbind(&p0, port));
	check_idle(t, 0, 1);
	/* the domain can come back */
	h2 = join(t, 2, &p2);
	CHECK_EQ(t, counts(t, 2).processes, 1);
	nc_sim_close(h2);
	CHECK_EQ(t, wait_processes(t, 2, 0).processes, 0);
	CHECK(t, watch_fires(&p0, "@releaseDomain"));
	p0.store.ops->unwatch(p0.store.ctx, "@releaseDomain", "rel");
out:
	nc_sim_close(h0);
}

/* ------------------------------------------------------------ garbage */

static int raw_connect(nc_domid_t d)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s/domain/%u/platform.sock",
		 D.dir, (unsigned)d);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int raw_request(int fd, uint16_t op, const void *body, uint32_t len,
		       int sendfd)
{
	struct ncsp_req_hdr h = { .op = op, .seq = 1, .len = len };

	return ncsp_send(fd, &h, sizeof(h), body, len, &sendfd,
			 sendfd >= 0 ? 1 : 0, MSG_DONTWAIT);
}

static int raw_hello(int fd, int join_domain)
{
	struct ncsp_hello q = { NCSP_MAGIC, NCSP_VERSION,
				(uint16_t)join_domain };

	return raw_request(fd, NCSP_HELLO, &q, sizeof(q), -1);
}

/* The daemon closes fd (replies before the end are read and dropped). */
static int closed_by_daemon(int fd)
{
	uint8_t buf[NCSP_MAX_MSG + 64];
	double t0 = now();
	ssize_t n;

	while (now() - t0 < 5) {
		readable(fd, 100);
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			;
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return 1;
	}
	return 0;
}

/* The reply status of one request on a raw connection. */
static int raw_status(int fd)
{
	struct ncsp_rep_hdr h;
	uint8_t buf[NCSP_MAX_MSG];
	int fds[NCSP_MAX_FDS];
	unsigned nfds;

	if (!readable(fd, 5000) ||
	    ncsp_recv(fd, buf, sizeof(buf), fds, &nfds, 0) < (ssize_t)sizeof(h))
		return 1;
	ncsp_close_fds(fds, nfds);
	memcpy(&h, buf, sizeof(h));
	return h.status;
}

static int garbage_random(uint32_t *seed)
{
	uint8_t buf[600];
	unsigned i, k, n;
	int fd = raw_connect(1), closed;

	if (fd < 0)
		return 0;
	for (k = 0; k < 1 + *seed % 4; k++) {
		n = 1 + (*seed = *seed * 1103515245u + 12345u) % sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)((*seed = *seed * 1103515245u +
					    12345u) >> 16);
		send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	closed = closed_by_daemon(fd);
	close(fd);
	return closed;
}

/* One malformed message of each kind: each closes its connection. */
static void garbage_kinds(struct tap *t)
{
	static uint8_t big[NCSP_MAX_MSG + 100];
	struct ncsp_req_hdr lie = { .op = NCSP_HELLO, .seq = 1, .len = 1000 };
	struct ncsp_map huge = { .granter = 1, .n = 0x40000000 };
	struct ncsp_counts q = { .domid = 1 };
	int fd;

	fd = raw_connect(1);                       /* too long */
	CHECK(t, send(fd, big, sizeof(big), MSG_NOSIGNAL) > 0);
	CHECK(t, closed_by_daemon(fd));
	close(fd);
	fd = raw_connect(1);                       /* length lies */
	send(fd, &lie, sizeof(lie), MSG_NOSIGNAL);
	CHECK(t, closed_by_daemon(fd));
	close(fd);
	fd = raw_connect(1);                       /* empty datagram */
	send(fd, big, 0, MSG_NOSIGNAL);
	CHECK(t, closed_by_daemon(fd));
	close(fd);
	fd = raw_connect(1);                       /* before HELLO */
	raw_request(fd, NCSP_COUNTS, &q, sizeof(q), -1);
	CHECK(t, closed_by_daemon(fd));
	close(fd);
	fd = raw_connect(1);                       /* an fd attached */
	raw_request(fd, NCSP_COUNTS, &q, sizeof(q), 0);
	CHECK(t, closed_by_daemon(fd));
	close(fd);
	fd = raw_connect(1);                       /* a body too short */
	raw_hello(fd, 1);
	CHECK_EQ(t, raw_status(fd), NC_OK);
	raw_request(fd, NCSP_MAP, &huge, sizeof(huge), -1);
	CHECK(t, closed_by_daemon(fd));
	close(fd);
}

/* Well-formed but refused: an error reply, the connection stays. */
static void garbage_refused(struct tap *t)
{
	struct ncsp_share sh = { .peer = 2, .npages = 1 };
	struct ncsp_counts q = { .domid = 1 };
	int fd = raw_connect(1);

	raw_hello(fd, 0);                          /* an observer */
	CHECK_EQ(t, raw_status(fd), NC_OK);
	raw_request(fd, NCSP_SHARE, &sh, sizeof(sh), -1);
	CHECK_EQ(t, raw_status(fd), NC_EPERM);
	raw_request(fd, NCSP_COUNTS, &q, sizeof(q), -1);
	CHECK_EQ(t, raw_status(fd), NC_OK);
	close(fd);
}

/* A client that sends and never reads is cut off, not queued for. */
static int garbage_deaf(void)
{
	struct ncsp_counts q = { .domid = 1 };
	int fd = raw_connect(1), closed;
	unsigned i;

	raw_hello(fd, 0);
	for (i = 0; i < 200000; i++) {
		if (raw_request(fd, NCSP_COUNTS, &q, sizeof(q), -1) == 0)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		poll(&(struct pollfd){ .fd = fd, .events = POLLOUT }, 1, 10);
	}
	closed = closed_by_daemon(fd);
	close(fd);
	return closed;
}

static void test_garbage(struct tap *t)
{
	struct nc_platform p1, p2;
	struct nc_sim_handle *h1, *h2;
	uint32_t seed = 12345;
	unsigned i, closed = 0;
	nc_gref_t r[1];
	uint8_t *pg, *m;

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	h2 = join(t, 2, &p2);
	if (!h1 || !h2)
		goto out;
	for (i = 0; i < 40; i++)
		closed += (unsigned)garbage_random(&seed);
	CHECK_EQ(t, closed, 40);
	garbage_kinds(t);
	garbage_refused(t);
	CHECK(t, garbage_deaf());
	CHECK(t, daemon_alive());
	/* the others never noticed */
	pg = share(&p1, 2, 1, 0, r);
	m = pg ? map(&p2, 1, 1, r, 1) : NULL;
	CHECK(t, m != NULL);
	if (m) {
		strcpy((char *)m, "still here");
		CHECK(t, strcmp((char *)pg, "still here") == 0);
		CHECK_OK(t, unmap(&p2, m, 1));
	}
	if (pg)
		CHECK_OK(t, unshare(&p1, pg, 1));
	CHECK_EQ(t, counts(t, 1).processes, 1);
out:
	nc_sim_close(h1);
	nc_sim_close(h2);
}

/* -------------------------------------------------------------- limits */

static void limits_ports(struct tap *t, struct nc_platform *p)
{
	static nc_port_t ports[NCSP_MAX_PORTS];
	unsigned n = 0, i;
	int rc;

	while (n < NCSP_MAX_PORTS &&
	       (rc = ev_alloc(p, 2, &ports[n])) == NC_OK)
		n++;
	CHECK_EQ(t, n, NCSP_MAX_PORTS - 1);      /* port 0 is never used */
	CHECK_EQ(t, rc, NC_ENOMEM);
	for (i = 0; i < n; i++)
		if (ev_unbind(p, ports[i]) != NC_OK)
			break;
	CHECK_EQ(t, i, n);
}

static void limits_grants(struct tap *t, struct nc_platform *p)
{
	static nc_gref_t refs[NCSP_MAX_SHARE_PAGES];
	void *base[32];
	unsigned n = 0, i, room = NCSP_MAX_GRANTS - NCSP_FIRST_GREF;

	while (n < 32 && (base[n] = share(p, 2, NCSP_MAX_SHARE_PAGES, 0,
					  refs)))
		n++;
	CHECK_EQ(t, n, room / NCSP_MAX_SHARE_PAGES);
	base[n] = share(p, 2, room % NCSP_MAX_SHARE_PAGES, 0, refs);
	CHECK(t, base[n] != NULL);
	CHECK(t, share(p, 2, 1, 0, refs) == NULL);   /* the table is full */
	CHECK_EQ(t, counts(t, 1).grants, room);
	for (i = 0; i < n; i++)
		CHECK_OK(t, unshare(p, base[i], NCSP_MAX_SHARE_PAGES));
	if (base[n])
		CHECK_OK(t, unshare(p, base[n], room % NCSP_MAX_SHARE_PAGES));
}

static void test_limits(struct tap *t)
{
	struct nc_platform p1;
	struct nc_sim_handle *h1;
	struct nc_sim_counts c;
	nc_gref_t refs[NCSP_MAX_MAP_PAGES + 1] = { 8 };

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	if (!h1)
		return;
	CHECK(t, share(&p1, 2, 0, 0, refs) == NULL);
	CHECK(t, share(&p1, 2, NCSP_MAX_SHARE_PAGES + 1, 0, refs) == NULL);
	CHECK(t, share(&p1, 200, 1, 0, refs) == NULL);   /* no such domain */
	CHECK(t, map(&p1, 2, 0, refs, 0) == NULL);
	CHECK(t, map(&p1, 2, NCSP_MAX_MAP_PAGES + 1, refs, 0) == NULL);
	limits_ports(t, &p1);
	limits_grants(t, &p1);
	check_idle(t, 1, 1);
	nc_sim_close(h1);
	/* no such domain, no such daemon */
	CHECK_EQ(t, nc_sim_counts(D.dir, 99, &c), NC_ENOENT);
	errno = 0;
	CHECK(t, nc_sim_open("/nonexistent/nc-sim", 1, &p1) == NULL);
	CHECK_EQ(t, errno, ENOENT);
}

/* ----------------------------------------- netfront and netback, 2 procs */

#define NETIF_FRAMES 1000000u
#define SIZES_SEED 0x5eed1234u

static uint32_t xs32(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Frame `seq`'s bytes are a function of seq: the receiver checks every
 * one without a copy of what was sent. */
static void pattern(uint8_t *buf, size_t len, uint32_t seq)
{
	uint32_t s = seq * 2654435761u + 1;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		uint32_t v = xs32(&s);

		memcpy(buf + i, &v, 4);
	}
	for (; i < len; i++)
		buf[i] = (uint8_t)xs32(&s);
	memcpy(buf, &seq, 4);
}

/* Mostly Ethernet-sized frames, one in 16 up to 64 KiB (multi-slot). */
static size_t frame_len(uint32_t *s)
{
	if ((xs32(s) & 15) == 0)
		return 14 + xs32(s) % (65535 - 14 + 1);
	return 60 + xs32(s) % (1514 - 60 + 1);
}

struct tally {
	uint32_t next_seq;
	uint32_t sizes;
	uint64_t frames, bytes, bad, out_of_order, poison;
};

static int has_poison(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + NC_POOL_POISON_LEN <= n; i++)
		if (!memcmp(p + i, NC_POOL_POISON, NC_POOL_POISON_LEN))
			return 1;
	return 0;
}

static void on_deliver(void *arg, const struct nc_frame *fr)
{
	static uint8_t want[65536];
	struct tally *t = arg;
	uint32_t seq;

	memcpy(&seq, fr->data, 4);
	if (seq != t->next_seq)
		t->out_of_order++;
	pattern(want, fr->len, seq);
	if (fr->len != frame_len(&t->sizes) || memcmp(want, fr->data, fr->len))
		t->bad++;
	if (has_poison(fr->data, fr->len))
		t->poison++;
	t->next_seq = seq + 1;
	t->frames++;
	t->bytes += fr->len;
}

/* Sleep in poll() on the platform's fds (and `extra`): nothing spins.
 * 1 when `extra` is readable. */
static int wait_fds(struct nc_platform *p, int extra, int timeout_ms)
{
	struct pollfd pf[3] = {
		{ .fd = p->events.ops->fd(p->events.ctx), .events = POLLIN },
		{ .fd = p->store.ops->fd(p->store.ctx), .events = POLLIN },
		{ .fd = extra, .events = POLLIN },
	};

	return poll(pf, 3, timeout_ms) > 0 && (pf[2].revents & POLLIN);
}

struct sender {
	uint32_t seq, sizes;
	size_t pending;
};

static size_t fill_frame(void *ctx, uint8_t *buf, size_t size)
{
	pattern(buf, size, ((struct sender *)ctx)->seq);
	return size;
}

static int front_connect(struct nc_front *f, struct nc_platform *p)
{
	double t0 = now();

	while (nc_front_state(f) != NC_FRONT_CONNECTED) {
		if (now() - t0 > 30)
			return -1;
		wait_fds(p, -1, 100);
		nc_front_poll(f);
	}
	return 0;
}

static int front_send_all(struct nc_front *f, struct nc_platform *p)
{
	struct sender s = { 0, SIZES_SEED, 0 };
	double t0 = now();
	int rc;

	while (s.seq < NETIF_FRAMES) {
		if (!s.pending)
			s.pending = frame_len(&s.sizes);
		rc = nc_front_write(f, s.pending, fill_frame, &s, 0);
		if (rc == NC_OK) {
			s.seq++;
			s.pending = 0;
			continue;
		}
		if (rc != NC_EAGAIN || now() - t0 > 300)
			return -1;
		wait_fds(p, -1, 1000);      /* ring or pool full: wait */
		nc_front_poll(f);
	}
	return 0;
}

/* Close politely: the backend lets go, then every grant is revoked. */
static int front_stop(struct nc_front *f, struct nc_platform *p)
{
	double t0 = now();

	nc_front_close(f);
	while (nc_front_state(f) != NC_FRONT_STOPPED && now() - t0 < 10) {
		wait_fds(p, -1, 100);
		nc_front_poll(f);
	}
	return nc_front_state(f) == NC_FRONT_STOPPED ? 0 : -1;
}

/* The frontend, domain 1, in a child process.  Its exit code says how it
 * went (0: fine). */
static int front_child(int go_fd, int done_fd)
{
	struct nc_front_config cfg = { .path = "device/vif/0", .poison = 1 };
	struct nc_front *f = calloc(1, sizeof(*f));
	struct nc_sim_handle *h;
	struct nc_platform p;
	double t0;
	char c;
	int rc;

	if (!f || read(go_fd, &c, 1) != 1)
		return 10;
	h = nc_sim_open(D.dir, 1, &p);
	if (!h || nc_front_init(f, &p, &cfg) != NC_OK)
		return 11;
	if (front_connect(f, &p) < 0)
		return 12;
	if (front_send_all(f, &p) < 0)
		return 13;
	for (t0 = now(); !wait_fds(&p, done_fd, 100); nc_front_poll(f))
		if (now() - t0 > 120)
			return 14;
	nc_front_poll(f);
	rc = f->q[0].pool.stats.poison_violations ? 15 : 0;
	if (front_stop(f, &p) < 0 && !rc)
		rc = 16;
	nc_front_destroy(f);
	nc_sim_close(h);
	free(f);
	return rc;
}

struct backend {
	struct nc_platform tool, bp;
	struct nc_sim_handle *ht, *hb;
	struct nc_back *b;
	uint8_t *rxq;
	struct tally tally;
};

static int backend_start(struct tap *t, struct backend *x)
{
	struct nc_vif_spec spec = {
		.fe_domid = 1, .be_domid = 0, .handle = 0,
		.mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 },
	};
	struct nc_back_config cfg = { .deliver = on_deliver };
	static char fe[64], be[64];

	x->tally.sizes = SIZES_SEED;
	x->ht = join(t, 0, &x->tool);
	x->hb = join(t, 0, &x->bp);
	x->b = calloc(1, sizeof(*x->b));
	x->rxq = malloc(1u << 20);
	if (!x->ht || !x->hb || !x->b || !x->rxq)
		return -1;
	nc_vif_paths(1, 0, 0, fe, be);
	cfg.path = be;
	cfg.deliver_arg = &x->tally;
	if (!CHECK_OK(t, nc_vif_add(&x->tool.store, &spec)))
		return -1;
	return CHECK_OK(t, nc_back_init(x->b, &x->bp, &cfg, x->rxq)) ? 0 : -1;
}

/* Serve until every frame arrived (1), the child exited (0) or time ran
 * out (0).  *elapsed: seconds from the connection to the last frame. */
static int backend_receive(struct backend *x, pid_t pid, int *st,
			   double *elapsed)
{
	double t0 = now(), tc = 0;

	while (x->tally.frames < NETIF_FRAMES && now() - t0 < 300) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return 0;
		if (nc_back_poll(x->b) == 0)
			wait_fds(&x->bp, -1, 200);
		if (!tc && nc_back_state(x->b) == NC_BACK_CONNECTED)
			tc = now();
	}
	*elapsed = now() - tc;
	return x->tally.frames == NETIF_FRAMES;
}

/* Keep serving while the frontend closes and exits. */
static int backend_until_exit(struct backend *x, pid_t pid, int *st)
{
	double t0 = now();

	while (now() - t0 < 60) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return 0;
		if (nc_back_poll(x->b) == 0)
			wait_fds(&x->bp, -1, 100);
	}
	kill(pid, SIGKILL);
	waitpid(pid, st, 0);
	return -1;
}

static void backend_free(struct backend *x)
{
	if (x->b && x->hb)
		nc_back_close(x->b);
	if (x->ht)
		nc_vif_del(&x->tool.store, 1, 0, 0);
	nc_sim_close(x->hb);
	nc_sim_close(x->ht);
	free(x->b);
	free(x->rxq);
}

static void netif_report(struct tap *t, const struct tally *y, double el)
{
	CHECK_EQ(t, y->frames, NETIF_FRAMES);
	CHECK_EQ(t, y->bad, 0);
	CHECK_EQ(t, y->out_of_order, 0);
	CHECK_EQ(t, y->poison, 0);
	if (el > 0)
		tap_diag("netfront -> netback over the simulator, two processes: "
			 "%llu frames, %.1f MB in %.2f s: %.0f frames/s, "
			 "%.0f MB/s", (unsigned long long)y->frames,
			 (double)y->bytes / 1e6, el, (double)y->frames / el,
			 (double)y->bytes / 1e6 / el);
}

static void test_netif_two_processes(struct tap *t)
{
	struct backend x;
	int go[2], done[2], st = 0;
	double el = 0;
	pid_t pid;

	if (!need_daemon(t))
		return;
	memset(&x, 0, sizeof(x));
	if (pipe(go) < 0 || pipe(done) < 0)
		return;
	/* fork first: the child shares no libxenstore thread with us */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(done[1]);
		_exit(front_child(go[0], done[0]));
	}
	close(go[0]);
	close(done[0]);
	if (backend_start(t, &x) == 0 && write(go[1], "g", 1) == 1 &&
	    backend_receive(&x, pid, &st, &el)) {
		CHECK(t, write(done[1], "d", 1) == 1);
		CHECK_EQ(t, backend_until_exit(&x, pid, &st), 0);
	} else {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	CHECK(t, WIFEXITED(st));
	CHECK_EQ(t, WIFEXITED(st) ? WEXITSTATUS(st) : -1, 0);
	netif_report(t, &x.tally, el);
	close(go[1]);
	close(done[1]);
	/* the frontend's domain let go of everything; so do we */
	check_idle(t, 1, 0);
	backend_free(&x);
	check_idle(t, 0, 0);
}

/* --------------------------------------------------------------- main */

/* The daemon goes away under a client: errors, no hang, no spin. */
static void check_orphaned(struct tap *t, struct nc_platform *p)
{
	nc_gref_t r[1];
	nc_port_t port;

	CHECK(t, share(p, 2, 1, 0, r) == NULL);
	CHECK_EQ(t, ev_alloc(p, 2, &port), NC_EIO);
	CHECK_EQ(t, ev_pending(p, &port) <= 0, 1);
	CHECK(t, !ev_readable(p, 0));
	CHECK_EQ(t, ev_pending(p, &port), 0);
}

static void test_daemon_stops(struct tap *t)
{
	struct nc_platform p1;
	struct nc_sim_handle *h1;

	if (!need_daemon(t))
		return;
	h1 = join(t, 1, &p1);
	CHECK(t, daemon_alive());
	CHECK_EQ(t, daemon_stop(), 0);
	/* it removed its sockets and directories */
	CHECK(t, !path_exists(D.dir, "domain"));
	D.up = 0;
	D.pid = 0;
	if (h1)
		check_orphaned(t, &p1);
	nc_sim_close(h1);
}

int main(int argc, char **argv)
{
	struct tap t;
	const char *bin = argc > 1 ? argv[1] : getenv("NC_SIM_BINARY");

	signal(SIGPIPE, SIG_IGN);
	tap_init(&t);
	daemon_start(bin);
	tap_run(&t, "share and map, data both ways", test_share_map_roundtrip);
	tap_run(&t, "only the grantee maps", test_only_grantee_maps);
	tap_run(&t, "a read-only grant maps read-only", test_readonly_grant);
	tap_run(&t, "unshare while mapped is busy", test_unshare_while_mapped);
	tap_run(&t, "grant copy and its refusals", test_grant_copy);
	tap_run(&t, "event channel bind, notify, pending", test_event_channel);
	tap_run(&t, "an event storm coalesces", test_event_storm);
	tap_run(&t, "the peer closes its port", test_peer_closes);
	tap_run(&t, "kill -9 releases everything", test_kill9_releases);
	tap_run(&t, "garbage on platform.sock", test_garbage);
	tap_run(&t, "limits", test_limits);
	tap_run(&t, "netfront and netback as two processes, 1,000,000 frames",
		test_netif_two_processes);
	tap_run(&t, "the daemon stops cleanly", test_daemon_stops);
	if (D.up)
		daemon_stop();
	return tap_done(&t);
}

/*
 * test_xs_store.c - the libxenstore store (netchannel/xs_store.h) against
 * a real store server: every op of struct nc_store_ops, transactions with
 * a conflict between two connections, and watches through the fd.
 *
 * The server, first found wins:
 *   1. argv[1], a xenstored socket (e.g. RUN_DIR/xenstored/socket of a
 *      running `netchannel sim`; it must be domain 0's, privileged);
 *   2. $NC_TEST_XS_SOCKET, the same;
 *   3. $NC_SIM_BINARY, the `netchannel` tool: the test runs
 *      `$NC_SIM_BINARY sim --run-dir <tmp>` itself, waits (bounded) for
 *      <tmp>/xenstored/socket, and stops it with SIGTERM at the end.
 * With none of them every case is skipped, saying why (a failure under
 * CI=true).  A daemon that was asked for and does not come up is a
 * failure.  Everything the test writes is under /nc-xs-test-<pid>, removed
 * at the end.  An alarm turns a hang into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "harness.h"
#include "netchannel/xs_store.h"

#define WATCHDOG_SECONDS 120
#define DAEMON_WAIT_MS 10000
#define EVENT_WAIT_MS 5000       /* an event that must come */
#define QUIET_WAIT_MS 300        /* how long "nothing comes" is watched */
#define PROMPT_MS 1000           /* "at once", generous under sanitizers */

static struct {
	const char *sock;        /* the server's socket, or NULL */
	char skip[256];          /* why there is no server */
	char broken[256];        /* a server was asked for and failed */
	pid_t child;             /* our daemon, or 0 */
	char dir[64];            /* its --run-dir */
	char sock_buf[96];       /* dir + "/xenstored/socket" */
	char base[64];           /* this run's subtree */
} fx;

/* ---------------------------------------------------------------- helpers */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* 1 when fd polls readable within ms, else 0. */
static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long end = now_ms() + ms;
	int r;

	for (;;) {
		r = poll(&p, 1, ms);
		if (r >= 0 || errno != EINTR)
			return r == 1 && (p.revents & POLLIN);
		ms = (int)(end - now_ms());
		if (ms < 0)
			ms = 0;
	}
}

/* fx.base + "/" + rel, in buf. */
static const char *at(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", fx.base, rel);
	return buf;
}
#define AT(buf, rel) at((buf), sizeof(buf), (rel))

/* Open a store on the server, or skip (no server) or fail (broken). */
static int open_store(struct tap *t, struct nc_store *st)
{
	int rc;

	memset(st, 0, sizeof(*st));
	if (fx.broken[0]) {
		tap_diag("%s", fx.broken);
		CHECK(t, !"the store server is up");
		return 0;
	}
	if (!fx.sock) {
		tap_skip(t, "%s", fx.skip);
		return 0;
	}
	rc = nc_xs_store_open(fx.sock, st);
	CHECK_EQ(t, rc, NC_OK);
	if (rc == NC_OK) {
		CHECK(t, st->ops != NULL && st->ctx != NULL);
		return 1;
	}
	return 0;
}

#define S(st) (st).ops

static int rd(struct nc_store *st, nc_txn_t txn, const char *path, char *buf,
	      size_t len)
{
	return st->ops->read(st->ctx, txn, path, buf, len);
}

/* Take every queued event; how many there were. */
static int drain(struct nc_store *st)
{
	char path[NC_STORE_MAX_PATH], token[64];
	int n = 0;

	while (S(*st)->read_watch(st->ctx, path, sizeof(path), token,
				  sizeof(token)) == 1)
		n++;
	return n;
}

/* ------------------------------------------------------- the daemon */

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Wait up to ms for the child to exit: 1 and *status when it did. */
static int reap(pid_t pid, int *status, long ms)
{
	long end = now_ms() + ms;
	pid_t r;

	do {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;       /* not ours any more */
		sleep_ms(20);
	} while (now_ms() < end);
	return 0;
}

static void start_daemon(void)
{
	const char *bin = getenv("NC_SIM_BINARY");
	pid_t parent = getpid();
	struct stat sb;
	long end;
	int status;

	if (!bin || !bin[0]) {
		snprintf(fx.skip, sizeof(fx.skip), "no store server: give "
			 "its socket as argv[1] or NC_TEST_XS_SOCKET, or the "
			 "netchannel tool as NC_SIM_BINARY");
		return;
	}
	if (access(bin, X_OK) != 0) {
		snprintf(fx.broken, sizeof(fx.broken),
			 "NC_SIM_BINARY=%s: %s", bin, strerror(errno));
		return;
	}
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/nc-xs-test-XXXXXX");
	if (!mkdtemp(fx.dir)) {
		snprintf(fx.broken, sizeof(fx.broken), "mkdtemp: %s",
			 strerror(errno));
		fx.dir[0] = '\0';
		return;
	}
	snprintf(fx.sock_buf, sizeof(fx.sock_buf), "%s/xenstored/socket",
		 fx.dir);
	fflush(NULL);
	fx.child = fork();
	if (fx.child < 0) {
		snprintf(fx.broken, sizeof(fx.broken), "fork: %s",
			 strerror(errno));
		fx.child = 0;
		return;
	}
	if (fx.child == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* The daemon must not outlive a test killed by its alarm. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(127);
		if (null >= 0)
			dup2(null, STDOUT_FILENO);   /* stdout is TAP */
		execl(bin, bin, "sim", "--run-dir", fx.dir, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	/* The daemon makes domain 0's socket last: once it is there, the
	 * daemon serves. */
	end = now_ms() + DAEMON_WAIT_MS;
	while (now_ms() < end) {
		if (stat(fx.sock_buf, &sb) == 0 && S_ISSOCK(sb.st_mode)) {
			fx.sock = fx.sock_buf;
			return;
		}
		if (waitpid(fx.child, &status, WNOHANG) == fx.child) {
			fx.child = 0;
			snprintf(fx.broken, sizeof(fx.broken),
				 "%s sim exited (status 0x%x) before serving",
				 bin, (unsigned)status);
			return;
		}
		sleep_ms(20);
	}
	snprintf(fx.broken, sizeof(fx.broken), "%s sim: no %s after %d ms",
		 bin, fx.sock_buf, DAEMON_WAIT_MS);
}

static void stop_daemon(void)
{
	int status = 0;

	if (fx.child) {
		kill(fx.child, SIGTERM);
		if (!reap(fx.child, &status, 5000)) {
			tap_diag("the daemon ignored SIGTERM: killing it");
			kill(fx.child, SIGKILL);
			waitpid(fx.child, &status, 0);
		} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			tap_diag("the daemon stopped with status 0x%x",
				 (unsigned)status);
		}
		fx.child = 0;
	}
	if (fx.dir[0])
		nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ----------------------------------------------------------------- cases */

static void test_open(struct tap *t)
{
	char dir[] = "/tmp/nc-xs-open-XXXXXX", file[64], sock[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct nc_store st, st2;
	int fd, s, rc;

	/* What needs no server first. */
	memset(&st, 0xa5, sizeof(st));
	CHECK_EQ(t, nc_xs_store_open("/nonexistent/nc/socket", &st),
		 NC_ENOENT);
	CHECK(t, st.ops == NULL && st.ctx == NULL);
	CHECK_EQ(t, nc_xs_store_open("", &st), NC_EINVAL);
	CHECK_EQ(t, nc_xs_store_open("/", &st), NC_EINVAL);
	CHECK_EQ(t, nc_xs_store_open("/a-path-longer-than-sun_path-allows/"
				     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
				     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
				     &st), NC_EINVAL);
	CHECK_EQ(t, nc_xs_store_open("/tmp", NULL), NC_EINVAL);
	nc_xs_store_close(NULL);
	nc_xs_store_close(&st);          /* zeroed: ignored */
	if (CHECK(t, mkdtemp(dir) != NULL)) {
		/* A regular file is never opened as a "device". */
		snprintf(file, sizeof(file), "%s/file", dir);
		fd = open(file, O_WRONLY | O_CREAT, 0600);
		CHECK(t, fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_EQ(t, nc_xs_store_open(file, &st), NC_EINVAL);
		/* A socket nobody listens on: refused, no fallback to any
		 * other store, and the environment is back as it was. */
		snprintf(sock, sizeof(sock), "%s/sock", dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		s = socket(AF_UNIX, SOCK_STREAM, 0);
		CHECK(t, s >= 0 && bind(s, (struct sockaddr *)&sa,
					sizeof(sa)) == 0);
		setenv("XENSTORED_PATH", "/sentinel", 1);
		CHECK_EQ(t, nc_xs_store_open(sock, &st), NC_EIO);
		CHECK(t, getenv("XENSTORED_PATH") &&
		      !strcmp(getenv("XENSTORED_PATH"), "/sentinel"));
		unsetenv("XENSTORED_PATH");
		CHECK_EQ(t, nc_xs_store_open(sock, &st), NC_EIO);
		CHECK(t, getenv("XENSTORED_PATH") == NULL);
		if (s >= 0)
			close(s);
		unlink(sock);
		unlink(file);
		rmdir(dir);
	}

	if (!open_store(t, &st))
		return;
	/* The environment after a successful open, set and unset. */
	CHECK(t, getenv("XENSTORED_PATH") == NULL);
	setenv("XENSTORED_PATH", "/sentinel", 1);
	rc = nc_xs_store_open(fx.sock, &st2);
	CHECK_EQ(t, rc, NC_OK);
	if (rc == NC_OK) {
		CHECK(t, !strcmp(getenv("XENSTORED_PATH"), "/sentinel"));
		nc_xs_store_close(&st2);
		CHECK(t, st2.ops == NULL && st2.ctx == NULL);
	}
	unsetenv("XENSTORED_PATH");
	/* The fd exists from the start and stays the same. */
	fd = S(st)->fd(st.ctx);
	CHECK(t, fd >= 0);
	CHECK_EQ(t, S(st)->fd(st.ctx), fd);
	CHECK(t, !readable(fd, 0));
	nc_xs_store_close(&st);
	CHECK(t, st.ops == NULL && st.ctx == NULL);
}

static void test_write_read(struct tap *t)
{
	static char big[3001], back[3100];
	struct nc_store st;
	char p[128], buf[64];

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "rw/a"), "hello"),
		 NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)), 5);
	CHECK(t, !strcmp(buf, "hello"));
	/* Overwrite, with a shorter value. */
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, p, "hi"), NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)), 2);
	CHECK(t, !strcmp(buf, "hi"));
	/* Empty value. */
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, p, ""), NC_OK);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)), 0);
	CHECK_EQ(t, buf[0], '\0');
	/* A large value, and the parents a write creates. */
	memset(big, 'v', sizeof(big) - 1);
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "rw/deep/er/b"),
				 big), NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, back, sizeof(back)),
		 (int)sizeof(big) - 1);
	CHECK(t, !strcmp(back, big));
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, AT(p, "rw/deep/er"), buf,
		       sizeof(buf)), 0);
	/* A second connection sees it. */
	{
		struct nc_store st2;

		if (open_store(t, &st2)) {
			CHECK_EQ(t, rd(&st2, NC_TXN_NONE, AT(p, "rw/a"), buf,
				       sizeof(buf)), 0);
			nc_xs_store_close(&st2);
		}
	}
	/* Bad arguments never reach the daemon. */
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, p, NULL), NC_EINVAL);
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, NULL, "x"), NC_EINVAL);
	nc_xs_store_close(&st);
}

static void test_read_absent(struct tap *t)
{
	struct nc_store st;
	char p[128], buf[64];

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, AT(p, "absent"), buf, sizeof(buf)),
		 NC_ENOENT);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, AT(p, "absent/too/deep"), buf,
		       sizeof(buf)), NC_ENOENT);
	/* An error from the daemon leaves the connection usable. */
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "after"), "1"),
		 NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
	nc_xs_store_close(&st);
}

static void test_small_buffer(struct tap *t)
{
	struct nc_store st;
	char p[128], buf[16];

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "small"),
				 "hello"), NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, 5), NC_ENOSPC);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, 0), NC_ENOSPC);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, NULL, 0), NC_ENOSPC);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, 6), 5);   /* just fits */
	CHECK(t, !strcmp(buf, "hello"));
	/* ENOENT wins over a small buffer: the node is looked up first. */
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, AT(p, "small-absent"), buf, 1),
		 NC_ENOENT);
	nc_xs_store_close(&st);
}

/* Is `name` among the n bytes of back-to-back names? */
static int has_name(const char *names, int n, const char *name)
{
	int off = 0;

	while (off < n) {
		if (!strcmp(names + off, name))
			return 1;
		off += (int)strlen(names + off) + 1;
	}
	return 0;
}

static void test_directory(struct tap *t)
{
	struct nc_store st;
	char p[128], buf[64];
	int n;

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "dir/a"), "1"),
		 NC_OK);
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "dir/bb"), "2"),
		 NC_OK);
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "dir/ccc/x"),
				 "3"), NC_OK);
	n = S(st)->directory(st.ctx, NC_TXN_NONE, AT(p, "dir"), buf,
			     sizeof(buf));
	CHECK_EQ(t, n, 2 + 3 + 4);
	CHECK(t, n > 0 && buf[n - 1] == '\0');
	CHECK(t, has_name(buf, n, "a"));
	CHECK(t, has_name(buf, n, "bb"));
	CHECK(t, has_name(buf, n, "ccc"));
	CHECK(t, !has_name(buf, n, "x"));            /* children only */
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, p, buf, 8),
		 NC_ENOSPC);
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, p, buf, 9), 9);
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, p, NULL, 0),
		 NC_ENOSPC);
	/* A leaf has no children; an absent node is an error. */
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, AT(p, "dir/a"),
				     buf, sizeof(buf)), 0);
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, AT(p, "dir/a"),
				     NULL, 0), 0);
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, AT(p, "dir/none"),
				     buf, sizeof(buf)), NC_ENOENT);
	nc_xs_store_close(&st);
}

static void test_rm(struct tap *t)
{
	struct nc_store st;
	char p[128], buf[64];

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "rm/x/y/z"), "1"),
		 NC_OK);
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "rm/x/w"), "2"),
		 NC_OK);
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "rm/keep"), "3"),
		 NC_OK);
	CHECK_EQ(t, S(st)->rm(st.ctx, NC_TXN_NONE, AT(p, "rm/x")), NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, AT(p, "rm/x/y/z"), buf, sizeof(buf)),
		 NC_ENOENT);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, AT(p, "rm/x"), buf, sizeof(buf)),
		 NC_ENOENT);
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, AT(p, "rm"), buf,
				     sizeof(buf)), 5);
	CHECK(t, !strcmp(buf, "keep"));
	/* Absent: with its parent present, and with it absent too (where
	 * xenstored answers ENOENT). */
	CHECK_EQ(t, S(st)->rm(st.ctx, NC_TXN_NONE, AT(p, "rm/x")), NC_OK);
	CHECK_EQ(t, S(st)->rm(st.ctx, NC_TXN_NONE, AT(p, "rm/no/such/node")),
		 NC_OK);
	CHECK_EQ(t, S(st)->rm(st.ctx, NC_TXN_NONE, NULL), NC_EINVAL);
	nc_xs_store_close(&st);
}

static void test_mkdir(struct tap *t)
{
	struct nc_store st;
	char p[128], buf[64];

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, S(st)->mkdir(st.ctx, NC_TXN_NONE, AT(p, "mk/a/b")), NC_OK);
	memset(buf, 'x', sizeof(buf));
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)), 0);
	CHECK_EQ(t, buf[0], '\0');
	CHECK_EQ(t, S(st)->directory(st.ctx, NC_TXN_NONE, AT(p, "mk/a"), buf,
				     sizeof(buf)), 2);
	CHECK(t, !strcmp(buf, "b"));
	/* Again: fine, and the value of an existing node stays. */
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "mk/a/b"), "v"),
		 NC_OK);
	CHECK_EQ(t, S(st)->mkdir(st.ctx, NC_TXN_NONE, p), NC_OK);
	CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
	CHECK(t, !strcmp(buf, "v"));
	nc_xs_store_close(&st);
}

static void test_perms(struct tap *t)
{
	static const struct nc_store_perm want[] = {
		{ .domid = 0, .perm = NC_PERM_NONE },
		{ .domid = 1, .perm = NC_PERM_READ },
		{ .domid = 2, .perm = NC_PERM_WRITE },
		{ .domid = 3, .perm = NC_PERM_BOTH },
	};
	struct nc_store_perm got[NC_STORE_MAX_PERMS], bad[2];
	struct nc_store st;
	char p[128];
	int n, i;

	if (!open_store(t, &st))
		return;
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, AT(p, "perms"), "1"),
		 NC_OK);
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, want, 4), NC_OK);
	n = S(st)->get_perms(st.ctx, NC_TXN_NONE, p, got, NC_STORE_MAX_PERMS);
	CHECK_EQ(t, n, 4);
	for (i = 0; i < n && i < 4; i++) {
		CHECK_EQ(t, got[i].domid, want[i].domid);
		CHECK_EQ(t, got[i].perm, want[i].perm);
	}
	/* Too small a table; exactly enough. */
	CHECK_EQ(t, S(st)->get_perms(st.ctx, NC_TXN_NONE, p, got, 3),
		 NC_ENOSPC);
	CHECK_EQ(t, S(st)->get_perms(st.ctx, NC_TXN_NONE, p, got, 4), 4);
	/* Another owner, read for everyone else. */
	bad[0].domid = 5;
	bad[0].perm = NC_PERM_READ;
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, bad, 1), NC_OK);
	n = S(st)->get_perms(st.ctx, NC_TXN_NONE, p, got, NC_STORE_MAX_PERMS);
	CHECK_EQ(t, n, 1);
	CHECK(t, n == 1 && got[0].domid == 5 && got[0].perm == NC_PERM_READ);
	/* Refused before sending. */
	bad[1].domid = 1;
	bad[1].perm = 7;
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, bad, 2),
		 NC_EINVAL);
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, want, 0),
		 NC_EINVAL);
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, NULL, 1),
		 NC_EINVAL);
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, got,
				     NC_STORE_MAX_PERMS + 1), NC_EINVAL);
	/* Absent node. */
	CHECK_EQ(t, S(st)->get_perms(st.ctx, NC_TXN_NONE, AT(p, "perms-none"),
				     got, NC_STORE_MAX_PERMS), NC_ENOENT);
	CHECK_EQ(t, S(st)->set_perms(st.ctx, NC_TXN_NONE, p, want, 4),
		 NC_ENOENT);
	nc_xs_store_close(&st);
}

static void test_txn_commit(struct tap *t)
{
	struct nc_store st, other;
	char p[128], q[128], buf[64];
	nc_txn_t txn = NC_TXN_NONE;
	int rc;

	if (!open_store(t, &st))
		return;
	if (!open_store(t, &other)) {
		nc_xs_store_close(&st);
		return;
	}
	rc = S(st)->txn_start(st.ctx, &txn);
	CHECK_EQ(t, rc, NC_OK);
	CHECK(t, txn != NC_TXN_NONE);
	if (rc == NC_OK) {
		CHECK_EQ(t, S(st)->write(st.ctx, txn, AT(p, "txn/a"), "1"),
			 NC_OK);
		CHECK_EQ(t, S(st)->write(st.ctx, txn, AT(q, "txn/b"), "2"),
			 NC_OK);
		/* Seen inside, not outside, until the commit. */
		CHECK_EQ(t, rd(&st, txn, p, buf, sizeof(buf)), 1);
		CHECK_EQ(t, rd(&st, NC_TXN_NONE, p, buf, sizeof(buf)),
			 NC_ENOENT);
		CHECK_EQ(t, rd(&other, NC_TXN_NONE, q, buf, sizeof(buf)),
			 NC_ENOENT);
		CHECK_EQ(t, S(st)->txn_end(st.ctx, txn, 1), NC_OK);
		CHECK_EQ(t, rd(&other, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
		CHECK(t, !strcmp(buf, "1"));
		CHECK_EQ(t, rd(&other, NC_TXN_NONE, q, buf, sizeof(buf)), 1);
		CHECK(t, !strcmp(buf, "2"));
	}
	/* Abandoned: nothing happened. */
	rc = S(st)->txn_start(st.ctx, &txn);
	CHECK_EQ(t, rc, NC_OK);
	if (rc == NC_OK) {
		CHECK_EQ(t, S(st)->write(st.ctx, txn, AT(p, "txn/a"), "9"),
			 NC_OK);
		CHECK_EQ(t, S(st)->write(st.ctx, txn, AT(q, "txn/c"), "9"),
			 NC_OK);
		CHECK_EQ(t, S(st)->txn_end(st.ctx, txn, 0), NC_OK);
		CHECK_EQ(t, rd(&other, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
		CHECK(t, !strcmp(buf, "1"));
		CHECK_EQ(t, rd(&other, NC_TXN_NONE, q, buf, sizeof(buf)),
			 NC_ENOENT);
		/* An ended transaction is gone. */
		CHECK(t, S(st)->txn_end(st.ctx, txn, 1) < 0);
	}
	CHECK_EQ(t, S(st)->txn_start(st.ctx, NULL), NC_EINVAL);
	nc_xs_store_close(&other);
	nc_xs_store_close(&st);
}

static void test_txn_conflict(struct tap *t)
{
	struct nc_store a, b;
	nc_txn_t ta = NC_TXN_NONE, tb = NC_TXN_NONE;
	char p[128], buf[64];
	int ra, rb;

	if (!open_store(t, &a))
		return;
	if (!open_store(t, &b)) {
		nc_xs_store_close(&a);
		return;
	}
	CHECK_EQ(t, S(a)->write(a.ctx, NC_TXN_NONE, AT(p, "conflict"), "0"),
		 NC_OK);
	ra = S(a)->txn_start(a.ctx, &ta);
	rb = S(b)->txn_start(b.ctx, &tb);
	CHECK_EQ(t, ra, NC_OK);
	CHECK_EQ(t, rb, NC_OK);
	if (ra == NC_OK && rb == NC_OK) {
		CHECK_EQ(t, rd(&a, ta, p, buf, sizeof(buf)), 1);
		CHECK_EQ(t, rd(&b, tb, p, buf, sizeof(buf)), 1);
		CHECK_EQ(t, S(a)->write(a.ctx, ta, p, "a"), NC_OK);
		CHECK_EQ(t, S(b)->write(b.ctx, tb, p, "b"), NC_OK);
		CHECK_EQ(t, S(a)->txn_end(a.ctx, ta, 1), NC_OK);
		CHECK_EQ(t, S(b)->txn_end(b.ctx, tb, 1), NC_EAGAIN);
		CHECK_EQ(t, rd(&b, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
		CHECK(t, !strcmp(buf, "a"));
		/* The loser starts over, and wins this time. */
		rb = S(b)->txn_start(b.ctx, &tb);
		CHECK_EQ(t, rb, NC_OK);
		if (rb == NC_OK) {
			CHECK_EQ(t, rd(&b, tb, p, buf, sizeof(buf)), 1);
			CHECK_EQ(t, S(b)->write(b.ctx, tb, p, "b"), NC_OK);
			CHECK_EQ(t, S(b)->txn_end(b.ctx, tb, 1), NC_OK);
			CHECK_EQ(t, rd(&a, NC_TXN_NONE, p, buf, sizeof(buf)),
				 1);
			CHECK(t, !strcmp(buf, "b"));
		}
	} else {
		if (ra == NC_OK)
			S(a)->txn_end(a.ctx, ta, 0);
		if (rb == NC_OK)
			S(b)->txn_end(b.ctx, tb, 0);
	}
	nc_xs_store_close(&b);
	nc_xs_store_close(&a);
}

static void test_watch(struct tap *t)
{
	char p[128], q[128], path[NC_STORE_MAX_PATH], token[64], buf[8];
	struct nc_store w, x;
	int fd, i;

	if (!open_store(t, &w))
		return;
	if (!open_store(t, &x)) {
		nc_xs_store_close(&w);
		return;
	}
	fd = S(w)->fd(w.ctx);
	CHECK(t, fd >= 0);
	CHECK_EQ(t, S(x)->write(x.ctx, NC_TXN_NONE, AT(p, "w"), "0"), NC_OK);
	CHECK_EQ(t, S(w)->watch(w.ctx, p, "tok1"), NC_OK);
	CHECK_EQ(t, S(w)->fd(w.ctx), fd);      /* same fd once watching */

	/* Registration fires once, at once: seen on the fd. */
	CHECK(t, readable(fd, EVENT_WAIT_MS));
	CHECK_EQ(t, S(w)->read_watch(w.ctx, path, sizeof(path), token,
				     sizeof(token)), 1);
	CHECK(t, !strcmp(path, p));
	CHECK(t, !strcmp(token, "tok1"));
	CHECK_EQ(t, S(w)->read_watch(w.ctx, path, sizeof(path), token,
				     sizeof(token)), 0);
	CHECK(t, !readable(fd, 0));

	/* A write under the watched node fires; one elsewhere does not. */
	CHECK_EQ(t, S(x)->write(x.ctx, NC_TXN_NONE, AT(q, "w/child"), "1"),
		 NC_OK);
	CHECK(t, readable(fd, EVENT_WAIT_MS));
	CHECK_EQ(t, S(w)->read_watch(w.ctx, path, sizeof(path), token,
				     sizeof(token)), 1);
	CHECK(t, !strcmp(path, q));
	CHECK(t, !strcmp(token, "tok1"));
	CHECK_EQ(t, S(x)->write(x.ctx, NC_TXN_NONE, AT(q, "w-sibling"), "1"),
		 NC_OK);
	CHECK(t, !readable(fd, QUIET_WAIT_MS));
	CHECK_EQ(t, drain(&w), 0);

	/* Several queued: the fd stays readable until the last is taken.
	 * A request of w's own returns after every event fired before it
	 * has been queued (one stream, in order). */
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		snprintf(q, sizeof(q), "%s/w/%s", fx.base, buf);
		CHECK_EQ(t, S(x)->write(x.ctx, NC_TXN_NONE, q, "1"), NC_OK);
	}
	CHECK_EQ(t, rd(&w, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
	for (i = 0; i < 3; i++) {
		CHECK(t, readable(fd, 0));
		CHECK_EQ(t, S(w)->read_watch(w.ctx, path, sizeof(path), token,
					     sizeof(token)), 1);
		snprintf(buf, sizeof(buf), "n%d", i);
		snprintf(q, sizeof(q), "%s/w/%s", fx.base, buf);
		CHECK(t, !strcmp(path, q));
	}
	CHECK(t, !readable(fd, 0));

	/* Unwatch: no more events. */
	CHECK_EQ(t, S(w)->unwatch(w.ctx, p, "tok1"), NC_OK);
	CHECK_EQ(t, drain(&w), 0);
	CHECK_EQ(t, S(x)->write(x.ctx, NC_TXN_NONE, AT(q, "w/after"), "1"),
		 NC_OK);
	CHECK_EQ(t, rd(&w, NC_TXN_NONE, p, buf, sizeof(buf)), 1);
	CHECK(t, !readable(fd, QUIET_WAIT_MS));
	CHECK_EQ(t, S(w)->read_watch(w.ctx, path, sizeof(path), token,
				     sizeof(token)), 0);
	CHECK_EQ(t, S(w)->unwatch(w.ctx, p, "tok1"), NC_ENOENT);
	CHECK_EQ(t, S(w)->watch(w.ctx, NULL, "t"), NC_EINVAL);
	CHECK_EQ(t, S(w)->watch(w.ctx, p, NULL), NC_EINVAL);
	nc_xs_store_close(&x);
	nc_xs_store_close(&w);
}

/* read_watch never blocks: before any watch (libxenstore has no reader
 * thread yet) and with watches but nothing queued. */
static void test_read_watch_nonblocking(struct tap *t)
{
	char p[128], path[NC_STORE_MAX_PATH], token[64];
	struct nc_store st;
	long t0;

	if (!open_store(t, &st))
		return;
	t0 = now_ms();
	CHECK_EQ(t, S(st)->read_watch(st.ctx, path, sizeof(path), token,
				      sizeof(token)), 0);
	CHECK(t, now_ms() - t0 < PROMPT_MS);
	CHECK(t, !readable(S(st)->fd(st.ctx), 0));

	CHECK_EQ(t, S(st)->watch(st.ctx, AT(p, "nb"), "nb"), NC_OK);
	CHECK(t, readable(S(st)->fd(st.ctx), EVENT_WAIT_MS));
	CHECK_EQ(t, drain(&st), 1);
	t0 = now_ms();
	CHECK_EQ(t, S(st)->read_watch(st.ctx, path, sizeof(path), token,
				      sizeof(token)), 0);
	CHECK_EQ(t, S(st)->read_watch(st.ctx, path, sizeof(path), token,
				      sizeof(token)), 0);
	CHECK(t, now_ms() - t0 < PROMPT_MS);
	nc_xs_store_close(&st);
}

/* An event that does not fit is consumed and reported NC_ENOSPC. */
static void test_read_watch_small(struct tap *t)
{
	char p[128], path[NC_STORE_MAX_PATH], token[64];
	struct nc_store st;
	int fd;

	if (!open_store(t, &st))
		return;
	fd = S(st)->fd(st.ctx);
	CHECK_EQ(t, S(st)->watch(st.ctx, AT(p, "small-watch"), "a-long-token"),
		 NC_OK);
	CHECK(t, readable(fd, EVENT_WAIT_MS));
	CHECK_EQ(t, S(st)->read_watch(st.ctx, path, 4, token, sizeof(token)),
		 NC_ENOSPC);
	CHECK(t, !readable(fd, 0));
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, p, "1"), NC_OK);
	CHECK(t, readable(fd, EVENT_WAIT_MS));
	CHECK_EQ(t, S(st)->read_watch(st.ctx, path, sizeof(path), token, 12),
		 NC_ENOSPC);                      /* 12 bytes + NUL */
	CHECK_EQ(t, S(st)->write(st.ctx, NC_TXN_NONE, p, "2"), NC_OK);
	CHECK(t, readable(fd, EVENT_WAIT_MS));
	CHECK_EQ(t, S(st)->read_watch(st.ctx, path, sizeof(path), token, 13),
		 1);
	CHECK(t, !strcmp(token, "a-long-token"));
	CHECK_EQ(t, drain(&st), 0);
	nc_xs_store_close(&st);
}

/* The daemon goes away: requests and read_watch fail, none hangs.  Only
 * run against the daemon this test started. */
static void test_daemon_gone(struct tap *t)
{
	char p[128], buf[16], path[NC_STORE_MAX_PATH], token[64];
	struct nc_store watching, plain;
	int status, ok_w, ok_p, rc;
	long end;

	ok_w = open_store(t, &watching);
	ok_p = open_store(t, &plain);
	if (!ok_w || !ok_p)
		goto out;
	CHECK_EQ(t, S(watching)->watch(watching.ctx, AT(p, "gone"), "g"),
		 NC_OK);
	CHECK(t, readable(S(watching)->fd(watching.ctx), EVENT_WAIT_MS));
	CHECK_EQ(t, drain(&watching), 1);
	kill(fx.child, SIGTERM);
	CHECK(t, reap(fx.child, &status, 5000));
	fx.child = 0;
	/* libxenstore's reader thread notices EOF and closes the socket; it
	 * does not kick the fd.  Until it has, read_watch answers 0 (a
	 * request could fail NC_EINVAL); from then on every call fails. */
	end = now_ms() + EVENT_WAIT_MS;
	do {
		rc = S(watching)->read_watch(watching.ctx, path, sizeof(path),
					     token, sizeof(token));
		if (rc == 0)
			sleep_ms(10);
	} while (rc == 0 && now_ms() < end);
	CHECK_EQ(t, rc, NC_EIO);
	CHECK(t, !readable(S(watching)->fd(watching.ctx), 0));
	CHECK_EQ(t, rd(&watching, NC_TXN_NONE, p, buf, sizeof(buf)), NC_EIO);
	CHECK_EQ(t, rd(&plain, NC_TXN_NONE, p, buf, sizeof(buf)), NC_EIO);
	CHECK_EQ(t, S(plain)->write(plain.ctx, NC_TXN_NONE, p, "x"), NC_EIO);
	CHECK_EQ(t, S(plain)->read_watch(plain.ctx, path, sizeof(path),
					 token, sizeof(token)), NC_EIO);
out:
	if (ok_w)
		nc_xs_store_close(&watching);
	if (ok_p)
		nc_xs_store_close(&plain);
}

/* ------------------------------------------------------------------ main */

static void cleanup_base(void)
{
	struct nc_store st;

	if (!fx.sock || nc_xs_store_open(fx.sock, &st) != NC_OK)
		return;
	if (S(st)->rm(st.ctx, NC_TXN_NONE, fx.base) != NC_OK)
		tap_diag("could not remove %s", fx.base);
	nc_xs_store_close(&st);
}

int main(int argc, char **argv)
{
	struct tap t;
	const char *env = getenv("NC_TEST_XS_SOCKET");

	tap_init(&t);
	alarm(WATCHDOG_SECONDS);
	snprintf(fx.base, sizeof(fx.base), "/nc-xs-test-%ld", (long)getpid());
	if (argc > 1 && argv[1][0])
		fx.sock = argv[1];
	else if (env && env[0])
		fx.sock = env;
	else
		start_daemon();
	if (fx.sock)
		tap_diag("store server: %s%s", fx.sock,
			 fx.child ? " (started by the test)" : "");

	tap_run(&t, "open: bad paths, no fallback, environment restored",
		test_open);
	tap_run(&t, "write/read roundtrip", test_write_read);
	tap_run(&t, "read of an absent node: NC_ENOENT", test_read_absent);
	tap_run(&t, "read into a small buffer: NC_ENOSPC", test_small_buffer);
	tap_run(&t, "directory lists the children", test_directory);
	tap_run(&t, "rm is recursive; rm of an absent node is NC_OK",
		test_rm);
	tap_run(&t, "mkdir", test_mkdir);
	tap_run(&t, "permissions: set/get roundtrip", test_perms);
	tap_run(&t, "transaction: commit and abort", test_txn_commit);
	tap_run(&t, "transaction conflict: NC_EAGAIN", test_txn_conflict);
	tap_run(&t, "watch: fd, events, unwatch", test_watch);
	tap_run(&t, "read_watch with nothing pending returns 0 at once",
		test_read_watch_nonblocking);
	tap_run(&t, "read_watch into small buffers: NC_ENOSPC, consumed",
		test_read_watch_small);
	cleanup_base();
	if (fx.child)
		tap_run(&t, "daemon gone: calls fail with NC_EIO, no hang",
			test_daemon_gone);
	stop_daemon();
	return tap_done(&t);
}

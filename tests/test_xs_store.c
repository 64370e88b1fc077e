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
	char sock_buf[PATH_MAX];
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

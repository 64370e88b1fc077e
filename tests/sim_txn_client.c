/*
 * sim_txn_client.c - drives `netchannel sim`'s store through libxenstore,
 * for what xenstore-utils cannot show (tests/test_sim_store.sh runs it):
 *
 *   sim_txn_client conflict    two connections, two transactions on the
 *                              same node: the second commit fails EAGAIN
 *                              and changes nothing
 *   sim_txn_client bigdir      a directory whose listing exceeds one
 *                              message: xs_directory() falls back to
 *                              XS_DIRECTORY_PART and gets every name
 *   sim_txn_client domains DOMU_SOCKET
 *                              get_domain_path, is_domain_introduced,
 *                              release / introduce of domain 3 (the daemon
 *                              must serve it) with their watches, and
 *                              domain 1 (DOMU_SOCKET) refused release
 *
 * XENSTORED_PATH names domain 0's socket.  Exit 0 when every check held;
 * failures are printed as TAP diagnostics ("# ...").  An alarm turns a
 * hang into a failure.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenstore.h>

#define BIGDIR_CHILDREN 400

static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("# sim_txn_client: ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
	failures++;
}

#define EXPECT(cond) do { if (!(cond)) fail("%s:%d: %s (errno %s)", \
	__FILE__, __LINE__, #cond, strerror(errno)); } while (0)

static struct xs_handle *open_or_die(const char *path)
{
	struct xs_handle *h;

	if (path && setenv("XENSTORED_PATH", path, 1) != 0)
		exit(2);
	h = xs_open(0);
	if (!h) {
		fail("xs_open(%s): %s", path ? path : "$XENSTORED_PATH",
		     strerror(errno));
		exit(1);
	}
	return h;
}

/* 1 when path holds exactly `want`. */
static int value_is(struct xs_handle *h, const char *path, const char *want)
{
	unsigned len;
	char *v = xs_read(h, XBT_NULL, path, &len);
	int ok = v && strcmp(v, want) == 0;

	free(v);
	return ok;
}

/* ------------------------------------------------------------ conflict */

static void run_conflict(void)
{
	struct xs_handle *a = open_or_die(NULL), *b = open_or_die(NULL);
	xs_transaction_t ta, tb;
	unsigned len;
	char *v;

	EXPECT(xs_write(a, XBT_NULL, "/txn/x", "0", 1));
	ta = xs_transaction_start(a);
	tb = xs_transaction_start(b);
	EXPECT(ta != XBT_NULL && tb != XBT_NULL && ta != tb);
	/* Both read, then both write the node. */
	v = xs_read(a, ta, "/txn/x", &len);
	EXPECT(v && strcmp(v, "0") == 0);
	free(v);
	v = xs_read(b, tb, "/txn/x", &len);
	EXPECT(v && strcmp(v, "0") == 0);
	free(v);
	EXPECT(xs_write(a, ta, "/txn/x", "A", 1));
	EXPECT(xs_write(b, tb, "/txn/x", "B", 1));
	EXPECT(xs_write(b, tb, "/txn/only-b", "b", 1));
	/* Isolation: outside, nothing changed yet. */
	EXPECT(value_is(a, "/txn/x", "0"));
	EXPECT(xs_transaction_end(a, ta, false));
	errno = 0;
	EXPECT(!xs_transaction_end(b, tb, false));
	EXPECT(errno == EAGAIN);
	EXPECT(value_is(a, "/txn/x", "A"));
	v = xs_read(a, XBT_NULL, "/txn/only-b", &len);
	EXPECT(!v && errno == ENOENT);
	free(v);
	/* The transaction is gone after its end. */
	EXPECT(!xs_transaction_end(b, tb, false) && errno == ENOENT);
	xs_close(a);
	xs_close(b);
}

/* -------------------------------------------------------------- bigdir */

static void run_bigdir(void)
{
	struct xs_handle *h = open_or_die(NULL);
	char path[128], *seen;
	unsigned i, n = 0, id;
	xs_transaction_t t;
	char **names;

	t = xs_transaction_start(h);
	for (i = 0; i < BIGDIR_CHILDREN; i++) {
		snprintf(path, sizeof(path),
			 "/big/a-child-with-a-rather-long-name-%u", i);
		EXPECT(xs_write(h, t, path, "v", 1));
	}
	EXPECT(xs_transaction_end(h, t, false));
	names = xs_directory(h, XBT_NULL, "/big", &n);
	EXPECT(names != NULL);
	EXPECT(n == BIGDIR_CHILDREN);
	seen = calloc(BIGDIR_CHILDREN, 1);
	for (i = 0; names && i < n; i++) {
		if (sscanf(names[i], "a-child-with-a-rather-long-name-%u",
			   &id) == 1 && id < BIGDIR_CHILDREN)
			seen[id]++;
		else
			fail("unexpected name '%s'", names[i]);
	}
	for (i = 0; i < BIGDIR_CHILDREN; i++)
		if (seen[i] != 1)
			fail("child %u seen %d times", i, seen[i]);
	free(seen);
	free(names);
	EXPECT(xs_rm(h, XBT_NULL, "/big"));
	xs_close(h);
}

/* ------------------------------------------------------------- domains */

/* The next watch event must name `path` with `token`. */
static void expect_event(struct xs_handle *h, const char *path,
			 const char *token)
{
	unsigned n;
	char **ev = xs_read_watch(h, &n);

	if (!ev || n < 2 || strcmp(ev[XS_WATCH_PATH], path) != 0 ||
	    strcmp(ev[XS_WATCH_TOKEN], token) != 0)
		fail("expected event %s/%s, got %s/%s", path, token,
		     ev ? ev[XS_WATCH_PATH] : "(none)",
		     ev && n > 1 ? ev[XS_WATCH_TOKEN] : "(none)");
	free(ev);
}

static void run_domains(const char *domu_socket)
{
	struct xs_handle *h = open_or_die(NULL);
	struct xs_permissions owned = { .id = 3, .perms = XS_PERM_NONE };
	struct xs_handle *u;
	unsigned len;
	char *v;

	v = xs_get_domain_path(h, 3);
	EXPECT(v && strcmp(v, "/local/domain/3") == 0);
	free(v);
	EXPECT(xs_is_domain_introduced(h, 0));
	EXPECT(xs_is_domain_introduced(h, 1));
	EXPECT(!xs_is_domain_introduced(h, 200));
	/* A node domain 3 owns goes when domain 3 is released. */
	EXPECT(xs_write(h, XBT_NULL, "/owned-by-3", "x", 1));
	EXPECT(xs_set_permissions(h, XBT_NULL, "/owned-by-3", &owned, 1));
	EXPECT(xs_watch(h, "@releaseDomain", "rel"));
	expect_event(h, "@releaseDomain", "rel");
	EXPECT(xs_watch(h, "@introduceDomain", "intro"));
	expect_event(h, "@introduceDomain", "intro");
	EXPECT(xs_release_domain(h, 3));
	expect_event(h, "@releaseDomain", "rel");
	EXPECT(!xs_is_domain_introduced(h, 3));
	v = xs_read(h, XBT_NULL, "/owned-by-3", &len);
	EXPECT(!v && errno == ENOENT);
	free(v);
	EXPECT(!xs_release_domain(h, 3) && errno == ENOENT);
	EXPECT(xs_introduce_domain(h, 3, 0, 0));
	expect_event(h, "@introduceDomain", "intro");
	EXPECT(xs_is_domain_introduced(h, 3));
	/* Only domain 0 may do that. */
	u = open_or_die(domu_socket);
	EXPECT(!xs_release_domain(u, 3) && errno == EACCES);
	EXPECT(!xs_introduce_domain(u, 9, 0, 0) && errno == EACCES);
	v = xs_get_domain_path(u, 1);
	EXPECT(v && strcmp(v, "/local/domain/1") == 0);
	free(v);
	xs_close(u);
	xs_close(h);
}

static void on_alarm(int sig)
{
	static const char msg[] = "# sim_txn_client: timed out\n";

	(void)sig;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(1);
}

int main(int argc, char **argv)
{
	signal(SIGALRM, on_alarm);
	alarm(10);
	if (argc == 2 && strcmp(argv[1], "conflict") == 0)
		run_conflict();
	else if (argc == 2 && strcmp(argv[1], "bigdir") == 0)
		run_bigdir();
	else if (argc == 3 && strcmp(argv[1], "domains") == 0)
		run_domains(argv[2]);
	else {
		fprintf(stderr, "usage: sim_txn_client conflict|bigdir|"
			"domains DOMU_SOCKET\n");
		return 2;
	}
	return failures ? 1 : 0;
}

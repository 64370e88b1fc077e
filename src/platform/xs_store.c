/*
 * xs_store.c - struct nc_store_ops over libxenstore (netchannel/xs_store.h).
 *
 * The context is the struct xs_handle itself: this file keeps no state of
 * its own, so the thread-safety of the ops is libxenstore's (requests are
 * serialised by its request mutex).
 *
 * What libxenstore (Xen 4.17, as in Debian 12) does underneath, and which
 * the code below relies on:
 *   - xs_open() tries xs_daemon_socket() ($XENSTORED_PATH, else the run
 *     dir's socket) and then xs_domain_dev() ($XENSTORED_PATH again, else
 *     the xenbus device).  With XENSTORED_PATH set both are that path, so
 *     an explicit path never falls back to the real store.  A path that is
 *     not a socket is open()ed O_RDWR as a device: we refuse anything but
 *     a socket or a character device, so a typo cannot scribble the wire
 *     protocol into a regular file.
 *   - xs_fileno() creates (once) a pipe; the reader thread writes one byte
 *     when the watch list goes from empty to non-empty, and taking the
 *     last event out (xs_check_watch) reads it back: readable exactly
 *     while events are queued.  We create the pipe at open, so fd() never
 *     answers -1 and never allocates later.
 *   - xs_check_watch() answers NULL/EAGAIN when nothing is queued (also
 *     before any xs_watch, when no reader thread exists); NULL/EINVAL once
 *     the connection is gone.  The result is one allocation: free() it.
 *   - xs_rm() of an absent node answers ENOENT when its parent is absent
 *     too (xenstored accepts it when the parent exists).
 *   - XS_UNWATCH_FILTER is not used: in 4.17 the filter frees a dropped
 *     event's header but leaks its body (one allocation per event, which
 *     LeakSanitizer reports).
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <xenstore.h>

#include "netchannel/xs_store.h"

#define XSS_ENV "XENSTORED_PATH"

/* errno (from libxenstore or xenstored) to NC_E*.  Only the codes
 * xenstored itself answers keep their value; a lost connection and
 * anything unknown are NC_EIO. */
static int err_from(int e)
{
	switch (e) {
	case EPERM:
	case ENOENT:
	case EIO:
	case E2BIG:
	case EAGAIN:
	case ENOMEM:
	case EACCES:
	case EBUSY:
	case EEXIST:
	case EINVAL:
	case ENOSPC:
	case ERANGE:
		return -e;
	default:
		return NC_EIO;
	}
}

/* The NC_E* for a libxenstore failure: errno, read before anything else
 * can change it. */
static int fail(void)
{
	return err_from(errno);
}

static struct xs_handle *H(void *ctx)
{
	return ctx;
}

/* ------------------------------------------------------------ requests */

static int xss_read(void *ctx, nc_txn_t t, const char *path, char *buf,
		    size_t len)
{
	unsigned int n = 0;
	char *v;
	int rc;

	if (!path)
		return NC_EINVAL;
	v = xs_read(H(ctx), t, path, &n);
	if (!v)
		return fail();
	if (!buf || (size_t)n + 1 > len || n > (unsigned)INT_MAX) {
		rc = NC_ENOSPC;
	} else {
		memcpy(buf, v, n);
		buf[n] = '\0';
		rc = (int)n;
	}
	free(v);
	return rc;
}

static int xss_write(void *ctx, nc_txn_t t, const char *path,
		     const char *value)
{
	size_t n;

	if (!path || !value)
		return NC_EINVAL;
	n = strlen(value);
	if (n > NC_STORE_MAX_VALUE)
		return NC_E2BIG;
	return xs_write(H(ctx), t, path, value, (unsigned int)n) ? NC_OK
								 : fail();
}

static int xss_mkdir(void *ctx, nc_txn_t t, const char *path)
{
	if (!path)
		return NC_EINVAL;
	return xs_mkdir(H(ctx), t, path) ? NC_OK : fail();
}

static int xss_rm(void *ctx, nc_txn_t t, const char *path)
{
	int rc;

	if (!path)
		return NC_EINVAL;
	if (xs_rm(H(ctx), t, path))
		return NC_OK;
	rc = fail();
	return rc == NC_ENOENT ? NC_OK : rc;
}

static int xss_directory(void *ctx, nc_txn_t t, const char *path, char *buf,
			 size_t len)
{
	unsigned int num = 0, i;
	size_t used = 0, l;
	char **names;

	if (!path)
		return NC_EINVAL;
	errno = 0;
	names = xs_directory(H(ctx), t, path, &num);
	if (!names)
		return errno ? fail() : NC_EIO;
	for (i = 0; i < num; i++) {
		l = strlen(names[i]) + 1;
		if (!buf || l > len - used || used + l > (size_t)INT_MAX) {
			free(names);
			return NC_ENOSPC;
		}
		memcpy(buf + used, names[i], l);
		used += l;
	}
	free(names);
	return (int)used;
}

/* xenstored's bits to enum nc_perm: only READ and WRITE mean anything to
 * a client (OWNER and the others are the daemon's internals). */
static uint8_t perm_from_xs(unsigned int p)
{
	uint8_t r = NC_PERM_NONE;

	if (p & XS_PERM_READ)
		r |= NC_PERM_READ;
	if (p & XS_PERM_WRITE)
		r |= NC_PERM_WRITE;
	return r;
}

static unsigned int perm_to_xs(uint8_t p)
{
	unsigned int r = XS_PERM_NONE;

	if (p & NC_PERM_READ)
		r |= XS_PERM_READ;
	if (p & NC_PERM_WRITE)
		r |= XS_PERM_WRITE;
	return r;
}

static int xss_get_perms(void *ctx, nc_txn_t t, const char *path,
			 struct nc_store_perm *perms, unsigned max)
{
	struct xs_permissions *xp;
	unsigned int num = 0, i;
	int rc;

	if (!path)
		return NC_EINVAL;
	xp = xs_get_permissions(H(ctx), t, path, &num);
	if (!xp)
		return fail();
	if (!perms || num > max || num > (unsigned)INT_MAX) {
		rc = NC_ENOSPC;
		goto out;
	}
	for (i = 0; i < num; i++) {
		if (xp[i].id > UINT16_MAX) {    /* no domid: a broken daemon */
			rc = NC_EPROTO;
			goto out;
		}
		perms[i].domid = (nc_domid_t)xp[i].id;
		perms[i].perm = perm_from_xs(xp[i].perms);
	}
	rc = (int)num;
out:
	free(xp);
	return rc;
}

static int xss_set_perms(void *ctx, nc_txn_t t, const char *path,
			 const struct nc_store_perm *perms, unsigned n)
{
	struct xs_permissions xp[NC_STORE_MAX_PERMS];
	unsigned i;

	/* The same limits as the store engine, checked before sending. */
	if (!path || !perms || n == 0 || n > NC_STORE_MAX_PERMS)
		return NC_EINVAL;
	for (i = 0; i < n; i++) {
		if (perms[i].perm > NC_PERM_BOTH)
			return NC_EINVAL;
		xp[i].id = perms[i].domid;
		xp[i].perms = perm_to_xs(perms[i].perm);
	}
	return xs_set_permissions(H(ctx), t, path, xp, n) ? NC_OK : fail();
}

static int xss_txn_start(void *ctx, nc_txn_t *t)
{
	xs_transaction_t id;

	if (!t)
		return NC_EINVAL;
	errno = 0;
	id = xs_transaction_start(H(ctx));
	if (id == XBT_NULL)
		return errno ? fail() : NC_EIO;
	*t = (nc_txn_t)id;
	return NC_OK;
}

static int xss_txn_end(void *ctx, nc_txn_t t, int commit)
{
	/* A conflict is errno EAGAIN, hence NC_EAGAIN. */
	return xs_transaction_end(H(ctx), t, !commit) ? NC_OK : fail();
}

static int xss_watch(void *ctx, const char *path, const char *token)
{
	if (!path || !token)
		return NC_EINVAL;
	return xs_watch(H(ctx), path, token) ? NC_OK : fail();
}

static int xss_unwatch(void *ctx, const char *path, const char *token)
{
	if (!path || !token)
		return NC_EINVAL;
	return xs_unwatch(H(ctx), path, token) ? NC_OK : fail();
}

static int xss_fd(void *ctx)
{
	/* The pipe exists since open: this only takes libxenstore's lock. */
	return xs_fileno(H(ctx));
}

static int copy_str(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (!buf || n + 1 > len)
		return NC_ENOSPC;
	memcpy(buf, s, n + 1);
	return NC_OK;
}

static int xss_read_watch(void *ctx, char *path, size_t path_len,
			  char *token, size_t token_len)
{
	char **ev;
	int rc;

	errno = 0;
	ev = xs_check_watch(H(ctx));
	if (!ev) {
		if (errno == EAGAIN)
			return 0;               /* nothing queued */
		if (errno == ENOMEM)
			return NC_ENOMEM;
		return NC_EIO;                  /* EINVAL: connection gone */
	}
	rc = copy_str(path, path_len, ev[XS_WATCH_PATH]);
	if (rc == NC_OK)
		rc = copy_str(token, token_len, ev[XS_WATCH_TOKEN]);
	free(ev);
	return rc == NC_OK ? 1 : rc;
}

static const struct nc_store_ops xss_ops = {
	.read = xss_read,
	.write = xss_write,
	.mkdir = xss_mkdir,
	.rm = xss_rm,
	.directory = xss_directory,
	.get_perms = xss_get_perms,
	.set_perms = xss_set_perms,
	.txn_start = xss_txn_start,
	.txn_end = xss_txn_end,
	.watch = xss_watch,
	.unwatch = xss_unwatch,
	.fd = xss_fd,
	.read_watch = xss_read_watch,
};

/* ------------------------------------------------------- open and close */

/* xs_open() with XENSTORED_PATH=path, restoring the environment after.
 * NULL with errno set on failure. */
static struct xs_handle *open_at(const char *path)
{
	const char *cur = getenv(XSS_ENV);
	struct xs_handle *h;
	char *saved = NULL;
	int e;

	if (cur) {
		saved = strdup(cur);
		if (!saved) {
			errno = ENOMEM;
			return NULL;
		}
	}
	if (setenv(XSS_ENV, path, 1) != 0) {
		e = errno;
		free(saved);
		errno = e;
		return NULL;
	}
	h = xs_open(0);
	e = errno;
	/* Restoring can fail only for want of memory: the handle is fine,
	 * but the caller's environment must not silently change, so give
	 * up rather than leave XENSTORED_PATH pointing elsewhere. */
	if ((saved ? setenv(XSS_ENV, saved, 1) : unsetenv(XSS_ENV)) != 0) {
		e = errno;
		xs_close(h);
		h = NULL;
	}
	free(saved);
	errno = e;
	return h;
}

static int check_path(const char *path)
{
	struct stat sb;
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return NC_EINVAL;
	if (stat(path, &sb) != 0)
		return errno == ENOENT || errno == ENOTDIR ? NC_ENOENT
							   : fail();
	if (!S_ISSOCK(sb.st_mode) && !S_ISCHR(sb.st_mode))
		return NC_EINVAL;
	return NC_OK;
}

int nc_xs_store_open(const char *socket_path, struct nc_store *out)
{
	struct xs_handle *h;
	int rc;

	if (!out)
		return NC_EINVAL;
	memset(out, 0, sizeof(*out));
	if (socket_path) {
		rc = check_path(socket_path);
		if (rc)
			return rc;
	}
	errno = 0;
	h = socket_path ? open_at(socket_path) : xs_open(0);
	if (!h)
		return errno ? fail() : NC_EIO; /* ECONNREFUSED: NC_EIO */
	/* The watch pipe now, so that fd() is valid from the start. */
	if (xs_fileno(h) < 0) {
		rc = errno ? fail() : NC_EIO;
		xs_close(h);
		return rc;
	}
	out->ops = &xss_ops;
	out->ctx = h;
	return NC_OK;
}

void nc_xs_store_close(struct nc_store *st)
{
	if (!st || st->ops != &xss_ops)
		return;                 /* NULL, zeroed, or not ours */
	xs_close(H(st->ctx));
	memset(st, 0, sizeof(*st));
}

/*
 * inproc_store.c - the in-process store: each handle is one connection to
 * the shared engine (src/store), with a bounded queue of watch events.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inproc_internal.h"

/* Engine callback, under the world lock.  The queue is bounded: when it is
 * full the event is dropped and counted, never queued without limit. */
void ip_store_watch_sink(void *arg, const char *path, const char *token)
{
	struct nc_inproc_handle *h = arg;
	struct ip_watch_event *e;
	uint64_t one = 1;

	if (h->w_len == INPROC_WATCH_QUEUE) {
		h->watch_drops++;
		return;
	}
	e = &h->watches[(h->w_head + h->w_len) % INPROC_WATCH_QUEUE];
	e->path = strdup(path);
	e->token = strdup(token);
	if (!e->path || !e->token) {
		free(e->path);
		free(e->token);
		h->watch_drops++;
		return;
	}
	if (h->w_len++ == 0 && write(h->store_fd, &one, sizeof(one)) < 0) {
		/* cannot overflow at 1 */
	}
}

void ip_store_drain(struct nc_inproc_handle *h)
{
	while (h->w_len) {
		struct ip_watch_event *e = &h->watches[h->w_head];

		free(e->path);
		free(e->token);
		h->w_head = (h->w_head + 1) % INPROC_WATCH_QUEUE;
		h->w_len--;
	}
}

static int copy_out(char *buf, size_t len, const char *src, size_t n)
{
	if (n + 1 > len)
		return NC_ENOSPC;
	memcpy(buf, src, n);
	buf[n] = '\0';
	return (int)n;
}

static int st_read(void *ctx, nc_txn_t t, const char *path, char *buf,
		   size_t len)
{
	struct nc_inproc_handle *h = ctx;
	const char *v;
	size_t n;
	int rc;

	ip_lock(h->w);
	rc = ncs_read(h->conn, t, path, &v, &n);
	if (rc == NC_OK)
		rc = copy_out(buf, len, v, n);
	ip_unlock(h->w);
	return rc;
}

static int st_write(void *ctx, nc_txn_t t, const char *path,
		    const char *value)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_write(h->conn, t, path, value, strlen(value));
	ip_unlock(h->w);
	return rc;
}

static int st_mkdir(void *ctx, nc_txn_t t, const char *path)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_mkdir(h->conn, t, path);
	ip_unlock(h->w);
	return rc;
}

static int st_rm(void *ctx, nc_txn_t t, const char *path)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_rm(h->conn, t, path);
	ip_unlock(h->w);
	return rc == NC_ENOENT ? NC_OK : rc;
}

static int st_directory(void *ctx, nc_txn_t t, const char *path, char *buf,
			size_t len)
{
	struct nc_inproc_handle *h = ctx;
	const char *names;
	size_t n;
	int rc;

	ip_lock(h->w);
	rc = ncs_directory(h->conn, t, path, &names, &n);
	if (rc == NC_OK) {
		if (n > len) {
			rc = NC_ENOSPC;
		} else {
			memcpy(buf, names, n);
			rc = (int)n;
		}
	}
	ip_unlock(h->w);
	return rc;
}

static int st_get_perms(void *ctx, nc_txn_t t, const char *path,
			struct nc_store_perm *perms, unsigned max)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_get_perms(h->conn, t, path, perms, max);
	ip_unlock(h->w);
	return rc;
}

static int st_set_perms(void *ctx, nc_txn_t t, const char *path,
			const struct nc_store_perm *perms, unsigned n)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_set_perms(h->conn, t, path, perms, n);
	ip_unlock(h->w);
	return rc;
}

static int st_txn_start(void *ctx, nc_txn_t *t)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_txn_start(h->conn, t);
	ip_unlock(h->w);
	return rc;
}

static int st_txn_end(void *ctx, nc_txn_t t, int commit)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_txn_end(h->conn, t, commit);
	ip_unlock(h->w);
	return rc;
}

static int st_watch(void *ctx, const char *path, const char *token)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_watch(h->conn, path, token);
	ip_unlock(h->w);
	return rc;
}

static int st_unwatch(void *ctx, const char *path, const char *token)
{
	struct nc_inproc_handle *h = ctx;
	int rc;

	ip_lock(h->w);
	rc = ncs_unwatch(h->conn, path, token);
	ip_unlock(h->w);
	return rc;
}

static int st_fd(void *ctx)
{
	return ((struct nc_inproc_handle *)ctx)->store_fd;
}

static int st_read_watch(void *ctx, char *path, size_t path_len,
			 char *token, size_t token_len)
{
	struct nc_inproc_handle *h = ctx;
	struct ip_watch_event *e;
	int rc = 0;

	ip_lock(h->w);
	if (h->w_len) {
		e = &h->watches[h->w_head];
		if (copy_out(path, path_len, e->path, strlen(e->path)) < 0 ||
		    copy_out(token, token_len, e->token,
			     strlen(e->token)) < 0) {
			rc = NC_ENOSPC;
		} else {
			rc = 1;
		}
		free(e->path);
		free(e->token);
		h->w_head = (h->w_head + 1) % INPROC_WATCH_QUEUE;
		h->w_len--;
	}
	if (!h->w_len) {
		uint64_t v;

		if (read(h->store_fd, &v, sizeof(v)) < 0) {
			/* already drained */
		}
	}
	ip_unlock(h->w);
	return rc;
}

const struct nc_store_ops nc_inproc_store_ops = {
	.read = st_read,
	.write = st_write,
	.mkdir = st_mkdir,
	.rm = st_rm,
	.directory = st_directory,
	.get_perms = st_get_perms,
	.set_perms = st_set_perms,
	.txn_start = st_txn_start,
	.txn_end = st_txn_end,
	.watch = st_watch,
	.unwatch = st_unwatch,
	.fd = st_fd,
	.read_watch = st_read_watch,
};

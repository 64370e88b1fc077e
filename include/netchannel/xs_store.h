/*
 * netchannel/xs_store.h - the store ops table (struct nc_store_ops) on top
 * of libxenstore, so one code path serves the real xenstored on Xen and
 * the `netchannel sim` daemon (which speaks the same wire protocol on a
 * unix socket).  Link with -lxenstore (Debian: libxen-dev).
 *
 * Opening:
 *   nc_xs_store_open(NULL, &st)      libxenstore's default: the socket named
 *                                    by $XENSTORED_PATH if set, else
 *                                    $XENSTORED_RUNDIR/socket (default
 *                                    /var/run/xenstored/socket), else the
 *                                    xenbus device (/dev/xen/xenbus, or
 *                                    /proc/xen/xenbus): the real xenstored.
 *   nc_xs_store_open(path, &st)      the unix socket (or xenbus device node)
 *                                    at `path`, e.g. a simulator's
 *                                    RUN_DIR/xenstored/socket.  No fallback:
 *                                    if `path` cannot be reached the open
 *                                    fails, it never reaches another store.
 *
 * libxenstore reads the socket path only from the environment, so an
 * explicit path is passed by setting XENSTORED_PATH around xs_open() and
 * restoring the previous value (or its absence) afterwards.  OPENING IS
 * THEREFORE NOT THREAD-SAFE: no other thread may read or change the
 * environment (getenv, setenv, putenv, and whatever calls them: locale,
 * time zone, DNS ...) during nc_xs_store_open() with a path.  Open stores
 * at start-up, before starting threads.
 *
 * Using the ops (they follow netchannel/platform.h; errors are NC_E*):
 *   - libxenstore serialises requests on one handle with its own mutex, so
 *     the ops of one store may be called from several threads;
 *   - the first watch() starts a reader thread inside libxenstore (all
 *     signals blocked in it); it lives until nc_xs_store_close();
 *   - fd() is a pipe owned by libxenstore (created at open), readable
 *     exactly while at least one watch event is queued: level-triggered,
 *     one byte whatever the number of events.  Drain with read_watch()
 *     until it answers 0; never read() the fd yourself;
 *   - read_watch() never blocks: 0 when nothing is queued;
 *   - unwatch() does not purge events that fired before it returned: one
 *     already queued is still delivered (as with the in-process store);
 *     the handlers are expected to be idempotent;
 *   - a lost connection (daemon stopped, xenstored restarted) does NOT make
 *     fd() readable.  Once libxenstore has seen it, every request fails
 *     with NC_EIO, read_watch() too (a request racing with the loss may
 *     instead fail NC_EINVAL); the store must then be closed and
 *     reopened, and its watches and transactions are gone;
 *   - each request briefly sets SIGPIPE to SIG_IGN process-wide (and
 *     restores it): a program that installs its own SIGPIPE handler from
 *     another thread at the same time may lose it; ignoring SIGPIPE for
 *     the whole program avoids the question;
 *   - after fork(), only the parent may use the store; the child must
 *     neither use nor close it (the reader thread exists only in the
 *     parent).
 *
 * Error mapping: libxenstore reports errno; xenstored's own errors (ENOENT,
 * EACCES, EEXIST, EINVAL, EAGAIN, E2BIG, ENOMEM, ENOSPC = quota, EPERM,
 * EBUSY, EIO) become the NC_E* of the same value; a transaction conflict
 * is NC_EAGAIN; anything else, including a lost connection (EBADF, EPIPE,
 * ECONNRESET ...) is NC_EIO.  The buffers of read, directory, get_perms
 * and read_watch that are too small give NC_ENOSPC (read_watch then
 * consumes the event, as the in-process store does).
 */
#ifndef NETCHANNEL_XS_STORE_H
#define NETCHANNEL_XS_STORE_H

#include "netchannel/platform.h"

/* Connect to a xenstored: `socket_path` NULL for libxenstore's default
 * (see above), else a unix socket or a xenbus character device.  Fills
 * *out with the ops and a context; on failure *out is zeroed.
 * NC_OK, or NC_ENOENT (nothing at socket_path), NC_EINVAL (an empty or
 * over-long path, or one naming a regular file or directory), NC_EACCES,
 * NC_ENOMEM, NC_EIO (no daemon listening, or any other failure). */
int nc_xs_store_open(const char *socket_path, struct nc_store *out);

/* Close the connection: the daemon drops its watches and aborts its open
 * transactions; libxenstore's reader thread is stopped and joined.  The
 * fd returned by ops->fd is closed.  *st is zeroed.  NULL, a zeroed store
 * or one this file did not open is left alone. */
void nc_xs_store_close(struct nc_store *st);

#endif

/*
 * plat_server.c - the platform server's sockets and connections (see
 * plat_server.h): accept, read one datagram at a time, check it against
 * the protocol, run its op, reply; HELLO and COUNTS; connection lifetime
 * and domain membership.  The grant and event-channel ops live in
 * plat_grants.c and plat_events.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "sim/plat_internal.h"

/* Fairness: ready sockets per dispatch, messages per socket per event. */
#define PS_EVENTS_PER_DISPATCH 64
#define PS_READS_PER_EVENT 16
#define PS_ACCEPTS_PER_EVENT 16
#define PS_LISTEN_BACKLOG 64

/* --------------------------------------------------------------- helpers */

void ps_log(struct ncsim_plat *srv, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!srv->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	srv->log(srv->log_arg, level, msg);
}

struct ps_domain *ps_domain(struct ncsim_plat *srv, nc_domid_t domid)
{
	return domid < srv->ndomains ? &srv->domains[domid] : NULL;
}

int ps_fd_budget_ok(const struct ps_conn *c)
{
	return c->dom->fds_held < c->srv->fds_per_domain;
}

int ps_reopen_readonly(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_RDONLY | O_CLOEXEC);
}

void ps_reply_fd(struct ps_reply *rep, int fd, int temp)
{
	rep->fds[rep->nfds] = fd;
	rep->temp[rep->nfds] = (uint8_t)temp;
	rep->nfds++;
}

void *ps_reply_body(struct ps_reply *rep, uint32_t len)
{
	void *p;

	if (len > sizeof(rep->body) - rep->len)
		return NULL;
	p = rep->body + rep->len;
	rep->len += len;
	return p;
}

static void reply_close_temps(struct ps_reply *rep)
{
	unsigned i;

	for (i = 0; i < rep->nfds; i++)
		if (rep->temp[i])
			close(rep->fds[i]);
	rep->nfds = 0;
}

/* ------------------------------------------------------------- lifetime */

void ps_conn_kill(struct ps_conn *c, int level, const char *why)
{
	if (c->dead)
		return;
	ps_log(c->srv, level, "platform: domain %u client (fd %d) "
	       "disconnected: %s", (unsigned)c->domid, c->fd, why);
	epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->dead = 1;
	c->srv->reap_pending = 1;
}

void ps_notice(struct ps_conn *c, uint16_t op, const void *body,
	       uint32_t len, const int *fds, unsigned nfds)
{
	struct ncsp_rep_hdr h = { .op = op, .seq = 0, .status = NC_OK,
				  .len = len };
	int rc;

	if (c->dead)
		return;
	rc = ncsp_send(c->fd, &h, sizeof(h), body, len, fds, nfds,
		       MSG_DONTWAIT);
	/* Limit: the socket buffer is the client's notice queue; a client
	 * that lets it fill up is disconnected, never queued for. */
	if (rc)
		ps_conn_kill(c, LOG_WARNING, rc == -EAGAIN ?
			     "does not read its socket" : strerror(-rc));
}

static void domain_join(struct ps_conn *c)
{
	struct ncsim_plat *srv = c->srv;

	c->joined = 1;
	if (c->dom->members++ == 0 && srv->hooks.joined)
		srv->hooks.joined(srv->hooks.arg, c->domid);
}

static void domain_leave(struct ps_conn *c)
{
	struct ncsim_plat *srv = c->srv;

	if (!c->joined)
		return;
	c->joined = 0;
	if (--c->dom->members == 0 && srv->hooks.left)
		srv->hooks.left(srv->hooks.arg, c->domid);
}

static void listeners_resume(struct ncsim_plat *srv);

/* Release what c holds: mappings first (so shares it maps of its own
 * domain are no longer busy), then ports, then shares. */
static void conn_free(struct ps_conn *c, int call_hooks)
{
	struct ncsim_plat *srv = c->srv;

	ps_grants_release(c);
	ps_events_release(c);
	if (call_hooks)
		domain_leave(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	close(c->fd);
	free(c);
}

/* Free dead connections.  Freeing one may kill others (a notice they
 * could not take): loop until none is left. */
static void reap(struct ncsim_plat *srv)
{
	struct ps_conn *c, *next;
	int freed = 0;

	while (srv->reap_pending) {
		srv->reap_pending = 0;
		for (c = srv->conns; c; c = next) {
			next = c->next;
			if (!c->dead)
				continue;
			conn_free(c, 1);
			freed = 1;
			/* the list may have changed behind `next` */
			srv->reap_pending = 1;
			break;
		}
	}
	if (freed)
		listeners_resume(srv);
}

static struct ps_conn *conn_new(struct ncsim_plat *srv, int fd,
				nc_domid_t domid)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct ps_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = PS_CONN;
	c->srv = srv;
	c->fd = fd;
	c->domid = domid;
	c->dom = ps_domain(srv, domid);
	c->next_map_id = 1;
	ev.data.ptr = c;
	if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		free(c);
		return NULL;
	}
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	srv->nconns++;
	return c;
}

/* --------------------------------------------------------- HELLO, COUNTS */

static int op_hello(struct ps_conn *c, const struct ps_req *r,
		    struct ps_reply *rep)
{
	struct ncsp_hello h;
	struct ncsp_hello_rep *out;
	int fd;

	if (r->len != sizeof(h))
		return PS_BAD_MSG;
	memcpy(&h, r->body, sizeof(h));
	if (h.magic != NCSP_MAGIC || h.join > 1)
		return PS_BAD_MSG;
	if (h.version != NCSP_VERSION)
		return NC_EPROTO;
	c->hello = 1;
	out = ps_reply_body(rep, sizeof(*out));
	out->version = NCSP_VERSION;
	out->domid = c->domid;
	out->ndomains = (uint16_t)c->srv->ndomains;
	out->max_grants = NCSP_MAX_GRANTS;
	out->max_ports = NCSP_MAX_PORTS;
	if (!h.join)
		return NC_OK;
	/* Security: clients get the table read-only (the memfd is also
	 * sealed against new writable mappings: ps_grants_init). */
	fd = dup(c->srv->table_ro_fd);
	if (fd < 0)
		return NC_ENOMEM;
	ps_reply_fd(rep, fd, 1);
	domain_join(c);
	return NC_OK;
}

static int op_counts(struct ps_conn *c, const struct ps_req *r,
		     struct ps_reply *rep)
{
	struct ncsp_counts q;
	struct ncsp_counts_rep *out;
	struct ps_domain *d;

	if (r->len != sizeof(q))
		return PS_BAD_MSG;
	memcpy(&q, r->body, sizeof(q));
	d = ps_domain(c->srv, q.domid);
	if (!d)
		return NC_ENOENT;
	out = ps_reply_body(rep, sizeof(*out));
	out->grants = d->grants_used;
	out->mapped = d->mapped_pages;
	out->ports = d->ports_used;
	out->processes = d->members;
	return NC_OK;
}

/* ------------------------------------------------------------- requests */

typedef int (*ps_op_fn)(struct ps_conn *c, const struct ps_req *r,
			struct ps_reply *rep);

static ps_op_fn op_handler(uint16_t op)
{
	switch (op) {
	case NCSP_HELLO: return op_hello;
	case NCSP_COUNTS: return op_counts;
	case NCSP_SHARE: return ps_op_share;
	case NCSP_PUBLISH: return ps_op_publish;
	case NCSP_UNSHARE: return ps_op_unshare;
	case NCSP_MAP: return ps_op_map;
	case NCSP_UNMAP: return ps_op_unmap;
	case NCSP_COPY_ACCESS: return ps_op_copy_access;
	case NCSP_ALLOC_UNBOUND: return ps_op_alloc_unbound;
	case NCSP_BIND_INTERDOMAIN: return ps_op_bind;
	case NCSP_UNBIND: return ps_op_unbind;
	default: return NULL;
	}
}

/* Check a datagram against the protocol; 0 and *r filled, or -1. */
static int parse_request(const uint8_t *msg, size_t n, struct ps_req *r)
{
	struct ncsp_req_hdr h;

	if (n < sizeof(h))
		return -1;
	memcpy(&h, msg, sizeof(h));
	if (h.flags || h.reserved || h.seq == 0 || h.len > NCSP_MAX_BODY ||
	    h.len != n - sizeof(h) || !op_handler(h.op))
		return -1;
	r->op = h.op;
	r->seq = h.seq;
	r->body = msg + sizeof(h);
	r->len = h.len;
	return 0;
}

/* Whether a connection may send op in its state: NC_OK, NC_EPERM, or
 * PS_BAD_MSG (out of sequence: malformed). */
static int op_allowed(const struct ps_conn *c, uint16_t op)
{
	if (!c->hello)       /* HELLO first */
		return op == NCSP_HELLO ? NC_OK : PS_BAD_MSG;
	if (op == NCSP_HELLO)
		return PS_BAD_MSG;                      /* ... and once */
	/* An observer only asks COUNTS. */
	if (!c->joined && op != NCSP_COUNTS)
		return NC_EPERM;
	return NC_OK;
}

static void send_reply(struct ps_conn *c, const struct ps_req *r,
		       struct ps_reply *rep)
{
	struct ncsp_rep_hdr h = { .op = r->op, .seq = r->seq,
				  .status = rep->status };
	int rc;

	if (c->dead) {        /* killed while handling: no reply */
		reply_close_temps(rep);
		return;
	}
	if (rep->status != NC_OK) {   /* a failure carries nothing */
		reply_close_temps(rep);
		rep->len = 0;
	}
	h.len = rep->len;
	rc = ncsp_send(c->fd, &h, sizeof(h), rep->body, rep->len, rep->fds,
		       rep->nfds, MSG_DONTWAIT);
	reply_close_temps(rep);
	/* Limit: a client that sends without reading its replies fills its
	 * socket and is disconnected. */
	if (rc)
		ps_conn_kill(c, LOG_WARNING, rc == -EAGAIN ?
			     "does not read its replies" : strerror(-rc));
}

static void handle_message(struct ps_conn *c, const uint8_t *msg, size_t n)
{
	struct ps_reply *rep = &c->srv->reply;
	struct ps_req r;
	int rc;

	/* Malformed: the connection goes, the daemon stays. */
	if (parse_request(msg, n, &r) < 0) {
		ps_conn_kill(c, LOG_WARNING, "malformed message");
		return;
	}
	rc = op_allowed(c, r.op);
	if (rc == PS_BAD_MSG) {
		ps_conn_kill(c, LOG_WARNING, "request out of sequence");
		return;
	}
	memset(rep, 0, offsetof(struct ps_reply, body));
	if (rc == NC_OK)
		rc = op_handler(r.op)(c, &r, rep);
	if (rc == PS_BAD_MSG) {
		reply_close_temps(rep);
		ps_conn_kill(c, LOG_WARNING, "malformed request body");
		return;
	}
	rep->status = rc;
	send_reply(c, &r, rep);
}

static void conn_read(struct ps_conn *c)
{
	int fds[NCSP_MAX_FDS];
	unsigned i, nfds;
	ssize_t n;

	for (i = 0; i < PS_READS_PER_EVENT && !c->dead; i++) {
		n = ncsp_recv(c->fd, c->srv->in, sizeof(c->srv->in), fds,
			      &nfds, MSG_DONTWAIT);
		if (n == -EAGAIN)
			return;
		/* The process closed it or exited (with requests unread). */
		if (n == 0 || n == -ECONNRESET) {
			ps_conn_kill(c, LOG_DEBUG, "closed");
			return;
		}
		/* Limit: a message longer than NCSP_MAX_MSG, or one carrying
		 * fds (clients never send any), is malformed. */
		if (n < 0 || nfds) {
			ncsp_close_fds(fds, nfds);
			ps_conn_kill(c, LOG_WARNING, n == -EMSGSIZE || nfds
				     ? "oversized message or fds sent"
				     : strerror((int)-n));
			return;
		}
		handle_message(c, c->srv->in, (size_t)n);
	}
}

static void conn_event(struct ps_conn *c, uint32_t events)
{
	if (events & EPOLLIN)
		conn_read(c);
	else if (events & (EPOLLHUP | EPOLLERR))
		ps_conn_kill(c, LOG_DEBUG, "hung up");
}

/* ------------------------------------------------------------ listeners */

static void listener_watch(struct ncsim_plat *srv, struct ps_listener *l,
			   int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	ev.data.ptr = l;
	epoll_ctl(srv->epfd, EPOLL_CTL_MOD, l->fd, &ev);
	l->paused = !on;
}

static void listeners_resume(struct ncsim_plat *srv)
{
	struct ps_listener *l;

	for (l = srv->listeners; l; l = l->next)
		if (l->paused)
			listener_watch(srv, l, 1);
}

static void listener_accept(struct ncsim_plat *srv, struct ps_listener *l)
{
	unsigned i;
	int fd;

	for (i = 0; i < PS_ACCEPTS_PER_EVENT; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			/* Out of fds: stop accepting (a level-triggered
			 * listener would spin) until a connection closes. */
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				ps_log(srv, LOG_WARNING, "%s: accept: %s; "
				       "pausing", l->path, strerror(errno));
				listener_watch(srv, l, 0);
			}
			return;
		}
		/* Limit: PS_MAX_CONNS at once; more get EOF. */
		if (srv->nconns >= PS_MAX_CONNS || !conn_new(srv, fd, l->domid)) {
			ps_log(srv, LOG_WARNING, "%s: refusing a client", l->path);
			close(fd);
		}
	}
}

/* A socket file at path: a live daemon's (-EADDRINUSE), a stale one
 * (removed: 0), something else (-EEXIST), or nothing (0). */
static int clear_stale_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (rc == 0 || (errno != ECONNREFUSED && errno != EPROTOTYPE))
		return -EADDRINUSE;
	return unlink(addr->sun_path) < 0 ? -errno : 0;
}

static int bind_listen(const struct sockaddr_un *addr, nc_domid_t domid)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	int err;

	if (fd < 0)
		return -errno;
	/* Security: a client is of the domain of the socket it reaches;
	 * domain 0's socket is for its owner only. */
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    chmod(addr->sun_path, domid == 0 ? 0600 : 0660) < 0 ||
	    listen(fd, PS_LISTEN_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ncsim_plat_listen(struct ncsim_plat *srv, const char *path,
		      nc_domid_t domid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct ps_listener *l;
	int rc, fd;

	if (!srv || !path || domid >= srv->ndomains)
		return -EINVAL;
	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	rc = clear_stale_socket(&addr);
	if (rc)
		return rc;
	fd = bind_listen(&addr, domid);
	if (fd < 0)
		return fd;
	l = calloc(1, sizeof(*l));
	ev.data.ptr = l;
	if (!l || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = l ? -errno : -ENOMEM;
		free(l);
		close(fd);
		unlink(path);
		return rc;
	}
	l->kind = PS_LISTENER;
	l->fd = fd;
	l->domid = domid;
	strcpy(l->path, path);
	l->next = srv->listeners;
	srv->listeners = l;
	return 0;
}

/* --------------------------------------------------------------- server */

/* Limit: each domain may make the daemon hold an equal part of the fds
 * left once connections and the store have theirs. */
static unsigned fd_budget(unsigned ndomains)
{
	struct rlimit rl;
	rlim_t avail = 0;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > PS_FDS_RESERVED)
		avail = rl.rlim_cur == RLIM_INFINITY ? (rlim_t)1 << 20
						      : rl.rlim_cur;
	avail = (avail > PS_FDS_RESERVED ? avail - PS_FDS_RESERVED : 0) /
		ndomains;
	return avail < PS_MIN_FDS_PER_DOMAIN ? PS_MIN_FDS_PER_DOMAIN
					     : (unsigned)avail;
}

struct ncsim_plat *ncsim_plat_new(unsigned ndomains)
{
	struct ncsim_plat *srv;
	unsigned i;

	if (ndomains < 1 || ndomains > 256)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->ndomains = ndomains;
	srv->fds_per_domain = fd_budget(ndomains);
	srv->table_fd = srv->table_ro_fd = -1;
	srv->domains = calloc(ndomains, sizeof(*srv->domains));
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!srv->domains || srv->epfd < 0 || ps_grants_init(srv) < 0) {
		ncsim_plat_free(srv);
		return NULL;
	}
	for (i = 0; i < ndomains; i++)
		srv->domains[i].id = (nc_domid_t)i;
	return srv;
}

void ncsim_plat_free(struct ncsim_plat *srv)
{
	struct ps_listener *l;

	if (!srv)
		return;
	while (srv->conns)
		conn_free(srv->conns, 0);
	while ((l = srv->listeners)) {
		srv->listeners = l->next;
		close(l->fd);
		unlink(l->path);
		free(l);
	}
	ps_events_fini(srv);
	ps_grants_fini(srv);
	if (srv->epfd >= 0)
		close(srv->epfd);
	free(srv->domains);
	free(srv);
}

void ncsim_plat_set_log(struct ncsim_plat *srv, ncsim_plat_log_fn fn,
			void *arg)
{
	srv->log = fn;
	srv->log_arg = arg;
}

void ncsim_plat_set_hooks(struct ncsim_plat *srv,
			  const struct ncsim_plat_hooks *hooks)
{
	srv->hooks = *hooks;
}

int ncsim_plat_fd(const struct ncsim_plat *srv)
{
	return srv->epfd;
}

int ncsim_plat_dispatch(struct ncsim_plat *srv)
{
	struct epoll_event ev[PS_EVENTS_PER_DISPATCH];
	enum ps_kind *kind;
	int i, n;

	n = epoll_wait(srv->epfd, ev, PS_EVENTS_PER_DISPATCH, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		kind = ev[i].data.ptr;
		if (*kind == PS_LISTENER)
			listener_accept(srv, ev[i].data.ptr);
		else if (!((struct ps_conn *)ev[i].data.ptr)->dead)
			conn_event(ev[i].data.ptr, ev[i].events);
	}
	reap(srv);
	return n;
}

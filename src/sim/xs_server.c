/*
 * xs_server.c - the simulator's xenstored (see xs_server.h).
 *
 * Three parts: byte queues; connections (read, parse, answer, flush, and
 * the watch sink); the mapping of each request type onto the engine.
 *
 * Object lifetime: a connection that must go (EOF, error, flooding) is only
 * marked dead; it is freed by reap() once no caller up the stack can still
 * hold it: at the end of ncsim_xs_dispatch() and of the domain calls.
 * Watch sinks may run for any connection while another one's request is
 * being handled, so a sink never frees anything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <xen/xen.h>    /* DOMID_FIRST_RESERVED */

#include "sim/xs_server.h"
#include "sim/xs_wire.h"

/* Ready sockets handled per dispatch, and reads per socket per dispatch:
 * fairness between clients, and between the store and other services. */
#define XS_EVENTS_PER_DISPATCH 64
#define XS_READS_PER_EVENT 16
#define XS_ACCEPTS_PER_EVENT 16
#define XS_LISTEN_BACKLOG 64
/* A drained queue keeps at most this much memory. */
#define XS_BUF_KEEP (64u * 1024u)

/* What an epoll event's data.ptr points to: the first member of both. */
enum xs_kind { XS_LISTENER, XS_CONN };

struct xs_buf {
	char *data;
	size_t head;            /* first queued byte */
	size_t len;             /* queued bytes */
	size_t cap;             /* bytes allocated */
};

struct xs_listener {
	enum xs_kind kind;              /* XS_LISTENER */
	struct xs_listener *next;
	int fd;
	nc_domid_t domid;
	int paused;                     /* out of fds: not accepting */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct xs_conn {
	enum xs_kind kind;              /* XS_CONN */
	struct ncsim_xs *srv;
	struct xs_conn *prev, *next;    /* in srv->conns */
	int fd;
	nc_domid_t domid;
	struct ncs_conn *store;         /* this client in the engine */
	uint32_t interest;              /* epoll events registered */
	int dead;                       /* to be freed by reap() */
	int closing;                    /* peer sent EOF: flush, then go */
	int in_request;                 /* handling one of its requests */
	int warned;                     /* a malformed request was logged */
	size_t in_len;                  /* bytes in in[] */
	struct xs_buf out;              /* replies and events to send */
	struct xs_buf deferred;         /* events raised by the request being
					 * handled: sent after its reply */
	/* Limit: input holds at most one whole message; parsing consumes
	 * every complete one before more is read. */
	char in[NCSIM_XS_MSG_MAX];
};

struct ncsim_xs {
	struct ncs_store *store;
	int epfd;
	struct xs_listener *listeners;
	struct xs_conn *conns;
	unsigned nconns;
	int reap_pending;               /* some connection is dead */
	int dispatching;                /* inside ncsim_xs_dispatch() */
	ncsim_xs_log_fn log;
	void *log_arg;
	uint8_t introduced[(UINT16_MAX + 1) / 8];   /* bit per domain */
};

/* --------------------------------------------------------------- logging */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void xs_log(struct ncsim_xs *srv, int level, const char *fmt, ...)
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

/* ----------------------------------------------------------- byte queues */

static void buf_free(struct xs_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Append n bytes; the caller checked the connection's limit, so the
 * queue never grows past NCSIM_XS_OUTQ_MAX. */
static int buf_append(struct xs_buf *b, const void *data, size_t n)
{
	size_t cap;
	char *p;

	if (b->head + b->len + n > b->cap && b->head) {
		memmove(b->data, b->data + b->head, b->len);
		b->head = 0;
	}
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap * 2 : 4096;
		if (cap < b->len + n)
			cap = b->len + n;
		if (cap > NCSIM_XS_OUTQ_MAX)
			cap = NCSIM_XS_OUTQ_MAX;
		if (cap < b->len + n)
			return NC_ENOMEM;
		p = realloc(b->data, cap);
		if (!p)
			return NC_ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->head + b->len, data, n);
	b->len += n;
	return NC_OK;
}

static void buf_consume(struct xs_buf *b, size_t n)
{
	b->head += n;
	b->len -= n;
	if (b->len)
		return;
	b->head = 0;
	if (b->cap > XS_BUF_KEEP)
		buf_free(b);
}

/* ------------------------------------------------------- domain records */

static int introduced_get(const struct ncsim_xs *srv, nc_domid_t d)
{
	return (srv->introduced[d / 8] >> (d % 8)) & 1;
}

static void introduced_set(struct ncsim_xs *srv, nc_domid_t d, int on)
{
	if (on)
		srv->introduced[d / 8] |= (uint8_t)(1u << (d % 8));
	else
		srv->introduced[d / 8] &= (uint8_t)~(1u << (d % 8));
}

/* ---------------------------------------------------- connection basics */

/* Mark c for reaping and stop watching its socket.  Safe anywhere,
 * including inside a watch sink. */
static void conn_kill(struct xs_conn *c, int level, const char *why)
{
	if (c->dead)
		return;
	xs_log(c->srv, level, "domain %u client (fd %d) disconnected: %s",
	       (unsigned)c->domid, c->fd, why);
	epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	c->dead = 1;
	c->srv->reap_pending = 1;
}

static void conn_set_interest(struct xs_conn *c)
{
	struct epoll_event ev = { 0 };
	uint32_t want = 0;

	if (c->dead)
		return;
	/* Readable interest only when a read can make progress: otherwise a
	 * level-triggered EPOLLIN would spin. */
	if (!c->closing && c->out.len < NCSIM_XS_OUTQ_PAUSE &&
	    c->in_len < sizeof(c->in))
		want |= EPOLLIN;
	if (c->out.len)
		want |= EPOLLOUT;
	if (want == c->interest)
		return;
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
		conn_kill(c, LOG_ERR, "epoll_ctl failed");
		return;
	}
	c->interest = want;
}

/* Queue one whole message on c's output (or its deferred events).
 * Security invariant: what one client has queued, replies and events
 * together, never exceeds NCSIM_XS_OUTQ_MAX; a client that lets it grow
 * that far by not reading is disconnected. */
static void conn_queue(struct xs_conn *c, struct xs_buf *b, const void *msg,
		       size_t n)
{
	if (c->dead)
		return;
	if (c->out.len + c->deferred.len + n > NCSIM_XS_OUTQ_MAX) {
		conn_kill(c, LOG_WARNING, "not reading: output queue full");
		return;
	}
	if (buf_append(b, msg, n) != NC_OK) {
		conn_kill(c, LOG_ERR, "out of memory");
		return;
	}
	if (b == &c->out)
		conn_set_interest(c);
}

/* The engine's watch sink: one XS_WATCH_EVENT for this client.  An event
 * caused by the client's own request follows that request's reply (as
 * xenstored acks XS_WATCH before the watch's first event). */
static void conn_watch_sink(void *arg, const char *path, const char *token)
{
	struct xs_conn *c = arg;
	char msg[NCSIM_XS_MSG_MAX];
	size_t n;

	if (c->dead)
		return;
	n = ncsim_xs_format_watch_event(msg, sizeof(msg), path, token);
	if (!n) {       /* the engine keeps events small enough: never */
		xs_log(c->srv, LOG_ERR, "watch event too long, dropped");
		return;
	}
	conn_queue(c, c->in_request ? &c->deferred : &c->out, msg, n);
}

/* Move the events raised by the request just answered behind its reply.
 * No new limit check: conn_queue() bounded out + deferred already. */
static void conn_release_deferred(struct xs_conn *c)
{
	if (c->deferred.len && !c->dead &&
	    buf_append(&c->out, c->deferred.data + c->deferred.head,
		       c->deferred.len) != NC_OK)
		conn_kill(c, LOG_ERR, "out of memory");
	buf_consume(&c->deferred, c->deferred.len);
	conn_set_interest(c);
}

/* --------------------------------------------------------------- replies */

static void reply(struct xs_conn *c, const struct xsd_sockmsg *req,
		  uint32_t type, const void *payload, size_t len)
{
	char msg[NCSIM_XS_MSG_MAX];
	size_t n;

	n = ncsim_xs_format_reply(msg, sizeof(msg), req, type, payload, len);
	if (!n)
		n = ncsim_xs_format_error(msg, sizeof(msg), req, NC_E2BIG);
	conn_queue(c, &c->out, msg, n);
}

static void reply_error(struct xs_conn *c, const struct xsd_sockmsg *req,
			int err)
{
	char msg[NCSIM_XS_HDR_SIZE + 16];
	size_t n = ncsim_xs_format_error(msg, sizeof(msg), req, err);

	conn_queue(c, &c->out, msg, n);
}

static int ack(struct xs_conn *c, const struct xsd_sockmsg *req)
{
	reply(c, req, req->type, "OK", 3);
	return NC_OK;
}

/* A string reply, sent with its NUL as xenstored does. */
static int reply_string(struct xs_conn *c, const struct xsd_sockmsg *req,
			const char *s)
{
	reply(c, req, req->type, s, strlen(s) + 1);
	return NC_OK;
}

/* ------------------------------------------------------------ operations */
/* Each one answers NC_OK once it queued its reply, or an error for the
 * caller to send as XS_ERROR. */

static int op_read(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	const char *val;
	size_t len;
	int rc = ncs_read(c->store, r->hdr.tx_id, r->path, &val, &len);

	if (rc)
		return rc;
	reply(c, &r->hdr, XS_READ, val, len);
	return NC_OK;
}

static int op_write(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_write(c->store, r->hdr.tx_id, r->path, r->value,
			   r->value_len);

	return rc ? rc : ack(c, &r->hdr);
}

static int op_mkdir(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_mkdir(c->store, r->hdr.tx_id, r->path);

	return rc ? rc : ack(c, &r->hdr);
}

static int op_rm(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_rm(c->store, r->hdr.tx_id, r->path);

	return rc ? rc : ack(c, &r->hdr);
}

/* A listing longer than one message answers E2BIG: libxenstore then
 * fetches it with XS_DIRECTORY_PART. */
static int op_directory(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	const char *names;
	size_t len;
	int rc = ncs_directory(c->store, r->hdr.tx_id, r->path, &names, &len);

	if (rc)
		return rc;
	if (len > XENSTORE_PAYLOAD_MAX)
		return NC_E2BIG;
	reply(c, &r->hdr, XS_DIRECTORY, names, len);
	return NC_OK;
}

static int op_directory_part(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	char payload[XENSTORE_PAYLOAD_MAX];
	const char *names;
	size_t len;
	int rc = ncs_directory(c->store, r->hdr.tx_id, r->path, &names, &len);

	if (rc)
		return rc;
	rc = ncsim_xs_directory_part_payload(payload, sizeof(payload), names,
					     len, r->offset);
	if (rc < 0)
		return rc;
	reply(c, &r->hdr, XS_DIRECTORY_PART, payload, (size_t)rc);
	return NC_OK;
}

static int op_get_perms(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	struct nc_store_perm perms[NC_STORE_MAX_PERMS];
	char payload[NC_STORE_MAX_PERMS * 8];   /* "b65535\0" each */
	int n = ncs_get_perms(c->store, r->hdr.tx_id, r->path, perms,
			      NC_STORE_MAX_PERMS);

	if (n < 0)
		return n;
	n = ncsim_xs_perms_payload(payload, sizeof(payload), perms,
				   (unsigned)n);
	if (n < 0)
		return n;
	reply(c, &r->hdr, XS_GET_PERMS, payload, (size_t)n);
	return NC_OK;
}

static int op_set_perms(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_set_perms(c->store, r->hdr.tx_id, r->path, r->perms,
			       r->nperms);

	return rc ? rc : ack(c, &r->hdr);
}

/* The tx_id of XS_WATCH and XS_UNWATCH is ignored (xenstore.txt). */
static int op_watch(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_watch(c->store, r->path, r->token);

	return rc ? rc : ack(c, &r->hdr);
}

static int op_unwatch(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_unwatch(c->store, r->path, r->token);

	return rc ? rc : ack(c, &r->hdr);
}

static int op_transaction_start(struct xs_conn *c,
				const struct ncsim_xs_req *r)
{
	char id[16];
	nc_txn_t t;
	int rc;

	if (r->hdr.tx_id != 0)
		return NC_EBUSY;        /* no nesting, as xenstored */
	rc = ncs_txn_start(c->store, &t);
	if (rc)
		return rc;
	snprintf(id, sizeof(id), "%u", (unsigned)t);
	return reply_string(c, &r->hdr, id);
}

static int op_transaction_end(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc = ncs_txn_end(c->store, r->hdr.tx_id, r->commit);

	return rc ? rc : ack(c, &r->hdr);
}

static int op_get_domain_path(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	char path[32];
	int rc = ncs_get_domain_path(r->domid, path, sizeof(path));

	return rc ? rc : reply_string(c, &r->hdr, path);
}

static int op_is_domain_introduced(struct xs_conn *c,
				   const struct ncsim_xs_req *r)
{
	return reply_string(c, &r->hdr,
			    ncsim_xs_domain_introduced(c->srv, r->domid)
			    ? "T" : "F");
}

/* Security invariant: only domain 0 tells the store which domains exist
 * (xenstored answers EACCES to anyone else). */
static int op_introduce(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc;

	if (c->domid != 0)
		return NC_EACCES;
	rc = ncsim_xs_introduce_domain(c->srv, r->domid);
	return rc ? rc : ack(c, &r->hdr);
}

static int op_release(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc;

	if (c->domid != 0)
		return NC_EACCES;
	rc = ncsim_xs_release_domain(c->srv, r->domid);
	return rc ? rc : ack(c, &r->hdr);
}

/* Drop every watch and transaction of the client: a fresh engine
 * connection does exactly that. */
static int op_reset_watches(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	struct ncs_conn *fresh = ncs_conn_new(c->srv->store, c->domid,
					      c->domid == 0, conn_watch_sink, c);

	if (!fresh)
		return NC_ENOMEM;
	ncs_conn_free(c->store);
	c->store = fresh;
	return ack(c, &r->hdr);
}

/* A minimal XS_CONTROL: "check" (nothing to check) and "help". */
static int op_control(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	if (c->domid != 0)
		return NC_EACCES;
	if (strcmp(r->command, "check") == 0)
		return ack(c, &r->hdr);
	if (strcmp(r->command, "help") == 0)
		return reply_string(c, &r->hdr, "check\nhelp\n");
	return NC_EINVAL;
}

static int run_op(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	switch (r->hdr.type) {
	case XS_READ: return op_read(c, r);
	case XS_WRITE: return op_write(c, r);
	case XS_MKDIR: return op_mkdir(c, r);
	case XS_RM: return op_rm(c, r);
	case XS_DIRECTORY: return op_directory(c, r);
	case XS_DIRECTORY_PART: return op_directory_part(c, r);
	case XS_GET_PERMS: return op_get_perms(c, r);
	case XS_SET_PERMS: return op_set_perms(c, r);
	case XS_WATCH: return op_watch(c, r);
	case XS_UNWATCH: return op_unwatch(c, r);
	case XS_TRANSACTION_START: return op_transaction_start(c, r);
	case XS_TRANSACTION_END: return op_transaction_end(c, r);
	case XS_GET_DOMAIN_PATH: return op_get_domain_path(c, r);
	case XS_IS_DOMAIN_INTRODUCED: return op_is_domain_introduced(c, r);
	case XS_INTRODUCE: return op_introduce(c, r);
	case XS_RELEASE: return op_release(c, r);
	case XS_RESET_WATCHES: return op_reset_watches(c, r);
	case XS_CONTROL: return op_control(c, r);
	default: return NC_EINVAL;  /* the parser already refused these */
	}
}

/* ----------------------------------------------------- request handling */

static void note_malformed(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	/* One line per connection: a client cannot flood the log. */
	if (c->warned)
		return;
	c->warned = 1;
	xs_log(c->srv, LOG_NOTICE,
	       "domain %u client (fd %d): malformed request type %u: %s",
	       (unsigned)c->domid, c->fd, (unsigned)r->hdr.type,
	       ncsim_xs_errname(r->err));
}

static void handle_request(struct xs_conn *c, const struct ncsim_xs_req *r)
{
	int rc;

	c->in_request = 1;
	if (r->err)
		note_malformed(c, r);
	rc = r->err ? r->err : run_op(c, r);
	if (rc)
		reply_error(c, &r->hdr, rc);
	c->in_request = 0;
	conn_release_deferred(c);
}

/* Parse and answer the complete messages in c->in, unless c's output is
 * over NCSIM_XS_OUTQ_PAUSE: a client must read its replies before it may
 * send more. */
static void conn_process_input(struct xs_conn *c)
{
	struct ncsim_xs_req req;
	size_t off = 0;
	int n;

	while (!c->dead && c->out.len < NCSIM_XS_OUTQ_PAUSE) {
		n = ncsim_xs_parse(c->in + off, c->in_len - off, &req);
		if (n == 0)
			break;
		if (n < 0) {
			reply_error(c, &req.hdr, n);
			c->closing = 1;     /* the stream is out of step */
			xs_log(c->srv, LOG_NOTICE,
			       "domain %u client (fd %d): payload length %u "
			       "over %u", (unsigned)c->domid, c->fd,
			       (unsigned)req.hdr.len,
			       (unsigned)XENSTORE_PAYLOAD_MAX);
			c->in_len = 0;
			return;
		}
		handle_request(c, &req);
		off += (size_t)n;
	}
	memmove(c->in, c->in + off, c->in_len - off);
	c->in_len -= off;
}

/* Send what c's output holds, as far as the socket takes it. */
static void conn_flush(struct xs_conn *c)
{
	ssize_t w;

	while (!c->dead && c->out.len) {
		w = send(c->fd, c->out.data + c->out.head, c->out.len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			buf_consume(&c->out, (size_t)w);
		} else if (w < 0 && errno == EINTR) {
			continue;
		} else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			break;
		} else {
			conn_kill(c, LOG_DEBUG, "send failed");
			return;
		}
	}
	if (!c->dead && c->closing && !c->out.len)
		conn_kill(c, LOG_DEBUG, "end of stream");
}

/* Answer and send until neither moves: c then needs new input, or its
 * peer must read.  Terminates: each round consumes input (bounded by
 * in[]) or sends output, and output only grows by consuming input. */
static void conn_pump(struct xs_conn *c)
{
	size_t in_before, out_before;

	do {
		in_before = c->in_len;
		out_before = c->out.len;
		conn_process_input(c);
		conn_flush(c);
	} while (!c->dead &&
		 (c->in_len != in_before || c->out.len != out_before));
	conn_set_interest(c);
}

static int conn_may_read(const struct xs_conn *c)
{
	return !c->dead && !c->closing &&
	       c->out.len < NCSIM_XS_OUTQ_PAUSE && c->in_len < sizeof(c->in);
}

/* Read what the socket holds, answering as it comes: buffered requests
 * first, so that in[] has room. */
static void conn_read(struct xs_conn *c)
{
	unsigned rounds;
	ssize_t r;

	conn_pump(c);
	for (rounds = 0; rounds < XS_READS_PER_EVENT && conn_may_read(c);
	     rounds++) {
		r = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);
		if (r > 0) {
			c->in_len += (size_t)r;
		} else if (r == 0) {
			c->closing = 1;  /* answer what came, then close */
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			break;
		} else {
			conn_kill(c, LOG_DEBUG, "recv failed");
			break;
		}
		conn_pump(c);
	}
}

static void conn_event(struct xs_conn *c, uint32_t events)
{
	if (c->dead)
		return;
	if (events & EPOLLIN)
		conn_read(c);
	if (events & EPOLLOUT)
		conn_pump(c);
	if (!c->dead && (events & (EPOLLERR | EPOLLHUP)))
		conn_kill(c, LOG_DEBUG, "hung up");
}

/* ---------------------------------------------------- connection set-up */

static void conn_free(struct xs_conn *c)
{
	struct ncsim_xs *srv = c->srv;

	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv->nconns--;
	ncs_conn_free(c->store);
	if (!c->dead)
		epoll_ctl(srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	buf_free(&c->out);
	buf_free(&c->deferred);
	free(c);
}

static void listeners_resume(struct ncsim_xs *srv);

/* Free the dead connections.  Only from the top of a call into the
 * server, when no caller holds a connection. */
static void reap(struct ncsim_xs *srv)
{
	struct xs_conn *c, *next;
	int freed = 0;

	if (!srv->reap_pending)
		return;
	srv->reap_pending = 0;
	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->dead) {
			conn_free(c);
			freed = 1;
		}
	}
	if (freed)
		listeners_resume(srv);
}

static struct xs_conn *conn_new(struct ncsim_xs *srv, int fd,
				nc_domid_t domid)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct xs_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->kind = XS_CONN;
	c->srv = srv;
	c->fd = fd;
	c->domid = domid;
	c->store = ncs_conn_new(srv->store, domid, domid == 0,
				conn_watch_sink, c);
	ev.data.ptr = c;
	if (!c->store || epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		ncs_conn_free(c->store);
		free(c);
		return NULL;
	}
	c->interest = EPOLLIN;
	c->next = srv->conns;
	if (c->next)
		c->next->prev = c;
	srv->conns = c;
	srv->nconns++;
	return c;
}

/* ------------------------------------------------------------ listeners */

static void listener_watch(struct ncsim_xs *srv, struct xs_listener *l,
			   int on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	ev.data.ptr = l;
	epoll_ctl(srv->epfd, EPOLL_CTL_MOD, l->fd, &ev);
	l->paused = !on;
}

static void listeners_resume(struct ncsim_xs *srv)
{
	struct xs_listener *l;

	for (l = srv->listeners; l; l = l->next)
		if (l->paused)
			listener_watch(srv, l, 1);
}

/* Out of fds or memory: stop accepting (a level-triggered listener
 * would spin) until a connection closes. */
static void listener_pause(struct ncsim_xs *srv, struct xs_listener *l)
{
	xs_log(srv, LOG_WARNING, "%s: accept: %s; pausing", l->path,
	       strerror(errno));
	listener_watch(srv, l, 0);
}

static void listener_accept(struct ncsim_xs *srv, struct xs_listener *l)
{
	unsigned i;
	int fd;

	for (i = 0; i < XS_ACCEPTS_PER_EVENT; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				listener_pause(srv, l);
			return;     /* EAGAIN, or the peer already left */
		}
		/* Limit: NCSIM_XS_MAX_CONNS at once; more get EOF. */
		if (srv->nconns >= NCSIM_XS_MAX_CONNS ||
		    !conn_new(srv, fd, l->domid)) {
			xs_log(srv, LOG_WARNING, "%s: refusing a client: %s",
			       l->path, srv->nconns >= NCSIM_XS_MAX_CONNS
			       ? "too many connections" : "out of memory");
			close(fd);
			continue;
		}
		xs_log(srv, LOG_DEBUG, "domain %u client (fd %d) connected",
		       (unsigned)l->domid, fd);
	}
}

/* A socket file at path: a live daemon's (-EADDRINUSE), a stale one
 * (removed: NC_OK), something else (-EEXIST), or nothing (NC_OK). */
static int clear_stale_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, rc;

	if (lstat(addr->sun_path, &st) < 0)
		return errno == ENOENT ? NC_OK : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)addr, sizeof(*addr));
	close(fd);
	if (rc == 0 || errno != ECONNREFUSED)
		return -EADDRINUSE;
	return unlink(addr->sun_path) < 0 ? -errno : NC_OK;
}

static int bind_listen(const struct sockaddr_un *addr, nc_domid_t domid)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	/* Security: domain 0's socket makes its clients privileged. */
	if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 ||
	    chmod(addr->sun_path, domid == 0 ? 0600 : 0660) < 0 ||
	    listen(fd, XS_LISTEN_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int ncsim_xs_listen(struct ncsim_xs *srv, const char *path, nc_domid_t domid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .events = EPOLLIN };
	struct xs_listener *l;
	int rc, fd;

	if (!srv || !path)
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
	l->kind = XS_LISTENER;
	l->fd = fd;
	l->domid = domid;
	strcpy(l->path, path);
	l->next = srv->listeners;
	srv->listeners = l;
	return NC_OK;
}

/* --------------------------------------------------------------- server */

struct ncsim_xs *ncsim_xs_new(struct ncs_store *store)
{
	struct ncsim_xs *srv;

	if (!store)
		return NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->store = store;
	srv->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (srv->epfd < 0) {
		free(srv);
		return NULL;
	}
	introduced_set(srv, 0, 1);
	return srv;
}

void ncsim_xs_free(struct ncsim_xs *srv)
{
	struct xs_conn *c, *next;
	struct xs_listener *l;

	if (!srv)
		return;
	for (c = srv->conns; c; c = next) {
		next = c->next;
		conn_free(c);
	}
	while ((l = srv->listeners)) {
		srv->listeners = l->next;
		close(l->fd);
		unlink(l->path);
		free(l);
	}
	close(srv->epfd);
	free(srv);
}

void ncsim_xs_set_log(struct ncsim_xs *srv, ncsim_xs_log_fn fn, void *arg)
{
	srv->log = fn;
	srv->log_arg = arg;
}

int ncsim_xs_fd(const struct ncsim_xs *srv)
{
	return srv->epfd;
}

int ncsim_xs_dispatch(struct ncsim_xs *srv)
{
	struct epoll_event ev[XS_EVENTS_PER_DISPATCH];
	enum xs_kind *kind;
	int i, n;

	n = epoll_wait(srv->epfd, ev, XS_EVENTS_PER_DISPATCH, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	srv->dispatching = 1;
	for (i = 0; i < n; i++) {
		kind = ev[i].data.ptr;
		if (*kind == XS_LISTENER)
			listener_accept(srv, ev[i].data.ptr);
		else
			conn_event(ev[i].data.ptr, ev[i].events);
	}
	srv->dispatching = 0;
	reap(srv);
	return n;
}

/* ------------------------------------------------------------- domains */

static int domid_is_guest(nc_domid_t domid)
{
	return domid != 0 && domid < DOMID_FIRST_RESERVED;
}

int ncsim_xs_introduce_domain(struct ncsim_xs *srv, nc_domid_t domid)
{
	if (!domid_is_guest(domid))
		return NC_EINVAL;
	if (introduced_get(srv, domid))
		return NC_OK;
	introduced_set(srv, domid, 1);
	ncs_introduce_domain(srv->store, domid);
	/* A watcher may have overflowed; reap it unless a request of a
	 * connection (XS_INTRODUCE) is calling us. */
	if (!srv->dispatching)
		reap(srv);
	return NC_OK;
}

int ncsim_xs_release_domain(struct ncsim_xs *srv, nc_domid_t domid)
{
	if (!domid_is_guest(domid))
		return NC_EINVAL;
	if (!introduced_get(srv, domid))
		return NC_ENOENT;
	introduced_set(srv, domid, 0);
	ncs_release_domain(srv->store, domid);
	if (!srv->dispatching)
		reap(srv);
	return NC_OK;
}

int ncsim_xs_domain_introduced(const struct ncsim_xs *srv, nc_domid_t domid)
{
	return introduced_get(srv, domid);
}

unsigned ncsim_xs_conn_count(const struct ncsim_xs *srv)
{
	return srv->nconns;
}

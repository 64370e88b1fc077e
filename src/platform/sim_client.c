/*
 * sim_client.c - joining a domain of the simulator (netchannel/sim.h):
 * the platform connection (one request at a time, notices handled on the
 * way), the grant table mapping, the store through libxenstore.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "netchannel/xs_store.h"
#include "sim_internal.h"

#define SC_NOTICES_PER_DRAIN 64

/* ---------------------------------------------------------- connection */

int sc_connect(const char *run_dir, nc_domid_t domid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = SC_REPLY_TIMEOUT_S };
	int n, fd, err;

	n = snprintf(addr.sun_path, sizeof(addr.sun_path),
		     "%s/domain/%u/platform.sock", run_dir, (unsigned)domid);
	if (n < 0 || (size_t)n >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* The daemon is gone or broke the protocol: every later request answers
 * NC_EIO, and the socket leaves the event fd (a hung-up socket would
 * keep it readable for ever). */
static int mark_broken(struct nc_sim_handle *h)
{
	if (!h->broken && h->epfd >= 0)
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, h->sock, NULL);
	h->broken = 1;
	return NC_EIO;
}

/* Read one message: 1 with *hdr, *rep's body and fds filled; 0 when
 * none waits (flags MSG_DONTWAIT); NC_EIO when the daemon is gone or the
 * message is not one of the protocol's. */
static int read_message(struct nc_sim_handle *h, int flags,
			struct ncsp_rep_hdr *hdr, struct sc_reply *rep)
{
	ssize_t n = ncsp_recv(h->sock, h->msg, sizeof(h->msg), rep->fds,
			      &rep->nfds, flags);

	if (n == -EAGAIN && (flags & MSG_DONTWAIT))
		return 0;
	if (n <= 0)     /* end of file, timeout, error, oversized */
		return mark_broken(h);
	/* Even the daemon's messages are checked before use. */
	if ((size_t)n < sizeof(*hdr))
		goto bad;
	memcpy(hdr, h->msg, sizeof(*hdr));
	if (hdr->len != (size_t)n - sizeof(*hdr))
		goto bad;
	rep->status = hdr->status;
	rep->body = h->msg + sizeof(*hdr);
	rep->len = hdr->len;
	return 1;
bad:
	ncsp_close_fds(rep->fds, rep->nfds);
	rep->nfds = 0;
	return mark_broken(h);
}

static void handle_notice(struct nc_sim_handle *h,
			  const struct ncsp_rep_hdr *hdr, struct sc_reply *m)
{
	sc_events_notice(h, hdr->op, m->body, m->len, m->fds, m->nfds);
}

int sc_drain_notices(struct nc_sim_handle *h)
{
	struct ncsp_rep_hdr hdr;
	struct sc_reply m;
	unsigned i;
	int rc;

	if (h->broken)
		return NC_EIO;
	for (i = 0; i < SC_NOTICES_PER_DRAIN; i++) {
		rc = read_message(h, MSG_DONTWAIT, &hdr, &m);
		if (rc <= 0)
			return rc;
		if (hdr.seq != 0) {      /* a reply nobody waits for */
			ncsp_close_fds(m.fds, m.nfds);
			return mark_broken(h);
		}
		handle_notice(h, &hdr, &m);
	}
	return NC_OK;
}

int sc_call(struct nc_sim_handle *h, uint16_t op, const void *body,
	    uint32_t len, struct sc_reply *rep)
{
	struct ncsp_req_hdr req = { .op = op, .len = len };
	struct ncsp_rep_hdr hdr;
	int rc;

	memset(rep, 0, sizeof(*rep));
	if (h->broken)
		return NC_EIO;
	if (++h->seq == 0)
		h->seq = 1;
	req.seq = h->seq;
	if (ncsp_send(h->sock, &req, sizeof(req), body, len, NULL, 0, 0) < 0)
		return mark_broken(h);
	for (;;) {
		rc = read_message(h, 0, &hdr, rep);
		if (rc < 0)
			return rc;
		if (hdr.seq == 0) {
			handle_notice(h, &hdr, rep);
			continue;
		}
		if (hdr.seq != req.seq || hdr.op != op) {
			ncsp_close_fds(rep->fds, rep->nfds);
			rep->nfds = 0;
			return mark_broken(h);
		}
		if (rep->status != NC_OK) {   /* a failure carries nothing */
			ncsp_close_fds(rep->fds, rep->nfds);
			rep->nfds = 0;
		}
		return rep->status;
	}
}

/* ---------------------------------------------------------------- HELLO */

/* Check the daemon's geometry: this library was built for it. */
static int hello_check(struct nc_sim_handle *h, nc_domid_t domid,
		       const struct sc_reply *rep, int join)
{
	struct ncsp_hello_rep r;

	if (rep->len != sizeof(r) || rep->nfds != (join ? 1u : 0u))
		return NC_EPROTO;
	memcpy(&r, rep->body, sizeof(r));
	if (r.version != NCSP_VERSION || r.domid != domid || !r.ndomains ||
	    r.max_grants != NCSP_MAX_GRANTS || r.max_ports != NCSP_MAX_PORTS)
		return NC_EPROTO;
	h->domid = domid;
	h->ndomains = r.ndomains;
	h->max_grants = r.max_grants;
	h->max_ports = r.max_ports;
	return NC_OK;
}

static int map_table(struct nc_sim_handle *h, int fd)
{
	void *p;

	h->table_bytes = (size_t)h->ndomains * h->max_grants *
			 sizeof(uint64_t);
	p = mmap(NULL, h->table_bytes, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return NC_ENOMEM;
	h->table = p;
	return NC_OK;
}

static int hello(struct nc_sim_handle *h, nc_domid_t domid, int join)
{
	struct ncsp_hello q = { .magic = NCSP_MAGIC,
				.version = NCSP_VERSION,
				.join = (uint16_t)join };
	struct sc_reply rep;
	int rc = sc_call(h, NCSP_HELLO, &q, sizeof(q), &rep);

	if (rc != NC_OK)
		return rc;
	rc = hello_check(h, domid, &rep, join);
	if (rc == NC_OK && join)
		rc = map_table(h, rep.fds[0]);
	ncsp_close_fds(rep.fds, rep.nfds);
	return rc;
}

/* ---------------------------------------------------------------- store */

static int store_open(struct nc_sim_handle *h, const char *run_dir)
{
	char path[4096];
	int n;

	if (h->domid == 0)
		n = snprintf(path, sizeof(path), "%s/xenstored/socket",
			     run_dir);
	else
		n = snprintf(path, sizeof(path),
			     "%s/domain/%u/xenstored/socket", run_dir,
			     (unsigned)h->domid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return NC_EINVAL;
	return nc_xs_store_open(path, &h->store);
}

/* ----------------------------------------------------------- the handle */

static struct nc_sim_handle *handle_new(void)
{
	struct nc_sim_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->sock = h->epfd = h->notice_fd = -1;
	return h;
}

void nc_sim_close(struct nc_sim_handle *h)
{
	if (!h)
		return;
	nc_xs_store_close(&h->store);
	/* Unmap before the connection goes: the daemon's counts then drop
	 * only once nothing is mapped any more. */
	sc_grants_close(h);
	sc_events_close(h);
	if (h->table)
		munmap((void *)h->table, h->table_bytes);
	if (h->sock >= 0)
		close(h->sock);
	free(h);
}

static int handle_open(struct nc_sim_handle *h, const char *run_dir,
		       nc_domid_t domid)
{
	int rc;

	h->sock = sc_connect(run_dir, domid);
	if (h->sock < 0)
		return h->sock;          /* an errno: ENOENT, ECONNREFUSED */
	rc = hello(h, domid, 1);
	if (rc == NC_OK)
		rc = sc_events_open(h);
	if (rc == NC_OK)
		rc = store_open(h, run_dir);
	return rc;
}

struct nc_sim_handle *nc_sim_open(const char *run_dir, nc_domid_t domid,
				  struct nc_platform *plat)
{
	struct nc_sim_handle *h;
	int rc;

	if (!run_dir || !plat) {
		errno = EINVAL;
		return NULL;
	}
	h = handle_new();
	if (!h)
		return NULL;
	rc = handle_open(h, run_dir, domid);
	if (rc != NC_OK) {
		nc_sim_close(h);
		errno = -rc;
		return NULL;
	}
	memset(plat, 0, sizeof(*plat));
	plat->grants.ops = &nc_sim_grant_ops;
	plat->grants.ctx = h;
	plat->events.ops = &nc_sim_event_ops;
	plat->events.ctx = h;
	plat->store = h->store;
	plat->domid = domid;
	return h;
}

int nc_sim_counts(const char *run_dir, nc_domid_t domid,
		  struct nc_sim_counts *out)
{
	struct ncsp_counts q = { .domid = domid };
	struct ncsp_counts_rep r;
	struct nc_sim_handle *h = handle_new();
	struct sc_reply rep;
	int rc;

	if (!h)
		return NC_ENOMEM;
	/* An observer: connects to that domain's socket without joining it
	 * (it is no process of the domain and counts for nothing). */
	h->sock = sc_connect(run_dir, domid);
	if (h->sock < 0)
		rc = h->sock == -ENOENT ? NC_ENOENT : NC_EIO;
	else
		rc = hello(h, domid, 0);
	if (rc == NC_OK)
		rc = sc_call(h, NCSP_COUNTS, &q, sizeof(q), &rep);
	if (rc == NC_OK && rep.len != sizeof(r))
		rc = NC_EPROTO;
	if (rc == NC_OK) {
		memcpy(&r, rep.body, sizeof(r));
		out->grants = r.grants;
		out->mapped = r.mapped;
		out->ports = r.ports;
		out->processes = r.processes;
	}
	nc_sim_close(h);
	return rc;
}

/*
 * plat_proto.h - the simulator's platform protocol: grants and event
 * channels between a client process and the `netchannel sim` daemon.
 *
 * Transport: a SOCK_SEQPACKET unix socket per domain,
 * DIR/domain/<id>/platform.sock.  A client is of the domain whose socket
 * it connected to.  One datagram is one message: a fixed header, then
 * `len` bytes of body; the datagram's size must be exactly header + len.
 * File descriptors travel as SCM_RIGHTS, at most NCSP_MAX_FDS per
 * message, only from the daemon to a client (a client's fds are refused).
 *
 *   request  (client -> daemon): struct ncsp_req_hdr + body
 *   reply    (daemon -> client): struct ncsp_rep_hdr + body, same op and
 *            seq as the request, status NC_OK or a negative nc_error (a
 *            failed request's reply has no body and no fds)
 *   notice   (daemon -> client, unasked): struct ncsp_rep_hdr with seq 0
 *            and an NCSP_EV_* op
 *
 * The client sends one request at a time and reads until the reply with
 * its seq arrives, handling notices on the way; notices are ordered with
 * the replies (one socket), which the event channel code relies on.
 *
 * Versioning: the first request must be NCSP_HELLO carrying NCSP_MAGIC
 * and NCSP_VERSION; a daemon of another version answers NC_EPROTO.  Any
 * change to a message layout or meaning bumps NCSP_VERSION.
 *
 * Malformed messages (short, a length that disagrees with the datagram,
 * an unknown op, a body of the wrong size for its op, fds attached, a
 * request before HELLO) close that connection; well-formed requests that
 * break a rule get an error status.
 *
 * Grant table: every domain's grant entries live in ONE memfd the daemon
 * writes and every client maps read-only (the fd comes with HELLO's
 * reply).  Domain d's table starts at entry d * max_grants; each entry is
 * one 64-bit word written atomically (see ncsp_gnt_*), so a reader sees
 * either the old or the new entry, never a mix: no seqlock is needed.
 * Clients use it to validate grant copies without a round trip.
 *
 * Byte order: the host's (both ends run on the same machine).
 */
#ifndef NETCHANNEL_SIM_PLAT_PROTO_H
#define NETCHANNEL_SIM_PLAT_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netchannel/wire.h"

#define NCSP_MAGIC 0x5053434eu          /* "NCSP" */
#define NCSP_VERSION 1u

/* -------------------------------------------------------------- limits */

#define NCSP_FIRST_GREF 8u              /* Xen reserves refs 0..7 */
#define NCSP_MAX_GRANTS 16384u          /* entries per domain's table */
#define NCSP_MAX_PORTS 1024u            /* ports per domain (0 unused) */
#define NCSP_MAX_SHARE_PAGES 1024u      /* pages per SHARE */
#define NCSP_MAX_MAP_PAGES 256u         /* pages per MAP */
#define NCSP_MAX_FDS 16u                /* fds per message */
#define NCSP_MAX_BODY 8192u             /* body bytes per message */

/* ------------------------------------------------------------- headers */

struct ncsp_req_hdr {
	uint16_t op;            /* enum ncsp_op */
	uint16_t flags;         /* 0 */
	uint32_t seq;           /* != 0; echoed in the reply */
	uint32_t len;           /* body bytes that follow */
	uint32_t reserved;      /* 0 */
};

struct ncsp_rep_hdr {
	uint16_t op;            /* the request's op, or an NCSP_EV_* */
	uint16_t flags;         /* 0 */
	uint32_t seq;           /* the request's seq; 0 for a notice */
	int32_t status;         /* NC_OK or a negative nc_error */
	uint32_t len;           /* body bytes that follow */
};

#define NCSP_MAX_MSG (sizeof(struct ncsp_rep_hdr) + NCSP_MAX_BODY)

enum ncsp_op {
	NCSP_HELLO = 1,
	NCSP_COUNTS,
	/* grants */
	NCSP_SHARE,
	NCSP_PUBLISH,
	NCSP_UNSHARE,
	NCSP_MAP,
	NCSP_UNMAP,
	NCSP_COPY_ACCESS,
	/* event channels */
	NCSP_ALLOC_UNBOUND,
	NCSP_BIND_INTERDOMAIN,
	NCSP_UNBIND,
	NCSP_OP_END,
	/* notices */
	NCSP_EV_PORT_BOUND = 0x100,
	NCSP_EV_PORT_CLOSED,
};

/* --------------------------------------------------------------- bodies */

/* HELLO: join the socket's domain (join = 1), or only ask COUNTS
 * (join = 0: an observer is no process of the domain).  Reply: the
 * domain and the table geometry; with join, one fd: the grant table
 * memfd, read-only. */
struct ncsp_hello { uint32_t magic; uint16_t version; uint16_t join; };
struct ncsp_hello_rep {
	uint16_t version;
	uint16_t domid;         /* the caller's domain */
	uint16_t ndomains;      /* domains 0 .. ndomains-1 exist */
	uint16_t pad;
	uint32_t max_grants;    /* entries per domain's table */
	uint32_t max_ports;
};

/* COUNTS: any domain's accounting. */
struct ncsp_counts { uint16_t domid; uint16_t pad; };
struct ncsp_counts_rep {
	uint32_t grants, mapped, ports, processes;
};

/* SHARE: npages new zeroed pages for `peer`.  Reply: the share's id and
 * refs, and one fd: the pages' memfd, read-write (the granter maps it).
 * The refs are reserved, not usable by anyone, until PUBLISH. */
struct ncsp_share { uint16_t peer; uint8_t readonly; uint8_t pad;
		    uint32_t npages; };
struct ncsp_share_rep { uint64_t share_id; uint32_t npages; uint32_t pad;
			/* then uint32_t refs[npages] */ };

/* PUBLISH: the granter has mapped the pages; make the grants live (a
 * read-only share is first sealed against writable mappings).
 * UNSHARE: revoke and free a share (NC_EBUSY while a page is mapped). */
struct ncsp_share_id { uint64_t share_id; };

/* MAP: n refs of `granter`.  Reply: the mapping's id; fds (one per share
 * touched, read-only unless writable); per page, which fd and which page
 * of it. */
struct ncsp_map { uint16_t granter; uint8_t writable; uint8_t pad;
		  uint32_t n; /* then uint32_t refs[n] */ };
struct ncsp_map_page { uint32_t fd_index; uint32_t page; };
struct ncsp_map_rep { uint32_t map_id; uint32_t n; uint32_t nfds;
		      uint32_t pad; /* then struct ncsp_map_page[n] */ };

/* UNMAP: the client has munmap()ed; drop the mapping's hold. */
struct ncsp_unmap { uint32_t map_id; uint32_t pad; };

/* COPY_ACCESS: for grant copy, the whole share holding `ref` of
 * `granter`, if that grant names the caller.  Reply: the share and one fd,
 * read-only when the share's grants are read-only.  Holds nothing: no
 * map count, as Xen's grant copy does not hold the grant either. */
struct ncsp_copy_access { uint16_t granter; uint16_t pad; uint32_t ref; };
struct ncsp_copy_access_rep { uint64_t share_id; uint32_t npages;
			      uint32_t writable; };

/* ALLOC_UNBOUND: a new port that `remote` may bind.  Reply: the port and
 * one fd, its eventfd (readable when the port has an event). */
struct ncsp_alloc_unbound { uint16_t remote; uint16_t pad; };
struct ncsp_port_rep { uint32_t port; uint32_t pad; };

/* BIND_INTERDOMAIN: bind `remote`'s port left unbound for us.  Reply: our
 * new port and two fds: its eventfd, then the peer's (notify = write 1 to
 * it).  The peer's client gets NCSP_EV_PORT_BOUND with our eventfd. */
struct ncsp_bind { uint16_t remote; uint16_t pad; uint32_t remote_port; };

/* UNBIND: close our port.  The peer's client gets NCSP_EV_PORT_CLOSED. */
struct ncsp_unbind { uint32_t port; uint32_t pad; };

/* Notices.  PORT_BOUND comes with one fd: the new peer's eventfd. */
struct ncsp_ev_port_bound { uint32_t port; uint16_t remote; uint16_t pad;
			    uint32_t remote_port; uint32_t pad2; };
struct ncsp_ev_port_closed { uint32_t port; uint32_t pad; };

/* --------------------------------------------------------- grant table */

/* One entry, one 64-bit word:
 *   bit 63      in use (published)
 *   bit 62      read-only
 *   bits 46..61 the grantee domain
 *   bits 36..45 the page's index in its share
 *   bits 0..35  the share's id (never 0; wraps after 2^36 shares) */
#define NCSP_GNT_IN_USE (UINT64_C(1) << 63)
#define NCSP_GNT_READONLY (UINT64_C(1) << 62)
#define NCSP_GNT_SHARE_BITS 36
#define NCSP_GNT_SHARE_MASK ((UINT64_C(1) << NCSP_GNT_SHARE_BITS) - 1)

static inline uint64_t ncsp_gnt_pack(nc_domid_t peer, int readonly,
				     unsigned page, uint64_t share_id)
{
	return NCSP_GNT_IN_USE | (readonly ? NCSP_GNT_READONLY : 0) |
	       ((uint64_t)peer << 46) | ((uint64_t)(page & 0x3ffu) << 36) |
	       (share_id & NCSP_GNT_SHARE_MASK);
}

static inline nc_domid_t ncsp_gnt_peer(uint64_t e)
{
	return (nc_domid_t)(e >> 46);
}

static inline unsigned ncsp_gnt_page(uint64_t e)
{
	return (unsigned)(e >> 36) & 0x3ffu;
}

static inline uint64_t ncsp_gnt_share(uint64_t e)
{
	return e & NCSP_GNT_SHARE_MASK;
}

/* ------------------------------------------------------- send / receive */

/* Send one message: header, body and up to NCSP_MAX_FDS fds in one
 * datagram.  `flags` are sendmsg flags (MSG_NOSIGNAL is always added).
 * 0 or a negative errno. */
int ncsp_send(int sock, const void *hdr, size_t hlen, const void *body,
	      size_t blen, const int *fds, unsigned nfds, int flags);

/* Receive one message into buf (cap bytes) and its fds (close-on-exec).
 * Returns the message's size, 0 at end of file, or a negative errno:
 * -EMSGSIZE when the message or its fds did not fit (whatever fds did
 * arrive are closed).  *nfds is 0 unless a message was returned. */
ssize_t ncsp_recv(int sock, void *buf, size_t cap, int *fds,
		  unsigned *nfds, int flags);

/* Close n fds (skipping -1s). */
void ncsp_close_fds(const int *fds, unsigned n);

#endif

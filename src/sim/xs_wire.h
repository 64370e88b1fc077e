/*
 * xs_wire.h - the xenstore wire protocol as pure functions: parse one
 * request out of a byte buffer, format replies, errors and watch events.
 * No I/O, no allocation, no state: everything here is unit-tested on
 * hand-built buffers (tests/test_xs_wire.c).
 *
 * A message is a struct xsd_sockmsg header (type, req_id, tx_id, len; host
 * byte order, as on xenstored's unix sockets) followed by len bytes of
 * payload, len <= XENSTORE_PAYLOAD_MAX.  Payload formats are those of
 * Xen's docs/misc/xenstore.txt; see ncsim_xs_parse() for what each request
 * must carry.
 *
 * Errors are netchannel's NC_E* codes (negated errnos); on the wire they
 * travel as their names ("ENOENT"), from the table in xen/io/xs_wire.h.
 */
#ifndef NETCHANNEL_SIM_XS_WIRE_H
#define NETCHANNEL_SIM_XS_WIRE_H

#include <errno.h>      /* before xs_wire.h: enables its xsd_errors table */
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "netchannel/platform.h"

/* Bytes of a message header. */
#define NCSIM_XS_HDR_SIZE sizeof(struct xsd_sockmsg)
/* The largest message either side may send: header + payload. */
#define NCSIM_XS_MSG_MAX (NCSIM_XS_HDR_SIZE + XENSTORE_PAYLOAD_MAX)

/* One request, as parsed.  The pointers point into the caller's buffer,
 * which must outlive the request. */
struct ncsim_xs_req {
	struct xsd_sockmsg hdr;   /* as received (req_id/tx_id to echo) */
	int err;                  /* NC_OK, or why the payload is refused */
	const char *path;         /* node or watch path; NUL-terminated */
	const char *token;        /* WATCH, UNWATCH: the watch's token */
	const void *value;        /* WRITE: the bytes after path's NUL */
	size_t value_len;         /* WRITE: may be 0; may hold NULs */
	const char *command;      /* CONTROL: the command name */
	nc_domid_t domid;         /* GET_DOMAIN_PATH, IS_DOMAIN_INTRODUCED,
				   * INTRODUCE, RELEASE */
	uint32_t offset;          /* DIRECTORY_PART: byte offset in the list */
	int commit;               /* TRANSACTION_END: 1 for "T", 0 for "F" */
	unsigned nperms;          /* SET_PERMS: entries in perms */
	struct nc_store_perm perms[NC_STORE_MAX_PERMS]; /* SET_PERMS */
};

/*
 * Parse the first message in buf[0..avail).  Returns:
 *   0      no complete message yet: read more bytes;
 *   > 0    the message's total size (header + payload), to consume.
 *          req->hdr is filled; req->err is NC_OK and the fields of the
 *          type are set, or req->err says why the request is refused
 *          (reply with an XS_ERROR; the stream stays in step);
 *   < 0    NC_E2BIG: the header announces a payload longer than
 *          XENSTORE_PAYLOAD_MAX.  req->hdr is filled.  The stream cannot
 *          be resynchronised: the connection must be closed.
 * Unknown types and types a client may not send (XS_WATCH_EVENT,
 * XS_ERROR, ...) parse with req->err == NC_EINVAL.
 */
int ncsim_xs_parse(const void *buf, size_t avail, struct ncsim_xs_req *req);

/* Strict decimal domain id "0".."65535" (no sign, no spaces, at most five
 * digits).  NC_EINVAL otherwise. */
int ncsim_xs_parse_domid(const char *s, nc_domid_t *domid);
/* One permission string: 'n', 'r', 'w' or 'b', then a domain id. */
int ncsim_xs_parse_perm(const char *s, struct nc_store_perm *perm);

/* The name of an error on the wire: "ENOENT" for NC_ENOENT; "EINVAL" for
 * codes xenstore has no name for (as xenstored does). */
const char *ncsim_xs_errname(int err);

/*
 * Formatting.  Each writes one whole message into out[0..cap) and returns
 * its size, or 0 when the payload would exceed XENSTORE_PAYLOAD_MAX or cap
 * is too small (nothing useful is written then).
 */
/* A reply of `type` to req (req_id and tx_id echoed). */
size_t ncsim_xs_format_reply(void *out, size_t cap,
			     const struct xsd_sockmsg *req, uint32_t type,
			     const void *payload, size_t len);
/* "OK\0" in a reply of the request's own type. */
size_t ncsim_xs_format_ack(void *out, size_t cap,
			   const struct xsd_sockmsg *req);
/* XS_ERROR carrying ncsim_xs_errname(err) and its NUL. */
size_t ncsim_xs_format_error(void *out, size_t cap,
			     const struct xsd_sockmsg *req, int err);
/* XS_WATCH_EVENT "path\0token\0", req_id and tx_id 0. */
size_t ncsim_xs_format_watch_event(void *out, size_t cap, const char *path,
				   const char *token);

/*
 * Payload builders (no header).  Each returns the payload's length, or a
 * negative NC_E* code.
 */
/* GET_PERMS: "n0\0r1\0..." (entry 0, the owner, first). */
int ncsim_xs_perms_payload(char *out, size_t cap,
			   const struct nc_store_perm *perms, unsigned n);
/*
 * DIRECTORY_PART: "<gen>\0" then the whole names of names[0..len) that
 * start at byte `offset` and fit one message, then one more "\0" when the
 * list ends there.  gen identifies the listing: equal gens mean equal
 * lists, so a client stitching parts together can detect a change and
 * start over.  out must hold XENSTORE_PAYLOAD_MAX bytes.  NC_EINVAL when
 * offset is not the start of a name.
 */
int ncsim_xs_directory_part_payload(char *out, size_t cap, const char *names,
				    size_t len, uint32_t offset);

#endif

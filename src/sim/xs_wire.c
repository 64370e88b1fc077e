/*
 * xs_wire.c - parse xenstore requests and format replies (see xs_wire.h).
 *
 * Everything a client sends is untrusted: the header is copied out of the
 * buffer before use, the payload length is checked against
 * XENSTORE_PAYLOAD_MAX before anything else, and every string is located
 * with memchr() inside the payload, so no read goes past `avail`.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/xs_wire.h"

/* --------------------------------------------------------------- strings */

/* The payload, read as a sequence of NUL-terminated strings. */
struct args {
	const char *p;          /* first unread byte */
	const char *end;        /* one past the payload */
};

/* The next string, or NULL when none is left or it has no NUL before the
 * payload's end (a missing NUL never lets a reader run past the end). */
static const char *next_string(struct args *a)
{
	const char *s = a->p;
	const char *nul;

	if (s >= a->end)
		return NULL;
	nul = memchr(s, '\0', (size_t)(a->end - s));
	if (!nul)
		return NULL;
	a->p = nul + 1;
	return s;
}

static int at_end(const struct args *a)
{
	return a->p == a->end;
}

/* Strict unsigned decimal of at most max_digits digits, value <= max. */
static int parse_decimal(const char *s, unsigned max_digits, uint32_t max,
			 uint32_t *out)
{
	uint64_t v = 0;
	unsigned n;

	for (n = 0; s[n]; n++) {
		if (s[n] < '0' || s[n] > '9' || n == max_digits)
			return NC_EINVAL;
		v = v * 10 + (uint64_t)(s[n] - '0');
	}
	if (n == 0 || v > max)
		return NC_EINVAL;
	*out = (uint32_t)v;
	return NC_OK;
}

int ncsim_xs_parse_domid(const char *s, nc_domid_t *domid)
{
	uint32_t v;
	int rc = parse_decimal(s, 5, UINT16_MAX, &v);

	if (rc == NC_OK)
		*domid = (nc_domid_t)v;
	return rc;
}

int ncsim_xs_parse_perm(const char *s, struct nc_store_perm *perm)
{
	static const char letters[] = "nrwb";   /* index == enum nc_perm */
	const char *at;

	if (!s[0])
		return NC_EINVAL;
	at = strchr(letters, s[0]);
	if (!at)
		return NC_EINVAL;
	perm->perm = (uint8_t)(at - letters);
	return ncsim_xs_parse_domid(s + 1, &perm->domid);
}

/* Limit: XENSTORE_ABS_PATH_MAX for absolute paths, XENSTORE_REL_PATH_MAX
 * for relative ones (and "@..." watch names); the engine checks the
 * syntax and the resolved length. */
static int check_path(const char *path)
{
	size_t max = path[0] == '/' ? XENSTORE_ABS_PATH_MAX
				    : XENSTORE_REL_PATH_MAX;

	return strlen(path) > max ? NC_EINVAL : NC_OK;
}

/* ------------------------------------------------------ payload formats */

/* "<path>|": exactly one string. */
static int parse_path_only(struct args *a, struct ncsim_xs_req *req)
{
	req->path = next_string(a);
	if (!req->path || !at_end(a))
		return NC_EINVAL;
	return check_path(req->path);
}

/* "<path>|<value|>": the value is every byte after the path's NUL. */
static int parse_write(struct args *a, struct ncsim_xs_req *req)
{
	req->path = next_string(a);
	if (!req->path)
		return NC_EINVAL;
	req->value = a->p;
	req->value_len = (size_t)(a->end - a->p);
	return check_path(req->path);
}

/* "<path>|<offset>|" */
static int parse_directory_part(struct args *a, struct ncsim_xs_req *req)
{
	const char *off;

	req->path = next_string(a);
	off = next_string(a);
	if (!req->path || !off || !at_end(a))
		return NC_EINVAL;
	if (parse_decimal(off, 10, UINT32_MAX, &req->offset))
		return NC_EINVAL;
	return check_path(req->path);
}

/* "<path>|<perm>|+": one to NC_STORE_MAX_PERMS permission strings. */
static int parse_set_perms(struct args *a, struct ncsim_xs_req *req)
{
	const char *s;

	req->path = next_string(a);
	if (!req->path)
		return NC_EINVAL;
	while (!at_end(a)) {
		s = next_string(a);
		if (!s)
			return NC_EINVAL;
		/* Limit: the list fits perms[] (xenstored's quota answers
		 * ENOSPC too). */
		if (req->nperms == NC_STORE_MAX_PERMS)
			return NC_ENOSPC;
		if (ncsim_xs_parse_perm(s, &req->perms[req->nperms]))
			return NC_EINVAL;
		req->nperms++;
	}
	if (req->nperms == 0)
		return NC_EINVAL;
	return check_path(req->path);
}

/* "<wpath>|<token>|?": anything after the token is reserved, ignored. */
static int parse_watch(struct args *a, struct ncsim_xs_req *req)
{
	req->path = next_string(a);
	req->token = next_string(a);
	if (!req->path || !req->token)
		return NC_EINVAL;
	return check_path(req->path);
}

/* "T|" or "F|" */
static int parse_transaction_end(struct args *a, struct ncsim_xs_req *req)
{
	const char *s = next_string(a);

	if (!s || !at_end(a))
		return NC_EINVAL;
	if (strcmp(s, "T") == 0)
		req->commit = 1;
	else if (strcmp(s, "F") == 0)
		req->commit = 0;
	else
		return NC_EINVAL;
	return NC_OK;
}

/* "<domid>|" */
static int parse_domid_only(struct args *a, struct ncsim_xs_req *req)
{
	const char *s = next_string(a);

	if (!s || !at_end(a))
		return NC_EINVAL;
	return ncsim_xs_parse_domid(s, &req->domid);
}

/* "<domid>|<mfn>|<evtchn>|?": the simulator has no ring to map, so only
 * the domain id is used; the other two must still be present. */
static int parse_introduce(struct args *a, struct ncsim_xs_req *req)
{
	const char *dom = next_string(a);

	if (!dom || !next_string(a) || !next_string(a))
		return NC_EINVAL;
	return ncsim_xs_parse_domid(dom, &req->domid);
}

/* "<command>|[<parameters>|]" */
static int parse_control(struct args *a, struct ncsim_xs_req *req)
{
	req->command = next_string(a);
	return req->command ? NC_OK : NC_EINVAL;
}

static int parse_payload(struct args *a, struct ncsim_xs_req *req)
{
	switch (req->hdr.type) {
	case XS_READ:
	case XS_MKDIR:
	case XS_RM:
	case XS_DIRECTORY:
	case XS_GET_PERMS:
		return parse_path_only(a, req);
	case XS_WRITE:
		return parse_write(a, req);
	case XS_DIRECTORY_PART:
		return parse_directory_part(a, req);
	case XS_SET_PERMS:
		return parse_set_perms(a, req);
	case XS_WATCH:
	case XS_UNWATCH:
		return parse_watch(a, req);
	case XS_TRANSACTION_START:
	case XS_RESET_WATCHES:
		return NC_OK;           /* the payload is reserved */
	case XS_TRANSACTION_END:
		return parse_transaction_end(a, req);
	case XS_GET_DOMAIN_PATH:
	case XS_IS_DOMAIN_INTRODUCED:
	case XS_RELEASE:
		return parse_domid_only(a, req);
	case XS_INTRODUCE:
		return parse_introduce(a, req);
	case XS_CONTROL:
		return parse_control(a, req);
	default:
		return NC_EINVAL;       /* unknown, or not a request */
	}
}

int ncsim_xs_parse(const void *buf, size_t avail, struct ncsim_xs_req *req)
{
	const char *bytes = buf;
	struct args a;

	memset(req, 0, sizeof(*req));
	if (avail < NCSIM_XS_HDR_SIZE)
		return 0;
	memcpy(&req->hdr, bytes, NCSIM_XS_HDR_SIZE);  /* may be unaligned */
	/* Limit: the payload length is checked before it is used for
	 * anything; beyond it the stream cannot be trusted to resync. */
	if (req->hdr.len > XENSTORE_PAYLOAD_MAX)
		return NC_E2BIG;
	if (avail - NCSIM_XS_HDR_SIZE < req->hdr.len)
		return 0;
	a.p = bytes + NCSIM_XS_HDR_SIZE;
	a.end = a.p + req->hdr.len;
	req->err = parse_payload(&a, req);
	return (int)(NCSIM_XS_HDR_SIZE + req->hdr.len);
}

/* --------------------------------------------------------------- errors */

const char *ncsim_xs_errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
		if (xsd_errors[i].errnum == -err)
			return xsd_errors[i].errstring;
	return "EINVAL";
}

/* ----------------------------------------------------------- formatting */

size_t ncsim_xs_format_reply(void *out, size_t cap,
			     const struct xsd_sockmsg *req, uint32_t type,
			     const void *payload, size_t len)
{
	struct xsd_sockmsg hdr;
	char *bytes = out;

	/* Limit: never send what a client may reject as too long. */
	if (len > XENSTORE_PAYLOAD_MAX || cap < NCSIM_XS_HDR_SIZE + len)
		return 0;
	hdr.type = type;
	hdr.req_id = req ? req->req_id : 0;
	hdr.tx_id = req ? req->tx_id : 0;
	hdr.len = (uint32_t)len;
	memcpy(bytes, &hdr, NCSIM_XS_HDR_SIZE);
	if (len)
		memcpy(bytes + NCSIM_XS_HDR_SIZE, payload, len);
	return NCSIM_XS_HDR_SIZE + len;
}

size_t ncsim_xs_format_ack(void *out, size_t cap,
			   const struct xsd_sockmsg *req)
{
	return ncsim_xs_format_reply(out, cap, req, req->type, "OK", 3);
}

size_t ncsim_xs_format_error(void *out, size_t cap,
			     const struct xsd_sockmsg *req, int err)
{
	const char *name = ncsim_xs_errname(err);

	return ncsim_xs_format_reply(out, cap, req, XS_ERROR, name,
				     strlen(name) + 1);
}

size_t ncsim_xs_format_watch_event(void *out, size_t cap, const char *path,
				   const char *token)
{
	struct xsd_sockmsg hdr = { .type = XS_WATCH_EVENT };
	size_t plen = strlen(path) + 1, tlen = strlen(token) + 1;
	char *bytes = out;

	/* Limit: an event is one message, like any other. */
	if (plen + tlen > XENSTORE_PAYLOAD_MAX ||
	    cap < NCSIM_XS_HDR_SIZE + plen + tlen)
		return 0;
	hdr.len = (uint32_t)(plen + tlen);
	memcpy(bytes, &hdr, NCSIM_XS_HDR_SIZE);
	memcpy(bytes + NCSIM_XS_HDR_SIZE, path, plen);
	memcpy(bytes + NCSIM_XS_HDR_SIZE + plen, token, tlen);
	return NCSIM_XS_HDR_SIZE + plen + tlen;
}

/* ------------------------------------------------------------- payloads */

int ncsim_xs_perms_payload(char *out, size_t cap,
			   const struct nc_store_perm *perms, unsigned n)
{
	static const char letters[] = "nrwb";
	size_t off = 0;
	unsigned i;
	int w;

	for (i = 0; i < n; i++) {
		w = snprintf(out + off, cap - off, "%c%u",
			     letters[perms[i].perm & NC_PERM_BOTH],
			     (unsigned)perms[i].domid);
		/* Room for the text and its NUL (snprintf wrote it). */
		if (w < 0 || (size_t)w + 1 > cap - off)
			return NC_ENOSPC;
		off += (size_t)w + 1;
	}
	return (int)off;
}

/* FNV-1a over the listing: the "generation" of a directory's contents. */
static uint64_t listing_gen(const char *names, size_t len)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)names[i];
		h *= 0x100000001b3u;
	}
	return h;
}

/* The end of the whole names from `offset` that fit in `room` bytes. */
static size_t names_that_fit(const char *names, size_t len, size_t offset,
			     size_t room)
{
	size_t pos = offset;
	const char *nul;

	while (pos < len) {
		nul = memchr(names + pos, '\0', len - pos);
		if (!nul || (size_t)(nul + 1 - names) - offset > room)
			break;
		pos = (size_t)(nul + 1 - names);
	}
	return pos;
}

int ncsim_xs_directory_part_payload(char *out, size_t cap, const char *names,
				    size_t len, uint32_t offset)
{
	size_t limit = cap < XENSTORE_PAYLOAD_MAX ? cap : XENSTORE_PAYLOAD_MAX;
	size_t genlen, end;
	int w;

	w = snprintf(out, limit, "%" PRIu64, listing_gen(names, len));
	if (w < 0 || (size_t)w + 2 > limit)
		return NC_ENOSPC;
	genlen = (size_t)w + 1;
	if (offset >= len) {            /* past the end: an empty tail */
		out[genlen] = '\0';
		return (int)genlen + 1;
	}
	if (offset > 0 && names[offset - 1] != '\0')
		return NC_EINVAL;       /* not the start of a name */
	/* Limit: one byte stays free for the end-of-list NUL. */
	end = names_that_fit(names, len, offset, limit - genlen - 1);
	if (end == offset)
		return NC_E2BIG;
	memcpy(out + genlen, names + offset, end - offset);
	w = (int)(genlen + end - offset);
	if (end == len)
		out[w++] = '\0';
	return w;
}

/*
 * test_xs_wire.c - the xenstore wire protocol as pure functions
 * (src/sim/xs_wire.h): parsing every request type, refusing malformed
 * ones, and formatting replies, errors, watch events, permission lists
 * and partial directory listings.
 *
 * Every message is parsed from a heap buffer of exactly its size, so a
 * read past the end shows up under AddressSanitizer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim/xs_wire.h"

/* ------------------------------------------------------------- helpers */

/* A message in a heap buffer of exactly its size. */
struct msg {
	char *buf;
	size_t len;
};

static struct msg msg_make(uint32_t type, uint32_t req_id, uint32_t tx_id,
			   const void *payload, size_t len)
{
	struct xsd_sockmsg hdr = { type, req_id, tx_id, (uint32_t)len };
	struct msg m;

	m.len = NCSIM_XS_HDR_SIZE + len;
	m.buf = malloc(m.len);
	memcpy(m.buf, &hdr, NCSIM_XS_HDR_SIZE);
	if (len)
		memcpy(m.buf + NCSIM_XS_HDR_SIZE, payload, len);
	return m;
}

/* A call that must answer NC_EINVAL; evaluates to whether it did. */
#define CHECK_EINVAL(t, rc) tap_check((t), (rc) == NC_EINVAL, \
				      #rc " == NC_EINVAL", __FILE__, __LINE__)

/* Parse a payload given as bytes (sizeof of a literal counts its final
 * NUL: use P("a\0b") for "a\0b\0"). */
#define P(lit) (lit), sizeof(lit)
/* ... and without that final NUL. */
#define PN(lit) (lit), (sizeof(lit) - 1)

/* The last message parse() parsed: req's pointers point into it, so it
 * lives until the next parse() or parse_release(). */
static struct msg held;

static void parse_release(void)
{
	free(held.buf);
	held.buf = NULL;
}

static int parse(uint32_t type, const void *payload, size_t len,
		 struct ncsim_xs_req *req)
{
	parse_release();
	held = msg_make(type, 7, 0, payload, len);
	return ncsim_xs_parse(held.buf, held.len, req);
}

/* The error of a request whose parse consumed the whole message. */
static int parse_err(uint32_t type, const void *payload, size_t len)
{
	struct ncsim_xs_req req;
	int n = parse(type, payload, len, &req);

	if (n != (int)(NCSIM_XS_HDR_SIZE + len))
		return 9999;    /* not consumed: never expected here */
	return req.err;
}

static struct xsd_sockmsg hdr_of(const char *buf)
{
	struct xsd_sockmsg h;

	memcpy(&h, buf, sizeof(h));
	return h;
}

/* ------------------------------------------------------ framing cases */

static void test_truncated_header(struct tap *t)
{
	struct msg m = msg_make(XS_READ, 1, 0, P("/a"));
	struct ncsim_xs_req req;
	size_t i;

	for (i = 0; i < NCSIM_XS_HDR_SIZE; i++) {
		char *part = malloc(i ? i : 1);

		memcpy(part, m.buf, i);
		CHECK_EQ(t, ncsim_xs_parse(part, i, &req), 0);
		free(part);
	}
	free(m.buf);
}

static void test_truncated_payload(struct tap *t)
{
	struct msg m = msg_make(XS_READ, 1, 0, P("/a/b"));
	struct ncsim_xs_req req;
	size_t i;

	for (i = NCSIM_XS_HDR_SIZE; i < m.len; i++) {
		char *part = malloc(i);

		memcpy(part, m.buf, i);
		CHECK_EQ(t, ncsim_xs_parse(part, i, &req), 0);
		free(part);
	}
	CHECK_EQ(t, ncsim_xs_parse(m.buf, m.len, &req), m.len);
	CHECK_EQ(t, req.err, NC_OK);
	free(m.buf);
}

static void test_bad_length(struct tap *t)
{
	struct xsd_sockmsg hdr = { XS_READ, 42, 3, XENSTORE_PAYLOAD_MAX + 1 };
	struct ncsim_xs_req req;
	char buf[NCSIM_XS_HDR_SIZE];

	memcpy(buf, &hdr, sizeof(hdr));
	CHECK_EQ(t, ncsim_xs_parse(buf, sizeof(buf), &req), NC_E2BIG);
	CHECK_EQ(t, req.hdr.req_id, 42);        /* for the error reply */
	CHECK_EQ(t, req.hdr.tx_id, 3);
	hdr.len = UINT32_MAX;
	memcpy(buf, &hdr, sizeof(hdr));
	CHECK_EQ(t, ncsim_xs_parse(buf, sizeof(buf), &req), NC_E2BIG);
}

static void test_max_length(struct tap *t)
{
	char *payload = malloc(XENSTORE_PAYLOAD_MAX);
	struct ncsim_xs_req req;

	memcpy(payload, "/v", 3);
	memset(payload + 3, 'x', XENSTORE_PAYLOAD_MAX - 3);
	CHECK_EQ(t, parse(XS_WRITE, payload, XENSTORE_PAYLOAD_MAX, &req),
		 NCSIM_XS_MSG_MAX);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK_EQ(t, req.value_len, XENSTORE_PAYLOAD_MAX - 3);
	free(payload);
}

static void test_back_to_back(struct tap *t)
{
	struct msg a = msg_make(XS_READ, 1, 0, P("/a"));
	struct msg b = msg_make(XS_MKDIR, 2, 5, P("/b"));
	char *both = malloc(a.len + b.len);
	struct ncsim_xs_req req;
	int n;

	memcpy(both, a.buf, a.len);
	memcpy(both + a.len, b.buf, b.len);
	n = ncsim_xs_parse(both, a.len + b.len, &req);
	CHECK_EQ(t, n, a.len);
	CHECK(t, req.path && strcmp(req.path, "/a") == 0);
	n = ncsim_xs_parse(both + n, b.len, &req);
	CHECK_EQ(t, n, b.len);
	CHECK_EQ(t, req.hdr.type, XS_MKDIR);
	CHECK_EQ(t, req.hdr.req_id, 2);
	CHECK_EQ(t, req.hdr.tx_id, 5);
	CHECK(t, req.path && strcmp(req.path, "/b") == 0);
	free(a.buf);
	free(b.buf);
	free(both);
}

static void test_unknown_types(struct tap *t)
{
	static const uint32_t bad[] = { 20 /* XS_RESTRICT, removed */,
		XS_WATCH_EVENT, XS_ERROR, XS_RESUME, XS_SET_TARGET,
		XS_TYPE_COUNT, 1000, XS_INVALID, UINT32_MAX };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(t, parse_err(bad[i], P("/a")), NC_EINVAL);
	/* An empty payload is still consumed. */
	CHECK_EQ(t, parse_err(1000, "", 0), NC_EINVAL);
}

/* ---------------------------------------------------- path requests */

static void test_path_requests(struct tap *t)
{
	static const uint32_t types[] = { XS_READ, XS_MKDIR, XS_RM,
					  XS_DIRECTORY, XS_GET_PERMS };
	struct ncsim_xs_req req;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK_EQ(t, parse(types[i], P("/local/domain/1"), &req),
			 NCSIM_XS_HDR_SIZE + 16);
		CHECK_EQ(t, req.err, NC_OK);
		CHECK_EQ(t, req.hdr.req_id, 7);
		CHECK(t, strcmp(req.path, "/local/domain/1") == 0);
		CHECK_EQ(t, parse_err(types[i], P("device/vif")), NC_OK);
		/* Missing NUL, empty payload, a second string. */
		CHECK_EQ(t, parse_err(types[i], PN("/a")), NC_EINVAL);
		CHECK_EQ(t, parse_err(types[i], "", 0), NC_EINVAL);
		CHECK_EQ(t, parse_err(types[i], P("/a\0b")), NC_EINVAL);
	}
}

static void test_oversized_path(struct tap *t)
{
	char *p = malloc(XENSTORE_ABS_PATH_MAX + 2);

	memset(p, 'a', XENSTORE_ABS_PATH_MAX + 1);
	p[0] = '/';
	p[XENSTORE_ABS_PATH_MAX] = '\0';                /* 3072 bytes */
	CHECK_EQ(t, parse_err(XS_READ, p, XENSTORE_ABS_PATH_MAX + 1), NC_OK);
	p[XENSTORE_ABS_PATH_MAX] = 'a';
	p[XENSTORE_ABS_PATH_MAX + 1] = '\0';            /* 3073 */
	CHECK_EQ(t, parse_err(XS_READ, p, XENSTORE_ABS_PATH_MAX + 2),
		 NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_WRITE, p, XENSTORE_ABS_PATH_MAX + 2),
		 NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_WATCH, p, XENSTORE_ABS_PATH_MAX + 2),
		 NC_EINVAL);     /* no token either */
	/* Relative paths: XENSTORE_REL_PATH_MAX. */
	p[0] = 'a';
	p[XENSTORE_REL_PATH_MAX] = '\0';
	CHECK_EQ(t, parse_err(XS_READ, p, XENSTORE_REL_PATH_MAX + 1), NC_OK);
	p[XENSTORE_REL_PATH_MAX] = 'a';
	p[XENSTORE_REL_PATH_MAX + 1] = '\0';
	CHECK_EQ(t, parse_err(XS_READ, p, XENSTORE_REL_PATH_MAX + 2),
		 NC_EINVAL);
	free(p);
}

static void test_write(struct tap *t)
{
	struct ncsim_xs_req req;

	parse(XS_WRITE, PN("/a/b\0hello"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK(t, strcmp(req.path, "/a/b") == 0);
	CHECK_EQ(t, req.value_len, 5);
	CHECK(t, memcmp(req.value, "hello", 5) == 0);
	/* Empty value; binary value with NULs. */
	parse(XS_WRITE, P("/a"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK_EQ(t, req.value_len, 0);
	parse(XS_WRITE, PN("/a\0x\0y\0"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK_EQ(t, req.value_len, 4);
	/* No NUL after the path. */
	CHECK_EQ(t, parse_err(XS_WRITE, PN("/a/b")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_WRITE, "", 0), NC_EINVAL);
}

static void test_directory_part_request(struct tap *t)
{
	struct ncsim_xs_req req;

	parse(XS_DIRECTORY_PART, P("/a\0" "4096"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK_EQ(t, req.offset, 4096);
	CHECK_EQ(t, parse_err(XS_DIRECTORY_PART, P("/a\0" "4294967295")),
		 NC_OK);
	CHECK_EQ(t, parse_err(XS_DIRECTORY_PART, P("/a\0" "4294967296")),
		 NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_DIRECTORY_PART, P("/a\0" "x1")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_DIRECTORY_PART, P("/a\0")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_DIRECTORY_PART, P("/a")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_DIRECTORY_PART, PN("/a\0" "1")), NC_EINVAL);
}

/* ------------------------------------------------------ permissions */

static void test_parse_perm(struct tap *t)
{
	static const char *const bad[] = { "", "x1", "r", "r-1", "r+1",
		"r 1", "R1", "r1a", "r65536", "r999999", "n0x", "rr1" };
	struct nc_store_perm p;
	size_t i;

	CHECK_EQ(t, ncsim_xs_parse_perm("n0", &p), NC_OK);
	CHECK(t, p.domid == 0 && p.perm == NC_PERM_NONE);
	CHECK_EQ(t, ncsim_xs_parse_perm("r1", &p), NC_OK);
	CHECK(t, p.domid == 1 && p.perm == NC_PERM_READ);
	CHECK_EQ(t, ncsim_xs_parse_perm("w2", &p), NC_OK);
	CHECK(t, p.domid == 2 && p.perm == NC_PERM_WRITE);
	CHECK_EQ(t, ncsim_xs_parse_perm("b65535", &p), NC_OK);
	CHECK(t, p.domid == 65535 && p.perm == NC_PERM_BOTH);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EINVAL(t, ncsim_xs_parse_perm(bad[i], &p)))
			tap_diag("perm \"%s\" accepted", bad[i]);
}

static void test_set_perms(struct tap *t)
{
	char many[256];
	struct ncsim_xs_req req;
	size_t len = 0;
	int i;

	parse(XS_SET_PERMS, P("/x\0n0\0r1\0b3"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK_EQ(t, req.nperms, 3);
	CHECK(t, req.perms[0].domid == 0 && req.perms[0].perm == NC_PERM_NONE);
	CHECK(t, req.perms[1].domid == 1 && req.perms[1].perm == NC_PERM_READ);
	CHECK(t, req.perms[2].domid == 3 && req.perms[2].perm == NC_PERM_BOTH);
	CHECK_EQ(t, parse_err(XS_SET_PERMS, P("/x")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_SET_PERMS, P("/x\0q1")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_SET_PERMS, P("/x\0n0\0")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_SET_PERMS, PN("/x\0n0")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_SET_PERMS, P("/x\0r70000")), NC_EINVAL);
	/* Limit: NC_STORE_MAX_PERMS entries. */
	len = (size_t)snprintf(many, sizeof(many), "/x") + 1;
	for (i = 0; i < NC_STORE_MAX_PERMS; i++)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "r%d",
					i) + 1;
	CHECK_EQ(t, parse_err(XS_SET_PERMS, many, len), NC_OK);
	len += (size_t)snprintf(many + len, sizeof(many) - len, "r99") + 1;
	CHECK_EQ(t, parse_err(XS_SET_PERMS, many, len), NC_ENOSPC);
}

static void test_perms_payload(struct tap *t)
{
	static const struct nc_store_perm p[4] = {
		{ 0, NC_PERM_NONE }, { 1, NC_PERM_READ },
		{ 2, NC_PERM_WRITE }, { 65535, NC_PERM_BOTH } };
	static const char want[] = "n0\0r1\0w2\0b65535";   /* + final NUL */
	char out[64];

	CHECK_EQ(t, ncsim_xs_perms_payload(out, sizeof(out), p, 4),
		 sizeof(want));
	CHECK(t, memcmp(out, want, sizeof(want)) == 0);
	CHECK_EQ(t, ncsim_xs_perms_payload(out, 6, p, 2), 6);
	CHECK_EQ(t, ncsim_xs_perms_payload(out, 5, p, 2), NC_ENOSPC);
	CHECK_EQ(t, ncsim_xs_perms_payload(out, 14, p, 4), NC_ENOSPC);
}

/* ---------------------------------------------- the other requests */

static void test_watch(struct tap *t)
{
	struct ncsim_xs_req req;

	parse(XS_WATCH, P("/a\0tok"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	CHECK(t, strcmp(req.path, "/a") == 0 && strcmp(req.token, "tok") == 0);
	parse(XS_UNWATCH, P("@releaseDomain\0t"), &req);
	CHECK_EQ(t, req.err, NC_OK);
	/* Reserved trailing bytes are ignored. */
	CHECK_EQ(t, parse_err(XS_WATCH, PN("/a\0tok\0zz")), NC_OK);
	CHECK_EQ(t, parse_err(XS_WATCH, P("/a")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_WATCH, PN("/a\0tok")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_UNWATCH, "", 0), NC_EINVAL);
}

static void test_transactions(struct tap *t)
{
	struct ncsim_xs_req req;

	CHECK_EQ(t, parse_err(XS_TRANSACTION_START, P("")), NC_OK);
	CHECK_EQ(t, parse_err(XS_TRANSACTION_START, "", 0), NC_OK);
	parse(XS_TRANSACTION_END, P("T"), &req);
	CHECK(t, req.err == NC_OK && req.commit == 1);
	parse(XS_TRANSACTION_END, P("F"), &req);
	CHECK(t, req.err == NC_OK && req.commit == 0);
	CHECK_EQ(t, parse_err(XS_TRANSACTION_END, P("X")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_TRANSACTION_END, P("TT")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_TRANSACTION_END, PN("T")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_TRANSACTION_END, P("T\0F")), NC_EINVAL);
}

static void test_domids(struct tap *t)
{
	static const uint32_t types[] = { XS_GET_DOMAIN_PATH,
		XS_IS_DOMAIN_INTRODUCED, XS_RELEASE };
	static const char *const bad[] = { "", "-1", "+1", " 1", "1 ",
		"65536", "000001", "0x10", "1a" };
	struct ncsim_xs_req req;
	nc_domid_t d;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		parse(types[i], P("65535"), &req);
		CHECK(t, req.err == NC_OK && req.domid == 65535);
		CHECK_EQ(t, parse_err(types[i], P("1\0" "2")), NC_EINVAL);
		CHECK_EQ(t, parse_err(types[i], PN("1")), NC_EINVAL);
	}
	CHECK_EQ(t, ncsim_xs_parse_domid("00012", &d), NC_OK);
	CHECK_EQ(t, d, 12);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK_EINVAL(t, ncsim_xs_parse_domid(bad[i], &d)))
			tap_diag("domid \"%s\" accepted", bad[i]);
	parse(XS_INTRODUCE, P("3\0" "1234\0" "5"), &req);
	CHECK(t, req.err == NC_OK && req.domid == 3);
	CHECK_EQ(t, parse_err(XS_INTRODUCE, P("3\0" "1234")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_INTRODUCE, P("x\0" "1\0" "2")), NC_EINVAL);
}

static void test_control_and_reset(struct tap *t)
{
	struct ncsim_xs_req req;

	parse(XS_CONTROL, P("check"), &req);
	CHECK(t, req.err == NC_OK && strcmp(req.command, "check") == 0);
	CHECK_EQ(t, parse_err(XS_CONTROL, PN("check")), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_CONTROL, "", 0), NC_EINVAL);
	CHECK_EQ(t, parse_err(XS_RESET_WATCHES, P("")), NC_OK);
}

/* ------------------------------------------------------- formatting */

static void test_errors(struct tap *t)
{
	static const struct { int err; const char *name; } names[] = {
		{ NC_ENOENT, "ENOENT" }, { NC_EACCES, "EACCES" },
		{ NC_EINVAL, "EINVAL" }, { NC_EAGAIN, "EAGAIN" },
		{ NC_E2BIG, "E2BIG" }, { NC_ENOSPC, "ENOSPC" },
		{ NC_EEXIST, "EEXIST" }, { NC_EPERM, "EPERM" },
		{ NC_EBUSY, "EBUSY" }, { NC_ENOMEM, "ENOMEM" },
		{ NC_EIO, "EIO" },
		/* no xenstore name: EINVAL, as xenstored */
		{ NC_EPROTO, "EINVAL" }, { NC_ERANGE, "EINVAL" },
		{ 0, "EINVAL" } };
	struct xsd_sockmsg req = { XS_READ, 9, 4, 0 }, h;
	char out[64];
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!CHECK(t, strcmp(ncsim_xs_errname(names[i].err),
				     names[i].name) == 0))
			tap_diag("%d -> %s", names[i].err,
				 ncsim_xs_errname(names[i].err));
	n = ncsim_xs_format_error(out, sizeof(out), &req, NC_ENOENT);
	CHECK_EQ(t, n, NCSIM_XS_HDR_SIZE + 7);
	h = hdr_of(out);
	CHECK(t, h.type == XS_ERROR && h.req_id == 9 && h.tx_id == 4 &&
		 h.len == 7);
	CHECK(t, memcmp(out + NCSIM_XS_HDR_SIZE, "ENOENT", 7) == 0);
	CHECK_EQ(t, ncsim_xs_format_error(out, NCSIM_XS_HDR_SIZE + 6, &req,
					  NC_ENOENT), 0);
}

static void test_ack_and_reply(struct tap *t)
{
	struct xsd_sockmsg req = { XS_WRITE, 1, 2, 0 }, h;
	char *big = calloc(1, XENSTORE_PAYLOAD_MAX + 1);
	char out[NCSIM_XS_MSG_MAX + 1];

	CHECK_EQ(t, ncsim_xs_format_ack(out, sizeof(out), &req),
		 NCSIM_XS_HDR_SIZE + 3);
	h = hdr_of(out);
	CHECK(t, h.type == XS_WRITE && h.req_id == 1 && h.tx_id == 2 &&
		 h.len == 3);
	CHECK(t, memcmp(out + NCSIM_XS_HDR_SIZE, "OK", 3) == 0);
	/* Limit: never more than XENSTORE_PAYLOAD_MAX. */
	CHECK_EQ(t, ncsim_xs_format_reply(out, sizeof(out), &req, XS_READ,
					  big, XENSTORE_PAYLOAD_MAX),
		 NCSIM_XS_MSG_MAX);
	CHECK_EQ(t, ncsim_xs_format_reply(out, sizeof(out), &req, XS_READ,
					  big, XENSTORE_PAYLOAD_MAX + 1), 0);
	CHECK_EQ(t, ncsim_xs_format_reply(out, NCSIM_XS_HDR_SIZE + 2, &req,
					  XS_READ, "abc", 3), 0);
	free(big);
}

static void test_watch_event(struct tap *t)
{
	char out[NCSIM_XS_MSG_MAX];
	char *path = malloc(XENSTORE_PAYLOAD_MAX);
	struct xsd_sockmsg h;

	CHECK_EQ(t, ncsim_xs_format_watch_event(out, sizeof(out), "/a/b",
						"tok"), NCSIM_XS_HDR_SIZE + 9);
	h = hdr_of(out);
	CHECK(t, h.type == XS_WATCH_EVENT && h.req_id == 0 && h.tx_id == 0 &&
		 h.len == 9);
	CHECK(t, memcmp(out + NCSIM_XS_HDR_SIZE, "/a/b\0tok", 9) == 0);
	/* path + token + 2 NULs: exactly the limit, then one over. */
	memset(path, 'p', XENSTORE_PAYLOAD_MAX - 3);
	path[XENSTORE_PAYLOAD_MAX - 3] = '\0';
	CHECK_EQ(t, ncsim_xs_format_watch_event(out, sizeof(out), path, "t"),
		 NCSIM_XS_MSG_MAX);
	CHECK_EQ(t, ncsim_xs_format_watch_event(out, sizeof(out), path, "tt"),
		 0);
	CHECK_EQ(t, ncsim_xs_format_watch_event(out, 20, "/a", "tok"), 0);
	free(path);
}

/* ----------------------------------------------- directory listings */

/* Rebuild a listing from DIRECTORY_PART replies, as libxenstore does. */
static size_t stitch(const char *names, size_t len, char *whole,
		     unsigned *parts, char *gen0)
{
	char out[XENSTORE_PAYLOAD_MAX];
	size_t off = 0, glen;
	int n;

	*parts = 0;
	for (;;) {
		n = ncsim_xs_directory_part_payload(out, sizeof(out), names,
						    len, (uint32_t)off);
		if (n <= 0)
			return (size_t)-1;
		(*parts)++;
		glen = strlen(out) + 1;
		if (off == 0)
			memcpy(gen0, out, glen);
		else if (strcmp(gen0, out) != 0)
			return (size_t)-1;
		memcpy(whole + off, out + glen, (size_t)n - glen);
		off += (size_t)n - glen;
		if (off <= 1 || whole[off - 2] == '\0')
			break;
	}
	return off > 1 ? off - 1 : off;
}

static void test_directory_part_small(struct tap *t)
{
	static const char names[] = "alpha\0beta";       /* 11 bytes */
	char out[XENSTORE_PAYLOAD_MAX];
	size_t glen;
	int n;

	n = ncsim_xs_directory_part_payload(out, sizeof(out), names,
					    sizeof(names), 0);
	glen = strlen(out) + 1;
	CHECK_EQ(t, n, glen + sizeof(names) + 1);
	CHECK(t, memcmp(out + glen, names, sizeof(names)) == 0);
	CHECK_EQ(t, out[n - 1], '\0');
	CHECK_EQ(t, out[n - 2], '\0');
	/* From the second name; past the end; inside a name. */
	n = ncsim_xs_directory_part_payload(out, sizeof(out), names,
					    sizeof(names), 6);
	CHECK_EQ(t, n, glen + 5 + 1);
	CHECK(t, memcmp(out + glen, "beta", 5) == 0);
	n = ncsim_xs_directory_part_payload(out, sizeof(out), names,
					    sizeof(names), 500);
	CHECK_EQ(t, n, glen + 1);
	CHECK_EQ(t, ncsim_xs_directory_part_payload(out, sizeof(out), names,
						    sizeof(names), 3),
		 NC_EINVAL);
	/* An empty directory. */
	n = ncsim_xs_directory_part_payload(out, sizeof(out), "", 0, 0);
	CHECK_EQ(t, n, strlen(out) + 2);
}

static void test_directory_part_large(struct tap *t)
{
	size_t len = 0, got, cap = 64 * 1024;
	char *names = malloc(cap), *whole = malloc(cap);
	char gen_a[32], gen_b[32];
	unsigned parts, i;

	for (i = 0; i < 1000; i++)
		len += (size_t)snprintf(names + len, cap - len,
					"child-with-a-longish-name-%u", i) + 1;
	got = stitch(names, len, whole, &parts, gen_a);
	CHECK_EQ(t, got, len);
	CHECK(t, got == len && memcmp(whole, names, len) == 0);
	CHECK(t, parts > len / XENSTORE_PAYLOAD_MAX);
	tap_diag("%zu bytes of names in %u parts", len, parts);
	/* A different listing has a different generation. */
	names[0] = 'C';
	stitch(names, len, whole, &parts, gen_b);
	CHECK(t, strcmp(gen_a, gen_b) != 0);
	free(names);
	free(whole);
}

/* --------------------------------------------------------- robustness */

/* Random bytes after a header with a random type and a random length:
 * parsing never reads outside the buffer (ASan) and always either waits,
 * consumes exactly one message, or refuses the length. */
static void test_random_messages(struct tap *t)
{
	uint64_t x = 0x9e3779b97f4a7c15u;
	struct ncsim_xs_req req;
	unsigned i, bad = 0;

	for (i = 0; i < 200000; i++) {
		size_t avail, j;
		uint32_t hdr[4];
		char *buf;
		int n;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		hdr[0] = (uint32_t)(x % (XS_TYPE_COUNT + 2));
		hdr[1] = (uint32_t)(x >> 8);
		hdr[2] = 0;
		hdr[3] = (uint32_t)((x >> 20) % 80);
		if (i % 1000 == 0)
			hdr[3] = (uint32_t)(x >> 32);
		avail = NCSIM_XS_HDR_SIZE + (size_t)((x >> 40) % 96);
		buf = malloc(avail);
		memcpy(buf, hdr, sizeof(hdr));
		for (j = NCSIM_XS_HDR_SIZE; j < avail; j++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			buf[j] = (x & 3) == 0 ? '\0' : (char)(x >> 24);
		}
		n = ncsim_xs_parse(buf, avail, &req);
		if (hdr[3] > XENSTORE_PAYLOAD_MAX)
			bad += n != NC_E2BIG;
		else if (avail < NCSIM_XS_HDR_SIZE + hdr[3])
			bad += n != 0;
		else
			bad += n != (int)(NCSIM_XS_HDR_SIZE + hdr[3]);
		free(buf);
	}
	CHECK_EQ(t, bad, 0);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "truncated header waits", test_truncated_header);
	tap_run(&t, "truncated payload waits", test_truncated_payload);
	tap_run(&t, "length over XENSTORE_PAYLOAD_MAX is fatal",
		test_bad_length);
	tap_run(&t, "payload of exactly XENSTORE_PAYLOAD_MAX",
		test_max_length);
	tap_run(&t, "two messages back to back", test_back_to_back);
	tap_run(&t, "unknown and reply-only types: EINVAL",
		test_unknown_types);
	tap_run(&t, "path requests, missing NUL", test_path_requests);
	tap_run(&t, "oversized paths", test_oversized_path);
	tap_run(&t, "write: path and binary value", test_write);
	tap_run(&t, "directory_part request", test_directory_part_request);
	tap_run(&t, "permission strings", test_parse_perm);
	tap_run(&t, "set_perms requests", test_set_perms);
	tap_run(&t, "get_perms payload", test_perms_payload);
	tap_run(&t, "watch and unwatch", test_watch);
	tap_run(&t, "transaction start and end", test_transactions);
	tap_run(&t, "domain ids", test_domids);
	tap_run(&t, "control and reset_watches", test_control_and_reset);
	tap_run(&t, "error replies and names", test_errors);
	tap_run(&t, "acks and reply limits", test_ack_and_reply);
	tap_run(&t, "watch events", test_watch_event);
	tap_run(&t, "directory_part: small listing",
		test_directory_part_small);
	tap_run(&t, "directory_part: stitched large listing",
		test_directory_part_large);
	tap_run(&t, "random messages", test_random_messages);
	parse_release();
	return tap_done(&t);
}

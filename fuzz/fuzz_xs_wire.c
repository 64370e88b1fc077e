/*
 * fuzz_xs_wire.c - libFuzzer harness for the simulator's xenstore wire
 * parser (src/sim/xs_wire.c): ncsim_xs_parse on a stream of fuzzed bytes,
 * message after message, as the daemon reads them from a socket.
 *
 * The input is copied into a heap buffer of exactly its size, so a read
 * past `avail` is an ASan report.  For every parsed message the harness
 * checks that each pointer the parser returned lies inside the message's
 * payload and that every string is NUL-terminated there, then feeds the
 * parsed fields to the formatting functions the daemon calls with them.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/xs_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FX_REQUIRE(cond)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_xs_wire: invariant failed: "  \
				"%s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

/* s lies in [lo, hi) and its NUL too. */
static void fx_string_inside(const char *s, const char *lo, const char *hi)
{
	if (!s)
		return;
	FX_REQUIRE(s >= lo && s < hi);
	FX_REQUIRE(memchr(s, '\0', (size_t)(hi - s)) != NULL);
}

static void fx_use(const struct ncsim_xs_req *req, const char *payload,
		   size_t plen)
{
	static char out[NCSIM_XS_MSG_MAX + 64];
	static char pay[XENSTORE_PAYLOAD_MAX];
	const char *end = payload + plen;
	size_t n;
	int rc;

	fx_string_inside(req->path, payload, end);
	fx_string_inside(req->token, payload, end);
	fx_string_inside(req->command, payload, end);
	if (req->value) {
		const char *v = req->value;

		FX_REQUIRE(v >= payload && v <= end);
		FX_REQUIRE(req->value_len == (size_t)(end - v));
	}
	FX_REQUIRE(req->nperms <= NC_STORE_MAX_PERMS);
	FX_REQUIRE(req->err <= 0);
	/* What the daemon does with a request: answer it. */
	n = ncsim_xs_format_error(out, sizeof(out), &req->hdr, req->err);
	FX_REQUIRE(n > 0 && n <= sizeof(out));
	n = ncsim_xs_format_ack(out, sizeof(out), &req->hdr);
	FX_REQUIRE(n == NCSIM_XS_HDR_SIZE + 3);
	if (req->err != NC_OK)
		return;
	if (req->path && req->token) {
		n = ncsim_xs_format_watch_event(out, sizeof(out), req->path,
						req->token);
		FX_REQUIRE(n <= sizeof(out));
	}
	if (req->nperms) {
		rc = ncsim_xs_perms_payload(pay, sizeof(pay), req->perms,
					    req->nperms);
		FX_REQUIRE(rc < 0 || (size_t)rc <= sizeof(pay));
	}
	if (req->value) {
		/* Echo the value back, as a READ reply would. */
		n = ncsim_xs_format_reply(out, sizeof(out), &req->hdr, XS_READ,
					  req->value, req->value_len);
		FX_REQUIRE(n == NCSIM_XS_HDR_SIZE + req->value_len);
		/* The value as a directory listing, from the parsed offset
		 * when there is one. */
		rc = ncsim_xs_directory_part_payload(pay, sizeof(pay),
						     req->value,
						     req->value_len, 0);
		FX_REQUIRE(rc < 0 || (size_t)rc <= sizeof(pay));
	}
	if (req->hdr.type == XS_DIRECTORY_PART) {
		rc = ncsim_xs_directory_part_payload(pay, sizeof(pay), payload,
						     plen, req->offset);
		FX_REQUIRE(rc < 0 || (size_t)rc <= sizeof(pay));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ncsim_xs_req req;
	char *buf = malloc(size ? size : 1);
	size_t off = 0;
	unsigned msgs = 0;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	while (off < size) {
		int rc = ncsim_xs_parse(buf + off, size - off, &req);

		if (rc == 0)
			break;          /* incomplete: the daemon reads more */
		if (rc < 0) {
			FX_REQUIRE(rc == NC_E2BIG);
			FX_REQUIRE(req.hdr.len > XENSTORE_PAYLOAD_MAX);
			break;          /* the daemon closes the connection */
		}
		FX_REQUIRE((size_t)rc >= NCSIM_XS_HDR_SIZE);
		FX_REQUIRE((size_t)rc <= size - off);
		FX_REQUIRE((size_t)rc == NCSIM_XS_HDR_SIZE + req.hdr.len);
		fx_use(&req, buf + off + NCSIM_XS_HDR_SIZE, req.hdr.len);
		off += (size_t)rc;
		msgs++;
	}
	/* Every prefix of a complete message is "need more". */
	if (size >= NCSIM_XS_HDR_SIZE && msgs) {
		int rc = ncsim_xs_parse(buf, NCSIM_XS_HDR_SIZE - 1, &req);

		FX_REQUIRE(rc == 0);
	}
	free(buf);
	return 0;
}

/*
 * test_gso.c - software segmentation of TCP GSO frames (gso.h), and GSO
 * end to end: netfront and netback on the in-process platform, 64 KiB
 * TCPv4 and TCPv6 frames each way with their extra-info slot, and
 * segments for a frontend that did not advertise the feature.
 *
 * Frames are built here byte by byte; every segment is checked field by
 * field against the frame it came from, and its checksums with csum.c's
 * verifier.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "netchannel/csum.h"
#include "netchannel/errors.h"
#include "netchannel/gso.h"
#include "rig.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define SEQ0 0xfffff000u   /* wraps within a 64 KiB frame */
#define ID0 0xfff0u        /* wraps within a few segments */

/* ------------------------------------------------------------ frames */

enum { EXT_HOP = 1, EXT_ROUTING = 2, EXT_DST = 4 };

struct spec {
	int v6;
	unsigned vlans;        /* 0..2 */
	unsigned ip_opts;      /* IPv4: 0, 4 (router alert) or 8 (+LSRR) */
	unsigned ext;          /* IPv6: EXT_* */
	unsigned tcp_opts;     /* 0 or 12 (timestamps) */
	uint8_t tcp_flags;
	uint16_t urg;
	size_t payload;
	size_t pad;            /* Ethernet padding after the datagram */
};

struct layout {
	size_t ip_off, tcp_off, hdr_len, len;
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

static uint8_t payload_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3 + (i >> 8));
}

static size_t build_eth(uint8_t *b, const struct spec *s)
{
	static const uint8_t macs[12] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56,
					  0x00, 0x16, 0x3e, 0xab, 0xcd, 0xef };
	size_t off = 12;
	unsigned v;

	memcpy(b, macs, 12);
	for (v = 0; v < s->vlans; v++, off += 4) {
		put16(b + off, v == 0 && s->vlans == 2 ? 0x88a8 : 0x8100);
		put16(b + off + 2, 100 + v);
	}
	put16(b + off, s->v6 ? 0x86dd : 0x0800);
	return off + 2;
}

static size_t build_ipv4(uint8_t *b, const struct spec *s, size_t l4_len)
{
	size_t hlen = 20 + s->ip_opts;

	memset(b, 0, hlen);
	b[0] = (uint8_t)(0x40 | (hlen / 4));
	put16(b + 2, (uint32_t)(hlen + l4_len));
	put16(b + 4, ID0);
	put16(b + 6, 0x4000);              /* DF */
	b[8] = 64;
	b[9] = 6;
	memcpy(b + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	if (s->ip_opts >= 4) {             /* router alert */
		memcpy(b + 20, "\x94\x04\x00\x00", 4);
	}
	if (s->ip_opts >= 12) {            /* LSRR to 10.9.9.9, then EOL */
		memcpy(b + 24, "\x83\x07\x04\x0a\x09\x09\x09\x00", 8);
	}
	return hlen;
}

/* IPv6 and the extension headers s->ext names, chained in order. */
static size_t build_ipv6(uint8_t *b, const struct spec *s, size_t l4_len)
{
	static const uint8_t padn[8] = { 0, 0, 1, 4, 0, 0, 0, 0 };
	static const uint8_t home[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 0x99,
					  [15] = 0x99 };
	uint8_t *prev = b + 6;   /* the next-header byte to fill in */
	size_t off = 40;

	memset(b, 0, 40);
	b[0] = 0x60;
	b[1] = 0x01;                       /* traffic class / flow label */
	b[7] = 64;
	memcpy(b + 8, "\x20\x01\x0d\xb8\x00\x00\x00\x00"
		      "\x00\x00\x00\x00\x00\x00\x00\x01", 16);
	memcpy(b + 24, "\x20\x01\x0d\xb8\x00\x00\x00\x00"
		       "\x00\x00\x00\x00\x00\x00\x00\x02", 16);
	if (s->ext & EXT_HOP) {            /* hop-by-hop, PadN */
		*prev = 0;
		memcpy(b + off, padn, 8);
		prev = b + off;
		off += 8;
	}
	if (s->ext & EXT_ROUTING) {        /* type 2, one address, 1 left */
		*prev = 43;
		memset(b + off, 0, 24);
		b[off + 1] = 2;
		b[off + 2] = 2;
		b[off + 3] = 1;
		memcpy(b + off + 8, home, 16);
		prev = b + off;
		off += 24;
	}
	if (s->ext & EXT_DST) {            /* destination options, PadN */
		*prev = 60;
		memcpy(b + off, padn, 8);
		prev = b + off;
		off += 8;
	}
	*prev = 6;
	put16(b + 4, (uint32_t)(off - 40 + l4_len));
	return off;
}

static size_t build_tcp(uint8_t *b, const struct spec *s)
{
	size_t hlen = 20 + s->tcp_opts;

	memset(b, 0, hlen);
	put16(b, 40000);
	put16(b + 2, 80);
	put32(b + 4, SEQ0);
	put32(b + 8, 0x01020304);
	b[12] = (uint8_t)((hlen / 4) << 4);
	b[13] = s->tcp_flags;
	put16(b + 14, 65000);
	put16(b + 16, 0xdead);             /* overwritten: any value */
	put16(b + 18, s->urg);
	if (s->tcp_opts == 12)
		memcpy(b + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01"
			       "\x00\x00\x00\x02", 12);
	return hlen;
}

/* Build the frame s describes into b; its layout in *lo. */
static size_t build(uint8_t *b, const struct spec *s, struct layout *lo)
{
	size_t off = build_eth(b, s), i, l4 = 20 + s->tcp_opts + s->payload;

	lo->ip_off = off;
	off += s->v6 ? build_ipv6(b + off, s, l4) : build_ipv4(b + off, s, l4);
	lo->tcp_off = off;
	off += build_tcp(b + off, s);
	lo->hdr_len = off;
	for (i = 0; i < s->payload; i++)
		b[off + i] = payload_byte(i);
	off += s->payload;
	memset(b + off, 0xee, s->pad);
	lo->len = off + s->pad;
	return lo->len;
}

static uint8_t gso_type_of(const struct spec *s)
{
	return s->v6 ? XEN_NETIF_GSO_TYPE_TCPV6 : XEN_NETIF_GSO_TYPE_TCPV4;
}

/* ------------------------------------------------------------ checks */

/* Bytes [from, to) of a and b equal, except the ranges in skip (pairs). */
static int same_except(const uint8_t *a, const uint8_t *b, size_t from,
		       size_t to, const size_t *skip, unsigned nskip)
{
	size_t i;
	unsigned k;

	for (i = from; i < to; i++) {
		int skipped = 0;

		for (k = 0; k < nskip; k++)
			if (i >= skip[2 * k] && i < skip[2 * k + 1])
				skipped = 1;
		if (!skipped && a[i] != b[i])
			return 0;
	}
	return 1;
}

static uint8_t want_flags(uint8_t orig, uint16_t urg, unsigned i,
			  unsigned n, uint32_t off)
{
	uint8_t f = orig;

	if (i + 1 < n)
		f &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		f &= (uint8_t)~TCP_CWR;
	if ((f & TCP_URG) && urg <= off)
		f &= (uint8_t)~TCP_URG;
	return f;
}

/* Segment i of the frame in `orig`, at seg (len bytes), checked. */
static void check_segment(struct tap *t, const uint8_t *orig,
			  const struct spec *s, const struct layout *lo,
			  uint16_t mss, unsigned i, unsigned n,
			  const uint8_t *seg, size_t len)
{
	uint32_t off = i * mss;
	size_t plen = s->payload - off < mss ? s->payload - off : mss;
	const uint8_t *ip = seg + lo->ip_off, *tcp = seg + lo->tcp_off;
	size_t ip_skip[4] = { lo->ip_off + 2, lo->ip_off + 6,
			      lo->ip_off + 10, lo->ip_off + 12 };
	size_t ip6_skip[2] = { lo->ip_off + 4, lo->ip_off + 6 };
	size_t tcp_skip[6] = { lo->tcp_off + 4, lo->tcp_off + 8,
			       lo->tcp_off + 13, lo->tcp_off + 14,
			       lo->tcp_off + 16, lo->tcp_off + 20 };
	uint8_t flags = want_flags(orig[lo->tcp_off + 13], s->urg, i, n, off);

	CHECK_EQ(t, len, lo->hdr_len + plen);
	CHECK_EQ(t, nc_csum_verify_frame(seg, len), 1);
	CHECK(t, same_except(orig, seg, 0, lo->ip_off, NULL, 0));
	if (s->v6) {
		CHECK_EQ(t, get16(ip + 4), len - lo->ip_off - 40);
		CHECK(t, same_except(orig, seg, lo->ip_off, lo->tcp_off,
				     ip6_skip, 1));
	} else {
		CHECK_EQ(t, get16(ip + 2), len - lo->ip_off);
		CHECK_EQ(t, get16(ip + 4), (uint16_t)(ID0 + i));
		CHECK(t, same_except(orig, seg, lo->ip_off, lo->tcp_off,
				     ip_skip, 2));
	}
	CHECK_EQ(t, get32(tcp + 4), (uint32_t)(SEQ0 + off));
	CHECK_EQ(t, tcp[13], flags);
	CHECK_EQ(t, get16(tcp + 18),
		 (flags & TCP_URG) ? (uint16_t)(s->urg - off) : 0);
	CHECK(t, same_except(orig, seg, lo->tcp_off, lo->hdr_len, tcp_skip, 3));
	CHECK(t, memcmp(seg + lo->hdr_len, orig + lo->hdr_len + off, plen) == 0);
}

/* Split the frame s describes at mss and check every segment. */
static void split_and_check(struct tap *t, const struct spec *s,
			    uint16_t mss)
{
	static uint8_t frame[70000], out[200000];
	struct nc_gso_seg segs[NC_GSO_MAX_SEGS];
	struct layout lo;
	size_t len = build(frame, s, &lo);
	unsigned want = (unsigned)((s->payload + mss - 1) / mss), i;
	int n = nc_gso_split(frame, len, gso_type_of(s), mss, out, sizeof(out),
			     segs, NC_GSO_MAX_SEGS);

	CHECK_EQ(t, n, want);
	if (n != (int)want)
		return;
	for (i = 0; i < want; i++) {
		check_segment(t, frame, s, &lo, mss, i, want, out + segs[i].off,
			      segs[i].len);
		if (i)
			CHECK_EQ(t, segs[i].off, segs[i - 1].off +
						 segs[i - 1].len);
	}
}

/* ------------------------------------------------------------ unit */

static void test_v4_basic(struct tap *t)
{
	struct spec s = { .payload = 10000, .tcp_flags = TCP_ACK | TCP_PSH };

	split_and_check(t, &s, 1448);     /* 7 segments, last 1312 */
	s.payload = 1448 * 4;             /* last segment full */
	split_and_check(t, &s, 1448);
	s.payload = 100;                  /* one segment only */
	split_and_check(t, &s, 1448);
}

static void test_v4_64k(struct tap *t)
{
	struct spec s = { .payload = 65535 - 14 - 20 - 32, .tcp_opts = 12,
			  .tcp_flags = TCP_ACK | TCP_PSH | TCP_FIN };

	split_and_check(t, &s, 1448);     /* 46 segments */
	split_and_check(t, &s, 536);      /* 123 segments */
}

static void test_v4_vlan_options(struct tap *t)
{
	struct spec s = { .payload = 5000, .vlans = 1, .ip_opts = 4,
			  .tcp_opts = 12, .tcp_flags = TCP_ACK };

	split_and_check(t, &s, 1000);
	s.vlans = 2;
	s.ip_opts = 12;                   /* router alert + source route */
	split_and_check(t, &s, 999);      /* odd MSS: odd-length payloads */
}

static void test_v6_basic(struct tap *t)
{
	struct spec s = { .v6 = 1, .payload = 9000,
			  .tcp_flags = TCP_ACK | TCP_PSH };

	split_and_check(t, &s, 1440);
	s.payload = 65535 - 14 - 40 - 20;
	split_and_check(t, &s, 1440);
}

static void test_v6_extensions_vlan(struct tap *t)
{
	struct spec s = { .v6 = 1, .payload = 7000, .vlans = 1,
			  .ext = EXT_HOP | EXT_ROUTING | EXT_DST,
			  .tcp_opts = 12, .tcp_flags = TCP_ACK };

	split_and_check(t, &s, 1400);
	s.ext = EXT_DST;
	s.vlans = 2;
	split_and_check(t, &s, 1401);
}

static void test_flags(struct tap *t)
{
	struct spec s = { .payload = 4000,
			  .tcp_flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR |
				       TCP_ECE };

	/* FIN and PSH on the last only, CWR on the first only, ECE on all */
	split_and_check(t, &s, 1000);
	s.v6 = 1;
	split_and_check(t, &s, 1000);
	/* urgent data in the second segment: URG on the first two */
	s.tcp_flags = TCP_ACK | TCP_URG;
	s.urg = 1500;
	split_and_check(t, &s, 1000);
	s.v6 = 0;
	split_and_check(t, &s, 1000);
}

static void test_padding_ignored(struct tap *t)
{
	struct spec s = { .payload = 3000, .pad = 20, .tcp_flags = TCP_ACK };

	split_and_check(t, &s, 1000);
	s.v6 = 1;
	split_and_check(t, &s, 1000);
}

static void test_plan_fields(struct tap *t)
{
	static uint8_t f[70000];
	struct spec s = { .payload = 65535 - 14 - 20 - 20, .vlans = 1,
			  .tcp_flags = TCP_ACK };
	struct layout lo;
	struct nc_gso_plan p;
	size_t len = build(f, &s, &lo);
	unsigned i;
	uint32_t total = 0;

	CHECK_EQ(t, nc_gso_plan(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1448, &p),
		 NC_OK);
	CHECK_EQ(t, p.hdr_len, lo.hdr_len);
	CHECK_EQ(t, p.payload, s.payload);
	CHECK_EQ(t, p.ip_off, 18);
	CHECK_EQ(t, p.tcp_off, 38);
	CHECK_EQ(t, p.nsegs, (s.payload + 1447) / 1448);
	CHECK_EQ(t, p.ip_version, 4);
	for (i = 0; i < p.nsegs; i++)
		total += nc_gso_seg_len(&p, i);
	CHECK_EQ(t, total, nc_gso_total_len(&p));
	CHECK_EQ(t, nc_gso_seg_len(&p, p.nsegs), 0);
}

/* ------------------------------------------------------------ hostile */

static int plan_rc(const uint8_t *f, size_t len, uint8_t type, uint16_t mss)
{
	struct nc_gso_plan p;

	return nc_gso_plan(f, len, type, mss, &p);
}

static void test_bad_size_and_type(struct tap *t)
{
	static uint8_t f[70000];
	struct spec s = { .payload = 65535 - 14 - 20 - 20,
			  .tcp_flags = TCP_ACK };
	struct layout lo;
	size_t len = build(f, &s, &lo);

	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 0), NC_EINVAL);
	/* a hostile MSS of 1 would mean 65481 segments */
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1), NC_E2BIG);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 511), NC_E2BIG);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 512), NC_OK);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1448), NC_EINVAL);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_NONE, 1448), NC_EINVAL);
	CHECK_EQ(t, plan_rc(f, len, 77, 1448), NC_EINVAL);
	CHECK_EQ(t, plan_rc(NULL, 0, XEN_NETIF_GSO_TYPE_TCPV4, 1448), NC_EINVAL);
	/* gso_size beyond the payload: one segment */
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 65535), NC_OK);
	s.v6 = 1;
	len = build(f, &s, &lo);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1448), NC_EINVAL);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1), NC_E2BIG);
}

/* Every truncation of the headers is refused; so is every truncation
 * of the datagram (the IP length then runs past the end). */
static void test_truncated(struct tap *t)
{
	static uint8_t f[4096];
	struct spec specs[2] = {
		{ .payload = 1000, .vlans = 2, .ip_opts = 12, .tcp_opts = 12,
		  .tcp_flags = TCP_ACK },
		{ .v6 = 1, .payload = 1000, .vlans = 1,
		  .ext = EXT_HOP | EXT_ROUTING | EXT_DST, .tcp_opts = 12,
		  .tcp_flags = TCP_ACK },
	};
	unsigned k;
	int bad = 0;

	for (k = 0; k < 2; k++) {
		struct layout lo;
		size_t len = build(f, &specs[k], &lo), cut;
		uint8_t type = gso_type_of(&specs[k]);

		CHECK_EQ(t, plan_rc(f, len, type, 100), NC_OK);
		for (cut = 0; cut < len; cut++)
			if (plan_rc(f, cut, type, 100) != NC_EINVAL)
				bad++;
	}
	CHECK_EQ(t, bad, 0);
}

static void test_malformed_headers(struct tap *t)
{
	static uint8_t f[4096];
	struct spec s4 = { .payload = 1000, .tcp_flags = TCP_ACK };
	struct spec s6 = { .v6 = 1, .payload = 1000, .tcp_flags = TCP_ACK };
	struct layout lo;
	size_t len;
	uint8_t *ip, *tcp;

#define V4(expr, want) do { len = build(f, &s4, &lo); ip = f + lo.ip_off; \
	tcp = f + lo.tcp_off; (void)ip; (void)tcp; expr; \
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 100), want); \
	} while (0)
#define V6(expr, want) do { len = build(f, &s6, &lo); ip = f + lo.ip_off; \
	tcp = f + lo.tcp_off; (void)ip; (void)tcp; expr; \
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 100), want); \
	} while (0)

	V4((void)0, NC_OK);
	V4(ip[0] = 0x55, NC_EINVAL);                   /* version 5 */
	V4(ip[0] = 0x44, NC_EINVAL);                   /* IHL 16 bytes */
	V4(ip[0] = 0x4f, NC_EINVAL);                   /* IHL past TCP */
	V4(put16(ip + 2, (uint32_t)(len - lo.ip_off + 1)), NC_EINVAL);
	V4(put16(ip + 2, 20 + 19), NC_EINVAL);         /* TCP cut short */
	V4(put16(ip + 2, 20 + 20), NC_EINVAL);         /* no payload */
	V4(put16(ip + 6, 0x2000), NC_EINVAL);          /* MF */
	V4(put16(ip + 6, 0x0001), NC_EINVAL);          /* offset */
	V4(ip[9] = 17, NC_EINVAL);                     /* UDP */
	V4(tcp[12] = 0x40, NC_EINVAL);                 /* data offset 16 */
	V4(tcp[12] = 0xf0, NC_OK);                     /* 60: fits */
	V4((put16(ip + 2, 20 + 40), tcp[12] = 0xf0), NC_EINVAL);
	V4(tcp[13] |= TCP_SYN, NC_EINVAL);
	V4(tcp[13] |= 0x04, NC_EINVAL);                /* RST */
	V4(put16(f + 12, 0x0806), NC_EINVAL);          /* ARP */
	V6((void)0, NC_OK);
	V6(ip[0] = 0x40, NC_EINVAL);                   /* version 4 */
	V6(put16(ip + 4, 0), NC_EINVAL);               /* jumbogram */
	V6(put16(ip + 4, (uint32_t)(len - lo.ip_off - 40 + 1)), NC_EINVAL);
	V6(ip[6] = 44, NC_EINVAL);                     /* fragment header */
	V6(ip[6] = 17, NC_EINVAL);                     /* UDP */
	V6(ip[6] = 59, NC_EINVAL);                     /* no next header */
	V6(ip[6] = 0, NC_EINVAL);                      /* HBH runs into TCP:
							* its next is 0x9c */
#undef V4
#undef V6
}

/* Extension headers whose lengths overrun the datagram, and headers
 * longer than NC_GSO_MAX_HDR. */
static void test_v6_extension_limits(struct tap *t)
{
	static uint8_t f[8192];
	struct spec s = { .v6 = 1, .payload = 2000, .ext = EXT_HOP,
			  .tcp_flags = TCP_ACK };
	struct layout lo;
	size_t len = build(f, &s, &lo);
	uint8_t *hbh = f + lo.ip_off + 40;

	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1000), NC_OK);
	hbh[1] = 255;                      /* 2 KiB: past the datagram */
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1000),
		 NC_EINVAL);
	/* a routing header of an unknown type with segments left: its
	 * final destination (the pseudo-header's) cannot be known */
	s.ext = EXT_ROUTING;
	len = build(f, &s, &lo);
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1000), NC_OK);
	f[lo.ip_off + 40 + 2] = 3;
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1000),
		 NC_EINVAL);
	/* a 600-byte hop-by-hop header: more than NC_GSO_MAX_HDR */
	s.ext = EXT_HOP;
	s.payload = 3000;
	len = build(f, &s, &lo);
	memmove(f + lo.ip_off + 40 + 600, f + lo.ip_off + 40 + 8,
		len - (lo.ip_off + 40 + 8));
	memset(f + lo.ip_off + 40 + 2, 0, 598);
	f[lo.ip_off + 40 + 1] = 600 / 8 - 1;
	/* PadN options over the 598 bytes: 257 + 257 + 84 */
	f[lo.ip_off + 40 + 2] = 1;
	f[lo.ip_off + 40 + 3] = 255;
	f[lo.ip_off + 40 + 259] = 1;
	f[lo.ip_off + 40 + 260] = 255;
	f[lo.ip_off + 40 + 516] = 1;
	f[lo.ip_off + 40 + 517] = 82;
	len += 592;
	put16(f + lo.ip_off + 4, (uint32_t)(len - lo.ip_off - 40));
	CHECK_EQ(t, plan_rc(f, len, XEN_NETIF_GSO_TYPE_TCPV6, 1000), NC_E2BIG);
}

/* nc_gso_segment with a plan the caller corrupted: refused, never an
 * access outside the frame or the output (ASan watches). */
static void test_forged_plan(struct tap *t)
{
	static uint8_t f[4096], out[8192];
	struct spec s = { .payload = 3000, .tcp_flags = TCP_ACK };
	struct layout lo;
	size_t len = build(f, &s, &lo);
	struct nc_gso_plan p, q;

	CHECK_EQ(t, nc_gso_plan(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1000, &p),
		 NC_OK);
	CHECK_EQ(t, nc_gso_segment(f, len, &p, 2, out, sizeof(out)),
		 lo.hdr_len + 1000);
	CHECK_EQ(t, nc_gso_segment(f, len, &p, 3, out, sizeof(out)), NC_EINVAL);
	CHECK_EQ(t, nc_gso_segment(f, len, &p, 0, out, lo.hdr_len + 999),
		 NC_ENOSPC);
	CHECK_EQ(t, nc_gso_segment(f, len - 1, &p, 0, out, sizeof(out)),
		 NC_EINVAL);
	q = p; q.payload += 1;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 0, out, sizeof(out)), NC_EINVAL);
	q = p; q.hdr_len = 100000;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 0, out, sizeof(out)), NC_EINVAL);
	q = p; q.tcp_off = q.hdr_len - 10;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 0, out, sizeof(out)), NC_EINVAL);
	q = p; q.ip_off = 0;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 0, out, sizeof(out)), NC_EINVAL);
	q = p; q.mss = 0;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 0, out, sizeof(out)), NC_EINVAL);
	q = p; q.nsegs = 100;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 50, out, sizeof(out)),
		 NC_EINVAL);
	q = p; q.ip_version = 5;
	CHECK_EQ(t, nc_gso_segment(f, len, &q, 0, out, sizeof(out)), NC_EINVAL);
}

static void test_split_room(struct tap *t)
{
	static uint8_t f[4096], out[8192];
	struct nc_gso_seg segs[4];
	struct spec s = { .payload = 3000, .tcp_flags = TCP_ACK };
	struct layout lo;
	size_t len = build(f, &s, &lo);
	size_t need = 3 * lo.hdr_len + 3000;

	CHECK_EQ(t, nc_gso_split(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1000, out,
				 need, segs, 3), 3);
	CHECK_EQ(t, nc_gso_split(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1000, out,
				 need - 1, segs, 3), NC_ENOSPC);
	CHECK_EQ(t, nc_gso_split(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1000, out,
				 need, segs, 2), NC_ENOSPC);
	CHECK_EQ(t, nc_gso_split(f, len, XEN_NETIF_GSO_TYPE_TCPV4, 1, out,
				 sizeof(out), segs, 4), NC_E2BIG);
}

/* Random damage to valid frames: nothing crashes, and whatever the plan
 * accepts splits into segments whose checksums all verify. */
static void test_random_damage(struct tap *t)
{
	static uint8_t f[6000], out[70000];
	struct nc_gso_seg segs[NC_GSO_MAX_SEGS];
	uint32_t rnd = 12345;
	unsigned iter, accepted = 0, bad = 0;

	for (iter = 0; iter < 20000; iter++) {
		struct spec s = { .v6 = (int)(iter & 1), .payload = 3000,
				  .vlans = iter % 3, .tcp_opts = 12,
				  .tcp_flags = TCP_ACK };
		struct layout lo;
		size_t len, k;
		unsigned flips;
		uint16_t mss;
		int n, j;

		if (s.v6)
			s.ext = (iter >> 1) & 7;
		else
			s.ip_opts = (iter >> 1) % 2 ? 12 : 0;
		len = build(f, &s, &lo);
		rnd = rnd * 1103515245u + 12345u;
		flips = 1 + (rnd >> 16) % 4;
		for (k = 0; k < flips; k++) {
			rnd = rnd * 1103515245u + 12345u;
			f[(rnd >> 8) % lo.hdr_len] ^= (uint8_t)(1u << ((rnd >> 4) % 8));
		}
		rnd = rnd * 1103515245u + 12345u;
		if ((rnd >> 16) % 4 == 0)
			len = (rnd >> 8) % len;
		rnd = rnd * 1103515245u + 12345u;
		mss = (uint16_t)(1 + (rnd >> 16) % 2000);
		n = nc_gso_split(f, len, gso_type_of(&s), mss, out, sizeof(out),
				 segs, NC_GSO_MAX_SEGS);
		if (n < 0)
			continue;
		accepted++;
		for (j = 0; j < n; j++)
			if (nc_csum_verify_frame(out + segs[j].off,
						 segs[j].len) != 1)
				bad++;
	}
	CHECK_EQ(t, bad, 0);
	CHECK(t, accepted > 100);   /* the damage left some frames valid */
	tap_diag("%u of 20000 damaged frames still segmentable", accepted);
}

/* ------------------------------------------------------------ end to end */

#define MAX_GOT 256
#define GOT_BYTES (4u << 20)

/* Frames one end received, copied. */
struct got {
	uint8_t *buf;          /* GOT_BYTES, frames back to back */
	size_t used;
	unsigned n;
	uint32_t off[MAX_GOT], len[MAX_GOT], flags[MAX_GOT];
	uint16_t gso_size[MAX_GOT];
	uint8_t gso_type[MAX_GOT];
};

static void keep(void *arg, const struct nc_frame *fr)
{
	struct got *g = arg;

	if (g->n >= MAX_GOT || g->used + fr->len > GOT_BYTES)
		return;
	memcpy(g->buf + g->used, fr->data, fr->len);
	g->off[g->n] = (uint32_t)g->used;
	g->len[g->n] = fr->len;
	g->flags[g->n] = fr->flags;
	g->gso_size[g->n] = fr->gso_size;
	g->gso_type[g->n] = fr->gso_type;
	g->used += fr->len;
	g->n++;
}

static struct got *got_new(void)
{
	struct got *g = calloc(1, sizeof(*g));

	if (g)
		g->buf = malloc(GOT_BYTES);
	return g;
}

static void got_free(struct got *g)
{
	if (g)
		free(g->buf);
	free(g);
}

/* A 64 KiB (65535-byte) GSO frame of either family. */
static size_t big_frame(uint8_t *f, int v6, struct spec *s,
			struct layout *lo)
{
	memset(s, 0, sizeof(*s));
	s->v6 = v6;
	s->tcp_opts = 12;
	s->tcp_flags = TCP_ACK | TCP_PSH;
	s->payload = 65535 - 14 - (v6 ? 40 : 20) - 32;
	return build(f, s, lo);
}

static int rig_up(struct rig *r, struct got *fg, struct got *bg,
		  int fe_no_gso, int be_no_gso)
{
	if (rig_init(r, 0))
		return -1;
	r->fcfg.rx = keep;
	r->fcfg.rx_arg = fg;
	r->fcfg.no_gso = fe_no_gso;
	r->bcfg.deliver = keep;
	r->bcfg.deliver_arg = bg;
	r->bcfg.need_full_csum = 1;        /* as the daemon runs it */
	r->bcfg.no_gso = be_no_gso;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

static int read_key(struct rig *r, const char *dir, const char *key)
{
	char path[160], buf[16];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (r->tool.store.ops->read(r->tool.store.ctx, NC_TXN_NONE, path, buf,
				    sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

static void test_e2e_keys(struct tap *t)
{
	struct got *fg = got_new(), *bg = got_new();
	struct rig r;

	CHECK(t, rig_up(&r, fg, bg, 0, 0) == 0);
	CHECK_EQ(t, read_key(&r, r.be_path, "feature-gso-tcpv4"), 1);
	CHECK_EQ(t, read_key(&r, r.be_path, "feature-gso-tcpv6"), 1);
	CHECK_EQ(t, read_key(&r, r.fe_path, "feature-gso-tcpv4"), 1);
	CHECK_EQ(t, read_key(&r, r.fe_path, "feature-gso-tcpv6"), 1);
	CHECK(t, nc_front_can_gso(r.f, XEN_NETIF_GSO_TYPE_TCPV4));
	CHECK(t, nc_front_can_gso(r.f, XEN_NETIF_GSO_TYPE_TCPV6));
	CHECK(t, !nc_front_can_gso(r.f, 3));
	rig_free(&r);
	CHECK(t, rig_up(&r, fg, bg, 1, 1) == 0);
	CHECK_EQ(t, read_key(&r, r.be_path, "feature-gso-tcpv4"), 0);
	CHECK_EQ(t, read_key(&r, r.be_path, "feature-gso-tcpv6"), 0);
	CHECK_EQ(t, read_key(&r, r.fe_path, "feature-gso-tcpv4"), 0);
	CHECK_EQ(t, read_key(&r, r.fe_path, "feature-gso-tcpv6"), 0);
	CHECK(t, !nc_front_can_gso(r.f, XEN_NETIF_GSO_TYPE_TCPV4));
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

/* Frontend -> backend: the frame arrives whole, with its GSO fields. */
static void front_to_back(struct tap *t, int v6)
{
	static uint8_t f[70000];
	struct got *fg = got_new(), *bg = got_new();
	struct spec s;
	struct layout lo;
	struct rig r;
	size_t len = big_frame(f, v6, &s, &lo);
	struct nc_iov iov = { f, len };
	uint8_t type = gso_type_of(&s);

	CHECK_EQ(t, len, 65535);
	CHECK(t, rig_up(&r, fg, bg, 0, 0) == 0);
	CHECK_EQ(t, nc_front_send_gso(r.f, &iov, 1, NC_FRAME_CSUM_BLANK, type,
				      1448), NC_OK);
	rig_pump(&r, 6);
	CHECK_EQ(t, bg->n, 1);
	if (bg->n == 1) {
		CHECK_EQ(t, bg->len[0], len);
		CHECK(t, memcmp(bg->buf, f, len) == 0);
		CHECK(t, bg->flags[0] & NC_FRAME_GSO);
		CHECK(t, bg->flags[0] & NC_FRAME_CSUM_BLANK);
		CHECK_EQ(t, bg->gso_size[0], 1448);
		CHECK_EQ(t, bg->gso_type[0], type);
	}
	/* and through the frontend's write-in-place call, a second one */
	CHECK_EQ(t, nc_front_send_gso(r.f, &iov, 1, NC_FRAME_CSUM_BLANK, type,
				      1000), NC_OK);
	rig_pump(&r, 6);
	CHECK_EQ(t, bg->n, 2);
	CHECK_EQ(t, bg->gso_size[1], 1000);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.packets, 2);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.packets, 2);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.errors + nc_back_stats(r.b)->rx.dropped,
		 0);
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

static void test_e2e_front_to_back_v4(struct tap *t)
{
	front_to_back(t, 0);
}

static void test_e2e_front_to_back_v6(struct tap *t)
{
	front_to_back(t, 1);
}

/* Backend -> frontend: whole, with the extra after the first slot. */
static void back_to_front(struct tap *t, int v6)
{
	static uint8_t f[70000];
	struct got *fg = got_new(), *bg = got_new();
	struct spec s;
	struct layout lo;
	struct rig r;
	size_t len = big_frame(f, v6, &s, &lo);
	struct nc_frame fr = { .data = f, .len = (uint32_t)len,
			       .flags = NC_FRAME_GSO | NC_FRAME_CSUM_BLANK,
			       .gso_size = 1448, .gso_type = gso_type_of(&s) };
	unsigned i;

	CHECK(t, rig_up(&r, fg, bg, 0, 0) == 0);
	/* three, so that frames follow one that had an extra slot */
	for (i = 0; i < 3; i++) {
		CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_OK);
		rig_pump(&r, 4);
	}
	CHECK_EQ(t, fg->n, 3);
	for (i = 0; i < fg->n; i++) {
		CHECK_EQ(t, fg->len[i], len);
		CHECK(t, memcmp(fg->buf + fg->off[i], f, len) == 0);
		CHECK(t, fg->flags[i] & NC_FRAME_GSO);
		CHECK(t, fg->flags[i] & NC_FRAME_CSUM_BLANK);
		CHECK_EQ(t, fg->gso_size[i], 1448);
		CHECK_EQ(t, fg->gso_type[i], gso_type_of(&s));
	}
	CHECK_EQ(t, nc_front_stats(r.f)->rx.packets, 3);
	CHECK_EQ(t, nc_front_stats(r.f)->rx.errors +
		 nc_front_stats(r.f)->rx.dropped, 0);
	CHECK_EQ(t, nc_back_stats(r.b)->tx.packets, 3);
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

static void test_e2e_back_to_front_v4(struct tap *t)
{
	back_to_front(t, 0);
}

static void test_e2e_back_to_front_v6(struct tap *t)
{
	back_to_front(t, 1);
}

/* A GSO frame for a frontend without the feature: segments, each one
 * checked against the frame, in order. */
static void segmented_for(struct tap *t, int v6, int fe_no_gso, int fe_no_sg)
{
	static uint8_t f[70000];
	struct got *fg = got_new(), *bg = got_new();
	struct spec s;
	struct layout lo;
	struct rig r;
	size_t len = big_frame(f, v6, &s, &lo);
	struct nc_frame fr = { .data = f, .len = (uint32_t)len,
			       .flags = NC_FRAME_GSO | NC_FRAME_CSUM_BLANK,
			       .gso_size = 1448, .gso_type = gso_type_of(&s) };
	unsigned want = (unsigned)((s.payload + 1447) / 1448), i;

	if (rig_init(&r, 0)) {
		CHECK(t, 0);
		return;
	}
	r.fcfg.rx = keep;
	r.fcfg.rx_arg = fg;
	r.fcfg.no_gso = fe_no_gso;
	r.fcfg.no_sg = fe_no_sg;
	CHECK(t, rig_start(&r) == 0 && rig_connect(&r) == 0);
	CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_OK);
	rig_pump(&r, 8);
	CHECK_EQ(t, fg->n, want);
	for (i = 0; i < fg->n && fg->n == want; i++) {
		check_segment(t, f, &s, &lo, 1448, i, want,
			      fg->buf + fg->off[i], fg->len[i]);
		CHECK(t, !(fg->flags[i] & (NC_FRAME_GSO | NC_FRAME_CSUM_BLANK)));
		CHECK(t, fg->flags[i] & NC_FRAME_DATA_VALIDATED);
	}
	CHECK_EQ(t, nc_back_stats(r.b)->tx.packets, want);
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

static void test_e2e_segments_no_feature_v4(struct tap *t)
{
	segmented_for(t, 0, 1, 0);
}

static void test_e2e_segments_no_feature_v6(struct tap *t)
{
	segmented_for(t, 1, 1, 0);
}

static void test_e2e_segments_no_sg(struct tap *t)
{
	segmented_for(t, 0, 0, 1);
}

/* What is refused, and counted. */
static void test_e2e_refusals(struct tap *t)
{
	static uint8_t f[70000];
	struct got *fg = got_new(), *bg = got_new();
	struct spec s;
	struct layout lo;
	struct rig r;
	size_t len = big_frame(f, 0, &s, &lo);
	struct nc_iov iov = { f, len };
	struct nc_frame fr = { .data = f, .len = (uint32_t)len,
			       .flags = NC_FRAME_GSO, .gso_size = 0,
			       .gso_type = XEN_NETIF_GSO_TYPE_TCPV4 };

	CHECK(t, rig_up(&r, fg, bg, 0, 0) == 0);
	/* NC_FRAME_GSO without a size: only the _gso calls send it */
	CHECK_EQ(t, nc_front_send(r.f, &iov, 1, NC_FRAME_GSO), NC_EINVAL);
	CHECK_EQ(t, nc_front_send_gso(r.f, &iov, 1, 0,
				      XEN_NETIF_GSO_TYPE_TCPV4, 0), NC_EINVAL);
	CHECK_EQ(t, nc_front_send_gso(r.f, &iov, 1, 0, 3, 1448), NC_EINVAL);
	CHECK(t, nc_front_stats(r.f)->tx.reason[NC_R_BAD_GSO] == 3);
	/* the backend refuses a GSO frame it cannot segment */
	CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_EINVAL);
	fr.gso_size = 1;
	CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_EINVAL);
	fr.gso_size = 1448;
	fr.gso_type = XEN_NETIF_GSO_TYPE_TCPV6;
	CHECK_EQ(t, nc_back_queue(r.b, &fr), NC_EINVAL);
	CHECK_EQ(t, nc_back_stats(r.b)->tx.reason[NC_R_BAD_GSO], 3);
	rig_pump(&r, 4);
	CHECK_EQ(t, fg->n, 0);
	CHECK_EQ(t, bg->n, 0);
	rig_free(&r);
	/* a backend without the feature: refused before the ring */
	CHECK(t, rig_up(&r, fg, bg, 0, 1) == 0);
	CHECK_EQ(t, nc_front_send_gso(r.f, &iov, 1, NC_FRAME_CSUM_BLANK,
				      XEN_NETIF_GSO_TYPE_TCPV4, 1448),
		 NC_EINVAL);
	rig_pump(&r, 4);
	CHECK_EQ(t, bg->n, 0);
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

/* A frontend that sends GSO the backend did not offer: dropped (not
 * disabled), answered, counted; the next plain frame goes through. */
static size_t fill_copy(void *ctx, uint8_t *buf, size_t size)
{
	memcpy(buf, ctx, size);
	return size;
}

static void test_e2e_unoffered_gso_dropped(struct tap *t)
{
	static uint8_t f[70000];
	struct got *fg = got_new(), *bg = got_new();
	struct spec s;
	struct layout lo;
	struct rig r;
	size_t len = big_frame(f, 0, &s, &lo);

	CHECK(t, rig_up(&r, fg, bg, 0, 1) == 0);
	/* pretend the backend offered it, as a buggy frontend would */
	r.f->feat.gso_tcpv4 = 1;
	CHECK_EQ(t, nc_front_write_gso(r.f, len, fill_copy, f,
				       NC_FRAME_CSUM_BLANK,
				       XEN_NETIF_GSO_TYPE_TCPV4, 1448), NC_OK);
	rig_pump(&r, 6);
	CHECK_EQ(t, bg->n, 0);
	CHECK_EQ(t, nc_back_stats(r.b)->rx.reason[NC_R_BAD_GSO], 1);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	CHECK_EQ(t, nc_front_stats(r.f)->tx.reason[NC_R_PEER_ERROR], 1);
	CHECK_EQ(t, nc_front_write(r.f, 1000, fill_copy, f, 0), NC_OK);
	rig_pump(&r, 6);
	CHECK_EQ(t, bg->n, 1);
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

/* Frames of a ring's worth in flight: GSO frames (17 slots each) mixed
 * with small ones, both ways, all arriving intact and in order. */
static void test_e2e_mixed_stream(struct tap *t)
{
	static uint8_t f4[70000], f6[70000];
	struct got *fg = got_new(), *bg = got_new();
	struct spec s4, s6;
	struct layout l4, l6;
	struct rig r;
	size_t n4 = big_frame(f4, 0, &s4, &l4), n6 = big_frame(f6, 1, &s6, &l6);
	unsigned i, sent = 0, queued = 0, guard;

	CHECK(t, rig_up(&r, fg, bg, 0, 0) == 0);
	for (guard = 0; guard < 10000 && (sent < 40 || queued < 40); guard++) {
		if (sent < 40) {
			struct nc_iov iov = { sent % 2 ? f6 : f4,
					      sent % 4 == 2 ? 200
					      : sent % 2 ? n6 : n4 };
			int rc = sent % 4 == 2
				? nc_front_send(r.f, &iov, 1, 0)
				: nc_front_send_gso(r.f, &iov, 1,
						    NC_FRAME_CSUM_BLANK,
						    sent % 2 ? 2 : 1, 1448);
			if (rc == NC_OK)
				sent++;
		}
		if (queued < 40 && fg->n + 16 > queued) {
			struct nc_frame fr = {
				.data = queued % 2 ? f6 : f4,
				.len = (uint32_t)(queued % 2 ? n6 : n4),
				.flags = NC_FRAME_GSO | NC_FRAME_CSUM_BLANK,
				.gso_size = 1448,
				.gso_type = queued % 2 ? 2 : 1 };
			if (nc_back_queue(r.b, &fr) == NC_OK)
				queued++;
		}
		rig_pump(&r, 1);
	}
	rig_pump(&r, 10);
	CHECK_EQ(t, bg->n, 40);
	CHECK_EQ(t, fg->n, 40);
	for (i = 0; i < bg->n; i++) {
		int small = i % 4 == 2;
		size_t want = small ? 200 : i % 2 ? n6 : n4;

		CHECK_EQ(t, bg->len[i], want);
		CHECK(t, memcmp(bg->buf + bg->off[i], i % 2 ? f6 : f4, want) == 0);
		CHECK_EQ(t, !!(bg->flags[i] & NC_FRAME_GSO), !small);
	}
	for (i = 0; i < fg->n; i++) {
		CHECK_EQ(t, fg->len[i], i % 2 ? n6 : n4);
		CHECK(t, memcmp(fg->buf + fg->off[i], i % 2 ? f6 : f4,
				fg->len[i]) == 0);
		CHECK_EQ(t, fg->gso_type[i], i % 2 ? 2 : 1);
	}
	rig_free(&r);
	got_free(fg);
	got_free(bg);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "TCPv4: segments, lengths, ids, seq, checksums", test_v4_basic);
	tap_run(&t, "TCPv4: a 64 KiB frame at MSS 1448 and 536", test_v4_64k);
	tap_run(&t, "TCPv4: VLAN, QinQ, IP options, source route", test_v4_vlan_options);
	tap_run(&t, "TCPv6: segments and a 64 KiB frame", test_v6_basic);
	tap_run(&t, "TCPv6: extension headers, VLAN", test_v6_extensions_vlan);
	tap_run(&t, "flags: FIN/PSH last, CWR first, URG while urgent", test_flags);
	tap_run(&t, "Ethernet padding is not payload", test_padding_ignored);
	tap_run(&t, "the plan's fields", test_plan_fields);
	tap_run(&t, "hostile: size 0, size 1, wrong type", test_bad_size_and_type);
	tap_run(&t, "hostile: every truncation refused", test_truncated);
	tap_run(&t, "hostile: malformed IPv4/IPv6/TCP headers", test_malformed_headers);
	tap_run(&t, "hostile: IPv6 extension headers overrun or too long", test_v6_extension_limits);
	tap_run(&t, "hostile: a forged plan never reads out of bounds", test_forged_plan);
	tap_run(&t, "split: output room and segment slots", test_split_room);
	tap_run(&t, "hostile: 20000 damaged frames", test_random_damage);
	tap_run(&t, "e2e: feature keys both ways", test_e2e_keys);
	tap_run(&t, "e2e: 64 KiB TCPv4 GSO frontend -> backend", test_e2e_front_to_back_v4);
	tap_run(&t, "e2e: 64 KiB TCPv6 GSO frontend -> backend", test_e2e_front_to_back_v6);
	tap_run(&t, "e2e: 64 KiB TCPv4 GSO backend -> frontend", test_e2e_back_to_front_v4);
	tap_run(&t, "e2e: 64 KiB TCPv6 GSO backend -> frontend", test_e2e_back_to_front_v6);
	tap_run(&t, "e2e: frontend without GSO gets TCPv4 segments", test_e2e_segments_no_feature_v4);
	tap_run(&t, "e2e: frontend without GSO gets TCPv6 segments", test_e2e_segments_no_feature_v6);
	tap_run(&t, "e2e: frontend without SG gets segments", test_e2e_segments_no_sg);
	tap_run(&t, "e2e: refusals, counted", test_e2e_refusals);
	tap_run(&t, "e2e: GSO the backend did not offer is dropped", test_e2e_unoffered_gso_dropped);
	tap_run(&t, "e2e: GSO and small frames mixed, both ways", test_e2e_mixed_stream);
	return tap_done(&t);
}

/*
 * test_csum.c - the Internet checksum, its incremental update, the
 * pseudo-headers, and completing and verifying Ethernet frames.
 *
 * Every expectation comes from outside the code under test: a bytewise
 * reference sum written here, RFC examples, or packets whose checksums
 * were computed by an independent implementation.
 */
#include <stdint.h>
#include <string.h>

#include "netchannel/csum.h"
#include "harness.h"

/* ------------------------------------------------------------ helpers */

/* splitmix64: a fixed-seed PRNG, so every run tests the same cases. */
struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t rng_below(struct rng *r, size_t n)
{
	return n ? (size_t)(rng_next(r) % n) : 0;
}

static void rng_fill(struct rng *r, unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)rng_next(r);
}

static uint16_t get_be16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put_be16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* A host-order uint16_t holding bytes as they sit in memory, read as a
 * big-endian number: how a checksum "looks" on the wire. */
static uint16_t wire16(uint16_t mem)
{
	unsigned char b[2];

	memcpy(b, &mem, 2);
	return get_be16(b);
}

static uint16_t load16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static void store16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* The reference: the RFC 1071 definition, one big-endian word at a time.
 * Chain it over even-length pieces only (the last may be odd). */
static uint64_t ref_sum(const unsigned char *p, size_t len, uint64_t acc)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		acc += get_be16(p + i);
	if (len & 1)
		acc += (uint64_t)p[len - 1] << 8;
	return acc;
}

static uint16_t ref_fold(uint64_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static uint16_t ref_csum(const unsigned char *p, size_t len)
{
	return ref_fold(ref_sum(p, len, 0));
}

/* nc_csum's result as a big-endian number. */
static uint16_t csum_wire(const void *p, size_t len)
{
	return wire16(nc_csum(p, len));
}

/* The reference L4 checksum: pseudo-header (none when addr_len is 0)
 * then the L4 bytes with the checksum field taken as zero. */
static uint16_t ref_l4_csum(const unsigned char *saddr,
			    const unsigned char *daddr, size_t addr_len,
			    uint8_t proto, const unsigned char *l4,
			    size_t l4_len, size_t csum_off)
{
	unsigned char pseudo[40];
	uint64_t acc = 0;

	if (addr_len) {
		unsigned char tail[8] = {
			(unsigned char)(l4_len >> 24),
			(unsigned char)(l4_len >> 16),
			(unsigned char)(l4_len >> 8), (unsigned char)l4_len,
			0, 0, 0, proto,
		};
		memcpy(pseudo, saddr, addr_len);
		memcpy(pseudo + addr_len, daddr, addr_len);
		acc = ref_sum(pseudo, 2 * addr_len, acc);
		if (addr_len == 4) {  /* zero, proto, 16-bit length */
			acc += proto;
			acc += (uint16_t)l4_len;
		} else {
			acc = ref_sum(tail, sizeof(tail), acc);
		}
	}
	acc = ref_sum(l4, csum_off, acc);  /* csum_off is even */
	acc = ref_sum(l4 + csum_off + 2, l4_len - csum_off - 2, acc);
	return ref_fold(acc);
}

/* --------------------------------------------- known packets (wire) */

/* RFC 1071 section 3 numerical example. */
static const unsigned char rfc1071_bytes[] = {
	0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7,
};

/* The classic IPv4 header: checksum 0xb861. */
static const unsigned char classic_ipv4[] = {
	0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
};

/* The frames below were built and checksummed by an independent
 * implementation (Python).  UDP/IPv4: a DNS query for example.com,
 * 10.0.0.1:40000 -> 10.0.0.2:53, odd UDP length 37. */
static const unsigned char udp4_frame[] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x39, 0x1c, 0x46, 0x40, 0x00, 0x40, 0x11,
	0x0a, 0x6c, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, 0x9c, 0x40,
	0x00, 0x35, 0x00, 0x25, 0xd3, 0xf0, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70,
	0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
};

/* TCP/IPv6: a SYN with options, 2001:db8::1 -> 2001:db8::2 port 80. */
static const unsigned char tcp6_frame[] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x28, 0x06, 0x40, 0x20, 0x01,
	0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xc7, 0x38, 0x00, 0x50, 0x12, 0x34,
	0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfd, 0x20, 0xdd, 0x07,
	0x00, 0x00, 0x02, 0x04, 0x05, 0xa0, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x01,
	0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};

/* ICMPv4 echo request 192.168.0.1 -> 192.168.0.199, id 0x1234 seq 1. */
static const unsigned char icmp4_frame[] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x33, 0xbe, 0xef, 0x00, 0x00, 0x40, 0x01,
	0x39, 0xc2, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7, 0x08, 0x00,
	0xd1, 0x21, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
	0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
	0x73, 0x74, 0x75, 0x76, 0x77,
};

/* ICMPv6 echo request fe80::216:3eff:fe00:1 -> ff02::1, odd length 19. */
static const unsigned char icmp6_frame[] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x00, 0x16, 0x3e, 0x00, 0x00, 0x01,
	0x86, 0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x13, 0x3a, 0xff, 0xfe, 0x80,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x16, 0x3e, 0xff, 0xfe, 0x00,
	0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80, 0x00, 0xc0, 0xc7, 0x42, 0x42,
	0x00, 0x07, 0x6e, 0x65, 0x74, 0x63, 0x68, 0x61, 0x6e, 0x6e, 0x65, 0x6c,
	0x21,
};

struct known_frame {
	const char *name;
	const unsigned char *bytes;
	size_t len;
	size_t ip_csum_off;   /* 0 for IPv6 */
	size_t l4_csum_off;   /* offsets into the frame */
	size_t ip_off;
};

static const struct known_frame known_frames[] = {
	{ "udp4", udp4_frame, sizeof(udp4_frame), 24, 40, 14 },
	{ "tcp6", tcp6_frame, sizeof(tcp6_frame), 0, 70, 14 },
	{ "icmp4", icmp4_frame, sizeof(icmp4_frame), 24, 36, 14 },
	{ "icmp6", icmp6_frame, sizeof(icmp6_frame), 0, 56, 14 },
};

#define N_KNOWN (sizeof(known_frames) / sizeof(known_frames[0]))
#define FRAME_MAX 2048

/* ----------------------------------------------- synthetic frames */

struct frame_spec {
	int v6;
	int vlan_tags;        /* 0..2 */
	uint8_t proto;        /* 6, 17, 1 or 58 */
	size_t payload_len;   /* L4 payload after its header */
	size_t ipv4_opt_words;/* 0..10 NOP words */
	size_t v6_dstopts;    /* 8-byte destination options headers */
	size_t pad;           /* Ethernet padding after the IP packet */
};

struct frame {
	unsigned char b[FRAME_MAX];
	size_t len;
	size_t ip_off, ip_hlen, l4_off, l4_len, l4_csum_off;
	int v6;
	uint8_t proto;
};

static size_t put_ethernet(unsigned char *b, int vlan_tags, uint16_t type)
{
	static const unsigned char macs[12] = {
		0x00, 0x16, 0x3e, 0x11, 0x22, 0x33,
		0x00, 0x16, 0x3e, 0x44, 0x55, 0x66,
	};
	size_t off = 12;
	int i;

	memcpy(b, macs, sizeof(macs));
	for (i = 0; i < vlan_tags; i++) {
		put_be16(b + off, i == 0 && vlan_tags == 2 ? 0x88a8 : 0x8100);
		put_be16(b + off + 2, (uint16_t)(100 + i));
		off += 4;
	}
	put_be16(b + off, type);
	return off + 2;
}

static size_t l4_header_len(uint8_t proto)
{
	return proto == 6 ? 20 : 8;
}

static size_t l4_csum_field(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : 2;
}

/* The reference checksums of a built frame, filled in place. */
static void ref_fill_l4(struct frame *f, const unsigned char *daddr)
{
	unsigned char *ip = f->b + f->ip_off, *l4 = f->b + f->l4_off;
	size_t alen = f->v6 ? 16 : 4;
	const unsigned char *saddr = ip + (f->v6 ? 8 : 12);
	uint16_t c;

	if (!daddr)
		daddr = ip + (f->v6 ? 24 : 16);
	if (f->proto == 1)
		alen = 0;
	c = ref_l4_csum(saddr, daddr, alen, f->proto, l4, f->l4_len,
			f->l4_csum_off);
	if (f->proto == 17 && c == 0)
		c = 0xffff;
	put_be16(l4 + f->l4_csum_off, c);
}

static void ref_fill_ipv4(struct frame *f)
{
	unsigned char *ip = f->b + f->ip_off;

	put_be16(ip + 10, 0);
	put_be16(ip + 10, ref_csum(ip, f->ip_hlen));
}

static void ref_fill(struct frame *f)
{
	ref_fill_l4(f, NULL);
	if (!f->v6)
		ref_fill_ipv4(f);
}

static void put_l4(struct frame *f, struct rng *r)
{
	unsigned char *l4 = f->b + f->l4_off;

	rng_fill(r, l4, f->l4_len);
	if (f->proto == 6)
		l4[12] = 5 << 4;
	if (f->proto == 17)
		put_be16(l4 + 4, (uint16_t)f->l4_len);
	if (f->proto == 1)
		l4[0] = 8, l4[1] = 0;
	if (f->proto == 58)
		l4[0] = 128, l4[1] = 0;
}

static size_t put_ipv4(struct frame *f, const struct frame_spec *s,
		       struct rng *r)
{
	unsigned char *ip = f->b + f->ip_off;
	size_t ihl = 5 + s->ipv4_opt_words;

	rng_fill(r, ip, 20);
	ip[0] = (unsigned char)(0x40 | ihl);
	put_be16(ip + 2, (uint16_t)(ihl * 4 + f->l4_len));
	put_be16(ip + 6, 0x4000);  /* DF */
	ip[9] = s->proto;
	memset(ip + 20, 1, s->ipv4_opt_words * 4);  /* NOPs */
	return ihl * 4;
}

static size_t put_ipv6(struct frame *f, const struct frame_spec *s,
		       struct rng *r)
{
	unsigned char *ip = f->b + f->ip_off;
	size_t i, hlen = 40 + 8 * s->v6_dstopts;

	rng_fill(r, ip, hlen);
	ip[0] = 0x60;
	put_be16(ip + 4, (uint16_t)(hlen - 40 + f->l4_len));
	ip[6] = s->v6_dstopts ? 60 : s->proto;
	for (i = 0; i < s->v6_dstopts; i++) {
		unsigned char *h = ip + 40 + 8 * i;

		h[0] = i + 1 < s->v6_dstopts ? 60 : s->proto;
		h[1] = 0;
		h[2] = 1, h[3] = 4;  /* PadN over the remaining 6 bytes */
		memset(h + 4, 0, 4);
	}
	return hlen;
}

static void build_frame(struct frame *f, const struct frame_spec *s,
			struct rng *r)
{
	memset(f, 0, sizeof(*f));
	f->v6 = s->v6;
	f->proto = s->proto;
	f->ip_off = put_ethernet(f->b, s->vlan_tags, s->v6 ? 0x86dd : 0x0800);
	f->l4_len = l4_header_len(s->proto) + s->payload_len;
	f->l4_csum_off = l4_csum_field(s->proto);
	f->ip_hlen = s->v6 ? put_ipv6(f, s, r) : put_ipv4(f, s, r);
	f->l4_off = f->ip_off + f->ip_hlen;
	put_l4(f, r);
	f->len = f->l4_off + f->l4_len;
	rng_fill(r, f->b + f->len, s->pad);
	f->len += s->pad;
	ref_fill(f);
}

static void build_simple(struct frame *f, int v6, uint8_t proto,
			 size_t payload_len, uint64_t seed)
{
	struct frame_spec s = { v6, 0, proto, payload_len, 0, 0, 0 };
	struct rng r = { seed };

	build_frame(f, &s, &r);
}

/* Complete a copy of frame with its checksum fields garbled; 1 when the
 * result is byte-identical to the original. */
static int completes_to_original(const unsigned char *frame, size_t len,
				 size_t ip_csum_off, size_t l4_csum_off)
{
	unsigned char copy[FRAME_MAX];

	memcpy(copy, frame, len);
	put_be16(copy + l4_csum_off, 0xdead);
	if (ip_csum_off)
		put_be16(copy + ip_csum_off, 0xbeef);
	if (nc_csum_verify_frame(copy, len) != 0)
		return 0;
	if (nc_csum_complete_frame(copy, len) != 0)
		return 0;
	return memcmp(copy, frame, len) == 0;
}

/* ---------------------------------------------------------- the sum */

static void test_rfc1071_example(struct tap *t)
{
	uint32_t partial = nc_csum_partial(rfc1071_bytes, 8, 0);
	uint16_t folded = (uint16_t)~nc_csum_fold(partial);

	CHECK_EQ(t, wire16(folded), 0xddf2);
	CHECK_EQ(t, csum_wire(rfc1071_bytes, 8), 0x220d);
	CHECK_EQ(t, nc_csum(rfc1071_bytes, 8), nc_csum_fold(partial));
}

static void test_rfc1071_example_with_checksum_verifies(struct tap *t)
{
	unsigned char b[10];

	memcpy(b, rfc1071_bytes, 8);
	store16(b + 8, nc_csum(rfc1071_bytes, 8));
	CHECK_EQ(t, b[8], 0x22);
	CHECK_EQ(t, b[9], 0x0d);
	CHECK_EQ(t, nc_csum(b, 10), 0);
}

static void test_empty_buffer(struct tap *t)
{
	CHECK_EQ(t, nc_csum_partial(NULL, 0, 0), 0);
	CHECK_EQ(t, nc_csum_partial(NULL, 0, 0x1234), 0x1234);
	CHECK_EQ(t, nc_csum(NULL, 0), 0xffff);
}

static void test_single_byte_padded_with_zero(struct tap *t)
{
	unsigned char one = 0xab, two[2] = { 0xab, 0x00 };

	CHECK_EQ(t, csum_wire(&one, 1), 0x54ff);
	CHECK_EQ(t, nc_csum(&one, 1), nc_csum(two, 2));
	CHECK_EQ(t, csum_wire(rfc1071_bytes, 7), ref_csum(rfc1071_bytes, 7));
}

static void test_odd_lengths_match_reference(struct tap *t)
{
	unsigned char b[1025];
	struct rng r = { 1 };
	size_t len;

	rng_fill(&r, b, sizeof(b));
	for (len = 1; len <= sizeof(b); len += 2)
		CHECK_EQ(t, csum_wire(b, len), ref_csum(b, len));
}

static void test_every_length_to_300_matches_reference(struct tap *t)
{
	unsigned char b[300];
	struct rng r = { 2 };
	size_t len;

	rng_fill(&r, b, sizeof(b));
	for (len = 0; len <= sizeof(b); len++)
		CHECK_EQ(t, csum_wire(b, len), ref_csum(b, len));
}

static void test_all_alignments_agree(struct tap *t)
{
	unsigned char src[520], buf[520 + 8];
	struct rng r = { 3 };
	size_t len, off;

	rng_fill(&r, src, sizeof(src));
	for (len = 0; len <= sizeof(src); len += (len < 80 ? 1 : 37)) {
		uint32_t want = nc_csum_partial(src, len, 0);

		for (off = 0; off < 8; off++) {
			memset(buf, 0xa5, sizeof(buf));
			memcpy(buf + off, src, len);
			CHECK_EQ(t, nc_csum_partial(buf + off, len, 0), want);
			CHECK_EQ(t, csum_wire(buf + off, len),
				 ref_csum(src, len));
		}
	}
}

static void test_random_buffers_match_reference(struct tap *t)
{
	static unsigned char buf[9000 + 8];
	struct rng r = { 4 };
	int i, bad = 0;

	for (i = 0; i < 4000; i++) {
		size_t len = rng_below(&r, 9001), off = rng_below(&r, 8);

		rng_fill(&r, buf + off, len);
		if (csum_wire(buf + off, len) != ref_csum(buf + off, len))
			bad++;
	}
	CHECK_EQ(t, bad, 0);
}

static void test_carry_stress(struct tap *t)
{
	static unsigned char buf[131072 + 7];
	size_t len;

	memset(buf, 0xff, sizeof(buf));
	for (len = 0; len <= sizeof(buf); len += 4093)
		CHECK_EQ(t, csum_wire(buf, len), ref_csum(buf, len));
	CHECK_EQ(t, csum_wire(buf, sizeof(buf)), ref_csum(buf, sizeof(buf)));
	CHECK_EQ(t, nc_csum(buf, 65536), 0);  /* -0 folds to 0xffff, ~ = 0 */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(t, nc_csum(buf, sizeof(buf)), 0xffff);
	memset(buf, 0xfe, sizeof(buf));
	CHECK_EQ(t, csum_wire(buf, sizeof(buf)), ref_csum(buf, sizeof(buf)));
}

static void test_chained_partials_equal_one_shot(struct tap *t)
{
	unsigned char b[4000];
	struct rng r = { 5 };
	int i;

	rng_fill(&r, b, sizeof(b));
	for (i = 0; i < 500; i++) {
		size_t len = rng_below(&r, sizeof(b) + 1), pos = 0;
		uint32_t sum = 0;

		while (len - pos > 0) {
			size_t piece = rng_below(&r, 200) & ~(size_t)1;

			if (piece >= len - pos || rng_below(&r, 10) == 0)
				piece = len - pos;  /* the last may be odd */
			sum = nc_csum_partial(b + pos, piece, sum);
			pos += piece;
		}
		CHECK_EQ(t, nc_csum_fold(sum), nc_csum(b, len));
	}
}

static void test_initial_sum_is_added(struct tap *t)
{
	static const uint32_t starts[] = {
		1, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe,
		0xffffffff,
	};
	unsigned char b[777];
	struct rng r = { 6 };
	size_t i;

	rng_fill(&r, b, sizeof(b));
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		uint64_t acc = ref_sum(b, sizeof(b), 0);
		uint32_t s = starts[i];
		/* s is a host-order sum: convert its folded value to wire. */
		uint16_t s_wire = wire16((uint16_t)~nc_csum_fold(s));

		CHECK_EQ(t, wire16(nc_csum_fold(nc_csum_partial(b, sizeof(b),
								 s))),
			 ref_fold(acc + s_wire));
	}
}

static void test_fold_values(struct tap *t)
{
	CHECK_EQ(t, nc_csum_fold(0), 0xffff);
	CHECK_EQ(t, nc_csum_fold(0xffff), 0);
	CHECK_EQ(t, nc_csum_fold(0x10000), 0xfffe);
	CHECK_EQ(t, nc_csum_fold(0x1fffe), 0);
	CHECK_EQ(t, nc_csum_fold(0xffffffff), 0);
	CHECK_EQ(t, nc_csum_fold(0x12345678), 0x9753);
	CHECK_EQ(t, nc_csum_fold(0x0001), 0xfffe);
}

static void test_stored_checksum_verifies_to_zero(struct tap *t)
{
	unsigned char b[1502];
	struct rng r = { 7 };
	int i;

	for (i = 0; i < 300; i++) {
		size_t len = 2 + 2 * rng_below(&r, 750);
		size_t at = 2 * rng_below(&r, len / 2);

		rng_fill(&r, b, len);
		store16(b + at, 0);
		store16(b + at, nc_csum(b, len));
		CHECK_EQ(t, nc_csum(b, len), 0);
	}
}

/* ---------------------------------------------------- incremental */

static void test_update16_matches_recomputation(struct tap *t)
{
	unsigned char b[200];
	struct rng r = { 8 };
	int i, bad = 0;

	for (i = 0; i < 5000; i++) {
		size_t len = 4 + 2 * rng_below(&r, 98);
		size_t at = 2 + 2 * rng_below(&r, len / 2 - 1);
		uint16_t old_f, new_f, c;

		rng_fill(&r, b, len);
		put_be16(b, 0x4500);  /* never all zeros besides the field */
		if (i % 7 == 0)
			memset(b + 2, 0, len - 2);
		c = nc_csum(b, len);
		old_f = load16(b + at);
		new_f = (uint16_t)(i % 11 == 0 ? 0 : i % 13 == 0 ? 0xffff :
				   rng_next(&r));
		store16(b + at, new_f);
		if (nc_csum_update16(c, old_f, new_f) != nc_csum(b, len))
			bad++;
	}
	CHECK_EQ(t, bad, 0);
}

static void test_update32_matches_recomputation(struct tap *t)
{
	unsigned char b[200];
	struct rng r = { 9 };
	int i, bad = 0;

	for (i = 0; i < 5000; i++) {
		size_t len = 8 + 2 * rng_below(&r, 96);
		size_t at = 2 + 2 * rng_below(&r, len / 2 - 2);
		uint32_t old_f, new_f;
		uint16_t c;

		rng_fill(&r, b, len);
		put_be16(b, 0x4500);
		c = nc_csum(b, len);
		memcpy(&old_f, b + at, 4);
		new_f = (uint32_t)(i % 17 == 0 ? 0 : rng_next(&r));
		memcpy(b + at, &new_f, 4);
		if (nc_csum_update32(c, old_f, new_f) != nc_csum(b, len))
			bad++;
	}
	CHECK_EQ(t, bad, 0);
}

/* RFC 1624 section 3: C = 0xcd7a, m = 0x5555 -> m' = 0x3285.  The new
 * checksum is 0x0000 (~0xffff); eqn. 2 would wrongly give 0xffff. */
static void test_rfc1624_negative_zero_case(struct tap *t)
{
	unsigned char before[4] = { 0xcd, 0x7a, 0x55, 0x55 };
	unsigned char after[4] = { 0xcd, 0x7a, 0x32, 0x85 };
	uint16_t hc = nc_csum(before, 4), hc2;

	CHECK_EQ(t, wire16(hc), 0xdd2f);
	CHECK_EQ(t, csum_wire(after, 4), 0x0000);
	hc2 = nc_csum_update16(hc, load16(before + 2), load16(after + 2));
	CHECK_EQ(t, hc2, nc_csum(after, 4));
	CHECK_EQ(t, wire16(hc2), 0x0000);
	/* Byte-order independence: the same numbers as plain integers. */
	CHECK_EQ(t, nc_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/* And back again. */
	CHECK_EQ(t, nc_csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
}

static void test_update_noop_keeps_checksum(struct tap *t)
{
	struct rng r = { 10 };
	int i;

	for (i = 0; i < 1000; i++) {
		uint16_t c = (uint16_t)rng_below(&r, 0xffff);  /* not 0xffff */
		uint16_t f16 = (uint16_t)rng_next(&r);
		uint32_t f32 = (uint32_t)rng_next(&r);

		CHECK_EQ(t, nc_csum_update16(c, f16, f16), c);
		CHECK_EQ(t, nc_csum_update32(c, f32, f32), c);
	}
}

static void test_update16_ttl_decrement(struct tap *t)
{
	unsigned char h[20];
	uint16_t old_w, new_w, c;

	memcpy(h, classic_ipv4, sizeof(h));
	old_w = load16(h + 8);
	h[8]--;  /* TTL 0x40 -> 0x3f */
	new_w = load16(h + 8);
	c = nc_csum_update16(load16(h + 10), old_w, new_w);
	store16(h + 10, c);
	CHECK_EQ(t, nc_csum(h, 20), 0);
	CHECK_EQ(t, get_be16(h + 10), 0xb961);
	store16(h + 10, 0);
	CHECK_EQ(t, nc_csum(h, 20), c);
}

static void test_update32_nat_rewrite_keeps_frame_valid(struct tap *t)
{
	static const unsigned char new_saddr[4] = { 172, 16, 5, 9 };
	unsigned char f[sizeof(udp4_frame)], g[sizeof(udp4_frame)];
	uint32_t old_a, new_a;

	memcpy(f, udp4_frame, sizeof(f));
	memcpy(&old_a, f + 26, 4);
	memcpy(&new_a, new_saddr, 4);
	memcpy(f + 26, new_saddr, 4);
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 0);
	store16(f + 24, nc_csum_update32(load16(f + 24), old_a, new_a));
	store16(f + 40, nc_csum_update32(load16(f + 40), old_a, new_a));
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 1);
	memcpy(g, f, sizeof(g));
	CHECK_EQ(t, nc_csum_complete_frame(g, sizeof(g)), 0);
	CHECK(t, memcmp(f, g, sizeof(f)) == 0);
}

/* -------------------------------------------------- pseudo-headers */

static void test_pseudo_v4_matches_explicit_header(struct tap *t)
{
	static const unsigned char s[4] = { 192, 168, 0, 1 };
	static const unsigned char d[4] = { 10, 255, 0, 254 };
	unsigned char ph[12];
	static const uint32_t lens[] = { 0, 8, 1480, 65535 };
	size_t i;

	for (i = 0; i < 4; i++) {
		memcpy(ph, s, 4);
		memcpy(ph + 4, d, 4);
		ph[8] = 0, ph[9] = 17;
		put_be16(ph + 10, (uint16_t)lens[i]);
		CHECK_EQ(t, nc_csum_fold(nc_csum_pseudo_v4(s, d, 17, lens[i])),
			 nc_csum(ph, 12));
		ph[9] = 6;
		CHECK_EQ(t, nc_csum_fold(nc_csum_pseudo_v4(s, d, 6, lens[i])),
			 nc_csum(ph, 12));
	}
}

static void test_pseudo_v6_matches_explicit_header(struct tap *t)
{
	unsigned char s[16], d[16], ph[40];
	static const uint32_t lens[] = { 0, 20, 65535, 0x12345, 0xfffffff0 };
	static const uint8_t protos[] = { 6, 17, 58 };
	struct rng r = { 11 };
	size_t i, j;

	rng_fill(&r, s, 16);
	rng_fill(&r, d, 16);
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 3; j++) {
			memcpy(ph, s, 16);
			memcpy(ph + 16, d, 16);
			put_be16(ph + 32, (uint16_t)(lens[i] >> 16));
			put_be16(ph + 34, (uint16_t)lens[i]);
			ph[36] = ph[37] = ph[38] = 0;
			ph[39] = protos[j];
			CHECK_EQ(t, nc_csum_fold(nc_csum_pseudo_v6(
					    s, d, protos[j], lens[i])),
				 nc_csum(ph, 40));
		}
	}
}

static void test_pseudo_addresses_may_be_unaligned(struct tap *t)
{
	unsigned char buf[64];
	struct rng r = { 12 };
	uint32_t want4, want6;
	size_t off;

	rng_fill(&r, buf, sizeof(buf));
	want4 = nc_csum_pseudo_v4(buf, buf + 4, 17, 100);
	want6 = nc_csum_pseudo_v6(buf, buf + 16, 6, 100);
	for (off = 1; off < 8; off++) {
		unsigned char b2[64 + 8];

		memcpy(b2 + off, buf, sizeof(buf));
		CHECK_EQ(t, nc_csum_fold(nc_csum_pseudo_v4(b2 + off,
							   b2 + off + 4, 17,
							   100)),
			 nc_csum_fold(want4));
		CHECK_EQ(t, nc_csum_fold(nc_csum_pseudo_v6(b2 + off,
							   b2 + off + 16, 6,
							   100)),
			 nc_csum_fold(want6));
	}
}

/* --------------------------------------------------- known packets */

static void test_classic_ipv4_header(struct tap *t)
{
	unsigned char h[20];

	CHECK_EQ(t, nc_csum(classic_ipv4, 20), 0);
	CHECK_EQ(t, ref_csum(classic_ipv4, 20), 0);
	memcpy(h, classic_ipv4, 20);
	h[10] = h[11] = 0;
	CHECK_EQ(t, csum_wire(h, 20), 0xb861);
	store16(h + 10, nc_csum(h, 20));
	CHECK(t, memcmp(h, classic_ipv4, 20) == 0);
}

static void test_classic_ipv4_in_a_frame(struct tap *t)
{
	/* The classic header's total length is 0x73: wrap it in a frame
	 * with a UDP datagram of 95 bytes whose checksum is "none". */
	unsigned char f[14 + 0x73];
	struct frame g;

	build_simple(&g, 0, 17, 0, 1);
	memset(f, 0, sizeof(f));
	memcpy(f, g.b, 14);
	memcpy(f + 14, classic_ipv4, 20);
	put_be16(f + 34 + 4, 0x73 - 20);
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 1);
	f[14 + 10] ^= 1;
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 0);
}

static void check_known_frame(struct tap *t, const struct known_frame *k)
{
	unsigned char copy[FRAME_MAX];

	tap_diag("%s", k->name);
	CHECK_EQ(t, nc_csum_verify_frame(k->bytes, k->len), 1);
	CHECK(t, completes_to_original(k->bytes, k->len, k->ip_csum_off,
				       k->l4_csum_off));
	memcpy(copy, k->bytes, k->len);
	CHECK_EQ(t, nc_csum_complete_frame(copy, k->len), 0);
	CHECK(t, memcmp(copy, k->bytes, k->len) == 0);  /* idempotent */
}

static void test_known_udp4_frame(struct tap *t)
{
	check_known_frame(t, &known_frames[0]);
	CHECK_EQ(t, get_be16(udp4_frame + 40), 0xd3f0);
}

static void test_known_tcp6_frame(struct tap *t)
{
	check_known_frame(t, &known_frames[1]);
}

static void test_known_icmp4_echo(struct tap *t)
{
	check_known_frame(t, &known_frames[2]);
	/* The ICMP checksum alone, no pseudo-header. */
	CHECK_EQ(t, nc_csum(icmp4_frame + 34, sizeof(icmp4_frame) - 34), 0);
}

static void test_known_icmp6_echo(struct tap *t)
{
	check_known_frame(t, &known_frames[3]);
	/* ICMPv6 needs the pseudo-header: without it the sum is wrong. */
	CHECK(t, nc_csum(icmp6_frame + 54, sizeof(icmp6_frame) - 54) != 0);
}

static void test_known_frames_at_every_alignment(struct tap *t)
{
	unsigned char buf[FRAME_MAX + 8];
	size_t i, off;

	for (i = 0; i < N_KNOWN; i++) {
		const struct known_frame *k = &known_frames[i];

		for (off = 0; off < 8; off++) {
			unsigned char *f = buf + off;

			memcpy(f, k->bytes, k->len);
			CHECK_EQ(t, nc_csum_verify_frame(f, k->len), 1);
			put_be16(f + k->l4_csum_off, 0);
			if (k->ip_csum_off)
				put_be16(f + k->ip_csum_off, 0);
			CHECK_EQ(t, nc_csum_complete_frame(f, k->len), 0);
			CHECK(t, memcmp(f, k->bytes, k->len) == 0);
		}
	}
}

/* ------------------------------------------------- frame variations */

/* Insert tags after the MAC addresses of a known frame. */
static size_t add_vlan_tags(unsigned char *out, const unsigned char *in,
			    size_t len, int tags)
{
	size_t n = put_ethernet(out, tags, get_be16(in + 12));

	memcpy(out, in, 12);
	memcpy(out + n, in + 14, len - 14);
	return n - 14 + len;
}

static void test_vlan_tagged_frames(struct tap *t)
{
	unsigned char f[FRAME_MAX];
	size_t i;
	int tags;

	for (tags = 1; tags <= 2; tags++) {
		for (i = 0; i < N_KNOWN; i++) {
			const struct known_frame *k = &known_frames[i];
			size_t shift = 4 * (size_t)tags;
			size_t len = add_vlan_tags(f, k->bytes, k->len, tags);

			CHECK_EQ(t, len, k->len + shift);
			CHECK_EQ(t, nc_csum_verify_frame(f, len), 1);
			f[len - 1] ^= 0x10;
			CHECK_EQ(t, nc_csum_verify_frame(f, len), 0);
			f[len - 1] ^= 0x10;
			CHECK(t, completes_to_original(
					 f, len, k->ip_csum_off ?
					 k->ip_csum_off + shift : 0,
					 k->l4_csum_off + shift));
		}
	}
}

static void test_vlan_tag_truncated(struct tap *t)
{
	unsigned char f[FRAME_MAX];
	size_t len = add_vlan_tags(f, udp4_frame, sizeof(udp4_frame), 2);
	size_t cut;

	for (cut = 14; cut < 22; cut++)
		CHECK_EQ(t, nc_csum_verify_frame(f, cut), -1);
	CHECK_EQ(t, nc_csum_verify_frame(f, len), 1);
}

static void test_ipv4_options_honoured(struct tap *t)
{
	struct frame_spec s = { 0, 0, 17, 33, 0, 0, 0 };
	struct rng r = { 13 };
	struct frame f;
	size_t words;

	for (words = 1; words <= 10; words++) {
		s.ipv4_opt_words = words;
		build_frame(&f, &s, &r);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		CHECK(t, completes_to_original(f.b, f.len, f.ip_off + 10,
					       f.l4_off + 6));
		f.b[f.ip_off + 20 + 4 * words - 1] = 0;  /* NOP -> EOL */
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
	}
}

static void test_ipv4_option_overrun_rejected(struct tap *t)
{
	struct frame_spec s = { 0, 0, 6, 10, 2, 0, 0 };
	struct rng r = { 14 };
	struct frame f;
	unsigned char copy[FRAME_MAX];

	build_frame(&f, &s, &r);
	f.b[f.ip_off + 24] = 7;     /* record route */
	f.b[f.ip_off + 25] = 5;     /* 5 > 4 bytes left */
	ref_fill_ipv4(&f);
	memcpy(copy, f.b, f.len);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), -1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
	CHECK(t, memcmp(copy, f.b, f.len) == 0);
	f.b[f.ip_off + 25] = 1;     /* length below 2 */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), -1);
	f.b[f.ip_off + 25] = 4;     /* exactly fits */
	ref_fill_ipv4(&f);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
}

/* A loose source route in transit: the pseudo-header's destination is
 * the last address of the route, not the next hop in the header. */
static void test_ipv4_source_route_final_destination(struct tap *t)
{
	struct frame_spec s = { 0, 0, 17, 20, 3, 0, 0 };
	struct rng r = { 15 };
	struct frame f;
	unsigned char *opt;
	static const unsigned char final_dst[4] = { 198, 51, 100, 7 };

	build_frame(&f, &s, &r);
	opt = f.b + f.ip_off + 20;
	opt[0] = 1;                 /* NOP */
	opt[1] = 131, opt[2] = 11, opt[3] = 4;  /* LSRR, 2 addresses */
	memcpy(opt + 4, "\x0a\x01\x02\x03", 4);
	memcpy(opt + 8, final_dst, 4);
	ref_fill_l4(&f, final_dst);
	ref_fill_ipv4(&f);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK(t, completes_to_original(f.b, f.len, f.ip_off + 10,
				       f.l4_off + 6));
	/* Route exhausted (pointer > length): the header's destination. */
	opt[3] = 12;
	ref_fill_ipv4(&f);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
	ref_fill_l4(&f, NULL);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
}

static void test_ipv6_extension_headers_skipped(struct tap *t)
{
	static const uint8_t protos[] = { 6, 17, 58 };
	struct frame_spec s = { 1, 0, 6, 50, 0, 0, 0 };
	struct rng r = { 16 };
	struct frame f;
	size_t n, i;

	for (i = 0; i < 3; i++) {
		for (n = 1; n <= 3; n++) {
			s.proto = protos[i];
			s.v6_dstopts = n;
			build_frame(&f, &s, &r);
			/* Make the first one Hop-by-Hop. */
			f.b[f.ip_off + 6] = 0;
			CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
			CHECK(t, completes_to_original(
					 f.b, f.len, 0,
					 f.l4_off + f.l4_csum_off));
			f.b[f.len - 1] ^= 0x80;
			CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
		}
	}
}

static void test_ipv6_extension_overrun_rejected(struct tap *t)
{
	struct frame_spec s = { 1, 0, 17, 0, 1, 1, 0 };
	struct rng r = { 17 };
	struct frame f;
	unsigned char copy[FRAME_MAX];

	build_frame(&f, &s, &r);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	f.b[f.ip_off + 41] = 3;     /* 32 bytes > the 16 in the payload */
	memcpy(copy, f.b, f.len);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), -1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
	CHECK(t, memcmp(copy, f.b, f.len) == 0);
}

/* A routing header with segments left: the pseudo-header uses the final
 * destination (RFC 8200 8.1). */
static void check_routing_header(struct tap *t, uint8_t type,
				 size_t final_index, uint8_t segs_left)
{
	struct frame_spec s = { 1, 0, 6, 30, 0, 1, 0 };
	struct rng r = { 18u + type };
	struct frame f;
	unsigned char *rh;

	/* Build with room for a 40-byte routing header (2 addresses). */
	s.v6_dstopts = 5;
	build_frame(&f, &s, &r);
	rh = f.b + f.ip_off + 40;
	f.b[f.ip_off + 6] = 43;
	rh[0] = 6;                  /* TCP */
	rh[1] = 4;                  /* (4 + 1) * 8 = 40 bytes */
	rh[2] = type;
	rh[3] = segs_left;
	memset(rh + 4, 0, 4);
	ref_fill_l4(&f, segs_left ? rh + 8 + 16 * final_index : NULL);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK(t, completes_to_original(f.b, f.len, 0, f.l4_off + 16));
}

static void test_ipv6_routing_header_final_destination(struct tap *t)
{
	check_routing_header(t, 0, 1, 2);  /* type 0: the last address */
	check_routing_header(t, 2, 1, 1);  /* type 2 */
	check_routing_header(t, 4, 0, 1);  /* SRH: segment list[0] */
	check_routing_header(t, 0, 0, 0);  /* none left: the header's */
	check_routing_header(t, 3, 0, 0);  /* unknown type, none left */
}

static void test_ipv6_unknown_routing_type_rejected(struct tap *t)
{
	struct frame_spec s = { 1, 0, 6, 30, 0, 3, 0 };
	struct rng r = { 19 };
	struct frame f;

	build_frame(&f, &s, &r);
	f.b[f.ip_off + 6] = 43;
	f.b[f.ip_off + 40] = 6;  /* then TCP */
	f.b[f.ip_off + 41] = 2;  /* 24 bytes: two 8-byte addresses' room */
	f.b[f.ip_off + 42] = 3;  /* RPL source route: unknown here */
	f.b[f.ip_off + 43] = 1;
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), -1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
}

static void put_ipv6_fragment_header(struct frame *f, uint16_t off_flags)
{
	unsigned char *fh = f->b + f->ip_off + 40;

	f->b[f->ip_off + 6] = 44;
	fh[0] = f->proto;
	fh[1] = 0;
	put_be16(fh + 2, off_flags);
	memcpy(fh + 4, "\x12\x34\x56\x78", 4);
}

static void test_ipv6_fragments(struct tap *t)
{
	struct frame_spec s = { 1, 0, 17, 40, 0, 1, 0 };
	struct rng r = { 20 };
	struct frame f;

	build_frame(&f, &s, &r);
	put_ipv6_fragment_header(&f, 0);  /* atomic fragment: checked */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK(t, completes_to_original(f.b, f.len, 0, f.l4_off + 6));
	f.b[f.len - 1] ^= 1;
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
	put_ipv6_fragment_header(&f, 0x0001);  /* first, more to come */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
	put_ipv6_fragment_header(&f, 0x0100);  /* offset 32, last */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
}

static void test_ipv4_fragments_have_no_l4_check(struct tap *t)
{
	static const uint16_t frag_fields[] = { 0x2000, 0x0001, 0x20ff,
						0x1fff, 0x3000 };
	unsigned char copy[FRAME_MAX];
	struct frame f;
	size_t i;

	for (i = 0; i < sizeof(frag_fields) / sizeof(frag_fields[0]); i++) {
		build_simple(&f, 0, 17, 100, 21 + i);
		put_be16(f.b + f.ip_off + 6, frag_fields[i]);
		f.b[f.len - 1] ^= 0xff;  /* the L4 sum is now wrong */
		ref_fill_ipv4(&f);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		memcpy(copy, f.b, f.len);
		CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
		CHECK(t, memcmp(copy, f.b, f.len) == 0);
		f.b[f.ip_off + 8] ^= 1;  /* the IP header is still checked */
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
	}
}

static void test_ethernet_padding_ignored(struct tap *t)
{
	struct frame_spec s = { 0, 0, 17, 2, 0, 0, 14 };
	struct rng r = { 22 };
	struct frame f;
	unsigned char copy[FRAME_MAX];
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		s.v6 = v6;
		build_frame(&f, &s, &r);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		memcpy(copy, f.b, f.len);
		CHECK(t, completes_to_original(
				 f.b, f.len, v6 ? 0 : f.ip_off + 10,
				 f.l4_off + 6));
		f.b[f.len - 1] ^= 0xff;  /* padding: not covered */
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), 0);
		CHECK_EQ(t, f.b[f.len - 1], copy[f.len - 1] ^ 0xff);
	}
}

/* A UDP length shorter than the IP payload: the checksum covers only
 * the UDP length's worth of bytes. */
static void test_udp_length_below_ip_payload(struct tap *t)
{
	struct frame f;

	build_simple(&f, 0, 17, 30, 23);
	put_be16(f.b + f.l4_off + 4, 8 + 21);
	f.l4_len = 8 + 21;
	ref_fill(&f);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	f.b[f.len - 1] ^= 0x55;  /* beyond the UDP length */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	f.b[f.l4_off + 8 + 20] ^= 0x55;  /* the last UDP byte */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
}

/* ------------------------------------------------------ corruption */

/* Every single-bit error in the checksummed bytes is detected. */
static void flip_every_bit(struct tap *t, const unsigned char *frame,
			   size_t len, size_t from)
{
	unsigned char f[FRAME_MAX];
	size_t i;
	int bit, missed = 0;

	memcpy(f, frame, len);
	for (i = from; i < len; i++) {
		for (bit = 0; bit < 8; bit++) {
			f[i] ^= (unsigned char)(1u << bit);
			if (nc_csum_verify_frame(f, len) == 1)
				missed++;
			f[i] ^= (unsigned char)(1u << bit);
		}
	}
	CHECK_EQ(t, missed, 0);
}

static void test_single_bit_errors_detected(struct tap *t)
{
	flip_every_bit(t, udp4_frame, sizeof(udp4_frame), 14);
	flip_every_bit(t, icmp4_frame, sizeof(icmp4_frame), 14);
	/* IPv6 has no header checksum: from the addresses on. */
	flip_every_bit(t, tcp6_frame, sizeof(tcp6_frame), 22);
	flip_every_bit(t, icmp6_frame, sizeof(icmp6_frame), 22);
}

static void test_corrupted_frames_return_zero(struct tap *t)
{
	unsigned char f[FRAME_MAX];
	size_t i;

	for (i = 0; i < N_KNOWN; i++) {
		const struct known_frame *k = &known_frames[i];

		memcpy(f, k->bytes, k->len);
		f[k->l4_csum_off] ^= 0x01;
		CHECK_EQ(t, nc_csum_verify_frame(f, k->len), 0);
		memcpy(f, k->bytes, k->len);
		f[k->len - 2] += 1;  /* a payload byte */
		CHECK_EQ(t, nc_csum_verify_frame(f, k->len), 0);
		memcpy(f, k->bytes, k->len);
		f[k->ip_off + 12] ^= 0x40;  /* the source address */
		CHECK_EQ(t, nc_csum_verify_frame(f, k->len), 0);
	}
}

/* ------------------------------------------------------- malformed */

static void test_truncated_frames_rejected(struct tap *t)
{
	unsigned char f[FRAME_MAX];
	size_t i, cut;
	int bad = 0;

	for (i = 0; i < N_KNOWN; i++) {
		const struct known_frame *k = &known_frames[i];

		for (cut = 0; cut < k->len; cut++) {
			memcpy(f, k->bytes, k->len);
			put_be16(f + k->l4_csum_off, 0x1111);
			if (nc_csum_verify_frame(f, cut) != -1)
				bad++;
			if (nc_csum_complete_frame(f, cut) != -1)
				bad++;
			if (get_be16(f + k->l4_csum_off) != 0x1111)
				bad++;
		}
	}
	CHECK_EQ(t, bad, 0);
}

/* Apply a change to a copy of a known frame and expect -1 from both
 * calls, with nothing changed by complete. */
static void check_rejected(struct tap *t, const struct known_frame *k,
			   size_t at, unsigned char value)
{
	unsigned char f[FRAME_MAX], copy[FRAME_MAX];

	memcpy(f, k->bytes, k->len);
	f[at] = value;
	memcpy(copy, f, k->len);
	CHECK_EQ(t, nc_csum_verify_frame(f, k->len), -1);
	CHECK_EQ(t, nc_csum_complete_frame(f, k->len), -1);
	CHECK(t, memcmp(copy, f, k->len) == 0);
}

static void test_ipv4_ihl_below_5_rejected(struct tap *t)
{
	unsigned char v;

	for (v = 0x40; v < 0x45; v++)
		check_rejected(t, &known_frames[0], 14, v);
	/* IHL 15 (60 bytes) is more than the total length of 57. */
	check_rejected(t, &known_frames[0], 14, 0x4f);
}

/* Nothing after the IPv4 header may mask a short IHL: an unknown
 * protocol, and a header checksum that is right over 4 * IHL bytes. */
static void test_ipv4_short_ihl_rejected_on_its_own(struct tap *t)
{
	unsigned char copy[FRAME_MAX];
	struct frame f;
	size_t ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		build_simple(&f, 0, 17, 40, 40 + ihl);
		f.b[f.ip_off] = (unsigned char)(0x40 | ihl);
		f.b[f.ip_off + 9] = 47;  /* GRE */
		f.ip_hlen = ihl * 4 > 12 ? ihl * 4 : 12;
		ref_fill_ipv4(&f);
		memcpy(copy, f.b, f.len);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), -1);
		CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
		CHECK(t, memcmp(copy, f.b, f.len) == 0);
	}
}

static void test_ipv4_total_length_checked(struct tap *t)
{
	const struct known_frame *k = &known_frames[0];

	check_rejected(t, k, 17, 0x3a);  /* 58 > the 57 there are */
	check_rejected(t, k, 16, 0x01);  /* 0x139 */
	check_rejected(t, k, 17, 0x13);  /* 19 < IHL's 20 */
	check_rejected(t, k, 17, 0x1b);  /* 27: a 7-byte UDP header */
}

static void test_ip_version_mismatch_rejected(struct tap *t)
{
	check_rejected(t, &known_frames[0], 14, 0x65);
	check_rejected(t, &known_frames[1], 14, 0x45);
	check_rejected(t, &known_frames[3], 14, 0x00);
}

static void test_ipv6_payload_length_checked(struct tap *t)
{
	check_rejected(t, &known_frames[1], 19, 0x29);  /* 41 > 40 */
	check_rejected(t, &known_frames[1], 19, 0x13);  /* 19 < TCP's 20 */
	check_rejected(t, &known_frames[3], 19, 0x03);  /* ICMPv6 of 3 */
}

static void test_udp_length_out_of_range_rejected(struct tap *t)
{
	const struct known_frame *k = &known_frames[0];

	check_rejected(t, k, 39, 0x26);  /* 38 > the IP payload's 37 */
	check_rejected(t, k, 39, 0x07);  /* below the header */
	check_rejected(t, k, 38, 0x80);
}

static void test_tcp_data_offset_rejected(struct tap *t)
{
	const struct known_frame *k = &known_frames[1];

	check_rejected(t, k, 66, 0x40);  /* 16 bytes < 20 */
	check_rejected(t, k, 66, 0xb0);  /* 44 bytes > 40 */
	check_rejected(t, k, 66, 0x00);
}

static void test_short_icmp_rejected(struct tap *t)
{
	struct frame f;
	unsigned char copy[FRAME_MAX];

	build_simple(&f, 0, 1, 0, 24);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	put_be16(f.b + f.ip_off + 2, 20 + 7);
	ref_fill_ipv4(&f);
	memcpy(copy, f.b, f.len);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), -1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
	CHECK(t, memcmp(copy, f.b, f.len) == 0);
}

static void test_short_frames_rejected(struct tap *t)
{
	unsigned char f[14] = { 0 };
	size_t len;

	for (len = 0; len < 14; len++) {
		CHECK_EQ(t, nc_csum_verify_frame(f, len), -1);
		CHECK_EQ(t, nc_csum_complete_frame(f, len), -1);
	}
	CHECK_EQ(t, nc_csum_verify_frame(NULL, 0), -1);
}

/* ------------------------------------------------- UDP zero rules */

static void test_udp4_zero_checksum_means_none(struct tap *t)
{
	unsigned char f[sizeof(udp4_frame)];

	memcpy(f, udp4_frame, sizeof(f));
	put_be16(f + 40, 0);
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 1);
	f[sizeof(f) - 1] ^= 0x21;  /* nothing to catch it */
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 1);
	f[24] ^= 1;                /* the IP header still is checked */
	CHECK_EQ(t, nc_csum_verify_frame(f, sizeof(f)), 0);
}

static void test_udp6_zero_checksum_is_invalid(struct tap *t)
{
	struct frame f;

	build_simple(&f, 1, 17, 60, 25);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	put_be16(f.b + f.l4_off + 6, 0);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), 0);
	CHECK(t, get_be16(f.b + f.l4_off + 6) != 0);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
}

/* Set the first payload word so the UDP checksum computes to 0. */
static void make_udp_sum_to_zero(struct frame *f)
{
	unsigned char *word = f->b + f->l4_off + 8;
	uint16_t c;

	put_be16(word, 0);
	ref_fill_l4(f, NULL);
	c = get_be16(f->b + f->l4_off + 6);
	/* c = ~S; adding X = ~c = S... we need S + X == 0xffff: X = c. */
	put_be16(word, c == 0xffff ? 0 : c);
	ref_fill_l4(f, NULL);
}

static void test_udp_zero_is_stored_as_ffff(struct tap *t)
{
	struct frame f;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		build_simple(&f, v6, 17, 50, 26u + (unsigned)v6);
		make_udp_sum_to_zero(&f);
		CHECK_EQ(t, get_be16(f.b + f.l4_off + 6), 0xffff);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		put_be16(f.b + f.l4_off + 6, 0x1234);
		CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), 0);
		CHECK_EQ(t, get_be16(f.b + f.l4_off + 6), 0xffff);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	}
}

static void test_tcp_zero_checksum_is_stored_as_zero(struct tap *t)
{
	struct frame f;
	unsigned char *word;
	uint16_t c;

	build_simple(&f, 0, 6, 50, 27);
	word = f.b + f.l4_off + 20;
	put_be16(word, 0);
	ref_fill_l4(&f, NULL);
	c = get_be16(f.b + f.l4_off + 16);
	put_be16(word, c == 0xffff ? 0 : c);
	put_be16(f.b + f.l4_off + 16, 0x5555);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), 0);
	CHECK_EQ(t, get_be16(f.b + f.l4_off + 16), 0);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
}

/* ---------------------------------------------- other protocols */

static void test_non_ip_frame_carries_no_checksum(struct tap *t)
{
	unsigned char arp[42], copy[42];
	size_t n = put_ethernet(arp, 0, 0x0806);

	memset(arp + n, 0x77, sizeof(arp) - n);
	memcpy(copy, arp, sizeof(arp));
	CHECK_EQ(t, nc_csum_verify_frame(arp, sizeof(arp)), 1);
	CHECK_EQ(t, nc_csum_verify_frame(arp, 14), 1);
	CHECK_EQ(t, nc_csum_complete_frame(arp, sizeof(arp)), -1);
	CHECK(t, memcmp(copy, arp, sizeof(arp)) == 0);
}

static void test_unknown_ip_protocol(struct tap *t)
{
	unsigned char copy[FRAME_MAX];
	struct frame f;
	int v6;

	for (v6 = 0; v6 <= 1; v6++) {
		build_simple(&f, v6, 17, 40, 28u + (unsigned)v6);
		f.b[f.ip_off + (v6 ? 6 : 9)] = 47;  /* GRE */
		if (!v6)
			ref_fill_ipv4(&f);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		memcpy(copy, f.b, f.len);
		CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
		CHECK(t, memcmp(copy, f.b, f.len) == 0);
		f.b[f.ip_off + (v6 ? 6 : 9)] = 59;  /* no next header */
		if (!v6)
			ref_fill_ipv4(&f);
		CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
		if (!v6) {
			f.b[f.ip_off + 15] ^= 1;
			CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 0);
		}
	}
}

static void test_icmp_in_the_wrong_ip_version_is_not_checked(struct tap *t)
{
	struct frame f;

	build_simple(&f, 0, 1, 20, 30);
	f.b[f.ip_off + 9] = 58;     /* ICMPv6 over IPv4 */
	ref_fill_ipv4(&f);
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
	build_simple(&f, 1, 58, 20, 31);
	f.b[f.ip_off + 6] = 1;      /* ICMPv4 over IPv6 */
	CHECK_EQ(t, nc_csum_verify_frame(f.b, f.len), 1);
	CHECK_EQ(t, nc_csum_complete_frame(f.b, f.len), -1);
}

/* ------------------------------------------------------ randomised */

static void random_spec(struct rng *r, struct frame_spec *s)
{
	static const uint8_t protos[] = { 6, 17, 1, 58 };

	memset(s, 0, sizeof(*s));
	s->v6 = (int)rng_below(r, 2);
	s->proto = protos[rng_below(r, 4)];
	if (s->proto == 1 && s->v6)
		s->proto = 58;
	if (s->proto == 58 && !s->v6)
		s->proto = 1;
	s->vlan_tags = (int)rng_below(r, 3);
	s->payload_len = rng_below(r, 1501);
	s->ipv4_opt_words = s->v6 ? 0 : rng_below(r, 11);
	s->v6_dstopts = s->v6 ? rng_below(r, 3) : 0;
	s->pad = rng_below(r, 3) == 0 ? rng_below(r, 20) : 0;
}

static void test_random_frames_complete_like_reference(struct tap *t)
{
	struct rng r = { 32 };
	struct frame f;
	struct frame_spec s;
	unsigned char buf[FRAME_MAX + 8];
	int i, bad = 0;

	for (i = 0; i < 3000; i++) {
		size_t off = rng_below(&r, 8);
		unsigned char *g = buf + off;

		random_spec(&r, &s);
		build_frame(&f, &s, &r);
		memcpy(g, f.b, f.len);
		if (nc_csum_verify_frame(g, f.len) != 1)
			bad++;
		put_be16(g + f.l4_off + f.l4_csum_off,
			 (uint16_t)rng_next(&r));
		if (!s.v6)
			put_be16(g + f.ip_off + 10, (uint16_t)rng_next(&r));
		if (nc_csum_complete_frame(g, f.len) != 0)
			bad++;
		if (memcmp(g, f.b, f.len) != 0)
			bad++;
	}
	CHECK_EQ(t, bad, 0);
}

/* Mutated frames: never a crash; a successful completion always
 * verifies; a failed one changes nothing. */
static void test_mutated_frames_are_handled(struct tap *t)
{
	struct rng r = { 33 };
	struct frame f;
	struct frame_spec s;
	unsigned char copy[FRAME_MAX];
	int i, bad = 0, verdicts[3] = { 0, 0, 0 };

	for (i = 0; i < 5000; i++) {
		size_t n = 1 + rng_below(&r, 3), j, len;
		int v;

		random_spec(&r, &s);
		s.payload_len = rng_below(&r, 120);
		build_frame(&f, &s, &r);
		for (j = 0; j < n; j++)
			f.b[rng_below(&r, f.len)] = (unsigned char)rng_next(&r);
		len = rng_below(&r, 4) == 0 ? rng_below(&r, f.len + 1) : f.len;
		v = nc_csum_verify_frame(f.b, len);
		if (v < -1 || v > 1)
			bad++;
		else
			verdicts[v + 1]++;
		memcpy(copy, f.b, len);
		if (nc_csum_complete_frame(f.b, len) == 0) {
			if (nc_csum_verify_frame(f.b, len) != 1)
				bad++;
		} else if (memcmp(copy, f.b, len) != 0) {
			bad++;
		}
	}
	CHECK_EQ(t, bad, 0);
	tap_diag("verdicts: %d malformed, %d wrong, %d ok", verdicts[0],
		 verdicts[1], verdicts[2]);
	CHECK(t, verdicts[0] > 0 && verdicts[1] > 0 && verdicts[2] > 0);
}

static void test_random_garbage_never_crashes(struct tap *t)
{
	static const uint16_t types[] = { 0x0800, 0x86dd, 0x8100, 0x88a8 };
	static const uint8_t nhs[] = { 0, 43, 44, 60, 6, 17, 58, 1 };
	struct rng r = { 34 };
	unsigned char f[256];
	int i, bad = 0;

	for (i = 0; i < 20000; i++) {
		size_t len = rng_below(&r, sizeof(f) + 1);

		rng_fill(&r, f, sizeof(f));
		put_be16(f + 12, types[rng_below(&r, 4)]);
		if (rng_below(&r, 2))
			put_be16(f + 16, types[rng_below(&r, 2)]);
		f[14] = (unsigned char)((f[14] & 0x0f) |
					(rng_below(&r, 2) ? 0x40 : 0x60));
		if (rng_below(&r, 2))
			f[14] = (unsigned char)(0x40 | (5 + rng_below(&r, 3)));
		if (rng_below(&r, 2) && len > 14)
			put_be16(f + 16, (uint16_t)rng_below(&r, len - 13));
		if (rng_below(&r, 2) && len > 14)
			put_be16(f + 18, (uint16_t)rng_below(&r, len - 13));
		f[20] = nhs[rng_below(&r, 8)];
		f[23] = nhs[rng_below(&r, 8)];
		f[54] = nhs[rng_below(&r, 8)];
		if (nc_csum_verify_frame(f, len) > 1)
			bad++;
		if (nc_csum_complete_frame(f, len) == 0 &&
		    nc_csum_verify_frame(f, len) != 1)
			bad++;
	}
	CHECK_EQ(t, bad, 0);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "RFC 1071 example: partial 0xddf2, checksum 0x220d",
		test_rfc1071_example);
	tap_run(&t, "RFC 1071 example with its checksum sums to zero",
		test_rfc1071_example_with_checksum_verifies);
	tap_run(&t, "empty buffer", test_empty_buffer);
	tap_run(&t, "a single byte is padded with zero",
		test_single_byte_padded_with_zero);
	tap_run(&t, "odd lengths match the reference",
		test_odd_lengths_match_reference);
	tap_run(&t, "every length 0..300 matches the reference",
		test_every_length_to_300_matches_reference);
	tap_run(&t, "alignments 0..7 agree", test_all_alignments_agree);
	tap_run(&t, "4000 random buffers of 0..9000 bytes match the reference",
		test_random_buffers_match_reference);
	tap_run(&t, "carries: all-ones and all-zero buffers",
		test_carry_stress);
	tap_run(&t, "chained partial sums equal the one-shot sum",
		test_chained_partials_equal_one_shot);
	tap_run(&t, "the initial sum is added", test_initial_sum_is_added);
	tap_run(&t, "fold values", test_fold_values);
	tap_run(&t, "a stored checksum verifies to zero",
		test_stored_checksum_verifies_to_zero);
	tap_run(&t, "update16 equals recomputation",
		test_update16_matches_recomputation);
	tap_run(&t, "update32 equals recomputation",
		test_update32_matches_recomputation);
	tap_run(&t, "RFC 1624 -0/+0 case", test_rfc1624_negative_zero_case);
	tap_run(&t, "an update that changes nothing keeps the checksum",
		test_update_noop_keeps_checksum);
	tap_run(&t, "update16: TTL decrement",
		test_update16_ttl_decrement);
	tap_run(&t, "update32: NAT rewrite keeps the frame valid",
		test_update32_nat_rewrite_keeps_frame_valid);
	tap_run(&t, "IPv4 pseudo-header", test_pseudo_v4_matches_explicit_header);
	tap_run(&t, "IPv6 pseudo-header", test_pseudo_v6_matches_explicit_header);
	tap_run(&t, "pseudo-header addresses may be unaligned",
		test_pseudo_addresses_may_be_unaligned);
	tap_run(&t, "classic IPv4 header 0xb861", test_classic_ipv4_header);
	tap_run(&t, "classic IPv4 header in a frame",
		test_classic_ipv4_in_a_frame);
	tap_run(&t, "known UDP/IPv4 frame", test_known_udp4_frame);
	tap_run(&t, "known TCP/IPv6 frame", test_known_tcp6_frame);
	tap_run(&t, "known ICMPv4 echo", test_known_icmp4_echo);
	tap_run(&t, "known ICMPv6 echo", test_known_icmp6_echo);
	tap_run(&t, "known frames at every alignment",
		test_known_frames_at_every_alignment);
	tap_run(&t, "802.1Q and QinQ tagged frames", test_vlan_tagged_frames);
	tap_run(&t, "truncated VLAN tags", test_vlan_tag_truncated);
	tap_run(&t, "IPv4 options honoured via IHL",
		test_ipv4_options_honoured);
	tap_run(&t, "IPv4 option overrunning the header rejected",
		test_ipv4_option_overrun_rejected);
	tap_run(&t, "IPv4 source route: final destination in pseudo-header",
		test_ipv4_source_route_final_destination);
	tap_run(&t, "IPv6 Hop-by-Hop and Destination options skipped",
		test_ipv6_extension_headers_skipped);
	tap_run(&t, "IPv6 extension header overrun rejected",
		test_ipv6_extension_overrun_rejected);
	tap_run(&t, "IPv6 routing header: final destination in pseudo-header",
		test_ipv6_routing_header_final_destination);
	tap_run(&t, "IPv6 unknown routing type with segments left rejected",
		test_ipv6_unknown_routing_type_rejected);
	tap_run(&t, "IPv6 fragments", test_ipv6_fragments);
	tap_run(&t, "IPv4 fragments have no L4 checksum to check",
		test_ipv4_fragments_have_no_l4_check);
	tap_run(&t, "Ethernet padding ignored", test_ethernet_padding_ignored);
	tap_run(&t, "UDP length below the IP payload",
		test_udp_length_below_ip_payload);
	tap_run(&t, "every single-bit error detected",
		test_single_bit_errors_detected);
	tap_run(&t, "corrupted frames verify to 0",
		test_corrupted_frames_return_zero);
	tap_run(&t, "every truncation returns -1 and changes nothing",
		test_truncated_frames_rejected);
	tap_run(&t, "IPv4 IHL < 5 (or beyond the packet) rejected",
		test_ipv4_ihl_below_5_rejected);
	tap_run(&t, "IPv4 IHL < 5 rejected with nothing else wrong",
		test_ipv4_short_ihl_rejected_on_its_own);
	tap_run(&t, "IPv4 total length checked",
		test_ipv4_total_length_checked);
	tap_run(&t, "IP version mismatch rejected",
		test_ip_version_mismatch_rejected);
	tap_run(&t, "IPv6 payload length checked",
		test_ipv6_payload_length_checked);
	tap_run(&t, "UDP length out of range rejected",
		test_udp_length_out_of_range_rejected);
	tap_run(&t, "TCP data offset out of range rejected",
		test_tcp_data_offset_rejected);
	tap_run(&t, "ICMP shorter than 8 bytes rejected",
		test_short_icmp_rejected);
	tap_run(&t, "frames shorter than Ethernet rejected",
		test_short_frames_rejected);
	tap_run(&t, "UDP/IPv4 checksum 0 means none",
		test_udp4_zero_checksum_means_none);
	tap_run(&t, "UDP/IPv6 checksum 0 is invalid",
		test_udp6_zero_checksum_is_invalid);
	tap_run(&t, "a UDP checksum of 0 is stored as 0xffff",
		test_udp_zero_is_stored_as_ffff);
	tap_run(&t, "a TCP checksum of 0 is stored as 0",
		test_tcp_zero_checksum_is_stored_as_zero);
	tap_run(&t, "non-IP frames carry no checksum",
		test_non_ip_frame_carries_no_checksum);
	tap_run(&t, "unknown IP protocols: only the IPv4 header is checked",
		test_unknown_ip_protocol);
	tap_run(&t, "ICMP in the wrong IP version is not checked",
		test_icmp_in_the_wrong_ip_version_is_not_checked);
	tap_run(&t, "3000 random frames complete like the reference",
		test_random_frames_complete_like_reference);
	tap_run(&t, "5000 mutated frames handled consistently",
		test_mutated_frames_are_handled);
	tap_run(&t, "20000 garbage frames never crash",
		test_random_garbage_never_crashes);
	return tap_done(&t);
}

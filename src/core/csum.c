/*
 * csum.c - the Internet checksum (RFC 1071), its incremental update
 * (RFC 1624), pseudo-headers, and completing or verifying the checksums of
 * an Ethernet frame.
 *
 * Part of the freestanding protocol core: no libc beyond mem*, no
 * allocation, no mutable global state.
 *
 * Byte order: the one's-complement sum is byte-order independent (RFC 1071
 * section 2(B)), so every sum here adds 16-bit words loaded in host order
 * straight from memory, and the folded result, stored back to memory in
 * host order, is the checksum in network order.  Values that do not come
 * from memory (the pseudo-header's protocol and length) are first written
 * to a byte buffer in network order and summed like any other data.
 * Every load goes through memcpy, so any alignment is fine.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netchannel/csum.h"

/* ------------------------------------------------------------ the sum */

static uint64_t load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* One's-complement addition of 64-bit words: the carry wraps around.
 * When the addition overflows, acc < w and acc <= 2^64 - 2, so adding the
 * carry back cannot overflow again. */
static uint64_t add_with_carry(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

/* Fold a 64-bit one's-complement sum to 32 bits (2^32 == 1 mod 0xffff). */
static uint32_t fold64_to_32(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	return (uint32_t)sum;
}

/* Fold a 32-bit sum to 16 bits without complementing it. */
static uint16_t fold32_to_16(uint32_t sum)
{
	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum n_blocks blocks of 32 bytes into acc, on four independent lanes so
 * that the carries of one lane do not stall the others. */
static uint64_t sum_blocks_of_32(const unsigned char *p, size_t n_blocks,
				 uint64_t acc)
{
	uint64_t a = acc, b = 0, c = 0, d = 0;

	for (; n_blocks > 0; n_blocks--, p += 32) {
		a = add_with_carry(a, load64(p));
		b = add_with_carry(b, load64(p + 8));
		c = add_with_carry(c, load64(p + 16));
		d = add_with_carry(d, load64(p + 24));
	}
	return add_with_carry(add_with_carry(a, b), add_with_carry(c, d));
}

/* Sum fewer than 32 bytes: whole 8-byte words, then the rest padded with
 * zeros, which also pads an odd last byte as RFC 1071 asks. */
static uint64_t sum_tail(const unsigned char *p, size_t len, uint64_t acc)
{
	unsigned char last[8];

	for (; len >= 8; len -= 8, p += 8)
		acc = add_with_carry(acc, load64(p));
	if (len > 0) {
		memset(last, 0, sizeof(last));
		memcpy(last, p, len);
		acc = add_with_carry(acc, load64(last));
	}
	return acc;
}

uint32_t nc_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const unsigned char *p = data;
	uint64_t acc = sum;
	size_t n_blocks = len / 32;

	if (len == 0)
		return sum;  /* data may be NULL: no pointer arithmetic */
	acc = sum_blocks_of_32(p, n_blocks, acc);
	acc = sum_tail(p + n_blocks * 32, len % 32, acc);
	return fold64_to_32(acc);
}

uint16_t nc_csum_fold(uint32_t sum)
{
	return (uint16_t)~fold32_to_16(sum);
}

uint16_t nc_csum(const void *data, size_t len)
{
	return nc_csum_fold(nc_csum_partial(data, len, 0));
}

/* ------------------------------------------------ incremental update */

static uint32_t complement16(uint16_t v)
{
	return (uint16_t)~v;
}

uint16_t nc_csum_update16(uint16_t csum, uint16_t old_field,
			  uint16_t new_field)
{
	/* HC' = ~(~HC + ~m + m') */
	uint32_t sum = complement16(csum) + complement16(old_field) +
		       new_field;

	return nc_csum_fold(sum);
}

/* The two 16-bit halves of a 32-bit value are, in host order, the two
 * 16-bit words it occupies in memory, whatever the byte order: adding
 * both halves is adding both words. */
static uint16_t high_half(uint32_t v)
{
	return (uint16_t)(v >> 16);
}

static uint16_t low_half(uint32_t v)
{
	return (uint16_t)v;
}

uint16_t nc_csum_update32(uint16_t csum, uint32_t old_field,
			  uint32_t new_field)
{
	uint32_t sum = complement16(csum);

	sum += complement16(high_half(old_field));
	sum += complement16(low_half(old_field));
	sum += high_half(new_field);
	sum += low_half(new_field);
	return nc_csum_fold(sum);
}

/* ------------------------------------------------------ pseudo-headers */

/* The protocol and length words of a pseudo-header, in network order, as
 * IPv6 lays them out (RFC 8200 8.1): a 32-bit length, three zero bytes and
 * the protocol.  IPv4's zero byte, protocol and 16-bit length have the
 * same one's-complement sum whenever the length fits in 16 bits. */
static uint32_t sum_proto_and_length(uint8_t proto, uint32_t len,
				     uint32_t sum)
{
	unsigned char words[8] = {
		(unsigned char)(len >> 24), (unsigned char)(len >> 16),
		(unsigned char)(len >> 8), (unsigned char)len,
		0, 0, 0, proto,
	};

	return nc_csum_partial(words, sizeof(words), sum);
}

uint32_t nc_csum_pseudo_v4(const void *saddr, const void *daddr,
			   uint8_t proto, uint32_t len)
{
	uint32_t sum = nc_csum_partial(saddr, 4, 0);

	sum = nc_csum_partial(daddr, 4, sum);
	return sum_proto_and_length(proto, len, sum);
}

uint32_t nc_csum_pseudo_v6(const void *saddr, const void *daddr,
			   uint8_t proto, uint32_t len)
{
	uint32_t sum = nc_csum_partial(saddr, 16, 0);

	sum = nc_csum_partial(daddr, 16, sum);
	return sum_proto_and_length(proto, len, sum);
}

/* ------------------------------------------------------ frame parsing */

#define ETH_HLEN 14
#define VLAN_TAG_LEN 4
#define MAX_VLAN_TAGS 2
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100  /* 802.1Q */
#define ETHERTYPE_QINQ 0x88a8  /* 802.1ad service tag */

#define IPV4_MIN_HLEN 20
#define IPV4_CSUM_OFF 10
#define IPV4_SADDR_OFF 12
#define IPV4_DADDR_OFF 16
#define IPV4_MF 0x2000
#define IPV4_OFFSET_MASK 0x1fff
#define IPV4_OPT_EOL 0
#define IPV4_OPT_NOP 1
#define IPV4_OPT_LSRR 131
#define IPV4_OPT_SSRR 137

#define IPV6_HLEN 40
#define IPV6_SADDR_OFF 8
#define IPV6_DADDR_OFF 24
#define IPV6_FRAG_HLEN 8

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60

#define TCP_MIN_HLEN 20
#define TCP_CSUM_OFF 16
#define UDP_HLEN 8
#define UDP_CSUM_OFF 6
#define ICMP_MIN_LEN 8
#define ICMP_CSUM_OFF 2

enum l4_kind {
	L4_NONE,   /* a fragment, no next header, or a protocol without a
		    * checksum we know */
	L4_TCP,
	L4_UDP,
	L4_ICMPV4,
	L4_ICMPV6,
};

/* Where the checksummed parts of a frame are, as offsets into it. */
struct frame_layout {
	int ip_version;      /* 4, 6, or 0 when the frame is not IP */
	size_t ip_off;       /* the IP header */
	size_t ip_hlen;      /* IPv4 header length; 0 for IPv6 */
	size_t saddr_off;    /* the pseudo-header's source address */
	size_t daddr_off;    /* ... and final destination */
	enum l4_kind l4;
	size_t l4_off;
	size_t l4_len;       /* bytes the L4 checksum covers */
};

static uint16_t load_be16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static int is_vlan_ethertype(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

/* Skip the Ethernet header and up to two VLAN tags: the offset of the
 * payload and its ethertype, or -1 when truncated. */
static int parse_ethernet(const unsigned char *f, size_t len,
			  size_t *payload_off, uint16_t *ethertype)
{
	size_t type_off = ETH_HLEN - 2;
	int tags;

	if (len < ETH_HLEN)
		return -1;
	for (tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
		*ethertype = load_be16(f + type_off);
		if (!is_vlan_ethertype(*ethertype) || tags == MAX_VLAN_TAGS)
			break;
		type_off += VLAN_TAG_LEN;
		if (len < type_off + 2)
			return -1;
	}
	*payload_off = type_off + 2;
	return 0;
}

static size_t tcp_header_len(const unsigned char *tcp)
{
	return (size_t)(tcp[12] >> 4) * 4;
}

/* The L4 part of the layout, checking the minimum lengths its checksum
 * needs.  UDP covers its own length field's worth of bytes, which must
 * fit in the IP payload. */
static int parse_l4(const unsigned char *f, uint8_t proto, int ip_version,
		    struct frame_layout *lo)
{
	const unsigned char *l4 = f + lo->l4_off;
	size_t udp_len;

	switch (proto) {
	case PROTO_TCP:
		if (lo->l4_len < TCP_MIN_HLEN ||
		    tcp_header_len(l4) < TCP_MIN_HLEN ||
		    tcp_header_len(l4) > lo->l4_len)
			return -1;
		lo->l4 = L4_TCP;
		return 0;
	case PROTO_UDP:
		if (lo->l4_len < UDP_HLEN)
			return -1;
		udp_len = load_be16(l4 + 4);
		if (udp_len < UDP_HLEN || udp_len > lo->l4_len)
			return -1;
		lo->l4_len = udp_len;
		lo->l4 = L4_UDP;
		return 0;
	case PROTO_ICMP:
	case PROTO_ICMPV6:
		if ((proto == PROTO_ICMP) != (ip_version == 4))
			break;
		if (lo->l4_len < ICMP_MIN_LEN)
			return -1;
		lo->l4 = ip_version == 4 ? L4_ICMPV4 : L4_ICMPV6;
		return 0;
	default:
		break;
	}
	lo->l4 = L4_NONE;
	return 0;
}

static int is_ipv4_source_route(uint8_t type)
{
	return type == IPV4_OPT_LSRR || type == IPV4_OPT_SSRR;
}

/* A source route not yet exhausted (pointer <= length, RFC 791) ends with
 * the final destination, which the pseudo-header uses instead of the
 * next hop in the destination field. */
static void use_source_route_destination(const unsigned char *opt,
					 size_t opt_off,
					 struct frame_layout *lo)
{
	uint8_t opt_len = opt[1];

	if (opt_len >= 3 + 4 && opt[2] <= opt_len)
		lo->daddr_off = opt_off + opt_len - 4;
}

/* Walk the IPv4 options: -1 when one overruns the header. */
static int parse_ipv4_options(const unsigned char *f, struct frame_layout *lo)
{
	size_t off = lo->ip_off + IPV4_MIN_HLEN;
	size_t end = lo->ip_off + lo->ip_hlen;

	while (off < end) {
		const unsigned char *opt = f + off;

		if (opt[0] == IPV4_OPT_EOL)
			break;
		if (opt[0] == IPV4_OPT_NOP) {
			off++;
			continue;
		}
		if (end - off < 2 || opt[1] < 2 || opt[1] > end - off)
			return -1;
		if (is_ipv4_source_route(opt[0]))
			use_source_route_destination(opt, off, lo);
		off += opt[1];
	}
	return 0;
}

static int is_ipv4_fragment(const unsigned char *ip)
{
	uint16_t frag = load_be16(ip + 6);

	return (frag & IPV4_MF) || (frag & IPV4_OFFSET_MASK);
}

static int parse_ipv4(const unsigned char *f, size_t len,
		      struct frame_layout *lo)
{
	const unsigned char *ip = f + lo->ip_off;
	size_t avail = len - lo->ip_off, total_len;

	if (avail < IPV4_MIN_HLEN || ip[0] >> 4 != 4)
		return -1;
	lo->ip_hlen = (size_t)(ip[0] & 0x0f) * 4;
	total_len = load_be16(ip + 2);
	if (lo->ip_hlen < IPV4_MIN_HLEN || total_len < lo->ip_hlen ||
	    total_len > avail)
		return -1;
	lo->ip_version = 4;
	lo->saddr_off = lo->ip_off + IPV4_SADDR_OFF;
	lo->daddr_off = lo->ip_off + IPV4_DADDR_OFF;
	if (parse_ipv4_options(f, lo) < 0)
		return -1;
	lo->l4_off = lo->ip_off + lo->ip_hlen;
	lo->l4_len = total_len - lo->ip_hlen;
	if (is_ipv4_fragment(ip)) {
		lo->l4 = L4_NONE;
		return 0;
	}
	return parse_l4(f, ip[9], 4, lo);
}

/* The final destination named by a routing header with segments left
 * (RFC 8200 8.1): the last address of type 0 and 2 headers, segment 0 of
 * a segment routing header (RFC 8754).  -1 for other types: the
 * pseudo-header cannot be known. */
static int use_routing_destination(const unsigned char *rh, size_t rh_off,
				   struct frame_layout *lo)
{
	size_t n_addrs = rh[1] / 2;

	if (rh[3] == 0)
		return 0;
	if (n_addrs == 0)
		return -1;
	switch (rh[2]) {
	case 0:
	case 2:
		lo->daddr_off = rh_off + 8 + (n_addrs - 1) * 16;
		return 0;
	case 4:
		lo->daddr_off = rh_off + 8;
		return 0;
	default:
		return -1;
	}
}

static int is_ipv6_options_header(uint8_t nh)
{
	return nh == PROTO_HOPOPTS || nh == PROTO_DSTOPTS ||
	       nh == PROTO_ROUTING;
}

static int is_ipv6_real_fragment(const unsigned char *fh)
{
	return (load_be16(fh + 2) & 0xfff9) != 0;  /* offset or M flag */
}

/* Skip the extension headers from *off to end, leaving *nh the upper
 * protocol (PROTO_NONE for a fragment).  -1 when one overruns. */
static int skip_ipv6_extensions(const unsigned char *f, size_t end,
				size_t *off, uint8_t *nh,
				struct frame_layout *lo)
{
	for (;;) {
		const unsigned char *h = f + *off;
		size_t hlen;

		if (*nh == PROTO_FRAGMENT) {
			if (end - *off < IPV6_FRAG_HLEN)
				return -1;
			if (is_ipv6_real_fragment(h))
				*nh = PROTO_NONE;
			else
				*nh = h[0];
			*off += IPV6_FRAG_HLEN;
			continue;
		}
		if (!is_ipv6_options_header(*nh))
			return 0;
		if (end - *off < 2)
			return -1;
		hlen = ((size_t)h[1] + 1) * 8;
		if (end - *off < hlen)
			return -1;
		if (*nh == PROTO_ROUTING &&
		    use_routing_destination(h, *off, lo) < 0)
			return -1;
		*nh = h[0];
		*off += hlen;
	}
}

static int parse_ipv6(const unsigned char *f, size_t len,
		      struct frame_layout *lo)
{
	const unsigned char *ip = f + lo->ip_off;
	size_t avail = len - lo->ip_off, end, off;
	uint8_t nh;

	if (avail < IPV6_HLEN || ip[0] >> 4 != 6)
		return -1;
	end = lo->ip_off + IPV6_HLEN + load_be16(ip + 4);
	if (end - lo->ip_off > avail)
		return -1;
	lo->ip_version = 6;
	lo->saddr_off = lo->ip_off + IPV6_SADDR_OFF;
	lo->daddr_off = lo->ip_off + IPV6_DADDR_OFF;
	off = lo->ip_off + IPV6_HLEN;
	nh = ip[6];
	if (skip_ipv6_extensions(f, end, &off, &nh, lo) < 0)
		return -1;
	lo->l4_off = off;
	lo->l4_len = end - off;
	return parse_l4(f, nh, 6, lo);
}

/* Locate the checksummed parts of a frame: 0, or -1 when malformed. */
static int parse_frame(const unsigned char *f, size_t len,
		       struct frame_layout *lo)
{
	uint16_t ethertype;

	memset(lo, 0, sizeof(*lo));
	if (parse_ethernet(f, len, &lo->ip_off, &ethertype) < 0)
		return -1;
	if (ethertype == ETHERTYPE_IPV4)
		return parse_ipv4(f, len, lo);
	if (ethertype == ETHERTYPE_IPV6)
		return parse_ipv6(f, len, lo);
	return 0;
}

/* ----------------------------------------------------- L4 checksums */

static size_t l4_csum_offset(enum l4_kind l4)
{
	switch (l4) {
	case L4_TCP:
		return TCP_CSUM_OFF;
	case L4_UDP:
		return UDP_CSUM_OFF;
	default:
		return ICMP_CSUM_OFF;
	}
}

static uint8_t l4_proto(enum l4_kind l4)
{
	switch (l4) {
	case L4_TCP:
		return PROTO_TCP;
	case L4_UDP:
		return PROTO_UDP;
	case L4_ICMPV4:
		return PROTO_ICMP;
	default:
		return PROTO_ICMPV6;
	}
}

/* The pseudo-header's partial sum; ICMPv4 has none. */
static uint32_t pseudo_header_sum(const unsigned char *f,
				  const struct frame_layout *lo)
{
	uint8_t proto = l4_proto(lo->l4);
	uint32_t len = (uint32_t)lo->l4_len;

	if (lo->l4 == L4_ICMPV4)
		return 0;
	if (lo->ip_version == 4)
		return nc_csum_pseudo_v4(f + lo->saddr_off, f + lo->daddr_off,
					 proto, len);
	return nc_csum_pseudo_v6(f + lo->saddr_off, f + lo->daddr_off, proto,
				 len);
}

/* The folded, complemented sum of the pseudo-header and the L4 bytes as
 * they are (checksum field included). */
static uint16_t l4_checksum(const unsigned char *f,
			    const struct frame_layout *lo)
{
	uint32_t sum = pseudo_header_sum(f, lo);

	return nc_csum_fold(nc_csum_partial(f + lo->l4_off, lo->l4_len, sum));
}

static uint16_t load16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void store16(unsigned char *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* 1 when the L4 checksum verifies or is absent, else 0. */
static int l4_checksum_ok(const unsigned char *f,
			  const struct frame_layout *lo)
{
	const unsigned char *field;

	if (lo->l4 == L4_NONE)
		return 1;
	field = f + lo->l4_off + l4_csum_offset(lo->l4);
	if (lo->l4 == L4_UDP && load16(field) == 0)
		return lo->ip_version == 4;  /* "no checksum", IPv4 only */
	return l4_checksum(f, lo) == 0;
}

static int ipv4_header_ok(const unsigned char *f,
			  const struct frame_layout *lo)
{
	return nc_csum(f + lo->ip_off, lo->ip_hlen) == 0;
}

int nc_csum_verify_frame(const void *frame, size_t len)
{
	const unsigned char *f = frame;
	struct frame_layout lo;

	if (parse_frame(f, len, &lo) < 0)
		return -1;
	if (lo.ip_version == 4 && !ipv4_header_ok(f, &lo))
		return 0;
	return l4_checksum_ok(f, &lo);
}

static void complete_l4_checksum(unsigned char *f,
				 const struct frame_layout *lo)
{
	unsigned char *field = f + lo->l4_off + l4_csum_offset(lo->l4);
	uint16_t csum;

	store16(field, 0);
	csum = l4_checksum(f, lo);
	if (lo->l4 == L4_UDP && csum == 0)
		csum = 0xffff;  /* 0 would mean "no checksum" */
	store16(field, csum);
}

static void complete_ipv4_header_checksum(unsigned char *f,
					  const struct frame_layout *lo)
{
	unsigned char *field = f + lo->ip_off + IPV4_CSUM_OFF;

	store16(field, 0);
	store16(field, nc_csum(f + lo->ip_off, lo->ip_hlen));
}

int nc_csum_complete_frame(void *frame, size_t len)
{
	unsigned char *f = frame;
	struct frame_layout lo;

	if (parse_frame(f, len, &lo) < 0 || lo.l4 == L4_NONE)
		return -1;
	complete_l4_checksum(f, &lo);
	if (lo.ip_version == 4)
		complete_ipv4_header_checksum(f, &lo);
	return 0;
}

/*
 * gso.c - software segmentation of TCPv4/TCPv6 GSO frames (gso.h).
 *
 * Part of the freestanding protocol core: no libc beyond mem*, no
 * allocation, no mutable global state.  The frame is read-only input
 * (often a peer's): nc_gso_plan validates every header it relies on, and
 * nc_gso_segment re-checks a plan against the frame before it copies, so
 * that no offset in a plan can take a read or a write out of bounds.
 * Checksums are completed by csum.c on each finished segment.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netchannel/csum.h"
#include "netchannel/errors.h"
#include "netchannel/gso.h"
#include "netchannel/wire.h"

#define ETH_HLEN 14u
#define VLAN_TAG_LEN 4u
#define MAX_VLAN_TAGS 2
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_IPV6 0x86ddu
#define ETHERTYPE_VLAN 0x8100u
#define ETHERTYPE_QINQ 0x88a8u

#define IPV4_MIN_HLEN 20u
#define IPV4_MF 0x2000u
#define IPV4_OFFSET_MASK 0x1fffu
#define IPV4_OPT_EOL 0u
#define IPV4_OPT_NOP 1u
#define IPV6_HLEN 40u

#define PROTO_HOPOPTS 0u
#define PROTO_TCP 6u
#define PROTO_ROUTING 43u
#define PROTO_FRAGMENT 44u
#define PROTO_DSTOPTS 60u

#define TCP_MIN_HLEN 20u
#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_URG 0x20u
#define TCP_CWR 0x80u

/* ------------------------------------------------------------ bytes */

static uint16_t load_be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t load_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void store_be16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ------------------------------------------------------------ parsing */

/* What nc_gso_plan learns before the TCP header: where IP starts and
 * where the IP datagram ends (Ethernet padding excluded). */
struct gso_walk {
	const uint8_t *f;
	size_t len;
	size_t ip_off;
	size_t ip_end;
	size_t tcp_off;
	int ip_version;
};

static int is_vlan(uint16_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

/* Ethernet and up to two VLAN tags, as csum.c reads them. */
static int walk_ethernet(struct gso_walk *w, uint16_t *ethertype)
{
	size_t type_off = ETH_HLEN - 2;
	int tags;

	if (w->len < ETH_HLEN)
		return NC_EINVAL;
	for (tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
		*ethertype = load_be16(w->f + type_off);
		if (!is_vlan(*ethertype) || tags == MAX_VLAN_TAGS)
			break;
		type_off += VLAN_TAG_LEN;
		if (w->len < type_off + 2)
			return NC_EINVAL;
	}
	w->ip_off = type_off + 2;
	return NC_OK;
}

/* Every IPv4 option must lie inside the header (csum.c walks them for a
 * source route, and refuses a frame whose options overrun). */
static int ipv4_options_ok(const uint8_t *f, size_t off, size_t end)
{
	while (off < end) {
		uint8_t type = f[off];

		if (type == IPV4_OPT_EOL)
			return 1;
		if (type == IPV4_OPT_NOP) {
			off++;
			continue;
		}
		if (end - off < 2 || f[off + 1] < 2 || f[off + 1] > end - off)
			return 0;
		off += f[off + 1];
	}
	return 1;
}

static int walk_ipv4(struct gso_walk *w)
{
	const uint8_t *ip = w->f + w->ip_off;
	size_t avail = w->len - w->ip_off, hlen, total;
	uint16_t frag;

	if (avail < IPV4_MIN_HLEN || ip[0] >> 4 != 4)
		return NC_EINVAL;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	total = load_be16(ip + 2);
	frag = load_be16(ip + 6);
	/* Headers and length inside the frame; a fragment is no stream. */
	if (hlen < IPV4_MIN_HLEN || total < hlen || total > avail ||
	    (frag & (IPV4_MF | IPV4_OFFSET_MASK)) || ip[9] != PROTO_TCP ||
	    !ipv4_options_ok(w->f, w->ip_off + IPV4_MIN_HLEN,
			     w->ip_off + hlen))
		return NC_EINVAL;
	w->ip_version = 4;
	w->ip_end = w->ip_off + total;
	w->tcp_off = w->ip_off + hlen;
	return NC_OK;
}

/* A routing header with segments left must name the final destination
 * the way csum.c reads it (types 0, 2 and 4, at least one address). */
static int routing_header_ok(const uint8_t *rh)
{
	if (rh[3] == 0)
		return 1;
	if (rh[1] / 2 == 0)
		return 0;
	return rh[2] == 0 || rh[2] == 2 || rh[2] == 4;
}

/* Hop-by-hop, destination options and routing headers up to TCP.  A
 * fragment header or any other protocol: not a TCP stream we segment.
 * Each header is at least 8 bytes and inside [off, end): the walk ends. */
static int walk_ipv6_extensions(struct gso_walk *w, uint8_t nh)
{
	size_t off = w->ip_off + IPV6_HLEN;

	while (nh == PROTO_HOPOPTS || nh == PROTO_DSTOPTS ||
	       nh == PROTO_ROUTING) {
		const uint8_t *h = w->f + off;
		size_t hlen;

		if (w->ip_end - off < 2)
			return NC_EINVAL;
		hlen = ((size_t)h[1] + 1) * 8;
		if (w->ip_end - off < hlen)
			return NC_EINVAL;
		if (nh == PROTO_ROUTING && !routing_header_ok(h))
			return NC_EINVAL;
		nh = h[0];
		off += hlen;
	}
	if (nh != PROTO_TCP)
		return NC_EINVAL;
	w->tcp_off = off;
	return NC_OK;
}

static int walk_ipv6(struct gso_walk *w)
{
	const uint8_t *ip = w->f + w->ip_off;
	size_t avail = w->len - w->ip_off, plen;

	if (avail < IPV6_HLEN || ip[0] >> 4 != 6)
		return NC_EINVAL;
	plen = load_be16(ip + 4);
	/* 0 is a jumbogram's (or an empty datagram's): never segmented. */
	if (plen == 0 || IPV6_HLEN + plen > avail)
		return NC_EINVAL;
	w->ip_version = 6;
	w->ip_end = w->ip_off + IPV6_HLEN + plen;
	return walk_ipv6_extensions(w, ip[6]);
}

/* The TCP header: inside the datagram, no SYN or RST (a stream's data,
 * never its opening or reset, is what GSO carries). */
static int walk_tcp(const struct gso_walk *w, size_t *hdr_len)
{
	const uint8_t *t = w->f + w->tcp_off;
	size_t doff;

	if (w->ip_end - w->tcp_off < TCP_MIN_HLEN)
		return NC_EINVAL;
	doff = (size_t)(t[12] >> 4) * 4;
	if (doff < TCP_MIN_HLEN || doff > w->ip_end - w->tcp_off ||
	    (t[13] & (TCP_SYN | TCP_RST)))
		return NC_EINVAL;
	*hdr_len = w->tcp_off + doff;
	return NC_OK;
}

static int walk_ip(struct gso_walk *w, uint8_t gso_type)
{
	uint16_t ethertype;
	int rc = walk_ethernet(w, &ethertype);

	if (rc)
		return rc;
	/* The type must name the frame's IP version. */
	if (gso_type == XEN_NETIF_GSO_TYPE_TCPV4 && ethertype == ETHERTYPE_IPV4)
		return walk_ipv4(w);
	if (gso_type == XEN_NETIF_GSO_TYPE_TCPV6 && ethertype == ETHERTYPE_IPV6)
		return walk_ipv6(w);
	return NC_EINVAL;
}

int nc_gso_plan(const void *frame, size_t len, uint8_t gso_type,
		uint16_t gso_size, struct nc_gso_plan *plan)
{
	struct gso_walk w = { .f = frame, .len = len };
	size_t hdr_len = 0, payload, nsegs;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (!frame || gso_size == 0)
		return NC_EINVAL;
	rc = walk_ip(&w, gso_type);
	if (!rc)
		rc = walk_tcp(&w, &hdr_len);
	if (rc)
		return rc;
	payload = w.ip_end - hdr_len;
	if (payload == 0)
		return NC_EINVAL;
	/* Bounded work and output whatever the peer asked for. */
	nsegs = (payload + gso_size - 1) / gso_size;
	if (nsegs > NC_GSO_MAX_SEGS || hdr_len > NC_GSO_MAX_HDR)
		return NC_E2BIG;
	plan->hdr_len = (uint32_t)hdr_len;
	plan->payload = (uint32_t)payload;
	plan->ip_off = (uint32_t)w.ip_off;
	plan->tcp_off = (uint32_t)w.tcp_off;
	plan->mss = gso_size;
	plan->nsegs = (uint16_t)nsegs;
	plan->ip_version = (uint8_t)w.ip_version;
	return NC_OK;
}

/* ------------------------------------------------------------ segments */

uint32_t nc_gso_seg_len(const struct nc_gso_plan *p, unsigned i)
{
	uint32_t off;

	if (i >= p->nsegs || p->mss == 0)
		return 0;
	off = (uint32_t)i * p->mss;
	if (off >= p->payload)
		return 0;
	return p->hdr_len + (p->payload - off < p->mss ? p->payload - off
						       : p->mss);
}

uint32_t nc_gso_total_len(const struct nc_gso_plan *p)
{
	return p->nsegs * p->hdr_len + p->payload;
}

/* Invariant for nc_gso_segment: whatever the plan says (it is the
 * caller's memory), every offset it uses lies inside the frame. */
static int plan_fits(const struct nc_gso_plan *p, size_t len)
{
	size_t ip_min = p->ip_version == 4 ? IPV4_MIN_HLEN : IPV6_HLEN;

	if (p->mss == 0 || p->payload == 0 ||
	    (p->ip_version != 4 && p->ip_version != 6))
		return 0;
	return p->hdr_len <= len && p->payload <= len - p->hdr_len &&
	       p->ip_off >= ETH_HLEN && p->ip_off + ip_min <= p->tcp_off &&
	       p->tcp_off + TCP_MIN_HLEN <= p->hdr_len &&
	       p->nsegs == (p->payload + p->mss - 1) / p->mss;
}

/* The IP length of segment `seg_len` bytes long, and the IPv4 id. */
static void fix_ip(uint8_t *s, const uint8_t *f, const struct nc_gso_plan *p,
		   unsigned i, uint32_t seg_len)
{
	uint8_t *ip = s + p->ip_off;

	if (p->ip_version == 4) {
		store_be16(ip + 2, seg_len - p->ip_off);
		store_be16(ip + 4, load_be16(f + p->ip_off + 4) + i);
	} else {
		store_be16(ip + 4, seg_len - p->ip_off - IPV6_HLEN);
	}
}

/* Sequence number, flags and urgent pointer of segment i, whose payload
 * starts `off` bytes into the frame's. */
static void fix_tcp(uint8_t *s, const struct nc_gso_plan *p, unsigned i,
		    uint32_t off)
{
	uint8_t *t = s + p->tcp_off;
	uint8_t flags = t[13];
	uint32_t urg = load_be16(t + 18);

	store_be32(t + 4, load_be32(t + 4) + off);
	if (i + 1u < p->nsegs)
		flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
	if (i > 0)
		flags &= (uint8_t)~TCP_CWR;
	/* The urgent pointer counts from this segment's first byte; once
	 * the urgent data lies behind, the segment has none. */
	if (flags & TCP_URG) {
		if (urg > off) {
			store_be16(t + 18, urg - off);
		} else {
			flags &= (uint8_t)~TCP_URG;
			store_be16(t + 18, 0);
		}
	}
	t[13] = flags;
}

int nc_gso_segment(const void *frame, size_t len,
		   const struct nc_gso_plan *p, unsigned i, void *out,
		   size_t out_size)
{
	const uint8_t *f = frame;
	uint8_t *s = out;
	uint32_t off, seg_len;

	if (!frame || !plan_fits(p, len) || i >= p->nsegs)
		return NC_EINVAL;
	seg_len = nc_gso_seg_len(p, i);
	if (!out || seg_len > out_size)
		return NC_ENOSPC;
	off = (uint32_t)i * p->mss;
	memcpy(s, f, p->hdr_len);
	memcpy(s + p->hdr_len, f + p->hdr_len + off, seg_len - p->hdr_len);
	fix_ip(s, f, p, i, seg_len);
	fix_tcp(s, p, i, off);
	/* IPv4 header and TCP checksums, complete (pseudo-header included:
	 * a source route's or routing header's final destination). */
	if (nc_csum_complete_frame(s, seg_len) != 0)
		return NC_EINVAL;
	return (int)seg_len;
}

int nc_gso_split(const void *frame, size_t len, uint8_t gso_type,
		 uint16_t gso_size, void *buf, size_t buf_size,
		 struct nc_gso_seg *segs, unsigned max_segs)
{
	struct nc_gso_plan p;
	uint32_t pos = 0;
	unsigned i;
	int rc = nc_gso_plan(frame, len, gso_type, gso_size, &p);

	if (rc)
		return rc;
	if (!buf || !segs || p.nsegs > max_segs ||
	    nc_gso_total_len(&p) > buf_size)
		return NC_ENOSPC;
	for (i = 0; i < p.nsegs; i++) {
		rc = nc_gso_segment(frame, len, &p, i, (uint8_t *)buf + pos,
				    buf_size - pos);
		if (rc < 0)
			return rc;
		segs[i].off = pos;
		segs[i].len = (uint32_t)rc;
		pos += (uint32_t)rc;
	}
	return (int)p.nsegs;
}

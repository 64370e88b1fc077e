/*
 * netchannel/gso.h - software segmentation of TCP GSO frames.
 *
 * A GSO frame (NC_FRAME_GSO) is one large TCP frame of up to 64 KiB that
 * stands for several wire-sized ones: its TCP payload is cut into pieces
 * of gso_size bytes (the MSS), and each piece gets a copy of the headers.
 * A receiver that cannot take GSO frames gets the segments instead: a TAP
 * without vnet headers, a frontend that did not advertise
 * feature-gso-tcpv4/6, a pcap.
 *
 * Frames: Ethernet, up to two VLAN tags (802.1Q, 802.1ad), then IPv4
 * (options allowed) for XEN_NETIF_GSO_TYPE_TCPV4, or IPv6 with hop-by-hop,
 * destination-options and routing extension headers for
 * XEN_NETIF_GSO_TYPE_TCPV6; then TCP.  Bytes past the IP length (Ethernet
 * padding) are not part of any segment.
 *
 * Each segment carries: the IPv4 total length or IPv6 payload length of
 * the segment; the IPv4 id of the frame plus the segment's index (mod
 * 2^16); the TCP sequence number advanced by the payload before it; FIN
 * and PSH only on the last segment, CWR only on the first, URG (and the
 * urgent pointer, made relative to the segment) only while the urgent
 * data has not been passed; and complete, correct IPv4 header and TCP
 * checksums whatever the frame's checksum fields held (a partial checksum
 * is fine).  Segments are thus frames with NC_FRAME_DATA_VALIDATED.
 *
 * Everything is validated, since the frame usually comes from a peer:
 * a type that does not match the frame, a fragment, a jumbogram, headers
 * past the end or past the IP length, no payload, more than
 * NC_GSO_MAX_SEGS segments (a hostile gso_size of 1 asks for tens of
 * thousands), headers longer than NC_GSO_MAX_HDR.  Pure functions, no
 * allocation, freestanding.
 */
#ifndef NETCHANNEL_GSO_H
#define NETCHANNEL_GSO_H

#include <stddef.h>
#include <stdint.h>

/* At most this many segments per frame: a 64 KiB frame at an MSS of 536
 * (the IPv4 default) is 123; smaller MSSs on big frames are refused. */
#define NC_GSO_MAX_SEGS 128u
/* At most this many header bytes (Ethernet to the end of TCP) are
 * repeated in every segment: bounds the bytes segmentation can add. */
#define NC_GSO_MAX_HDR 512u

/* How a GSO frame splits: filled by nc_gso_plan, read by the rest. */
struct nc_gso_plan {
	uint32_t hdr_len;     /* header bytes repeated in every segment */
	uint32_t payload;     /* TCP payload bytes of the whole frame */
	uint32_t ip_off;      /* the IP header's offset */
	uint32_t tcp_off;     /* the TCP header's offset */
	uint16_t mss;         /* payload bytes per segment (the last: less) */
	uint16_t nsegs;       /* 1 .. NC_GSO_MAX_SEGS */
	uint8_t ip_version;   /* 4 or 6 */
};

/* One segment written by nc_gso_split: at buf + off, len bytes. */
struct nc_gso_seg {
	uint32_t off;
	uint32_t len;
};

/* Check a GSO frame and plan its segments.  gso_type is
 * XEN_NETIF_GSO_TYPE_TCPV4 or _TCPV6, gso_size the MSS (>= 1).
 * NC_OK, NC_EINVAL (malformed, or a type or size that does not fit the
 * frame) or NC_E2BIG (more than NC_GSO_MAX_SEGS segments or
 * NC_GSO_MAX_HDR header bytes). */
int nc_gso_plan(const void *frame, size_t len, uint8_t gso_type,
		uint16_t gso_size, struct nc_gso_plan *plan);

/* The length of segment i of a plan (0 when i >= nsegs). */
uint32_t nc_gso_seg_len(const struct nc_gso_plan *plan, unsigned i);

/* The bytes all segments take together. */
uint32_t nc_gso_total_len(const struct nc_gso_plan *plan);

/* Write segment i of the frame nc_gso_plan accepted (the same frame and
 * len) into out.  Returns its length, NC_ENOSPC when out_size is too
 * small, NC_EINVAL when i >= nsegs or the plan does not fit the frame. */
int nc_gso_segment(const void *frame, size_t len,
		   const struct nc_gso_plan *plan, unsigned i, void *out,
		   size_t out_size);

/* Plan and write every segment back to back into buf; segs[k] says where
 * segment k is.  Returns the number of segments, or NC_EINVAL / NC_E2BIG
 * as nc_gso_plan, NC_ENOSPC when buf_size or max_segs is too small
 * (nothing useful is written then). */
int nc_gso_split(const void *frame, size_t len, uint8_t gso_type,
		 uint16_t gso_size, void *buf, size_t buf_size,
		 struct nc_gso_seg *segs, unsigned max_segs);

#endif

/*
 * csum_offload.h - which partial checksums a peer may be handed, shared
 * by netfront and netback (PROTOCOL.md, netif.h):
 *
 *   feature-no-csum-offload=1     (frontend): no partial IPv4 TCP/UDP
 *                                 checksums toward it; absent means 0;
 *   feature-ipv6-csum-offload=1   (either end): it takes partial IPv6
 *                                 checksums; absent means 0.
 *
 * A frame with NC_FRAME_CSUM_BLANK that its receiver did not accept has
 * its checksum completed in software before it goes.  Freestanding.
 */
#ifndef NETCHANNEL_CSUM_OFFLOAD_H
#define NETCHANNEL_CSUM_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

/* What a peer accepts: partial checksums over IPv4, over IPv6. */
#define NC_OFFLOAD_IPV4 0x1u
#define NC_OFFLOAD_IPV6 0x2u

/* The IP version an Ethernet frame carries (after up to two VLAN tags):
 * 4, 6, or 0 when it is neither or too short to tell. */
int nc_frame_ip_version(const uint8_t *frame, size_t len);

/* Whether a frame with `flags` must have its checksum completed before it
 * goes to a peer that accepts `accept` (NC_OFFLOAD_*): it is CSUM_BLANK
 * and IPv4 or IPv6 the peer did not accept.  A blank frame that is
 * neither has no checksum anyone could complete: 0. */
int nc_csum_must_complete(const uint8_t *frame, size_t len, uint32_t flags,
			  unsigned accept);

#endif

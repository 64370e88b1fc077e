/*
 * netchannel/csum.h - the Internet checksum (RFC 1071), its incremental
 * update (RFC 1624), and the pseudo-headers of UDP and TCP over IPv4 and
 * IPv6.  Freestanding: no libc beyond mem*.
 *
 * Conventions: a "partial sum" is a 32-bit one's-complement accumulator
 * that callers chain (nc_csum_partial over several buffers, adding the
 * pseudo-header sum) and finally fold with nc_csum_fold, which returns the
 * 16-bit checksum to store in the header, in network byte order as it must
 * appear in memory (write it with memcpy, or as a uint16_t).
 */
#ifndef NETCHANNEL_CSUM_H
#define NETCHANNEL_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes at data to the partial sum `sum` (start with 0).  Odd
 * lengths are padded with a zero byte, so chain only even-length pieces
 * except for the last one. */
uint32_t nc_csum_partial(const void *data, size_t len, uint32_t sum);

/* Fold a partial sum to 16 bits and complement it: the value to store. */
uint16_t nc_csum_fold(uint32_t sum);

/* The checksum of one buffer: nc_csum_fold(nc_csum_partial(data, len, 0)).
 * Verifying a header that includes its checksum field yields 0. */
uint16_t nc_csum(const void *data, size_t len);

/* RFC 1624 eqn. 3: the new checksum after a 16-bit field changes from
 * old_field to new_field (all three as stored in memory). */
uint16_t nc_csum_update16(uint16_t csum, uint16_t old_field,
			  uint16_t new_field);
/* The same for a 32-bit field (an IPv4 address). */
uint16_t nc_csum_update32(uint16_t csum, uint32_t old_field,
			  uint32_t new_field);

/* Partial sums of the pseudo-headers.  Addresses point at the 4 or 16
 * bytes as they sit in the IP header; proto is 6 (TCP) or 17 (UDP);
 * len is the L4 length (header + payload) in host order. */
uint32_t nc_csum_pseudo_v4(const void *saddr, const void *daddr,
			   uint8_t proto, uint32_t len);
uint32_t nc_csum_pseudo_v6(const void *saddr, const void *daddr,
			   uint8_t proto, uint32_t len);

/* Fill in the checksums of an Ethernet frame (up to two VLAN tags) in
 * place: the IPv4 header checksum, and the TCP, UDP, ICMPv4 or ICMPv6
 * checksum over IPv4 or IPv6 (the field is overwritten, so it need not be
 * zero first).  A UDP checksum that folds to 0 is stored as 0xffff.
 * Returns 0, or -1 when the frame is not Ethernet + IP + one of those, is
 * an IP fragment, or is truncated or malformed (nothing is changed). */
int nc_csum_complete_frame(void *frame, size_t len);

/* Check every IPv4, TCP and UDP checksum of an Ethernet frame: 1 when all
 * verify (or the frame carries none), 0 when one is wrong, -1 when the
 * frame is malformed or truncated.  ICMPv4 and ICMPv6 are checked too. */
int nc_csum_verify_frame(const void *frame, size_t len);

#endif

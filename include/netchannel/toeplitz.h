/*
 * netchannel/toeplitz.h - the Toeplitz hash of the netif control ring
 * (xen/io/netif.h, "Hash algorithms") and the flow input it is taken over.
 *
 * The hash: the bits of the input are scanned from the most significant
 * bit of its first byte on; for each 1 bit at position i the 32 key bits
 * starting at bit i are XORed into the result.  Key bits beyond the key's
 * length are zero, so a short (or empty) key is a key padded with zeros.
 * This is Microsoft's RSS hash, and its published verification vectors
 * hold (tests/test_ctrl.c).
 *
 * The flow input (netif.h, "Hash types"), chosen by the hash flags the
 * frontend set (XEN_NETIF_CTRL_HASH_TYPE_*), always the most specific one
 * the flags allow ("maximal" type):
 *   IPV4_TCP: source address, destination address, source port,
 *             destination port (12 bytes, network order);
 *   IPV4:     source address, destination address (8 bytes);
 *   IPV6_TCP: the same over IPv6 addresses (36 bytes);
 *   IPV6:     the two IPv6 addresses (32 bytes).
 * TCP ports count only for an unfragmented IPv4 datagram or an IPv6
 * packet whose first next-header is TCP (no extension headers are
 * walked); otherwise the address-only type applies, when flagged.
 *
 * Pure functions over caller memory; freestanding.  The frame is an
 * Ethernet frame (optionally with one 802.1Q tag) and is only read, with
 * every offset checked against its length: a frame is peer data.
 */
#ifndef NETCHANNEL_TOEPLITZ_H
#define NETCHANNEL_TOEPLITZ_H

#include <stddef.h>
#include <stdint.h>

/* The longest key we take (Linux netback's limit too). */
#define NC_TOEPLITZ_KEY_MAX 40u
/* The longest flow input: two IPv6 addresses and two ports. */
#define NC_FLOW_INPUT_MAX 36u

/* The Toeplitz hash of data[0..len) under key[0..keylen).  keylen above
 * NC_TOEPLITZ_KEY_MAX is treated as NC_TOEPLITZ_KEY_MAX. */
uint32_t nc_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data,
		     size_t len);

/* The flow input of an Ethernet frame under hash flags `flags`: its
 * length (8, 12, 32 or 36), with the bytes in out[] and the hash type
 * used (one XEN_NETIF_CTRL_HASH_TYPE_* bit) in *type; 0 when the frame
 * has no type the flags select (not IP, truncated, or not flagged). */
size_t nc_flow_input(const uint8_t *frame, size_t len, uint32_t flags,
		     uint8_t out[NC_FLOW_INPUT_MAX], uint32_t *type);

/* Both: 1 with *hash and *type set, or 0 as nc_flow_input. */
int nc_toeplitz_frame(const uint8_t *key, size_t keylen, uint32_t flags,
		      const uint8_t *frame, size_t len, uint32_t *hash,
		      uint32_t *type);

/* The queue a frame's flow goes on when nothing else says (a frontend's
 * transmit; a backend with no hash set over the control ring, as Linux
 * netback falls back to the stack's flow hash): the Toeplitz hash, under
 * the well-known RSS verification key, of the frame's maximal flow input
 * (IPv4/IPv6 addresses, TCP ports when present), modulo nqueues.  Frames
 * of one flow always get the same queue; frames with no IP flow (ARP,
 * truncated) get queue 0; nqueues 0 or 1 gives 0. */
unsigned nc_flow_queue(const uint8_t *frame, size_t len, unsigned nqueues);

#endif

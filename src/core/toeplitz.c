/*
 * toeplitz.c - the Toeplitz hash and the flow input of a frame
 * (netchannel/toeplitz.h).  Pure functions; freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "netchannel/toeplitz.h"
#include "netchannel/wire.h"

#define ETH_HLEN 14u
#define ETH_P_IP 0x0800u
#define ETH_P_IPV6 0x86DDu
#define ETH_P_8021Q 0x8100u
#define IPPROTO_TCP_NUM 6u
#define IPV6_HLEN 40u

/* Key byte i, zero beyond the key (netif.h: missing octets are zero). */
static uint8_t key_byte(const uint8_t *key, size_t keylen, size_t i)
{
	return i < keylen ? key[i] : 0;
}

uint32_t nc_toeplitz(const uint8_t *key, size_t keylen, const uint8_t *data,
		     size_t len)
{
	uint32_t hash = 0, window = 0;
	size_t i, next;

	if (keylen > NC_TOEPLITZ_KEY_MAX)
		keylen = NC_TOEPLITZ_KEY_MAX;
	/* window: the 32 key bits starting at the current input bit. */
	for (i = 0; i < 4; i++)
		window = (window << 8) | key_byte(key, keylen, i);
	next = 4;
	for (i = 0; i < len; i++) {
		uint8_t in = data[i], shift_in = key_byte(key, keylen, next++);
		int bit;

		for (bit = 7; bit >= 0; bit--) {
			if ((in >> bit) & 1u)
				hash ^= window;
			window = (window << 1) | ((shift_in >> bit) & 1u);
		}
	}
	return hash;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/* The offset of the IP header and the ethertype, skipping one 802.1Q
 * tag; 0 when the frame is too short to say. */
static size_t l3_offset(const uint8_t *frame, size_t len, uint16_t *proto)
{
	size_t off = ETH_HLEN;

	if (len < ETH_HLEN)
		return 0;
	*proto = be16(frame + 12);
	if (*proto == ETH_P_8021Q) {
		if (len < ETH_HLEN + 4)
			return 0;
		*proto = be16(frame + 16);
		off += 4;
	}
	return off;
}

/* IPv4: addresses, and the ports of an unfragmented TCP datagram whose
 * TCP ports lie inside the frame. */
static size_t ipv4_input(const uint8_t *ip, size_t len, uint32_t flags,
			 uint8_t *out, uint32_t *type)
{
	size_t ihl;
	int tcp;

	if (len < 20 || (ip[0] >> 4) != 4)
		return 0;
	ihl = (size_t)(ip[0] & 0x0Fu) * 4u;
	if (ihl < 20 || ihl > len)
		return 0;
	/* A fragment (MF set or an offset) has no ports of its own. */
	tcp = ip[9] == IPPROTO_TCP_NUM && (be16(ip + 6) & 0x3FFFu) == 0 &&
	      len >= ihl + 4;
	memcpy(out, ip + 12, 8);
	if (tcp && (flags & XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP)) {
		memcpy(out + 8, ip + ihl, 4);
		*type = XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP;
		return 12;
	}
	if (!(flags & XEN_NETIF_CTRL_HASH_TYPE_IPV4))
		return 0;
	*type = XEN_NETIF_CTRL_HASH_TYPE_IPV4;
	return 8;
}

/* IPv6: addresses, and the ports when the first next header is TCP. */
static size_t ipv6_input(const uint8_t *ip, size_t len, uint32_t flags,
			 uint8_t *out, uint32_t *type)
{
	int tcp;

	if (len < IPV6_HLEN || (ip[0] >> 4) != 6)
		return 0;
	tcp = ip[6] == IPPROTO_TCP_NUM && len >= IPV6_HLEN + 4;
	memcpy(out, ip + 8, 32);
	if (tcp && (flags & XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP)) {
		memcpy(out + 32, ip + IPV6_HLEN, 4);
		*type = XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP;
		return 36;
	}
	if (!(flags & XEN_NETIF_CTRL_HASH_TYPE_IPV6))
		return 0;
	*type = XEN_NETIF_CTRL_HASH_TYPE_IPV6;
	return 32;
}

size_t nc_flow_input(const uint8_t *frame, size_t len, uint32_t flags,
		     uint8_t out[NC_FLOW_INPUT_MAX], uint32_t *type)
{
	uint16_t proto = 0;
	size_t off;

	if (!frame || !out || !type)
		return 0;
	off = l3_offset(frame, len, &proto);
	if (off == 0 || off >= len)
		return 0;
	if (proto == ETH_P_IP)
		return ipv4_input(frame + off, len - off, flags, out, type);
	if (proto == ETH_P_IPV6)
		return ipv6_input(frame + off, len - off, flags, out, type);
	return 0;
}

int nc_toeplitz_frame(const uint8_t *key, size_t keylen, uint32_t flags,
		      const uint8_t *frame, size_t len, uint32_t *hash,
		      uint32_t *type)
{
	uint8_t in[NC_FLOW_INPUT_MAX];
	size_t n = nc_flow_input(frame, len, flags, in, type);

	if (n == 0)
		return 0;
	*hash = nc_toeplitz(key, keylen, in, n);
	return 1;
}

/* The RSS verification key of Microsoft's documentation (and of DPDK and
 * Linux drivers as a default): any fixed key spreads flows; this one is
 * the one people recognise. */
static const uint8_t default_key[NC_TOEPLITZ_KEY_MAX] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

unsigned nc_flow_queue(const uint8_t *frame, size_t len, unsigned nqueues)
{
	uint32_t hash, type;

	if (nqueues <= 1 || !frame)
		return 0;
	if (!nc_toeplitz_frame(default_key, sizeof(default_key),
			       XEN_NETIF_CTRL_HASH_TYPE_IPV4 |
				       XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP |
				       XEN_NETIF_CTRL_HASH_TYPE_IPV6 |
				       XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP,
			       frame, len, &hash, &type))
		return 0;
	return hash % nqueues;
}

/*
 * fuzz_parse.c - libFuzzer harness for the pure ring parsers of parse.h:
 * nc_tx_parse (netback's view of the frontend's TX slots) and nc_rx_parse
 * (netfront's view of the backend's RX responses).
 *
 * Input layout:
 *   [0]    bit 0: 0 = TX, 1 = RX
 *   [1]    avail cap (the slots given are min(this, what follows))
 *   [2]    max_slots
 *   [3]    fatal_slots (TX)
 *   [4..7] first_idx (RX), little endian
 *   [8]    ring size: 1 << (v % 10), or 0 when v == 0xff (RX)
 *   [9..]  slots: 12 bytes each (TX) or 8 bytes each (RX)
 *
 * The slots are copied into a heap array of exactly `avail` entries, so a
 * parser read past `avail` is an ASan report.  Every verdict is checked
 * against parse.h's contract (see check_tx / check_rx).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FP_HDR 9u

#define FP_REQUIRE(cond)                                                    \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_parse: invariant failed: %s " \
				"(%s:%d)\n", #cond, __FILE__, __LINE__);    \
			abort();                                            \
		}                                                           \
	} while (0)

static void fp_check_tx(const netif_tx_request_t *slots, unsigned avail,
			enum nc_verdict v, const struct nc_tx_parsed *p)
{
	unsigned i;
	uint32_t sum = 0;

	FP_REQUIRE(v == NC_V_OK || v == NC_V_DROP || v == NC_V_FATAL);
	if (v == NC_V_FATAL) {
		FP_REQUIRE(p->reason == NC_R_CROSS_PAGE ||
			   p->reason == NC_R_FATAL_SLOTS ||
			   p->reason == NC_R_TRUNCATED ||
			   p->reason == NC_R_BAD_EXTRA ||
			   p->reason == NC_R_BAD_GSO);
		return;
	}
	FP_REQUIRE(p->slots >= 1 && p->slots <= avail);
	FP_REQUIRE(p->slots <= NC_PARSE_MAX_SLOTS);
	/* Every answered slot carries the id of the request in its place
	 * (extras carry none). */
	for (i = 0; i < p->slots; i++)
		if (!p->is_extra[i])
			FP_REQUIRE(p->ids[i] == slots[i].id);
	FP_REQUIRE(!p->is_extra[0]);
	if (v == NC_V_DROP) {
		FP_REQUIRE(p->reason == NC_R_SIZE_CHAIN ||
			   p->reason == NC_R_TOO_MANY_SLOTS ||
			   p->reason == NC_R_RUNT);
		return;
	}
	FP_REQUIRE(p->nfrags <= p->slots);
	for (i = 0; i < p->nfrags; i++) {
		FP_REQUIRE(p->frags[i].len > 0);
		FP_REQUIRE((uint32_t)p->frags[i].offset + p->frags[i].len <=
			   NC_PAGE_SIZE);
		sum += p->frags[i].len;
	}
	if (p->total == 0) {
		/* Only a multicast dummy carries nothing. */
		FP_REQUIRE(p->nmcast_add || p->nmcast_del);
		FP_REQUIRE(p->nfrags == 0);
	} else {
		FP_REQUIRE(p->total >= 14 && p->total <= NC_MAX_FRAME);
		FP_REQUIRE(sum == p->total);
		FP_REQUIRE(p->total == slots[0].size);
	}
	if (p->flags & NC_FRAME_GSO) {
		FP_REQUIRE(p->gso_size != 0);
		FP_REQUIRE(p->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ||
			   p->gso_type == XEN_NETIF_GSO_TYPE_TCPV6);
	}
}

static void fp_check_rx(unsigned avail, unsigned ring_size,
			enum nc_verdict v, const struct nc_rx_parsed *p)
{
	unsigned i;
	uint32_t sum = 0;
	int last = -1;

	/* Nothing a backend sends is fatal to the frontend. */
	FP_REQUIRE(v == NC_V_OK || v == NC_V_DROP || v == NC_V_NEED_MORE);
	if (v == NC_V_NEED_MORE) {
		FP_REQUIRE(p->slots == 0);
		FP_REQUIRE(ring_size == 0 || avail < ring_size);
		return;
	}
	FP_REQUIRE(p->slots >= 1 && p->slots <= avail);
	if (v == NC_V_DROP)
		return;
	FP_REQUIRE(p->nfrags <= p->slots && p->nfrags <= NC_PARSE_MAX_SLOTS);
	for (i = 0; i < p->nfrags; i++) {
		FP_REQUIRE(p->frags[i].slot < p->slots);
		FP_REQUIRE((int)p->frags[i].slot > last);
		last = p->frags[i].slot;
		FP_REQUIRE(p->frags[i].len > 0);
		FP_REQUIRE((uint32_t)p->frags[i].offset + p->frags[i].len <=
			   NC_PAGE_SIZE);
		sum += p->frags[i].len;
	}
	FP_REQUIRE(sum == p->total);
	FP_REQUIRE(p->total > 0 && p->total <= NC_MAX_FRAME);
	if (p->flags & NC_FRAME_GSO) {
		FP_REQUIRE(p->gso_size != 0);
		FP_REQUIRE(p->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ||
			   p->gso_type == XEN_NETIF_GSO_TYPE_TCPV6);
	}
}

static void fp_tx(const uint8_t *data, size_t size, unsigned cap)
{
	unsigned n = (unsigned)((size - FP_HDR) / sizeof(netif_tx_request_t));
	unsigned avail = n < cap ? n : cap;
	netif_tx_request_t *slots, *copy;
	struct nc_tx_parsed *p1, *p2;
	enum nc_verdict v1, v2;

	/* malloc(0) may return NULL: keep one element so the array exists */
	slots = malloc((avail ? avail : 1) * sizeof(*slots));
	copy = malloc((avail ? avail : 1) * sizeof(*slots));
	p1 = calloc(1, sizeof(*p1));
	p2 = calloc(1, sizeof(*p2));
	if (!slots || !copy || !p1 || !p2)
		abort();
	memcpy(slots, data + FP_HDR, avail * sizeof(*slots));
	memcpy(copy, slots, avail * sizeof(*slots));
	v1 = nc_tx_parse(slots, avail, data[2], data[3], p1);
	fp_check_tx(slots, avail, v1, p1);
	/* Pure: the input is untouched and a second parse agrees. */
	FP_REQUIRE(memcmp(copy, slots, avail * sizeof(*slots)) == 0);
	v2 = nc_tx_parse(slots, avail, data[2], data[3], p2);
	FP_REQUIRE(v1 == v2 && memcmp(p1, p2, sizeof(*p1)) == 0);
	/* The backend's own thresholds, too. */
	v1 = nc_tx_parse(slots, avail, NC_TX_MAX_SLOTS, NC_TX_FATAL_SLOTS, p1);
	fp_check_tx(slots, avail, v1, p1);
	free(slots);
	free(copy);
	free(p1);
	free(p2);
}

static void fp_rx(const uint8_t *data, size_t size, unsigned cap)
{
	unsigned n = (unsigned)((size - FP_HDR) / sizeof(netif_rx_response_t));
	unsigned avail = n < cap ? n : cap;
	unsigned ring_size = data[8] == 0xff ? 0u : 1u << (data[8] % 10);
	RING_IDX first = (RING_IDX)data[4] | (RING_IDX)data[5] << 8 |
			 (RING_IDX)data[6] << 16 | (RING_IDX)data[7] << 24;
	netif_rx_response_t *rsps, *copy;
	struct nc_rx_parsed *p1, *p2;
	enum nc_verdict v1, v2;

	rsps = malloc((avail ? avail : 1) * sizeof(*rsps));
	copy = malloc((avail ? avail : 1) * sizeof(*rsps));
	p1 = calloc(1, sizeof(*p1));
	p2 = calloc(1, sizeof(*p2));
	if (!rsps || !copy || !p1 || !p2)
		abort();
	memcpy(rsps, data + FP_HDR, avail * sizeof(*rsps));
	memcpy(copy, rsps, avail * sizeof(*rsps));
	v1 = nc_rx_parse(rsps, avail, first, ring_size, data[2], p1);
	fp_check_rx(avail, ring_size, v1, p1);
	FP_REQUIRE(memcmp(copy, rsps, avail * sizeof(*rsps)) == 0);
	v2 = nc_rx_parse(rsps, avail, first, ring_size, data[2], p2);
	FP_REQUIRE(v1 == v2 && memcmp(p1, p2, sizeof(*p1)) == 0);
	/* The frontend's own parameters. */
	v1 = nc_rx_parse(rsps, avail, first, NC_RX_RING_SIZE, NC_MAX_SLOTS,
			 p1);
	fp_check_rx(avail, NC_RX_RING_SIZE, v1, p1);
	free(rsps);
	free(copy);
	free(p1);
	free(p2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FP_HDR)
		return 0;
	if (data[0] & 1)
		fp_rx(data, size, data[1]);
	else
		fp_tx(data, size, data[1]);
	return 0;
}

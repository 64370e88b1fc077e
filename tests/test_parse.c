/*
 * test_parse.c - nc_tx_parse and nc_rx_parse on hand-built slot arrays,
 * valid and malicious, then on 100000 pseudo-random arrays each.
 *
 * Every parse goes through tx_run/rx_run, which also check that the input
 * was not written and that the result satisfies the invariants any
 * verdict must (slots within avail, fragments within their page, sums
 * that add up, ids as the slots had them).  Arrays are heap-allocated at
 * their exact size in the random cases, so AddressSanitizer catches any
 * read past `avail`.
 */
#include <limits.h>
#include <stdint.h>

#include "harness.h"
#include "netchannel/frame.h"
#include "netchannel/parse.h"

#define MAXS 64

/* ------------------------------------------------------- slot builders */

static netif_tx_request_t txr(uint32_t gref, uint16_t offset, uint16_t flags,
			      uint16_t id, uint16_t size)
{
	netif_tx_request_t r;

	memset(&r, 0, sizeof(r));
	r.gref = gref;
	r.offset = offset;
	r.flags = flags;
	r.id = id;
	r.size = size;
	return r;
}

static netif_extra_info_t xgso(uint8_t flags, uint16_t size, uint8_t type)
{
	netif_extra_info_t x;

	memset(&x, 0, sizeof(x));
	x.type = XEN_NETIF_EXTRA_TYPE_GSO;
	x.flags = flags;
	x.u.gso.size = size;
	x.u.gso.type = type;
	return x;
}

static netif_extra_info_t xtype(uint8_t type, uint8_t flags)
{
	netif_extra_info_t x;

	memset(&x, 0, sizeof(x));
	x.type = type;
	x.flags = flags;
	return x;
}

static netif_extra_info_t xmcast(uint8_t type, uint8_t flags, uint8_t last)
{
	netif_extra_info_t x = xtype(type, flags);
	uint8_t addr[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, last };

	memcpy(x.u.mcast.addr, addr, sizeof(addr));
	return x;
}

/* Store an extra in a TX slot the way a frontend does: 8 bytes at offset
 * 0 of the 12-byte slot.  `pad` fills the 4 bytes after it. */
static void tx_put_extra(netif_tx_request_t *slot, netif_extra_info_t x,
			 uint8_t pad)
{
	memset(slot, pad, sizeof(*slot));
	memcpy(slot, &x, sizeof(x));
}

static void rx_put_extra(netif_rx_response_t *slot, netif_extra_info_t x)
{
	memcpy(slot, &x, sizeof(x));
}

/* n data slots (ids 100+i, grefs 1000+i, offset 0), later ones `each`
 * bytes, the first carrying the total: first_own + (n-1)*each. */
static void tx_chain(netif_tx_request_t *s, unsigned n, uint16_t first_own,
		     uint16_t each)
{
	unsigned i;

	for (i = 0; i < n; i++)
		s[i] = txr(1000 + i, 0, i + 1 < n ? NETTXF_more_data : 0,
			   (uint16_t)(100 + i), each);
	s[0].size = (uint16_t)(first_own + (n - 1) * each);
}

static netif_rx_response_t rxr(uint16_t id, uint16_t offset, uint16_t flags,
			       int16_t status)
{
	netif_rx_response_t r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.offset = offset;
	r.flags = flags;
	r.status = status;
	return r;
}

/* n data responses at ring index first.., ids right, `each` bytes each. */
static void rx_chain(netif_rx_response_t *s, unsigned n, RING_IDX first,
		     unsigned ring_size, int16_t each)
{
	unsigned i;

	for (i = 0; i < n; i++)
		s[i] = rxr((uint16_t)((first + i) & (ring_size - 1)), 0,
			   i + 1 < n ? NETRXF_more_data : 0, each);
}

/* --------------------------------------------------- TX invariants */

static int tx_reason_ok(enum nc_verdict v, enum nc_reason r)
{
	switch (v) {
	case NC_V_OK:
		return r == NC_R_NONE;
	case NC_V_DROP:
		return r == NC_R_TOO_MANY_SLOTS || r == NC_R_SIZE_CHAIN ||
		       r == NC_R_RUNT;
	case NC_V_FATAL:
		return r == NC_R_TRUNCATED || r == NC_R_FATAL_SLOTS ||
		       r == NC_R_CROSS_PAGE || r == NC_R_BAD_EXTRA ||
		       r == NC_R_BAD_GSO;
	default:
		return 0;
	}
}

/* The slots' ids and extra marks, as the parser must have recorded them:
 * slot 0 data, then a run of extras, then data. */
static void tx_check_slots(struct tap *t, const netif_tx_request_t *s,
			   const struct nc_tx_parsed *p)
{
	unsigned i, in_extras = 1;

	CHECK(t, p->slots >= 1);
	CHECK_EQ(t, p->is_extra[0], 0);
	for (i = 0; i < p->slots && i < NC_PARSE_MAX_SLOTS; i++) {
		if (i > 0 && !p->is_extra[i])
			in_extras = 0;
		if (i > 0 && p->is_extra[i] && !in_extras)
			CHECK(t, !"an extra after a data slot");
		if (p->is_extra[i])
			CHECK_EQ(t, p->ids[i], 0);
		else
			CHECK_EQ(t, p->ids[i], s[i].id);
	}
}

/* For an OK frame, rebuild the expected fragment list from the slots:
 * the first's own length is the total minus the later sizes, and
 * zero-length fragments are not listed. */
static void tx_check_frags(struct tap *t, const netif_tx_request_t *s,
			   const struct nc_tx_parsed *p)
{
	struct nc_tx_frag want[NC_PARSE_MAX_SLOTS];
	unsigned i, n = 0;
	uint32_t rest = 0, sum = 0;

	for (i = 1; i < p->slots; i++)
		if (!p->is_extra[i])
			rest += s[i].size;
	CHECK(t, rest <= s[0].size);
	if (s[0].size - rest) {
		want[n].gref = s[0].gref;
		want[n].offset = s[0].offset;
		want[n++].len = (uint16_t)(s[0].size - rest);
	}
	for (i = 1; i < p->slots; i++) {
		if (p->is_extra[i] || s[i].size == 0)
			continue;
		want[n].gref = s[i].gref;
		want[n].offset = s[i].offset;
		want[n++].len = s[i].size;
	}
	CHECK_EQ(t, p->nfrags, n);
	for (i = 0; i < p->nfrags && i < n; i++) {
		CHECK_EQ(t, p->frags[i].gref, want[i].gref);
		CHECK_EQ(t, p->frags[i].offset, want[i].offset);
		CHECK_EQ(t, p->frags[i].len, want[i].len);
		CHECK(t, p->frags[i].len > 0);
		CHECK(t, p->frags[i].offset + p->frags[i].len <= 4096u);
		sum += p->frags[i].len;
	}
	CHECK_EQ(t, sum, p->total);
}

static void tx_invariants(struct tap *t, const netif_tx_request_t *s,
			  unsigned avail, enum nc_verdict v,
			  const struct nc_tx_parsed *p)
{
	CHECK(t, v == NC_V_OK || v == NC_V_DROP || v == NC_V_FATAL);
	CHECK(t, tx_reason_ok(v, p->reason));
	CHECK(t, p->slots <= avail);
	CHECK(t, p->slots <= NC_PARSE_MAX_SLOTS);
	if (v == NC_V_FATAL)
		return;
	tx_check_slots(t, s, p);
	if (v != NC_V_OK)
		return;
	if (p->nmcast_add || p->nmcast_del) {
		CHECK_EQ(t, p->nfrags, 0);
		CHECK_EQ(t, p->total, 0);
		return;
	}
	CHECK(t, p->total >= 14 && p->total <= 65535);
	CHECK_EQ(t, p->total, s[0].size);
	tx_check_frags(t, s, p);
	if (p->flags & NC_FRAME_GSO)
		CHECK(t, p->gso_size > 0 &&
			 (p->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ||
			  p->gso_type == XEN_NETIF_GSO_TYPE_TCPV6));
}

/* Parse, check the input was left alone and the invariants hold. */
static enum nc_verdict tx_run(struct tap *t, const netif_tx_request_t *s,
			      unsigned avail, unsigned max, unsigned fatal,
			      struct nc_tx_parsed *p)
{
	netif_tx_request_t copy[MAXS];
	enum nc_verdict v;

	if (avail <= MAXS)
		memcpy(copy, s, avail * sizeof(*s));
	v = nc_tx_parse(s, avail, max, fatal, p);
	if (avail <= MAXS)
		CHECK(t, memcmp(copy, s, avail * sizeof(*s)) == 0);
	tx_invariants(t, s, avail, v, p);
	return v;
}

#define TX_DEF(t, s, n, p) \
	tx_run((t), (s), (n), NC_TX_MAX_SLOTS, NC_TX_FATAL_SLOTS, (p))

#define EXPECT(t, v, p, verdict, why, nslots) do { \
	CHECK_EQ((t), (v), (verdict)); \
	CHECK_EQ((t), (p).reason, (why)); \
	CHECK_EQ((t), (p).slots, (nslots)); } while (0)

/* --------------------------------------------------- RX invariants */

static int rx_reason_ok(enum nc_verdict v, enum nc_reason r)
{
	switch (v) {
	case NC_V_OK:
	case NC_V_NEED_MORE:
		return r == NC_R_NONE;
	case NC_V_DROP:
		return r == NC_R_BAD_ID || r == NC_R_PEER_ERROR ||
		       r == NC_R_PEER_DROPPED || r == NC_R_BAD_STATUS ||
		       r == NC_R_RUNT || r == NC_R_CROSS_PAGE ||
		       r == NC_R_TOO_MANY_SLOTS || r == NC_R_TOO_BIG ||
		       r == NC_R_BAD_EXTRA || r == NC_R_BAD_GSO;
	default:
		return 0;   /* never FATAL: a backend cannot kill us */
	}
}

static void rx_check_frags(struct tap *t, const netif_rx_response_t *s,
			   RING_IDX first, unsigned ring_size, unsigned max,
			   const struct nc_rx_parsed *p)
{
	unsigned i;
	uint32_t sum = 0;

	CHECK(t, p->nfrags >= 1);
	CHECK(t, p->nfrags <= max && p->nfrags <= NC_PARSE_MAX_SLOTS);
	CHECK_EQ(t, p->frags[0].slot, 0);
	for (i = 0; i < p->nfrags && i < NC_PARSE_MAX_SLOTS; i++) {
		const struct nc_rx_frag *f = &p->frags[i];

		CHECK(t, f->slot < p->slots);
		if (i > 0)
			CHECK(t, f->slot > p->frags[i - 1].slot);
		CHECK(t, f->len > 0 && f->offset + f->len <= 4096u);
		CHECK_EQ(t, f->len, s[f->slot].status);
		CHECK_EQ(t, f->offset, s[f->slot].offset);
		CHECK_EQ(t, s[f->slot].id,
			 (uint16_t)((first + f->slot) & (ring_size - 1)));
		sum += f->len;
	}
	CHECK_EQ(t, sum, p->total);
}

static void rx_invariants(struct tap *t, const netif_rx_response_t *s,
			  unsigned avail, RING_IDX first, unsigned ring_size,
			  unsigned max, enum nc_verdict v,
			  const struct nc_rx_parsed *p)
{
	CHECK(t, rx_reason_ok(v, p->reason));
	if (v == NC_V_NEED_MORE) {
		CHECK_EQ(t, p->slots, 0);
		return;
	}
	CHECK(t, p->slots >= 1 && p->slots <= avail);
	if (v != NC_V_OK)
		return;
	CHECK(t, p->total >= 1 && p->total <= 65535);
	rx_check_frags(t, s, first, ring_size, max, p);
	if (p->flags & NC_FRAME_GSO)
		CHECK(t, p->gso_size > 0 &&
			 (p->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 ||
			  p->gso_type == XEN_NETIF_GSO_TYPE_TCPV6));
}

static enum nc_verdict rx_run(struct tap *t, const netif_rx_response_t *s,
			      unsigned avail, RING_IDX first,
			      unsigned ring_size, unsigned max,
			      struct nc_rx_parsed *p)
{
	netif_rx_response_t copy[MAXS];
	enum nc_verdict v;

	if (avail <= MAXS)
		memcpy(copy, s, avail * sizeof(*s));
	v = nc_rx_parse(s, avail, first, ring_size, max, p);
	if (avail <= MAXS)
		CHECK(t, memcmp(copy, s, avail * sizeof(*s)) == 0);
	rx_invariants(t, s, avail, first, ring_size, max, v, p);
	return v;
}

#define RX_DEF(t, s, n, first, p) \
	rx_run((t), (s), (n), (first), 256, NC_MAX_SLOTS, (p))

/* ================================================= TX: valid frames */

static void test_tx_single_slot(struct tap *t)
{
	netif_tx_request_t s[1] = { txr(7, 100, 0, 42, 60) };
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 1, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 1);
	CHECK_EQ(t, p.total, 60);
	CHECK_EQ(t, p.nfrags, 1);
	CHECK_EQ(t, p.frags[0].gref, 7);
	CHECK_EQ(t, p.frags[0].offset, 100);
	CHECK_EQ(t, p.frags[0].len, 60);
	CHECK_EQ(t, p.ids[0], 42);
	CHECK_EQ(t, p.is_extra[0], 0);
	CHECK_EQ(t, p.flags, 0);
}

static void test_tx_multi_slot(struct tap *t)
{
	netif_tx_request_t s[3] = {
		txr(1, 10, NETTXF_more_data, 5, 3000),   /* total */
		txr(2, 0, NETTXF_more_data, 6, 1000),
		txr(3, 96, 0, 7, 500),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 3, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
	CHECK_EQ(t, p.total, 3000);
	CHECK_EQ(t, p.nfrags, 3);
	CHECK_EQ(t, p.frags[0].len, 1500);   /* total - the rest */
	CHECK_EQ(t, p.frags[0].offset, 10);
	CHECK_EQ(t, p.frags[1].gref, 2);
	CHECK_EQ(t, p.frags[1].len, 1000);
	CHECK_EQ(t, p.frags[2].gref, 3);
	CHECK_EQ(t, p.frags[2].offset, 96);
	CHECK_EQ(t, p.frags[2].len, 500);
	CHECK_EQ(t, p.ids[0], 5);
	CHECK_EQ(t, p.ids[1], 6);
	CHECK_EQ(t, p.ids[2], 7);
}

static void test_tx_slots_after_frame_untouched(struct tap *t)
{
	/* The next frame's slots are published too: not consumed. */
	netif_tx_request_t s[4];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	tx_chain(s, 2, 100, 100);
	s[2] = txr(9, 0, NETTXF_more_data, 1, 4000);
	s[3] = txr(9, 0, 0, 2, 4000);
	v = TX_DEF(t, s, 4, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.total, 200);
}

static void test_tx_18_slots_ok(struct tap *t)
{
	netif_tx_request_t s[18];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	tx_chain(s, 18, 100, 200);
	v = TX_DEF(t, s, 18, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 18);
	CHECK_EQ(t, p.nfrags, 18);
	CHECK_EQ(t, p.total, 100 + 17 * 200);
	CHECK_EQ(t, p.frags[0].len, 100);
	for (i = 1; i < 18; i++)
		CHECK_EQ(t, p.frags[i].gref, 1000 + i);
}

static void test_tx_19_slots_drop(struct tap *t)
{
	netif_tx_request_t s[19];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	tx_chain(s, 19, 100, 200);
	v = TX_DEF(t, s, 19, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_MANY_SLOTS, 19);
	for (i = 0; i < 19; i++) {      /* every slot answerable */
		CHECK_EQ(t, p.ids[i], 100 + i);
		CHECK_EQ(t, p.is_extra[i], 0);
	}
}

static void test_tx_20_slots_fatal(struct tap *t)
{
	netif_tx_request_t s[30];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned n;

	for (n = 20; n <= 30; n += 5) {
		tx_chain(s, n, 100, 100);
		v = TX_DEF(t, s, n, &p);
		CHECK_EQ(t, v, NC_V_FATAL);
		CHECK_EQ(t, p.reason, NC_R_FATAL_SLOTS);
	}
}

static void test_tx_extras_not_counted(struct tap *t)
{
	/* 18 data slots plus 2 extras: 20 ring slots, still fine. */
	netif_tx_request_t d[18], s[20];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	tx_chain(d, 18, 1000, 100);
	s[0] = d[0];
	s[0].flags |= NETTXF_extra_info;
	tx_put_extra(&s[1], xgso(XEN_NETIF_EXTRA_FLAG_MORE, 1448,
				 XEN_NETIF_GSO_TYPE_TCPV4), 0);
	tx_put_extra(&s[2], xtype(XEN_NETIF_EXTRA_TYPE_HASH, 0), 0);
	memcpy(&s[3], &d[1], 17 * sizeof(d[0]));
	v = TX_DEF(t, s, 20, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 20);
	CHECK_EQ(t, p.nfrags, 18);
}

static void test_tx_offset_4095_size_1(struct tap *t)
{
	netif_tx_request_t s[2] = {
		txr(1, 0, NETTXF_more_data, 1, 14),
		txr(2, 4095, 0, 2, 1),
	};
	netif_tx_request_t f[2] = {
		txr(1, 4095, NETTXF_more_data, 1, 14),   /* own length 1 */
		txr(2, 0, 0, 2, 13),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 2, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.frags[1].offset, 4095);
	CHECK_EQ(t, p.frags[1].len, 1);
	v = TX_DEF(t, f, 2, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.frags[0].offset, 4095);
	CHECK_EQ(t, p.frags[0].len, 1);
}

static void test_tx_first_own_len_in_page(struct tap *t)
{
	/* Offset 3000, total 2000: only the first's own length (1000) must
	 * fit the page, not the total. */
	netif_tx_request_t s[2] = {
		txr(1, 3000, NETTXF_more_data, 1, 2000),
		txr(2, 0, 0, 2, 1000),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 2, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.frags[0].len, 1000);
}

static void test_tx_total_14_ok(struct tap *t)
{
	netif_tx_request_t s[1] = { txr(1, 0, 0, 1, 14) };
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 1, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 1);
	CHECK_EQ(t, p.total, 14);
}

static void test_tx_65535_ok(struct tap *t)
{
	/* 15 full pages after a first fragment of 4095 bytes. */
	netif_tx_request_t s[16];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	tx_chain(s, 16, 4095, 4096);
	CHECK_EQ(t, s[0].size, 65535);
	v = TX_DEF(t, s, 16, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 16);
	CHECK_EQ(t, p.total, 65535);
	CHECK_EQ(t, p.frags[0].len, 4095);
	CHECK_EQ(t, p.nfrags, 16);
}

/* ============================================ TX: zero-length (XSA-448) */

static void test_tx_zero_length_later(struct tap *t)
{
	netif_tx_request_t s[3] = {
		txr(1, 0, NETTXF_more_data, 1, 100),
		txr(2, 0, NETTXF_more_data, 2, 0),
		txr(3, 0, 0, 3, 40),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 3, &p);

	/* Accepted, answered (id recorded), never a fragment. */
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
	CHECK_EQ(t, p.ids[1], 2);
	CHECK_EQ(t, p.nfrags, 2);
	CHECK_EQ(t, p.frags[0].len, 60);
	CHECK_EQ(t, p.frags[1].gref, 3);
	CHECK_EQ(t, p.frags[1].len, 40);
}

static void test_tx_zero_length_all_later(struct tap *t)
{
	/* The XSA-448 crash shape: every later fragment empty. */
	netif_tx_request_t s[4] = {
		txr(1, 0, NETTXF_more_data, 1, 60),
		txr(2, 0, NETTXF_more_data, 2, 0),
		txr(3, 0, NETTXF_more_data, 3, 0),
		txr(4, 0, 0, 4, 0),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 4, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 4);
	CHECK_EQ(t, p.nfrags, 1);
	CHECK_EQ(t, p.frags[0].len, 60);
}

static void test_tx_zero_length_first(struct tap *t)
{
	/* total == the rest: the first fragment is empty. */
	netif_tx_request_t s[3] = {
		txr(1, 4000, NETTXF_more_data, 1, 1500),
		txr(2, 0, NETTXF_more_data, 2, 1000),
		txr(3, 8, 0, 3, 500),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 3, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
	CHECK_EQ(t, p.total, 1500);
	CHECK_EQ(t, p.nfrags, 2);
	CHECK_EQ(t, p.frags[0].gref, 2);
	CHECK_EQ(t, p.frags[0].len, 1000);
	CHECK_EQ(t, p.frags[1].gref, 3);
	CHECK_EQ(t, p.frags[1].len, 500);
	CHECK_EQ(t, p.ids[0], 1);
}

/* ============================================ TX: malicious frames */

static void test_tx_size_chain(struct tap *t)
{
	/* The second fragment is bigger than what the total leaves: Linux
	 * drops (buggy frontends send >= 64 KiB frames this way) and
	 * consumes every slot of the chain. */
	netif_tx_request_t s[4] = {
		txr(1, 0, NETTXF_more_data, 1, 1000),
		txr(2, 0, NETTXF_more_data, 2, 800),
		txr(3, 0, NETTXF_more_data, 3, 300),    /* 300 > 200 */
		txr(4, 0, 0, 4, 100),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 4, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_SIZE_CHAIN, 4);
	CHECK_EQ(t, p.ids[3], 4);
}

static void test_tx_size_chain_still_checks_pages(struct tap *t)
{
	/* Dropping does not stop the hostile checks. */
	netif_tx_request_t s[3] = {
		txr(1, 0, NETTXF_more_data, 1, 100),
		txr(2, 0, NETTXF_more_data, 2, 200),
		txr(3, 4000, 0, 3, 200),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 3, &p);

	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_CROSS_PAGE);
}

static void test_tx_cross_page_first(struct tap *t)
{
	netif_tx_request_t s[1] = { txr(1, 4000, 0, 1, 200) };
	netif_tx_request_t m[2] = {
		txr(1, 3000, NETTXF_more_data, 1, 2000),   /* own 1500 */
		txr(2, 0, 0, 2, 500),
	};
	netif_tx_request_t z[2] = {
		txr(1, 5000, NETTXF_more_data, 1, 500),    /* own 0, off 5000 */
		txr(2, 0, 0, 2, 500),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 1, &p);

	EXPECT(t, v, p, NC_V_FATAL, NC_R_CROSS_PAGE, 1);
	v = TX_DEF(t, m, 2, &p);
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_CROSS_PAGE);
	v = TX_DEF(t, z, 2, &p);     /* Linux checks offset + size anyway */
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_CROSS_PAGE);
}

static void test_tx_cross_page_later(struct tap *t)
{
	netif_tx_request_t s[3] = {
		txr(1, 0, NETTXF_more_data, 1, 1000),
		txr(2, 4000, NETTXF_more_data, 2, 97),     /* 4097 */
		txr(3, 0, 0, 3, 100),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 3, &p);

	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_CROSS_PAGE);
}

static void test_tx_fatal_beats_drop(struct tap *t)
{
	/* 19 slots (drop) whose last crosses a page (fatal): fatal. */
	netif_tx_request_t s[19];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	tx_chain(s, 19, 100, 100);
	s[18].offset = 4090;
	v = TX_DEF(t, s, 19, &p);
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_CROSS_PAGE);
}

static void test_tx_truncated(struct tap *t)
{
	netif_tx_request_t s[3];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	tx_chain(s, 3, 100, 100);
	v = TX_DEF(t, s, 2, &p);   /* the third is not published */
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_TRUNCATED);
	CHECK(t, p.slots <= 2);
	v = TX_DEF(t, s, 1, &p);
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_TRUNCATED);
	CHECK(t, p.slots <= 1);
}

static void test_tx_avail_zero(struct tap *t)
{
	netif_tx_request_t s[1] = { txr(1, 0, 0, 1, 60) };
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 0, &p);

	EXPECT(t, v, p, NC_V_FATAL, NC_R_TRUNCATED, 0);
}

static void test_tx_runt(struct tap *t)
{
	netif_tx_request_t s[1] = { txr(1, 0, 0, 1, 13) };
	netif_tx_request_t m[2] = {
		txr(1, 0, NETTXF_more_data, 1, 10),
		txr(2, 0, 0, 2, 6),
	};
	netif_tx_request_t z[1] = { txr(1, 0, 0, 1, 0) };
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 1, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_RUNT, 1);
	CHECK_EQ(t, p.ids[0], 1);
	v = TX_DEF(t, m, 2, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_RUNT, 2);
	v = TX_DEF(t, z, 1, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_RUNT, 1);
}

/* ================================================= TX: extra info */

static void test_tx_gso(struct tap *t)
{
	const uint8_t types[2] = { XEN_NETIF_GSO_TYPE_TCPV4,
				   XEN_NETIF_GSO_TYPE_TCPV6 };
	netif_tx_request_t s[4];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	for (i = 0; i < 2; i++) {
		s[0] = txr(1, 0, NETTXF_extra_info | NETTXF_more_data |
			   NETTXF_csum_blank, 11, 9000);
		tx_put_extra(&s[1], xgso(0, 1448, types[i]), 0xaa);
		s[2] = txr(2, 0, NETTXF_more_data, 12, 4096);
		s[3] = txr(3, 0, 0, 13, 4096);
		v = TX_DEF(t, s, 4, &p);
		EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 4);
		CHECK_EQ(t, p.flags, NC_FRAME_GSO | NC_FRAME_CSUM_BLANK);
		CHECK_EQ(t, p.gso_size, 1448);
		CHECK_EQ(t, p.gso_type, types[i]);
		CHECK_EQ(t, p.is_extra[1], 1);
		CHECK_EQ(t, p.ids[1], 0);
		CHECK_EQ(t, p.ids[2], 12);
		CHECK_EQ(t, p.nfrags, 3);
		CHECK_EQ(t, p.frags[0].len, 9000 - 8192);
		CHECK_EQ(t, p.frags[1].gref, 2);
	}
}

static void test_tx_gso_size_zero(struct tap *t)
{
	netif_tx_request_t s[2];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	s[0] = txr(1, 0, NETTXF_extra_info, 1, 1000);
	tx_put_extra(&s[1], xgso(0, 0, XEN_NETIF_GSO_TYPE_TCPV4), 0);
	v = TX_DEF(t, s, 2, &p);
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_BAD_GSO);
}

static void test_tx_gso_bad_type(struct tap *t)
{
	const uint8_t bad[3] = { XEN_NETIF_GSO_TYPE_NONE, 3, 255 };
	netif_tx_request_t s[2];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	for (i = 0; i < 3; i++) {
		s[0] = txr(1, 0, NETTXF_extra_info, 1, 1000);
		tx_put_extra(&s[1], xgso(0, 1448, bad[i]), 0);
		v = TX_DEF(t, s, 2, &p);
		CHECK_EQ(t, v, NC_V_FATAL);
		CHECK_EQ(t, p.reason, NC_R_BAD_GSO);
	}
}

static void test_tx_extra_type_zero(struct tap *t)
{
	netif_tx_request_t s[2];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	s[0] = txr(1, 0, NETTXF_extra_info, 1, 1000);
	tx_put_extra(&s[1], xtype(XEN_NETIF_EXTRA_TYPE_NONE, 0), 0);
	v = TX_DEF(t, s, 2, &p);
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_BAD_EXTRA);
}

static void test_tx_extra_type_max(struct tap *t)
{
	const uint8_t bad[3] = { XEN_NETIF_EXTRA_TYPE_MAX, 6, 255 };
	netif_tx_request_t s[3];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	for (i = 0; i < 3; i++) {
		s[0] = txr(1, 0, NETTXF_extra_info, 1, 1000);
		tx_put_extra(&s[1], xtype(XEN_NETIF_EXTRA_TYPE_HASH,
					  XEN_NETIF_EXTRA_FLAG_MORE), 0);
		tx_put_extra(&s[2], xtype(bad[i], 0), 0);
		v = TX_DEF(t, s, 3, &p);
		CHECK_EQ(t, v, NC_V_FATAL);
		CHECK_EQ(t, p.reason, NC_R_BAD_EXTRA);
	}
}

static void test_tx_chained_extras(struct tap *t)
{
	netif_tx_request_t s[5];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	s[0] = txr(1, 0, NETTXF_extra_info | NETTXF_more_data, 1, 3000);
	tx_put_extra(&s[1], xtype(XEN_NETIF_EXTRA_TYPE_HASH,
				  XEN_NETIF_EXTRA_FLAG_MORE), 0xff);
	tx_put_extra(&s[2], xgso(0, 1400, XEN_NETIF_GSO_TYPE_TCPV6), 0xff);
	s[3] = txr(2, 0, 0, 2, 1000);
	s[4] = txr(9, 0, 0, 9, 60);          /* next frame */
	v = TX_DEF(t, s, 5, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 4);
	CHECK_EQ(t, p.is_extra[0], 0);
	CHECK_EQ(t, p.is_extra[1], 1);
	CHECK_EQ(t, p.is_extra[2], 1);
	CHECK_EQ(t, p.is_extra[3], 0);
	CHECK_EQ(t, p.ids[3], 2);
	CHECK_EQ(t, p.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
	CHECK_EQ(t, p.nfrags, 2);
	CHECK_EQ(t, p.frags[0].len, 2000);
}

static void test_tx_extra_flags_not_more_data(struct tap *t)
{
	/* An extra's bytes 6-7 (gso.features) overlay a request's flags:
	 * more_data there must not continue the frame. */
	netif_tx_request_t s[3];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	netif_extra_info_t x = xgso(0, 1448, XEN_NETIF_GSO_TYPE_TCPV4);

	x.u.gso.features = NETTXF_more_data | NETTXF_extra_info;
	s[0] = txr(1, 0, NETTXF_extra_info, 1, 100);
	tx_put_extra(&s[1], x, 0);
	s[2] = txr(2, 0, 0, 2, 100);
	v = TX_DEF(t, s, 3, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
}

static void test_tx_later_flags(struct tap *t)
{
	/* Only the first request's extra_info and csum bits count; on a
	 * later request only more_data does (netif.h). */
	netif_tx_request_t s[3] = {
		txr(1, 0, NETTXF_more_data, 1, 200),
		txr(2, 0, NETTXF_extra_info | NETTXF_csum_blank, 2, 100),
		txr(3, 0, 0, 3, 60),
	};
	struct nc_tx_parsed p;
	enum nc_verdict v = TX_DEF(t, s, 3, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.flags, 0);
	CHECK_EQ(t, p.is_extra[1], 0);
}

static void test_tx_mcast(struct tap *t)
{
	netif_tx_request_t s[4];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	/* A dummy request, as the filter protocol sends it: size 0. */
	s[0] = txr(0, 0, NETTXF_extra_info, 3, 0);
	tx_put_extra(&s[1], xmcast(XEN_NETIF_EXTRA_TYPE_MCAST_ADD,
				   XEN_NETIF_EXTRA_FLAG_MORE, 1), 0);
	tx_put_extra(&s[2], xmcast(XEN_NETIF_EXTRA_TYPE_MCAST_ADD,
				   XEN_NETIF_EXTRA_FLAG_MORE, 2), 0);
	tx_put_extra(&s[3], xmcast(XEN_NETIF_EXTRA_TYPE_MCAST_DEL, 0, 9), 0);
	v = TX_DEF(t, s, 4, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 4);
	CHECK_EQ(t, p.nmcast_add, 2);
	CHECK_EQ(t, p.nmcast_del, 1);
	CHECK_EQ(t, p.mcast_add[0], 0x01);
	CHECK_EQ(t, p.mcast_add[2], 0x5e);
	CHECK_EQ(t, p.mcast_add[5], 2);      /* the last one */
	CHECK_EQ(t, p.mcast_del[5], 9);
	CHECK_EQ(t, p.nfrags, 0);
	CHECK_EQ(t, p.total, 0);
	CHECK_EQ(t, p.ids[0], 3);
	CHECK_EQ(t, p.is_extra[3], 1);
}

static void test_tx_mcast_ignores_data_chain(struct tap *t)
{
	/* Linux answers the dummy and its extras only; more_data on it does
	 * not pull in the next request. */
	netif_tx_request_t s[3];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	s[0] = txr(0, 0, NETTXF_extra_info | NETTXF_more_data, 3, 0);
	tx_put_extra(&s[1], xmcast(XEN_NETIF_EXTRA_TYPE_MCAST_DEL, 0, 4), 0);
	s[2] = txr(1, 0, 0, 4, 60);
	v = TX_DEF(t, s, 3, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.nmcast_del, 1);
	CHECK_EQ(t, p.nmcast_add, 0);
}

static void test_tx_extra_truncated(struct tap *t)
{
	netif_tx_request_t s[3];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	s[0] = txr(1, 0, NETTXF_extra_info, 1, 100);
	v = TX_DEF(t, s, 1, &p);          /* no extra published at all */
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_TRUNCATED);
	tx_put_extra(&s[1], xgso(XEN_NETIF_EXTRA_FLAG_MORE, 1448,
				 XEN_NETIF_GSO_TYPE_TCPV4), 0);
	v = TX_DEF(t, s, 2, &p);          /* FLAG_MORE on the last slot */
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_TRUNCATED);
	CHECK(t, p.slots <= 2);
}

static void test_tx_extra_chain_too_long(struct tap *t)
{
	netif_tx_request_t s[12];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	s[0] = txr(1, 0, NETTXF_extra_info, 1, 100);
	for (i = 1; i < 12; i++)
		tx_put_extra(&s[i], xtype(XEN_NETIF_EXTRA_TYPE_HASH,
					  XEN_NETIF_EXTRA_FLAG_MORE), 0);
	tx_put_extra(&s[8], xtype(XEN_NETIF_EXTRA_TYPE_HASH, 0), 0);
	s[9] = txr(2, 0, 0, 2, 60);
	v = TX_DEF(t, s, 12, &p);         /* 8 extras: the most allowed */
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 9);
	tx_put_extra(&s[8], xtype(XEN_NETIF_EXTRA_TYPE_HASH,
				  XEN_NETIF_EXTRA_FLAG_MORE), 0);
	v = TX_DEF(t, s, 12, &p);         /* 9 or more: hostile */
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_BAD_EXTRA);
}

static void test_tx_drop_with_extras(struct tap *t)
{
	/* A dropped frame with extras: every slot described for answers. */
	netif_tx_request_t s[5];
	struct nc_tx_parsed p;
	enum nc_verdict v;

	s[0] = txr(1, 0, NETTXF_extra_info | NETTXF_more_data, 21, 100);
	tx_put_extra(&s[1], xgso(XEN_NETIF_EXTRA_FLAG_MORE, 1448,
				 XEN_NETIF_GSO_TYPE_TCPV4), 0x55);
	tx_put_extra(&s[2], xtype(XEN_NETIF_EXTRA_TYPE_HASH, 0), 0x55);
	s[3] = txr(2, 0, NETTXF_more_data, 22, 200);   /* > 100 left */
	s[4] = txr(3, 0, 0, 23, 10);
	v = TX_DEF(t, s, 5, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_SIZE_CHAIN, 5);
	CHECK_EQ(t, p.is_extra[1], 1);
	CHECK_EQ(t, p.is_extra[2], 1);
	CHECK_EQ(t, p.ids[0], 21);
	CHECK_EQ(t, p.ids[3], 22);
	CHECK_EQ(t, p.ids[4], 23);
}

/* ======================================== TX: flags and clamping */

static void test_tx_csum_flags(struct tap *t)
{
	netif_tx_request_t s[1];
	struct nc_tx_parsed p;

	/* TX: csum_blank is bit 0, data_validated bit 1. */
	s[0] = txr(1, 0, 1u << 0, 1, 60);
	TX_DEF(t, s, 1, &p);
	CHECK_EQ(t, p.flags, NC_FRAME_CSUM_BLANK);
	s[0] = txr(1, 0, 1u << 1, 1, 60);
	TX_DEF(t, s, 1, &p);
	CHECK_EQ(t, p.flags, NC_FRAME_DATA_VALIDATED);
	s[0] = txr(1, 0, NETTXF_csum_blank | NETTXF_data_validated, 1, 60);
	TX_DEF(t, s, 1, &p);
	CHECK_EQ(t, p.flags, NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED);
}

static void test_tx_clamped_thresholds(struct tap *t)
{
	/* Whatever the caller passes, 24 data slots plus 8 extras is the
	 * most one frame records; more data slots are fatal. */
	netif_tx_request_t d[40], s[48];
	struct nc_tx_parsed p;
	enum nc_verdict v;
	unsigned i;

	tx_chain(d, 24, 100, 10);
	s[0] = d[0];
	s[0].flags |= NETTXF_extra_info;
	for (i = 1; i <= 8; i++)
		tx_put_extra(&s[i], xtype(XEN_NETIF_EXTRA_TYPE_HASH,
			     i < 8 ? XEN_NETIF_EXTRA_FLAG_MORE : 0), 0);
	memcpy(&s[9], &d[1], 23 * sizeof(d[0]));
	v = tx_run(t, s, 32, UINT_MAX, UINT_MAX, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 32);
	CHECK_EQ(t, p.nfrags, 24);

	tx_chain(d, 40, 100, 10);
	v = tx_run(t, d, 40, 1000, 1000, &p);
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_FATAL_SLOTS);
	v = tx_run(t, d, 40, 30, 0, &p);      /* nothing may pass */
	CHECK_EQ(t, v, NC_V_FATAL);
	v = tx_run(t, d, 3, 0, 20, &p);       /* truncated before counted */
	CHECK_EQ(t, v, NC_V_FATAL);
	CHECK_EQ(t, p.reason, NC_R_TRUNCATED);
	tx_chain(d, 2, 100, 10);
	v = tx_run(t, d, 2, 1, 20, &p);       /* caller's smaller max */
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_MANY_SLOTS, 2);
}

/* ================================================= RX: valid frames */

static void test_rx_single(struct tap *t)
{
	netif_rx_response_t s[1] = { rxr(5, 0, 0, 60) };
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 1, 5, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 1);
	CHECK_EQ(t, p.total, 60);
	CHECK_EQ(t, p.nfrags, 1);
	CHECK_EQ(t, p.frags[0].slot, 0);
	CHECK_EQ(t, p.frags[0].len, 60);
}

static void test_rx_more_data_chain(struct tap *t)
{
	netif_rx_response_t s[4];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	s[0] = rxr(10, 64, NETRXF_more_data, 4000);
	s[1] = rxr(11, 0, NETRXF_more_data, 4096);
	s[2] = rxr(12, 100, 0, 904);
	s[3] = rxr(13, 0, 0, 60);                 /* the next frame */
	v = RX_DEF(t, s, 4, 10, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
	CHECK_EQ(t, p.total, 9000);
	CHECK_EQ(t, p.nfrags, 3);
	CHECK_EQ(t, p.frags[0].offset, 64);
	CHECK_EQ(t, p.frags[1].slot, 1);
	CHECK_EQ(t, p.frags[2].slot, 2);
	CHECK_EQ(t, p.frags[2].offset, 100);
	CHECK_EQ(t, p.frags[2].len, 904);
}

static void test_rx_offset_4000_status_96(struct tap *t)
{
	netif_rx_response_t s[1] = { rxr(0, 4000, 0, 96) };
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 1, 0, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 1);
	CHECK_EQ(t, p.total, 96);
}

static void test_rx_zero_length_later(struct tap *t)
{
	netif_rx_response_t s[3];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	s[0] = rxr(0, 0, NETRXF_more_data, 100);
	s[1] = rxr(1, 0, NETRXF_more_data, 0);
	s[2] = rxr(2, 0, 0, 50);
	v = RX_DEF(t, s, 3, 0, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
	CHECK_EQ(t, p.total, 150);
	CHECK_EQ(t, p.nfrags, 2);
	CHECK_EQ(t, p.frags[1].slot, 2);
}

static void test_rx_total_65535(struct tap *t)
{
	netif_rx_response_t s[17];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 17, 0, 256, 4096);
	s[16].status = 4095;          /* 16 * 4096 + 4095: 69631 */
	v = RX_DEF(t, s, 17, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_BIG, 17);
	rx_chain(s, 16, 0, 256, 4096);
	s[15].status = 4095;
	v = RX_DEF(t, s, 16, 0, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 16);
	CHECK_EQ(t, p.total, 65535);
}

static void test_rx_later_flags(struct tap *t)
{
	/* Only the first response's extra_info and csum bits count; on a
	 * later one only more_data does (netif.h). */
	netif_rx_response_t s[3] = {
		rxr(0, 0, NETRXF_more_data, 200),
		rxr(1, 0, NETRXF_extra_info | NETRXF_csum_blank, 100),
		rxr(2, 0, 0, 60),
	};
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 3, 0, &p);

	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.flags, 0);
	CHECK_EQ(t, p.total, 300);
}

static void test_rx_gso(struct tap *t)
{
	const uint8_t types[2] = { XEN_NETIF_GSO_TYPE_TCPV4,
				   XEN_NETIF_GSO_TYPE_TCPV6 };
	netif_rx_response_t s[3];
	struct nc_rx_parsed p;
	enum nc_verdict v;
	unsigned i;

	for (i = 0; i < 2; i++) {
		s[0] = rxr(20, 0, NETRXF_extra_info | NETRXF_more_data |
			   NETRXF_csum_blank, 4096);
		rx_put_extra(&s[1], xgso(0, 1448, types[i]));
		s[2] = rxr(22, 0, 0, 3000);
		v = RX_DEF(t, s, 3, 20, &p);
		EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
		CHECK_EQ(t, p.flags, NC_FRAME_GSO | NC_FRAME_CSUM_BLANK);
		CHECK_EQ(t, p.gso_size, 1448);
		CHECK_EQ(t, p.gso_type, types[i]);
		CHECK_EQ(t, p.total, 7096);
		CHECK_EQ(t, p.nfrags, 2);
		CHECK_EQ(t, p.frags[1].slot, 2);
	}
}

static void test_rx_gso_one_data_slot(struct tap *t)
{
	/* A GSO frame in one buffer: extra_info without more_data, the
	 * extra in the next slot ends the frame (netback's placement). */
	netif_rx_response_t s[3];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	s[0] = rxr(5, 0, NETRXF_extra_info | NETRXF_csum_blank |
		   NETRXF_data_validated, 3000);
	rx_put_extra(&s[1], xgso(0, 1000, XEN_NETIF_GSO_TYPE_TCPV6));
	s[2] = rxr(7, 0, 0, 60);             /* the next frame's */
	v = RX_DEF(t, s, 3, 5, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 2);
	CHECK_EQ(t, p.flags, NC_FRAME_GSO | NC_FRAME_CSUM_BLANK |
			     NC_FRAME_DATA_VALIDATED);
	CHECK_EQ(t, p.gso_size, 1000);
	CHECK_EQ(t, p.gso_type, XEN_NETIF_GSO_TYPE_TCPV6);
	CHECK_EQ(t, p.total, 3000);
	CHECK_EQ(t, p.nfrags, 1);
	/* the extra not yet published: wait for it */
	v = RX_DEF(t, s, 1, 5, &p);
	CHECK_EQ(t, v, NC_V_NEED_MORE);
}

static void test_rx_extras_not_counted(struct tap *t)
{
	/* 18 data slots plus an extra: fine, extras are not data slots. */
	netif_rx_response_t d[18], s[19];
	struct nc_rx_parsed p;
	enum nc_verdict v;
	unsigned i;

	rx_chain(d, 18, 0, 256, 1000);
	s[0] = d[0];
	s[0].flags |= NETRXF_extra_info;
	rx_put_extra(&s[1], xgso(0, 1448, XEN_NETIF_GSO_TYPE_TCPV4));
	for (i = 1; i < 18; i++) {
		s[i + 1] = d[i];
		s[i + 1].id = (uint16_t)(i + 1);   /* ids follow ring slots */
	}
	v = RX_DEF(t, s, 19, 0, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 19);
	CHECK_EQ(t, p.nfrags, 18);
	CHECK_EQ(t, p.total, 18000);
}

static void test_rx_csum_flags(struct tap *t)
{
	netif_rx_response_t s[1];
	struct nc_rx_parsed p;

	/* RX: data_validated is bit 0, csum_blank bit 1 - swapped from TX. */
	s[0] = rxr(0, 0, 1u << 0, 60);
	RX_DEF(t, s, 1, 0, &p);
	CHECK_EQ(t, p.flags, NC_FRAME_DATA_VALIDATED);
	s[0] = rxr(0, 0, 1u << 1, 60);
	RX_DEF(t, s, 1, 0, &p);
	CHECK_EQ(t, p.flags, NC_FRAME_CSUM_BLANK);
	s[0] = rxr(0, 0, NETRXF_csum_blank | NETRXF_data_validated, 60);
	RX_DEF(t, s, 1, 0, &p);
	CHECK_EQ(t, p.flags, NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED);
}

static void test_rx_wraparound(struct tap *t)
{
	/* Ring indices 0xFFFFFFFE, 0xFFFFFFFF, 0, 1: slots 254, 255, 0, 1. */
	netif_rx_response_t s[4];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 4, 0xFFFFFFFEu, 256, 100);
	CHECK_EQ(t, s[2].id, 0);
	v = RX_DEF(t, s, 4, 0xFFFFFFFEu, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 4);
	CHECK_EQ(t, p.total, 400);
	s[2].id = 256;              /* unwrapped: wrong */
	v = RX_DEF(t, s, 4, 0xFFFFFFFEu, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_ID, 4);
}

/* ============================================= RX: malicious frames */

static void test_rx_bad_id(struct tap *t)
{
	netif_rx_response_t s[2] = {
		rxr(7, 0, NETRXF_more_data, 100),
		rxr(7, 0, 0, 100),           /* should be 8 */
	};
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 2, 7, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_ID, 2);
	s[1].id = 8;
	s[0].id = 7 + 256;           /* ids are slot numbers, < ring size */
	v = RX_DEF(t, s, 2, 7, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_ID, 2);
}

static void test_rx_status_error(struct tap *t)
{
	netif_rx_response_t s[1] = { rxr(0, 0, 0, NETIF_RSP_ERROR) };
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 1, 0, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_PEER_ERROR, 1);
}

static void test_rx_status_dropped(struct tap *t)
{
	netif_rx_response_t s[2] = {
		rxr(0, 0, NETRXF_more_data, 100),
		rxr(1, 0, 0, NETIF_RSP_DROPPED),
	};
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 2, 0, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_PEER_DROPPED, 2);
}

static void test_rx_status_other_negative(struct tap *t)
{
	const int16_t bad[3] = { -32768, -3, -100 };
	netif_rx_response_t s[1];
	struct nc_rx_parsed p;
	enum nc_verdict v;
	unsigned i;

	for (i = 0; i < 3; i++) {
		s[0] = rxr(0, 0, 0, bad[i]);
		v = RX_DEF(t, s, 1, 0, &p);
		EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_STATUS, 1);
	}
}

static void test_rx_status_zero_first(struct tap *t)
{
	netif_rx_response_t s[2] = {
		rxr(0, 0, NETRXF_more_data, 0),
		rxr(1, 0, 0, 100),
	};
	netif_rx_response_t one[1] = { rxr(0, 0, 0, 0) };
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 2, 0, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_RUNT, 2);
	v = RX_DEF(t, one, 1, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_RUNT, 1);
}

static void test_rx_cross_page(struct tap *t)
{
	netif_rx_response_t s[1] = { rxr(0, 4000, 0, 97) };
	netif_rx_response_t m[2] = {
		rxr(0, 0, NETRXF_more_data, 100),
		rxr(1, 4095, 0, 2),
	};
	netif_rx_response_t big[1] = { rxr(0, 0, 0, 32767) };
	struct nc_rx_parsed p;
	enum nc_verdict v = RX_DEF(t, s, 1, 0, &p);

	EXPECT(t, v, p, NC_V_DROP, NC_R_CROSS_PAGE, 1);
	v = RX_DEF(t, m, 2, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_CROSS_PAGE, 2);
	v = RX_DEF(t, big, 1, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_CROSS_PAGE, 1);
}

static void test_rx_too_many_slots(struct tap *t)
{
	netif_rx_response_t s[19];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 19, 0, 256, 100);
	v = RX_DEF(t, s, 19, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_MANY_SLOTS, 19);
	v = RX_DEF(t, s + 1, 18, 1, &p);      /* the last 18: fine */
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 18);
}

static void test_rx_too_big(struct tap *t)
{
	netif_rx_response_t s[17];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 17, 0, 256, 4096);        /* 69632 bytes */
	v = RX_DEF(t, s, 17, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_BIG, 17);
	rx_chain(s, 16, 0, 256, 4096);        /* 65536 bytes: one too many */
	v = RX_DEF(t, s, 16, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_BIG, 16);
	rx_chain(s, 17, 0, 256, 3856);        /* 65552 bytes */
	v = RX_DEF(t, s, 17, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_BIG, 17);
}

static void test_rx_need_more(struct tap *t)
{
	netif_rx_response_t s[3];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 3, 0, 256, 100);
	v = RX_DEF(t, s, 2, 0, &p);
	EXPECT(t, v, p, NC_V_NEED_MORE, NC_R_NONE, 0);
	v = RX_DEF(t, s, 0, 0, &p);
	EXPECT(t, v, p, NC_V_NEED_MORE, NC_R_NONE, 0);
	v = RX_DEF(t, s, 3, 0, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
}

static void test_rx_extra_truncated(struct tap *t)
{
	netif_rx_response_t s[3];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	s[0] = rxr(0, 0, NETRXF_extra_info, 100);
	v = RX_DEF(t, s, 1, 0, &p);
	EXPECT(t, v, p, NC_V_NEED_MORE, NC_R_NONE, 0);
	rx_put_extra(&s[1], xgso(XEN_NETIF_EXTRA_FLAG_MORE, 1448,
				 XEN_NETIF_GSO_TYPE_TCPV4));
	v = RX_DEF(t, s, 2, 0, &p);           /* FLAG_MORE on the last */
	EXPECT(t, v, p, NC_V_NEED_MORE, NC_R_NONE, 0);
	rx_put_extra(&s[2], xtype(XEN_NETIF_EXTRA_TYPE_HASH, 0));
	v = RX_DEF(t, s, 3, 0, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 3);
}

static void test_rx_gso_bad(struct tap *t)
{
	netif_rx_response_t s[3];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	s[0] = rxr(0, 0, NETRXF_extra_info | NETRXF_more_data, 1000);
	rx_put_extra(&s[1], xgso(0, 0, XEN_NETIF_GSO_TYPE_TCPV4));
	s[2] = rxr(2, 0, 0, 1000);
	v = RX_DEF(t, s, 3, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_GSO, 3);
	rx_put_extra(&s[1], xgso(0, 1448, 7));
	v = RX_DEF(t, s, 3, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_GSO, 3);
}

static void test_rx_bad_extra_type(struct tap *t)
{
	const uint8_t bad[3] = { XEN_NETIF_EXTRA_TYPE_NONE,
				 XEN_NETIF_EXTRA_TYPE_MAX, 200 };
	netif_rx_response_t s[4];
	struct nc_rx_parsed p;
	enum nc_verdict v;
	unsigned i;

	for (i = 0; i < 3; i++) {
		/* The chain is still followed: every slot consumed. */
		s[0] = rxr(0, 0, NETRXF_extra_info | NETRXF_more_data, 1000);
		rx_put_extra(&s[1], xtype(bad[i], XEN_NETIF_EXTRA_FLAG_MORE));
		rx_put_extra(&s[2], xgso(0, 1448, XEN_NETIF_GSO_TYPE_TCPV4));
		s[3] = rxr(3, 0, 0, 1000);
		v = RX_DEF(t, s, 4, 0, &p);
		EXPECT(t, v, p, NC_V_DROP, NC_R_BAD_EXTRA, 4);
	}
}

static void test_rx_drop_consumes_chain(struct tap *t)
{
	/* An error in the middle: the rest of the chain is consumed too,
	 * and the first fault met in ring order is the reason. */
	netif_rx_response_t s[5];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 4, 0, 256, 100);
	s[1].status = NETIF_RSP_ERROR;
	s[1].flags = NETRXF_more_data;
	s[2].offset = 4090;                   /* a second fault */
	s[4] = rxr(4, 0, 0, 60);
	v = RX_DEF(t, s, 5, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_PEER_ERROR, 4);
	v = RX_DEF(t, s, 3, 0, &p);           /* not all there yet */
	EXPECT(t, v, p, NC_V_NEED_MORE, NC_R_NONE, 0);
}

static void test_rx_ring_full_never_waits(struct tap *t)
{
	/* Every slot of an 8-slot ring in one unfinished frame: the backend
	 * has no request left to finish it with, so waiting would hang. */
	netif_rx_response_t s[8];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 8, 3, 8, 100);
	s[7].flags = NETRXF_more_data;
	v = rx_run(t, s, 8, 3, 8, 18, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_MANY_SLOTS, 8);
	v = rx_run(t, s, 7, 3, 8, 18, &p);
	EXPECT(t, v, p, NC_V_NEED_MORE, NC_R_NONE, 0);
}

static void test_rx_clamped_max(struct tap *t)
{
	netif_rx_response_t s[40];
	struct nc_rx_parsed p;
	enum nc_verdict v;

	rx_chain(s, 32, 0, 256, 100);
	v = rx_run(t, s, 32, 0, 256, UINT_MAX, &p);
	EXPECT(t, v, p, NC_V_OK, NC_R_NONE, 32);
	CHECK_EQ(t, p.nfrags, 32);
	rx_chain(s, 40, 0, 256, 100);
	v = rx_run(t, s, 40, 0, 256, 1000, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_MANY_SLOTS, 40);
	v = rx_run(t, s, 40, 0, 256, 0, &p);
	EXPECT(t, v, p, NC_V_DROP, NC_R_TOO_MANY_SLOTS, 40);
}

/* ===================================================== reason names */

static void test_reason_names(struct tap *t)
{
	int i, j;

	for (i = 0; i < NC_R_MAX; i++) {
		const char *a = nc_reason_name((enum nc_reason)i);

		CHECK(t, a != NULL && a[0] != '\0');
		if (a == NULL)
			continue;
		CHECK(t, strcmp(a, "unknown") != 0);
		for (j = 0; j < i; j++) {
			const char *b = nc_reason_name((enum nc_reason)j);

			if (b && strcmp(a, b) == 0)
				tap_diag("reasons %d and %d share \"%s\"",
					 j, i, a);
			CHECK(t, b == NULL || strcmp(a, b) != 0);
		}
	}
	CHECK(t, strcmp(nc_reason_name(NC_R_BAD_GREF), "bad-gref") == 0);
	CHECK(t, nc_reason_name(NC_R_MAX) != NULL);
	CHECK(t, nc_reason_name((enum nc_reason)-1) != NULL);
	CHECK(t, nc_reason_name((enum nc_reason)1000) != NULL);
}

/* ====================================================== random input */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t pick(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static uint16_t rnd_offset(void)
{
	switch (pick(5)) {
	case 0: return 0;
	case 1: return (uint16_t)pick(4097);
	case 2: return (uint16_t)(4096 - pick(64));
	case 3: return (uint16_t)rnd();
	default: return (uint16_t)pick(256);
	}
}

static void rnd_extra(netif_extra_info_t *x, int more)
{
	memset(x, 0, sizeof(*x));
	x->type = (uint8_t)(pick(8) ? 1 + pick(4) : pick(256));
	x->flags = more ? XEN_NETIF_EXTRA_FLAG_MORE : 0;
	x->u.gso.size = (uint16_t)(pick(8) ? 1 + pick(9000) : 0);
	x->u.gso.type = (uint8_t)(pick(8) ? 1 + pick(2) : pick(256));
}

static void mutate(void *buf, size_t len)
{
	unsigned n = pick(4), i;
	uint8_t *b = buf;

	for (i = 0; i < n && len; i++)
		b[pick((uint32_t)len)] ^= (uint8_t)(1u << pick(8));
}

/* A plausible TX frame (or a few), then some bit flips. */
static unsigned gen_tx(netif_tx_request_t *s, unsigned cap)
{
	unsigned n = 0, ndata, nextra, i;
	uint32_t rest = 0;

	while (n < cap && pick(3) != 0) {
		unsigned start = n;

		ndata = 1 + pick(pick(4) ? 6 : 30);
		nextra = pick(3) ? 0 : 1 + pick(pick(4) ? 3 : 10);
		if (n + ndata + nextra > cap)
			break;
		s[n++] = txr(rnd(), rnd_offset(),
			     (uint16_t)((ndata > 1 ? NETTXF_more_data : 0) |
					(nextra ? NETTXF_extra_info : 0) |
					pick(4)), (uint16_t)rnd(), 0);
		for (i = 0; i < nextra; i++) {
			netif_extra_info_t x;

			rnd_extra(&x, i + 1 < nextra);
			tx_put_extra(&s[n++], x, (uint8_t)rnd());
		}
		rest = 0;
		for (i = 1; i < ndata; i++) {
			uint16_t sz = (uint16_t)(pick(6) ? pick(4097) : 0);

			s[n++] = txr(rnd(), (uint16_t)(pick(3) ? 0 :
				     pick(4096 - sz + 1)),
				     i + 1 < ndata ? NETTXF_more_data : 0,
				     (uint16_t)rnd(), sz);
			rest += sz;
		}
		rest += pick(4) ? pick(4097 - s[start].offset % 4097) : rnd();
		s[start].size = (uint16_t)rest;
	}
	for (; n < cap && pick(2); n++)
		s[n] = txr(rnd(), (uint16_t)rnd(), (uint16_t)rnd(),
			   (uint16_t)rnd(), (uint16_t)rnd());
	mutate(s, n * sizeof(*s));
	return n;
}

static unsigned rnd_threshold(unsigned def)
{
	switch (pick(8)) {
	case 0: return pick(40);
	case 1: return UINT_MAX;
	case 2: return rnd();
	default: return def;
	}
}

static void test_random_tx(struct tap *t)
{
	unsigned i, cap = 48, ok = 0, drop = 0, fatal = 0;

	for (i = 0; i < 100000 && !t->case_failed; i++) {
		netif_tx_request_t *s = malloc(cap * sizeof(*s));
		netif_tx_request_t *exact;
		struct nc_tx_parsed p;
		unsigned n, avail;
		enum nc_verdict v;

		if (!s)
			abort();
		if (pick(4) == 0) {       /* pure noise */
			n = pick(cap + 1);
			for (avail = 0; avail < n * sizeof(*s); avail++)
				((uint8_t *)s)[avail] = (uint8_t)rnd();
		} else {
			n = gen_tx(s, cap);
		}
		avail = pick(5) ? n : pick(n + 1);
		/* Exactly `avail` slots: ASan flags any read past them. */
		exact = malloc(avail ? avail * sizeof(*s) : 1);
		if (!exact)
			abort();
		memcpy(exact, s, avail * sizeof(*s));
		v = tx_run(t, exact, avail, rnd_threshold(NC_TX_MAX_SLOTS),
			   rnd_threshold(NC_TX_FATAL_SLOTS), &p);
		ok += v == NC_V_OK;
		drop += v == NC_V_DROP;
		fatal += v == NC_V_FATAL;
		if (t->case_failed)
			tap_diag("random TX case %u failed (avail %u)", i,
				 avail);
		free(exact);
		free(s);
	}
	tap_diag("random TX: %u OK, %u DROP, %u FATAL", ok, drop, fatal);
	CHECK(t, ok > 1000 && drop > 1000 && fatal > 1000);
}

/* A plausible RX frame (or a few) at ring index `first`, then flips. */
static unsigned gen_rx(netif_rx_response_t *s, unsigned cap, RING_IDX first,
		       unsigned ring_size)
{
	unsigned n = 0, ndata, nextra, i;

	while (n < cap && pick(3) != 0) {
		ndata = 1 + pick(pick(4) ? 6 : 40);
		nextra = pick(3) ? 0 : 1 + pick(pick(4) ? 2 : 10);
		if (n + ndata + nextra > cap)
			break;
		for (i = 0; i < ndata; i++) {
			uint16_t off = (uint16_t)(pick(3) ? 0 : pick(4096));
			int16_t st = pick(10) ? (int16_t)pick(4097u - off)
					      : (int16_t)rnd();
			uint16_t fl = (uint16_t)((i + 1 < ndata ?
					NETRXF_more_data : 0) | pick(4));

			if (i == 0 && nextra)
				fl |= NETRXF_extra_info;
			s[n] = rxr((uint16_t)((first + n) & (ring_size - 1)),
				   off, fl, st);
			n++;
			while (i == 0 && nextra) {
				netif_extra_info_t x;

				rnd_extra(&x, nextra > 1);
				rx_put_extra(&s[n++], x);
				nextra--;
			}
		}
	}
	for (; n < cap && pick(2); n++)
		s[n] = rxr((uint16_t)rnd(), (uint16_t)rnd(), (uint16_t)rnd(),
			   (int16_t)rnd());
	mutate(s, n * sizeof(*s));
	return n;
}

static void test_random_rx(struct tap *t)
{
	static const unsigned rings[4] = { 256, 256, 64, 8 };
	unsigned i, cap = 64, ok = 0, drop = 0, more = 0;

	for (i = 0; i < 100000 && !t->case_failed; i++) {
		netif_rx_response_t *s = malloc(cap * sizeof(*s));
		netif_rx_response_t *exact;
		struct nc_rx_parsed p;
		unsigned ring = rings[pick(4)], n, avail, max;
		RING_IDX first = pick(4) ? rnd() : 0xFFFFFFFFu - pick(8);
		enum nc_verdict v;

		if (!s)
			abort();
		if (pick(4) == 0) {
			n = pick(cap + 1);
			for (avail = 0; avail < n * sizeof(*s); avail++)
				((uint8_t *)s)[avail] = (uint8_t)rnd();
		} else {
			n = gen_rx(s, cap, first, ring);
		}
		avail = pick(5) ? n : pick(n + 1);
		if (pick(8) && avail > ring)
			avail = ring;       /* what the caller's checks allow */
		exact = malloc(avail ? avail * sizeof(*s) : 1);
		if (!exact)
			abort();
		memcpy(exact, s, avail * sizeof(*s));
		max = rnd_threshold(NC_MAX_SLOTS);
		v = rx_run(t, exact, avail, first, ring, max, &p);
		ok += v == NC_V_OK;
		drop += v == NC_V_DROP;
		more += v == NC_V_NEED_MORE;
		if (t->case_failed)
			tap_diag("random RX case %u failed (avail %u)", i,
				 avail);
		free(exact);
		free(s);
	}
	tap_diag("random RX: %u OK, %u DROP, %u NEED_MORE", ok, drop, more);
	CHECK(t, ok > 1000 && drop > 1000 && more > 1000);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "tx: valid single slot", test_tx_single_slot);
	tap_run(&t, "tx: valid multi-slot, first len = total - rest",
		test_tx_multi_slot);
	tap_run(&t, "tx: the next frame's slots are not consumed",
		test_tx_slots_after_frame_untouched);
	tap_run(&t, "tx: 18 data slots OK", test_tx_18_slots_ok);
	tap_run(&t, "tx: 19 data slots DROP too-many, all answered",
		test_tx_19_slots_drop);
	tap_run(&t, "tx: 20+ data slots FATAL", test_tx_20_slots_fatal);
	tap_run(&t, "tx: extras do not count as data slots",
		test_tx_extras_not_counted);
	tap_run(&t, "tx: offset 4095 size 1 OK", test_tx_offset_4095_size_1);
	tap_run(&t, "tx: page check uses the first's own length",
		test_tx_first_own_len_in_page);
	tap_run(&t, "tx: total exactly 14 OK", test_tx_total_14_ok);
	tap_run(&t, "tx: 65535-byte frame OK", test_tx_65535_ok);
	tap_run(&t, "tx: zero-length later fragment accepted (XSA-448)",
		test_tx_zero_length_later);
	tap_run(&t, "tx: all later fragments empty (XSA-448)",
		test_tx_zero_length_all_later);
	tap_run(&t, "tx: zero-length first fragment, total = rest",
		test_tx_zero_length_first);
	tap_run(&t, "tx: size chain not adding up DROP size-chain",
		test_tx_size_chain);
	tap_run(&t, "tx: size-chain drop still checks pages",
		test_tx_size_chain_still_checks_pages);
	tap_run(&t, "tx: first fragment crossing a page FATAL",
		test_tx_cross_page_first);
	tap_run(&t, "tx: later fragment crossing a page FATAL",
		test_tx_cross_page_later);
	tap_run(&t, "tx: FATAL beats DROP", test_tx_fatal_beats_drop);
	tap_run(&t, "tx: frame past avail FATAL truncated",
		test_tx_truncated);
	tap_run(&t, "tx: avail 0 FATAL truncated", test_tx_avail_zero);
	tap_run(&t, "tx: runt < 14 DROP", test_tx_runt);
	tap_run(&t, "tx: GSO tcpv4/tcpv6 OK", test_tx_gso);
	tap_run(&t, "tx: GSO size 0 FATAL", test_tx_gso_size_zero);
	tap_run(&t, "tx: GSO bad type FATAL", test_tx_gso_bad_type);
	tap_run(&t, "tx: extra type 0 FATAL", test_tx_extra_type_zero);
	tap_run(&t, "tx: extra type >= MAX FATAL", test_tx_extra_type_max);
	tap_run(&t, "tx: chained extras with FLAG_MORE",
		test_tx_chained_extras);
	tap_run(&t, "tx: an extra's bytes never continue the data chain",
		test_tx_extra_flags_not_more_data);
	tap_run(&t, "tx: flags of later requests: only more_data",
		test_tx_later_flags);
	tap_run(&t, "tx: MCAST_ADD/DEL recorded", test_tx_mcast);
	tap_run(&t, "tx: MCAST dummy ignores more_data",
		test_tx_mcast_ignores_data_chain);
	tap_run(&t, "tx: extra flag on the last avail slot FATAL",
		test_tx_extra_truncated);
	tap_run(&t, "tx: extra chain longer than 8 FATAL",
		test_tx_extra_chain_too_long);
	tap_run(&t, "tx: DROP with extras describes every slot",
		test_tx_drop_with_extras);
	tap_run(&t, "tx: csum_blank bit0, data_validated bit1",
		test_tx_csum_flags);
	tap_run(&t, "tx: caller thresholds are clamped",
		test_tx_clamped_thresholds);
	tap_run(&t, "rx: valid single slot", test_rx_single);
	tap_run(&t, "rx: more_data chain, total = sum", test_rx_more_data_chain);
	tap_run(&t, "rx: offset 4000 status 96 OK",
		test_rx_offset_4000_status_96);
	tap_run(&t, "rx: zero-length later fragment",
		test_rx_zero_length_later);
	tap_run(&t, "rx: total 65535 OK, more DROP", test_rx_total_65535);
	tap_run(&t, "rx: flags of later responses: only more_data",
		test_rx_later_flags);
	tap_run(&t, "rx: GSO tcpv4/tcpv6 OK", test_rx_gso);
	tap_run(&t, "rx: GSO in one data slot, extra last", test_rx_gso_one_data_slot);
	tap_run(&t, "rx: extras do not count as data slots",
		test_rx_extras_not_counted);
	tap_run(&t, "rx: data_validated bit0, csum_blank bit1 (swapped)",
		test_rx_csum_flags);
	tap_run(&t, "rx: ids from the wrapped ring index", test_rx_wraparound);
	tap_run(&t, "rx: id mismatch DROP bad-id", test_rx_bad_id);
	tap_run(&t, "rx: status -1 DROP peer-error", test_rx_status_error);
	tap_run(&t, "rx: status -2 DROP peer-dropped",
		test_rx_status_dropped);
	tap_run(&t, "rx: other negative status DROP bad-status",
		test_rx_status_other_negative);
	tap_run(&t, "rx: status 0 on the first slot DROP runt",
		test_rx_status_zero_first);
	tap_run(&t, "rx: offset + status > 4096 DROP cross-page",
		test_rx_cross_page);
	tap_run(&t, "rx: more than max slots DROP", test_rx_too_many_slots);
	tap_run(&t, "rx: total > 65535 DROP too-big", test_rx_too_big);
	tap_run(&t, "rx: frame past avail NEED_MORE, avail 0",
		test_rx_need_more);
	tap_run(&t, "rx: extras past avail NEED_MORE",
		test_rx_extra_truncated);
	tap_run(&t, "rx: GSO size 0 / bad type DROP bad-gso",
		test_rx_gso_bad);
	tap_run(&t, "rx: extra type 0 / >= MAX DROP bad-extra",
		test_rx_bad_extra_type);
	tap_run(&t, "rx: DROP consumes the whole chain",
		test_rx_drop_consumes_chain);
	tap_run(&t, "rx: a frame filling the ring is dropped, not awaited",
		test_rx_ring_full_never_waits);
	tap_run(&t, "rx: caller max slots is clamped", test_rx_clamped_max);
	tap_run(&t, "reason names: non-NULL and distinct", test_reason_names);
	tap_run(&t, "random: 100000 TX arrays", test_random_tx);
	tap_run(&t, "random: 100000 RX arrays", test_random_rx);
	return tap_done(&t);
}

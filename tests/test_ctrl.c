/*
 * test_ctrl.c - the control ring (feature-ctrl-ring) and Toeplitz hashing:
 * Microsoft's published RSS verification vectors, the flow input of
 * crafted frames, our frontend configuring our backend over the ring on
 * the in-process platform, the backend's hash and queue choice following
 * what was set, and hostile requests (XSA-270) each answered with its
 * error status and no change of state.
 */
#define XEN_NETIF_DEFINE_TOEPLITZ 1  /* Xen's reference code, to compare */

#include <stdio.h>

#include "harness.h"
#include "netchannel/toeplitz.h"
#include "rig.h"

/* The verification suite's key (Microsoft, "Verifying the RSS Hash
 * Calculation"). */
static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

struct v4_vector {
	uint8_t dst[4], src[4];
	uint16_t dport, sport;
	uint32_t ip, tcp;
};

static const struct v4_vector v4[] = {
	{ { 161, 142, 100, 80 }, { 66, 9, 149, 187 }, 1766, 2794,
	  0x323e8fc2, 0x51ccc178 },
	{ { 65, 69, 140, 83 }, { 199, 92, 111, 2 }, 4739, 14230,
	  0xd718262a, 0xc626b0ea },
	{ { 12, 22, 207, 184 }, { 24, 19, 198, 95 }, 38024, 12898,
	  0xd2d0a5de, 0x5c2b394a },
	{ { 209, 142, 163, 6 }, { 38, 27, 205, 30 }, 2217, 48228,
	  0x82989176, 0xafc7327f },
	{ { 202, 188, 127, 2 }, { 153, 39, 163, 191 }, 1303, 44251,
	  0x5d1809c5, 0x10e828a2 },
};

struct v6_vector {
	uint8_t dst[16], src[16];
	uint16_t dport, sport;
	uint32_t ip, tcp;
};

/* The first row's addresses as the Intel 82599 datasheet's copy of the
 * suite (and DPDK, Knot) give them: Microsoft's page prints the two
 * addresses of this row the other way round. */
static const struct v6_vector v6[] = {
	{ /* 3ffe:2501:200:3::1 */
	  { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03,
	    0, 0, 0, 0, 0, 0, 0, 0x01 },
	  /* 3ffe:2501:200:1fff::7 */
	  { 0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
	    0, 0, 0, 0, 0, 0, 0, 0x07 },
	  1766, 2794, 0x2cc18cd5, 0x40207d3d },
	{ /* ff02::1 */
	  { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 },
	  /* 3ffe:501:8::260:97ff:fe40:efab */
	  { 0x3f, 0xfe, 0x05, 0x01, 0x00, 0x08, 0x00, 0x00,
	    0x02, 0x60, 0x97, 0xff, 0xfe, 0x40, 0xef, 0xab },
	  4739, 14230, 0x0f0c461c, 0xdde51bbf },
	{ /* fe80::200:f8ff:fe21:67cf */
	  { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
	    0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  /* 3ffe:1900:4545:3:200:f8ff:fe21:67cf */
	  { 0x3f, 0xfe, 0x19, 0x00, 0x45, 0x45, 0x00, 0x03,
	    0x02, 0x00, 0xf8, 0xff, 0xfe, 0x21, 0x67, 0xcf },
	  38024, 44251, 0x4b61e985, 0x02d1feef },
};

#define NV4 (sizeof(v4) / sizeof(v4[0]))
#define NV6 (sizeof(v6) / sizeof(v6[0]))

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ------------------------------------------------------------- frames */

static size_t eth(uint8_t *f, uint16_t type, int vlan)
{
	memset(f, 0, 18);
	memcpy(f, "\x00\x16\x3e\x00\x00\x01\x00\x16\x3e\x00\x00\x02", 12);
	if (!vlan) {
		put16(f + 12, type);
		return 14;
	}
	put16(f + 12, 0x8100);
	put16(f + 14, 42);
	put16(f + 16, type);
	return 18;
}

/* Ethernet + IPv4 (+ 20 bytes of TCP, protocol `proto`). */
static size_t ipv4_frame(uint8_t *f, const struct v4_vector *v, uint8_t proto,
			 uint16_t frag, int vlan)
{
	size_t o = eth(f, 0x0800, vlan);
	uint8_t *ip = f + o;

	memset(ip, 0, 40);
	ip[0] = 0x45;
	put16(ip + 2, 40);
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, v->src, 4);
	memcpy(ip + 16, v->dst, 4);
	put16(ip + 20, v->sport);
	put16(ip + 22, v->dport);
	return o + 40;
}

static size_t ipv6_frame(uint8_t *f, const struct v6_vector *v, uint8_t next)
{
	size_t o = eth(f, 0x86DD, 0);
	uint8_t *ip = f + o;

	memset(ip, 0, 60);
	ip[0] = 0x60;
	put16(ip + 4, 20);
	ip[6] = next;
	ip[7] = 64;
	memcpy(ip + 8, v->src, 16);
	memcpy(ip + 24, v->dst, 16);
	put16(ip + 40, v->sport);
	put16(ip + 42, v->dport);
	return o + 60;
}

/* -------------------------------------------------------- Toeplitz */

static void test_vectors_ipv4(struct tap *t)
{
	size_t i;

	for (i = 0; i < NV4; i++) {
		uint8_t in[12];

		memcpy(in, v4[i].src, 4);
		memcpy(in + 4, v4[i].dst, 4);
		put16(in + 8, v4[i].sport);
		put16(in + 10, v4[i].dport);
		CHECK_EQ(t, nc_toeplitz(ms_key, 40, in, 8), v4[i].ip);
		CHECK_EQ(t, nc_toeplitz(ms_key, 40, in, 12), v4[i].tcp);
	}
}

static void test_vectors_ipv6(struct tap *t)
{
	size_t i;

	for (i = 0; i < NV6; i++) {
		uint8_t in[36];

		memcpy(in, v6[i].src, 16);
		memcpy(in + 16, v6[i].dst, 16);
		put16(in + 32, v6[i].sport);
		put16(in + 34, v6[i].dport);
		CHECK_EQ(t, nc_toeplitz(ms_key, 40, in, 32), v6[i].ip);
		CHECK_EQ(t, nc_toeplitz(ms_key, 40, in, 36), v6[i].tcp);
	}
}

/* Against Xen's reference code (netif.h), random keys of every length
 * and random inputs: short keys are zero-padded in both. */
static void test_matches_xen_reference(struct tap *t)
{
	uint32_t s = 12345;
	unsigned round, bad = 0;

	for (round = 0; round < 2000; round++) {
		uint8_t key[40], in[36];
		unsigned keylen = round % 41, len = round % 37, i;

		for (i = 0; i < 40; i++) {
			s = s * 1103515245u + 12345u;
			key[i] = (uint8_t)(s >> 16);
		}
		for (i = 0; i < 36; i++) {
			s = s * 1103515245u + 12345u;
			in[i] = (uint8_t)(s >> 16);
		}
		if (nc_toeplitz(key, keylen, in, len) !=
		    xen_netif_toeplitz_hash(key, keylen, in, len))
			bad++;
	}
	CHECK_EQ(t, bad, 0);
	/* An empty key always hashes to zero (netif.h). */
	CHECK_EQ(t, nc_toeplitz(ms_key, 0, ms_key, 36), 0);
}

static void test_flow_input(struct tap *t)
{
	const uint32_t all = XEN_NETIF_CTRL_HASH_TYPE_IPV4 |
			     XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP |
			     XEN_NETIF_CTRL_HASH_TYPE_IPV6 |
			     XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP;
	uint8_t f[128], in[NC_FLOW_INPUT_MAX];
	uint32_t type = 0, h = 0;
	size_t n, i;

	for (i = 0; i < NV4; i++) {
		n = ipv4_frame(f, &v4[i], 6, 0, (int)(i & 1));
		CHECK(t, nc_toeplitz_frame(ms_key, 40, all, f, n, &h, &type));
		CHECK_EQ(t, h, v4[i].tcp);
		CHECK_EQ(t, type, XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
		/* Only IPV4 flagged: the address hash. */
		CHECK(t, nc_toeplitz_frame(ms_key, 40,
					   XEN_NETIF_CTRL_HASH_TYPE_IPV4, f,
					   n, &h, &type));
		CHECK_EQ(t, h, v4[i].ip);
		CHECK_EQ(t, type, XEN_NETIF_CTRL_HASH_TYPE_IPV4);
		/* UDP, and a fragment: no ports. */
		n = ipv4_frame(f, &v4[i], 17, 0, 0);
		CHECK(t, nc_toeplitz_frame(ms_key, 40, all, f, n, &h, &type));
		CHECK_EQ(t, h, v4[i].ip);
		n = ipv4_frame(f, &v4[i], 6, 0x2000, 0);
		CHECK(t, nc_toeplitz_frame(ms_key, 40, all, f, n, &h, &type));
		CHECK_EQ(t, h, v4[i].ip);
		/* Only TCP flagged and no TCP: not hashed. */
		CHECK(t, !nc_toeplitz_frame(ms_key, 40,
					    XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP,
					    f, n, &h, &type));
	}
	for (i = 0; i < NV6; i++) {
		n = ipv6_frame(f, &v6[i], 6);
		CHECK(t, nc_toeplitz_frame(ms_key, 40, all, f, n, &h, &type));
		CHECK_EQ(t, h, v6[i].tcp);
		CHECK_EQ(t, type, XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
		n = ipv6_frame(f, &v6[i], 17);
		CHECK(t, nc_toeplitz_frame(ms_key, 40, all, f, n, &h, &type));
		CHECK_EQ(t, h, v6[i].ip);
		CHECK_EQ(t, type, XEN_NETIF_CTRL_HASH_TYPE_IPV6);
		CHECK(t, !nc_toeplitz_frame(ms_key, 40,
					    XEN_NETIF_CTRL_HASH_TYPE_IPV4, f,
					    n, &h, &type));
	}
	/* Truncated anywhere: never read past the frame. */
	n = ipv4_frame(f, &v4[0], 6, 0, 0);
	for (i = 0; i < n; i++) {
		size_t got = nc_flow_input(f, i, all, in, &type);

		CHECK(t, got == 0 || (got == 8 && i >= 34) ||
			 (got == 12 && i >= 38));
	}
	n = ipv6_frame(f, &v6[0], 6);
	for (i = 0; i < 54; i++)
		CHECK_EQ(t, nc_flow_input(f, i, all, in, &type), 0);
	/* Not IP, and a bad IHL. */
	n = eth(f, 0x0806, 0);
	memset(f + n, 0x45, 40);
	CHECK_EQ(t, nc_flow_input(f, n + 40, all, in, &type), 0);
	n = ipv4_frame(f, &v4[0], 6, 0, 0);
	f[14] = 0x4F;     /* 60-byte header in a 40-byte packet */
	CHECK_EQ(t, nc_flow_input(f, n, all, in, &type), 0);
	f[14] = 0x44;     /* below the minimum */
	CHECK_EQ(t, nc_flow_input(f, n, all, in, &type), 0);
}

/* ------------------------------------------------------ the ring */

/* Pump both ends until the outstanding request is answered. */
static int ctrl_wait(struct rig *r, uint32_t *status, uint32_t *data)
{
	unsigned i;

	for (i = 0; i < 50; i++) {
		int rc;

		rig_pump(r, 1);
		rc = nc_front_ctrl_result(r->f, status, data);
		if (rc != 0)
			return rc;
	}
	return -1;
}

/* Submit rc, then the answer's status (or a negative error). */
static long ctrl_do(struct rig *r, int submit_rc, uint32_t *data)
{
	uint32_t st = 0, d = 0;
	int rc;

	if (submit_rc != NC_OK)
		return submit_rc;
	rc = ctrl_wait(r, &st, &d);
	if (rc != 1)
		return rc < 0 ? rc : -1000;
	if (data)
		*data = d;
	return (long)st;
}

static int rig_ctrl(struct rig *r)
{
	if (rig_init(r, 0))
		return -1;
	r->fcfg.ctrl_ring = 1;
	if (rig_start(r))
		return -1;
	return rig_connect(r);
}

#define OK XEN_NETIF_CTRL_STATUS_SUCCESS
#define INVAL XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER
#define OVERFLOW XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW
#define NOTSUP XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED

/* Configure Toeplitz over every type with the suite's key, a mapping of
 * `size` entries all queue 0. */
static void configure(struct tap *t, struct rig *r, uint32_t size)
{
	uint32_t q[128] = { 0 }, d = 0;

	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_algorithm(r->f,
			XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ), NULL), OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_ctrl_submit(r->f,
			XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS, 0, 0, 0), &d), OK);
	CHECK_EQ(t, d, 0xF);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_flags(r->f, d), NULL), OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_key(r->f, ms_key, 40), NULL),
		 OK);
	CHECK_EQ(t, ctrl_do(r, nc_front_ctrl_submit(r->f,
			XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE, 0, 0, 0),
			&d), OK);
	CHECK_EQ(t, d, NC_BACK_HASH_MAPPING_MAX);
	CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_mapping_size(r->f, size),
			    NULL), OK);
	if (size)
		CHECK_EQ(t, ctrl_do(r, nc_front_set_hash_mapping(r->f, q, size,
								 0), NULL),
			 OK);
}

static void test_configure_and_hash(struct tap *t)
{
	struct rig r;
	const struct nc_back_hash *h;
	uint8_t f[128];
	uint32_t hash = 0, type = 0;
	size_t i, n;

	CHECK(t, rig_ctrl(&r) == 0);
	CHECK(t, r.f->feat.ctrl_ring);
	CHECK(t, r.b->ctrl.map != NULL);
	/* Before anything is set: hashing off, queue 0. */
	n = ipv4_frame(f, &v4[0], 6, 0, 0);
	CHECK(t, !nc_back_hash_frame(r.b, f, n, &hash, &type));
	CHECK_EQ(t, nc_back_pick_queue(r.b, f, n), 0);
	/* Flags need an algorithm first. */
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_flags(&*r.f, 1), NULL),
		 INVAL);
	configure(t, &r, 8);
	h = nc_back_hash_state(r.b);
	CHECK_EQ(t, h->algorithm, XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
	CHECK_EQ(t, h->size, 8);
	CHECK(t, memcmp(h->key, ms_key, 40) == 0);
	for (i = 0; i < NV4; i++) {
		n = ipv4_frame(f, &v4[i], 6, 0, 0);
		CHECK(t, nc_back_hash_frame(r.b, f, n, &hash, &type));
		CHECK_EQ(t, hash, v4[i].tcp);
		CHECK_EQ(t, type, XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP);
		CHECK_EQ(t, nc_back_pick_queue(r.b, f, n), 0);
	}
	for (i = 0; i < NV6; i++) {
		n = ipv6_frame(f, &v6[i], 6);
		CHECK(t, nc_back_hash_frame(r.b, f, n, &hash, &type));
		CHECK_EQ(t, hash, v6[i].tcp);
	}
	/* Only IPV4 now: IPv6 frames are not hashed. */
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_flags(r.f,
			XEN_NETIF_CTRL_HASH_TYPE_IPV4), NULL), OK);
	n = ipv4_frame(f, &v4[1], 6, 0, 0);
	CHECK(t, nc_back_hash_frame(r.b, f, n, &hash, &type));
	CHECK_EQ(t, hash, v4[1].ip);
	n = ipv6_frame(f, &v6[1], 6);
	CHECK(t, !nc_back_hash_frame(r.b, f, n, &hash, &type));
	/* A shorter key: the rest is zero, as the reference pads. */
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_key(r.f, ms_key, 16), NULL),
		 OK);
	n = ipv4_frame(f, &v4[2], 6, 0, 0);
	CHECK(t, nc_back_hash_frame(r.b, f, n, &hash, &type));
	{
		uint8_t in[8];

		memcpy(in, v4[2].src, 4);
		memcpy(in + 4, v4[2].dst, 4);
		CHECK_EQ(t, hash, xen_netif_toeplitz_hash(ms_key, 16, in, 8));
	}
	/* Mapping size 0 (netif.h: modular arithmetic over the queues). */
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_mapping_size(r.f, 0), NULL),
		 OK);
	CHECK_EQ(t, nc_back_hash_state(r.b)->size, 0);
	CHECK_EQ(t, nc_back_pick_queue(r.b, f, n), 0);
	/* Algorithm NONE: hashing off. */
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_algorithm(r.f,
			XEN_NETIF_CTRL_HASH_ALGORITHM_NONE), NULL), OK);
	CHECK(t, !nc_back_hash_frame(r.b, f, n, &hash, &type));
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	rig_free(&r);
}

/* One hostile request: answered `want`, the state exactly as before. */
static void hostile(struct tap *t, struct rig *r, int submit_rc, long want,
		    const char *what)
{
	struct nc_back_hash before = *nc_back_hash_state(r->b);
	long got = ctrl_do(r, submit_rc, NULL);

	if (got != want)
		printf("# %s: status %ld, want %ld\n", what, got, want);
	CHECK_EQ(t, got, want);
	CHECK(t, memcmp(&before, nc_back_hash_state(r->b),
			sizeof(before)) == 0);
}

static void test_hostile_requests(struct tap *t)
{
	struct rig r;
	struct nc_front *f;
	uint32_t q[4] = { 0, 1, 0, 0 }, big[2] = { 0, 0xFFFFFFFFu };
	uint16_t types[] = { XEN_NETIF_CTRL_TYPE_INVALID,
			     XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE,
			     XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING,
			     XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING, 11, 0xFFFF };
	size_t i;

	CHECK(t, rig_ctrl(&r) == 0);
	f = r.f;
	configure(t, &r, 8);
	/* SET_HASH_MAPPING: offset + size wraps around 2^32. */
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, f->ctrl.data_ref, 2,
		0xFFFFFFFFu), INVAL, "offset+size overflow");
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, f->ctrl.data_ref, 8, 1),
		INVAL, "past the mapping size");
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, f->ctrl.data_ref, 0, 0),
		INVAL, "empty sub-table");
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, f->ctrl.data_ref, 129,
		0), OVERFLOW, "size above the maximum");
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, f->ctrl.data_ref,
		0x40000001u, 0), OVERFLOW, "size * 4 wraps");
	/* Queue indices: 1 (one queue served) and 2^32 - 1. */
	hostile(t, &r, nc_front_set_hash_mapping(f, q, 4, 0), INVAL,
		"queue index 1");
	hostile(t, &r, nc_front_set_hash_mapping(f, big, 2, 6), INVAL,
		"queue index 2^32-1");
	/* Garbage grants. */
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING, 0xdeadbeefu, 2, 0),
		INVAL, "mapping garbage gref");
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, 0xdeadbeefu, 40, 0), INVAL,
		"key garbage gref");
	/* Keys too long. */
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, f->ctrl.data_ref, 41, 0),
		OVERFLOW, "key length 41");
	hostile(t, &r, nc_front_ctrl_submit(f,
		XEN_NETIF_CTRL_TYPE_SET_HASH_KEY, f->ctrl.data_ref,
		0xFFFFFFFFu, 0), OVERFLOW, "key length 2^32-1");
	/* Mapping sizes above the maximum. */
	hostile(t, &r, nc_front_set_hash_mapping_size(f, 129), INVAL,
		"mapping size 129");
	hostile(t, &r, nc_front_set_hash_mapping_size(f, 0xFFFFFFFFu), INVAL,
		"mapping size 2^32-1");
	/* Unknown algorithm and flags. */
	hostile(t, &r, nc_front_set_hash_algorithm(f, 2), INVAL, "algorithm");
	hostile(t, &r, nc_front_set_hash_flags(f, 0x10), INVAL, "flag bit 4");
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		hostile(t, &r, nc_front_ctrl_submit(f, types[i], 1, 2, 3),
			NOTSUP, "unsupported type");
	/* Still usable afterwards. */
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_CONNECTED);
	CHECK_EQ(t, ctrl_do(&r, nc_front_set_hash_mapping(f, q, 1, 7), NULL),
		 OK);
	rig_free(&r);
}

/* A request producer beyond the ring disables the vif. */
static void test_ring_overflow(struct tap *t)
{
	struct rig r;
	xen_netif_ctrl_sring_t *s;

	CHECK(t, rig_ctrl(&r) == 0);
	s = r.f->ctrl.page;
	s->req_prod = s->rsp_prod + NC_CTRL_RING_SIZE + 1;
	nc_back_poll(r.b);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_DISABLED);
	CHECK_EQ(t, r.b->stats.rx.reason[NC_R_RING_OVERFLOW], 1);
	rig_free(&r);
}

static int tool_read(struct rig *r, const char *dir, const char *key,
		     char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return r->tool.store.ops->read(r->tool.store.ctx, NC_TXN_NONE, path,
				       buf, len);
}

static int tool_write(struct rig *r, const char *key, const char *v)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", r->fe_path, key);
	return r->tool.store.ops->write(r->tool.store.ctx, NC_TXN_NONE, path,
					v);
}

/* Without cfg.ctrl_ring: no keys, no ring, hashing off; the feature is
 * advertised all the same. */
static void test_optional(struct tap *t)
{
	struct rig r;
	char buf[32];
	uint8_t f[128];
	size_t n;

	CHECK(t, rig_init(&r, 0) == 0);
	CHECK_EQ(t, rig_start(&r), NC_OK);
	CHECK(t, rig_connect(&r) == 0);
	CHECK(t, tool_read(&r, r.be_path, "feature-ctrl-ring", buf,
			   sizeof(buf)) >= 0 && strcmp(buf, "1") == 0);
	CHECK(t, tool_read(&r, r.fe_path, "ctrl-ring-ref", buf,
			   sizeof(buf)) == NC_ENOENT);
	CHECK(t, r.b->ctrl.map == NULL);
	CHECK_EQ(t, nc_front_set_hash_algorithm(r.f, 1), NC_ENOTCONN);
	n = ipv4_frame(f, &v4[0], 6, 0, 0);
	CHECK_EQ(t, nc_back_pick_queue(r.b, f, n), 0);
	rig_free(&r);
}

/* Malformed or half-written ctrl keys: the vif is refused. */
static void bad_keys(struct tap *t, const char *key, const char *value)
{
	struct rig r;

	CHECK(t, rig_init(&r, 0) == 0);
	r.fcfg.ctrl_ring = 1;
	CHECK_EQ(t, rig_start(&r), NC_OK);
	nc_front_poll(r.f);         /* sees InitWait, writes its keys */
	CHECK_EQ(t, nc_front_state(r.f), NC_FRONT_CONNECTING);
	if (value)
		CHECK_EQ(t, tool_write(&r, key, value), NC_OK);
	else {
		char path[128];

		snprintf(path, sizeof(path), "%s/%s", r.fe_path, key);
		CHECK_EQ(t, r.tool.store.ops->rm(r.tool.store.ctx,
						 NC_TXN_NONE, path), NC_OK);
	}
	nc_back_poll(r.b);
	CHECK_EQ(t, nc_back_state(r.b), NC_BACK_DISABLED);
	rig_free(&r);
}

static void test_bad_keys(struct tap *t)
{
	bad_keys(t, "event-channel-ctrl", "junk");
	bad_keys(t, "event-channel-ctrl", "0");
	bad_keys(t, "event-channel-ctrl", "99999999");
	bad_keys(t, "event-channel-ctrl", NULL);
	bad_keys(t, "ctrl-ring-ref", NULL);
	bad_keys(t, "ctrl-ring-ref", "-1");
	bad_keys(t, "ctrl-ring-ref", "4000000");   /* no such grant */
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "toeplitz: Microsoft IPv4 vectors", test_vectors_ipv4);
	tap_run(&t, "toeplitz: Microsoft IPv6 vectors", test_vectors_ipv6);
	tap_run(&t, "toeplitz: equals Xen's reference code",
		test_matches_xen_reference);
	tap_run(&t, "flow input of crafted frames", test_flow_input);
	tap_run(&t, "frontend configures backend; hash follows",
		test_configure_and_hash);
	tap_run(&t, "hostile ctrl requests: error, no state change",
		test_hostile_requests);
	tap_run(&t, "ctrl req_prod beyond the ring disables the vif",
		test_ring_overflow);
	tap_run(&t, "control ring is optional", test_optional);
	tap_run(&t, "malformed ctrl keys refuse the vif", test_bad_keys);
	return tap_done(&t);
}

/*
 * test_guest_lwip.c - the demo guest's network stack without the
 * simulator: lwIP (src/guest/lwip_netif.c, services.c) on a real netfront,
 * a real netback on the in-process platform, and this test playing the
 * host on the backend's side with hand-made Ethernet frames.
 *
 * It checks ARP, ICMP echo (up to the MTU), UDP echo (also with a partial
 * checksum to complete), IPv6 duplicate address detection, neighbour
 * discovery and ICMPv6/UDP echo on the link-local address, the MAC filter,
 * and TCP: the handshake, GET / and GET /big (1 MiB) through a transmit
 * pool small enough that the netif's queue has to hold frames back.
 * Every frame the guest sends must carry correct IPv4/ICMP/UDP/TCP/ICMPv6
 * checksums (nc_csum_verify_frame) and no pool poison; the frontend runs
 * in poison mode.
 *
 * Threads: lwIP's tcpip thread runs its timers and may transmit at any
 * time, under the core lock.  This thread takes the core lock for every
 * frontend and lwIP call; the backend is only ever touched here, without
 * the lock (it is the other domain).
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "rig.h"
#include "guest/lwip_netif.h"
#include "guest/services.h"
#include "lwip/nd6.h"
#include "lwip/tcpip.h"
#include "netchannel/csum.h"

#define ECHO_PORT 7
#define HTTP_PORT 80
#define GUEST_NAME "test guest, domain 1"

static const uint8_t HOST_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t GUEST_MAC[6] = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 };
static const uint8_t OTHER_MAC[6] = { 0x00, 0x16, 0x3e, 0x99, 0x99, 0x99 };
static const uint8_t BCAST_MAC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t HOST_IP[4] = { 10, 0, 0, 1 };
static const uint8_t GUEST_IP[4] = { 10, 0, 0, 2 };
static const uint8_t HOST_LL[16] = { 0xfe, 0x80, [15] = 0x01 };
/* fe80::216:3eff:fe12:3456, from GUEST_MAC (EUI-64) */
static const uint8_t GUEST_LL[16] = { 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
	0x02, 0x16, 0x3e, 0xff, 0xfe, 0x12, 0x34, 0x56 };
/* ff02::1:ff12:3456, its solicited-node group, and that group's MAC */
static const uint8_t GUEST_SNM[16] = { 0xff, 0x02, [11] = 0x01,
	[12] = 0xff, 0x12, 0x34, 0x56 };
static const uint8_t GUEST_SNM_MAC[6] = { 0x33, 0x33, 0xff, 0x12, 0x34,
					  0x56 };

#define ETH_HLEN 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

/* ------------------------------------------------------------ bytes */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static int has_poison(const uint8_t *p, size_t n)
{
	return memmem(p, n, NC_POOL_POISON, NC_POOL_POISON_LEN) != NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------- frames: parsing */

/* A view of one frame's IP packet and its L4 part. */
struct pkt {
	const uint8_t *f;
	size_t len;
	uint16_t type;           /* ethertype */
	const uint8_t *ip;       /* IPv4 or IPv6 header */
	uint8_t proto;           /* IPv4 protocol or IPv6 next header */
	const uint8_t *l4;
	size_t l4_len;
};

/* 0 when the frame is Ethernet + IPv4 (no fragment) or IPv6 (no
 * extension header) and its lengths hold; ARP frames parse with ip NULL. */
static int parse_pkt(const uint8_t *f, size_t len, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->len = len;
	if (len < ETH_HLEN)
		return -1;
	p->type = get16(f + 12);
	if (p->type == ETHERTYPE_ARP)
		return len >= ETH_HLEN + 28 ? 0 : -1;
	p->ip = f + ETH_HLEN;
	if (p->type == ETHERTYPE_IPV4 && len >= ETH_HLEN + 20) {
		size_t hl = (size_t)(p->ip[0] & 15) * 4, tot = get16(p->ip + 2);

		if (tot > len - ETH_HLEN || hl < 20 || tot < hl)
			return -1;
		p->proto = p->ip[9];
		p->l4 = p->ip + hl;
		p->l4_len = tot - hl;
		return 0;
	}
	if (p->type == ETHERTYPE_IPV6 && len >= ETH_HLEN + 40) {
		size_t pl = get16(p->ip + 4);

		if (pl > len - ETH_HLEN - 40)
			return -1;
		p->proto = p->ip[6];
		p->l4 = p->ip + 40;
		p->l4_len = pl;
		return 0;
	}
	return -1;
}

static int is_ipv4_from_guest(const struct pkt *p, uint8_t proto)
{
	return p->type == ETHERTYPE_IPV4 && p->ip && p->proto == proto &&
	       !memcmp(p->ip + 12, GUEST_IP, 4) &&
	       !memcmp(p->ip + 16, HOST_IP, 4) &&
	       !memcmp(p->f, HOST_MAC, 6) && !memcmp(p->f + 6, GUEST_MAC, 6);
}

static int is_icmp6(const struct pkt *p, uint8_t type)
{
	return p->type == ETHERTYPE_IPV6 && p->ip && p->proto == 58 &&
	       p->l4_len >= 8 && p->l4[0] == type;
}

/* ------------------------------------------------- frames: building */

static size_t put_eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, HOST_MAC, 6);
	put16(f + 12, type);
	return ETH_HLEN;
}

/* Ethernet + IPv4 header from the host to the guest; l4_len bytes of L4
 * follow at f + 34.  Checksums: nc_csum_complete_frame at the end. */
static uint8_t *put_ipv4(uint8_t *f, const uint8_t *dst_mac, uint8_t proto,
			 size_t l4_len)
{
	uint8_t *ip = f + put_eth(f, dst_mac, ETHERTYPE_IPV4);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4_len));
	put16(ip + 4, 0x1234);
	ip[6] = 0x40;                       /* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, HOST_IP, 4);
	memcpy(ip + 16, GUEST_IP, 4);
	return ip + 20;
}

static uint8_t *put_ipv6(uint8_t *f, const uint8_t *dst_mac,
			 const uint8_t *dst, uint8_t nh, size_t l4_len)
{
	uint8_t *ip = f + put_eth(f, dst_mac, ETHERTYPE_IPV6);

	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)l4_len);
	ip[6] = nh;
	ip[7] = 255;                        /* ND needs 255 */
	memcpy(ip + 8, HOST_LL, 16);
	memcpy(ip + 24, dst, 16);
	return ip + 40;
}

static size_t finish(uint8_t *f, size_t len)
{
	nc_csum_complete_frame(f, len);
	return len;
}

static size_t build_arp(uint8_t *f, uint16_t op, const uint8_t *dst_mac,
			const uint8_t *target_mac, const uint8_t *target_ip)
{
	uint8_t *a = f + put_eth(f, dst_mac, ETHERTYPE_ARP);

	put16(a, 1);                        /* Ethernet */
	put16(a + 2, ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, HOST_MAC, 6);
	memcpy(a + 14, HOST_IP, 4);
	memcpy(a + 18, target_mac, 6);
	memcpy(a + 24, target_ip, 4);
	return ETH_HLEN + 28;
}

static void fill_payload(uint8_t *p, size_t n, uint8_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 13);
}

static size_t build_ping(uint8_t *f, const uint8_t *dst_mac, uint16_t seq,
			 size_t payload)
{
	uint8_t *icmp = put_ipv4(f, dst_mac, 1, 8 + payload);

	memset(icmp, 0, 8);
	icmp[0] = 8;                        /* echo request */
	put16(icmp + 4, 0x4242);
	put16(icmp + 6, seq);
	fill_payload(icmp + 8, payload, (uint8_t)seq);
	return finish(f, ETH_HLEN + 20 + 8 + payload);
}

static void put_udp(uint8_t *udp, uint16_t sport, size_t payload,
		    uint8_t seed)
{
	put16(udp, sport);
	put16(udp + 2, ECHO_PORT);
	put16(udp + 4, (uint16_t)(8 + payload));
	put16(udp + 6, 0);
	fill_payload(udp + 8, payload, seed);
}

static size_t build_udp4(uint8_t *f, uint16_t sport, size_t payload)
{
	put_udp(put_ipv4(f, GUEST_MAC, 17, 8 + payload), sport, payload,
		(uint8_t)sport);
	return finish(f, ETH_HLEN + 20 + 8 + payload);
}

static size_t build_udp6(uint8_t *f, uint16_t sport, size_t payload)
{
	put_udp(put_ipv6(f, GUEST_MAC, GUEST_LL, 17, 8 + payload), sport,
		payload, (uint8_t)sport);
	return finish(f, ETH_HLEN + 40 + 8 + payload);
}

/* A neighbour solicitation for `target`, with our link-layer address. */
static size_t build_ns(uint8_t *f, const uint8_t *target)
{
	uint8_t *icmp = put_ipv6(f, GUEST_SNM_MAC, GUEST_SNM, 58, 32);

	memset(icmp, 0, 32);
	icmp[0] = 135;
	memcpy(icmp + 8, target, 16);
	icmp[24] = 1;                       /* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, HOST_MAC, 6);
	return finish(f, ETH_HLEN + 40 + 32);
}

/* The answer to the guest's solicitation of HOST_LL. */
static size_t build_na(uint8_t *f, const uint8_t *dst_mac,
		       const uint8_t *dst)
{
	uint8_t *icmp = put_ipv6(f, dst_mac, dst, 58, 32);

	memset(icmp, 0, 32);
	icmp[0] = 136;
	icmp[4] = 0x60;                     /* solicited, override */
	memcpy(icmp + 8, HOST_LL, 16);
	icmp[24] = 2;                       /* target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, HOST_MAC, 6);
	return finish(f, ETH_HLEN + 40 + 32);
}

static size_t build_ping6(uint8_t *f, uint16_t seq, size_t payload)
{
	uint8_t *icmp = put_ipv6(f, GUEST_MAC, GUEST_LL, 58, 8 + payload);

	memset(icmp, 0, 8);
	icmp[0] = 128;
	put16(icmp + 4, 0x6666);
	put16(icmp + 6, seq);
	fill_payload(icmp + 8, payload, (uint8_t)seq);
	return finish(f, ETH_HLEN + 40 + 8 + payload);
}

struct seg {
	uint16_t sport, dport;   /* dport 0: HTTP_PORT */
	uint32_t seq, ack;
	uint8_t flags;
	const void *data;
	size_t len;
};

static size_t build_tcp(uint8_t *f, const struct seg *s)
{
	int syn = (s->flags & TCP_SYN) != 0;
	size_t hl = syn ? 24 : 20;
	uint8_t *tcp = put_ipv4(f, GUEST_MAC, 6, hl + s->len);

	memset(tcp, 0, hl);
	put16(tcp, s->sport);
	put16(tcp + 2, s->dport ? s->dport : HTTP_PORT);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	tcp[12] = (uint8_t)((hl / 4) << 4);
	tcp[13] = s->flags;
	put16(tcp + 14, 65535);             /* window, no scaling */
	if (syn)
		memcpy(tcp + 20, "\x02\x04\x05\xb4", 4);    /* MSS 1460 */
	if (s->len)
		memcpy(tcp + hl, s->data, s->len);
	return finish(f, ETH_HLEN + 20 + hl + s->len);
}

/* ------------------------------------------------- the host side */

/* A minimal TCP client: in-order receive, cumulative ACKs. */
struct tcp_client {
	int active;
	uint16_t sport;
	uint32_t iss, snd_nxt, rcv_nxt;
	int synack, synack_ack_ok, fin, rst, ack_needed;
	uint8_t *rx;              /* the byte stream received */
	size_t rx_len, rx_cap;
	uint64_t segments, out_of_order;
};

#define CAP_MAX 1024u

struct env {
	struct rig r;
	struct nc_lwip_netif nif;
	struct nc_guest_services svc;
	struct tcp_client tc;
	/* frames from the guest not consumed yet, oldest first */
	uint8_t *cap[CAP_MAX];
	size_t cap_len[CAP_MAX];
	unsigned ncap;
	/* every frame the guest sent */
	uint64_t frames, bad_csum, malformed, poison, cap_overflow;
	uint64_t arp_answered, ns_answered, dad_probes, queue_fail;
};

static void host_send(struct env *e, const uint8_t *f, size_t len,
		      uint32_t flags)
{
	struct nc_frame fr = { .data = f, .len = (uint32_t)len,
			       .flags = flags };

	if (nc_back_queue(e->r.b, &fr) != NC_OK)
		e->queue_fail++;
}

/* The host answers the guest's ARP request and neighbour solicitation
 * for its own addresses, as Linux would. */
static int answer_resolution(struct env *e, const struct pkt *p)
{
	uint8_t f[128];

	if (p->type == ETHERTYPE_ARP && get16(p->f + ETH_HLEN + 6) == 1 &&
	    !memcmp(p->f + ETH_HLEN + 24, HOST_IP, 4)) {
		host_send(e, f, build_arp(f, 2, p->f + 6, p->f + ETH_HLEN + 8,
					  p->f + ETH_HLEN + 14), 0);
		e->arp_answered++;
		return 1;
	}
	if (is_icmp6(p, 135) && p->l4_len >= 24 &&
	    !memcmp(p->l4 + 8, HOST_LL, 16)) {
		host_send(e, f, build_na(f, p->f + 6, p->ip + 8), 0);
		e->ns_answered++;
		return 1;
	}
	if (is_icmp6(p, 135) && p->l4_len >= 24 &&
	    !memcmp(p->l4 + 8, GUEST_LL, 16)) {
		uint8_t any[16] = { 0 };

		if (!memcmp(p->ip + 8, any, 16))
			e->dad_probes++;        /* DAD: from :: */
	}
	return 0;
}

static void tc_append(struct tcp_client *c, const uint8_t *d, size_t n)
{
	if (c->rx_len + n > c->rx_cap) {
		size_t cap = (c->rx_len + n) * 2;
		uint8_t *rx = realloc(c->rx, cap);

		if (!rx)
			return;
		c->rx = rx;
		c->rx_cap = cap;
	}
	memcpy(c->rx + c->rx_len, d, n);
	c->rx_len += n;
}

/* One segment of our connection. */
static void tc_segment(struct tcp_client *c, const struct pkt *p)
{
	const uint8_t *t = p->l4;
	size_t hl = (size_t)(t[12] >> 4) * 4;
	uint32_t seq = get32(t + 4);
	uint8_t flags = t[13];
	size_t n = p->l4_len - hl;

	c->segments++;
	if (flags & TCP_RST) {
		c->rst = 1;
		return;
	}
	if ((flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
		c->synack = 1;
		c->synack_ack_ok = get32(t + 8) == c->iss + 1;
		c->rcv_nxt = seq + 1;
		return;
	}
	if (seq != c->rcv_nxt) {
		c->out_of_order++;
		c->ack_needed = 1;
		return;
	}
	tc_append(c, t + hl, n);
	c->rcv_nxt += (uint32_t)n;
	if (flags & TCP_FIN) {
		c->rcv_nxt++;
		c->fin = 1;
	}
	if (n || (flags & TCP_FIN))
		c->ack_needed = 1;
}

static int is_for_client(const struct tcp_client *c, const struct pkt *p)
{
	return c->active && is_ipv4_from_guest(p, 6) && p->l4_len >= 20 &&
	       get16(p->l4) == HTTP_PORT && get16(p->l4 + 2) == c->sport &&
	       (size_t)(p->l4[12] >> 4) * 4 <= p->l4_len;
}

static void keep_frame(struct env *e, const uint8_t *f, size_t len)
{
	uint8_t *copy;

	if (e->ncap == CAP_MAX) {
		e->cap_overflow++;
		free(e->cap[0]);
		memmove(e->cap, e->cap + 1, (CAP_MAX - 1) * sizeof(e->cap[0]));
		memmove(e->cap_len, e->cap_len + 1,
			(CAP_MAX - 1) * sizeof(e->cap_len[0]));
		e->ncap--;
	}
	copy = malloc(len);
	if (!copy)
		return;
	memcpy(copy, f, len);
	e->cap[e->ncap] = copy;
	e->cap_len[e->ncap++] = len;
}

/* The backend's deliver callback: every frame the guest sent. */
static void host_receive(void *arg, const struct nc_frame *fr)
{
	struct env *e = arg;
	struct pkt p;
	int csum = nc_csum_verify_frame(fr->data, fr->len);

	e->frames++;
	if (csum == 0)
		e->bad_csum++;
	if (csum < 0)
		e->malformed++;
	if (has_poison(fr->data, fr->len))
		e->poison++;
	if (csum == 0 || csum < 0)
		tap_diag("bad frame: len %u ethertype %04x csum %d", fr->len,
			 fr->len >= 14 ? get16(fr->data + 12) : 0, csum);
	if (parse_pkt(fr->data, fr->len, &p) == 0) {
		if (answer_resolution(e, &p))
			return;
		if (is_for_client(&e->tc, &p)) {
			tc_segment(&e->tc, &p);
			return;
		}
	}
	keep_frame(e, fr->data, fr->len);
}

/* ------------------------------------------------- running both ends */

static void lock(void)
{
	LOCK_TCPIP_CORE();
}

static void unlock(void)
{
	UNLOCK_TCPIP_CORE();
}

static void tc_send(struct env *e, uint8_t flags, const void *d, size_t n)
{
	uint8_t f[2048];
	struct seg s = { .sport = e->tc.sport, .seq = e->tc.snd_nxt,
			 .ack = (flags & TCP_ACK) ? e->tc.rcv_nxt : 0,
			 .flags = flags, .data = d, .len = n };

	host_send(e, f, build_tcp(f, &s), 0);
	e->tc.snd_nxt += (uint32_t)n + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
}

/* One round: the guest (under the core lock), then the host; then the
 * host's pending ACK.  Sleeps a little when neither had work. */
static void pump(struct env *e)
{
	struct pollfd fds[2];
	int more;

	lock();
	more = nc_lwip_netif_poll(&e->nif);
	more |= nc_lwip_netif_tx_pending(&e->nif) != 0;
	unlock();
	if (e->r.bh)                     /* NULL: the backend is dead */
		more |= nc_back_poll(e->r.b);
	if (e->tc.ack_needed) {
		e->tc.ack_needed = 0;
		tc_send(e, TCP_ACK, NULL, 0);
		more = 1;
	}
	if (more)
		return;
	fds[0].fd = e->r.fplat.events.ops->fd(e->r.fplat.events.ctx);
	fds[1].fd = e->r.bh ?
		    e->r.bplat.events.ops->fd(e->r.bplat.events.ctx) : -1;
	fds[0].events = fds[1].events = POLLIN;
	poll(fds, 2, 1);
}

static void pump_for(struct env *e, unsigned ms)
{
	uint64_t end = now_ms() + ms;

	while (now_ms() < end)
		pump(e);
}

typedef int (*frame_match)(const struct pkt *p, const void *ctx);

/* Wait up to `ms` for a kept frame that matches; copy it into out. */
static size_t wait_frame(struct env *e, frame_match match, const void *ctx,
			 unsigned ms, uint8_t *out, size_t out_max)
{
	uint64_t end = now_ms() + ms;

	for (;;) {
		unsigned i;

		for (i = 0; i < e->ncap; i++) {
			struct pkt p;
			size_t len = e->cap_len[i];

			if (parse_pkt(e->cap[i], len, &p) || !match(&p, ctx) ||
			    len > out_max)
				continue;
			memcpy(out, e->cap[i], len);
			free(e->cap[i]);
			memmove(e->cap + i, e->cap + i + 1,
				(e->ncap - i - 1) * sizeof(e->cap[0]));
			memmove(e->cap_len + i, e->cap_len + i + 1,
				(e->ncap - i - 1) * sizeof(e->cap_len[0]));
			e->ncap--;
			return len;
		}
		if (now_ms() >= end)
			return 0;
		pump(e);
	}
}

static int link_is_up(struct env *e)
{
	int up;

	lock();
	up = e->nif.link_up && netif_is_link_up(&e->nif.netif);
	unlock();
	return up;
}

/* The world, the vif, the backend; then under the core lock the
 * frontend, its lwIP netif, the addresses and the services. */
static struct env *env_new(struct tap *t, unsigned pool_pages)
{
	struct env *e = calloc(1, sizeof(*e));
	struct nc_guest_addrs a;
	struct nc_guest_services_config sc = {
		.udp_echo_port = ECHO_PORT, .http_port = HTTP_PORT,
		.name = GUEST_NAME };
	int rc;

	if (!CHECK(t, e && rig_init(&e->r, 0) == 0))
		return NULL;
	e->r.fcfg.rx = nc_lwip_netif_rx;
	e->r.fcfg.rx_arg = &e->nif;
	e->r.fcfg.pool_pages = pool_pages;
	e->r.bcfg.deliver = host_receive;
	e->r.bcfg.deliver_arg = e;
	memset(&a, 0, sizeof(a));
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("10.0.0.2/24", &a.ip4,
					      &a.mask4), 0);
	CHECK_EQ(t, rig_start_back(&e->r), NC_OK);
	lock();
	rc = nc_front_init(e->r.f, &e->r.fplat, &e->r.fcfg);
	if (rc == NC_OK)
		rc = nc_lwip_netif_add(&e->nif, e->r.f);
	if (rc == 0)
		rc = nc_guest_set_addrs(&e->nif.netif, &a);
	if (rc == 0)
		rc = nc_guest_services_start(&e->svc, &sc);
	unlock();
	CHECK_EQ(t, rc, 0);
	return e;
}

/* Connect: the link comes up with the frontend. */
static int env_connect(struct env *e)
{
	uint64_t end = now_ms() + 2000;

	while (now_ms() < end) {
		pump(e);
		if (link_is_up(e) && nc_back_state(e->r.b) == NC_BACK_CONNECTED)
			return 0;
	}
	return -1;
}

/* A fresh env connected, or a failed check. */
static int connected(struct tap *t, struct env *e)
{
	return e && CHECK(t, env_connect(e) == 0);
}

/* What every case checks at the end: each frame the guest sent was
 * well-formed, checksummed and free of poison. */
static void check_wire_clean(struct tap *t, struct env *e)
{
	uint64_t violations;

	lock();
	violations = e->r.f->q[0].pool.stats.poison_violations;
	unlock();
	CHECK(t, e->frames > 0);
	CHECK_EQ(t, e->bad_csum, 0);
	CHECK_EQ(t, e->malformed, 0);
	CHECK_EQ(t, e->poison, 0);
	CHECK_EQ(t, violations, 0);
	CHECK_EQ(t, e->queue_fail, 0);
}

static void env_free(struct tap *t, struct env *e)
{
	uint64_t end;
	unsigned i;

	if (!e)
		return;
	check_wire_clean(t, e);
	lock();
	nc_guest_services_stop(&e->svc);
	nc_front_close(e->r.f);
	unlock();
	for (end = now_ms() + 2000; now_ms() < end;) {
		pump(e);
		lock();
		i = nc_front_state(e->r.f) == NC_FRONT_STOPPED;
		unlock();
		if (i)
			break;
	}
	CHECK(t, !link_is_up(e));            /* the link followed */
	lock();
	CHECK_EQ(t, nc_front_state(e->r.f), NC_FRONT_STOPPED);
	CHECK_EQ(t, e->r.f->quarantined_pages, 0);
	nc_lwip_netif_remove(&e->nif);
	nc_front_destroy(e->r.f);
	unlock();
	nc_back_close(e->r.b);
	nc_inproc_close(e->r.fh);
	nc_inproc_close(e->r.bh);
	nc_inproc_close(e->r.th);
	nc_inproc_world_free(e->r.w);
	free(e->r.f);
	free(e->r.b);
	free(e->r.rxq);
	for (i = 0; i < e->ncap; i++)
		free(e->cap[i]);
	free(e->tc.rx);
	free(e);
}

/* ------------------------------------------------------------ matchers */

static int match_arp_reply(const struct pkt *p, const void *ctx)
{
	const uint8_t *a = p->f + ETH_HLEN;

	(void)ctx;
	return p->type == ETHERTYPE_ARP && get16(a + 6) == 2 &&
	       !memcmp(a + 14, GUEST_IP, 4);
}

static int match_echo_reply(const struct pkt *p, const void *ctx)
{
	const uint16_t *seq = ctx;

	return is_ipv4_from_guest(p, 1) && p->l4_len >= 8 && p->l4[0] == 0 &&
	       get16(p->l4 + 6) == *seq;
}

static int match_udp4_reply(const struct pkt *p, const void *ctx)
{
	const uint16_t *port = ctx;

	return is_ipv4_from_guest(p, 17) && p->l4_len >= 8 &&
	       get16(p->l4) == ECHO_PORT && get16(p->l4 + 2) == *port;
}

static int match_udp6_reply(const struct pkt *p, const void *ctx)
{
	const uint16_t *port = ctx;

	return p->type == ETHERTYPE_IPV6 && p->proto == 17 &&
	       p->l4_len >= 8 && get16(p->l4) == ECHO_PORT &&
	       get16(p->l4 + 2) == *port;
}

static int match_na_for_guest(const struct pkt *p, const void *ctx)
{
	(void)ctx;
	return is_icmp6(p, 136) && p->l4_len >= 24 &&
	       !memcmp(p->l4 + 8, GUEST_LL, 16) &&
	       !memcmp(p->ip + 24, HOST_LL, 16);
}

static int match_echo6_reply(const struct pkt *p, const void *ctx)
{
	const uint16_t *seq = ctx;

	return is_icmp6(p, 129) && get16(p->l4 + 6) == *seq;
}

static int match_rst(const struct pkt *p, const void *ctx)
{
	const uint16_t *port = ctx;

	return is_ipv4_from_guest(p, 6) && p->l4_len >= 20 &&
	       get16(p->l4 + 2) == *port && (p->l4[13] & TCP_RST);
}

/* ------------------------------------------------------------ cases */

static void test_link_follows_frontend(struct tap *t)
{
	struct env *e = env_new(t, 0);

	if (!e)
		return;
	CHECK(t, !link_is_up(e));            /* not yet connected */
	CHECK_EQ(t, env_connect(e), 0);
	lock();
	CHECK(t, !memcmp(e->nif.netif.hwaddr, GUEST_MAC, 6));
	CHECK_EQ(t, e->nif.netif.mtu, 1500);
	CHECK_EQ(t, e->nif.counters.link_ups, 1);
	CHECK(t, netif_is_up(&e->nif.netif));
	unlock();
	pump_for(e, 100);            /* let the announcements go out */
	env_free(t, e);
}

static int one_ping(struct env *e, uint16_t seq)
{
	uint8_t f[256], got[2048];

	host_send(e, f, build_ping(f, GUEST_MAC, seq, 56), 0);
	return wait_frame(e, match_echo_reply, &seq, 2000, got,
			  sizeof(got)) == ETH_HLEN + 20 + 8 + 56;
}

/* The backend process dies and a new one serves the vif: the link goes
 * down with the frontend and comes back up with it. */
static void test_link_follows_backend_restart(struct tap *t)
{
	struct env *e = env_new(t, 0);
	struct nc_lwip_counters c;
	uint64_t end;

	if (!connected(t, e))
		goto out;
	CHECK(t, one_ping(e, 1));
	nc_inproc_close(e->r.bh);
	e->r.bh = NULL;
	for (end = now_ms() + 1000; link_is_up(e) && now_ms() < end;)
		pump(e);
	CHECK(t, !link_is_up(e));
	e->r.bh = nc_inproc_open(e->r.w, RIG_BE, &e->r.bplat);
	memset(e->r.b, 0, sizeof(*e->r.b));
	CHECK_EQ(t, rig_start_back(&e->r), NC_OK);
	CHECK(t, connected(t, e));
	CHECK(t, one_ping(e, 2));
	lock();
	c = e->nif.counters;
	unlock();
	CHECK_EQ(t, c.link_ups, 2);
	CHECK_EQ(t, c.link_downs, 1);
out:
	env_free(t, e);
}

static void test_arp_reply(struct tap *t)
{
	struct env *e = env_new(t, 0);
	uint8_t f[128], got[2048];
	size_t n;

	if (!connected(t, e))
		goto out;
	host_send(e, f, build_arp(f, 1, BCAST_MAC, (const uint8_t[6]){ 0 },
				  GUEST_IP), 0);
	n = wait_frame(e, match_arp_reply, NULL, 1000, got, sizeof(got));
	CHECK(t, n >= ETH_HLEN + 28);
	if (n) {
		const uint8_t *a = got + ETH_HLEN;

		CHECK(t, !memcmp(got, HOST_MAC, 6));
		CHECK(t, !memcmp(a + 8, GUEST_MAC, 6));      /* sender */
		CHECK(t, !memcmp(a + 18, HOST_MAC, 6));      /* target */
		CHECK(t, !memcmp(a + 24, HOST_IP, 4));
	}
out:
	env_free(t, e);
}

/* Ping with `count` sizes spread up to the MTU; each reply checked. */
static void ping_sizes(struct tap *t, struct env *e, unsigned count)
{
	static uint8_t f[2048], got[2048];
	unsigned i, ok = 0;

	for (i = 0; i < count; i++) {
		size_t payload = i + 1 == count ? 1500 - 28 : (i * 97) % 1473;
		uint16_t seq = (uint16_t)(i + 1);
		size_t n;

		host_send(e, f, build_ping(f, GUEST_MAC, seq, payload), 0);
		n = wait_frame(e, match_echo_reply, &seq, 2000, got,
			       sizeof(got));
		if (n == ETH_HLEN + 20 + 8 + payload &&
		    get16(got + ETH_HLEN + 20 + 4) == 0x4242 &&
		    !memcmp(got + ETH_HLEN + 28, f + ETH_HLEN + 28, payload))
			ok++;
	}
	CHECK_EQ(t, ok, count);
}

static void test_icmp_echo(struct tap *t)
{
	struct env *e = env_new(t, 0);

	if (!connected(t, e))
		goto out;
	ping_sizes(t, e, 40);
out:
	env_free(t, e);
}

static void test_mac_filter(struct tap *t)
{
	struct env *e = env_new(t, 0);
	uint8_t f[256], got[2048];
	uint16_t seq = 77;
	uint64_t filtered;

	if (!connected(t, e))
		goto out;
	pump_for(e, 50);
	host_send(e, f, build_ping(f, OTHER_MAC, seq, 32), 0);
	CHECK_EQ(t, wait_frame(e, match_echo_reply, &seq, 300, got,
			       sizeof(got)), 0);
	lock();
	filtered = e->nif.counters.rx_filtered;
	unlock();
	CHECK_EQ(t, filtered, 1);
out:
	env_free(t, e);
}

static int udp_echo_ok(const uint8_t *got, size_t n, const uint8_t *sent,
		       size_t hdr, size_t payload)
{
	return n == hdr + 8 + payload &&
	       get16(got + hdr + 4) == 8 + payload &&
	       get16(got + hdr + 6) != 0 &&         /* a real checksum */
	       !memcmp(got + hdr + 8, sent + hdr + 8, payload);
}

static void test_udp_echo(struct tap *t)
{
	struct env *e = env_new(t, 0);
	static uint8_t f[2048], got[2048];
	unsigned i, ok = 0;
	uint64_t echoed;

	if (!connected(t, e))
		goto out;
	for (i = 0; i < 20; i++) {
		uint16_t port = (uint16_t)(30000 + i);
		size_t payload = i == 19 ? 1500 - 28 : i * 71;
		size_t n;

		host_send(e, f, build_udp4(f, port, payload), 0);
		n = wait_frame(e, match_udp4_reply, &port, 2000, got,
			       sizeof(got));
		ok += udp_echo_ok(got, n, f, ETH_HLEN + 20, payload);
	}
	CHECK_EQ(t, ok, 20);
	lock();
	echoed = e->svc.counters.udp_echoed;
	unlock();
	CHECK_EQ(t, echoed, 20);
out:
	env_free(t, e);
}

/* The backend hands over a frame whose UDP checksum is only the pseudo
 * header's (NC_FRAME_CSUM_BLANK): the netif completes it for lwIP. */
static void test_udp_partial_checksum(struct tap *t)
{
	struct env *e = env_new(t, 0);
	static uint8_t f[2048], got[2048];
	uint16_t port = 31000, c;
	uint64_t completed;
	size_t len, n;

	if (!connected(t, e))
		goto out;
	len = build_udp4(f, port, 300);
	c = (uint16_t)~nc_csum_fold(nc_csum_pseudo_v4(
		f + ETH_HLEN + 12, f + ETH_HLEN + 16, 17, 8 + 300));
	memcpy(f + ETH_HLEN + 20 + 6, &c, 2);
	CHECK_EQ(t, nc_csum_verify_frame(f, len), 0);
	host_send(e, f, len, NC_FRAME_CSUM_BLANK);
	n = wait_frame(e, match_udp4_reply, &port, 2000, got, sizeof(got));
	CHECK(t, udp_echo_ok(got, n, f, ETH_HLEN + 20, 300));
	lock();
	completed = e->nif.counters.rx_csum_completed;
	unlock();
	CHECK_EQ(t, completed, 1);
out:
	env_free(t, e);
}

static int link_local_ready(struct env *e)
{
	int ready;

	lock();
	ready = ip6_addr_ispreferred(netif_ip6_addr_state(&e->nif.netif, 0));
	unlock();
	return ready;
}

static void test_ipv6_nd_and_echo(struct tap *t)
{
	struct env *e = env_new(t, 0);
	static uint8_t f[2048], got[2048];
	uint64_t end;
	uint16_t seq = 9, port = 32000;
	size_t n;

	if (!connected(t, e))
		goto out;
	/* duplicate address detection first: about a second */
	for (end = now_ms() + 5000; !link_local_ready(e) && now_ms() < end;)
		pump(e);
	CHECK(t, link_local_ready(e));
	CHECK(t, e->dad_probes >= 1);
	host_send(e, f, build_ns(f, GUEST_LL), 0);
	n = wait_frame(e, match_na_for_guest, NULL, 2000, got, sizeof(got));
	CHECK(t, n >= ETH_HLEN + 40 + 24);
	if (n) {
		CHECK(t, got[ETH_HLEN + 7] == 255);            /* hop limit */
		CHECK(t, got[ETH_HLEN + 40 + 4] & 0x40);       /* solicited */
		CHECK(t, !memcmp(got, HOST_MAC, 6));
	}
	if (n >= ETH_HLEN + 40 + 32)                          /* TLLAO */
		CHECK(t, got[ETH_HLEN + 40 + 24] == 2 &&
			 !memcmp(got + ETH_HLEN + 40 + 26, GUEST_MAC, 6));
	host_send(e, f, build_ping6(f, seq, 1000), 0);
	n = wait_frame(e, match_echo6_reply, &seq, 2000, got, sizeof(got));
	CHECK_EQ(t, n, ETH_HLEN + 40 + 8 + 1000);
	CHECK(t, n && !memcmp(got + ETH_HLEN + 40 + 8,
			      f + ETH_HLEN + 40 + 8, 1000));
	CHECK(t, n && !memcmp(got + ETH_HLEN + 8, GUEST_LL, 16));
	host_send(e, f, build_udp6(f, port, 500), 0);
	n = wait_frame(e, match_udp6_reply, &port, 2000, got, sizeof(got));
	CHECK(t, udp_echo_ok(got, n, f, ETH_HLEN + 40, 500));
out:
	env_free(t, e);
}

/* ---------------------------------------------------------------- TCP */

static int tcp_handshake(struct tap *t, struct env *e, uint16_t sport)
{
	uint64_t end;

	memset(&e->tc, 0, sizeof(e->tc));
	e->tc.active = 1;
	e->tc.sport = sport;
	e->tc.iss = 1000u * sport;
	e->tc.snd_nxt = e->tc.iss;
	tc_send(e, TCP_SYN, NULL, 0);
	for (end = now_ms() + 2000; !e->tc.synack && now_ms() < end;)
		pump(e);
	CHECK(t, e->tc.synack);
	CHECK(t, e->tc.synack_ack_ok);
	if (!e->tc.synack)
		return -1;
	tc_send(e, TCP_ACK, NULL, 0);
	return 0;
}

/* Send a request and read the response until the guest's FIN. */
static int http_get(struct tap *t, struct env *e, const char *request,
		    unsigned ms)
{
	uint64_t end;

	tc_send(e, TCP_PSH | TCP_ACK, request, strlen(request));
	for (end = now_ms() + ms; !e->tc.fin && !e->tc.rst &&
				  now_ms() < end;)
		pump(e);
	CHECK(t, e->tc.fin);
	CHECK(t, !e->tc.rst);
	/* our FIN; the guest's last ACK is then among the kept frames */
	tc_send(e, TCP_FIN | TCP_ACK, NULL, 0);
	pump_for(e, 20);
	return e->tc.fin ? 0 : -1;
}

/* Split the received stream: the head (NUL-terminated in place) and the
 * body. */
static const uint8_t *http_body(struct tcp_client *c, size_t *len)
{
	uint8_t *sep = memmem(c->rx, c->rx_len, "\r\n\r\n", 4);

	if (!sep)
		return NULL;
	sep[2] = '\0';
	*len = c->rx_len - (size_t)(sep + 4 - c->rx);
	return sep + 4;
}

static void test_tcp_syn_synack(struct tap *t)
{
	struct env *e = env_new(t, 0);
	uint8_t f[128], got[2048];
	struct seg s = { .sport = 0 };

	if (!connected(t, e))
		goto out;
	CHECK_EQ(t, tcp_handshake(t, e, 40001), 0);
	/* a SYN to a port nobody listens on is answered with a reset */
	e->tc.active = 0;
	s.sport = 40002;
	s.dport = HTTP_PORT + 1;
	s.seq = 5;
	s.flags = TCP_SYN;
	host_send(e, f, build_tcp(f, &s), 0);
	CHECK(t, wait_frame(e, match_rst, &s.sport, 1000, got,
			    sizeof(got)) > 0);
out:
	env_free(t, e);
}

static void test_http_index(struct tap *t)
{
	struct env *e = env_new(t, 0);
	const uint8_t *body;
	size_t len = 0;

	if (!connected(t, e))
		goto out;
	if (tcp_handshake(t, e, 41000) ||
	    http_get(t, e, "GET / HTTP/1.0\r\n\r\n", 3000))
		goto out;
	body = http_body(&e->tc, &len);
	CHECK(t, body != NULL);
	if (!body)
		goto out;
	CHECK(t, !strncmp((const char *)e->tc.rx, "HTTP/1.0 200 OK\r\n", 17));
	CHECK(t, strstr((const char *)e->tc.rx, "Content-Type: text/html"));
	CHECK(t, memmem(body, len, GUEST_NAME, strlen(GUEST_NAME)));
	CHECK(t, memmem(body, len, "</html>", 7));
out:
	env_free(t, e);
}

static size_t count_pattern_errors(const uint8_t *b, size_t len)
{
	size_t i, bad = 0;

	for (i = 0; i < len; i++)
		bad += b[i] != nc_guest_big_byte(i);
	return bad;
}

/* 1 MiB through a 4-page pool: the ring never lacks slots but the pool
 * runs dry, so the netif's queue holds frames and sends them in order. */
static void test_http_big_small_pool(struct tap *t)
{
	struct env *e = env_new(t, 4);
	const uint8_t *body;
	struct nc_lwip_counters nc;
	struct nc_guest_services_counters sc;
	uint64_t t0;
	size_t len = 0;
	char want[64];

	if (!connected(t, e))
		goto out;
	t0 = now_ms();
	if (tcp_handshake(t, e, 42000) ||
	    http_get(t, e, "GET /big HTTP/1.1\r\nHost: guest\r\n"
		     "User-Agent: test\r\n\r\n", 30000))
		goto out;
	body = http_body(&e->tc, &len);
	CHECK(t, body != NULL);
	if (!body)
		goto out;
	snprintf(want, sizeof(want), "Content-Length: %u\r\n",
		 NC_GUEST_BIG_SIZE);
	CHECK(t, !strncmp((const char *)e->tc.rx, "HTTP/1.1 200 OK\r\n", 17));
	CHECK(t, strstr((const char *)e->tc.rx, want));
	CHECK_EQ(t, len, NC_GUEST_BIG_SIZE);
	CHECK_EQ(t, count_pattern_errors(body, len), 0);
	lock();
	nc = e->nif.counters;
	sc = e->svc.counters;
	unlock();
	CHECK(t, nc.tx_deferred > 0);
	CHECK_EQ(t, nc.tx_dropped, 0);
	CHECK_EQ(t, sc.http_body_bytes, NC_GUEST_BIG_SIZE);
	CHECK_EQ(t, sc.http_completed, 1);
	CHECK_EQ(t, sc.http_aborted, 0);
	tap_diag("1 MiB in %llu ms, %llu segments, %llu out of order, "
		 "%llu frames deferred", (unsigned long long)(now_ms() - t0),
		 (unsigned long long)e->tc.segments,
		 (unsigned long long)e->tc.out_of_order,
		 (unsigned long long)nc.tx_deferred);
out:
	env_free(t, e);
}

static void test_http_not_found_and_head(struct tap *t)
{
	struct env *e = env_new(t, 0);
	size_t len = 0;

	if (!connected(t, e))
		goto out;
	if (tcp_handshake(t, e, 43000) ||
	    http_get(t, e, "GET /nope HTTP/1.1\r\n\r\n", 3000))
		goto out;
	CHECK(t, http_body(&e->tc, &len) != NULL);
	CHECK(t, !strncmp((const char *)e->tc.rx, "HTTP/1.1 404 ", 13));
	free(e->tc.rx);
	e->tc.rx = NULL;
	if (tcp_handshake(t, e, 43001) ||
	    http_get(t, e, "HEAD /big HTTP/1.1\r\n\r\n", 3000))
		goto out;
	CHECK(t, http_body(&e->tc, &len) != NULL);
	CHECK_EQ(t, len, 0);
	CHECK(t, strstr((const char *)e->tc.rx, "Content-Length: 1048576"));
out:
	env_free(t, e);
}

/* "/big/N": N bytes of the pattern; N out of range or not digits: 404. */
static void test_http_big_n(struct tap *t)
{
	static const char *const bad[] = { "/big/0", "/big/", "/big/12x",
		"/big/268435457", "/big/-1", "/big/1234567890" };
	struct env *e = env_new(t, 0);
	const uint8_t *body;
	size_t len = 0, i;
	char req[96];
	uint16_t port = 44000;

	if (!connected(t, e))
		goto out;
	if (tcp_handshake(t, e, port++) ||
	    http_get(t, e, "GET /big/70001 HTTP/1.1\r\n\r\n", 5000))
		goto out;
	body = http_body(&e->tc, &len);
	CHECK(t, body != NULL);
	CHECK(t, strstr((const char *)e->tc.rx, "Content-Length: 70001\r\n"));
	CHECK_EQ(t, len, 70001);
	if (body)
		CHECK_EQ(t, count_pattern_errors(body, len), 0);
	free(e->tc.rx);
	e->tc.rx = NULL;
	if (tcp_handshake(t, e, port++) ||
	    http_get(t, e, "HEAD /big/268435456 HTTP/1.1\r\n\r\n", 3000))
		goto out;
	CHECK(t, strstr((const char *)e->tc.rx, "Content-Length: 268435456"));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		free(e->tc.rx);
		e->tc.rx = NULL;
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n\r\n", bad[i]);
		if (tcp_handshake(t, e, port++) || http_get(t, e, req, 3000))
			goto out;
		CHECK(t, !strncmp((const char *)e->tc.rx, "HTTP/1.1 404 ", 13));
	}
out:
	env_free(t, e);
}

static void test_address_parsing(struct tap *t)
{
	ip4_addr_t a, m;
	ip6_addr_t a6;

	CHECK_EQ(t, nc_guest_parse_ip4_prefix("192.168.1.7/24", &a, &m), 0);
	CHECK_EQ(t, ntohl(a.addr), 0xc0a80107);
	CHECK_EQ(t, ntohl(m.addr), 0xffffff00);
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("10.1.2.3", &a, &m), 0);
	CHECK_EQ(t, m.addr, 0xffffffff);
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("10.1.2.3/0", &a, &m), 0);
	CHECK_EQ(t, m.addr, 0);
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("10.1.2.3/33", &a, &m), -1);
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("10.1.2/8", &a, &m), -1);
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("10.1.2.3/x", &a, &m), -1);
	CHECK_EQ(t, nc_guest_parse_ip4_prefix("/24", &a, &m), -1);
	CHECK_EQ(t, nc_guest_parse_ip6_prefix("fd00::5/64", &a6), 0);
	CHECK_EQ(t, ntohl(a6.addr[0]), 0xfd000000);
	CHECK_EQ(t, ntohl(a6.addr[3]), 5);
	CHECK_EQ(t, nc_guest_parse_ip6_prefix("fd00::5/48", &a6), -1);
	CHECK_EQ(t, nc_guest_parse_ip6_prefix("fd00:::5/64", &a6), -1);
	CHECK_EQ(t, nc_guest_parse_ip6_prefix("fd00::5", &a6), 0);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	/* lwIP and its thread, once for the process */
	tcpip_init(NULL, NULL);
	tap_run(&t, "address parsing", test_address_parsing);
	tap_run(&t, "link follows the frontend; MAC and MTU from it",
		test_link_follows_frontend);
	tap_run(&t, "link down and up again across a backend restart",
		test_link_follows_backend_restart);
	tap_run(&t, "ARP request answered", test_arp_reply);
	tap_run(&t, "ICMP echo, 40 sizes up to the MTU", test_icmp_echo);
	tap_run(&t, "unicast to another MAC filtered", test_mac_filter);
	tap_run(&t, "UDP echo, 20 sizes up to the MTU", test_udp_echo);
	tap_run(&t, "UDP with a partial checksum completed and echoed",
		test_udp_partial_checksum);
	tap_run(&t, "IPv6: DAD, neighbour advertisement, ICMPv6 and UDP "
		"echo on the link-local address", test_ipv6_nd_and_echo);
	tap_run(&t, "TCP: SYN answered by SYN/ACK; closed port reset",
		test_tcp_syn_synack);
	tap_run(&t, "HTTP GET / names the guest", test_http_index);
	tap_run(&t, "HTTP GET /big: 1 MiB intact through a 4-page pool",
		test_http_big_small_pool);
	tap_run(&t, "HTTP 404 and HEAD", test_http_not_found_and_head);
	tap_run(&t, "HTTP /big/N: N bytes of the pattern, bad N 404",
		test_http_big_n);
	return tap_done(&t);
}

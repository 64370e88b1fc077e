/*
 * tso_send.c - a TCP transfer through our netfront in TSO (GSO) frames.
 *
 * Joins a domain (the simulator's, or real Xen's), connects vif N, and
 * opens a TCP connection to a Linux listener with a minimal client built
 * by hand: SYN (MSS 1460, no window scaling, no timestamps), the peer's
 * SYN-ACK, our ACK, then --bytes of payload in GSO frames of up to --seg
 * payload bytes each (XEN_NETIF_GSO_TYPE_TCPV4, gso_size = the MSS,
 * NC_FRAME_CSUM_BLANK with the TCP checksum field holding the
 * pseudo-header sum over the whole frame's TCP length, as Linux sends
 * them), then FIN, the peer's FIN, our ACK.  The backend must segment the
 * frames (ours does in software for a TAP) or pass them on.
 *
 * Payload byte i is (i * 7 + i / 4096) & 255, the pattern of the demo
 * guest's /big, so that the receiver can check every byte.
 *
 * ARP: the peer's MAC is given; requests for our address are answered
 * (Linux asks before it answers our SYN).
 *
 * Loss: go-back-N.  When no ACK advanced for 200 ms, everything from the
 * first unacknowledged byte is sent again (as GSO frames).  When nothing
 * advanced for 30 s (handshake, transfer or close), exit 1.
 *
 * Everything the peer sends is untrusted: every header is bounds-checked
 * before a field of it is read.
 *
 * Prints at the end: bytes, GSO frames, retransmissions (timer expiries),
 * seconds.  Exit 0 on a clean transfer and close, 1 on failure, 2 on
 * usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netchannel/csum.h"
#include "netchannel/errors.h"
#include "netchannel/front.h"
#include "netchannel/gso.h"
#include "netchannel/sim.h"
#include "netchannel/wire.h"
#include "netchannel/xen.h"

#define ETH_HLEN 14u
#define ETH_MIN_FRAME 60u
#define IP_HLEN 20u
#define TCP_HLEN 20u
#define HDRS (ETH_HLEN + IP_HLEN + TCP_HLEN)
#define ARP_LEN 28u
#define ETHERTYPE_IPV4 0x0800u
#define ETHERTYPE_ARP 0x0806u
#define PROTO_TCP 6u
#define IP_DF 0x4000u
#define IP_MF_OFFSET 0x3fffu

#define TCP_FIN 0x01u
#define TCP_SYN 0x02u
#define TCP_RST 0x04u
#define TCP_PSH 0x08u
#define TCP_ACK 0x10u

#define OUR_MSS 1460u
#define DEFAULT_MSS 536u      /* RFC 9293: no MSS option */
#define MIN_MSS 88u           /* Linux's TCP_MIN_MSS: smaller is raised */
#define OUR_WINDOW 65535u
#define DEFAULT_SEG 60000u
/* The most payload one frame may carry: the IPv4 total length (16 bits)
 * and the netif frame size (NC_MAX_FRAME) both bound it. */
#define MAX_SEG (NC_MAX_FRAME - HDRS)

#define RTO_S 0.2
#define GIVE_UP_S 30.0
#define CLOSE_S 2.0

/* ------------------------------------------------------------ options */

struct opts {
	const char *run_dir;
	int xen;
	long domid;               /* -1: not given */
	unsigned vif;
	uint8_t ip[4], peer[4];
	uint8_t peer_mac[6];
	uint16_t port;
	uint64_t bytes;
	uint32_t seg;
	unsigned hold;            /* seconds connected after the transfer */
	unsigned lose;            /* tests: every lose-th GSO frame not sent */
};

static const char usage_text[] =
"usage: tso_send --run-dir DIR|--xen [--domid D] [--vif V] --ip A.B.C.D\n"
"                --peer A.B.C.D --peer-mac XX:XX:XX:XX:XX:XX --port P\n"
"                --bytes N [--seg BYTES] [--hold SECONDS] [--lose K]\n"
"Sends N bytes over TCP to PEER:P from vif V (device/vif/V, default 0)\n"
"of domain D in TSO (GSO TCPv4) frames of up to BYTES payload bytes each\n"
"(default 60000, at most 65481).  --run-dir: the simulator's; --xen: real\n"
"Xen (the default when /dev/xen exists).  --domid is required on the\n"
"simulator and checked on Xen.  --hold: keep the vif connected (ARP\n"
"answered) that long after the transfer, e.g. to read the backend's\n"
"counters before the vif goes away.  --lose K (K >= 2, for tests): every\n"
"Kth frame of new data is dropped instead of sent, to exercise\n"
"retransmission.  Exit: 0 done, 1 failed, 2 usage.\n";

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "tso_send: %s\n", why);
	fputs(usage_text, stderr);
	return 2;
}

static int parse_ulong(const char *s, unsigned long long max,
		       unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s[0] || s[0] == '-')
		return -1;
	v = strtoull(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned m[6];
	char tail;
	int i;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2],
		   &m[3], &m[4], &m[5], &tail) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	/* A unicast, non-zero MAC: the peer's, where our frames go. */
	return (mac[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) ?
	       -1 : 0;
}

/* A unicast IPv4 address other than 0.0.0.0 (not checked further). */
static int parse_ip(const char *s, uint8_t ip[4])
{
	if (inet_pton(AF_INET, s, ip) != 1)
		return -1;
	return (ip[0] | ip[1] | ip[2] | ip[3]) ? 0 : -1;
}

/* One option's value into *o; -1 when it does not parse. */
static int set_opt(struct opts *o, int c, const char *arg)
{
	unsigned long long v;

	switch (c) {
	case 'r': o->run_dir = arg; return 0;
	case 'x': o->xen = 1; return 0;
	case 'd':
		if (parse_ulong(arg, 0x7fef, &v))
			return -1;
		o->domid = (long)v;
		return 0;
	case 'v':
		if (parse_ulong(arg, 0xffff, &v))
			return -1;
		o->vif = (unsigned)v;
		return 0;
	case 'i': return parse_ip(arg, o->ip);
	case 'P': return parse_ip(arg, o->peer);
	case 'm': return parse_mac(arg, o->peer_mac);
	case 'p':
		if (parse_ulong(arg, 65535, &v) || v == 0)
			return -1;
		o->port = (uint16_t)v;
		return 0;
	case 'b':
		if (parse_ulong(arg, 1ull << 48, &v) || v == 0)
			return -1;
		o->bytes = v;
		return 0;
	case 's':
		if (parse_ulong(arg, MAX_SEG, &v) || v == 0)
			return -1;
		o->seg = (uint32_t)v;
		return 0;
	case 'H':
		if (parse_ulong(arg, 3600, &v))
			return -1;
		o->hold = (unsigned)v;
		return 0;
	case 'L':
		if (parse_ulong(arg, 1000000, &v) || v < 2)
			return -1;
		o->lose = (unsigned)v;
		return 0;
	}
	return -1;
}

/* The options given make sense together: 0, or 2 after a message.
 * (0.0.0.0, a zero MAC, port 0 and 0 bytes are refused by set_opt.) */
static int check_opts(const struct opts *o)
{
	static const uint8_t zero[6];

	if (!memcmp(o->ip, zero, 4) || !memcmp(o->peer, zero, 4) ||
	    !memcmp(o->peer_mac, zero, 6) || !o->port || !o->bytes)
		return usage("--ip, --peer, --peer-mac, --port and --bytes are "
			     "required");
	if (o->run_dir && o->xen)
		return usage("--run-dir and --xen exclude each other");
	if (!o->run_dir && !o->xen && !nc_xen_available())
		return usage("no /dev/xen here: give --run-dir DIR");
	if (o->run_dir && o->domid < 0)
		return usage("--domid is required on the simulator");
	return 0;
}

/* 0, 1 after --help, or 2 after a message. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "xen", no_argument, NULL, 'x' },
		{ "domid", required_argument, NULL, 'd' },
		{ "vif", required_argument, NULL, 'v' },
		{ "ip", required_argument, NULL, 'i' },
		{ "peer", required_argument, NULL, 'P' },
		{ "peer-mac", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "seg", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'H' },
		{ "lose", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->domid = -1;
	o->seg = DEFAULT_SEG;
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		if (c == '?')
			return usage(NULL);
		if (set_opt(o, c, optarg)) {
			fprintf(stderr, "tso_send: bad value for option: %s\n",
				optarg);
			return usage(NULL);
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	return check_opts(o);
}

/* ------------------------------------------------------------ platform */

struct plat {
	struct nc_platform p;
	struct nc_sim_handle *sim;
	struct nc_xen_handle *xen;
};

static int open_xen(struct plat *pl, long domid)
{
	pl->xen = nc_xen_open(NC_XEN_DOMID_AUTO, &pl->p);
	if (!pl->xen) {
		perror("tso_send: cannot open the Xen platform");
		return -1;
	}
	if (domid >= 0 && pl->p.domid != (nc_domid_t)domid) {
		fprintf(stderr, "tso_send: this is Xen domain %u, not %ld\n",
			(unsigned)pl->p.domid, domid);
		return -1;
	}
	return 0;
}

static int plat_open(struct plat *pl, const struct opts *o)
{
	if (!o->run_dir)
		return open_xen(pl, o->domid);
	pl->sim = nc_sim_open(o->run_dir, (nc_domid_t)o->domid, &pl->p);
	if (!pl->sim) {
		fprintf(stderr, "tso_send: cannot join domain %ld of the "
			"simulator at %s: %s\n", o->domid, o->run_dir,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void plat_close(struct plat *pl)
{
	if (pl->sim)
		nc_sim_close(pl->sim);
	if (pl->xen)
		nc_xen_close(pl->xen);
}

/* ------------------------------------------------------------ helpers */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 7 + i / 4096) & 255);
}

/* ------------------------------------------------------------ state */

enum tcp_state { ST_SYN_SENT, ST_ESTABLISHED, ST_DONE, ST_FAILED };

/* Sequence space: stream offsets are 64-bit; offset 0 is the first
 * payload byte (sequence number iss + 1), offset `total` is our FIN.
 * Invariant: una <= nxt <= max <= total + 1, where una is the first
 * unacknowledged offset, nxt the next to send and max the highest ever
 * sent (nxt goes back to una on a retransmission, max does not). */
struct conn {
	enum tcp_state state;
	uint16_t lport;
	uint32_t iss;
	uint32_t rcv_nxt;          /* the peer's next sequence number */
	int peer_fin;              /* the peer's FIN taken (and ACKed) */
	uint64_t total, una, nxt, max;
	uint32_t wnd;              /* the peer's last window */
	uint16_t mss;              /* gso_size */
	uint16_t ip_id;
	int probe;                 /* send one segment whatever the window */
	double timer, progress;    /* RTO base; last ACK progress */
	uint64_t frames, plain;    /* GSO data frames, one-segment ones */
	uint64_t retrans;
	uint64_t fresh, lost;      /* --lose: new-data frames, those dropped */
};

/* Received frames, copied by the rx callback during nc_front_poll and
 * handled after it (nothing is sent from inside the callback).  The peer
 * sends us ACKs and ARP only: a frame longer than RXQ_FRAME would carry
 * data we never accept, and is dropped (counted). */
#define RXQ_LEN 256u
#define RXQ_FRAME 256u

struct rxq_entry {
	uint8_t data[RXQ_FRAME];
	uint32_t len;
	uint32_t flags;
};

struct rxq {
	struct rxq_entry e[RXQ_LEN];
	unsigned head, count;
	uint64_t dropped;
};

struct tso {
	struct opts o;
	struct plat pl;
	struct nc_front *f;
	struct conn c;
	uint64_t posted;           /* frames handed to the ring */
	uint64_t arp_replies;
	struct rxq rxq;
	double start;
};

/* ------------------------------------------------------------ building */

/* Count a frame handed to the ring (for the drain before closing). */
static int posted(struct tso *t, int rc)
{
	if (rc == NC_OK)
		t->posted++;
	return rc;
}

/* Ethernet + IPv4 + TCP headers for a segment of `l4_len` TCP bytes with
 * `opt_len` option bytes.  The IPv4 checksum is complete, the TCP one 0. */
static void build_headers(const struct tso *t, uint8_t *b, uint8_t flags,
			  uint64_t off, uint32_t opt_len, uint32_t l4_len,
			  uint16_t ip_id)
{
	const struct conn *c = &t->c;
	uint8_t *ip = b + ETH_HLEN, *th = ip + IP_HLEN;
	uint16_t sum;

	memcpy(b, t->o.peer_mac, 6);
	memcpy(b + 6, t->f->mac, 6);
	put16(b + 12, ETHERTYPE_IPV4);
	ip[0] = 0x45;
	put16(ip + 2, IP_HLEN + l4_len);
	put16(ip + 4, ip_id);
	put16(ip + 6, IP_DF);
	ip[8] = 64;
	ip[9] = PROTO_TCP;
	memcpy(ip + 12, t->o.ip, 4);
	memcpy(ip + 16, t->o.peer, 4);
	sum = nc_csum(ip, IP_HLEN);
	memcpy(ip + 10, &sum, 2);
	put16(th, c->lport);
	put16(th + 2, t->o.port);
	put32(th + 4, c->iss + 1u + (uint32_t)off);
	put32(th + 8, (flags & TCP_ACK) ? c->rcv_nxt : 0);
	th[12] = (uint8_t)(((TCP_HLEN + opt_len) / 4) << 4);
	th[13] = flags;
	put16(th + 14, OUR_WINDOW);
}

/* A frame without payload (SYN, ACK, FIN), checksums complete. */
static int send_ctl(struct tso *t, uint8_t flags)
{
	uint8_t b[ETH_MIN_FRAME] = { 0 };
	uint32_t opt = (flags & TCP_SYN) ? 4u : 0u;
	/* SYN is offset -1 (iss), FIN offset total.  A pure ACK (or RST)
	 * carries the highest sequence number sent, which the peer has not
	 * passed: never below its window. */
	uint64_t off = (flags & TCP_SYN) ? (uint64_t)-1 :
		       (flags & TCP_FIN) ? t->c.total : t->c.max;
	struct nc_iov iov = { b, sizeof(b) };

	build_headers(t, b, flags, off, opt, TCP_HLEN + opt, t->c.ip_id++);
	if (opt) {
		uint8_t *o = b + HDRS;

		o[0] = 2;           /* MSS */
		o[1] = 4;
		put16(o + 2, OUR_MSS);
	}
	if (nc_csum_complete_frame(b, HDRS + opt) != 0)
		return NC_EINVAL;
	return posted(t, nc_front_send(t->f, &iov, 1, 0));
}

struct data_frame {
	const struct tso *t;
	uint64_t off;
	uint32_t len;
	uint16_t ip_id;
	uint8_t flags;
};

/* nc_front_write_gso's fill: headers, then the payload pattern.  The TCP
 * checksum field gets the pseudo-header sum (folded, not complemented)
 * over the whole frame's TCP length, as Linux's GSO frames carry it:
 * segmentation (ours, gso.c, or Linux's tcp_gso_segment) derives each
 * segment's checksum from there. */
static size_t fill_data(void *ctx, uint8_t *buf, size_t size)
{
	const struct data_frame *d = ctx;
	uint32_t l4 = TCP_HLEN + d->len, i;
	uint16_t pseudo;

	if (size < HDRS + d->len)
		return 0;
	build_headers(d->t, buf, d->flags, d->off, 0, l4, d->ip_id);
	pseudo = (uint16_t)~nc_csum_fold(nc_csum_pseudo_v4(
		d->t->o.ip, d->t->o.peer, PROTO_TCP, l4));
	memcpy(buf + ETH_HLEN + IP_HLEN + 16, &pseudo, 2);
	for (i = 0; i < d->len; i++)
		buf[HDRS + i] = pattern(d->off + i);
	return size;              /* past HDRS + len: zero Ethernet padding */
}

/* Post a data frame: GSO when it is more than one segment, else plain
 * (as Linux, which never sends a one-segment GSO frame); both with a
 * partial checksum. */
static int post_data(struct tso *t, struct data_frame *d)
{
	size_t size = HDRS + d->len;

	if (d->len > t->c.mss)
		return nc_front_write_gso(t->f, size, fill_data, d,
					  NC_FRAME_CSUM_BLANK,
					  XEN_NETIF_GSO_TYPE_TCPV4, t->c.mss);
	if (size < ETH_MIN_FRAME)
		size = ETH_MIN_FRAME;
	return nc_front_write(t->f, size, fill_data, d, NC_FRAME_CSUM_BLANK);
}

/* One data frame of payload [off, off + len).  The IPv4 id advances by
 * the frame's segment count: segmentation gives segment k id + k, so
 * the wire sees consecutive ids, as from Linux. */
static int send_data(struct tso *t, uint64_t off, uint32_t len)
{
	struct conn *c = &t->c;
	struct data_frame d = { t, off, len, c->ip_id, TCP_ACK };
	uint16_t nsegs = (uint16_t)((len + c->mss - 1) / c->mss);
	int rc;

	if (off + len == c->total)
		d.flags |= TCP_PSH;
	/* --lose: every lose-th frame of new data is lost on the way; a
	 * retransmission never is, so that the transfer ends. */
	if (t->o.lose && off >= c->max && ++c->fresh % t->o.lose == 0) {
		c->lost++;
		return NC_OK;
	}
	rc = posted(t, post_data(t, &d));
	if (rc == NC_OK) {
		c->ip_id = (uint16_t)(c->ip_id + nsegs);
		if (nsegs > 1)
			c->frames++;
		else
			c->plain++;
	}
	return rc;
}

/* An ARP reply to the request `req` (ARP_LEN bytes, checked). */
static void send_arp_reply(struct tso *t, const uint8_t *req)
{
	uint8_t b[ETH_MIN_FRAME] = { 0 };
	uint8_t *a = b + ETH_HLEN;
	struct nc_iov iov = { b, sizeof(b) };

	memcpy(b, req + 8, 6);               /* the asker's MAC */
	memcpy(b + 6, t->f->mac, 6);
	put16(b + 12, ETHERTYPE_ARP);
	memcpy(a, req, 6);                   /* htype, ptype, hlen, plen */
	put16(a + 6, 2);                     /* reply */
	memcpy(a + 8, t->f->mac, 6);
	memcpy(a + 14, t->o.ip, 4);
	memcpy(a + 18, req + 8, 10);         /* the asker's MAC and IP */
	if (posted(t, nc_front_send(t->f, &iov, 1, 0)) == NC_OK)
		t->arp_replies++;
	else
		fprintf(stderr, "tso_send: ARP reply not sent\n");
}

/* ------------------------------------------------------------ sending */

static int syn_outstanding(const struct conn *c)
{
	return c->state == ST_SYN_SENT;
}

/* Anything sent and not yet acknowledged, or owed (data, FIN). */
static int unacked(const struct conn *c)
{
	return syn_outstanding(c) ||
	       (c->state == ST_ESTABLISHED && c->una <= c->total);
}

/* Payload bytes the next frame may carry from nxt; 0: wait.
 * TSO deferral (as Linux's tcp_tso_should_defer): while data is in
 * flight, a frame goes only when it can be full-sized (--seg or the
 * rest) or fill half the peer's window; otherwise the ACK stream would
 * release the window a segment or two at a time and every GSO frame
 * would be small. */
static uint32_t next_len(struct conn *c, uint32_t seg)
{
	uint64_t flight = c->nxt - c->una, left, usable, cap = seg, len;

	if (c->nxt >= c->total)       /* all data sent (nxt past: the FIN) */
		return 0;
	left = c->total - c->nxt;
	usable = c->wnd > flight ? c->wnd - flight : 0;
	/* Our backend refuses frames of more than NC_GSO_MAX_SEGS. */
	if (cap > (uint64_t)NC_GSO_MAX_SEGS * c->mss)
		cap = (uint64_t)NC_GSO_MAX_SEGS * c->mss;
	if (left < cap)
		cap = left;
	if (usable == 0 && c->probe && flight == 0)
		usable = c->mss;          /* zero-window probe */
	len = usable < cap ? usable : cap;
	if (len == 0 || (flight && len < cap && len < c->wnd / 2))
		return 0;
	/* Whole segments except at the end of the data, as Linux cuts its
	 * GSO frames: no short segment in the middle of the stream. */
	if (len < left && len > c->mss)
		len -= len % c->mss;
	return (uint32_t)len;
}

/* Send what the window allows; then the FIN once all data went. */
static void pump(struct tso *t)
{
	struct conn *c = &t->c;
	uint32_t len;

	if (c->state != ST_ESTABLISHED)
		return;
	while ((len = next_len(c, t->o.seg)) > 0) {
		if (c->nxt == c->una)
			c->timer = now();
		if (send_data(t, c->nxt, len) != NC_OK)
			return;           /* ring or pool full: after a poll */
		c->probe = 0;
		c->nxt += len;
		if (c->nxt > c->max)
			c->max = c->nxt;
	}
	if (c->nxt != c->total)
		return;
	if (c->nxt == c->una)
		c->timer = now();
	if (send_ctl(t, TCP_FIN | TCP_ACK) == NC_OK) {
		c->nxt = c->total + 1;
		c->max = c->nxt;
	}
}

/* The retransmission timer: 200 ms without progress sends everything
 * again from the first unacknowledged byte; 30 s fails. */
static void check_timers(struct tso *t)
{
	struct conn *c = &t->c;
	double n = now();

	if (n - c->progress > GIVE_UP_S) {
		fprintf(stderr, "tso_send: no progress for %.0f s (acked "
			"%llu of %llu bytes), giving up\n", GIVE_UP_S,
			(unsigned long long)c->una,
			(unsigned long long)c->total);
		if (c->state == ST_ESTABLISHED)
			send_ctl(t, TCP_RST | TCP_ACK);   /* free the peer */
		c->state = ST_FAILED;
		return;
	}
	if (!unacked(c) || n - c->timer < RTO_S)
		return;
	c->timer = n;
	c->retrans++;
	if (syn_outstanding(c)) {
		send_ctl(t, TCP_SYN);
		return;
	}
	c->nxt = c->una;
	c->probe = 1;
}

/* ------------------------------------------------------------ receiving */

/* The TCP options of a SYN-ACK: the MSS if one is there (bounded walk). */
static uint16_t parse_mss(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (opt[i] == 0)
			break;
		if (opt[i] == 1) {
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i)
			break;
		if (opt[i] == 2 && opt[i + 1] == 4)
			return get16(opt + i + 2);
		i += opt[i + 1];
	}
	return 0;
}

/* A TCP segment, its header checked to lie within [th, th + len). */
struct seg {
	uint32_t seq, ack;
	uint16_t wnd;
	uint8_t flags;
	const uint8_t *opt;
	size_t opt_len, data_len;
};

static void on_synack(struct tso *t, const struct seg *s)
{
	struct conn *c = &t->c;
	uint16_t mss = parse_mss(s->opt, s->opt_len);

	if (!(s->flags & TCP_ACK) || s->ack != c->iss + 1u)
		return;
	if (mss == 0)
		mss = DEFAULT_MSS;
	c->mss = mss < MIN_MSS ? MIN_MSS : mss < OUR_MSS ? mss : OUR_MSS;
	c->rcv_nxt = s->seq + 1u;
	c->wnd = s->wnd;
	c->state = ST_ESTABLISHED;
	c->progress = c->timer = now();
	printf("tso_send: TCP connected, peer MSS %u (gso_size %u), window "
	       "%u\n", (unsigned)mss, (unsigned)c->mss, (unsigned)s->wnd);
	send_ctl(t, TCP_ACK);
}

/* An ACK: advance una when it acknowledges something we sent (the FIN
 * included); one that names unsent data is ignored. */
static void on_ack(struct conn *c, const struct seg *s)
{
	uint32_t una_seq = c->iss + 1u + (uint32_t)c->una;
	uint32_t d = s->ack - una_seq;

	if (d > c->max - c->una)
		return;
	c->wnd = s->wnd;
	if (d == 0)
		return;
	c->una += d;
	if (c->nxt < c->una)
		c->nxt = c->una;
	c->progress = c->timer = now();
}

/* The peer's FIN, in order: take it and ACK it; a repeat is ACKed again. */
static void on_fin(struct tso *t, const struct seg *s)
{
	struct conn *c = &t->c;

	if (!c->peer_fin && s->seq == c->rcv_nxt && s->data_len == 0) {
		c->rcv_nxt++;
		c->peer_fin = 1;
		c->progress = now();
	}
	send_ctl(t, TCP_ACK);
}

static void on_segment(struct tso *t, const struct seg *s)
{
	struct conn *c = &t->c;

	if (s->flags & TCP_RST) {
		fprintf(stderr, "tso_send: %s\n", c->state == ST_SYN_SENT ?
			"connection refused (is the peer listening?)" :
			"the peer reset the connection");
		c->state = ST_FAILED;
		return;
	}
	if (c->state == ST_SYN_SENT) {
		if ((s->flags & TCP_SYN))
			on_synack(t, s);
		return;
	}
	if (c->state == ST_DONE && (s->flags & TCP_FIN)) {
		send_ctl(t, TCP_ACK);     /* our last ACK was lost */
		return;
	}
	if (c->state != ST_ESTABLISHED)
		return;
	if (s->flags & TCP_SYN) {
		send_ctl(t, TCP_ACK);     /* our ACK of its SYN was lost */
		return;
	}
	if (s->flags & TCP_ACK)
		on_ack(c, s);
	if (s->flags & TCP_FIN)
		on_fin(t, s);
	if (c->peer_fin && c->una == c->total + 1)
		c->state = ST_DONE;
}

/* TCP at th, l4_len bytes (within the IP datagram): ours? then handle. */
static void rx_tcp(struct tso *t, const uint8_t *th, size_t l4_len)
{
	struct seg s;
	size_t doff;

	if (l4_len < TCP_HLEN)
		return;
	doff = (size_t)(th[12] >> 4) * 4;
	if (doff < TCP_HLEN || doff > l4_len ||
	    get16(th) != t->o.port || get16(th + 2) != t->c.lport)
		return;
	s.seq = get32(th + 4);
	s.ack = get32(th + 8);
	s.flags = th[13];
	s.wnd = get16(th + 14);
	s.opt = th + TCP_HLEN;
	s.opt_len = doff - TCP_HLEN;
	s.data_len = l4_len - doff;
	on_segment(t, &s);
}

/* IPv4 from the peer to us, unfragmented TCP, checksums good. */
static void rx_ipv4(struct tso *t, const struct nc_frame *fr)
{
	const uint8_t *ip = fr->data + ETH_HLEN;
	size_t avail = fr->len - ETH_HLEN, hlen, total;

	if (avail < IP_HLEN || ip[0] >> 4 != 4)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	total = get16(ip + 2);
	if (hlen < IP_HLEN || total < hlen || total > avail ||
	    (get16(ip + 6) & IP_MF_OFFSET) || ip[9] != PROTO_TCP ||
	    memcmp(ip + 12, t->o.peer, 4) || memcmp(ip + 16, t->o.ip, 4))
		return;
	/* A partial or verified checksum came from the stack next door. */
	if (!(fr->flags & (NC_FRAME_CSUM_BLANK | NC_FRAME_DATA_VALIDATED)) &&
	    nc_csum_verify_frame(fr->data, fr->len) != 1)
		return;
	rx_tcp(t, ip + hlen, total - hlen);
}

/* An ARP request (Ethernet, IPv4) for our address: answer it. */
static void rx_arp(struct tso *t, const struct nc_frame *fr)
{
	const uint8_t *a = fr->data + ETH_HLEN;

	if (fr->len - ETH_HLEN < ARP_LEN || get16(a) != 1 ||
	    get16(a + 2) != ETHERTYPE_IPV4 || a[4] != 6 || a[5] != 4 ||
	    get16(a + 6) != 1 || memcmp(a + 24, t->o.ip, 4))
		return;
	send_arp_reply(t, a);
}

static void rx_frame(struct tso *t, const struct nc_frame *fr)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t type;

	if (fr->len < ETH_HLEN)
		return;
	if (memcmp(fr->data, t->f->mac, 6) && memcmp(fr->data, bcast, 6))
		return;
	type = get16(fr->data + 12);
	if (type == ETHERTYPE_ARP)
		rx_arp(t, fr);
	else if (type == ETHERTYPE_IPV4)
		rx_ipv4(t, fr);
}

/* ------------------------------------------------------------ the loop */

/* The frontend's rx callback: copy the frame (it is valid only now). */
static void rx_cb(void *arg, const struct nc_frame *fr)
{
	struct rxq *q = arg;
	struct rxq_entry *e;

	if (q->count == RXQ_LEN || fr->len > RXQ_FRAME) {
		q->dropped++;
		return;
	}
	e = &q->e[(q->head + q->count) % RXQ_LEN];
	memcpy(e->data, fr->data, fr->len);
	e->len = fr->len;
	e->flags = fr->flags;
	q->count++;
}

/* Handle every frame the callback queued. */
static void rx_drain(struct tso *t)
{
	struct rxq *q = &t->rxq;

	while (q->count) {
		const struct rxq_entry *e = &q->e[q->head];
		struct nc_frame fr = { .data = e->data, .len = e->len,
				       .flags = e->flags };

		rx_frame(t, &fr);
		q->head = (q->head + 1) % RXQ_LEN;
		q->count--;
	}
}

static void wait_fds(struct tso *t, int timeout_ms)
{
	struct nc_platform *p = &t->pl.p;
	struct pollfd pf[2] = {
		{ .fd = p->events.ops->fd(p->events.ctx), .events = POLLIN },
		{ .fd = p->store.ops->fd(p->store.ctx), .events = POLLIN },
	};

	poll(pf, 2, timeout_ms);
}

/* One round: frontend work, received frames, timers, sending. */
static void step(struct tso *t)
{
	nc_front_poll(t->f);
	rx_drain(t);
	if (t->c.state == ST_DONE || t->c.state == ST_FAILED)
		return;
	check_timers(t);
	pump(t);
}

static int broken(const struct tso *t)
{
	enum nc_front_state s = nc_front_state(t->f);

	return s == NC_FRONT_BROKEN || s == NC_FRONT_STOPPED;
}

/* Until the vif is connected (30 s at most). */
static int wait_connected(struct tso *t)
{
	double end = now() + GIVE_UP_S;

	while (nc_front_state(t->f) != NC_FRONT_CONNECTED) {
		if (now() > end || broken(t)) {
			fprintf(stderr, "tso_send: the vif did not connect "
				"(state %d)\n", (int)nc_front_state(t->f));
			return -1;
		}
		wait_fds(t, 50);
		nc_front_poll(t->f);
	}
	return 0;
}

static void print_mac(const char *label, const uint8_t *m)
{
	printf("%s %02x:%02x:%02x:%02x:%02x:%02x", label, m[0], m[1], m[2],
	       m[3], m[4], m[5]);
}

static int check_gso(struct tso *t)
{
	print_mac("tso_send: vif connected, MAC", t->f->mac);
	printf(", backend GSO TCPv4 %s\n",
	       nc_front_can_gso(t->f, XEN_NETIF_GSO_TYPE_TCPV4) ? "yes" : "no");
	if (nc_front_can_gso(t->f, XEN_NETIF_GSO_TYPE_TCPV4))
		return 0;
	fprintf(stderr, "tso_send: the backend does not offer "
		"feature-gso-tcpv4: no TSO possible through it\n");
	return -1;
}

static void conn_init(struct tso *t)
{
	struct conn *c = &t->c;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	c->iss = (uint32_t)ts.tv_nsec ^ ((uint32_t)getpid() << 16);
	c->lport = (uint16_t)(32768 + (getpid() + ts.tv_nsec) % 28000);
	c->ip_id = (uint16_t)ts.tv_nsec;
	c->total = t->o.bytes;
	c->mss = DEFAULT_MSS;
	c->state = ST_SYN_SENT;
	c->progress = c->timer = now();
}

/* The connection, from SYN to the peer's FIN. */
static int transfer(struct tso *t)
{
	conn_init(t);
	t->start = now();
	send_ctl(t, TCP_SYN);
	while (t->c.state != ST_DONE && t->c.state != ST_FAILED) {
		double wait = t->c.timer + RTO_S - now();
		int ms = !unacked(&t->c) ? 20 :
			 wait > 0 ? (int)(wait * 1000) + 1 : 0;

		if (broken(t)) {
			fprintf(stderr, "tso_send: the vif broke\n");
			return -1;
		}
		/* Events wake us for ACKs and TX completions (the ring or
		 * pool may have been full); 20 ms at most regardless. */
		wait_fds(t, ms < 20 ? ms : 20);
		step(t);
	}
	return t->c.state == ST_DONE ? 0 : -1;
}

static void report(struct tso *t)
{
	const struct nc_dir_stats *tx = &nc_front_stats(t->f)->tx;
	double s = now() - t->start;

	printf("tso_send: bytes %llu gso_frames %llu plain_frames %llu "
	       "retransmissions %llu seconds %.3f mss %u lost_on_purpose %llu "
	       "(%.1f Mbit/s)\n",
	       (unsigned long long)t->c.total,
	       (unsigned long long)t->c.frames,
	       (unsigned long long)t->c.plain,
	       (unsigned long long)t->c.retrans, s, (unsigned)t->c.mss,
	       (unsigned long long)t->c.lost,
	       s > 0 ? (double)t->c.total * 8 / s / 1e6 : 0.0);
	printf("tso_send: frontend tx: %llu frames answered OK, %llu "
	       "dropped, %llu errors; %llu ARP replies; %llu received frames "
	       "too long or over the queue\n",
	       (unsigned long long)tx->packets,
	       (unsigned long long)tx->dropped,
	       (unsigned long long)tx->errors,
	       (unsigned long long)t->arp_replies,
	       (unsigned long long)t->rxq.dropped);
}

/* --hold: stay connected, answering ARP (and a repeated FIN). */
static void hold(struct tso *t)
{
	double end = now() + t->o.hold;

	while (now() < end && !broken(t)) {
		wait_fds(t, 50);
		nc_front_poll(t->f);
		rx_drain(t);
	}
}

/* Frames the backend answered, whatever the answer. */
static uint64_t answered(struct tso *t)
{
	const struct nc_dir_stats *tx = &nc_front_stats(t->f)->tx;

	return tx->packets + tx->reason[NC_R_PEER_DROPPED] +
	       tx->reason[NC_R_PEER_ERROR] + tx->reason[NC_R_BAD_STATUS];
}

/* Let the last frames (our last ACK) be answered, close the vif as the
 * protocol asks (2 s at most each), then revoke everything. */
static void shut_down(struct tso *t)
{
	double end = now() + CLOSE_S;

	while (answered(t) < t->posted && now() < end &&
	       nc_front_state(t->f) == NC_FRONT_CONNECTED) {
		wait_fds(t, 20);
		nc_front_poll(t->f);
	}
	end = now() + CLOSE_S;
	nc_front_close(t->f);
	while (nc_front_state(t->f) != NC_FRONT_STOPPED && now() < end) {
		wait_fds(t, 20);
		nc_front_poll(t->f);
	}
	nc_front_destroy(t->f);
}

static int run(struct tso *t)
{
	char path[32];
	/* The rx callback, not nc_front_recv: nc_front_poll arms the RX
	 * ring's event index only for a callback, so a caller of
	 * nc_front_recv sleeping on the event fd is not woken by frames. */
	struct nc_front_config cfg = { .path = path, .rx = rx_cb,
				       .rx_arg = &t->rxq };
	int rc;

	snprintf(path, sizeof(path), "device/vif/%u", t->o.vif);
	rc = nc_front_init(t->f, &t->pl.p, &cfg);
	if (rc) {
		fprintf(stderr, "tso_send: cannot start the frontend on %s: "
			"%s (does the vif exist?)\n", path, nc_strerror(rc));
		return 1;
	}
	rc = wait_connected(t) || check_gso(t) || transfer(t) ? 1 : 0;
	if (rc == 0) {
		report(t);
		hold(t);
	}
	shut_down(t);
	return rc;
}

int main(int argc, char **argv)
{
	struct tso *t = calloc(1, sizeof(*t));
	int rc;

	if (!t)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = parse_opts(argc, argv, &t->o);
	if (rc == 1)
		rc = 0;                   /* --help */
	else if (rc == 0) {
		t->f = calloc(1, sizeof(*t->f));
		rc = 1;
		if (t->f && plat_open(&t->pl, &t->o) == 0)
			rc = run(t);
		plat_close(&t->pl);
		free(t->f);
	}
	free(t);
	return rc;
}

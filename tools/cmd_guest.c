/*
 * cmd_guest.c - `netchannel guest`: a demo guest on the simulator.  It
 * joins a domain, brings up netfront on device/vif/<N>, and runs lwIP on
 * it (src/guest/): ARP, ICMP echo, IPv6 neighbour discovery and ICMPv6
 * echo, UDP echo on a port, and an HTTP server.  Every transmitted frame
 * is written in place into the frontend's transmit pool.
 *
 * Threads and locking: lwIP runs its own tcpip thread (timers, TCP
 * retransmissions), which may transmit at any time; it holds lwIP's core
 * lock whenever it does.  This thread waits on the platform's fds without
 * the lock, then takes the core lock for each round of frontend work
 * (nc_lwip_netif_poll: the handshake, TX completions, received frames
 * straight into ethernet_input) and for every other frontend or lwIP
 * call.  So the frontend is only ever used under the core lock, by
 * whichever thread holds it.
 *
 * Signals: SIGTERM and SIGINT are blocked before lwIP's thread starts (so
 * it inherits the mask) and read from a signalfd in the loop.
 *
 * --probe: the same loop also steps the probe of another host
 * (src/guest/probe.c) under the core lock, and ends when it is done.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "netchannel.h"
#include "plat_conn.h"
#include "queues.h"
#include "guest/lwip_netif.h"
#include "guest/probe.h"
#include "guest_hash.h"
#include "guest/services.h"
#include "lwip/tcpip.h"
#include "netchannel/front.h"
#include "netchannel/sim.h"

#ifndef NC_DEFAULT_RUN_DIR
#define NC_DEFAULT_RUN_DIR "/run/netchannel"
#endif

#define GUEST_CLOSE_MS 2000
#define GUEST_IDLE_MS 1000        /* wake-up when nothing happens */
#define GUEST_BACKLOG_MS 10       /* ... while frames wait in the queue */


struct guest_opts {
	const char *run_dir;
	long domid;                   /* -1 until given */
	unsigned vif;
	const char *ip4_text, *ip6_text;
	struct nc_guest_addrs addrs;
	uint16_t udp_port, http_port; /* 0: off */
	int poison, untrusted;
	int probe;                    /* --probe given */
	ip4_addr_t probe_ip;
	unsigned probe_count;         /* 0: NC_PROBE_DEFAULT_COUNT */
	int hash;                     /* --hash: Toeplitz via the ctrl ring */
	unsigned queues;              /* --queues (default: one per CPU) */
	uint32_t hash_map[GUEST_HASH_MAP_MAX];  /* --hash-map: the mapping */
	unsigned hash_map_len;        /* 0: 8 entries of queue 0 */
};

struct guest {
	struct guest_opts o;
	struct tool_plat *tp;
	struct nc_platform plat;
	struct nc_front *front;
	struct nc_lwip_netif nif;
	struct nc_guest_services svc;
	struct nc_probe probe;        /* with --probe */
	struct guest_hash hash;       /* with --hash */
	char path[32];                /* device/vif/<N> */
	char name[160];               /* who we are, for the page */
	int sigfd;
	int front_up;                 /* nc_front_init succeeded */
	int was_up;                   /* the link, as last reported */
};

/* ------------------------------------------------------------- options */

static void usage(FILE *f)
{
	fprintf(f,
"usage: netchannel guest [--run-dir DIR] --domid N [--vif N]\n"
"                        --ip A.B.C.D/NN [--gw A.B.C.D] [--ip6 ADDR/64]\n"
"                        [--udp-echo PORT] [--http-port PORT]\n"
"                        [--probe A.B.C.D [--probe-count N]]\n"
"                        [--poison] [--untrusted] [--queues N]\n"
"                        [--hash] [--hash-map Q,Q,...] [--help]\n"
"\n"
"A demo guest: joins domain N of the simulator, brings up netfront on\n"
"device/vif/N and runs lwIP on it.  It answers ARP and ICMP echo, IPv6\n"
"neighbour discovery and ICMPv6 echo (on its link-local address, from\n"
"its MAC, and on --ip6), echoes UDP, and serves HTTP: \"/\" names the\n"
"guest, \"/big\" is 1048576 bytes where byte i = (i * 7 + i / 4096) & 255.\n"
"\n"
"  --run-dir DIR     the simulator's directory (default: real Xen when\n"
"                    /dev/xen exists, else " NC_DEFAULT_RUN_DIR ")\n"
"  --domid N         the guest's domain id (required)\n"
"  --vif N           the vif number (default 0)\n"
"  --ip A.B.C.D/NN   IPv4 address and prefix length (required)\n"
"  --gw A.B.C.D      IPv4 default gateway\n"
"  --ip6 ADDR/64     a static IPv6 address besides the link-local one\n"
"  --udp-echo PORT   UDP echo port (default 7; 0: off)\n"
"  --http-port PORT  HTTP port (default 80; 0: off)\n"
"  --poison          pool poison mode: freed transmit blocks are filled\n"
"                    with a pattern, so a stale byte on the wire shows\n"
"  --untrusted       treat the backend as untrusted: each frame in pages\n"
"                    of its own\n"
"  --probe A.B.C.D   check that host once the link is up: ARP, ping, UDP\n"
"                    echo (port 7), HTTP \"/\" and \"/big\" (port 80, the\n"
"                    pattern checked); one line per check, \"ok: ...\" or\n"
"                    \"FAILED: ...\", at most 30 s in all; then the vif is\n"
"                    closed and the exit status is 0 if all passed, else 1\n"
"  --probe-count N   echo requests to send (default 5, 1 s each at most)\n"
"  --hash            once connected, set the backend's Toeplitz hashing\n"
"                    through the control ring (feature-ctrl-ring):\n"
"                    algorithm, flags, key, an 8-entry mapping; prints\n"
"                    each answer\n"
"  --hash-map Q,...  with --hash (implied): the mapping table, one queue\n"
"                    index per entry (1 to 8 entries; default 8 x 0)\n"
"  --queues N        ask for N queues (multi-queue-num-queues; the\n"
"                    backend's multi-queue-max-queues caps it; default:\n"
"                    one per online CPU, at most 4).  Frames go on their\n"
"                    flow's queue\n"
"  --help            this text\n"
"\n"
"SIGUSR1 prints the frames each queue carried so far, and goes on.\n"
"Prints a line when the vif connects, and its counters when SIGTERM or\n"
"SIGINT stops it, or the probe ends (after closing the vif cleanly, at\n"
"most 2 s).  The guest answers as usual while it probes.\n");
}

/* "Q,Q,...": 1 to GUEST_HASH_MAP_MAX queue indices (checked by the
 * backend, not here: a wrong index is its to refuse). */
static int parse_hash_map(const char *arg, struct guest_opts *o)
{
	const char *p = arg;

	o->hash_map_len = 0;
	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || o->hash_map_len == GUEST_HASH_MAP_MAX ||
		    v > 0xffffffffUL || (*end && *end != ','))
			return -1;
		o->hash_map[o->hash_map_len++] = (uint32_t)v;
		p = *end ? end + 1 : end;
	}
	return o->hash_map_len ? 0 : -1;
}

static int parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_ulong(s, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_gateway(const char *s, ip4_addr_t *gw)
{
	ip4_addr_t mask;

	return strchr(s, '/') ? -1 : nc_guest_parse_ip4_prefix(s, gw, &mask);
}

static int bad_value(const char *opt, const char *value)
{
	fprintf(stderr, "netchannel guest: bad %s '%s'\n", opt, value);
	return 2;
}

/* One option; 0, or 2 after a message. */
static int take_opt(struct guest_opts *o, int c, const char *arg)
{
	unsigned long v;

	switch (c) {
	case 'r': o->run_dir = arg; return 0;
	case 'P': o->poison = 1; return 0;
	case 'U': o->untrusted = 1; return 0;
	case 'd':
		if (parse_ulong(arg, 0x7FEF - 1, &v))
			return bad_value("--domid", arg);
		o->domid = (long)v;
		return 0;
	case 'v':
		if (parse_ulong(arg, 65535, &v))
			return bad_value("--vif", arg);
		o->vif = (unsigned)v;
		return 0;
	case 'i':
		o->ip4_text = arg;
		return nc_guest_parse_ip4_prefix(arg, &o->addrs.ip4,
						 &o->addrs.mask4) ?
		       bad_value("--ip", arg) : 0;
	case 'g':
		return parse_gateway(arg, &o->addrs.gw4) ?
		       bad_value("--gw", arg) : 0;
	case '6':
		o->ip6_text = arg;
		o->addrs.have_ip6 = 1;
		return nc_guest_parse_ip6_prefix(arg, &o->addrs.ip6) ?
		       bad_value("--ip6 (ADDR/64)", arg) : 0;
	case 'u':
		return parse_port(arg, &o->udp_port) ?
		       bad_value("--udp-echo", arg) : 0;
	case 'h':
		return parse_port(arg, &o->http_port) ?
		       bad_value("--http-port", arg) : 0;
	case 'p':
		o->probe = 1;
		return parse_gateway(arg, &o->probe_ip) ?
		       bad_value("--probe", arg) : 0;
	case 'T':
		o->hash = 1;
		return 0;
	case 'M':
		o->hash = 1;
		return parse_hash_map(arg, o) ? bad_value("--hash-map", arg)
					      : 0;
	case 'Q':
		return nc_tool_parse_queues(arg, &o->queues) ? 2 : 0;
	case 'c':
		if (parse_ulong(arg, NC_PROBE_MAX_COUNT, &v) || v == 0)
			return bad_value("--probe-count", arg);
		o->probe_count = (unsigned)v;
		return 0;
	default:
		usage(stderr);
		return 2;
	}
}

/* 0: run; 1: --help was printed; 2: bad usage (reported). */
static int parse_opts(int argc, char **argv, struct guest_opts *o)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "domid", required_argument, NULL, 'd' },
		{ "vif", required_argument, NULL, 'v' },
		{ "ip", required_argument, NULL, 'i' },
		{ "gw", required_argument, NULL, 'g' },
		{ "ip6", required_argument, NULL, '6' },
		{ "udp-echo", required_argument, NULL, 'u' },
		{ "http-port", required_argument, NULL, 'h' },
		{ "probe", required_argument, NULL, 'p' },
		{ "probe-count", required_argument, NULL, 'c' },
		{ "poison", no_argument, NULL, 'P' },
		{ "untrusted", no_argument, NULL, 'U' },
		{ "hash", no_argument, NULL, 'T' },
		{ "hash-map", required_argument, NULL, 'M' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->run_dir = NULL;   /* Xen when /dev/xen exists, else the simulator */
	o->domid = -1;
	o->udp_port = 7;
	o->queues = nc_tool_default_queues();
	o->http_port = 80;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int rc;

		if (c == 'H') {
			usage(stdout);
			return 1;
		}
		rc = take_opt(o, c, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc) {
		fprintf(stderr, "netchannel guest: unexpected '%s'\n",
			argv[optind]);
		return 2;
	}
	if (o->domid < 0 || !o->ip4_text) {
		fprintf(stderr, "netchannel guest: --domid and --ip are "
			"required (--help)\n");
		return 2;
	}
	if (o->probe_count && !o->probe) {
		fprintf(stderr, "netchannel guest: --probe-count needs "
			"--probe\n");
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------- helpers */

static void log_frontend(void *arg, const char *what, long value)
{
	(void)arg;
	fprintf(stderr, "netchannel guest: frontend: %s (%ld)\n", what, value);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Block SIGTERM and SIGINT (before lwIP's thread exists, so it inherits
 * the mask) and read them from a signalfd. */
static int signals_watch(struct guest *g)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	g->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return g->sigfd < 0 ? -1 : 0;
}

/* Wait for the platform's fds or a signal: the signal's number when one
 * came, else 0. */
static int wait_fds(struct guest *g, int timeout_ms)
{
	struct pollfd fds[3];
	struct signalfd_siginfo si;
	nfds_t n = 0;
	int fd;

	fds[n].fd = g->sigfd;
	fds[n++].events = POLLIN;
	fd = g->plat.events.ops->fd(g->plat.events.ctx);
	if (fd >= 0) {
		fds[n].fd = fd;
		fds[n++].events = POLLIN;
	}
	fd = g->plat.store.ops->fd(g->plat.store.ctx);
	if (fd >= 0) {
		fds[n].fd = fd;
		fds[n++].events = POLLIN;
	}
	if (n == 1 && timeout_ms > GUEST_BACKLOG_MS)
		timeout_ms = GUEST_BACKLOG_MS;   /* no fds: poll for work */
	if (poll(fds, n, timeout_ms) <= 0 || !(fds[0].revents & POLLIN))
		return 0;
	if (read(g->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return 0;
	return (int)si.ssi_signo;
}

/* ---------------------------------------------------------- reporting */

static void format_mac(const uint8_t *m, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}

static const char *format_ip6(const ip6_addr_t *a, char *buf, size_t len)
{
	return inet_ntop(AF_INET6, a->addr, buf, (socklen_t)len) ? buf : "?";
}

/* Core lock held. */
static void report_link(struct guest *g)
{
	char mac[18], ll[INET6_ADDRSTRLEN];

	if (g->nif.link_up == g->was_up)
		return;
	g->was_up = g->nif.link_up;
	if (!g->was_up) {
		printf("netchannel guest: domain %ld %s disconnected "
		       "(frontend state %d)\n", g->o.domid, g->path,
		       (int)nc_front_state(g->front));
		return;
	}
	format_mac(g->front->mac, mac, sizeof(mac));
	printf("netchannel guest: domain %ld %s connected: mac %s mtu %u "
	       "ipv4 %s ipv6 %s%s%s udp-echo %u http %u%s\n", g->o.domid,
	       g->path, mac, (unsigned)g->nif.netif.mtu, g->o.ip4_text,
	       format_ip6(netif_ip6_addr(&g->nif.netif, 0), ll, sizeof(ll)),
	       g->o.ip6_text ? " " : "", g->o.ip6_text ? g->o.ip6_text : "",
	       (unsigned)g->o.udp_port, (unsigned)g->o.http_port,
	       g->o.poison ? " (poison mode)" : "");
}

static void print_dir(const char *what, const struct nc_dir_stats *d)
{
	unsigned r;

	printf("  %s: %llu packets %llu bytes %llu errors %llu dropped", what,
	       (unsigned long long)d->packets, (unsigned long long)d->bytes,
	       (unsigned long long)d->errors, (unsigned long long)d->dropped);
	for (r = 1; r < NC_R_MAX; r++)
		if (d->reason[r])
			printf(" %s=%llu", nc_reason_name((enum nc_reason)r),
			       (unsigned long long)d->reason[r]);
	printf("\n");
}

/* Core lock held: frames per queue, one line. */
static void print_queues(struct guest *g)
{
	unsigned i, n = nc_front_num_queues(g->front);

	printf("netchannel guest: queues %u:", n);
	for (i = 0; i < n; i++) {
		const struct nc_vif_stats *q = nc_front_queue_stats(g->front, i);

		printf(" %u: rx %llu tx %llu;", i,
		       (unsigned long long)q->rx.packets,
		       (unsigned long long)q->tx.packets);
	}
	printf("\n");
	fflush(stdout);
}

/* Core lock held. */
static void print_counters(struct guest *g)
{
	const struct nc_vif_stats *s = nc_front_stats(g->front);
	const struct nc_lwip_counters *c = &g->nif.counters;
	const struct nc_guest_services_counters *v = &g->svc.counters;

	printf("netchannel guest: domain %ld %s counters:\n", g->o.domid,
	       g->path);
	print_dir("RX", &s->rx);
	print_dir("TX", &s->tx);
	printf("  events in %llu out %llu, connects %llu, quarantined pages "
	       "%u, pool poison violations %llu\n",
	       (unsigned long long)s->events_in,
	       (unsigned long long)s->events_out,
	       (unsigned long long)s->connects, g->front->quarantined_pages,
	       (unsigned long long)g->front->q[0].pool.stats.poison_violations);
	printf("  netif: rx %llu frames %llu bytes, %llu filtered, %llu "
	       "checksums completed, %llu dropped; tx %llu frames %llu bytes,"
	       " %llu deferred, %llu dropped\n",
	       (unsigned long long)c->rx_frames, (unsigned long long)c->rx_bytes,
	       (unsigned long long)c->rx_filtered,
	       (unsigned long long)c->rx_csum_completed,
	       (unsigned long long)c->rx_dropped,
	       (unsigned long long)c->tx_frames, (unsigned long long)c->tx_bytes,
	       (unsigned long long)c->tx_deferred,
	       (unsigned long long)c->tx_dropped);
	printf("  services: udp echoed %llu (errors %llu); http %llu "
	       "connections, %llu requests, %llu completed, %llu bad, %llu "
	       "aborted, %llu refused, %llu body bytes\n",
	       (unsigned long long)v->udp_echoed,
	       (unsigned long long)v->udp_errors,
	       (unsigned long long)v->http_conns,
	       (unsigned long long)v->http_requests,
	       (unsigned long long)v->http_completed,
	       (unsigned long long)v->http_bad,
	       (unsigned long long)v->http_aborted,
	       (unsigned long long)v->http_refused,
	       (unsigned long long)v->http_body_bytes);
	print_queues(g);
}

/* ------------------------------------------------------------ the guest */

static void describe(struct guest *g)
{
	char mac[18];

	format_mac(g->front->mac, mac, sizeof(mac));
	snprintf(g->name, sizeof(g->name), "domain %ld, vif %u (%s), MAC %s, "
		 "IPv4 %s%s%s", g->o.domid, g->o.vif, g->path, mac,
		 g->o.ip4_text, g->o.ip6_text ? ", IPv6 " : "",
		 g->o.ip6_text ? g->o.ip6_text : "");
}

/* Core lock held: the frontend, its netif, addresses, services. */
static int start_stack(struct guest *g)
{
	struct nc_front_config fc = {
		.path = g->path, .poison = g->o.poison,
		.untrusted = g->o.untrusted, .rx = nc_lwip_netif_rx,
		.rx_arg = &g->nif, .log = log_frontend,
		/* lwIP takes wire-sized TCP segments only: the backend
		 * segments GSO frames for us. */
		.no_gso = 1, .ctrl_ring = g->o.hash, .queues = g->o.queues };
	struct nc_guest_services_config sc = {
		.udp_echo_port = g->o.udp_port, .http_port = g->o.http_port,
		.name = g->name };
	struct nc_probe_config pc = {
		.netif = &g->nif.netif, .target = g->o.probe_ip,
		.count = g->o.probe_count };
	int rc = nc_front_init(g->front, &g->plat, &fc);

	if (rc) {
		fprintf(stderr, "netchannel guest: cannot start the frontend "
			"on %s of domain %ld: %s (does the vif exist? `netchannel"
			" vif add --frontend %ld`)\n", g->path, g->o.domid,
			nc_strerror(rc), g->o.domid);
		return -1;
	}
	g->front_up = 1;
	describe(g);
	if (nc_lwip_netif_add(&g->nif, g->front) ||
	    nc_guest_set_addrs(&g->nif.netif, &g->o.addrs) ||
	    nc_guest_services_start(&g->svc, &sc)) {
		fprintf(stderr, "netchannel guest: lwIP refused the interface,"
			" an address or a port\n");
		return -1;
	}
	if (g->o.probe && nc_probe_start(&g->probe, &pc)) {
		fprintf(stderr, "netchannel guest: lwIP refused the probe's "
			"pcbs\n");
		return -1;
	}
	return 0;
}

/* Until a signal (or the probe's end): wait, then one round of frontend
 * work under the lock, and a step of the probe. */
static void run(struct guest *g)
{
	int timeout = 0, done = 0;

	while (!done) {
		int more;

		int sig = wait_fds(g, timeout);

		if (sig == SIGUSR1) {
			LOCK_TCPIP_CORE();
			print_queues(g);
			UNLOCK_TCPIP_CORE();
			sig = 0;
		}
		if (sig) {
			if (g->o.probe) {
				LOCK_TCPIP_CORE();
				nc_probe_abort(&g->probe, "interrupted");
				UNLOCK_TCPIP_CORE();
			}
			return;
		}
		LOCK_TCPIP_CORE();
		more = nc_lwip_netif_poll(&g->nif);
		report_link(g);
		if (g->o.hash && g->nif.link_up)
			guest_hash_step(g->front, &g->hash);
		timeout = more > 0 ? 0 :
			  nc_lwip_netif_tx_pending(&g->nif) ? GUEST_BACKLOG_MS
							    : GUEST_IDLE_MS;
		/* The control ring's next request goes without waiting for
		 * an event (its answer does bring one). */
		if (g->o.hash && g->nif.link_up && !g->hash.done &&
		    !g->hash.waiting)
			timeout = 0;
		if (g->o.probe)
			done = nc_probe_step(&g->probe, &timeout);
		UNLOCK_TCPIP_CORE();
	}
}

/* Close the vif as the protocol asks (Closing, wait for the backend, at
 * most 2 s), then revoke everything and take the netif down. */
static void stop(struct guest *g)
{
	uint64_t end = now_ms() + GUEST_CLOSE_MS;
	int stopped = 0;

	if (!g->front_up)
		return;
	LOCK_TCPIP_CORE();
	nc_guest_services_stop(&g->svc);
	nc_front_close(g->front);
	UNLOCK_TCPIP_CORE();
	while (!stopped && now_ms() < end) {
		wait_fds(g, 50);
		LOCK_TCPIP_CORE();
		nc_lwip_netif_poll(&g->nif);
		report_link(g);
		stopped = nc_front_state(g->front) == NC_FRONT_STOPPED;
		UNLOCK_TCPIP_CORE();
	}
	LOCK_TCPIP_CORE();
	nc_lwip_netif_remove(&g->nif);
	nc_front_destroy(g->front);
	print_counters(g);
	UNLOCK_TCPIP_CORE();
	if (!stopped)
		fprintf(stderr, "netchannel guest: the backend did not let go "
			"in %d ms; grants revoked anyway\n", GUEST_CLOSE_MS);
}

static int open_platform(struct guest *g)
{
	/* tool_plat_open says why when it fails. */
	g->tp = tool_plat_open(g->o.run_dir, (nc_domid_t)g->o.domid,
			       &g->plat);
	return g->tp ? 0 : -1;
}

int cmd_guest(int argc, char **argv)
{
	struct guest *g = calloc(1, sizeof(*g));
	int rc = 1;

	if (!g)
		return 1;
	g->sigfd = -1;
	rc = parse_opts(argc, argv, &g->o);
	if (rc) {
		free(g);
		return rc == 1 ? 0 : 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(g->path, sizeof(g->path), "device/vif/%u", g->o.vif);
	guest_hash_init(&g->hash, g->o.hash_map, g->o.hash_map_len);
	g->front = calloc(1, sizeof(*g->front));
	rc = 1;
	if (g->front && signals_watch(g) == 0 && open_platform(g) == 0) {
		int started;

		tcpip_init(NULL, NULL);
		LOCK_TCPIP_CORE();
		started = start_stack(g) == 0;
		UNLOCK_TCPIP_CORE();
		if (started) {
			run(g);
			rc = g->o.probe && !nc_probe_passed(&g->probe);
		}
		stop(g);
		tool_plat_close(g->tp);
	}
	if (g->sigfd >= 0)
		close(g->sigfd);
	free(g->front);
	free(g);
	return rc;
}

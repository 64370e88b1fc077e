/*
 * guest/services.h - what the demo guest answers, on lwIP's raw APIs:
 *
 *   - addresses: a static IPv4 address, netmask and gateway; the IPv6
 *     link-local address from the MAC (with duplicate address detection);
 *     optionally one static IPv6 address in a /64.  ARP, ICMP echo,
 *     neighbour discovery and ICMPv6 echo are then lwIP's own;
 *   - UDP echo on a port, over IPv4 and IPv6;
 *   - HTTP/1.0 and 1.1 (GET and HEAD, one request per connection) on a
 *     port: "/" is a small HTML page naming the guest, "/big" is exactly
 *     NC_GUEST_BIG_SIZE bytes of a pattern a client can verify
 *     (nc_guest_big_byte), written as the send buffer drains.
 *
 * No allocation of its own: connections live in a fixed table.  Every
 * function runs with lwIP's core lock held.
 */
#ifndef NETCHANNEL_GUEST_SERVICES_H
#define NETCHANNEL_GUEST_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"

/* ------------------------------------------------------------ addresses */

struct nc_guest_addrs {
	ip4_addr_t ip4, mask4, gw4;  /* gw4 any (0): no default gateway */
	int have_ip6;                /* ip6 is set (a static /64 address) */
	ip6_addr_t ip6;
};

/* "A.B.C.D/NN" (NN 0..32; without "/NN": 32).  0, or -1 when malformed. */
int nc_guest_parse_ip4_prefix(const char *s, ip4_addr_t *addr,
			      ip4_addr_t *mask);
/* "ADDR/64" or "ADDR" (only /64 prefixes are supported).  0 or -1. */
int nc_guest_parse_ip6_prefix(const char *s, ip6_addr_t *addr);

/* Give the interface its addresses, make it lwIP's default route, and
 * start the link-local address (tentative until DAD finishes). */
int nc_guest_set_addrs(struct netif *netif, const struct nc_guest_addrs *a);

/* ------------------------------------------------------------- services */

#define NC_GUEST_BIG_SIZE (1024u * 1024u)     /* bytes of "/big" */
/* "/big/N": the same pattern, N bytes (1 .. NC_GUEST_BIG_MAX) */
#define NC_GUEST_BIG_MAX (256u * 1024u * 1024u)
#define NC_GUEST_HTTP_MAX_CONNS 16u
#define NC_GUEST_HTTP_REQ_MAX 1024u           /* request head, bytes */
#define NC_GUEST_PAGE_MAX 1024u

/* Byte i of "/big": (i * 7 + i / 4096) & 0xff. */
static inline uint8_t nc_guest_big_byte(size_t i)
{
	return (uint8_t)((i * 7u + i / 4096u) & 0xffu);
}

struct nc_guest_services;

/* Where an HTTP connection is. */
enum nc_guest_http_phase {
	NC_HTTP_READING = 0,   /* collecting the request head */
	NC_HTTP_SENDING,       /* handing the response to TCP as it drains */
	NC_HTTP_DRAINING,      /* all queued, FIN asked for: waiting for the
				* client's FIN, discarding what it sends */
};

/* One HTTP connection (private). */
struct nc_guest_http_conn {
	struct tcp_pcb *pcb;              /* NULL: the slot is free */
	struct nc_guest_services *svc;
	enum nc_guest_http_phase phase;
	char req[NC_GUEST_HTTP_REQ_MAX];  /* the request head so far */
	size_t req_len;
	char head[256];                   /* status line and headers */
	size_t head_len;
	const uint8_t *body;              /* NULL: generated "/big" */
	size_t body_len;                  /* body bytes to send (0: HEAD) */
	size_t queued;                    /* head + body bytes given to TCP */
	int fin_pending;                  /* tcp_shutdown must be retried */
	unsigned idle_polls;              /* poll ticks with no progress */
};

struct nc_guest_services_config {
	uint16_t udp_echo_port;   /* 0: no UDP echo */
	uint16_t http_port;       /* 0: no HTTP */
	const char *name;         /* who this guest is, for the page */
};

struct nc_guest_services_counters {
	uint64_t udp_echoed;       /* datagrams sent back */
	uint64_t udp_errors;       /* datagrams that could not be */
	uint64_t http_conns;       /* connections accepted */
	uint64_t http_refused;     /* connections over the table's size */
	uint64_t http_requests;    /* responses started */
	uint64_t http_bad;         /* 4xx answers */
	uint64_t http_completed;   /* responses fully handed to TCP */
	uint64_t http_aborted;     /* connections reset or timed out */
	uint64_t http_body_bytes;  /* body bytes handed to TCP */
};

struct nc_guest_services {
	struct udp_pcb *udp;
	struct tcp_pcb *http;              /* the listening pcb */
	char page[NC_GUEST_PAGE_MAX];      /* the "/" page */
	size_t page_len;
	struct nc_guest_http_conn conns[NC_GUEST_HTTP_MAX_CONNS];
	struct nc_guest_services_counters counters;
};

/* Bind the UDP echo and HTTP ports (any address, IPv4 and IPv6).
 * 0, or -1 (and nothing left bound) when lwIP refused. */
int nc_guest_services_start(struct nc_guest_services *s,
			    const struct nc_guest_services_config *cfg);

/* Close the listeners and reset the open connections. */
void nc_guest_services_stop(struct nc_guest_services *s);

#endif

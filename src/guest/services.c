/*
 * services.c - the demo guest's addresses, UDP echo and HTTP server, on
 * lwIP's raw APIs (see services.h).  Every function runs with the core
 * lock held: lwIP calls the callbacks that way, and the caller holds it
 * for start and stop.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/services.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"

/* tcp_poll interval, in TCP coarse ticks (500 ms): every 2 s. */
#define HTTP_POLL_TICKS 4u
/* A connection that makes no progress for this many polls is reset. */
#define HTTP_IDLE_POLLS 15u
/* ... or, once all is queued, closed after this many. */
#define HTTP_DRAIN_POLLS 5u
/* Bytes generated per tcp_write. */
#define HTTP_CHUNK 4096u

/* ------------------------------------------------------------ addresses */

/* A decimal number in [0, max], nothing else. */
static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Copy "ADDR/NN" into addr and point *prefix at NN (NULL: none). */
static int split_prefix(const char *s, char *addr, size_t len,
			const char **prefix)
{
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n == 0 || n >= len)
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	*prefix = slash ? slash + 1 : NULL;
	return 0;
}

int nc_guest_parse_ip4_prefix(const char *s, ip4_addr_t *addr,
			      ip4_addr_t *mask)
{
	char text[INET_ADDRSTRLEN];
	const char *prefix;
	struct in_addr in;
	unsigned bits = 32;

	if (split_prefix(s, text, sizeof(text), &prefix) ||
	    inet_pton(AF_INET, text, &in) != 1 ||
	    (prefix && parse_uint(prefix, 32, &bits)))
		return -1;
	addr->addr = in.s_addr;
	mask->addr = bits ? htonl(~0u << (32 - bits)) : 0;
	return 0;
}

int nc_guest_parse_ip6_prefix(const char *s, ip6_addr_t *addr)
{
	char text[INET6_ADDRSTRLEN];
	const char *prefix;
	unsigned char raw[16];
	unsigned bits = 64;

	if (split_prefix(s, text, sizeof(text), &prefix) ||
	    inet_pton(AF_INET6, text, raw) != 1 ||
	    (prefix && parse_uint(prefix, 128, &bits)) || bits != 64)
		return -1;
	memset(addr, 0, sizeof(*addr));
	memcpy(addr->addr, raw, sizeof(raw));
	ip6_addr_clear_zone(addr);
	return 0;
}

int nc_guest_set_addrs(struct netif *netif, const struct nc_guest_addrs *a)
{
	LWIP_ASSERT_CORE_LOCKED();
	netif_set_addr(netif, &a->ip4, &a->mask4, &a->gw4);
	/* fe80::/64 from the MAC; tentative until DAD has run. */
	netif_create_ip6_linklocal_address(netif, 1);
	if (a->have_ip6 && netif_add_ip6_address(netif, &a->ip6, NULL) != ERR_OK)
		return -1;
	netif_set_default(netif);
	return 0;
}

/* ------------------------------------------------------------- UDP echo */

static void udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			  const ip_addr_t *addr, u16_t port)
{
	struct nc_guest_services *s = arg;

	/* The datagram goes back as it came: its headers' room is reused. */
	if (udp_sendto(pcb, p, addr, port) == ERR_OK)
		s->counters.udp_echoed++;
	else
		s->counters.udp_errors++;
	pbuf_free(p);
}

static int udp_echo_start(struct nc_guest_services *s, uint16_t port)
{
	s->udp = udp_new_ip_type(IPADDR_TYPE_ANY);
	if (!s->udp)
		return -1;
	if (udp_bind(s->udp, IP_ANY_TYPE, port) != ERR_OK) {
		udp_remove(s->udp);
		s->udp = NULL;
		return -1;
	}
	udp_recv(s->udp, udp_echo_recv, s);
	return 0;
}

/* ------------------------------------------------- HTTP: the connection */

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
		       err_t err);
static err_t http_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
static err_t http_poll(void *arg, struct tcp_pcb *pcb);
static void http_err(void *arg, err_t err);

static void conn_attach(struct nc_guest_http_conn *c)
{
	tcp_arg(c->pcb, c);
	tcp_recv(c->pcb, http_recv);
	tcp_sent(c->pcb, http_sent);
	tcp_err(c->pcb, http_err);
	tcp_poll(c->pcb, http_poll, HTTP_POLL_TICKS);
}

/* lwIP no longer calls us for this pcb; the slot is free. */
static void conn_detach(struct nc_guest_http_conn *c)
{
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_sent(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
	tcp_poll(c->pcb, NULL, 0);
	c->pcb = NULL;
}

/* Reset the connection (from a callback: return what this returns). */
static err_t conn_abort(struct nc_guest_http_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	c->svc->counters.http_aborted++;
	conn_detach(c);
	tcp_abort(pcb);
	return ERR_ABRT;
}

/* Close both directions and let lwIP finish on its own (it still sends
 * what is queued).  If lwIP is short of memory, the poll retries. */
static err_t conn_close(struct nc_guest_http_conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	conn_detach(c);
	if (tcp_close(pcb) == ERR_OK)
		return ERR_OK;
	c->pcb = pcb;
	conn_attach(c);
	return ERR_OK;
}

/* Everything is queued: send FIN after it, keep reading until the client
 * closes (closing now would answer its late bytes with a reset). */
static void conn_send_fin(struct nc_guest_http_conn *c)
{
	c->phase = NC_HTTP_DRAINING;
	c->fin_pending = tcp_shutdown(c->pcb, 0, 1) != ERR_OK;
	if (!c->fin_pending)
		c->svc->counters.http_completed++;
}

/* ------------------------------------------------- HTTP: the response */

static size_t response_total(const struct nc_guest_http_conn *c)
{
	return c->head_len + c->body_len;
}

/* Bytes [off, off + n) of head + body into buf. */
static void response_bytes(const struct nc_guest_http_conn *c, size_t off,
			   uint8_t *buf, size_t n)
{
	size_t i = 0;

	for (; i < n && off + i < c->head_len; i++)
		buf[i] = (uint8_t)c->head[off + i];
	if (i < n && c->body) {
		memcpy(buf + i, c->body + (off + i - c->head_len), n - i);
		return;
	}
	for (; i < n; i++)
		buf[i] = nc_guest_big_byte(off + i - c->head_len);
}

/* How many of the next n bytes to queue belong to the body. */
static size_t body_bytes_in(const struct nc_guest_http_conn *c, size_t n)
{
	size_t start = c->queued > c->head_len ? c->queued : c->head_len;

	return c->queued + n > start ? c->queued + n - start : 0;
}

/* Hand TCP as much of the response as its send buffer and queue take;
 * the sent callback and the poll call this again as they drain. */
static err_t conn_pump(struct nc_guest_http_conn *c)
{
	uint8_t chunk[HTTP_CHUNK];
	size_t total = response_total(c);

	while (c->queued < total) {
		size_t n = total - c->queued, room = tcp_sndbuf(c->pcb);
		u8_t flags = TCP_WRITE_FLAG_COPY;
		err_t err;

		n = n < room ? n : room;
		n = n < sizeof(chunk) ? n : sizeof(chunk);
		if (n == 0 || tcp_sndqueuelen(c->pcb) >= TCP_SND_QUEUELEN)
			break;
		if (c->queued + n < total)
			flags |= TCP_WRITE_FLAG_MORE;
		response_bytes(c, c->queued, chunk, n);
		err = tcp_write(c->pcb, chunk, (u16_t)n, flags);
		if (err == ERR_MEM)
			break;
		if (err != ERR_OK)
			return conn_abort(c);
		c->svc->counters.http_body_bytes += body_bytes_in(c, n);
		c->queued += n;
	}
	if (c->queued == total)
		conn_send_fin(c);
	tcp_output(c->pcb);
	return ERR_OK;
}

static void set_head(struct nc_guest_http_conn *c, const char *version,
		     const char *status, const char *type, size_t length)
{
	int n = snprintf(c->head, sizeof(c->head),
			 "%s %s\r\nServer: netchannel-guest (lwIP)\r\n"
			 "Content-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 version, status, type, length);

	c->head_len = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
}

/* "/big/N" with N in 1 .. NC_GUEST_BIG_MAX, decimal digits only: N;
 * anything else: 0. */
static size_t big_path_size(const char *path)
{
	size_t n = 0;
	const char *p;

	if (strncmp(path, "/big/", 5) || !path[5] || strlen(path + 5) > 9)
		return 0;
	for (p = path + 5; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		n = n * 10 + (size_t)(*p - '0');
	}
	return n <= NC_GUEST_BIG_MAX ? n : 0;
}

static void respond(struct nc_guest_http_conn *c, const char *version,
		    const char *status, const char *type,
		    const uint8_t *body, size_t len, int head_only)
{
	set_head(c, version, status, type, len);
	c->body = body;
	c->body_len = head_only ? 0 : len;
	c->phase = NC_HTTP_SENDING;
	c->svc->counters.http_requests++;
	if (status[0] != '2')
		c->svc->counters.http_bad++;
}

static void respond_error(struct nc_guest_http_conn *c, const char *version,
			  const char *status, int head_only)
{
	static const char body[] = "netchannel guest: request not served\n";

	respond(c, version, status, "text/plain",
		(const uint8_t *)body, sizeof(body) - 1, head_only);
}

/* The request line's three words, NUL-terminated in place. */
struct request_line {
	const char *method, *path, *version;
};

static int split_request_line(char *line, struct request_line *r)
{
	char *save = NULL;

	r->method = strtok_r(line, " \r", &save);
	r->path = strtok_r(NULL, " \r", &save);
	r->version = strtok_r(NULL, " \r", &save);
	if (!r->method || !r->path)
		return -1;
	if (!r->version)
		r->version = "HTTP/1.0";       /* HTTP/0.9 style: "GET /" */
	return 0;
}

/* Choose the response to a complete request head. */
static void answer_request(struct nc_guest_http_conn *c)
{
	struct nc_guest_services *s = c->svc;
	struct request_line r;
	char *eol = memchr(c->req, '\n', c->req_len);
	const char *version;
	int head_only;
	size_t big;

	*eol = '\0';
	if (split_request_line(c->req, &r)) {
		respond_error(c, "HTTP/1.0", "400 Bad Request", 0);
		return;
	}
	version = strcmp(r.version, "HTTP/1.1") ? "HTTP/1.0" : "HTTP/1.1";
	head_only = strcmp(r.method, "HEAD") == 0;
	if (strcmp(r.method, "GET") && !head_only)
		respond_error(c, version, "405 Method Not Allowed", 0);
	else if (!strcmp(r.path, "/") || !strcmp(r.path, "/index.html"))
		respond(c, version, "200 OK", "text/html; charset=utf-8",
			(const uint8_t *)s->page, s->page_len, head_only);
	else if (!strcmp(r.path, "/big"))
		respond(c, version, "200 OK", "application/octet-stream",
			NULL, NC_GUEST_BIG_SIZE, head_only);
	else if ((big = big_path_size(r.path)) > 0)
		respond(c, version, "200 OK", "application/octet-stream",
			NULL, big, head_only);
	else
		respond_error(c, version, "404 Not Found", head_only);
}

static int request_head_complete(const struct nc_guest_http_conn *c)
{
	return memmem(c->req, c->req_len, "\r\n\r\n", 4) ||
	       memmem(c->req, c->req_len, "\n\n", 2);
}

/* Append what arrived to the request head (keeping room for a NUL). */
static void take_request_bytes(struct nc_guest_http_conn *c, struct pbuf *p)
{
	size_t room = sizeof(c->req) - 1 - c->req_len;
	size_t n = p->tot_len < room ? p->tot_len : room;

	c->req_len += pbuf_copy_partial(p, c->req + c->req_len, (u16_t)n, 0);
	c->req[c->req_len] = '\0';
}

/* ------------------------------------------------ HTTP: the callbacks */

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p,
		       err_t err)
{
	struct nc_guest_http_conn *c = arg;

	if (!p)                          /* the client closed its side */
		return c->phase == NC_HTTP_SENDING ? ERR_OK : conn_close(c);
	if (err != ERR_OK) {
		pbuf_free(p);
		return err;
	}
	tcp_recved(pcb, p->tot_len);     /* always: keeps the window open */
	c->idle_polls = 0;
	if (c->phase == NC_HTTP_READING)
		take_request_bytes(c, p);
	pbuf_free(p);
	if (c->phase != NC_HTTP_READING)
		return ERR_OK;
	if (request_head_complete(c))
		answer_request(c);
	else if (c->req_len == sizeof(c->req) - 1)
		respond_error(c, "HTTP/1.0",
			      "431 Request Header Fields Too Large", 0);
	else
		return ERR_OK;
	return conn_pump(c);
}

static err_t http_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct nc_guest_http_conn *c = arg;

	(void)pcb;
	(void)len;
	c->idle_polls = 0;
	if (c->phase == NC_HTTP_SENDING)
		return conn_pump(c);
	return ERR_OK;
}

static err_t http_poll(void *arg, struct tcp_pcb *pcb)
{
	struct nc_guest_http_conn *c = arg;

	(void)pcb;
	c->idle_polls++;
	if (c->phase == NC_HTTP_DRAINING && !c->fin_pending &&
	    c->idle_polls > HTTP_DRAIN_POLLS)
		return conn_close(c);    /* the client never closed */
	if (c->idle_polls > HTTP_IDLE_POLLS)
		return conn_abort(c);
	if (c->phase == NC_HTTP_SENDING)
		return conn_pump(c);
	if (c->phase == NC_HTTP_DRAINING && c->fin_pending)
		conn_send_fin(c);
	return ERR_OK;
}

/* The pcb is already gone: ERR_CLSD after our FIN in LAST_ACK (the
 * client had closed first), otherwise reset by the peer or given up. */
static void http_err(void *arg, err_t err)
{
	struct nc_guest_http_conn *c = arg;

	if (!c)
		return;
	c->pcb = NULL;
	if (err != ERR_CLSD)
		c->svc->counters.http_aborted++;
}

static struct nc_guest_http_conn *free_slot(struct nc_guest_services *s)
{
	unsigned i;

	for (i = 0; i < NC_GUEST_HTTP_MAX_CONNS; i++)
		if (!s->conns[i].pcb)
			return &s->conns[i];
	return NULL;
}

static err_t http_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nc_guest_services *s = arg;
	struct nc_guest_http_conn *c;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	c = free_slot(s);
	if (!c) {
		s->counters.http_refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	memset(c, 0, sizeof(*c));
	c->pcb = pcb;
	c->svc = s;
	c->phase = NC_HTTP_READING;
	conn_attach(c);
	s->counters.http_conns++;
	return ERR_OK;
}

/* ------------------------------------------------ HTTP: the listener */

static void build_page(struct nc_guest_services *s, const char *name)
{
	int n = snprintf(s->page, sizeof(s->page),
		"<!DOCTYPE html>\n<html><head><title>netchannel guest</title>"
		"</head>\n<body><h1>netchannel guest</h1>\n<p>%s</p>\n"
		"<p>lwIP on a Xen netfront (netchannel); every frame is "
		"written in place into the transmit pool.</p>\n"
		"<p><a href=\"/big\">/big</a>: %u bytes of test pattern.</p>\n"
		"</body></html>\n", name ? name : "", NC_GUEST_BIG_SIZE);

	s->page_len = n < 0 ? 0 : (size_t)n < sizeof(s->page) ?
		      (size_t)n : sizeof(s->page) - 1;
}

static int http_start(struct nc_guest_services *s, uint16_t port)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);

	if (!pcb)
		return -1;
	/* Connections of an earlier listener may linger in TIME_WAIT. */
	ip_set_option(pcb, SOF_REUSEADDR);
	if (tcp_bind(pcb, IP_ANY_TYPE, port) != ERR_OK) {
		tcp_close(pcb);
		return -1;
	}
	s->http = tcp_listen(pcb);
	if (!s->http) {
		tcp_close(pcb);
		return -1;
	}
	tcp_arg(s->http, s);
	tcp_accept(s->http, http_accept);
	return 0;
}

int nc_guest_services_start(struct nc_guest_services *s,
			    const struct nc_guest_services_config *cfg)
{
	LWIP_ASSERT_CORE_LOCKED();
	memset(s, 0, sizeof(*s));
	build_page(s, cfg->name);
	if ((cfg->udp_echo_port && udp_echo_start(s, cfg->udp_echo_port)) ||
	    (cfg->http_port && http_start(s, cfg->http_port))) {
		nc_guest_services_stop(s);
		return -1;
	}
	return 0;
}

void nc_guest_services_stop(struct nc_guest_services *s)
{
	unsigned i;

	LWIP_ASSERT_CORE_LOCKED();
	if (s->udp)
		udp_remove(s->udp);
	s->udp = NULL;
	if (s->http)
		tcp_close(s->http);
	s->http = NULL;
	for (i = 0; i < NC_GUEST_HTTP_MAX_CONNS; i++)
		if (s->conns[i].pcb)
			conn_abort(&s->conns[i]);
}

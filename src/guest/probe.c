/*
 * probe.c - the demo guest checks another host: ARP, ICMP echo, UDP echo,
 * HTTP "/" and "/big" (see probe.h).
 *
 * A state machine, one stage per check, advanced by nc_probe_step from
 * the guest's loop with a monotonic clock.  lwIP's callbacks (raw ICMP,
 * UDP, TCP) run under the core lock too, from either thread; they only
 * record what arrived, and the next step acts on it.  Each stage's
 * handler returns when it wants to run again, or 0 when it has moved on
 * to the next stage (run that one now).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guest/probe.h"
#include "guest/services.h"
#include "lwip/def.h"
#include "lwip/etharp.h"
#include "lwip/prot/icmp.h"
#include "lwip/prot/ip4.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"
#include "netchannel/csum.h"

#define US_PER_MS 1000u
#define ARP_RETRY_US (1000u * US_PER_MS)
#define ARP_TIMEOUT_US (3000u * US_PER_MS)
#define PING_TIMEOUT_US (1000u * US_PER_MS)
#define UDP_TIMEOUT_US (1000u * US_PER_MS)
#define UDP_TRIES 3u
#define HTTP_ROOT_TIMEOUT_US (5000u * US_PER_MS)
#define HTTP_BIG_TIMEOUT_US (20000u * US_PER_MS)
/* At most this long between steps, so that what a callback on lwIP's
 * thread recorded (a TCP error, say) is acted on soon. */
#define STEP_MAX_MS 100u

#define ICMP_ECHO_LEN (sizeof(struct icmp_echo_hdr) + NC_PROBE_PING_DATA)

static const char *const check_names[NC_PROBE_DONE] = {
	[NC_PROBE_LINK] = "link",
	[NC_PROBE_ARP] = "arp",
	[NC_PROBE_PING] = "ping",
	[NC_PROBE_UDP] = "udp echo",
	[NC_PROBE_HTTP_ROOT] = "http /",
	[NC_PROBE_HTTP_BIG] = "http /big",
};

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double ms_between(uint64_t from, uint64_t to)
{
	return (double)(to - from) / 1000.0;
}

/* One result line: "ok: ..." or "FAILED: ...". */
static void report(struct nc_probe *p, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct nc_probe *p, int ok, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("%s%s\n", ok ? "ok: " : "FAILED: ", line);
	if (!ok)
		p->failed = 1;
}

static void enter(struct nc_probe *p, enum nc_probe_stage s, uint64_t now)
{
	p->stage = s;
	p->stage_t0 = now;
}

static const char *err_text(err_t err)
{
	switch (err) {
	case ERR_OK: return "no error";
	case ERR_MEM: return "out of memory";
	case ERR_BUF: return "buffer error";
	case ERR_TIMEOUT: return "timeout";
	case ERR_RTE: return "no route";
	case ERR_VAL: return "illegal value";
	case ERR_USE: return "address in use";
	case ERR_ISCONN: return "already connected";
	case ERR_CONN: return "not connected";
	case ERR_IF: return "interface error";
	case ERR_ABRT: return "connection aborted (no answer)";
	case ERR_RST: return "connection reset";
	case ERR_CLSD: return "connection closed";
	default: return "lwIP error";
	}
}

/* ------------------------------------------------------------------ arp */

static uint64_t stage_arp(struct nc_probe *p, uint64_t now)
{
	struct eth_addr *mac = NULL;
	const ip4_addr_t *ip = NULL;
	uint64_t give_up = p->stage_t0 + ARP_TIMEOUT_US;

	if (etharp_find_addr(p->netif, &p->target, &mac, &ip) >= 0 && mac) {
		const uint8_t *m = mac->addr;

		report(p, 1, "arp %s is at %02x:%02x:%02x:%02x:%02x:%02x "
		       "(%.3f ms)", p->target_text, m[0], m[1], m[2], m[3],
		       m[4], m[5], ms_between(p->stage_t0, now));
		enter(p, NC_PROBE_PING, now);
		return 0;
	}
	if (now >= give_up) {
		/* The pings may still resolve it: go on. */
		report(p, 0, "arp %s: no answer in %u s", p->target_text,
		       ARP_TIMEOUT_US / 1000000u);
		enter(p, NC_PROBE_PING, now);
		return 0;
	}
	if (now >= p->arp_next) {
		etharp_request(p->netif, &p->target);
		p->arp_next = now + ARP_RETRY_US;
	}
	return p->arp_next < give_up ? p->arp_next : give_up;
}

/* ----------------------------------------------------------------- ping */

static uint8_t ping_byte(uint16_t seq, size_t i)
{
	return (uint8_t)(seq * 31u + i);
}

/* Echo request number ping_done + 1, checksummed with nc_csum. */
static void ping_send(struct nc_probe *p, uint64_t now)
{
	uint8_t msg[ICMP_ECHO_LEN];
	struct icmp_echo_hdr h;
	uint16_t csum;
	struct pbuf *pb;
	size_t i;

	p->ping_seq = (uint16_t)(p->ping_done + 1u);
	memset(&h, 0, sizeof(h));
	h.type = ICMP_ECHO;
	h.code = 0;
	h.chksum = 0;
	h.id = lwip_htons(p->ping_id);
	h.seqno = lwip_htons(p->ping_seq);
	memcpy(msg, &h, sizeof(h));
	for (i = 0; i < NC_PROBE_PING_DATA; i++)
		msg[sizeof(h) + i] = ping_byte(p->ping_seq, i);
	csum = nc_csum(msg, sizeof(msg));
	memcpy(msg + offsetof(struct icmp_echo_hdr, chksum), &csum,
	       sizeof(csum));

	p->ping_waiting = 1;
	p->ping_answered = 0;
	p->ping_sent = now;
	p->ping_until = now + PING_TIMEOUT_US;
	pb = pbuf_alloc(PBUF_IP, (u16_t)sizeof(msg), PBUF_RAM);
	if (!pb) {
		p->ping_errors++;
		return;
	}
	pbuf_take(pb, msg, (u16_t)sizeof(msg));
	if (raw_sendto(p->raw, pb, &p->dst) != ERR_OK)
		p->ping_errors++;   /* no reply will come: the wait times out */
	pbuf_free(pb);
}

/* Is this echo reply (IP header and all) the answer to the request out? */
static int ping_matches(struct nc_probe *p, struct pbuf *pb, u16_t hl,
			const ip_addr_t *from)
{
	uint8_t msg[ICMP_ECHO_LEN];
	struct icmp_echo_hdr h;
	size_t i;

	if (!p->ping_waiting || p->ping_answered ||
	    !IP_IS_V4(from) || !ip4_addr_cmp(ip_2_ip4(from), &p->target) ||
	    pb->tot_len != hl + sizeof(msg) ||
	    pbuf_copy_partial(pb, msg, (u16_t)sizeof(msg), hl) != sizeof(msg))
		return 0;
	memcpy(&h, msg, sizeof(h));
	if (h.seqno != lwip_htons(p->ping_seq) || nc_csum(msg, sizeof(msg)))
		return 0;
	for (i = 0; i < NC_PROBE_PING_DATA; i++)
		if (msg[sizeof(h) + i] != ping_byte(p->ping_seq, i))
			return 0;
	return 1;
}

/* The raw pcb sees every ICMP packet before lwIP's ICMP does: take our
 * echo replies, leave everything else (echo requests to this guest are
 * still answered). */
static u8_t ping_recv(void *arg, struct raw_pcb *pcb, struct pbuf *pb,
		      const ip_addr_t *addr)
{
	struct nc_probe *p = arg;
	struct ip_hdr iph;
	struct icmp_echo_hdr h;
	u16_t hl;

	(void)pcb;
	if (pbuf_copy_partial(pb, &iph, sizeof(iph), 0) != sizeof(iph))
		return 0;
	hl = IPH_HL_BYTES(&iph);
	if (pbuf_copy_partial(pb, &h, sizeof(h), hl) != sizeof(h) ||
	    h.type != ICMP_ER || h.code != 0 ||
	    h.id != lwip_htons(p->ping_id))
		return 0;
	if (ping_matches(p, pb, hl, addr)) {
		uint64_t rtt = now_us() - p->ping_sent;

		p->ping_answered = 1;
		p->ping_ok++;
		p->rtt_sum += rtt;
		if (p->ping_ok == 1 || rtt < p->rtt_min)
			p->rtt_min = rtt;
		if (rtt > p->rtt_max)
			p->rtt_max = rtt;
	} else {
		p->ping_stray++;
	}
	pbuf_free(pb);
	return 1;
}

static void ping_report(struct nc_probe *p)
{
	char extra[96] = "";

	if (p->ping_ok)
		snprintf(extra, sizeof(extra), " (rtt min/avg/max "
			 "%.3f/%.3f/%.3f ms)", p->rtt_min / 1000.0,
			 (double)p->rtt_sum / p->ping_ok / 1000.0,
			 p->rtt_max / 1000.0);
	report(p, p->ping_ok == p->count, "ping %u/%u%s%s", p->ping_ok,
	       p->count, extra, p->ping_stray ? " (stray replies seen)" : "");
}

static uint64_t stage_ping(struct nc_probe *p, uint64_t now)
{
	if (p->ping_waiting) {
		if (!p->ping_answered && now < p->ping_until)
			return p->ping_until;
		p->ping_waiting = 0;
		p->ping_done++;
	}
	if (p->ping_done < p->count) {
		ping_send(p, now);
		return p->ping_until;
	}
	ping_report(p);
	raw_remove(p->raw);
	p->raw = NULL;
	enter(p, NC_PROBE_UDP, now);
	return 0;
}

/* ------------------------------------------------------------- udp echo */

static void udp_send_try(struct nc_probe *p, uint64_t now)
{
	struct pbuf *pb;
	size_t i;
	int n;

	p->udp_tries++;
	n = snprintf((char *)p->udp_data, sizeof(p->udp_data),
		     "netchannel probe: udp echo, try %u, ", p->udp_tries);
	for (i = n > 0 ? (size_t)n : 0; i < sizeof(p->udp_data); i++)
		p->udp_data[i] = (uint8_t)('a' + (i + p->udp_tries) % 26u);
	p->udp_waiting = 1;
	p->udp_answered = 0;
	p->udp_until = now + UDP_TIMEOUT_US;
	pb = pbuf_alloc(PBUF_TRANSPORT, (u16_t)sizeof(p->udp_data), PBUF_RAM);
	if (!pb)
		return;
	pbuf_take(pb, p->udp_data, (u16_t)sizeof(p->udp_data));
	udp_sendto(p->udp, pb, &p->dst, NC_PROBE_UDP_PORT);
	pbuf_free(pb);
}

static void udp_probe_recv(void *arg, struct udp_pcb *pcb, struct pbuf *pb,
			   const ip_addr_t *addr, u16_t port)
{
	struct nc_probe *p = arg;

	(void)pcb;
	if (p->udp_waiting && IP_IS_V4(addr) &&
	    ip4_addr_cmp(ip_2_ip4(addr), &p->target) &&
	    port == NC_PROBE_UDP_PORT) {
		if (pb->tot_len == sizeof(p->udp_data) &&
		    pbuf_memcmp(pb, 0, p->udp_data, sizeof(p->udp_data)) == 0)
			p->udp_answered = 1;
		else
			p->udp_mismatch = 1;
	}
	pbuf_free(pb);
}

static uint64_t stage_udp(struct nc_probe *p, uint64_t now)
{
	if (p->udp_waiting) {
		if (!p->udp_answered && now < p->udp_until)
			return p->udp_until;
		p->udp_waiting = 0;
		if (p->udp_answered) {
			report(p, 1, "udp echo");
			goto next;
		}
	}
	if (p->udp_tries < UDP_TRIES) {
		udp_send_try(p, now);
		return p->udp_until;
	}
	report(p, 0, "udp echo: nothing came back from %s port %u in %u "
	       "tries%s", p->target_text, NC_PROBE_UDP_PORT, UDP_TRIES,
	       p->udp_mismatch ? " (a different datagram did)" : "");
next:
	udp_remove(p->udp);
	p->udp = NULL;
	enter(p, NC_PROBE_HTTP_ROOT, now);
	return 0;
}

/* ----------------------------------------------------------------- http */

/* lwIP no longer calls us for this pcb. */
static void http_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
}

/* Reset the connection, if still open. */
static void http_drop(struct nc_probe_http *h)
{
	if (!h->pcb)
		return;
	http_detach(h->pcb);
	tcp_abort(h->pcb);
	h->pcb = NULL;
}

static void http_end(struct nc_probe_http *h, err_t err)
{
	h->finished = 1;
	h->err = err;
	h->t1 = now_us();
}

static void http_body(struct nc_probe_http *h, const uint8_t *d, size_t n)
{
	size_t i;

	if (h->verify_big && !h->mismatch)
		for (i = 0; i < n; i++)
			if (d[i] != nc_guest_big_byte(h->body + i)) {
				h->mismatch = 1;
				h->mismatch_at = h->body + i;
				h->mismatch_got = d[i];
				break;
			}
	h->body += n;
}

/* The head is complete at h->head[0, end): status, Content-Length. */
static void http_parse_head(struct nc_probe_http *h)
{
	const char *cl;
	int major, minor, status;

	if (sscanf(h->head, "HTTP/%d.%d %d", &major, &minor, &status) == 3)
		h->status = status;
	cl = strcasestr(h->head, "\r\nContent-Length:");
	if (cl) {
		char *end;
		long long v = strtoll(cl + 17, &end, 10);

		if (end != cl + 17 && v >= 0)
			h->content_length = v;
	}
}

/* Bytes of the response, in order. */
static void http_feed(struct nc_probe_http *h, const uint8_t *d, size_t n)
{
	size_t room, take, from, end;
	char *term;

	if (h->in_body) {
		http_body(h, d, n);
		return;
	}
	room = NC_PROBE_HTTP_HEAD_MAX - h->head_len;
	take = n < room ? n : room;
	from = h->head_len > 3 ? h->head_len - 3 : 0;
	memcpy(h->head + h->head_len, d, take);
	h->head_len += take;
	h->head[h->head_len] = '\0';
	term = memmem(h->head + from, h->head_len - from, "\r\n\r\n", 4);
	if (!term) {
		if (h->head_len == NC_PROBE_HTTP_HEAD_MAX)
			h->head_bad = 1;
		return;
	}
	end = (size_t)(term - h->head) + 4;
	h->in_body = 1;
	http_parse_head(h);
	/* What followed the head in the buffer, then the rest of d. */
	http_body(h, (const uint8_t *)h->head + end, h->head_len - end);
	h->head_len = end;
	h->head[end] = '\0';
	if (take < n)
		http_body(h, d + take, n - take);
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *pb,
		       err_t err)
{
	struct nc_probe_http *h = arg;
	struct pbuf *q;

	if (!pb) {                   /* the server is done: close our side */
		http_end(h, ERR_OK);
		http_detach(pcb);
		h->pcb = NULL;
		if (tcp_close(pcb) != ERR_OK) {
			tcp_abort(pcb);
			return ERR_ABRT;
		}
		return ERR_OK;
	}
	if (err != ERR_OK) {
		pbuf_free(pb);
		return err;
	}
	tcp_recved(pcb, pb->tot_len);
	for (q = pb; q; q = q->next)
		http_feed(h, q->payload, q->len);
	pbuf_free(pb);
	if (h->head_bad) {
		http_end(h, ERR_OK);
		http_drop(h);
		return ERR_ABRT;
	}
	return ERR_OK;
}

/* The pcb is already freed. */
static void http_err(void *arg, err_t err)
{
	struct nc_probe_http *h = arg;

	if (!h)
		return;
	h->pcb = NULL;
	http_end(h, err);
}

static err_t http_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct nc_probe_http *h = arg;
	char req[160];
	int n;

	if (err != ERR_OK) {
		http_end(h, err);
		http_drop(h);
		return ERR_ABRT;
	}
	h->connected = 1;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
		     "User-Agent: netchannel-probe\r\n\r\n", h->path,
		     h->probe->target_text);
	err = tcp_write(pcb, req, (u16_t)n, TCP_WRITE_FLAG_COPY);
	if (err == ERR_OK)
		err = tcp_output(pcb);
	if (err != ERR_OK) {
		http_end(h, err);
		http_drop(h);
		return ERR_ABRT;
	}
	return ERR_OK;
}

static void http_open(struct nc_probe *p, const char *path, int big,
		      uint64_t now)
{
	struct nc_probe_http *h = &p->http;
	err_t err;

	memset(h, 0, sizeof(*h));
	h->probe = p;
	h->path = path;
	h->verify_big = big;
	h->started = 1;
	h->t0 = now;
	h->content_length = -1;
	h->pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!h->pcb) {
		http_end(h, ERR_MEM);
		return;
	}
	tcp_arg(h->pcb, h);
	tcp_recv(h->pcb, http_recv);
	tcp_err(h->pcb, http_err);
	err = tcp_connect(h->pcb, &p->dst, NC_PROBE_HTTP_PORT,
			  http_connected);
	if (err != ERR_OK) {
		http_end(h, err);
		http_drop(h);
	}
}

static void http_report(struct nc_probe *p, const char *name)
{
	const struct nc_probe_http *h = &p->http;
	double ms = ms_between(h->t0, h->t1);

	if (h->err == ERR_RST && !h->connected)
		report(p, 0, "%s: connection refused", name);
	else if (h->err != ERR_OK)
		report(p, 0, "%s: %s%s (%zu body bytes)", name,
		       err_text(h->err), h->connected ? "" :
		       " while connecting", h->body);
	else if (h->head_bad)
		report(p, 0, "%s: response head longer than %u bytes", name,
		       NC_PROBE_HTTP_HEAD_MAX);
	else if (!h->in_body)
		report(p, 0, "%s: no complete response (%zu bytes)", name,
		       h->head_len);
	else if (h->status != 200)
		report(p, 0, "%s: status %d", name, h->status);
	else if (h->verify_big && h->mismatch)
		report(p, 0, "%s: byte %zu is 0x%02x, expected 0x%02x", name,
		       h->mismatch_at, h->mismatch_got,
		       nc_guest_big_byte(h->mismatch_at));
	else if (h->verify_big && (h->body != NC_GUEST_BIG_SIZE ||
				   h->content_length != NC_GUEST_BIG_SIZE))
		report(p, 0, "%s: %zu bytes, Content-Length %lld (expected "
		       "%u)", name, h->body, h->content_length,
		       NC_GUEST_BIG_SIZE);
	else if (h->verify_big)
		report(p, 1, "%s %zu bytes intact (%.1f ms, %.1f MB/s)", name,
		       h->body, ms, ms > 0 ? h->body / ms / 1000.0 : 0.0);
	else if (h->content_length < 0 || h->body == 0 ||
		 (unsigned long long)h->content_length != h->body)
		report(p, 0, "%s: %zu body bytes, Content-Length %lld", name,
		       h->body, h->content_length);
	else
		report(p, 1, "%s (%zu bytes)", name, h->body);
}

static uint64_t stage_http(struct nc_probe *p, uint64_t now)
{
	struct nc_probe_http *h = &p->http;
	int big = p->stage == NC_PROBE_HTTP_BIG;
	const char *name = check_names[p->stage];
	uint64_t limit = p->stage_t0 + (big ? HTTP_BIG_TIMEOUT_US
					    : HTTP_ROOT_TIMEOUT_US);

	if (!h->started)
		http_open(p, big ? "/big" : "/", big, now);
	if (!h->finished && now < limit)
		return limit;
	http_drop(h);
	if (h->finished)
		http_report(p, name);
	else
		report(p, 0, "%s: timed out after %llu s (%zu body bytes)",
		       name, (unsigned long long)((limit - p->stage_t0) /
						  1000000u), h->body);
	memset(h, 0, sizeof(*h));
	enter(p, big ? NC_PROBE_DONE : NC_PROBE_HTTP_BIG, now);
	return 0;
}

/* ---------------------------------------------------------------- link */

static uint64_t stage_link(struct nc_probe *p, uint64_t now)
{
	if (!netif_is_up(p->netif) || !netif_is_link_up(p->netif))
		return now + STEP_MAX_MS * US_PER_MS;
	printf("netchannel guest: probing %s: arp, %u pings, udp echo (port "
	       "%u), http / and /big (port %u)\n", p->target_text, p->count,
	       NC_PROBE_UDP_PORT, NC_PROBE_HTTP_PORT);
	enter(p, NC_PROBE_ARP, now);
	return 0;
}

/* ------------------------------------------------------------ the probe */

static void release(struct nc_probe *p)
{
	if (p->raw)
		raw_remove(p->raw);
	p->raw = NULL;
	if (p->udp)
		udp_remove(p->udp);
	p->udp = NULL;
	http_drop(&p->http);
}

int nc_probe_start(struct nc_probe *p, const struct nc_probe_config *cfg)
{
	LWIP_ASSERT_CORE_LOCKED();
	memset(p, 0, sizeof(*p));
	p->netif = cfg->netif;
	p->target = cfg->target;
	ip_addr_copy_from_ip4(p->dst, cfg->target);
	ip4addr_ntoa_r(&p->target, p->target_text, sizeof(p->target_text));
	p->count = cfg->count ? cfg->count : NC_PROBE_DEFAULT_COUNT;
	p->ping_id = (uint16_t)(getpid() ^ 0x4e43);
	enter(p, NC_PROBE_LINK, now_us());
	p->deadline = p->stage_t0 + NC_PROBE_TIMEOUT_MS * (uint64_t)US_PER_MS;
	p->raw = raw_new(IP_PROTO_ICMP);
	p->udp = udp_new_ip_type(IPADDR_TYPE_V4);
	if (!p->raw || !p->udp ||
	    udp_bind(p->udp, IP4_ADDR_ANY, 0) != ERR_OK) {
		release(p);
		p->stage = NC_PROBE_DONE;
		return -1;
	}
	raw_recv(p->raw, ping_recv, p);
	udp_recv(p->udp, udp_probe_recv, p);
	return 0;
}

static uint64_t run_stage(struct nc_probe *p, uint64_t now)
{
	switch (p->stage) {
	case NC_PROBE_LINK: return stage_link(p, now);
	case NC_PROBE_ARP: return stage_arp(p, now);
	case NC_PROBE_PING: return stage_ping(p, now);
	case NC_PROBE_UDP: return stage_udp(p, now);
	case NC_PROBE_HTTP_ROOT:
	case NC_PROBE_HTTP_BIG: return stage_http(p, now);
	default: return 0;
	}
}

int nc_probe_step(struct nc_probe *p, int *timeout_ms)
{
	uint64_t now = now_us(), wake, ms;

	LWIP_ASSERT_CORE_LOCKED();
	if (p->stage == NC_PROBE_DONE)
		return 1;
	if (now >= p->deadline) {
		char why[64];

		snprintf(why, sizeof(why), "the probe timed out after %u s",
			 NC_PROBE_TIMEOUT_MS / 1000u);
		nc_probe_abort(p, why);
		return 1;
	}
	do
		wake = run_stage(p, now);
	while (wake == 0 && p->stage != NC_PROBE_DONE);
	if (p->stage == NC_PROBE_DONE) {
		release(p);
		return 1;
	}
	if (wake > p->deadline)
		wake = p->deadline;
	ms = wake > now ? (wake - now + US_PER_MS - 1) / US_PER_MS : 0;
	if (ms > STEP_MAX_MS)
		ms = STEP_MAX_MS;
	if ((int)ms < *timeout_ms)
		*timeout_ms = (int)ms;
	return 0;
}

void nc_probe_abort(struct nc_probe *p, const char *why)
{
	unsigned s;

	LWIP_ASSERT_CORE_LOCKED();
	if (p->stage == NC_PROBE_DONE)
		return;
	switch (p->stage) {
	case NC_PROBE_LINK:
		report(p, 0, "link: the frontend did not connect (%s)", why);
		break;
	case NC_PROBE_PING:
		report(p, 0, "ping %u/%u (%s)", p->ping_ok, p->count, why);
		break;
	case NC_PROBE_HTTP_ROOT:
	case NC_PROBE_HTTP_BIG:
		report(p, 0, "%s (%s; %zu body bytes)",
		       check_names[p->stage], why, p->http.body);
		break;
	default:
		report(p, 0, "%s (%s)", check_names[p->stage], why);
		break;
	}
	for (s = p->stage + 1u; s < NC_PROBE_DONE; s++)
		report(p, 0, "%s (not run: %s)", check_names[s], why);
	release(p);
	p->stage = NC_PROBE_DONE;
}

int nc_probe_passed(const struct nc_probe *p)
{
	return p->stage == NC_PROBE_DONE && !p->failed;
}

/*
 * guest/probe.h - the demo guest checks another host (`netchannel guest
 * --probe A.B.C.D`), on lwIP's raw APIs, while it keeps answering like
 * any guest.  In order, once the link is up:
 *
 *   arp        resolve the target (etharp_request, once a second, 3 s);
 *   ping       N ICMP echo requests on a raw pcb, one at a time, each
 *              answered within 1 s (id, sequence, payload and checksum
 *              checked);
 *   udp echo   a datagram to port 7 that must come back byte for byte
 *              (3 tries of 1 s);
 *   http /     GET over TCP to port 80: status 200, as many body bytes as
 *              Content-Length says (5 s);
 *   http /big  GET /big: exactly NC_GUEST_BIG_SIZE bytes, byte i equal to
 *              nc_guest_big_byte(i) (20 s).
 *
 * One line per check on stdout, "ok: ..." or "FAILED: ...".  The whole
 * probe has 30 s; what has not finished by then fails ("not run" for the
 * checks not started).
 *
 * Driven by the caller's loop: nc_probe_step after each round of frontend
 * work says how soon it wants to run again; the callbacks (raw, UDP, TCP)
 * only record what arrived.  Time is CLOCK_MONOTONIC.  Every function, like
 * every callback, runs with lwIP's core lock held.
 */
#ifndef NETCHANNEL_GUEST_PROBE_H
#define NETCHANNEL_GUEST_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "lwip/ip_addr.h"
#include "lwip/netif.h"

#define NC_PROBE_DEFAULT_COUNT 5u
#define NC_PROBE_MAX_COUNT 1000u
#define NC_PROBE_TIMEOUT_MS 30000u       /* the whole probe */
#define NC_PROBE_UDP_PORT 7u
#define NC_PROBE_HTTP_PORT 80u
#define NC_PROBE_PING_DATA 56u           /* echo payload bytes */
#define NC_PROBE_UDP_DATA 96u            /* datagram bytes */
#define NC_PROBE_HTTP_HEAD_MAX 2048u     /* response head, bytes */

enum nc_probe_stage {
	NC_PROBE_LINK = 0,     /* waiting for the frontend to connect */
	NC_PROBE_ARP,
	NC_PROBE_PING,
	NC_PROBE_UDP,
	NC_PROBE_HTTP_ROOT,
	NC_PROBE_HTTP_BIG,
	NC_PROBE_DONE,
};

struct nc_probe;

/* One HTTP fetch (private). */
struct nc_probe_http {
	struct tcp_pcb *pcb;          /* NULL: closed, or not yet opened */
	struct nc_probe *probe;
	const char *path;
	int verify_big;               /* check the body against the pattern */
	int started, finished;        /* finished: the server closed, or an
				       * error (err != ERR_OK) ended it */
	int connected;
	err_t err;                    /* from tcp_err, or a failed call */
	uint64_t t0, t1;              /* connect, finish (us) */
	char head[NC_PROBE_HTTP_HEAD_MAX + 1];
	size_t head_len;
	int in_body;                  /* the head is complete */
	int head_bad;                 /* no room for the head */
	int status;                   /* 0: none parsed */
	long long content_length;     /* -1: none */
	size_t body;                  /* body bytes received */
	int mismatch;                 /* a body byte differs */
	size_t mismatch_at;
	uint8_t mismatch_got;
};

struct nc_probe {
	struct netif *netif;
	ip4_addr_t target;
	ip_addr_t dst;
	char target_text[16];
	unsigned count;               /* echo requests to send */
	enum nc_probe_stage stage;
	int failed;                   /* some check failed */
	uint64_t deadline;            /* of the whole probe (us) */
	uint64_t stage_t0;            /* when the stage began (us) */

	/* arp */
	uint64_t arp_next;            /* next request */

	/* ping */
	struct raw_pcb *raw;
	uint16_t ping_id;
	unsigned ping_done;           /* requests answered or given up */
	unsigned ping_ok;             /* replies */
	int ping_waiting;             /* a request is out */
	int ping_answered;            /* ... and its reply came */
	uint16_t ping_seq;            /* of the request out */
	uint64_t ping_sent, ping_until;
	uint64_t rtt_min, rtt_max, rtt_sum;   /* us */
	unsigned ping_errors;         /* raw_sendto refused */
	unsigned ping_stray;          /* late or mismatched replies */

	/* udp echo */
	struct udp_pcb *udp;
	unsigned udp_tries;
	int udp_waiting, udp_answered, udp_mismatch;
	uint64_t udp_until;
	uint8_t udp_data[NC_PROBE_UDP_DATA];

	/* http */
	struct nc_probe_http http;
};

struct nc_probe_config {
	struct netif *netif;          /* the guest's interface */
	ip4_addr_t target;
	unsigned count;               /* 0: NC_PROBE_DEFAULT_COUNT */
};

/* Start probing (the first check waits for the link).  0, or -1 when lwIP
 * refused a pcb (nothing is left open). */
int nc_probe_start(struct nc_probe *p, const struct nc_probe_config *cfg);

/* Advance the probe: call after every round of frontend work.  Lowers
 * *timeout_ms to when it wants to be called again.  1 once every check is
 * reported (all pcbs closed), 0 while it runs. */
int nc_probe_step(struct nc_probe *p, int *timeout_ms);

/* Stop now: the check under way and those not run fail, with `why`.
 * Nothing is left open.  Does nothing once the probe is done. */
void nc_probe_abort(struct nc_probe *p, const char *why);

/* 1 when the probe is done and every check passed. */
int nc_probe_passed(const struct nc_probe *p);

#endif

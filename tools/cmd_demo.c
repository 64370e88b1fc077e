/*
 * cmd_demo.c - `netchannel demo`: a guest and a host in one process over
 * the in-process platform, through the real netfront and netback.
 *
 * The toolstack (domain 0) creates vif 1/0; the backend (domain 0) and
 * the frontend (domain 1) do the xenstore handshake; the guest writes UDP
 * frames straight into zeroed pool blocks; the host checks each one's
 * checksums, swaps its addresses and sends it back; the guest checks what
 * returns.  Poison mode is on, so a stale byte would show.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel.h"
#include "netchannel/back.h"
#include "netchannel/csum.h"
#include "netchannel/front.h"
#include "netchannel/inproc.h"
#include "netchannel/toolstack.h"

#define GUEST 1
#define HOST 0

struct demo {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *th, *gh, *hh;
	struct nc_platform tool, guest, host;
	struct nc_front *f;
	struct nc_back *b;
	uint8_t *rxq;
	unsigned seq, echoed, returned, bad;
};

static size_t write_udp(void *ctx, uint8_t *f, size_t size)
{
	struct demo *d = ctx;
	size_t payload = 18 + d->seq % 1400, l4 = 8 + payload, ip = 20 + l4;
	uint16_t c;
	size_t i;

	if (size < 14 + ip)
		return 0;
	/* Like mirage-tcpip, leave fields that should be zero untouched. */
	memcpy(f, "\x00\x16\x3e\x00\x00\x01\x00\x16\x3e\x12\x34\x56\x08\x00",
	       14);
	f[14] = 0x45;
	f[16] = (uint8_t)(ip >> 8);
	f[17] = (uint8_t)ip;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	f[34] = 0x13; f[35] = 0x88; f[36] = 0x00; f[37] = 0x07;
	f[38] = (uint8_t)(l4 >> 8);
	f[39] = (uint8_t)l4;
	for (i = 0; i < payload; i++)
		f[42 + i] = (uint8_t)(d->seq + i);
	c = nc_csum(f + 14, 20);
	memcpy(f + 24, &c, 2);
	c = nc_csum_fold(nc_csum_partial(f + 34, l4,
			 nc_csum_pseudo_v4(f + 26, f + 30, 17, (uint32_t)l4)));
	memcpy(f + 40, &c, 2);
	return 14 + ip;
}

static int frame_ok(const struct nc_frame *fr)
{
	return nc_csum_verify_frame(fr->data, fr->len) == 1 &&
	       !memmem(fr->data, fr->len, NC_POOL_POISON, NC_POOL_POISON_LEN);
}

/* The host: check, swap MAC and IP addresses, send back. */
static void host_deliver(void *arg, const struct nc_frame *fr)
{
	struct demo *d = arg;
	uint8_t copy[2048], tmp[6];
	struct nc_frame back = *fr;

	if (!frame_ok(fr) || fr->len > sizeof(copy)) {
		d->bad++;
		return;
	}
	memcpy(copy, fr->data, fr->len);
	memcpy(tmp, copy, 6);
	memcpy(copy, copy + 6, 6);
	memcpy(copy + 6, tmp, 6);
	memcpy(tmp, copy + 26, 4);
	memcpy(copy + 26, copy + 30, 4);
	memcpy(copy + 30, tmp, 4);
	back.data = copy;
	if (nc_back_queue(d->b, &back) == NC_OK)
		d->echoed++;
}

static void guest_receive(void *arg, const struct nc_frame *fr)
{
	struct demo *d = arg;

	if (!frame_ok(fr) || memcmp(fr->data + 30, "\x0a\x00\x00\x02", 4))
		d->bad++;
	d->returned++;
}

static void print_log(void *arg, const char *what, long value)
{
	printf("%s: %s (%ld)\n", (const char *)arg, what, value);
}

static int setup(struct demo *d)
{
	struct nc_vif_spec spec = { .fe_domid = GUEST, .be_domid = HOST,
		.handle = 0, .mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 } };
	struct nc_back_config bc = { .deliver = host_deliver,
				     .deliver_arg = d, .log = print_log,
				     .log_arg = "host" };
	struct nc_front_config fc = { .path = "device/vif/0", .poison = 1,
				      .rx = guest_receive, .rx_arg = d,
				      .log = print_log, .log_arg = "guest" };
	char fe[64], be[64];

	d->w = nc_inproc_world_new();
	d->th = nc_inproc_open(d->w, 0, &d->tool);
	d->gh = nc_inproc_open(d->w, GUEST, &d->guest);
	d->hh = nc_inproc_open(d->w, HOST, &d->host);
	d->f = calloc(1, sizeof(*d->f));
	d->b = calloc(1, sizeof(*d->b));
	d->rxq = malloc(1u << 20);
	if (!d->th || !d->gh || !d->hh || !d->f || !d->b || !d->rxq)
		return -1;
	nc_vif_paths(GUEST, HOST, 0, fe, be);
	bc.path = be;
	if (nc_vif_add(&d->tool.store, &spec) ||
	    nc_back_init(d->b, &d->host, &bc, d->rxq) ||
	    nc_front_init(d->f, &d->guest, &fc))
		return -1;
	printf("toolstack: vif %s <-> %s\n", fe, be);
	return 0;
}

static void pump(struct demo *d)
{
	nc_front_poll(d->f);
	nc_back_poll(d->b);
}

static int connect_both(struct demo *d)
{
	unsigned i;

	for (i = 0; i < 100; i++) {
		pump(d);
		if (nc_front_state(d->f) == NC_FRONT_CONNECTED &&
		    nc_back_state(d->b) == NC_BACK_CONNECTED) {
			printf("handshake: connected after %u rounds; backend "
			       "offers sg=%d, guest mac %02x:..:%02x mtu %u\n",
			       i + 1, d->f->feat.sg, d->f->mac[0],
			       d->f->mac[5], d->f->mtu);
			return 0;
		}
	}
	return -1;
}

static void print_stats(const char *who, const struct nc_vif_stats *s)
{
	printf("%s: RX %llu packets %llu bytes %llu errors %llu dropped | "
	       "TX %llu packets %llu bytes %llu errors %llu dropped\n", who,
	       (unsigned long long)s->rx.packets,
	       (unsigned long long)s->rx.bytes,
	       (unsigned long long)s->rx.errors,
	       (unsigned long long)s->rx.dropped,
	       (unsigned long long)s->tx.packets,
	       (unsigned long long)s->tx.bytes,
	       (unsigned long long)s->tx.errors,
	       (unsigned long long)s->tx.dropped);
}

static void teardown(struct demo *d)
{
	unsigned i;

	nc_front_close(d->f);
	for (i = 0; i < 10 && nc_front_state(d->f) != NC_FRONT_STOPPED; i++)
		pump(d);
	nc_front_destroy(d->f);
	nc_back_close(d->b);
	printf("teardown: guest %s, quarantined pages %u\n",
	       nc_front_state(d->f) == NC_FRONT_STOPPED ? "stopped" : "?",
	       d->f->quarantined_pages);
	nc_inproc_close(d->gh);
	nc_inproc_close(d->hh);
	nc_inproc_close(d->th);
	nc_inproc_world_free(d->w);
	free(d->f);
	free(d->b);
	free(d->rxq);
}

int cmd_demo(int argc, char **argv)
{
	struct demo *d;
	unsigned total = 100000;
	int rc;

	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: netchannel demo [FRAMES]\n"
		       "A guest (netfront) and a host (netback) in one process "
		       "over the in-process\nplatform: the xenstore handshake, "
		       "then FRAMES UDP frames (default 100000)\nsent, checked "
		       "and echoed back.\n");
		return 0;
	}
	if (argc > 1)
		total = (unsigned)strtoul(argv[1], NULL, 10);
	d = calloc(1, sizeof(*d));
	if (!d || setup(d) || connect_both(d)) {
		fprintf(stderr, "demo: setup failed\n");
		return 1;
	}
	while (d->returned < total && d->bad == 0) {
		while (d->seq < total &&
		       nc_front_write(d->f, 1514, write_udp, d, 0) == NC_OK)
			d->seq++;
		pump(d);
	}
	printf("guest sent %u UDP frames; host checked and echoed %u; guest "
	       "got %u back; bad (checksum, poison, content): %u\n", d->seq,
	       d->echoed, d->returned, d->bad);
	print_stats("guest vif", nc_front_stats(d->f));
	print_stats("host vif ", nc_back_stats(d->b));
	printf("pool: %llu takes, %.1f bytes re-zeroed per frame, %llu poison "
	       "violations\n", (unsigned long long)d->f->q[0].pool.stats.takes,
	       (double)d->f->q[0].pool.stats.bytes_zeroed /
	       (double)(d->f->q[0].pool.stats.takes ? d->f->q[0].pool.stats.takes : 1),
	       (unsigned long long)d->f->q[0].pool.stats.poison_violations);
	rc = d->bad || d->f->q[0].pool.stats.poison_violations ||
	     d->returned != total;
	teardown(d);
	free(d);
	printf("demo %s\n", rc ? "FAILED" : "ok");
	return rc;
}

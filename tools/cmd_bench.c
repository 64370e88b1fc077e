/*
 * cmd_bench.c - `netchannel bench`: frames per second through the real
 * netfront and netback.  This is the in-process, single-thread mode: both
 * ends in one process over the in-process platform, so it measures the
 * protocol code itself (and runs under `valgrind --tool=callgrind` to
 * count instructions per frame).  The two-process mode over the simulator
 * comes with the simulator.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netchannel.h"
#include "netchannel/back.h"
#include "netchannel/front.h"
#include "netchannel/inproc.h"
#include "netchannel/toolstack.h"

struct bench {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *th, *fh, *bh;
	struct nc_platform tool, fp, bp;
	struct nc_front *f;
	struct nc_back *b;
	uint8_t *rxq;
	size_t size;
	uint64_t delivered;
};

static size_t fill(void *ctx, uint8_t *buf, size_t size)
{
	(void)ctx;
	buf[0] = 0x02;        /* a locally administered destination */
	buf[12] = 0x88;       /* a local experimental ethertype */
	buf[13] = 0xb5;
	return size;
}

static void deliver(void *arg, const struct nc_frame *fr)
{
	(void)fr;
	((struct bench *)arg)->delivered++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_setup(struct bench *x)
{
	struct nc_vif_spec spec = { .fe_domid = 1, .be_domid = 0,
		.mac = { 0, 0x16, 0x3e, 0, 0, 1 } };
	struct nc_back_config bc = { .deliver = deliver, .deliver_arg = x };
	struct nc_front_config fc = { .path = "device/vif/0" };
	char fe[64], be[64];
	unsigned i;

	x->w = nc_inproc_world_new();
	x->th = nc_inproc_open(x->w, 0, &x->tool);
	x->fh = nc_inproc_open(x->w, 1, &x->fp);
	x->bh = nc_inproc_open(x->w, 0, &x->bp);
	x->f = calloc(1, sizeof(*x->f));
	x->b = calloc(1, sizeof(*x->b));
	x->rxq = malloc(1u << 20);
	if (!x->th || !x->fh || !x->bh || !x->f || !x->b || !x->rxq)
		return -1;
	nc_vif_paths(1, 0, 0, fe, be);
	bc.path = be;
	if (nc_vif_add(&x->tool.store, &spec) ||
	    nc_back_init(x->b, &x->bp, &bc, x->rxq) ||
	    nc_front_init(x->f, &x->fp, &fc))
		return -1;
	for (i = 0; i < 100; i++) {
		nc_front_poll(x->f);
		nc_back_poll(x->b);
		if (nc_front_state(x->f) == NC_FRONT_CONNECTED &&
		    nc_back_state(x->b) == NC_BACK_CONNECTED)
			return 0;
	}
	return -1;
}

static void bench_free(struct bench *x)
{
	nc_front_destroy(x->f);
	nc_back_close(x->b);
	nc_inproc_close(x->fh);
	nc_inproc_close(x->bh);
	nc_inproc_close(x->th);
	nc_inproc_world_free(x->w);
	free(x->f);
	free(x->b);
	free(x->rxq);
}

/* Send until `frames` were delivered or `seconds` passed. */
static double bench_run(struct bench *x, uint64_t frames, double seconds)
{
	double t0 = now(), t;

	do {
		unsigned k;

		for (k = 0; k < 64; k++)
			if (nc_front_write(x->f, x->size, fill, x, 0) != NC_OK)
				break;
		nc_back_poll(x->b);
		nc_front_poll(x->f);
		t = now();
	} while (x->delivered < frames && t - t0 < seconds);
	return t - t0;
}

static void usage(void)
{
	printf("usage: netchannel bench [--size N] [--seconds S] "
	       "[--frames N]\n"
	       "One-way frames per second, frontend to backend, both in this "
	       "process over the\nin-process platform (single thread; "
	       "suitable for valgrind --tool=callgrind).\nEnds with the line "
	       "'bench N mpps=X gbps=Y'.\n");
}

int cmd_bench(int argc, char **argv)
{
	struct bench x;
	double seconds = 2, el;
	uint64_t frames = UINT64_MAX;
	int i;

	memset(&x, 0, sizeof(x));
	x.size = 64;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage();
			return 0;
		} else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
			x.size = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			seconds = strtod(argv[++i], NULL);
		} else if (!strcmp(argv[i], "--frames") && i + 1 < argc) {
			frames = strtoull(argv[++i], NULL, 10);
		} else {
			usage();
			return 2;
		}
	}
	if (x.size < 14 || x.size > 65535) {
		fprintf(stderr, "bench: --size must be 14..65535\n");
		return 2;
	}
	if (bench_setup(&x)) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	el = bench_run(&x, frames, seconds);
	printf("bench %zu mpps=%.3f gbps=%.3f\n", x.size,
	       (double)x.delivered / el / 1e6,
	       (double)x.delivered * (double)x.size * 8 / el / 1e9);
	bench_free(&x);
	return 0;
}

/*
 * sim_sender.c - a frontend process that keeps sending frames: it joins
 * domain DOMID of the simulator, connects vif 0, writes frames of varied
 * sizes (poison mode on) as fast as the ring allows, and prints a status
 * line every 200 ms: state, frames sent and answered, connects, and the
 * backend's comings and goings.  Used by test_sim_kill.sh.
 * Usage: sim_sender RUN_DIR DOMID SECONDS
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netchannel/front.h"
#include "netchannel/sim.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t fill(void *ctx, uint8_t *buf, size_t size)
{
	uint32_t seq = *(uint32_t *)ctx;
	size_t i;

	memset(buf, 0xff, 6);              /* broadcast */
	memcpy(buf + 6, "\x00\x16\x3e\x00\x00\x01", 6);
	buf[12] = 0x88;
	buf[13] = 0xb5;
	for (i = 14; i < size; i++)
		buf[i] = (uint8_t)(seq + i);
	return size;
}

static void log_line(void *arg, const char *what, long value)
{
	(void)arg;
	printf("frontend: %s (%ld)\n", what, value);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct nc_front_config cfg = { .path = "device/vif/0", .poison = 1,
				       .log = log_line };
	struct nc_platform p;
	struct nc_sim_handle *h;
	struct nc_front *f = calloc(1, sizeof(*f));
	uint32_t seq = 0;
	double end, last = 0;

	if (argc != 4 || !f)
		return 2;
	h = nc_sim_open(argv[1], (nc_domid_t)atoi(argv[2]), &p);
	if (!h || nc_front_init(f, &p, &cfg)) {
		fprintf(stderr, "sim_sender: cannot start\n");
		return 1;
	}
	end = now() + atof(argv[3]);
	while (now() < end) {
		struct pollfd pf[2] = {
			{ .fd = p.events.ops->fd(p.events.ctx), .events = POLLIN },
			{ .fd = p.store.ops->fd(p.store.ctx), .events = POLLIN },
		};
		unsigned k;

		for (k = 0; k < 64; k++)
			if (nc_front_write(f, 60 + seq % 1455, fill, &seq, 0) ==
			    NC_OK)
				seq++;
			else
				break;
		poll(pf, 2, k ? 0 : 10);
		nc_front_poll(f);
		if (now() - last > 0.2) {
			const struct nc_vif_stats *s = nc_front_stats(f);

			printf("status state %d sent %u answered %llu connects "
			       "%llu quarantined %u\n", nc_front_state(f), seq,
			       (unsigned long long)s->tx.packets,
			       (unsigned long long)s->connects,
			       f->quarantined_pages);
			fflush(stdout);
			last = now();
		}
	}
	nc_front_destroy(f);
	nc_sim_close(h);
	free(f);
	return 0;
}

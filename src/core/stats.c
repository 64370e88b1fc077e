/* stats.c - adding up counters (a device's queues); freestanding. */
#include "netchannel/frame.h"

static void dir_add(struct nc_dir_stats *sum, const struct nc_dir_stats *d)
{
	unsigned i;

	sum->packets += d->packets;
	sum->bytes += d->bytes;
	sum->errors += d->errors;
	sum->dropped += d->dropped;
	for (i = 0; i < NC_R_MAX; i++)
		sum->reason[i] += d->reason[i];
}

void nc_vif_stats_add(struct nc_vif_stats *sum, const struct nc_vif_stats *s)
{
	dir_add(&sum->rx, &s->rx);
	dir_add(&sum->tx, &s->tx);
	sum->events_in += s->events_in;
	sum->events_out += s->events_out;
	sum->connects += s->connects;
}

/* vif_stats.c - vif counter files (vif_stats.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vif_stats.h"

static void save_dir(FILE *f, const char *dir, const struct nc_dir_stats *d)
{
	unsigned r;

	fprintf(f, "%s_packets %" PRIu64 "\n%s_bytes %" PRIu64 "\n", dir,
		d->packets, dir, d->bytes);
	fprintf(f, "%s_errors %" PRIu64 "\n%s_dropped %" PRIu64 "\n", dir,
		d->errors, dir, d->dropped);
	for (r = 1; r < NC_R_MAX; r++)
		if (d->reason[r])
			fprintf(f, "%s_reason %s %" PRIu64 "\n", dir,
				nc_reason_name((enum nc_reason)r),
				d->reason[r]);
}

int vif_stats_save(const char *run_dir, const struct vif_stats_file *v)
{
	char dir[512], tmp[600], final[600];
	FILE *f;
	unsigned i;

	snprintf(dir, sizeof(dir), "%s/stats", run_dir);
	/* RUN_DIR itself may not exist yet (on Xen, no simulator made it). */
	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -1;
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, v->name);
	snprintf(final, sizeof(final), "%s/%s", dir, v->name);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "name %s\nstate %s\npath %s\nbridge %s\n", v->name,
		v->state, v->path, v->bridge);
	save_dir(f, "rx", &v->s.rx);
	save_dir(f, "tx", &v->s.tx);
	fprintf(f, "events_in %" PRIu64 "\nevents_out %" PRIu64 "\n",
		v->s.events_in, v->s.events_out);
	fprintf(f, "connects %" PRIu64 "\n", v->s.connects);
	fprintf(f, "queues %u\n", v->nqueues);
	for (i = 0; i < v->nqueues && i < NC_MAX_QUEUES; i++)
		fprintf(f, "queue %u %" PRIu64 " %" PRIu64 "\n", i, v->q_rx[i],
			v->q_tx[i]);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, final);
}

static void load_reason(struct nc_dir_stats *d, const char *name,
			uint64_t v)
{
	unsigned r;

	for (r = 1; r < NC_R_MAX; r++)
		if (!strcmp(nc_reason_name((enum nc_reason)r), name))
			d->reason[r] = v;
}

/* "I RX TX": queue I's frame counts. */
static void load_queue(struct vif_stats_file *v, const char *rest)
{
	unsigned i;
	uint64_t rx, tx;

	if (sscanf(rest, "%u %" SCNu64 " %" SCNu64, &i, &rx, &tx) == 3 &&
	    i < NC_MAX_QUEUES) {
		v->q_rx[i] = rx;
		v->q_tx[i] = tx;
	}
}

static void load_line(struct vif_stats_file *v, const char *key,
		      const char *rest)
{
	struct nc_dir_stats *d = !strncmp(key, "rx_", 3) ? &v->s.rx : &v->s.tx;
	uint64_t n = strtoull(rest, NULL, 10);
	char rname[32];

	if (!strcmp(key, "name"))
		snprintf(v->name, sizeof(v->name), "%s", rest);
	else if (!strcmp(key, "state"))
		snprintf(v->state, sizeof(v->state), "%s", rest);
	else if (!strcmp(key, "path"))
		snprintf(v->path, sizeof(v->path), "%s", rest);
	else if (!strcmp(key, "bridge"))
		snprintf(v->bridge, sizeof(v->bridge), "%s", rest);
	else if (!strcmp(key + 3, "packets"))
		d->packets = n;
	else if (!strcmp(key + 3, "bytes"))
		d->bytes = n;
	else if (!strcmp(key + 3, "errors"))
		d->errors = n;
	else if (!strcmp(key + 3, "dropped"))
		d->dropped = n;
	else if (!strcmp(key + 3, "reason") &&
		 sscanf(rest, "%31s %" SCNu64, rname, &n) == 2)
		load_reason(d, rname, n);
	else if (!strcmp(key, "events_in"))
		v->s.events_in = n;
	else if (!strcmp(key, "events_out"))
		v->s.events_out = n;
	else if (!strcmp(key, "connects"))
		v->s.connects = n;
	else if (!strcmp(key, "queues"))
		v->nqueues = n < NC_MAX_QUEUES ? (unsigned)n : NC_MAX_QUEUES;
	else if (!strcmp(key, "queue"))
		load_queue(v, rest);
}

int vif_stats_load(const char *file, struct vif_stats_file *v)
{
	char line[256];
	FILE *f = fopen(file, "r");

	memset(v, 0, sizeof(*v));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *sp = strchr(line, ' ');

		line[strcspn(line, "\n")] = '\0';
		if (!sp || sp - line < 3)
			continue;
		*sp = '\0';
		load_line(v, line, sp + 1);
	}
	fclose(f);
	return 0;
}

void vif_stats_remove(const char *run_dir, const char *name)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/stats/%s", run_dir, name);
	unlink(path);
}

/*
 * cmd_stat.c - `netchannel stat`: every vif's counters, like `ip -s link`,
 * from the files `netchannel back` keeps under RUN_DIR/stats/.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "netchannel.h"
#include "netchannel/sim.h"
#include "plat_conn.h"
#include "vif_stats.h"

static void print_dir(const char *label, const struct nc_dir_stats *d)
{
	printf("    %s:  %12s %10s %8s %8s\n", label, "bytes", "packets",
	       "errors", "dropped");
	printf("         %12" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64
	       "\n", d->bytes, d->packets, d->errors, d->dropped);
}

static void print_reasons(const char *label, const struct nc_dir_stats *d)
{
	unsigned r;

	for (r = 1; r < NC_R_MAX; r++)
		if (d->reason[r])
			printf("    %s %-16s %" PRIu64 "\n", label,
			       nc_reason_name((enum nc_reason)r),
			       d->reason[r]);
}

/* Frames per queue, when the vif uses more than one. */
static void print_queues(const struct vif_stats_file *v)
{
	unsigned i;

	if (v->nqueues < 2)
		return;
	printf("    queues %u:", v->nqueues);
	for (i = 0; i < v->nqueues; i++)
		printf(" %u: rx %" PRIu64 " tx %" PRIu64 ";", i, v->q_rx[i],
		       v->q_tx[i]);
	printf("\n");
}

static void print_text(const struct vif_stats_file *v)
{
	printf("%s: state %s bridge %s\n    %s\n", v->name, v->state,
	       v->bridge, v->path);
	print_dir("RX", &v->s.rx);
	print_dir("TX", &v->s.tx);
	print_reasons("rx-drop", &v->s.rx);
	print_reasons("tx-drop", &v->s.tx);
	print_queues(v);
}

static void json_dir(const char *label, const struct nc_dir_stats *d)
{
	unsigned r;
	int first = 1;

	printf("\"%s\":{\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64
	       ",\"errors\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"reasons\":{",
	       label, d->bytes, d->packets, d->errors, d->dropped);
	for (r = 1; r < NC_R_MAX; r++) {
		if (!d->reason[r])
			continue;
		printf("%s\"%s\":%" PRIu64, first ? "" : ",",
		       nc_reason_name((enum nc_reason)r), d->reason[r]);
		first = 0;
	}
	printf("}}");
}

static void print_json(const struct vif_stats_file *v, int first)
{
	unsigned i;

	printf("%s{\"name\":\"%s\",\"state\":\"%s\",\"bridge\":\"%s\","
	       "\"path\":\"%s\",", first ? "" : ",", v->name, v->state,
	       v->bridge, v->path);
	json_dir("rx", &v->s.rx);
	printf(",");
	json_dir("tx", &v->s.tx);
	printf(",\"events_in\":%" PRIu64 ",\"events_out\":%" PRIu64
	       ",\"queues\":[", v->s.events_in, v->s.events_out);
	for (i = 0; i < v->nqueues; i++)
		printf("%s{\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64
		       "}", i ? "," : "", v->q_rx[i], v->q_tx[i]);
	printf("]}");
}

/* The simulator's own accounting of a domain. */
static int print_domain(const char *run_dir, const char *dom)
{
	struct nc_sim_counts c;
	int rc = nc_sim_counts(run_dir, (nc_domid_t)atoi(dom), &c);

	if (rc) {
		fprintf(stderr, "stat: no simulator accounting for domain %s "
			"under %s: %s\n", dom, run_dir, nc_strerror(rc));
		return 1;
	}
	printf("domain %s: grants %u mapped %u ports %u processes %u\n", dom,
	       c.grants, c.mapped, c.ports, c.processes);
	return 0;
}

int cmd_stat(int argc, char **argv)
{
	const char *domain = NULL;
	const char *run_dir = NC_DEFAULT_RUN_DIR;
	char dir[512], file[800];
	int json = 0, i, n = 0;
	struct dirent *e;
	DIR *dh;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--run-dir") && i + 1 < argc) {
			run_dir = argv[++i];
		} else if (!strcmp(argv[i], "--domain") && i + 1 < argc) {
			domain = argv[++i];
		} else {
			printf("usage: netchannel stat [--run-dir DIR] [--json] "
			       "[--domain N]\n"
			       "Every vif's counters as `netchannel back` last "
			       "saved them (once a second):\npackets, bytes, "
			       "errors and drops each way, and drops by "
			       "reason.\n--domain N: the simulator's own "
			       "accounting of domain N (grants made,\npages "
			       "mapped, ports open, processes).\n");
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	if (domain)
		return print_domain(run_dir, domain);
	snprintf(dir, sizeof(dir), "%s/stats", run_dir);
	dh = opendir(dir);
	if (json)
		printf("[");
	while (dh && (e = readdir(dh))) {
		struct vif_stats_file v;

		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, e->d_name);
		if (vif_stats_load(file, &v))
			continue;
		if (json)
			print_json(&v, n == 0);
		else
			print_text(&v);
		n++;
	}
	if (dh)
		closedir(dh);
	if (json)
		printf("]\n");
	else if (!n)
		printf("no vifs (no backend running under %s)\n", run_dir);
	return 0;
}

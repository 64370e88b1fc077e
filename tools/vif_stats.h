/*
 * vif_stats.h - a vif's counters as a small text file under
 * RUN_DIR/stats/, written by `netchannel back` and read by
 * `netchannel stat`.  One "key value" per line; the file is replaced
 * atomically (write + rename), so a reader never sees half of it.
 */
#ifndef NETCHANNEL_TOOL_VIF_STATS_H
#define NETCHANNEL_TOOL_VIF_STATS_H

#include "netchannel/frame.h"

struct vif_stats_file {
	char name[32];        /* "vif1.0" */
	char state[16];
	char path[128];       /* the backend directory */
	char bridge[64];
	struct nc_vif_stats s;
	/* the queues in use, and frames each carried (line "queue I RX TX") */
	unsigned nqueues;
	uint64_t q_rx[NC_MAX_QUEUES], q_tx[NC_MAX_QUEUES];
};

int vif_stats_save(const char *run_dir, const struct vif_stats_file *v);
int vif_stats_load(const char *file, struct vif_stats_file *v);
void vif_stats_remove(const char *run_dir, const char *name);

#endif

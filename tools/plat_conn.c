/* plat_conn.c - the tools' platform connection (plat_conn.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel/sim.h"
#include "plat_conn.h"

struct tool_plat {
	struct nc_sim_handle *sim;
};

struct tool_plat *tool_plat_open(const char *run_dir, nc_domid_t domid,
				 struct nc_platform *plat)
{
	struct tool_plat *tp = calloc(1, sizeof(*tp));
	const char *dir = run_dir ? run_dir : NC_DEFAULT_RUN_DIR;

	if (!tp)
		return NULL;
	tp->sim = nc_sim_open(dir, domid, plat);
	if (!tp->sim) {
		fprintf(stderr, "cannot join domain %u of the simulator at %s:"
			" %s (is `netchannel sim --run-dir %s` running?)\n",
			(unsigned)domid, dir, strerror(errno), dir);
		free(tp);
		return NULL;
	}
	return tp;
}

void tool_plat_close(struct tool_plat *tp)
{
	if (!tp)
		return;
	nc_sim_close(tp->sim);
	free(tp);
}

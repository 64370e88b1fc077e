/* plat_conn.c - the tools' platform connection (plat_conn.h).
 *
 * Which platform: real Xen when no run directory was asked for
 * (run_dir NULL) and this machine has /dev/xen (nc_xen_available());
 * otherwise the simulator under run_dir (default NC_DEFAULT_RUN_DIR). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel/sim.h"
#include "netchannel/xen.h"
#include "plat_conn.h"

struct tool_plat {
	struct nc_sim_handle *sim;
	struct nc_xen_handle *xen;
};

/* On Xen the domain is the one we run in: `domid` must name it. */
static int open_xen(struct tool_plat *tp, nc_domid_t domid,
		    struct nc_platform *plat)
{
	tp->xen = nc_xen_open(NC_XEN_DOMID_AUTO, plat);
	if (!tp->xen) {
		fprintf(stderr, "cannot open the Xen platform: %s (are the "
			"xen-evtchn, xen-gntdev and xen-gntalloc modules "
			"loaded and xenstored running?)\n", strerror(errno));
		return -1;
	}
	if (plat->domid != domid) {
		fprintf(stderr, "this is Xen domain %u, not domain %u: give "
			"--domid %u (or --run-dir DIR for the simulator)\n",
			(unsigned)plat->domid, (unsigned)domid,
			(unsigned)plat->domid);
		nc_xen_close(tp->xen);
		tp->xen = NULL;
		return -1;
	}
	return 0;
}

static int open_sim(struct tool_plat *tp, const char *dir, nc_domid_t domid,
		    struct nc_platform *plat)
{
	tp->sim = nc_sim_open(dir, domid, plat);
	if (!tp->sim) {
		fprintf(stderr, "cannot join domain %u of the simulator at %s:"
			" %s (is `netchannel sim --run-dir %s` running?)\n",
			(unsigned)domid, dir, strerror(errno), dir);
		return -1;
	}
	return 0;
}

struct tool_plat *tool_plat_open(const char *run_dir, nc_domid_t domid,
				 struct nc_platform *plat)
{
	struct tool_plat *tp = calloc(1, sizeof(*tp));
	int rc;

	if (!tp)
		return NULL;
	if (!run_dir && nc_xen_available())
		rc = open_xen(tp, domid, plat);
	else
		rc = open_sim(tp, run_dir ? run_dir : NC_DEFAULT_RUN_DIR,
			      domid, plat);
	if (rc) {
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
	nc_xen_close(tp->xen);
	free(tp);
}

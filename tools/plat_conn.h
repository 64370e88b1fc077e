/* plat_conn.h - how the tools join a domain: the simulator under a run
 * directory, or (later) real Xen. */
#ifndef NETCHANNEL_TOOL_PLAT_CONN_H
#define NETCHANNEL_TOOL_PLAT_CONN_H

#include "netchannel.h"
#include "netchannel/platform.h"

struct tool_plat;

/* Join domain `domid`.  NULL with a message on stderr on failure. */
struct tool_plat *tool_plat_open(const char *run_dir, nc_domid_t domid,
				 struct nc_platform *plat);
void tool_plat_close(struct tool_plat *tp);

#endif

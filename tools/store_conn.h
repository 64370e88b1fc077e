/* store_conn.h - how the tools reach a store: the simulator's socket, or
 * the real xenstored on Xen. */
#ifndef NETCHANNEL_TOOL_STORE_CONN_H
#define NETCHANNEL_TOOL_STORE_CONN_H

#include "netchannel.h"
#include "netchannel/platform.h"

/* Domain `domid`'s store socket under run_dir, into buf. */
void tool_store_socket(const char *run_dir, nc_domid_t domid, char *buf,
		       size_t len);

/* Open domain 0's store: run_dir's simulator socket when run_dir is set
 * or the default one exists, else the real xenstored (Xen).  Prints why
 * on failure. */
int tool_store_open(const char *run_dir, struct nc_store *st);

#endif

/* store_conn.c - the tools' store connection (store_conn.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netchannel/xs_store.h"
#include "store_conn.h"

void tool_store_socket(const char *run_dir, nc_domid_t domid, char *buf,
		       size_t len)
{
	if (domid == 0)
		snprintf(buf, len, "%s/xenstored/socket", run_dir);
	else
		snprintf(buf, len, "%s/domain/%u/xenstored/socket", run_dir,
			 (unsigned)domid);
}

int tool_store_open(const char *run_dir, struct nc_store *st)
{
	char sock[512];
	int rc;

	if (!run_dir && access("/dev/xen/xenbus", F_OK) == 0) {
		rc = nc_xs_store_open(NULL, st);
		if (rc)
			fprintf(stderr, "cannot open xenstore: %s\n",
				nc_strerror(rc));
		return rc;
	}
	tool_store_socket(run_dir ? run_dir : NC_DEFAULT_RUN_DIR, 0, sock,
			  sizeof(sock));
	rc = nc_xs_store_open(sock, st);
	if (rc)
		fprintf(stderr, "cannot reach the simulator's store at %s: %s "
			"(is `netchannel sim` running?)\n", sock,
			nc_strerror(rc));
	return rc;
}

/* queues.c - the tools' queue count (queues.h). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "netchannel/frame.h"
#include "queues.h"

unsigned nc_tool_default_queues(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > (long)NC_MAX_QUEUES ? NC_MAX_QUEUES : (unsigned)n;
}

int nc_tool_parse_queues(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > NC_MAX_QUEUES) {
		fprintf(stderr, "netchannel: --queues takes 1..%u, not '%s'\n",
			NC_MAX_QUEUES, s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

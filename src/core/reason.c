/* reason.c - short names for drop/error reasons (freestanding). */
#include <stddef.h>

#include "netchannel/frame.h"

static const char *const reason_names[NC_R_MAX] = {
	[NC_R_NONE] = "none",
	[NC_R_BAD_GREF] = "bad-gref",
	[NC_R_CROSS_PAGE] = "cross-page",
	[NC_R_SIZE_CHAIN] = "size-chain",
	[NC_R_TOO_MANY_SLOTS] = "too-many-slots",
	[NC_R_FATAL_SLOTS] = "fatal-slots",
	[NC_R_TRUNCATED] = "truncated",
	[NC_R_RUNT] = "runt",
	[NC_R_BAD_EXTRA] = "bad-extra",
	[NC_R_BAD_GSO] = "bad-gso",
	[NC_R_BAD_ID] = "bad-id",
	[NC_R_BAD_STATUS] = "bad-status",
	[NC_R_RING_OVERFLOW] = "ring-overflow",
	[NC_R_PEER_ERROR] = "peer-error",
	[NC_R_PEER_DROPPED] = "peer-dropped",
	[NC_R_QUEUE_FULL] = "queue-full",
	[NC_R_TOO_BIG] = "too-big",
	[NC_R_CSUM] = "csum",
	[NC_R_NOT_CONNECTED] = "not-connected",
};

/* A new reason without a name here fails the build. */
_Static_assert(sizeof(reason_names) / sizeof(reason_names[0]) == 19 &&
	       NC_R_MAX == 19, "every nc_reason needs a name");

const char *nc_reason_name(enum nc_reason r)
{
	if ((unsigned)r >= (unsigned)NC_R_MAX || reason_names[r] == NULL)
		return "unknown";
	return reason_names[r];
}

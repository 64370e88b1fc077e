/*
 * csum_offload.c - which partial checksums a peer may be handed
 * (csum_offload.h).  Pure functions over the frame.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>

#include "csum_offload.h"
#include "netchannel/frame.h"

#define ETH_TYPE_OFF 12u
#define VLAN_TAG_LEN 4u
#define MAX_VLAN_TAGS 2u

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

int nc_frame_ip_version(const uint8_t *frame, size_t len)
{
	size_t off = ETH_TYPE_OFF;
	unsigned tags;
	uint16_t type;

	/* Bounds: every ethertype read is checked against len first. */
	if (!frame || len < off + 2)
		return 0;
	type = be16_at(frame + off);
	for (tags = 0; tags < MAX_VLAN_TAGS &&
		       (type == 0x8100 || type == 0x88a8); tags++) {
		off += VLAN_TAG_LEN;
		if (len < off + 2)
			return 0;
		type = be16_at(frame + off);
	}
	if (type == 0x0800)
		return 4;
	if (type == 0x86dd)
		return 6;
	return 0;
}

int nc_csum_must_complete(const uint8_t *frame, size_t len, uint32_t flags,
			  unsigned accept)
{
	if (!(flags & NC_FRAME_CSUM_BLANK))
		return 0;
	switch (nc_frame_ip_version(frame, len)) {
	case 4:
		return !(accept & NC_OFFLOAD_IPV4);
	case 6:
		return !(accept & NC_OFFLOAD_IPV6);
	default:
		return 0;
	}
}

/* guest_hash.c - see guest_hash.h. */
#include <stdio.h>

#include "guest_hash.h"
#include "netchannel/errors.h"

#include <string.h>

static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static const char *const step_name[] = {
	"set algorithm toeplitz", "set flags ipv4,ipv4+tcp,ipv6,ipv6+tcp",
	"set key (40 bytes)", "set mapping size", "set mapping",
};
#define NSTEPS (sizeof(step_name) / sizeof(step_name[0]))

void guest_hash_init(struct guest_hash *h, const uint32_t *map, unsigned n)
{
	memset(h, 0, sizeof(*h));
	if (n == 0 || n > GUEST_HASH_MAP_MAX) {
		h->map_len = GUEST_HASH_MAP_MAX;     /* all queue 0 */
		return;
	}
	memcpy(h->map, map, n * sizeof(map[0]));
	h->map_len = n;
}

static int send_step(struct nc_front *f, const struct guest_hash *h,
		     unsigned step)
{
	switch (step) {
	case 0:
		return nc_front_set_hash_algorithm(
			f, XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ);
	case 1:
		return nc_front_set_hash_flags(
			f, XEN_NETIF_CTRL_HASH_TYPE_IPV4 |
			   XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP |
			   XEN_NETIF_CTRL_HASH_TYPE_IPV6 |
			   XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP);
	case 2:
		return nc_front_set_hash_key(f, rss_key, sizeof(rss_key));
	case 3:
		return nc_front_set_hash_mapping_size(f, h->map_len);
	default:
		return nc_front_set_hash_mapping(f, h->map, h->map_len, 0);
	}
}

static void finish(struct guest_hash *h, const char *why)
{
	h->done = 1;
	printf("netchannel guest: hash: %u of %u requests succeeded%s%s\n",
	       h->ok, (unsigned)NSTEPS, why ? ": " : "", why ? why : "");
	fflush(stdout);
}

void guest_hash_step(struct nc_front *f, struct guest_hash *h)
{
	uint32_t status, data;
	int rc;

	if (h->done)
		return;
	if (!h->waiting) {
		rc = send_step(f, h, h->step);
		if (rc == NC_OK)
			h->waiting = 1;
		else if (rc != NC_EAGAIN)
			finish(h, rc == NC_ENOTCONN ? "no control ring (the "
			       "backend did not offer feature-ctrl-ring)"
			       : nc_strerror(rc));
		return;
	}
	rc = nc_front_ctrl_result(f, &status, &data);
	if (rc == 0)
		return;
	if (rc < 0) {
		finish(h, nc_strerror(rc));
		return;
	}
	printf("netchannel guest: hash: %s: status %u%s\n",
	       step_name[h->step], (unsigned)status,
	       status == XEN_NETIF_CTRL_STATUS_SUCCESS ? " (success)" : "");
	h->ok += status == XEN_NETIF_CTRL_STATUS_SUCCESS;
	h->waiting = 0;
	if (++h->step == NSTEPS)
		finish(h, NULL);
}

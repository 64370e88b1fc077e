/* guest_hash.h - `netchannel guest --hash`: configure the backend's
 * Toeplitz hashing through the control ring once the vif is up.
 *
 * Five requests, one at a time (the control ring takes one): algorithm
 * Toeplitz; flags IPv4, IPv4+TCP, IPv6, IPv6+TCP; the 40-byte key of
 * Microsoft's RSS verification suite; the mapping table's size; the
 * mapping (--hash-map: 1 to GUEST_HASH_MAP_MAX queue indices; default 8
 * entries of queue 0).  Each answer is printed; the last line says
 * whether all five succeeded. */
#ifndef NC_TOOLS_GUEST_HASH_H
#define NC_TOOLS_GUEST_HASH_H

#include "netchannel/front.h"

#define GUEST_HASH_MAP_MAX 8u

struct guest_hash {
	uint32_t map[GUEST_HASH_MAP_MAX];
	unsigned map_len;
	unsigned step;     /* the request to send or being answered */
	int waiting;       /* a request is outstanding */
	unsigned ok;       /* answers with status SUCCESS */
	int done;
};

/* Before the first step: the mapping (n 0: 8 entries of queue 0). */
void guest_hash_init(struct guest_hash *h, const uint32_t *map, unsigned n);

/* One step: send the next request, or take an answer.  Call after each
 * nc_front_poll while the vif is connected; nothing once done. */
void guest_hash_step(struct nc_front *f, struct guest_hash *h);

#endif

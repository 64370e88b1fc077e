/* guest_hash.h - `netchannel guest --hash`: configure the backend's
 * Toeplitz hashing through the control ring once the vif is up.
 *
 * Five requests, one at a time (the control ring takes one): algorithm
 * Toeplitz; flags IPv4, IPv4+TCP, IPv6, IPv6+TCP; the 40-byte key of
 * Microsoft's RSS verification suite; a mapping table of 8 entries; all
 * entries queue 0 (the vif has one queue).  Each answer is printed; the
 * last line says whether all five succeeded. */
#ifndef NC_TOOLS_GUEST_HASH_H
#define NC_TOOLS_GUEST_HASH_H

#include "netchannel/front.h"

struct guest_hash {
	unsigned step;     /* the request to send or being answered */
	int waiting;       /* a request is outstanding */
	unsigned ok;       /* answers with status SUCCESS */
	int done;
};

/* One step: send the next request, or take an answer.  Call after each
 * nc_front_poll while the vif is connected; nothing once done. */
void guest_hash_step(struct nc_front *f, struct guest_hash *h);

#endif

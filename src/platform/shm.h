/*
 * shm.h - page-granular shared memory for the hosted platforms.
 *
 * A granted region is a memfd: the granter maps it read-write, a grantee
 * maps single pages of it at consecutive addresses, read-only when the
 * grant says so (the MMU enforces it).  Used by the in-process platform
 * and the simulator (which passes the fd over its socket).
 */
#ifndef NETCHANNEL_SHM_H
#define NETCHANNEL_SHM_H

#include <stddef.h>
#include <stdint.h>

/* A new zeroed memfd of npages, mapped read-write at *base.  Returns the
 * fd, or -1 with errno set. */
int nc_shm_create(unsigned npages, const char *name, uint8_t **base);

/* Reserve n consecutive pages of address space (PROT_NONE).  NULL on
 * failure. */
uint8_t *nc_shm_reserve(unsigned n);

/* Map page `page` of memfd `fd` at `at` (inside a reservation).
 * Returns 0 or -1. */
int nc_shm_map_page(uint8_t *at, int fd, unsigned page, int writable);

/* Unmap n pages at addr. */
void nc_shm_unmap(uint8_t *addr, unsigned n);

#endif

/*
 * xs.h - small store helpers the handshakes of both ends share.
 * Freestanding: paths are built with str* only, numbers parsed strictly.
 * Values read from the store are the peer's words: parse, never trust.
 */
#ifndef NETCHANNEL_XS_H
#define NETCHANNEL_XS_H

#include <stddef.h>
#include <stdint.h>

#include "netchannel/platform.h"

/* dst = a "/" b (b may be NULL: dst = a).  NC_ENOSPC if it does not fit. */
int nc_path_join(char *dst, size_t len, const char *a, const char *b);

/* Decimal text of v into buf (at least 11 bytes). */
void nc_utoa(uint32_t v, char *buf);

/* Strict decimal: digits only, no sign, no overflow past max. */
int nc_parse_uint(const char *s, uint32_t max, uint32_t *out);

/* Read dir/key as an unsigned number no larger than max.  Absent keys
 * give `dflt`; present but malformed ones NC_EINVAL. */
int nc_xs_read_uint(const struct nc_store *st, nc_txn_t t, const char *dir,
		    const char *key, uint32_t max, uint32_t dflt,
		    uint32_t *out);

/* Write dir/key = v. */
int nc_xs_write_uint(const struct nc_store *st, nc_txn_t t, const char *dir,
		     const char *key, uint32_t v);

/* Read dir/key into buf (NC_ENOENT when absent). */
int nc_xs_read(const struct nc_store *st, nc_txn_t t, const char *dir,
	       const char *key, char *buf, size_t len);

/* Write dir/key = value. */
int nc_xs_write(const struct nc_store *st, nc_txn_t t, const char *dir,
		const char *key, const char *value);

/* The XenbusState at dir/state; an absent or malformed node reads as
 * XenbusStateClosed (a vanished peer is a closed one). */
int nc_xs_read_state(const struct nc_store *st, const char *dir);

/* Write dir/state. */
int nc_xs_switch_state(const struct nc_store *st, const char *dir,
		       int state);

/* Parse "xx:xx:xx:xx:xx:xx" into mac. */
int nc_parse_mac(const char *s, uint8_t mac[6]);

#endif

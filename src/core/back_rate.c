/*
 * back_rate.c - the `rate` key: its parser and the credit scheduler that
 * enforces it on the frontend's transmit path (back_rate.h).  Pure
 * functions of their arguments; the time is the caller's.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>

#include "back_rate.h"

/* One unsigned decimal of at most 20 digits, fitting 64 bits; *end is
 * where it stopped.  -1 when there is no digit or it overflows. */
static int parse_u64(const char *s, const char **end, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		uint64_t d = (uint64_t)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (p == s)
		return -1;
	*end = p;
	*out = v;
	return 0;
}

/* The toolstack's "BYTES,USEC", the format Linux's xen_net_read_rate
 * reads: two plain decimals, a comma between, nothing else. */
int nc_back_parse_rate(const char *s, uint64_t *bytes, uint64_t *usec)
{
	const char *p;
	uint64_t b, u;

	if (!s || !bytes || !usec)
		return NC_EINVAL;
	if (parse_u64(s, &p, &b) || *p != ',' ||
	    parse_u64(p + 1, &p, &u) || *p != '\0')
		return NC_EINVAL;
	*bytes = b;
	*usec = u;
	return NC_OK;
}

/* The most credit that may build up: a window's plus one largest frame. */
static int64_t rate_cap(const struct nc_back_rate *r)
{
	return (int64_t)(r->credit_bytes + NC_MAX_FRAME);
}

void nc_rate_init(struct nc_back_rate *r, uint64_t bytes, uint64_t usec,
		  uint64_t now)
{
	r->blocked = 0;
	r->window_start = now;
	if (bytes == 0 || usec == 0 || bytes >= NC_RATE_MAX_BYTES ||
	    usec > NC_RATE_MAX_USEC) {
		r->credit_bytes = 0;     /* unlimited */
		r->credit_usec = 0;
		r->remaining = 0;
		return;
	}
	r->credit_bytes = bytes;
	r->credit_usec = usec;
	r->remaining = (int64_t)bytes;   /* start with a full window */
}

int nc_rate_limited(const struct nc_back_rate *r)
{
	return r->credit_bytes != 0;
}

/* Add the credit of every window that started by `now`, keeping the grid.
 * The clock is read as a signed distance from the window's start, so a
 * clock that wraps at 2^64 still moves forward and one that steps back
 * adds nothing.  Invariant: remaining never exceeds rate_cap and no
 * product overflows (credit < 2^48, windows counted only up to the cap). */
static void replenish(struct nc_back_rate *r, uint64_t now)
{
	int64_t elapsed = (int64_t)(now - r->window_start);
	int64_t cap = rate_cap(r), need;
	uint64_t k, fill;

	if (elapsed < 0 || (uint64_t)elapsed < r->credit_usec)
		return;
	k = (uint64_t)elapsed / r->credit_usec;
	r->window_start += k * r->credit_usec;
	if (r->remaining >= cap)
		return;
	need = cap - r->remaining;      /* > 0, below 2^49 */
	fill = ((uint64_t)need + r->credit_bytes - 1) / r->credit_bytes;
	if (k >= fill)
		r->remaining = cap;
	else
		r->remaining += (int64_t)(k * r->credit_bytes);
}

int nc_rate_admit(struct nc_back_rate *r, uint32_t size, uint64_t now)
{
	if (!nc_rate_limited(r))
		return 1;
	replenish(r, now);
	/* A frame larger than the whole credit goes when the credit is full
	 * (its excess becomes debt): nothing waits forever. */
	if (r->remaining >= (int64_t)size ||
	    r->remaining >= (int64_t)r->credit_bytes) {
		r->remaining -= (int64_t)size;
		r->blocked = 0;
		return 1;
	}
	r->blocked = 1;
	return 0;
}

int nc_rate_next(const struct nc_back_rate *r, uint64_t *when)
{
	if (!nc_rate_limited(r) || !r->blocked)
		return 0;
	*when = r->window_start + r->credit_usec;
	return 1;
}

/* xs.c - store helpers for the handshakes (see xs.h). */
#include <string.h>

#include "xs.h"

int nc_path_join(char *dst, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0;
	size_t need = la + (b ? 1 + lb : 0) + 1;

	if (need > len)
		return NC_ENOSPC;
	memcpy(dst, a, la);
	if (b) {
		dst[la] = '/';
		memcpy(dst + la + 1, b, lb);
	}
	dst[need - 1] = '\0';
	return NC_OK;
}

void nc_utoa(uint32_t v, char *buf)
{
	char tmp[11];
	unsigned n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
}

int nc_parse_uint(const char *s, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return NC_EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return NC_EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return NC_ERANGE;
	}
	*out = (uint32_t)v;
	return NC_OK;
}

int nc_xs_read(const struct nc_store *st, nc_txn_t t, const char *dir,
	       const char *key, char *buf, size_t len)
{
	char path[NC_STORE_MAX_PATH];
	int rc = nc_path_join(path, sizeof(path), dir, key);

	if (rc)
		return rc;
	return st->ops->read(st->ctx, t, path, buf, len);
}

int nc_xs_write(const struct nc_store *st, nc_txn_t t, const char *dir,
		const char *key, const char *value)
{
	char path[NC_STORE_MAX_PATH];
	int rc = nc_path_join(path, sizeof(path), dir, key);

	if (rc)
		return rc;
	return st->ops->write(st->ctx, t, path, value);
}

int nc_xs_read_uint(const struct nc_store *st, nc_txn_t t, const char *dir,
		    const char *key, uint32_t max, uint32_t dflt,
		    uint32_t *out)
{
	char buf[16];
	int rc = nc_xs_read(st, t, dir, key, buf, sizeof(buf));

	if (rc == NC_ENOENT) {
		*out = dflt;
		return NC_OK;
	}
	if (rc < 0)
		return rc == NC_ENOSPC ? NC_EINVAL : rc;
	return nc_parse_uint(buf, max, out) ? NC_EINVAL : NC_OK;
}

int nc_xs_write_uint(const struct nc_store *st, nc_txn_t t, const char *dir,
		     const char *key, uint32_t v)
{
	char buf[11];

	nc_utoa(v, buf);
	return nc_xs_write(st, t, dir, key, buf);
}

int nc_xs_read_state(const struct nc_store *st, const char *dir)
{
	uint32_t s;

	if (nc_xs_read_uint(st, NC_TXN_NONE, dir, "state",
			    XenbusStateReconfigured, XenbusStateClosed, &s))
		return XenbusStateClosed;
	return (int)s;
}

int nc_xs_switch_state(const struct nc_store *st, const char *dir,
		       int state)
{
	return nc_xs_write_uint(st, NC_TXN_NONE, dir, "state",
				(uint32_t)state);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int nc_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i;

	if (strlen(s) != 17)
		return NC_EINVAL;
	for (i = 0; i < 6; i++) {
		int hi = hexval(s[i * 3]), lo = hexval(s[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[i * 3 + 2] != ':'))
			return NC_EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return NC_OK;
}

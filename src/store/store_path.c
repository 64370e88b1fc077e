/*
 * store_path.c - path syntax: validation, resolution of relative paths
 * against a domain's home, and the few comparisons the engine needs.
 *
 * Every path that reaches the tree went through ncs_path_resolve(), so the
 * tree code may assume: absolute, no "//", no trailing '/', only
 * [A-Za-z0-9_@-] in components, at most NC_STORE_MAX_PATH bytes.
 */
#include <stdio.h>
#include <string.h>

#include "store/store_internal.h"

static const char special_introduce[] = "@introduceDomain";
static const char special_release[] = "@releaseDomain";

/* The characters C xenstored accepts in a node name (valid_chars()). */
static int is_path_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
	       ch == '@' || ch == '/';
}

/* Limit: a path is at most NC_STORE_MAX_PATH bytes, made of non-empty
 * components of allowed characters; this bounds every buffer and every
 * recursion depth in the engine. */
static int abs_path_valid(const char *abs, size_t len)
{
	size_t i;

	if (len == 0 || len > NC_STORE_MAX_PATH || abs[0] != '/')
		return 0;
	if (len == 1)
		return 1;                       /* "/" */
	if (abs[len - 1] == '/')
		return 0;                       /* trailing slash */
	for (i = 0; i < len; i++) {
		if (!is_path_char(abs[i]))
			return 0;
		if (abs[i] == '/' && abs[i + 1] == '/')
			return 0;               /* empty component */
	}
	return 1;
}

int ncs_path_home(nc_domid_t domid, char *buf, size_t len)
{
	int n;

	if (!buf)
		return NC_EINVAL;
	n = snprintf(buf, len, "/local/domain/%u", (unsigned)domid);
	if (n < 0 || (size_t)n >= len)
		return NC_ENOSPC;
	return n;
}

int ncs_path_resolve(nc_domid_t domid, const char *path, char *abs)
{
	size_t plen, hlen;
	int n;

	if (!path)
		return NC_EINVAL;
	plen = ncs_strnlen(path, NCS_PATH_BUF);
	if (plen == 0 || plen > NC_STORE_MAX_PATH)
		return NC_EINVAL;
	if (path[0] == '@')
		return NC_EINVAL;       /* special names are not nodes */
	if (path[0] == '/') {
		memcpy(abs, path, plen + 1);
	} else {
		n = ncs_path_home(domid, abs, NCS_PATH_BUF);
		if (n < 0)
			return NC_EINVAL;
		hlen = (size_t)n;
		if (hlen + 1 + plen > NC_STORE_MAX_PATH)
			return NC_EINVAL;
		abs[hlen] = '/';
		memcpy(abs + hlen + 1, path, plen + 1);
		plen += hlen + 1;
	}
	return abs_path_valid(abs, plen) ? NC_OK : NC_EINVAL;
}

int ncs_path_is_special(const char *path)
{
	return strcmp(path, special_introduce) == 0 ||
	       strcmp(path, special_release) == 0;
}

int ncs_path_is_under(const char *path, const char *ancestor)
{
	size_t len = strlen(ancestor);

	if (strcmp(ancestor, "/") == 0)
		return path[0] == '/';
	if (strncmp(path, ancestor, len) != 0)
		return 0;
	return path[len] == '/' || path[len] == '\0';
}

size_t ncs_path_parent_len(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash == path ? 1 : (size_t)(slash - path);
}

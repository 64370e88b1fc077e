/*
 * netchannel/errors.h - error codes returned by every netchannel call.
 *
 * The protocol core builds freestanding, without <errno.h>, so it names its
 * own codes.  Each equals the negated Linux errno of the same name, so that
 * hosted code may compare against -EAGAIN and print strerror(-rc); a test
 * asserts that equality.
 */
#ifndef NETCHANNEL_ERRORS_H
#define NETCHANNEL_ERRORS_H

enum nc_error {
	NC_OK = 0,
	NC_EPERM = -1,     /* operation not permitted (store/grant rules) */
	NC_ENOENT = -2,    /* no such node, grant or port */
	NC_EIO = -5,       /* the platform failed */
	NC_E2BIG = -7,     /* too many slots or fragments */
	NC_EBADF = -9,     /* closed or unbound event channel */
	NC_EAGAIN = -11,   /* try again: pool exhausted, ring full, txn conflict */
	NC_ENOMEM = -12,   /* a fixed-size table is full */
	NC_EACCES = -13,   /* permission refused */
	NC_EBUSY = -16,    /* grant still mapped by the peer */
	NC_EEXIST = -17,   /* already exists */
	NC_EINVAL = -22,   /* an argument is out of range */
	NC_ENOSPC = -28,   /* no room in a caller's buffer */
	NC_ERANGE = -34,   /* value out of range */
	NC_ENOTCONN = -107,/* the device is not connected */
	NC_EPROTO = -71,   /* the peer broke the protocol */
	NC_EMSGSIZE = -90, /* frame too large for the negotiated features */
	NC_ESHUTDOWN = -108, /* peer gone or device disabled */
};

/* A short, static, human-readable name for an nc_error value. */
const char *nc_strerror(int err);

#endif

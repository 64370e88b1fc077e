/* errors.c - names for nc_error values (freestanding). */
#include "netchannel/errors.h"

const char *nc_strerror(int err)
{
	switch (err) {
	case NC_OK: return "ok";
	case NC_EPERM: return "operation not permitted";
	case NC_ENOENT: return "no such entry";
	case NC_EIO: return "platform i/o error";
	case NC_E2BIG: return "too many slots";
	case NC_EBADF: return "closed event channel";
	case NC_EAGAIN: return "try again";
	case NC_ENOMEM: return "out of table space";
	case NC_EACCES: return "permission denied";
	case NC_EBUSY: return "grant still in use by the peer";
	case NC_EEXIST: return "already exists";
	case NC_EINVAL: return "invalid argument";
	case NC_ENOSPC: return "buffer too small";
	case NC_ERANGE: return "out of range";
	case NC_ENOTCONN: return "not connected";
	case NC_EPROTO: return "peer broke the protocol";
	case NC_EMSGSIZE: return "frame too large";
	case NC_ESHUTDOWN: return "device shut down";
	default: return "unknown error";
	}
}

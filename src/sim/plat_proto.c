/*
 * plat_proto.c - one datagram of the platform protocol, with its fds
 * (see plat_proto.h).  Used by both the daemon and the client library.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "sim/plat_proto.h"

#define NCSP_CMSG_SPACE CMSG_SPACE(sizeof(int) * NCSP_MAX_FDS)

void ncsp_close_fds(const int *fds, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int ncsp_send(int sock, const void *hdr, size_t hlen, const void *body,
	      size_t blen, const int *fds, unsigned nfds, int flags)
{
	union {
		char buf[NCSP_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = hlen },
		{ .iov_base = (void *)body, .iov_len = blen },
	};
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = blen ? 2 : 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds > NCSP_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, flags | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == hlen + blen ? 0 : -EIO;
}

/* Take the fds out of a received message's control data.  Returns how
 * many; every fd beyond `max` is closed. */
static unsigned take_fds(struct msghdr *msg, int *fds, unsigned max)
{
	struct cmsghdr *cm;
	unsigned n = 0, i, k;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(fd));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

ssize_t ncsp_recv(int sock, void *buf, size_t cap, int *fds,
		  unsigned *nfds, int flags)
{
	union {
		char buf[NCSP_CMSG_SPACE];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;
	unsigned got;

	*nfds = 0;
	do
		n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	got = take_fds(&msg, fds, NCSP_MAX_FDS);
	/* A message or fd list cut short cannot be trusted: drop it all. */
	if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		ncsp_close_fds(fds, got);
		return -EMSGSIZE;
	}
	*nfds = got;
	return n;
}

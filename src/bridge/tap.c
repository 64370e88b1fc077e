/* tap.c - TAP devices (tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netchannel/errors.h"
#include "netchannel/gso.h"
#include "netchannel/wire.h"
#include "tap.h"

static int set_mtu_up(const char *name, unsigned mtu)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = (int)mtu;
	if (mtu && ioctl(s, SIOCSIFMTU, &ifr) < 0)
		rc = -1;
	if (rc == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = -1;
	}
	close(s);
	return rc;
}

int nc_tap_open(const char *name, unsigned mtu, char *name_out)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (name)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 ||
	    set_mtu_up(ifr.ifr_name, mtu) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	snprintf(name_out, IFNAMSIZ, "%s", ifr.ifr_name);
	return fd;
}

/* A GSO frame as its segments, one write each, built in one buffer. */
static int write_segments(int fd, const struct nc_frame *fr)
{
	uint8_t seg[NC_MAX_FRAME];
	struct nc_gso_plan p;
	unsigned i;

	if (nc_gso_plan(fr->data, fr->len, fr->gso_type, fr->gso_size, &p)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < p.nsegs; i++) {
		int n = nc_gso_segment(fr->data, fr->len, &p, i, seg,
				       sizeof(seg));

		if (n < 0) {
			errno = EINVAL;
			return -1;
		}
		if (write(fd, seg, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

int nc_tap_write(int fd, const struct nc_frame *fr)
{
	if (fr->flags & NC_FRAME_GSO)
		return write_segments(fd, fr);
	return write(fd, fr->data, fr->len) < 0 ? -1 : 0;
}

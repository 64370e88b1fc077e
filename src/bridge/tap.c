/* tap.c - TAP devices (tap.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "netchannel/csum.h"
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

_Static_assert(sizeof(struct virtio_net_hdr) == NC_TAP_VNET_HDR,
	       "the legacy virtio-net header");

/* vnet mode: 10-byte headers, and the offloads we take from the kernel:
 * partial checksums and TCP segmentation (not UDP's). */
static int set_vnet(int fd)
{
	int hdr = (int)NC_TAP_VNET_HDR;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0)
		return -1;
	return ioctl(fd, TUNSETOFFLOAD,
		     (unsigned long)(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
}

int nc_tap_open(const char *name, unsigned mtu, int vnet, char *name_out)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
	if (name)
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || (vnet && set_vnet(fd) < 0) ||
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

/* vnet: a GSO frame whole.  The kernel segments a partial checksum
 * whose field holds the pseudo-header sum over the whole TCP length (as
 * its own TSO frames do): set in a private copy of the headers, whatever
 * the guest left there. */
static int write_gso_vnet(int fd, const struct nc_frame *fr)
{
	struct virtio_net_hdr vh;
	struct nc_gso_plan p;
	uint8_t hdr[NC_GSO_MAX_HDR];
	const uint8_t *ip;
	uint32_t l4len, sum;
	uint16_t check;
	struct iovec iov[3];

	if (nc_gso_plan(fr->data, fr->len, fr->gso_type, fr->gso_size, &p) ||
	    p.hdr_len > sizeof(hdr)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(hdr, fr->data, p.hdr_len);
	ip = hdr + p.ip_off;
	l4len = fr->len - p.tcp_off;
	sum = p.ip_version == 4
		      ? nc_csum_pseudo_v4(ip + 12, ip + 16, 6, l4len)
		      : nc_csum_pseudo_v6(ip + 8, ip + 24, 6, l4len);
	check = (uint16_t)~nc_csum_fold(sum);
	memcpy(hdr + p.tcp_off + 16, &check, 2);
	memset(&vh, 0, sizeof(vh));
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type = p.ip_version == 4 ? VIRTIO_NET_HDR_GSO_TCPV4
					: VIRTIO_NET_HDR_GSO_TCPV6;
	vh.hdr_len = (uint16_t)p.hdr_len;
	vh.gso_size = p.mss;
	vh.csum_start = (uint16_t)p.tcp_off;
	vh.csum_offset = 16;
	iov[0] = (struct iovec){ &vh, sizeof(vh) };
	iov[1] = (struct iovec){ hdr, p.hdr_len };
	iov[2] = (struct iovec){ (void *)(fr->data + p.hdr_len),
				 fr->len - p.hdr_len };
	return writev(fd, iov, 3) < 0 ? -1 : 0;
}

int nc_tap_write(int fd, int vnet, const struct nc_frame *fr)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2];

	if (!vnet && (fr->flags & NC_FRAME_GSO))
		return write_segments(fd, fr);
	if (!vnet)
		return write(fd, fr->data, fr->len) < 0 ? -1 : 0;
	if (fr->flags & NC_FRAME_GSO)
		return write_gso_vnet(fd, fr);
	memset(&vh, 0, sizeof(vh));
	if (fr->flags & NC_FRAME_DATA_VALIDATED)
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	iov[0] = (struct iovec){ &vh, sizeof(vh) };
	iov[1] = (struct iovec){ (void *)fr->data, fr->len };
	return writev(fd, iov, 2) < 0 ? -1 : 0;
}

/* The kernel's header, checked, as frame flags and GSO fields.  0, or -1
 * for what we do not take. */
static int vnet_to_frame(const struct virtio_net_hdr *vh, struct nc_frame *fr)
{
	uint8_t type = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	fr->flags = 0;
	if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		fr->flags |= NC_FRAME_CSUM_BLANK;
	else if (vh->flags & VIRTIO_NET_HDR_F_DATA_VALID)
		fr->flags |= NC_FRAME_DATA_VALIDATED;
	if (type == VIRTIO_NET_HDR_GSO_NONE)
		return 0;
	/* A GSO frame carries a partial checksum and a segment size. */
	if (!(fr->flags & NC_FRAME_CSUM_BLANK) || vh->gso_size == 0 ||
	    (type != VIRTIO_NET_HDR_GSO_TCPV4 &&
	     type != VIRTIO_NET_HDR_GSO_TCPV6))
		return -1;
	fr->flags |= NC_FRAME_GSO;
	fr->gso_type = type == VIRTIO_NET_HDR_GSO_TCPV4
			       ? XEN_NETIF_GSO_TYPE_TCPV4
			       : XEN_NETIF_GSO_TYPE_TCPV6;
	fr->gso_size = vh->gso_size;
	return 0;
}

int nc_tap_read(int fd, int vnet, uint8_t *buf, size_t size,
		struct nc_frame *out)
{
	struct virtio_net_hdr vh;
	ssize_t n = read(fd, buf, size);
	size_t skip = vnet ? NC_TAP_VNET_HDR : 0;

	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if ((size_t)n <= skip) {
		errno = EPROTO;
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->data = buf + skip;
	out->len = (uint32_t)((size_t)n - skip);
	if (!vnet)
		return 1;
	memcpy(&vh, buf, sizeof(vh));
	if (vnet_to_frame(&vh, out)) {
		errno = EPROTO;
		return -1;
	}
	return 1;
}

/*
 * tap.h - a Linux TAP device for a vif's frames (no packet-info header).
 *
 * Two modes.  Plain: frames must carry complete checksums, and GSO frames
 * are written as their segments (gso.h).  vnet: every frame goes with a
 * virtio-net header (IFF_VNET_HDR): a GSO frame is written whole with its
 * segmentation (type, MSS, header length) and partial checksum described,
 * for the kernel to segment or to take as it is; and the kernel may hand
 * us GSO TCP frames and partial checksums (offloads CSUM, TSO4, TSO6),
 * which nc_tap_read turns into NC_FRAME_GSO / NC_FRAME_CSUM_BLANK frames.
 */
#ifndef NETCHANNEL_TAP_H
#define NETCHANNEL_TAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "netchannel/frame.h"

/* The virtio-net header's size in vnet mode. */
#define NC_TAP_VNET_HDR 10u

/* Create (or attach to) TAP `name` ("" or NULL: the kernel picks one),
 * in vnet mode when `vnet`, set its MTU and bring it up.  The chosen name
 * goes to name_out (IFNAMSIZ bytes).  Returns a non-blocking fd or -1
 * with errno. */
int nc_tap_open(const char *name, unsigned mtu, int vnet, char *name_out);

/* Write one frame from a vif.  Plain mode: a GSO frame (NC_FRAME_GSO) is
 * segmented in software, each segment with complete checksums; any other
 * frame goes as it is (deliver it with need_full_csum).  vnet mode: a GSO
 * frame goes whole, its TCP checksum field set to the pseudo-header sum
 * the kernel expects of a partial checksum.  0, or -1 with errno: EAGAIN
 * when the TAP's queue is full (the frame, or the rest of its segments,
 * dropped as a NIC would), EINVAL for a GSO frame that cannot be
 * segmented (gso.h refuses it). */
int nc_tap_write(int fd, int vnet, const struct nc_frame *fr);

/* Read one frame into buf (size bytes, at least NC_TAP_VNET_HDR more
 * than the largest frame): 1 with *out set (its data inside buf), 0 when
 * none waits, -1 with errno.  vnet mode: the header is checked: a GSO
 * type other than TCPv4/TCPv6 (ECN allowed) or a GSO frame without a
 * partial checksum is refused (EPROTO, the frame dropped). */
int nc_tap_read(int fd, int vnet, uint8_t *buf, size_t size,
		struct nc_frame *out);

#endif

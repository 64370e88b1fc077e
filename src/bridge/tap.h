/*
 * tap.h - a Linux TAP device for a vif's frames (no packet-info header,
 * no vnet header: frames must carry complete checksums, and GSO frames
 * are written as their segments).
 */
#ifndef NETCHANNEL_TAP_H
#define NETCHANNEL_TAP_H

#include <stddef.h>

#include "netchannel/frame.h"

/* Create (or attach to) TAP `name` ("" or NULL: the kernel picks one),
 * set its MTU and bring it up.  The chosen name goes to name_out
 * (IFNAMSIZ bytes).  Returns a non-blocking fd or -1 with errno. */
int nc_tap_open(const char *name, unsigned mtu, char *name_out);

/* Write one frame from a vif.  A GSO frame (NC_FRAME_GSO) is segmented
 * in software (gso.h), each segment with complete checksums; any other
 * frame goes as it is (deliver it with need_full_csum).  0, or -1 with
 * errno: EAGAIN when the TAP's queue is full (the frame, or the rest of
 * its segments, dropped as a NIC would), EINVAL for a GSO frame that
 * cannot be segmented. */
int nc_tap_write(int fd, const struct nc_frame *fr);

#endif

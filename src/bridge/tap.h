/*
 * tap.h - a Linux TAP device for a vif's frames (no packet-info header,
 * no vnet header: frames must carry complete checksums).
 */
#ifndef NETCHANNEL_TAP_H
#define NETCHANNEL_TAP_H

#include <stddef.h>

/* Create (or attach to) TAP `name` ("" or NULL: the kernel picks one),
 * set its MTU and bring it up.  The chosen name goes to name_out
 * (IFNAMSIZ bytes).  Returns a non-blocking fd or -1 with errno. */
int nc_tap_open(const char *name, unsigned mtu, char *name_out);

#endif

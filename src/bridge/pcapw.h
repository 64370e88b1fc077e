/*
 * pcapw.h - every frame of a vif, both directions, into a pcap file
 * through libpcap (Ethernet link type).
 */
#ifndef NETCHANNEL_PCAPW_H
#define NETCHANNEL_PCAPW_H

#include <stdint.h>

struct nc_pcapw;

/* NULL with a message on stderr when the file cannot be written. */
struct nc_pcapw *nc_pcapw_open(const char *path);
void nc_pcapw_write(struct nc_pcapw *w, const uint8_t *frame, uint32_t len);
void nc_pcapw_close(struct nc_pcapw *w);

#endif

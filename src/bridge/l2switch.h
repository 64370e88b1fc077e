/*
 * l2switch.h - the forwarding table of an Ethernet learning switch.
 *
 * Pure logic, no I/O: the caller owns the ports and the clock.  A frame
 * arriving on port P teaches "its source MAC is behind P"; its destination
 * is then looked up: a known unicast MAC gives one port, a broadcast,
 * multicast or unknown destination floods to every port but P.  Entries
 * age out after `ageing_ms` without traffic.  The table has a fixed size:
 * when full, the oldest entry is replaced (never an unbounded table).
 * Group addresses are never learned, so a multicast frame always floods:
 * the caller filters it per destination port (netback's multicast
 * control: cmd_back.c hands flooded frames to nc_back_queue_filtered).
 */
#ifndef NETCHANNEL_L2SWITCH_H
#define NETCHANNEL_L2SWITCH_H

#include <stdint.h>

#define NC_L2_TABLE_SIZE 1024u
#define NC_L2_FLOOD (-1)

struct nc_l2_entry {
	uint8_t mac[6];
	int port;            /* -1: empty */
	uint64_t seen_ms;
};

struct nc_l2switch {
	struct nc_l2_entry table[NC_L2_TABLE_SIZE];
	uint64_t ageing_ms;
	uint64_t learned, moved, replaced, flooded;
};

void nc_l2_init(struct nc_l2switch *sw, uint64_t ageing_ms);

/* Learn from a frame's source on `in_port` at time now_ms, then decide:
 * the output port, NC_L2_FLOOD, or -2 to drop (destination behind the
 * same port, or a frame too short to have addresses). */
int nc_l2_forward(struct nc_l2switch *sw, const uint8_t *frame,
		  uint32_t len, int in_port, uint64_t now_ms);

/* Forget every entry of a port (it went away). */
void nc_l2_forget_port(struct nc_l2switch *sw, int port);

#endif

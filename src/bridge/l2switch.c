/* l2switch.c - a learning switch's table (l2switch.h). */
#include <string.h>

#include "l2switch.h"

void nc_l2_init(struct nc_l2switch *sw, uint64_t ageing_ms)
{
	unsigned i;

	memset(sw, 0, sizeof(*sw));
	sw->ageing_ms = ageing_ms;
	for (i = 0; i < NC_L2_TABLE_SIZE; i++)
		sw->table[i].port = -1;
}

static int is_group(const uint8_t *mac)
{
	return mac[0] & 1;  /* broadcast and multicast */
}

static int expired(const struct nc_l2switch *sw, const struct nc_l2_entry *e,
		   uint64_t now_ms)
{
	return e->port < 0 || now_ms - e->seen_ms > sw->ageing_ms;
}

static struct nc_l2_entry *find(struct nc_l2switch *sw, const uint8_t *mac,
				uint64_t now_ms)
{
	unsigned i;

	for (i = 0; i < NC_L2_TABLE_SIZE; i++) {
		struct nc_l2_entry *e = &sw->table[i];

		if (e->port >= 0 && !memcmp(e->mac, mac, 6))
			return expired(sw, e, now_ms) ? NULL : e;
	}
	return NULL;
}

/* A free or expired slot, else the least recently seen one. */
static struct nc_l2_entry *slot_for(struct nc_l2switch *sw, uint64_t now_ms)
{
	struct nc_l2_entry *oldest = &sw->table[0];
	unsigned i;

	for (i = 0; i < NC_L2_TABLE_SIZE; i++) {
		struct nc_l2_entry *e = &sw->table[i];

		if (expired(sw, e, now_ms))
			return e;
		if (e->seen_ms < oldest->seen_ms)
			oldest = e;
	}
	sw->replaced++;
	return oldest;
}

static void learn(struct nc_l2switch *sw, const uint8_t *src, int port,
		  uint64_t now_ms)
{
	struct nc_l2_entry *e;
	unsigned i;

	if (is_group(src))
		return;   /* a group address is never a station */
	for (i = 0; i < NC_L2_TABLE_SIZE; i++) {
		e = &sw->table[i];
		if (e->port >= 0 && !memcmp(e->mac, src, 6)) {
			if (e->port != port)
				sw->moved++;
			e->port = port;
			e->seen_ms = now_ms;
			return;
		}
	}
	e = slot_for(sw, now_ms);
	memcpy(e->mac, src, 6);
	e->port = port;
	e->seen_ms = now_ms;
	sw->learned++;
}

int nc_l2_forward(struct nc_l2switch *sw, const uint8_t *frame,
		  uint32_t len, int in_port, uint64_t now_ms)
{
	const struct nc_l2_entry *e;

	if (len < 14)
		return -2;
	learn(sw, frame + 6, in_port, now_ms);
	if (is_group(frame)) {
		sw->flooded++;
		return NC_L2_FLOOD;
	}
	e = find(sw, frame, now_ms);
	if (!e) {
		sw->flooded++;
		return NC_L2_FLOOD;
	}
	return e->port == in_port ? -2 : e->port;
}

void nc_l2_forget_port(struct nc_l2switch *sw, int port)
{
	unsigned i;

	for (i = 0; i < NC_L2_TABLE_SIZE; i++)
		if (sw->table[i].port == port)
			sw->table[i].port = -1;
}

/*
 * back_mcast.c - netback's multicast control (netif.h: feature-multicast-
 * control and its dynamic variant; the rules are Linux netback's
 * xenvif_mcast_add/del/match, see back.h).
 *
 * The frontend's filter list is a fixed array of NC_BACK_MCAST_MAX
 * addresses in struct nc_back: nothing allocates, and a frontend cannot
 * make it grow.  Every address comes from the parser's private copy of
 * the ring (parse.h), never from shared memory.  Freestanding.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "back_internal.h"
#include "xs.h"

#define MAC_LEN 6u

static int is_group(const uint8_t *mac)
{
	return mac[0] & 1u;
}

static int is_broadcast(const uint8_t *mac)
{
	static const uint8_t bcast[MAC_LEN] = { 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff };

	return memcmp(mac, bcast, MAC_LEN) == 0;
}

static int mcast_find(const struct nc_back_mcast *m, const uint8_t *mac)
{
	unsigned i;

	/* Invariant: count never exceeds the array (mcast_add checks). */
	for (i = 0; i < m->count && i < NC_BACK_MCAST_MAX; i++)
		if (memcmp(m->addr[i], mac, MAC_LEN) == 0)
			return (int)i;
	return -1;
}

/* Linux's xenvif_mcast_add: refused (ERROR) when the list is full, and
 * here also for an address no frame can be filtered on. */
static int16_t mcast_add(struct nc_back *b, const uint8_t *mac)
{
	struct nc_back_mcast *m = &b->mcast;

	if (!is_group(mac)) {
		m->stats.not_group++;
		return NETIF_RSP_ERROR;
	}
	/* Security: the list is bounded; the frontend cannot grow it. */
	if (m->count >= NC_BACK_MCAST_MAX) {
		if (m->stats.full++ == 0)
			ncb_log(b, "netback: too many multicast addresses; max",
				(long)NC_BACK_MCAST_MAX);
		return NETIF_RSP_ERROR;
	}
	memcpy(m->addr[m->count], mac, MAC_LEN);
	m->count++;
	m->stats.added++;
	return NETIF_RSP_OKAY;
}

/* Linux's xenvif_mcast_del: the first equal entry goes; OKAY always. */
static int16_t mcast_del(struct nc_back *b, const uint8_t *mac)
{
	struct nc_back_mcast *m = &b->mcast;
	int i = mcast_find(m, mac);

	if (i < 0) {
		m->stats.del_unknown++;
		return NETIF_RSP_OKAY;
	}
	/* Order does not matter to a match: the last entry fills the gap. */
	m->count--;
	if ((unsigned)i != m->count)
		memcpy(m->addr[i], m->addr[m->count], MAC_LEN);
	m->stats.deleted++;
	return NETIF_RSP_OKAY;
}

int16_t ncb_mcast_update(struct nc_back *b, const struct nc_tx_parsed *p)
{
	/* As Linux: an ADD present wins and the DEL is not looked at. */
	if (p->nmcast_add)
		return mcast_add(b, p->mcast_add);
	if (p->nmcast_del)
		return mcast_del(b, p->mcast_del);
	return NETIF_RSP_OKAY;
}

int nc_back_mcast_match(const struct nc_back *b, const uint8_t *dest)
{
	const struct nc_back_mcast *m = &b->mcast;

	/* Linux filters PACKET_MULTICAST only: broadcast always goes. */
	if (!m->requested || !is_group(dest) || is_broadcast(dest))
		return 1;
	return mcast_find(m, dest) >= 0;
}

int nc_back_queue_filtered(struct nc_back *b, const struct nc_frame *frame)
{
	if (frame->len >= MAC_LEN && !nc_back_mcast_match(b, frame->data)) {
		b->mcast.stats.filtered++;
		return NC_OK;
	}
	return nc_back_queue(b, frame);
}

const struct nc_back_mcast_stats *nc_back_mcast_stats(const struct nc_back *b)
{
	return &b->mcast.stats;
}

/* The frontend's request-multicast-control: absent, 0 or malformed is
 * "not requested" (Linux reads it with a default of 0). */
static void mcast_read_request(struct nc_back *b)
{
	uint32_t v = 0;

	if (nc_xs_read_uint(&b->plat.store, NC_TXN_NONE, b->fe_path,
			    "request-multicast-control", UINT32_MAX, 0, &v))
		v = 0;
	b->mcast.requested = v != 0;
}

static void mcast_watch(struct nc_back *b, int on)
{
	const struct nc_store *st = &b->plat.store;
	char wp[NC_BACK_PATH_MAX + 32];

	if (on == b->mcast.watching ||
	    nc_path_join(wp, sizeof(wp), b->fe_path,
			 "request-multicast-control"))
		return;
	if (on) {
		b->mcast.watching = st->ops->watch(st->ctx, wp,
						   NCB_MCAST_WATCH_TOKEN) ==
				    NC_OK;
		return;
	}
	st->ops->unwatch(st->ctx, wp, NCB_MCAST_WATCH_TOKEN);
	b->mcast.watching = 0;
}

void ncb_mcast_connect(struct nc_back *b)
{
	b->mcast.count = 0;
	mcast_read_request(b);
	/* Dynamic multicast control: optional; without the watch the key
	 * is still read at each connection. */
	mcast_watch(b, 1);
}

void ncb_mcast_changed(struct nc_back *b)
{
	if (b->state == NC_BACK_CONNECTED)
		mcast_read_request(b);
}

void ncb_mcast_disconnect(struct nc_back *b)
{
	mcast_watch(b, 0);
	b->mcast.count = 0;
	b->mcast.requested = 0;
}

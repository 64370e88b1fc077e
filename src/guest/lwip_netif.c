/*
 * lwip_netif.c - an lwIP netif over a netfront (see lwip_netif.h for the
 * receive, transmit and locking model).
 */
#include <string.h>

#include "guest/lwip_netif.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/tcpip.h"
#include "netchannel/csum.h"
#include "netif/ethernet.h"

#define ETH_HDR_LEN 14u

/* ------------------------------------------------------------- transmit */

/* nc_front_write's fill: the pool view is exactly the frame's size and
 * zeroed; copy the pbuf chain into it, nothing else. */
static size_t fill_from_pbuf(void *ctx, uint8_t *buf, size_t size)
{
	struct pbuf *p = ctx;

	if (pbuf_copy_partial(p, buf, (u16_t)size, 0) != size)
		return 0;       /* cancels: the view is zeroed and returned */
	return size;
}

/* One frame into the pool, in place, on its flow's queue (the headers
 * are in the first pbuf; a flow's frames then stay in order).  lwIP
 * computed every checksum (CHECKSUM_GEN_* are on), so no offload flag is
 * set. */
static int write_frame(struct nc_lwip_netif *nif, struct pbuf *p)
{
	unsigned q = nc_front_pick_queue(nif->front, p->payload, p->len);
	int rc = nc_front_write_queue(nif->front, q, p->tot_len,
				      fill_from_pbuf, p, 0);

	if (rc == NC_OK) {
		nif->counters.tx_frames++;
		nif->counters.tx_bytes += p->tot_len;
	}
	return rc;
}

static void txq_pop(struct nc_lwip_netif *nif)
{
	pbuf_free(nif->txq[nif->txq_head]);
	nif->txq[nif->txq_head] = NULL;
	nif->txq_head = (nif->txq_head + 1) % NC_LWIP_TXQ_MAX;
	nif->txq_len--;
}

static void txq_drop_all(struct nc_lwip_netif *nif)
{
	while (nif->txq_len) {
		nif->counters.tx_dropped++;
		txq_pop(nif);
	}
}

/* Ring or pool full: keep a private copy (lwIP may reuse its pbuf once
 * we return) at the tail of the bounded queue.  Beyond the bound the
 * frame is dropped, as by a NIC whose queue is full: ERR_OK, so that TCP
 * treats it as sent and lost, and retransmits. */
static err_t defer_frame(struct nc_lwip_netif *nif, struct pbuf *p)
{
	struct pbuf *copy;

	if (nif->txq_len == NC_LWIP_TXQ_MAX) {
		nif->counters.tx_dropped++;
		return ERR_OK;
	}
	copy = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
	if (!copy) {
		nif->counters.tx_dropped++;
		return ERR_OK;
	}
	nif->txq[(nif->txq_head + nif->txq_len) % NC_LWIP_TXQ_MAX] = copy;
	nif->txq_len++;
	nif->counters.tx_deferred++;
	return ERR_OK;
}

/* Send the queue in order until the ring or the pool is full again. */
static void txq_flush(struct nc_lwip_netif *nif)
{
	while (nif->txq_len) {
		int rc = write_frame(nif, nif->txq[nif->txq_head]);

		if (rc == NC_EAGAIN)
			return;
		if (rc != NC_OK)
			nif->counters.tx_dropped++;
		txq_pop(nif);
	}
}

/* lwIP's linkoutput: called with the core lock held. */
static err_t link_output(struct netif *netif, struct pbuf *p)
{
	struct nc_lwip_netif *nif = netif->state;
	int rc;

	LWIP_ASSERT_CORE_LOCKED();
	if (nif->txq_len)
		return defer_frame(nif, p);   /* keep the order */
	rc = write_frame(nif, p);
	if (rc == NC_OK)
		return ERR_OK;
	if (rc == NC_EAGAIN)
		return defer_frame(nif, p);
	nif->counters.tx_dropped++;
	return rc == NC_EMSGSIZE ? ERR_VAL : ERR_IF;
}

/* ------------------------------------------------------------------ link */

/* Without scatter-gather a frame must fit in one page. */
static u16_t usable_mtu(const struct nc_front *f)
{
	unsigned mtu = f->mtu;
	unsigned max = f->feat.sg ? 0xffffu - ETH_HDR_LEN
				  : NC_PAGE_SIZE - ETH_HDR_LEN;

	return (u16_t)(mtu < max ? mtu : max);
}

static void set_link_up(struct nc_lwip_netif *nif)
{
	nif->link_up = 1;
	nif->counters.link_ups++;
	nif->netif.mtu = usable_mtu(nif->front);
#if LWIP_IPV6 && LWIP_ND6_ALLOW_RA_UPDATES
	nif->netif.mtu6 = nif->netif.mtu;
#endif
	netif_set_link_up(&nif->netif);
}

static void set_link_down(struct nc_lwip_netif *nif)
{
	nif->link_up = 0;
	nif->counters.link_downs++;
	txq_drop_all(nif);
	netif_set_link_down(&nif->netif);
}

/* The link is up exactly while the frontend's data path runs. */
static void follow_front_state(struct nc_lwip_netif *nif)
{
	int connected = nc_front_state(nif->front) == NC_FRONT_CONNECTED;

	if (connected && !nif->link_up)
		set_link_up(nif);
	else if (!connected && nif->link_up)
		set_link_down(nif);
}

/* --------------------------------------------------------------- receive */

/* What a NIC's filter lets through: broadcast, multicast, our MAC. */
static int frame_is_for_us(const struct nc_lwip_netif *nif,
			   const uint8_t *frame)
{
	return (frame[0] & 1u) ||
	       memcmp(frame, nif->netif.hwaddr, ETH_HWADDR_LEN) == 0;
}

static void count_rx_drop(struct nc_lwip_netif *nif)
{
	nif->counters.rx_dropped++;
}

/* One contiguous pbuf holding the frame, its partial checksum (if the
 * backend left it blank) completed so lwIP's checks pass. */
static struct pbuf *frame_to_pbuf(struct nc_lwip_netif *nif,
				  const struct nc_frame *frame)
{
	struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)frame->len, PBUF_RAM);

	if (!p)
		return NULL;
	memcpy(p->payload, frame->data, frame->len);
	if ((frame->flags & NC_FRAME_CSUM_BLANK) &&
	    nc_csum_complete_frame(p->payload, frame->len) == 0)
		nif->counters.rx_csum_completed++;
	return p;
}

void nc_lwip_netif_rx(void *arg, const struct nc_frame *frame)
{
	struct nc_lwip_netif *nif = arg;
	struct pbuf *p;

	LWIP_ASSERT_CORE_LOCKED();
	if (!nif->added || frame->len < ETH_HDR_LEN || frame->len > 0xffffu) {
		count_rx_drop(nif);
		return;
	}
	if (!frame_is_for_us(nif, frame->data)) {
		nif->counters.rx_filtered++;
		return;
	}
	/* The handshake may complete in the poll that delivers this. */
	follow_front_state(nif);
	p = frame_to_pbuf(nif, frame);
	if (!p) {
		count_rx_drop(nif);
		return;
	}
	nif->counters.rx_frames++;
	nif->counters.rx_bytes += frame->len;
	/* netif.input is ethernet_input: we hold the core lock. */
	if (nif->netif.input(p, &nif->netif) != ERR_OK) {
		pbuf_free(p);
		count_rx_drop(nif);
	}
}

/* ------------------------------------------------------------- the netif */

static err_t netif_setup(struct netif *netif)
{
	struct nc_lwip_netif *nif = netif->state;

	netif->name[0] = 'n';
	netif->name[1] = 'c';
	netif->output = etharp_output;
#if LWIP_IPV6
	netif->output_ip6 = ethip6_output;
#endif
	netif->linkoutput = link_output;
	netif->mtu = usable_mtu(nif->front);
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, nif->front->mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP |
		       NETIF_FLAG_MLD6;
	return ERR_OK;
}

int nc_lwip_netif_add(struct nc_lwip_netif *nif, struct nc_front *front)
{
	LWIP_ASSERT_CORE_LOCKED();
	memset(nif, 0, sizeof(*nif));
	nif->front = front;
	if (!netif_add_noaddr(&nif->netif, nif, netif_setup, ethernet_input))
		return -1;
	nif->added = 1;
	netif_set_up(&nif->netif);
	follow_front_state(nif);
	return 0;
}

int nc_lwip_netif_poll(struct nc_lwip_netif *nif)
{
	int rc;

	LWIP_ASSERT_CORE_LOCKED();
	rc = nc_front_poll(nif->front);
	if (nif->added) {
		follow_front_state(nif);
		txq_flush(nif);
	}
	return rc;
}

unsigned nc_lwip_netif_tx_pending(const struct nc_lwip_netif *nif)
{
	return nif->txq_len;
}

void nc_lwip_netif_remove(struct nc_lwip_netif *nif)
{
	LWIP_ASSERT_CORE_LOCKED();
	if (!nif->added)
		return;
	if (nif->link_up)
		set_link_down(nif);
	txq_drop_all(nif);
	netif_set_down(&nif->netif);
	netif_remove(&nif->netif);
	nif->added = 0;
}

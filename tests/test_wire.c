/*
 * test_wire.c - the wire format is Xen's, and has the sizes and offsets
 * PROTOCOL.md states.  Most checks are static: a wrong include or a
 * packing mistake fails the build, not just the test.
 */
#include <errno.h>
#include <stddef.h>

#include "harness.h"
#include "netchannel/errors.h"
#include "netchannel/wire.h"

#define SA(c) _Static_assert(c, #c)

SA(sizeof(netif_tx_request_t) == 12);
SA(offsetof(netif_tx_request_t, gref) == 0);
SA(offsetof(netif_tx_request_t, offset) == 4);
SA(offsetof(netif_tx_request_t, flags) == 6);
SA(offsetof(netif_tx_request_t, id) == 8);
SA(offsetof(netif_tx_request_t, size) == 10);
SA(sizeof(netif_tx_response_t) == 4);
SA(sizeof(union netif_tx_sring_entry) == 12);
SA(sizeof(netif_rx_request_t) == 8);
SA(offsetof(netif_rx_request_t, id) == 0);
SA(offsetof(netif_rx_request_t, gref) == 4);
SA(sizeof(netif_rx_response_t) == 8);
SA(offsetof(netif_rx_response_t, id) == 0);
SA(offsetof(netif_rx_response_t, offset) == 2);
SA(offsetof(netif_rx_response_t, flags) == 4);
SA(offsetof(netif_rx_response_t, status) == 6);
SA(sizeof(netif_extra_info_t) == 8);
SA(offsetof(netif_extra_info_t, type) == 0);
SA(offsetof(netif_extra_info_t, flags) == 1);
SA(offsetof(netif_extra_info_t, u.gso.size) == 2);
SA(offsetof(netif_extra_info_t, u.gso.type) == 4);
SA(offsetof(netif_extra_info_t, u.gso.features) == 6);
SA(offsetof(netif_extra_info_t, u.mcast.addr) == 2);
SA(sizeof(grant_entry_v1_t) == 8);
SA(offsetof(grant_entry_v1_t, flags) == 0);
SA(offsetof(grant_entry_v1_t, domid) == 2);
SA(offsetof(grant_entry_v1_t, frame) == 4);
SA(offsetof(struct netif_tx_sring, req_prod) == 0);
SA(offsetof(struct netif_tx_sring, req_event) == 4);
SA(offsetof(struct netif_tx_sring, rsp_prod) == 8);
SA(offsetof(struct netif_tx_sring, rsp_event) == 12);
SA(offsetof(struct netif_tx_sring, ring) == 64);
SA(offsetof(struct netif_rx_sring, ring) == 64);
SA(NC_TX_RING_SIZE == 256);
SA(NC_RX_RING_SIZE == 256);
SA(NC_CTRL_RING_SIZE == 128);
SA(NETTXF_csum_blank == 1 && NETTXF_data_validated == 2);
SA(NETTXF_more_data == 4 && NETTXF_extra_info == 8);
SA(NETRXF_data_validated == 1 && NETRXF_csum_blank == 2);
SA(NETRXF_more_data == 4 && NETRXF_extra_info == 8);
SA(NETRXF_gso_prefix == 16);
SA(XEN_NETIF_EXTRA_TYPE_GSO == 1 && XEN_NETIF_EXTRA_TYPE_MCAST_ADD == 2);
SA(XEN_NETIF_EXTRA_TYPE_MCAST_DEL == 3 && XEN_NETIF_EXTRA_TYPE_HASH == 4);
SA(XEN_NETIF_EXTRA_FLAG_MORE == 1);
SA(XEN_NETIF_GSO_TYPE_TCPV4 == 1 && XEN_NETIF_GSO_TYPE_TCPV6 == 2);
SA(NETIF_RSP_DROPPED == -2 && NETIF_RSP_ERROR == -1);
SA(NETIF_RSP_OKAY == 0 && NETIF_RSP_NULL == 1);
SA(XEN_NETIF_NR_SLOTS_MIN == 18 && XEN_NETIF_MAX_TX_SIZE == 0xFFFF);
SA(XenbusStateInitialising == 1 && XenbusStateInitWait == 2);
SA(XenbusStateInitialised == 3 && XenbusStateConnected == 4);
SA(XenbusStateClosing == 5 && XenbusStateClosed == 6);
SA(XenbusStateReconfiguring == 7 && XenbusStateReconfigured == 8);

static void test_static_layout(struct tap *t)
{
	/* The assertions above ran at compile time; restate two at run time
	 * so the case also shows in the report. */
	CHECK_EQ(t, sizeof(netif_tx_request_t), 12);
	CHECK_EQ(t, sizeof(netif_rx_response_t), 8);
}

static void test_rx_status_is_signed(struct tap *t)
{
	/* mirage-net-xen lesson: a negative status is an error, not a size */
	netif_rx_response_t r = { .status = NETIF_RSP_ERROR };

	CHECK(t, r.status < 0);
}

static void test_error_codes_match_errno(struct tap *t)
{
	CHECK_EQ(t, NC_EAGAIN, -EAGAIN);
	CHECK_EQ(t, NC_EINVAL, -EINVAL);
	CHECK_EQ(t, NC_EBUSY, -EBUSY);
	CHECK_EQ(t, NC_EPROTO, -EPROTO);
	CHECK_EQ(t, NC_ENOENT, -ENOENT);
	CHECK_EQ(t, NC_EACCES, -EACCES);
	CHECK_EQ(t, NC_EMSGSIZE, -EMSGSIZE);
	CHECK_EQ(t, NC_ESHUTDOWN, -ESHUTDOWN);
	CHECK_EQ(t, NC_ENOTCONN, -ENOTCONN);
	CHECK_EQ(t, NC_E2BIG, -E2BIG);
	CHECK(t, strcmp(nc_strerror(NC_EBUSY), "unknown error") != 0);
}

int main(void)
{
	struct tap t;

	tap_init(&t);
	tap_run(&t, "wire layout matches PROTOCOL.md", test_static_layout);
	tap_run(&t, "rx status is signed", test_rx_status_is_signed);
	tap_run(&t, "error codes equal -errno", test_error_codes_match_errno);
	return tap_done(&t);
}

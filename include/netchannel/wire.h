/*
 * netchannel/wire.h - the Xen netif wire format, from Xen's own headers.
 *
 * We never retype a Xen structure: this header includes the public headers
 * that Debian ships in libxen-dev and only supplies what ring.h asks its
 * includer for, the three memory barriers, as C11 fences.
 *
 *   xen_rmb: orders the read of a producer index before reads of slots;
 *   xen_wmb: orders writes of slots before the write of a producer index;
 *   xen_mb:  a full barrier, used between publishing an index and reading
 *            the peer's event index (and the "final check").
 *
 * Include this header instead of <xen/io/netif.h> everywhere.
 */
#ifndef NETCHANNEL_WIRE_H
#define NETCHANNEL_WIRE_H

#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define xen_mb() atomic_thread_fence(memory_order_seq_cst)
#define xen_rmb() atomic_thread_fence(memory_order_acquire)
#define xen_wmb() atomic_thread_fence(memory_order_release)

#include <xen/grant_table.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

/* The page size of the protocol: grants, fragments and rings. */
#define NC_PAGE_SIZE 4096u

/* Ring sizes that fit one page (PROTOCOL.md): 256, 256 and 128 slots. */
#define NC_TX_RING_SIZE __CONST_RING_SIZE(netif_tx, NC_PAGE_SIZE)
#define NC_RX_RING_SIZE __CONST_RING_SIZE(netif_rx, NC_PAGE_SIZE)
#define NC_CTRL_RING_SIZE __CONST_RING_SIZE(xen_netif_ctrl, NC_PAGE_SIZE)

/* The largest frame a netif carries, and the slots a backend must accept. */
#define NC_MAX_FRAME XEN_NETIF_MAX_TX_SIZE
#define NC_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN

typedef uint16_t nc_domid_t;
typedef uint32_t nc_gref_t;
typedef uint32_t nc_port_t;

#endif

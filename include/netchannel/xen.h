/*
 * netchannel/xen.h - the Xen platform: a process in a Xen domain (dom0 or
 * a domU) gets the three platform tables over the real hypervisor.
 * Link with -lxengnttab -lxenevtchn -lxenstore (Debian: libxen-dev;
 * pkg-config xengnttab xenevtchn xenstore).
 *
 *   store:  libxenstore's default connection (netchannel/xs_store.h,
 *           nc_xs_store_open(NULL, ...)): the xenstored socket in dom0,
 *           /dev/xen/xenbus elsewhere.  As there, $XENSTORED_PATH, when
 *           set, names the store instead.
 *   grants: share/unshare through gntalloc (libxengnttab's xengntshr_*),
 *           map/unmap and grant copy through gntdev (xengnttab_*);
 *   events: /dev/xen/evtchn through libxenevtchn.
 *
 * The kernel modules xen-gntdev, xen-gntalloc and xen-evtchn must be
 * loaded (/dev/xen/{gntdev,gntalloc,evtchn}); nc_xen_open() fails
 * otherwise.
 *
 * How the contract of netchannel/platform.h maps onto Xen:
 *   - share() gives pages gntalloc allocated (zeroed by the kernel, and
 *     zeroed again here); refs are real grant references of this domain.
 *     gntalloc's module parameter `limit` (default 1024) caps the pages
 *     shared by all processes of the domain: share() answers NULL beyond.
 *   - unshare() NEVER answers NC_EBUSY on Xen: userspace cannot learn
 *     whether the peer still maps a page.  The grants are ended when our
 *     mapping goes; a grant still mapped by the peer is ended later by the
 *     kernel, which keeps such a page allocated until the peer unmaps it
 *     (gnttab_end_foreign_access defers the free).  gntalloc never hands
 *     that page out again meanwhile, so the XSA-396 property holds: no
 *     page a peer may still hold is reused.  unshare() of an address
 *     share() did not return (with that npages) is NC_ENOENT and touches
 *     nothing.
 *   - map() maps with PROT_READ, plus PROT_WRITE when writable; Xen
 *     refuses a writable mapping of a read-only grant (NULL).  unmap() of
 *     an address map() did not return (with that n) is NC_EINVAL.
 *   - copy() issues GNTTABOP_copy through gntdev, at most
 *     NC_XEN_COPY_BATCH segments per call.  A segment with neither flag
 *     (local to local) is copied in this process (gntdev refuses those);
 *     a segment crossing a page on a granted side fails NC_EINVAL without
 *     reaching the kernel.  Xen's refusals (not our grant, a read-only
 *     grant as destination, no such domain or ref ...) are NC_EPERM,
 *     GNTST_eagain NC_EAGAIN.  When the kernel rejects a whole call (a bad
 *     local address: EFAULT) every segment of that batch is failed.
 *   - events: pending() never blocks (the fd is set O_NONBLOCK, and is
 *     polled before each read, for kernels whose evtchn ignored the flag),
 *     consumes one event and unmasks the port before returning it.  It may
 *     return a port this handle has just unbound (an event queued before):
 *     callers ignore ports they do not know.  Xen cannot tell that the
 *     peer closed a channel: pending() never returns 2, and notify() on a
 *     channel whose peer went away succeeds (the hypervisor drops the
 *     event).  notify() and unbind() on a port this handle does not hold
 *     answer NC_EBADF.
 *   - fd() is the evtchn fd: readable while an event is queued.
 *
 * A handle is used by one thread at a time (the evtchn fd must be polled
 * and read by one thread); separate handles are independent.  After
 * fork() the child must neither use nor close its parent's handles (it
 * opens its own; gntdev's mappings are not even inherited).
 */
#ifndef NETCHANNEL_XEN_H
#define NETCHANNEL_XEN_H

#include "netchannel/platform.h"

struct nc_xen_handle;

/* nc_xen_open's `self_or_auto`: read this domain's id from the store.
 * (Xen's DOMID_SELF: no real domain has this id.) */
#define NC_XEN_DOMID_AUTO ((nc_domid_t)0x7FF0)

/* Segments per grant-copy call to the kernel. */
#define NC_XEN_COPY_BATCH 64u

/* 1 when this machine looks like a Xen domain with the userspace devices
 * (/dev/xen/gntdev or /dev/xen/evtchn exists), else 0.  It does not say
 * that nc_xen_open() will succeed (a module may be missing, or access
 * refused). */
int nc_xen_available(void);

/* Open the grant, event and store connections and fill *plat.
 * `self_or_auto`: this domain's id, or NC_XEN_DOMID_AUTO to read it from
 * the store (the "domid" node of the domain's home directory, a relative
 * path; when it is absent and /proc/xen/capabilities says "control_d",
 * this is dom0: 0).
 * NULL with errno set on failure: ENOENT when a device under /dev/xen is
 * missing (no Xen, or a module not loaded), EACCES, EINVAL (NULL plat),
 * ENOMEM, or the store's error (EIO: no xenstored). */
struct nc_xen_handle *nc_xen_open(nc_domid_t self_or_auto,
				  struct nc_platform *plat);

/* Unmap every mapping and unshare every share still held (as unshare()
 * does: pages a peer still maps live on in the kernel until it unmaps),
 * close the event channels (the kernel unbinds every port) and the store.
 * NULL is ignored. */
void nc_xen_close(struct nc_xen_handle *h);

#endif

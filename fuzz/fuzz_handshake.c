/*
 * fuzz_handshake.c - libFuzzer harness: the frontend's and the backend's
 * xenstore handshakes against fuzzed store contents.
 *
 * The world (the in-process platform, a toolstack handle, a frontend
 * handle of domain 1 and a backend handle of domain 0) is set up once and
 * reused.  Each input creates the vif as a toolstack would, then runs a
 * list of commands: write one of the keys either end or the toolstack
 * writes (state, tx-ring-ref, rx-ring-ref, event-channel, backend,
 * backend-id, frontend, frontend-id, mac, mtu, trusted, feature-*, ...)
 * with a fuzzed or dictionary value (numbers at and past every bound,
 * malformed numbers, paths, the rings' real grant references swapped
 * around), as the toolstack, the key's owner or the other end; remove keys
 * or whole directories; start a real nc_back / nc_front (in any order);
 * poll either; send and queue frames; close.  Afterwards both ends are
 * pumped, then torn down, and the harness checks:
 *
 *   - no crash, no sanitizer report, no hang (libFuzzer's -timeout);
 *   - each end is in a state of its enum;
 *   - after nc_back_close and nc_front_destroy nothing is left: no port or
 *     mapping of either domain, no grant but the pages the frontend
 *     quarantined (XSA-396) when the store said the backend was gone
 *     while it still mapped them, no watch still registered, no transaction left
 *     open, and no store node beyond those of the empty world.
 *
 * Input: [0] bit 0: start the backend first, bit 1: start the frontend
 * first (before any command); then commands [op key val len] + len raw
 * bytes when val == 0xff (see fhs_command).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel/back.h"
#include "netchannel/front.h"
#include "netchannel/inproc.h"
#include "netchannel/toolstack.h"
#include "platform/inproc_internal.h"
#include "store/store.h"

#ifndef FHS_ENTRY
#define FHS_ENTRY LLVMFuzzerTestOneInput
#endif
int FHS_ENTRY(const uint8_t *data, size_t size);

#define FHS_FE 1
#define FHS_BE 0
#define FHS_MAX_COMMANDS 256u

#define FHS_REQUIRE(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "fuzz_handshake: invariant failed: "\
				"%s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                            \
		}                                                           \
	} while (0)

struct fhs_world {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *th, *fh, *bh;
	struct nc_platform tool, fplat, bplat;
	struct nc_front *f;
	struct nc_back *b;
	uint8_t *rxq;
	struct nc_front_config fcfg;
	struct nc_back_config bcfg;
	char fe_path[64], be_path[64];
	int front_on, back_on;
	unsigned nodes;          /* store nodes of the empty world */
};

static struct fhs_world *fhs_w;

static const char *const fhs_keys[] = {
	"state", "tx-ring-ref", "rx-ring-ref", "event-channel",
	"event-channel-tx", "event-channel-rx", "request-rx-copy",
	"feature-rx-notify", "feature-sg", "feature-gso-tcpv4",
	"feature-gso-tcpv6", "feature-no-csum-offload",
	"feature-ipv6-csum-offload", "feature-rx-copy", "feature-rx-flip",
	"feature-split-event-channels", "multi-queue-max-queues",
	"multi-queue-num-queues", "feature-ctrl-ring", "ctrl-ring-ref",
	"event-channel-ctrl", "backend", "backend-id", "frontend",
	"frontend-id", "mac", "mtu", "trusted", "handle", "online",
	"feature-multicast-control", "queue-0/tx-ring-ref",
	/* multi-queue: both ends run with 2 queues (fhs_setup) */
	"queue-0/rx-ring-ref", "queue-0/event-channel", "queue-1/tx-ring-ref",
	"queue-1/rx-ring-ref", "queue-1/event-channel-tx",
	"queue-1/event-channel-rx", "queue-1",
};
#define FHS_NKEYS (sizeof(fhs_keys) / sizeof(fhs_keys[0]))

static const char *const fhs_values[] = {
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "",
	"4294967295", "4294967296", "131071", "131072", "-1", "01", " 1",
	"1 ", "0x10", "65535", "65536", "32751", "32752", "67", "68",
	"99999999999999999999", "00:16:3e:00:00:01", "00:16:3e:00:00:0",
	"zz:16:3e:00:00:01", "00-16-3e-00-00-01", "00:16:3e:00:00:01:",
	"/local/domain/0/backend/vif/1/0", "/local/domain/1/device/vif/0",
	"local/domain/0/backend/vif/1/0", "/",
	"/local/domain/0/backend/vif/1/0/state", "/local/domain/2/device/vif/0",
	"/local/domain/0/backend/vif/1/0/"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"8", "1023", "1024", "2047", "2048",
};
#define FHS_NVALUES (sizeof(fhs_values) / sizeof(fhs_values[0]))

static void fhs_deliver(void *arg, const struct nc_frame *fr)
{
	(void)arg;
	FHS_REQUIRE(fr->len >= 1 && fr->len <= NC_MAX_FRAME);
}

static void fhs_rx(void *arg, const struct nc_frame *fr)
{
	(void)arg;
	FHS_REQUIRE(fr->len >= 1 && fr->len <= NC_MAX_FRAME);
}

static struct fhs_world *fhs_world(void)
{
	struct fhs_world *e;

	if (fhs_w)
		return fhs_w;
	e = calloc(1, sizeof(*e));
	FHS_REQUIRE(e != NULL);
	e->w = nc_inproc_world_new();
	FHS_REQUIRE(e->w != NULL);
	e->th = nc_inproc_open(e->w, 0, &e->tool);
	e->fh = nc_inproc_open(e->w, FHS_FE, &e->fplat);
	e->bh = nc_inproc_open(e->w, FHS_BE, &e->bplat);
	e->f = calloc(1, sizeof(*e->f));
	e->b = calloc(1, sizeof(*e->b));
	e->rxq = malloc(1u << 20);
	FHS_REQUIRE(e->th && e->fh && e->bh && e->f && e->b && e->rxq);
	nc_vif_paths(FHS_FE, FHS_BE, 0, e->fe_path, e->be_path);
	e->fcfg.path = "device/vif/0";
	e->fcfg.poison = 1;
	e->fcfg.pool_pages = 4;
	e->fcfg.rx = fhs_rx;
	e->fcfg.queues = 2;
	e->bcfg.max_queues = 2;
	e->bcfg.path = e->be_path;
	e->bcfg.deliver = fhs_deliver;
	fhs_w = e;
	return e;
}

static void fhs_world_free(struct fhs_world *e)
{
	nc_inproc_close(e->th);
	nc_inproc_close(e->fh);
	nc_inproc_close(e->bh);
	nc_inproc_world_free(e->w);
	free(e->f);
	free(e->b);
	free(e->rxq);
	free(e);
	fhs_w = NULL;
}

static void fhs_start_back(struct fhs_world *e)
{
	if (!e->back_on)
		e->back_on = nc_back_init(e->b, &e->bplat, &e->bcfg,
					  e->rxq) == NC_OK;
}

static void fhs_start_front(struct fhs_world *e)
{
	if (!e->front_on)
		e->front_on = nc_front_init(e->f, &e->fplat, &e->fcfg) ==
			      NC_OK;
}

/* The value a command writes: a dictionary entry, a real reference of
 * the running frontend (or its neighbour), or raw bytes. */
static const char *fhs_value(struct fhs_world *e, uint8_t sel,
			     const uint8_t *raw, size_t rawlen, char *buf,
			     size_t buflen)
{
	struct nc_front *f = e->f;
	size_t i, n = 0;

	if (sel == 0xff) {
		for (i = 0; i < rawlen && n + 1 < buflen; i++)
			if (raw[i])
				buf[n++] = (char)raw[i];
		buf[n] = '\0';
		return buf;
	}
	if (sel < FHS_NVALUES)
		return fhs_values[sel];
	switch (sel % 8) {
	case 0:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].tx_ref);
		break;
	case 1:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].rx_ref);
		break;
	case 2:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].port);
		break;
	case 3:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].pool.refs[0]);
		break;
	case 4:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].rx_refs[sel % 3]);
		break;
	case 5:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].tx_ref + 1);
		break;
	case 6:
		snprintf(buf, buflen, "%u", (unsigned)f->q[0].port + 1);
		break;
	default:
		snprintf(buf, buflen, "%u", (unsigned)sel);
		break;
	}
	return buf;
}

/* Who writes: the toolstack, the directory's own end, or the other. */
static struct nc_platform *fhs_writer(struct fhs_world *e, uint8_t op,
				      int fe_dir)
{
	switch ((op >> 4) & 3) {
	case 1:
		return fe_dir ? &e->fplat : &e->bplat;
	case 2:
		return fe_dir ? &e->bplat : &e->fplat;
	default:
		return &e->tool;
	}
}

static void fhs_poll_front(struct fhs_world *e)
{
	if (e->front_on)
		nc_front_poll(e->f);
}

static void fhs_poll_back(struct fhs_world *e)
{
	if (e->back_on)
		nc_back_poll(e->b);
}

static void fhs_send(struct fhs_world *e, uint8_t key)
{
	static uint8_t frame[9000];
	struct nc_iov iov = { frame, 14u + key * 33u };
	struct nc_frame fr = { .data = frame, .len = 14u + key * 33u };

	if (e->front_on)
		nc_front_send(e->f, &iov, 1, 0);
	if (e->back_on)
		nc_back_queue(e->b, &fr);
}

/* One command; returns the bytes it used. */
static size_t fhs_command(struct fhs_world *e, const uint8_t *c, size_t left)
{
	char path[200], buf[300];
	size_t used = 4, rawlen = 0;
	int fe_dir = !(c[0] & 1);
	const char *dir = fe_dir ? e->fe_path : e->be_path;
	const char *key = fhs_keys[c[1] % FHS_NKEYS];
	struct nc_platform *p = fhs_writer(e, c[0], fe_dir);
	const char *v;

	if (c[2] == 0xff) {
		rawlen = c[3] % 96u;
		if (rawlen > left - 4)
			rawlen = left - 4;
		used += rawlen;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, key);
	switch ((c[0] >> 1) & 7) {
	case 0:         /* write a key of either directory */
		v = fhs_value(e, c[2], c + 4, rawlen, buf, sizeof(buf));
		p->store.ops->write(p->store.ctx, NC_TXN_NONE, path, v);
		break;
	case 1:         /* remove a key */
		p->store.ops->rm(p->store.ctx, NC_TXN_NONE, path);
		break;
	case 2:
		if (c[1] & 1)
			fhs_poll_front(e);
		else
			fhs_poll_back(e);
		break;
	case 3:
		fhs_poll_front(e);
		fhs_poll_back(e);
		break;
	case 4:         /* start whichever end is not running yet */
		if (!e->back_on && !(c[1] & 1))
			fhs_start_back(e);
		else if (!e->front_on)
			fhs_start_front(e);
		else
			fhs_start_back(e);
		break;
	case 5:         /* the toolstack removes a whole directory */
		e->tool.store.ops->rm(e->tool.store.ctx, NC_TXN_NONE, dir);
		break;
	case 6:
		fhs_send(e, c[1]);
		break;
	default:        /* an end gives up */
		if (c[1] & 1) {
			if (e->front_on)
				nc_front_close(e->f);
		} else if (e->back_on) {
			nc_back_disable(e->b, (enum nc_reason)(c[2] %
							      NC_R_MAX));
		}
		break;
	}
	return used;
}

/* Watch events left for a handle after everything is torn down. */
static unsigned fhs_stray_watches(struct nc_platform *p)
{
	char path[NC_STORE_MAX_PATH], token[64];
	unsigned n = 0;

	while (p->store.ops->read_watch(p->store.ctx, path, sizeof(path),
					token, sizeof(token)) != 0)
		n++;
	return n;
}

static void fhs_teardown(struct fhs_world *e)
{
	struct nc_inproc_counts c;
	unsigned quarantined = 0;
	nc_port_t port;

	/* The backend first: it unmaps, so the frontend can revoke all.
	 * Pages it revoked earlier, while the backend still mapped them (a
	 * backend state that said "gone" too early), stay quarantined:
	 * never reused (XSA-396), and exactly those grants remain. */
	if (e->back_on)
		nc_back_close(e->b);
	if (e->front_on) {
		nc_front_destroy(e->f);
		FHS_REQUIRE(nc_front_state(e->f) == NC_FRONT_STOPPED);
		quarantined = e->f->quarantined_pages;
	}
	nc_inproc_counts(e->w, FHS_FE, &c);
	FHS_REQUIRE(c.grants == quarantined && c.ports == 0 &&
		    c.mappings == 0);
	nc_inproc_counts(e->w, FHS_BE, &c);
	FHS_REQUIRE(c.grants == 0 && c.ports == 0 && c.mappings == 0);
	nc_vif_del(&e->tool.store, FHS_FE, FHS_BE, 0);
	/* Nothing left in the store either: no watch still registered, no
	 * transaction left open, no node beyond the empty tree's. */
	FHS_REQUIRE(ncs_watch_count(e->w->store) == 0);
	FHS_REQUIRE(ncs_txn_count(e->w->store) == 0);
	if (!e->nodes)
		e->nodes = ncs_node_count(e->w->store);
	FHS_REQUIRE(ncs_node_count(e->w->store) == e->nodes);
	fhs_stray_watches(&e->fplat);
	fhs_stray_watches(&e->bplat);
	while (e->fplat.events.ops->pending(e->fplat.events.ctx, &port) > 0)
		;
	while (e->bplat.events.ops->pending(e->bplat.events.ctx, &port) > 0)
		;
	e->front_on = e->back_on = 0;
	if (quarantined) {
		/* Quarantined pages are never freed: start a new world so
		 * that a long run does not pile them (and their fds) up. */
		fhs_world_free(e);
	}
}

int FHS_ENTRY(const uint8_t *data, size_t size)
{
	struct fhs_world *e = fhs_world();
	struct nc_vif_spec spec = {
		.fe_domid = FHS_FE, .be_domid = FHS_BE, .handle = 0,
		.mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 },
	};
	size_t pos = 1;
	unsigned n = 0, i;

	if (size == 0)
		return 0;
	spec.untrusted = (data[0] >> 2) & 1;
	FHS_REQUIRE(nc_vif_add(&e->tool.store, &spec) == NC_OK);
	if (data[0] & 1)
		fhs_start_back(e);
	if (data[0] & 2)
		fhs_start_front(e);
	while (pos + 4 <= size && n++ < FHS_MAX_COMMANDS)
		pos += fhs_command(e, data + pos, size - pos);
	for (i = 0; i < 8; i++) {
		fhs_poll_front(e);
		fhs_poll_back(e);
	}
	if (e->front_on)
		FHS_REQUIRE((unsigned)nc_front_state(e->f) <=
			    NC_FRONT_STOPPED);
	if (e->back_on)
		FHS_REQUIRE((unsigned)nc_back_state(e->b) <= NC_BACK_STOPPED);
	fhs_teardown(e);
	return 0;
}

/*
 * rig.h - a frontend (domain 1) and a backend (domain 0) on the in-process
 * platform, with a toolstack connection that created their vif.
 */
#ifndef NETCHANNEL_TEST_RIG_H
#define NETCHANNEL_TEST_RIG_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netchannel/back.h"
#include "netchannel/front.h"
#include "netchannel/inproc.h"
#include "netchannel/toolstack.h"

#define RIG_FE 1
#define RIG_BE 0

struct rig {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *th, *fh, *bh;
	struct nc_platform tool, fplat, bplat;
	struct nc_front *f;
	struct nc_back *b;
	uint8_t *rxq;
	char fe_path[64], be_path[64];
	struct nc_front_config fcfg;
	struct nc_back_config bcfg;
};

static inline int rig_vif(struct rig *r, int untrusted)
{
	struct nc_vif_spec spec = {
		.fe_domid = RIG_FE, .be_domid = RIG_BE, .handle = 0,
		.mac = { 0x00, 0x16, 0x3e, 0x12, 0x34, 0x56 },
		.untrusted = untrusted,
	};

	nc_vif_paths(RIG_FE, RIG_BE, 0, r->fe_path, r->be_path);
	return nc_vif_add(&r->tool.store, &spec);
}

/* The world and the vif; the caller fills fcfg/bcfg then rig_start. */
static inline int rig_init(struct rig *r, int untrusted)
{
	memset(r, 0, sizeof(*r));
	r->w = nc_inproc_world_new();
	r->th = nc_inproc_open(r->w, 0, &r->tool);
	r->fh = nc_inproc_open(r->w, RIG_FE, &r->fplat);
	r->bh = nc_inproc_open(r->w, RIG_BE, &r->bplat);
	r->f = calloc(1, sizeof(*r->f));
	r->b = calloc(1, sizeof(*r->b));
	r->rxq = malloc(1u << 20);
	if (!r->w || !r->th || !r->fh || !r->bh || !r->f || !r->b || !r->rxq)
		return -1;
	r->fcfg.path = "device/vif/0";
	r->fcfg.poison = 1;
	r->bcfg.path = r->be_path;
	return rig_vif(r, untrusted);
}

static inline int rig_start_back(struct rig *r)
{
	return nc_back_init(r->b, &r->bplat, &r->bcfg, r->rxq);
}

static inline int rig_start(struct rig *r)
{
	int rc = rig_start_back(r);

	return rc ? rc : nc_front_init(r->f, &r->fplat, &r->fcfg);
}

/* Run both ends' work `rounds` times. */
static inline void rig_pump(struct rig *r, unsigned rounds)
{
	while (rounds--) {
		if (r->fh)
			nc_front_poll(r->f);
		if (r->bh)
			nc_back_poll(r->b);
	}
}

/* Pump until both ends are connected, or give up. */
static inline int rig_connect(struct rig *r)
{
	unsigned i;

	for (i = 0; i < 100; i++) {
		rig_pump(r, 1);
		if (nc_front_state(r->f) == NC_FRONT_CONNECTED &&
		    nc_back_state(r->b) == NC_BACK_CONNECTED)
			return 0;
	}
	return -1;
}

/* The toolstack's connection: write, remove or read dir/key ("" when
 * absent). */
static inline int rig_write_key(struct rig *r, const char *dir,
				const char *key, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return r->tool.store.ops->write(r->tool.store.ctx, NC_TXN_NONE, path,
					val);
}

static inline int rig_rm_key(struct rig *r, const char *dir, const char *key)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	return r->tool.store.ops->rm(r->tool.store.ctx, NC_TXN_NONE, path);
}

static inline const char *rig_read_key(struct rig *r, const char *dir,
				       const char *key, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (r->tool.store.ops->read(r->tool.store.ctx, NC_TXN_NONE, path, buf,
				    len) < 0)
		buf[0] = '\0';
	return buf;
}

/* A log callback that counts lines and keeps the last. */
struct rig_logs {
	unsigned lines;
	char last[160];
};

static inline void rig_count_log(void *arg, const char *what, long value)
{
	struct rig_logs *l = arg;

	(void)value;
	l->lines++;
	snprintf(l->last, sizeof(l->last), "%s", what);
}

static inline void rig_free(struct rig *r)
{
	unsigned i;

	if (r->fh) {
		nc_front_close(r->f);
		for (i = 0; i < 10 && nc_front_state(r->f) != NC_FRONT_STOPPED;
		     i++)
			rig_pump(r, 1);
		nc_front_destroy(r->f);
	}
	if (r->bh)
		nc_back_close(r->b);
	nc_inproc_close(r->fh);
	nc_inproc_close(r->bh);
	nc_inproc_close(r->th);
	nc_inproc_world_free(r->w);
	free(r->f);
	free(r->b);
	free(r->rxq);
}

#endif

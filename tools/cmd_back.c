/*
 * cmd_back.c - `netchannel back`: the backend daemon.  It watches the
 * store for vifs assigned to its domain and serves each with its own
 * platform connection and struct nc_back, so a broken frontend disables
 * only its own vif.  Each vif is bridged to a TAP device, to the built-in
 * learning switch, or to nothing, and optionally to a pcap file.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "bridge/l2switch.h"
#include "bridge/pcapw.h"
#include "bridge/tap.h"
#include "netchannel.h"
#include "netchannel/back.h"
#include "plat_conn.h"
#include "queues.h"
#include "vif_stats.h"

#define MAX_VIFS 64
#define RXQ_BYTES (1u << 20)
#define WATCH_VIFS "nc-backd-vifs"

enum bridge_kind { BR_NONE, BR_TAP, BR_SWITCH };

struct backd;

/* What an epoll event belongs to. */
struct source {
	int kind;                 /* SRC_* */
	struct vif *vif;
};
enum { SRC_SIGNAL, SRC_CTL_STORE, SRC_VIF_EVENTS, SRC_VIF_STORE, SRC_TAP };

struct vif {
	struct backd *d;
	int used;
	nc_domid_t fe;
	unsigned handle;
	char name[32];
	char path[128];
	struct tool_plat *tp;
	struct nc_platform plat;
	struct nc_back *b;
	uint8_t *rxq;
	enum bridge_kind bridge;
	int tapfd;
	int vnet;                 /* the TAP carries virtio-net headers */
	char tapname[32];
	struct nc_pcapw *pcap;
	struct source src_ev, src_st, src_tap;
	int busy;                 /* nc_back_poll asked to be called again */
	int started;              /* nc_back_init succeeded: close it */
};

struct backd {
	const char *run_dir;      /* where stats go */
	const char *plat_dir;     /* the simulator's, or NULL: Xen if there */
	nc_domid_t domid;
	enum bridge_kind default_bridge;
	const char *pcap_dir;
	unsigned queues;          /* multi-queue-max-queues offered */
	int no_tap_vnet;          /* TAPs without virtio-net headers */
	int verbose;
	int epfd, sigfd;
	struct tool_plat *ctl_tp;
	struct nc_platform ctl;
	struct source src_sig, src_ctl;
	struct vif vifs[MAX_VIFS];
	struct nc_l2switch sw;
	uint8_t buf[NC_MAX_FRAME + 1 + NC_TAP_VNET_HDR];
	int stop;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The backends' clock for the `rate` key: monotonic microseconds. */
static uint64_t mono_us(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void vif_log(void *arg, const char *what, long value)
{
	struct vif *v = arg;

	fprintf(stderr, "netchannel back: %s: %s (%ld)\n", v->name, what,
		value);
}

/* ------------------------------------------------------------ bridges */

static void to_switch(struct vif *from, const struct nc_frame *fr)
{
	struct backd *d = from->d;
	int out = nc_l2_forward(&d->sw, fr->data, fr->len,
				(int)(from - d->vifs), now_ms());
	unsigned i;

	if (out >= 0) {
		if (d->vifs[out].used && d->vifs[out].bridge == BR_SWITCH)
			nc_back_queue(d->vifs[out].b, fr);
		return;
	}
	if (out != NC_L2_FLOOD)
		return;
	/* Flooded (broadcast, multicast, unknown): each destination vif's
	 * multicast filter decides (feature-multicast-control). */
	for (i = 0; i < MAX_VIFS; i++)
		if (d->vifs[i].used && &d->vifs[i] != from &&
		    d->vifs[i].bridge == BR_SWITCH)
			nc_back_queue_filtered(d->vifs[i].b, fr);
}

/* A frame from the frontend: to the bridge, and to the pcap. */
static void vif_deliver(void *arg, const struct nc_frame *fr)
{
	struct vif *v = arg;

	if (v->pcap)
		nc_pcapw_write(v->pcap, fr->data, fr->len);
	if (v->bridge == BR_TAP && v->tapfd >= 0) {
		/* A full TAP queue drops, as a NIC would.  GSO frames go
		 * whole with a vnet header, else as their segments. */
		if (nc_tap_write(v->tapfd, v->vnet, fr) < 0 && v->d->verbose)
			perror("tap write");
	} else if (v->bridge == BR_SWITCH) {
		to_switch(v, fr);
	}
}

/* Frames the TAP has for the guest, a bounded number per wakeup. */
static void tap_readable(struct vif *v)
{
	unsigned i;

	for (i = 0; i < 64; i++) {
		struct nc_frame fr;
		int rc = nc_tap_read(v->tapfd, v->vnet, v->d->buf,
				     sizeof(v->d->buf), &fr);

		if (rc == 0 || (rc < 0 && errno != EPROTO))
			return;
		if (rc < 0)
			continue;       /* a header we do not take: dropped */
		if (v->pcap)
			nc_pcapw_write(v->pcap, fr.data, fr.len);
		/* The TAP floods multicast: the vif's filter decides.  A
		 * full queue drops, counted. */
		nc_back_queue_filtered(v->b, &fr);
	}
}

/* ------------------------------------------------------------ vifs */

static int epoll_watch(struct backd *d, int fd, struct source *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

	return fd < 0 ? 0 : epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void read_key(struct nc_platform *p, const char *dir, const char *key,
		     char *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, key);
	if (p->store.ops->read(p->store.ctx, NC_TXN_NONE, path, buf, len) < 0)
		buf[0] = '\0';
}

/* The vif's bridge: the backend directory's `bridge` key ("tap",
 * "tap:NAME", "switch", "none") or the daemon's default. */
static int vif_bridge_setup(struct vif *v)
{
	char br[64], mtu[16], file[600];
	const char *tapname = NULL;

	read_key(&v->d->ctl, v->path, "bridge", br, sizeof(br));
	read_key(&v->d->ctl, v->path, "mtu", mtu, sizeof(mtu));
	v->bridge = v->d->default_bridge;
	if (!strncmp(br, "tap", 3)) {
		v->bridge = BR_TAP;
		tapname = br[3] == ':' ? br + 4 : NULL;
	} else if (!strcmp(br, "switch")) {
		v->bridge = BR_SWITCH;
	} else if (!strcmp(br, "none")) {
		v->bridge = BR_NONE;
	}
	if (v->bridge == BR_TAP) {
		char def[32];

		snprintf(def, sizeof(def), "nctap%u.%u", (unsigned)v->fe,
			 v->handle);
		v->vnet = !v->d->no_tap_vnet;
		v->tapfd = nc_tap_open(tapname ? tapname : def,
				       (unsigned)atoi(mtu[0] ? mtu : "1500"),
				       v->vnet, v->tapname);
		if (v->tapfd < 0 && v->vnet) {  /* a kernel without it */
			v->vnet = 0;
			v->tapfd = nc_tap_open(tapname ? tapname : def,
					       (unsigned)atoi(mtu[0] ? mtu
								: "1500"),
					       0, v->tapname);
		}
		if (v->tapfd < 0) {
			fprintf(stderr, "netchannel back: %s: TAP: %s\n",
				v->name, strerror(errno));
			return -1;
		}
	}
	if (v->d->pcap_dir) {
		snprintf(file, sizeof(file), "%s/%s.pcap", v->d->pcap_dir,
			 v->name);
		v->pcap = nc_pcapw_open(file);
	}
	return 0;
}

static void vif_free(struct vif *v)
{
	if (v->started) {
		epoll_ctl(v->d->epfd, EPOLL_CTL_DEL,
			  v->plat.events.ops->fd(v->plat.events.ctx), NULL);
		epoll_ctl(v->d->epfd, EPOLL_CTL_DEL,
			  v->plat.store.ops->fd(v->plat.store.ctx), NULL);
		nc_back_close(v->b);
	}
	if (v->tapfd >= 0)
		close(v->tapfd);
	nc_pcapw_close(v->pcap);
	tool_plat_close(v->tp);
	nc_l2_forget_port(&v->d->sw, (int)(v - v->d->vifs));
	vif_stats_remove(v->d->run_dir, v->name);
	free(v->b);
	free(v->rxq);
	memset(v, 0, sizeof(*v));
	v->tapfd = -1;
}

static int vif_start(struct vif *v)
{
	struct nc_back_config cfg = {
		.path = v->path, .need_full_csum = 1,
		.deliver = vif_deliver, .deliver_arg = v,
		.log = vif_log, .log_arg = v,
		.clock_us = mono_us,
		.max_queues = v->d->queues,
	};

	v->b = calloc(1, sizeof(*v->b));
	v->rxq = malloc(RXQ_BYTES);
	cfg.rxq_bytes = RXQ_BYTES;
	v->tp = tool_plat_open(v->d->plat_dir, v->d->domid, &v->plat);
	if (!v->b || !v->rxq || !v->tp || vif_bridge_setup(v))
		return -1;
	if (nc_back_init(v->b, &v->plat, &cfg, v->rxq)) {
		fprintf(stderr, "netchannel back: %s: init failed\n", v->name);
		return -1;
	}
	v->started = 1;
	v->src_ev = (struct source){ SRC_VIF_EVENTS, v };
	v->src_st = (struct source){ SRC_VIF_STORE, v };
	v->src_tap = (struct source){ SRC_TAP, v };
	if (epoll_watch(v->d, v->plat.events.ops->fd(v->plat.events.ctx),
			&v->src_ev) ||
	    epoll_watch(v->d, v->plat.store.ops->fd(v->plat.store.ctx),
			&v->src_st) ||
	    (v->tapfd >= 0 && epoll_watch(v->d, v->tapfd, &v->src_tap)))
		return -1;
	printf("netchannel back: %s: serving %s%s%s\n", v->name, v->path,
	       v->tapfd >= 0 ? " on TAP " : "",
	       v->tapfd >= 0 ? v->tapname : "");
	fflush(stdout);
	v->busy = 1;
	return 0;
}

static struct vif *vif_find(struct backd *d, nc_domid_t fe, unsigned h)
{
	unsigned i;

	for (i = 0; i < MAX_VIFS; i++)
		if (d->vifs[i].used && d->vifs[i].fe == fe &&
		    d->vifs[i].handle == h)
			return &d->vifs[i];
	return NULL;
}

static void vif_add(struct backd *d, nc_domid_t fe, unsigned h)
{
	struct vif *v = NULL;
	unsigned i;
	char fekey[128];

	for (i = 0; i < MAX_VIFS && !v; i++)
		if (!d->vifs[i].used)
			v = &d->vifs[i];
	if (!v) {
		fprintf(stderr, "netchannel back: too many vifs\n");
		return;
	}
	memset(v, 0, sizeof(*v));
	v->d = d;
	v->used = 1;
	v->fe = fe;
	v->handle = h;
	v->tapfd = -1;
	snprintf(v->name, sizeof(v->name), "vif%u.%u", (unsigned)fe, h);
	snprintf(v->path, sizeof(v->path), "/local/domain/%u/backend/vif/%u/%u",
		 (unsigned)d->domid, (unsigned)fe, h);
	/* Only a directory the toolstack finished (it has `frontend`). */
	read_key(&d->ctl, v->path, "frontend", fekey, sizeof(fekey));
	if (!fekey[0] || vif_start(v)) {
		vif_free(v);
		return;
	}
}

/* ------------------------------------------------------------ discovery */

static int list_dir(struct nc_platform *p, const char *path, char *buf,
		    size_t len)
{
	return p->store.ops->directory(p->store.ctx, NC_TXN_NONE, path, buf,
				       len);
}

/* Start vifs that appeared; drop those whose directory is gone. */
static void rescan(struct backd *d)
{
	static char fes[16384], hs[16384];
	char base[128], sub[160];
	int n, m, i, j;
	unsigned k;

	snprintf(base, sizeof(base), "/local/domain/%u/backend/vif",
		 (unsigned)d->domid);
	n = list_dir(&d->ctl, base, fes, sizeof(fes));
	for (i = 0; n > 0 && i < n; i += (int)strlen(fes + i) + 1) {
		snprintf(sub, sizeof(sub), "%s/%s", base, fes + i);
		m = list_dir(&d->ctl, sub, hs, sizeof(hs));
		for (j = 0; m > 0 && j < m; j += (int)strlen(hs + j) + 1) {
			nc_domid_t fe = (nc_domid_t)atoi(fes + i);
			unsigned h = (unsigned)atoi(hs + j);

			if (!vif_find(d, fe, h))
				vif_add(d, fe, h);
		}
	}
	for (k = 0; k < MAX_VIFS; k++) {
		struct vif *v = &d->vifs[k];
		char st[128];

		if (!v->used)
			continue;
		read_key(&d->ctl, v->path, "frontend", st, sizeof(st));
		if (!st[0] || nc_back_state(v->b) == NC_BACK_CLOSED) {
			printf("netchannel back: %s: gone\n", v->name);
			fflush(stdout);
			vif_free(v);
		}
	}
}

/* ------------------------------------------------------------ stats */

static const char *state_name(enum nc_back_state s)
{
	static const char *const names[] = { "initwait", "connected",
					     "closed", "disabled",
					     "stopped" };

	return (unsigned)s < 5 ? names[s] : "?";
}

/* Frames per queue: "rx" is what the frontend sent on it, "tx" what we
 * sent it there. */
static void stats_queues(struct nc_back *b, struct vif_stats_file *f)
{
	unsigned i;

	f->nqueues = nc_back_num_queues(b);
	for (i = 0; i < f->nqueues; i++) {
		f->q_rx[i] = nc_back_queue_stats(b, i)->rx.packets;
		f->q_tx[i] = nc_back_queue_stats(b, i)->tx.packets;
	}
}

static void save_stats(struct backd *d)
{
	unsigned i;

	for (i = 0; i < MAX_VIFS; i++) {
		struct vif *v = &d->vifs[i];
		struct vif_stats_file f;

		if (!v->used)
			continue;
		memset(&f, 0, sizeof(f));
		snprintf(f.name, sizeof(f.name), "%s", v->name);
		snprintf(f.state, sizeof(f.state), "%s",
			 state_name(nc_back_state(v->b)));
		snprintf(f.path, sizeof(f.path), "%s", v->path);
		snprintf(f.bridge, sizeof(f.bridge), "%s%s%s",
			 v->bridge == BR_TAP ? "tap:" :
			 v->bridge == BR_SWITCH ? "switch" : "none",
			 v->bridge == BR_TAP ? v->tapname : "",
			 v->pcap ? "+pcap" : "");
		f.s = *nc_back_stats(v->b);
		stats_queues(v->b, &f);
		vif_stats_save(d->run_dir, &f);
	}
}

/* ------------------------------------------------------------ loop */

static void handle(struct backd *d, struct source *s)
{
	struct signalfd_siginfo si;
	char path[256], tok[64];

	switch (s->kind) {
	case SRC_SIGNAL:
		if (read(d->sigfd, &si, sizeof(si)) > 0)
			d->stop = 1;
		break;
	case SRC_CTL_STORE:
		while (d->ctl.store.ops->read_watch(d->ctl.store.ctx, path,
						    sizeof(path), tok,
						    sizeof(tok)) > 0)
			;
		rescan(d);
		break;
	case SRC_TAP:
		tap_readable(s->vif);
		s->vif->busy = 1;
		break;
	default:
		s->vif->busy = 1;
		break;
	}
}

/* A vif whose frontend waits for `rate` credit is due once it came. */
static int rate_due(const struct vif *v)
{
	uint64_t when;

	return nc_back_next_poll(v->b, &when) && when <= mono_us(NULL);
}

/* How long the loop may sleep: 200 ms, or until the first vif's `rate`
 * credit comes (rounded up to a whole ms), so it never spins. */
static int wait_ms(struct backd *d)
{
	uint64_t now = mono_us(NULL), when, ms = 200;
	unsigned i;

	for (i = 0; i < MAX_VIFS; i++) {
		if (!d->vifs[i].used ||
		    !nc_back_next_poll(d->vifs[i].b, &when))
			continue;
		if (when <= now)
			return 0;
		if ((when - now + 999) / 1000 < ms)
			ms = (when - now + 999) / 1000;
	}
	return (int)ms;
}

/* Poll every vif that has work; a vif closed by its frontend goes. */
static int run_vifs(struct backd *d)
{
	unsigned i;
	int more = 0, closed = 0;

	for (i = 0; i < MAX_VIFS; i++) {
		struct vif *v = &d->vifs[i];

		if (!v->used || (!v->busy && !rate_due(v)))
			continue;
		v->busy = nc_back_poll(v->b);
		more |= v->busy;
		closed |= nc_back_state(v->b) == NC_BACK_CLOSED;
	}
	if (closed)
		rescan(d);
	return more;
}

static int loop(struct backd *d)
{
	uint64_t last_stats = 0;

	while (!d->stop) {
		struct epoll_event ev[32];
		int busy = run_vifs(d);
		int n = epoll_wait(d->epfd, ev, 32, busy ? 0 : wait_ms(d)), i;

		if (n < 0 && errno != EINTR)
			return -1;
		for (i = 0; i < n; i++)
			handle(d, ev[i].data.ptr);
		if (now_ms() - last_stats >= 1000) {
			save_stats(d);
			last_stats = now_ms();
		}
	}
	return 0;
}

/* ------------------------------------------------------------ setup */

static int setup(struct backd *d)
{
	char watch[128];
	sigset_t mask;
	unsigned i;

	nc_l2_init(&d->sw, 300000);
	for (i = 0; i < MAX_VIFS; i++)
		d->vifs[i].tapfd = -1;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	d->ctl_tp = tool_plat_open(d->plat_dir, d->domid, &d->ctl);
	if (d->sigfd < 0 || d->epfd < 0 || !d->ctl_tp)
		return -1;
	d->src_sig = (struct source){ SRC_SIGNAL, NULL };
	d->src_ctl = (struct source){ SRC_CTL_STORE, NULL };
	snprintf(watch, sizeof(watch), "/local/domain/%u/backend/vif",
		 (unsigned)d->domid);
	if (epoll_watch(d, d->sigfd, &d->src_sig) ||
	    epoll_watch(d, d->ctl.store.ops->fd(d->ctl.store.ctx),
			&d->src_ctl) ||
	    d->ctl.store.ops->watch(d->ctl.store.ctx, watch, WATCH_VIFS))
		return -1;
	return 0;
}

static void teardown(struct backd *d)
{
	unsigned i;

	for (i = 0; i < MAX_VIFS; i++)
		if (d->vifs[i].used)
			vif_free(&d->vifs[i]);
	tool_plat_close(d->ctl_tp);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
}

static void back_usage(FILE *f)
{
	fprintf(f,
"usage: netchannel back [--run-dir DIR] [--domid N] [--bridge tap|switch|none]\n"
"                       [--pcap-dir DIR] [--queues N] [--no-tap-vnet]\n"
"                       [--verbose] [--help]\n"
"\n"
"The backend daemon: serves every vif whose backend directory is under\n"
"/local/domain/N/backend/vif (N = --domid, default 0), each independently.\n"
"A vif's bridge is its backend directory's `bridge` key (\"tap\",\n"
"\"tap:NAME\", \"switch\", \"none\"), else --bridge (default tap):\n"
"  tap     a TAP device (created, or attached by name; default nctapFE.N)\n"
"          with the vif's MTU: the guest is on the host's network;\n"
"  switch  the built-in learning switch between all vifs on `switch`;\n"
"  none    frames are counted and dropped.\n"
"--pcap-dir DIR also writes every frame of every vif to DIR/vifFE.N.pcap.\n"
"A TAP carries virtio-net headers: GSO frames from the guest go to it\n"
"whole (the kernel segments them or takes them as they are), and the\n"
"host's TSO frames and partial checksums come to the guest as GSO frames\n"
"(segmented here for a guest that did not offer GSO); --no-tap-vnet:\n"
"plain TAPs, GSO frames written as their segments.\n"
"--queues N offers N queues per vif (multi-queue-max-queues, 1..%u;\n"
"default: one per online CPU, at most %u).\n"
"Counters go to RUN_DIR/stats/ once a second (`netchannel stat`).\n"
"SIGTERM or SIGINT stops it; each vif is closed cleanly.\n",
		NC_MAX_QUEUES, NC_MAX_QUEUES);
}

int cmd_back(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run-dir", required_argument, NULL, 'd' },
		{ "domid", required_argument, NULL, 'i' },
		{ "bridge", required_argument, NULL, 'b' },
		{ "pcap-dir", required_argument, NULL, 'p' },
		{ "queues", required_argument, NULL, 'q' },
		{ "no-tap-vnet", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backd *d = calloc(1, sizeof(*d));
	int c, rc;

	if (!d)
		return 1;
	d->run_dir = NC_DEFAULT_RUN_DIR;
	d->default_bridge = BR_TAP;
	d->queues = nc_tool_default_queues();
	d->epfd = d->sigfd = -1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': d->run_dir = d->plat_dir = optarg; break;
		case 'i': d->domid = (nc_domid_t)atoi(optarg); break;
		case 'b':
			d->default_bridge = !strcmp(optarg, "switch") ? BR_SWITCH :
					    !strcmp(optarg, "none") ? BR_NONE :
					    BR_TAP;
			break;
		case 'p': d->pcap_dir = optarg; break;
		case 'q':
			if (nc_tool_parse_queues(optarg, &d->queues)) {
				back_usage(stderr);
				free(d);
				return 2;
			}
			break;
		case 'n': d->no_tap_vnet = 1; break;
		case 'v': d->verbose = 1; break;
		case 'h': back_usage(stdout); free(d); return 0;
		default: back_usage(stderr); free(d); return 2;
		}
	}
	rc = setup(d) ? 1 : 0;
	if (!rc) {
		rescan(d);
		rc = loop(d) ? 1 : 0;
	}
	teardown(d);
	free(d);
	return rc;
}

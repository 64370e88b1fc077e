/*
 * cmd_bench.c - `netchannel bench`: frames per second through the real
 * netfront and netback.  Two modes:
 *
 *   in-process (the default): both ends in one process over the
 *   in-process platform, one thread.  It measures the protocol code itself
 *   and is the mode for `valgrind --tool=callgrind` (instructions per
 *   frame, repeatable whatever the machine does).
 *
 *   --sim: two processes over the simulator, as a guest and a host would
 *   run.  A `netchannel sim` daemon (this binary, started in a temporary
 *   run directory unless --run-dir names a running one) plays Xen; this
 *   process creates the vif (nc_vif_add over a domain-0 store) and forks a
 *   backend (domain 0, pinned to CPU 1) and a frontend (domain 1, pinned
 *   to CPU 0).  The frontend writes frames of N bytes in place
 *   (nc_front_write) as fast as the ring allows; the backend's deliver
 *   callback counts them, and the backend measures over a steady-state
 *   window after a warm-up.  --mode poll: both ends busy-poll; --mode
 *   event: both sleep in poll() on the platform's fds and run on
 *   event-channel notifications (req_event/rsp_event suppression).
 *   --latency: one frame in flight, the backend echoes it (nc_back_queue)
 *   and the frontend times round trips.
 *
 * Both modes end with the line `bench N mpps=X gbps=Y` (one per size with
 * --sweep; `latency N p50_us=X p99_us=Y rtts=K` with --latency).
 * Gbit/s counts frame bytes (no preamble, no FCS).
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "netchannel.h"
#include "netchannel/back.h"
#include "netchannel/front.h"
#include "netchannel/inproc.h"
#include "netchannel/sim.h"
#include "netchannel/toolstack.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t fill(void *ctx, uint8_t *buf, size_t size)
{
	(void)ctx;
	buf[0] = 0x02;        /* a locally administered destination */
	buf[12] = 0x88;       /* a local experimental ethertype */
	buf[13] = 0xb5;
	return size;
}

static void print_result(size_t size, uint64_t frames, double secs)
{
	double mpps = secs > 0 ? (double)frames / secs / 1e6 : 0;

	printf("bench %zu mpps=%.3f gbps=%.3f\n", size, mpps,
	       mpps * 1e6 * (double)size * 8 / 1e9);
	fflush(stdout);
}

/* ================================================= in-process, one thread */

struct bench {
	struct nc_inproc_world *w;
	struct nc_inproc_handle *th, *fh, *bh;
	struct nc_platform tool, fp, bp;
	struct nc_front *f;
	struct nc_back *b;
	uint8_t *rxq;
	size_t size;
	int no_zero;
	unsigned burst;         /* frames per write loop */
	uint32_t more;          /* NC_FRAME_MORE, or 0 with --no-batch */
	unsigned queues;        /* 0: the one-thread mode; else per-queue */
	uint64_t delivered;
};

static void deliver(void *arg, const struct nc_frame *fr)
{
	(void)fr;
	((struct bench *)arg)->delivered++;
}

static int bench_setup(struct bench *x)
{
	struct nc_vif_spec spec = { .fe_domid = 1, .be_domid = 0,
		.mac = { 0, 0x16, 0x3e, 0, 0, 1 } };
	/* Per-queue threads count in the queues' own counters: a shared
	 * deliver counter would be a data race. */
	struct nc_back_config bc = { .deliver = x->queues ? NULL : deliver,
				     .deliver_arg = x,
				     .max_queues = x->queues,
				     .busy_poll = x->queues != 0 };
	struct nc_front_config fc = { .path = "device/vif/0",
				      .bench_no_zero = x->no_zero,
				      .queues = x->queues,
				      .busy_poll = x->queues != 0 };
	char fe[64], be[64];
	unsigned i;

	x->w = nc_inproc_world_new();
	x->th = nc_inproc_open(x->w, 0, &x->tool);
	x->fh = nc_inproc_open(x->w, 1, &x->fp);
	x->bh = nc_inproc_open(x->w, 0, &x->bp);
	x->f = calloc(1, sizeof(*x->f));
	x->b = calloc(1, sizeof(*x->b));
	x->rxq = malloc(1u << 20);
	if (!x->th || !x->fh || !x->bh || !x->f || !x->b || !x->rxq)
		return -1;
	nc_vif_paths(1, 0, 0, fe, be);
	bc.path = be;
	if (nc_vif_add(&x->tool.store, &spec) ||
	    nc_back_init(x->b, &x->bp, &bc, x->rxq) ||
	    nc_front_init(x->f, &x->fp, &fc))
		return -1;
	for (i = 0; i < 100; i++) {
		nc_front_poll(x->f);
		nc_back_poll(x->b);
		if (nc_front_state(x->f) == NC_FRONT_CONNECTED &&
		    nc_back_state(x->b) == NC_BACK_CONNECTED)
			return x->queues && nc_back_num_queues(x->b) !=
						    x->queues ? -1 : 0;
	}
	return -1;
}

static void bench_free(struct bench *x)
{
	nc_front_destroy(x->f);
	nc_back_close(x->b);
	nc_inproc_close(x->fh);
	nc_inproc_close(x->bh);
	nc_inproc_close(x->th);
	nc_inproc_world_free(x->w);
	free(x->f);
	free(x->b);
	free(x->rxq);
}

/* Send until `frames` were delivered or `seconds` passed. */
static double bench_run(struct bench *x, uint64_t frames, double seconds)
{
	double t0 = now(), t;

	do {
		unsigned k;

		/* A burst, published once at its end (as --sim writes). */
		for (k = 0; k < x->burst; k++)
			if (nc_front_write(x->f, x->size, fill, x,
					   k + 1 < x->burst ? x->more : 0) !=
			    NC_OK)
				break;
		nc_back_poll(x->b);
		nc_front_poll(x->f);
		t = now();
	} while (x->delivered < frames && t - t0 < seconds);
	return t - t0;
}

static int inproc_bench(size_t size, double seconds, uint64_t frames,
			int no_zero, unsigned burst, int no_batch, int verbose)
{
	struct bench x;
	double el;

	memset(&x, 0, sizeof(x));
	x.size = size;
	x.no_zero = no_zero;
	x.burst = burst;
	x.more = no_batch ? 0 : NC_FRAME_MORE;
	if (bench_setup(&x)) {
		fprintf(stderr, "bench: setup failed\n");
		return 1;
	}
	el = bench_run(&x, frames, seconds);
	if (verbose)
		printf("in-process %zu B: %llu frames, pool bytes zeroed "
		       "%.1f per frame\n", size,
		       (unsigned long long)x.delivered,
		       x.delivered ? (double)x.f->q[0].pool.stats.bytes_zeroed /
				     (double)x.delivered : 0.0);
	print_result(size, x.delivered, el);
	bench_free(&x);
	return 0;
}

/* ============================== in-process, one thread per queue (--queues) */

/* Thread i: queue i of both ends on CPU i (mod the CPUs), busy-polling
 * only its queue (nc_front_poll_queue / nc_back_poll_queue: a queue's
 * data path touches only that queue), until told to stop. */
struct qthread {
	struct bench *x;
	unsigned q;
	int cpu_err;
	volatile int *stop;
	pthread_t tid;
};

static int pin(int cpu);

static void *queue_main(void *arg)
{
	struct qthread *t = arg;
	struct bench *x = t->x;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	t->cpu_err = pin((int)(t->q % (unsigned)(ncpu > 0 ? ncpu : 1)));
	while (!*t->stop) {
		unsigned k;

		for (k = 0; k < x->burst; k++)
			if (nc_front_write_queue(x->f, t->q, x->size, fill, x,
						 k + 1 < x->burst ? x->more
								  : 0) != NC_OK)
				break;
		nc_back_poll_queue(x->b, t->q);
		nc_front_poll_queue(x->f, t->q);
	}
	return NULL;
}

/* Frames the backend received, all queues. */
static uint64_t delivered_all(struct bench *x)
{
	return nc_back_stats(x->b)->rx.packets;
}

static int queues_bench(size_t size, double seconds, unsigned queues,
			int no_zero, unsigned burst, int verbose)
{
	struct qthread t[NC_MAX_QUEUES];
	volatile int stop = 0;
	struct bench x;
	uint64_t before;
	double t0, el;
	unsigned i, n = 0;

	memset(&x, 0, sizeof(x));
	x.size = size;
	x.no_zero = no_zero;
	x.burst = burst;
	x.more = NC_FRAME_MORE;
	x.queues = queues;
	if (bench_setup(&x)) {
		fprintf(stderr, "bench: setup with %u queues failed\n", queues);
		return 1;
	}
	before = delivered_all(&x);
	t0 = now();
	for (i = 0; i < queues; i++, n++) {
		t[i] = (struct qthread){ .x = &x, .q = i, .stop = &stop };
		if (pthread_create(&t[i].tid, NULL, queue_main, &t[i]))
			break;
	}
	while (now() - t0 < seconds)
		usleep(10000);
	stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(t[i].tid, NULL);
	el = now() - t0;
	if (verbose)
		for (i = 0; i < n; i++)
			printf("queue %u: %llu frames%s\n", i,
			       (unsigned long long)nc_back_queue_stats(x.b, i)
				       ->rx.packets,
			       t[i].cpu_err ? " (not pinned)" : "");
	print_result(size, delivered_all(&x) - before, el);
	bench_free(&x);
	return n == queues ? 0 : 1;
}

/* ======================================== two processes over the simulator */

enum { MODE_POLL = 0, MODE_EVENT = 1 };

struct sim_opts {
	const char *run_dir;    /* NULL: start our own daemon */
	size_t size;
	double seconds;
	double warmup;
	int mode;
	int no_zero;
	int latency;
	unsigned burst;         /* frames per burst (one publish each) */
	int no_batch;           /* publish every frame (no NC_FRAME_MORE) */
	int no_busy_poll;       /* poll mode without the busy_poll config */
};


/* Shared between this process and its two children (MAP_SHARED). */
struct sim_shared {
	volatile int stop;          /* the measurement is over: close */
	volatile int be_ready;      /* backend initialised */
	/* backend: the steady-state window */
	uint64_t frames, bytes;
	double window;
	uint64_t be_events_in, be_events_out;
	/* frontend */
	uint64_t fe_frames, fe_events_in, fe_events_out;
	/* who waits for whom, over the whole run: the backend's poll calls
	 * that found work (and frames per such call), the frontend's bursts
	 * cut short by a full ring or pool */
	uint64_t be_busy_polls, be_polls, fe_bursts, fe_full;
	uint64_t zeroed, takes;
	double p50, p99, pmin, pmax;
	uint64_t rtts;
	int fe_cpu_err, be_cpu_err; /* 0, or the errno of sched_setaffinity */
	int fe_rc, be_rc;
};

#define RTT_MAX_SAMPLES (2u << 20)

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/* Sleep in poll() on the platform's fds (event mode), up to `ms`. */
static void wait_fds(struct nc_platform *p, int ms)
{
	struct pollfd pf[2] = {
		{ .fd = p->events.ops->fd(p->events.ctx), .events = POLLIN },
		{ .fd = p->store.ops->fd(p->store.ctx), .events = POLLIN },
	};

	poll(pf, 2, ms);
}

/* ------------------------------------------------------------- backend */

struct be_ctx {
	struct nc_back *b;
	int latency;
	uint64_t frames, bytes;
	double t_first;
};

static void be_deliver(void *arg, const struct nc_frame *fr)
{
	struct be_ctx *c = arg;

	c->frames++;
	c->bytes += fr->len;
	if (c->latency)
		nc_back_queue(c->b, fr);     /* echo it back */
}

static int backend_main(const struct sim_opts *o, struct sim_shared *sh)
{
	struct nc_back_config cfg = { .deliver = be_deliver,
		.busy_poll = o->mode == MODE_POLL && !o->no_busy_poll };
	struct be_ctx c;
	struct nc_platform p;
	struct nc_sim_handle *h;
	uint8_t *rxq = malloc(1u << 20);
	char fe[64], be[64];
	uint64_t n1 = 0;
	double t1 = 0, t_stop = 0, t;
	unsigned iter = 0;
	int measured = 0;

	sh->be_cpu_err = pin(1);
	memset(&c, 0, sizeof(c));
	c.latency = o->latency;
	c.b = calloc(1, sizeof(*c.b));

	h = nc_sim_open(o->run_dir, 0, &p);
	nc_vif_paths(1, 0, 0, fe, be);
	cfg.path = be;
	cfg.deliver_arg = &c;
	if (!c.b || !rxq || !h || nc_back_init(c.b, &p, &cfg, rxq) != NC_OK)
		return 20;
	sh->be_ready = 1;
	for (;;) {
		uint64_t before = c.frames;
		int more = nc_back_poll(c.b);

		sh->be_polls++;
		sh->be_busy_polls += c.frames != before;
		if (o->mode == MODE_EVENT && !more)
			wait_fds(&p, 20);
		/* the clock every 64 rounds when spinning */
		if (o->mode == MODE_POLL && (++iter & 63))
			continue;
		t = now();
		if (!c.t_first && c.frames)
			c.t_first = t;
		if (!o->latency && c.t_first && !measured) {
			if (!t1 && t - c.t_first >= o->warmup) {
				t1 = t;
				n1 = c.frames;
				sh->bytes = c.bytes;
			} else if (t1 && t - t1 >= o->seconds) {
				sh->frames = c.frames - n1;
				sh->bytes = c.bytes - sh->bytes;
				sh->window = t - t1;
				measured = 1;
				sh->stop = 1;
			}
		}
		if (sh->stop && !t_stop)
			t_stop = t;
		/* after the stop: serve until the frontend has closed */
		if (t_stop && (nc_back_state(c.b) != NC_BACK_CONNECTED ||
			       t - t_stop > 10))
			break;
	}
	sh->be_events_in = nc_back_stats(c.b)->events_in;
	sh->be_events_out = nc_back_stats(c.b)->events_out;
	nc_back_close(c.b);
	nc_sim_close(h);
	free(c.b);
	free(rxq);
	return 0;
}

/* ------------------------------------------------------------ frontend */

struct fe_ctx {
	uint64_t received;
};

static void fe_rx(void *arg, const struct nc_frame *fr)
{
	(void)fr;
	((struct fe_ctx *)arg)->received++;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

/* One frame in flight: time round trips after the warm-up. */
static void fe_latency(const struct sim_opts *o, struct sim_shared *sh,
		       struct nc_front *f, struct nc_platform *p,
		       struct fe_ctx *c)
{
	float *rtt = malloc(RTT_MAX_SAMPLES * sizeof(*rtt));
	size_t n = 0;
	double start = now(), t0, t;

	while (rtt) {
		uint64_t want = c->received + 1;

		t0 = now();
		if (t0 - start >= o->warmup + o->seconds)
			break;
		if (nc_front_write(f, o->size, fill, NULL, 0) != NC_OK) {
			nc_front_poll(f);
			if (o->mode == MODE_EVENT)
				wait_fds(p, 20);
			continue;
		}
		while (c->received < want) {
			if (nc_front_poll(f) == 0 && c->received < want &&
			    o->mode == MODE_EVENT)
				wait_fds(p, 20);
			if (nc_front_state(f) != NC_FRONT_CONNECTED ||
			    now() - t0 > 5)
				goto out;
		}
		t = now();
		if (t0 - start >= o->warmup && n < RTT_MAX_SAMPLES)
			rtt[n++] = (float)((t - t0) * 1e6);
	}
out:
	if (n) {
		qsort(rtt, n, sizeof(*rtt), cmp_float);
		sh->p50 = rtt[n / 2];
		sh->p99 = rtt[(size_t)((double)n * 0.99)];
		sh->pmin = rtt[0];
		sh->pmax = rtt[n - 1];
	}
	sh->rtts = n;
	free(rtt);
	sh->stop = 1;
}

/* As fast as the ring allows until the backend says stop. */
static void fe_stream(const struct sim_opts *o, struct sim_shared *sh,
		      struct nc_front *f, struct nc_platform *p)
{
	uint32_t more = o->no_batch ? 0 : NC_FRAME_MORE;
	uint64_t sent = 0;

	while (!sh->stop) {
		unsigned k;

		/* a burst, published once (at its end, or by the write that
		 * finds the ring full) */
		for (k = 0; k < o->burst; k++)
			if (nc_front_write(f, o->size, fill, NULL,
					   k + 1 < o->burst ? more : 0) != NC_OK)
				break;
		sent += k;
		sh->fe_bursts++;
		sh->fe_full += k < o->burst;
		if (nc_front_poll(f) == 0 && k == 0 && o->mode == MODE_EVENT &&
		    nc_front_write(f, o->size, fill, NULL, 0) != NC_OK)
			wait_fds(p, 20);    /* ring or pool full, all reaped */
		if (nc_front_state(f) != NC_FRONT_CONNECTED)
			break;
	}
	sh->fe_frames = sent;
}

static int frontend_main(const struct sim_opts *o, struct sim_shared *sh)
{
	struct fe_ctx c = { 0 };
	struct nc_front_config cfg = { .path = "device/vif/0",
		.bench_no_zero = o->no_zero,
		.busy_poll = o->mode == MODE_POLL && !o->no_busy_poll };
	struct nc_front *f = calloc(1, sizeof(*f));
	struct nc_platform p;
	struct nc_sim_handle *h;
	double t0;

	sh->fe_cpu_err = pin(0);
	if (o->latency) {
		cfg.rx = fe_rx;
		cfg.rx_arg = &c;
	}
	for (t0 = now(); !sh->be_ready && now() - t0 < 10;)
		usleep(1000);
	h = nc_sim_open(o->run_dir, 1, &p);
	if (!f || !h || nc_front_init(f, &p, &cfg) != NC_OK)
		return 30;
	for (t0 = now(); nc_front_state(f) != NC_FRONT_CONNECTED;) {
		if (now() - t0 > 30)
			return 31;
		wait_fds(&p, 100);
		nc_front_poll(f);
	}
	if (o->latency)
		fe_latency(o, sh, f, &p, &c);
	else
		fe_stream(o, sh, f, &p);
	sh->zeroed = f->q[0].pool.stats.bytes_zeroed;
	sh->takes = f->q[0].pool.stats.takes;
	sh->fe_events_in = nc_front_stats(f)->events_in;
	sh->fe_events_out = nc_front_stats(f)->events_out;
	/* close politely: the backend unmaps, then we revoke */
	nc_front_close(f);
	for (t0 = now(); nc_front_state(f) != NC_FRONT_STOPPED &&
	     now() - t0 < 10;) {
		wait_fds(&p, 50);
		nc_front_poll(f);
	}
	nc_front_destroy(f);
	nc_sim_close(h);
	free(f);
	return 0;
}

/* ------------------------------------------------------------- parent */

static pid_t spawn(int (*fn)(const struct sim_opts *, struct sim_shared *),
		   const struct sim_opts *o, struct sim_shared *sh)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(fn(o, sh));
	return pid;
}

/* Wait for a child until `deadline`, then kill it.  Its exit code, or
 * -1 when it had to be killed or died of a signal. */
static int reap(pid_t pid, double deadline)
{
	int st = 0;

	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		usleep(10000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int vif_op(const char *dir, int add)
{
	struct nc_vif_spec spec = { .fe_domid = 1, .be_domid = 0,
		.mac = { 0, 0x16, 0x3e, 0, 0, 1 } };
	struct nc_platform tool;
	struct nc_sim_handle *h = nc_sim_open(dir, 0, &tool);
	int rc;

	if (!h)
		return -1;
	nc_vif_del(&tool.store, 1, 0, 0);
	rc = add ? nc_vif_add(&tool.store, &spec) : 0;
	/* closed before forking: no store thread of ours in the children */
	nc_sim_close(h);
	return rc;
}

static int sim_run_one(const struct sim_opts *o, int verbose)
{
	struct sim_shared *sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double deadline;
	pid_t be, fe;
	int rc = 0;

	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	if (vif_op(o->run_dir, 1)) {
		fprintf(stderr, "bench: cannot create the vif in %s\n",
			o->run_dir);
		munmap(sh, sizeof(*sh));
		return 1;
	}
	be = spawn(backend_main, o, sh);
	fe = spawn(frontend_main, o, sh);
	deadline = now() + 60 + o->warmup + o->seconds;
	sh->fe_rc = reap(fe, deadline);
	sh->be_rc = reap(be, deadline + 10);
	vif_op(o->run_dir, 0);
	if (sh->fe_cpu_err || sh->be_cpu_err)
		fprintf(stderr, "bench: pinning failed (frontend to CPU 0: %s;"
			" backend to CPU 1: %s)\n",
			sh->fe_cpu_err ? strerror(sh->fe_cpu_err) : "ok",
			sh->be_cpu_err ? strerror(sh->be_cpu_err) : "ok");
	if (sh->fe_rc || sh->be_rc) {
		fprintf(stderr, "bench: frontend exited %d, backend %d\n",
			sh->fe_rc, sh->be_rc);
		rc = 1;
	}
	if (verbose) {
		uint64_t n = o->latency ? sh->rtts : sh->frames;

		printf("sim %s %s%zu B: zeroing %s, %s %.2f s, frames sent %llu"
		       ", events fe->be %llu be->fe %llu, bytes zeroed per "
		       "frame %.1f\n",
		       o->mode == MODE_POLL ? "poll" : "event",
		       o->latency ? "latency " : "", o->size,
		       o->no_zero ? "off" : "on",
		       o->latency ? "round trips over" : "window",
		       o->latency ? o->seconds : sh->window,
		       (unsigned long long)(o->latency ? n : sh->fe_frames),
		       (unsigned long long)sh->fe_events_out,
		       (unsigned long long)sh->be_events_out,
		       sh->takes ? (double)sh->zeroed / (double)sh->takes : 0);
		if (!o->latency && sh->be_polls && sh->fe_bursts)
			printf("backend polls finding frames %.1f%% (%.1f frames "
			       "each), frontend bursts cut by a full ring or "
			       "pool %.1f%%\n",
			       100.0 * (double)sh->be_busy_polls /
			       (double)sh->be_polls,
			       sh->be_busy_polls ? (double)(sh->fe_frames) /
			       (double)sh->be_busy_polls : 0.0,
			       100.0 * (double)sh->fe_full /
			       (double)sh->fe_bursts);
	}
	if (o->latency) {
		if (sh->rtts && verbose)
			printf("rtt min %.2f max %.1f us\n", sh->pmin,
			       sh->pmax);
		printf("latency %zu p50_us=%.2f p99_us=%.2f rtts=%llu\n",
		       o->size, sh->p50, sh->p99,
		       (unsigned long long)sh->rtts);
		fflush(stdout);
		if (!sh->rtts)
			rc = 1;
	} else {
		print_result(o->size, sh->frames, sh->window);
		if (!sh->frames)
			rc = 1;
	}
	munmap(sh, sizeof(*sh));
	return rc;
}

static int path_exists(const char *dir, const char *rel)
{
	char path[300];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0;
}

/* Start `netchannel sim` (this binary) in a fresh directory. */
static pid_t daemon_start(char *dir)
{
	double t0;
	pid_t pid;

	strcpy(dir, "/tmp/nc-bench.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* its log lines are not the benchmark's output */
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl("/proc/self/exe", "netchannel", "sim", "--run-dir", dir,
		      "--domains", "2", (char *)NULL);
		_exit(127);
	}
	for (t0 = now(); pid > 0 && now() - t0 < 20; usleep(10000)) {
		/* DIR/xenstored/socket is made last */
		if (path_exists(dir, "xenstored/socket"))
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
	}
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	rmdir(dir);
	return -1;
}

static void daemon_stop(pid_t pid, const char *dir)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	rmdir(dir);
}

static const size_t sweep_sizes[] = { 64, 128, 256, 512, 1024, 1514, 4096,
				      9000, 65535 };

static int sim_bench(struct sim_opts *o, int sweep, int verbose)
{
	char dir[64];
	pid_t daemon = 0;
	size_t i;
	int rc = 0;

	signal(SIGPIPE, SIG_IGN);
	if (!o->run_dir) {
		daemon = daemon_start(dir);
		if (daemon < 0) {
			fprintf(stderr, "bench: cannot start netchannel sim\n");
			return 1;
		}
		o->run_dir = dir;
	}
	if (!sweep) {
		rc = sim_run_one(o, verbose);
	} else {
		for (i = 0; i < sizeof(sweep_sizes) / sizeof(sweep_sizes[0]);
		     i++) {
			o->size = sweep_sizes[i];
			rc |= sim_run_one(o, verbose);
		}
	}
	if (daemon > 0)
		daemon_stop(daemon, dir);
	return rc;
}

/* ------------------------------------------------------------- command */

static void usage(FILE *out)
{
	fprintf(out,
"usage: netchannel bench [--size N] [--seconds S] [--frames N] [--no-zero]\n"
"                        [--burst N] [--no-batch] [--queues N]\n"
"       netchannel bench --sim [--run-dir DIR] [--size N] [--seconds S]\n"
"                        [--mode poll|event] [--no-zero] [--latency]\n"
"                        [--sweep] [--burst N] [--warmup S] [--quiet]\n"
"\n"
"One-way frames per second, frontend to backend.  Ends with the line\n"
"'bench N mpps=X gbps=Y' (one per size with --sweep).\n"
"\n"
"Without --sim: both ends in this process over the in-process platform,\n"
"one thread (suitable for valgrind --tool=callgrind); --frames stops\n"
"after N frames.  Bursts of --burst frames, published once, then the\n"
"backend polls, then the frontend (--no-batch: publish every frame).\n"
"--queues N: N queues (multi-queue), one thread per queue pinned to CPU\n"
"i, each running its queue of both ends (busy-polling); compare\n"
"--queues 1 with --queues 2 for what a second queue on a second core\n"
"gives (bench/queues.sh).\n"
"\n"
"--sim: a frontend (domain 1, CPU 0) and a backend (domain 0, CPU 1) as\n"
"two processes over the simulator; this binary's `sim` daemon is started\n"
"in a temporary directory unless --run-dir names a running one.  The\n"
"backend measures over S seconds after a warm-up (default 0.5 s).\n"
"  --mode poll    both ends busy-poll (the default)\n"
"  --mode event   both sleep in poll() and run on event notifications\n"
"  --latency      one frame in flight, echoed by the backend: round-trip\n"
"                 p50/p99, ending 'latency N p50_us=X p99_us=Y rtts=K'\n"
"  --sweep        sizes 64 128 256 512 1024 1514 4096 9000 65535\n"
"  --burst N      frames written per burst, published once (default 32,\n"
"                 as testpmd's --burst=32 in bench/compare.sh)\n"
"  --no-zero      the TX pool does not re-zero blocks: BENCHMARK ONLY,\n"
"                 to measure what zeroing costs (never for real use)\n"
"Diagnostics (what an optimisation is worth):\n"
"  --no-batch     publish every frame (no NC_FRAME_MORE bursts)\n"
"  --no-busy-poll poll mode with the rings' event indices armed as a\n"
"                 sleeping end arms them (notifications on)\n");
}

int cmd_bench(int argc, char **argv)
{
	struct sim_opts o = { .size = 64, .seconds = 2, .warmup = 0.5,
			      .burst = 32 };
	uint64_t frames = UINT64_MAX;
	unsigned queues = 0;
	int sim = 0, sweep = 0, verbose = 1, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has = i + 1 < argc;

		if (!strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--size") && has) {
			o.size = strtoul(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--seconds") && has) {
			o.seconds = strtod(argv[++i], NULL);
		} else if (!strcmp(a, "--warmup") && has) {
			o.warmup = strtod(argv[++i], NULL);
		} else if (!strcmp(a, "--frames") && has) {
			frames = strtoull(argv[++i], NULL, 10);
		} else if (!strcmp(a, "--run-dir") && has) {
			o.run_dir = argv[++i];
		} else if (!strcmp(a, "--mode") && has) {
			a = argv[++i];
			if (!strcmp(a, "poll")) {
				o.mode = MODE_POLL;
			} else if (!strcmp(a, "event")) {
				o.mode = MODE_EVENT;
			} else {
				usage(stderr);
				return 2;
			}
		} else if (!strcmp(a, "--sim")) {
			sim = 1;
		} else if (!strcmp(a, "--no-zero")) {
			o.no_zero = 1;
		} else if (!strcmp(a, "--latency")) {
			o.latency = 1;
		} else if (!strcmp(a, "--sweep")) {
			sweep = 1;
		} else if (!strcmp(a, "--burst") && has) {
			o.burst = (unsigned)strtoul(argv[++i], NULL, 10);
			if (o.burst < 1 || o.burst > 256) {
				fprintf(stderr, "bench: --burst: 1..256\n");
				return 2;
			}
		} else if (!strcmp(a, "--queues") && has) {
			queues = (unsigned)strtoul(argv[++i], NULL, 10);
			if (queues < 1 || queues > NC_MAX_QUEUES) {
				fprintf(stderr, "bench: --queues: 1..%u\n",
					NC_MAX_QUEUES);
				return 2;
			}
		} else if (!strcmp(a, "--no-batch")) {
			o.no_batch = 1;
		} else if (!strcmp(a, "--no-busy-poll")) {
			o.no_busy_poll = 1;
		} else if (!strcmp(a, "--quiet")) {
			verbose = 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (o.size < 14 || o.size > 65535) {
		fprintf(stderr, "bench: --size must be 14..65535\n");
		return 2;
	}
	if (!(o.seconds > 0) || o.warmup < 0) {
		fprintf(stderr, "bench: --seconds must be > 0\n");
		return 2;
	}
	if (!sim && (o.latency || sweep || o.run_dir || o.mode)) {
		fprintf(stderr, "bench: --latency, --sweep, --run-dir and "
			"--mode need --sim\n");
		return 2;
	}
	if (queues && (sim || o.no_batch || frames != UINT64_MAX)) {
		fprintf(stderr, "bench: --queues is an in-process mode, "
			"without --sim, --no-batch or --frames\n");
		return 2;
	}
	if (queues)
		return queues_bench(o.size, o.seconds, queues, o.no_zero,
				    o.burst, verbose);
	if (sim)
		return sim_bench(&o, sweep, verbose);
	return inproc_bench(o.size, o.seconds, frames, o.no_zero, o.burst,
			    o.no_batch, verbose);
}

/*
 * test_sim_load.c - load through the simulator: 10,000,000 frames from a
 * frontend process to a backend process, while the backend sends frames
 * back faster than the frontend's ring takes them, so that some are
 * dropped.  Every frame is delivered or counted as dropped with a reason,
 * and the two sides' counters reconcile exactly.
 * Usage: test_sim_load NETCHANNEL [FRAMES]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "harness.h"
#include "netchannel/back.h"
#include "netchannel/front.h"
#include "netchannel/sim.h"
#include "netchannel/toolstack.h"

/* What each side reports to the parent when it is done. */
struct report {
	uint64_t delivered;       /* frames handed to the callback */
	uint64_t sent_attempts;   /* frames offered (backend: queued or not) */
	struct nc_vif_stats s;
	int ok;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void wait_fds(struct nc_platform *p, int ms)
{
	struct pollfd pf[2] = {
		{ .fd = p->events.ops->fd(p->events.ctx), .events = POLLIN },
		{ .fd = p->store.ops->fd(p->store.ctx), .events = POLLIN },
	};

	poll(pf, 2, ms);
}

/* ------------------------------------------------------------ backend */

struct bside {
	struct nc_back *b;
	uint64_t delivered;
};

static void back_deliver(void *arg, const struct nc_frame *fr)
{
	(void)fr;
	((struct bside *)arg)->delivered++;
}

static int run_back(const char *dir, uint64_t frames, int report_fd,
		    int stop_fd)
{
	struct bside x = { .b = calloc(1, sizeof(struct nc_back)) };
	struct nc_back_config cfg = { .deliver = back_deliver,
				      .deliver_arg = &x };
	struct nc_platform p;
	struct nc_sim_handle *h = nc_sim_open(dir, 0, &p);
	uint8_t *rxq = malloc(1u << 20), frame[128];
	struct report r;
	char fe[64], be[64];
	double t0 = now();
	int stopping = 0;

	memset(&r, 0, sizeof(r));
	memset(frame, 0xff, sizeof(frame));
	nc_vif_paths(1, 0, 0, fe, be);
	cfg.path = be;
	if (!h || !x.b || !rxq || nc_back_init(x.b, &p, &cfg, rxq))
		return 1;
	while (now() - t0 < 600) {
		struct nc_frame fr = { .data = frame, .len = 60 };
		struct pollfd sp = { .fd = stop_fd, .events = POLLIN };
		unsigned k, burst;

		/* Toward the frontend: offer more than it can take, without
		 * asking first, while the frontend's traffic lasts; now and
		 * then a burst larger than the queue (256 frames), so drops
		 * are certain, and each must be counted. */
		burst = (r.sent_attempts & 0xfff) < 8 ? 600 : 8;
		for (k = 0; !stopping && k < burst &&
		     nc_back_state(x.b) == NC_BACK_CONNECTED; k++) {
			nc_back_queue(x.b, &fr);
			r.sent_attempts++;
		}
		if (nc_back_poll(x.b) == 0)
			wait_fds(&p, 1);
		if (x.delivered >= frames)
			stopping = 1;
		if (stopping && x.b->q[0].rxq_len == 0 && poll(&sp, 1, 0) == 1)
			break;
	}
	r.delivered = x.delivered;
	r.s = *nc_back_stats(x.b);
	r.ok = 1;
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		return 1;
	return 0;
}

/* ------------------------------------------------------------ frontend */

struct fside {
	uint64_t delivered;
	uint32_t seq;
};

static void front_rx(void *arg, const struct nc_frame *fr)
{
	(void)fr;
	((struct fside *)arg)->delivered++;
}

static size_t fill(void *ctx, uint8_t *buf, size_t size)
{
	struct fside *x = ctx;

	memset(buf, 0xff, 6);
	memcpy(buf + 6, &x->seq, 4);
	buf[12] = 0x88;
	buf[13] = 0xb5;
	return size;
}

static int run_front(const char *dir, uint64_t frames, int report_fd,
		     int stop_fd)
{
	struct fside x = { 0 };
	struct nc_front_config cfg = { .path = "device/vif/0", .poison = 1,
				       .rx = front_rx, .rx_arg = &x };
	struct nc_front *f = calloc(1, sizeof(*f));
	struct nc_platform p;
	struct nc_sim_handle *h = nc_sim_open(dir, 1, &p);
	struct report r;
	double t0 = now();

	memset(&r, 0, sizeof(r));
	if (!h || !f || nc_front_init(f, &p, &cfg))
		return 1;
	while (now() - t0 < 600) {
		struct pollfd sp = { .fd = stop_fd, .events = POLLIN };
		unsigned k;

		for (k = 0; k < 64 && x.seq < frames &&
			    nc_front_state(f) == NC_FRONT_CONNECTED; k++) {
			if (nc_front_write(f, 60 + x.seq % 68, fill, &x, 0))
				break;
			x.seq++;
		}
		if (nc_front_poll(f) == 0 && k == 0)
			wait_fds(&p, 1);
		if (poll(&sp, 1, 0) == 1)
			break;
	}
	/* The backend stopped sending: take what is still on the ring. */
	for (t0 = now(); now() - t0 < 0.3;) {
		nc_front_poll(f);
		wait_fds(&p, 1);
	}
	r.delivered = x.delivered;
	r.sent_attempts = x.seq;
	r.s = *nc_front_stats(f);
	r.ok = 1;
	if (write(report_fd, &r, sizeof(r)) != sizeof(r))
		return 1;
	nc_front_destroy(f);
	return 0;
}

/* ------------------------------------------------------------ parent */

struct child {
	pid_t pid;
	int report[2], stop[2];
};

static int spawn(struct child *c, int (*fn)(const char *, uint64_t, int,
					     int),
		 const char *dir, uint64_t frames)
{
	if (pipe(c->report) || pipe(c->stop))
		return -1;
	fflush(NULL);
	c->pid = fork();
	if (c->pid == 0)
		_exit(fn(dir, frames, c->report[1], c->stop[0]));
	return c->pid > 0 ? 0 : -1;
}

static int collect(struct child *c, struct report *r, double timeout)
{
	struct pollfd pf = { .fd = c->report[0], .events = POLLIN };

	memset(r, 0, sizeof(*r));
	if (poll(&pf, 1, (int)(timeout * 1000)) != 1)
		return -1;
	return read(c->report[0], r, sizeof(*r)) == sizeof(*r) ? 0 : -1;
}

static char run_dir[64];
static pid_t sim_pid;
static uint64_t nframes = 10000000;

static int start_sim(const char *bin)
{
	char sock[128];
	struct stat st;
	int i;

	strcpy(run_dir, "/tmp/nc-load.XXXXXX");
	if (!mkdtemp(run_dir))
		return -1;
	sim_pid = fork();
	if (sim_pid == 0) {
		execl(bin, bin, "sim", "--run-dir", run_dir, "--domains", "4",
		      (char *)NULL);
		_exit(127);
	}
	snprintf(sock, sizeof(sock), "%s/xenstored/socket", run_dir);
	for (i = 0; i < 400 && stat(sock, &st); i++)
		usleep(25000);
	return i < 400 ? 0 : -1;
}

static void test_load(struct tap *t)
{
	struct nc_vif_spec spec = { .fe_domid = 1, .be_domid = 0,
				    .mac = { 0, 0x16, 0x3e, 0, 1, 0 } };
	struct nc_platform tool;
	struct nc_sim_handle *th = nc_sim_open(run_dir, 0, &tool);
	struct child back, front;
	struct report rb, rf;
	double t0 = now();

	CHECK(t, th != NULL);
	if (!th)
		return;
	CHECK_EQ(t, nc_vif_add(&tool.store, &spec), NC_OK);
	CHECK(t, spawn(&back, run_back, run_dir, nframes) == 0);
	CHECK(t, spawn(&front, run_front, run_dir, nframes) == 0);
	/* The backend reports once it has every frame and its queue is
	 * empty; then the frontend stops and reports. */
	if (write(back.stop[1], "x", 1) != 1)
		CHECK(t, 0);
	CHECK(t, collect(&back, &rb, 600) == 0);
	if (write(front.stop[1], "x", 1) != 1)
		CHECK(t, 0);
	CHECK(t, collect(&front, &rf, 60) == 0);
	waitpid(back.pid, NULL, 0);
	waitpid(front.pid, NULL, 0);
	tap_diag("%llu frames front->back in %.1f s; back->front: %llu offered, "
		 "%llu delivered, %llu dropped (queue full %llu)",
		 (unsigned long long)rb.delivered, now() - t0,
		 (unsigned long long)rb.sent_attempts,
		 (unsigned long long)rb.s.tx.packets,
		 (unsigned long long)rb.s.tx.dropped,
		 (unsigned long long)rb.s.tx.reason[NC_R_QUEUE_FULL]);
	/* frontend -> backend: every frame delivered and answered OKAY */
	CHECK_EQ(t, rf.sent_attempts, nframes);
	CHECK_EQ(t, rb.delivered, nframes);
	CHECK_EQ(t, rb.s.rx.packets, nframes);
	CHECK_EQ(t, rf.s.tx.packets, nframes);
	CHECK_EQ(t, rf.s.tx.dropped + rf.s.tx.errors, 0);
	/* backend -> frontend: offered = delivered + dropped, each drop
	 * with its reason, and what the backend sent the frontend got */
	CHECK_EQ(t, rb.sent_attempts, rb.s.tx.packets + rb.s.tx.dropped);
	CHECK_EQ(t, rb.s.tx.dropped, rb.s.tx.reason[NC_R_QUEUE_FULL]);
	CHECK(t, rb.s.tx.dropped > 0);
	CHECK_EQ(t, rf.delivered, rb.s.tx.packets);
	CHECK_EQ(t, rf.s.rx.packets, rb.s.tx.packets);
	CHECK_EQ(t, rf.s.rx.dropped + rf.s.rx.errors, 0);
	nc_sim_close(th);
}

int main(int argc, char **argv)
{
	struct tap t;

	tap_init(&t);
	if (argc > 2)
		nframes = strtoull(argv[2], NULL, 10);
	if (argc < 2 || start_sim(argv[1])) {
		tap_skip(&t, "no simulator (pass the netchannel binary)");
		tap_run(&t, "10M frames through the simulator", test_load);
		return tap_done(&t);
	}
	tap_run(&t, "10,000,000 frames through the simulator, every one "
		"delivered or counted", test_load);
	kill(sim_pid, SIGTERM);
	waitpid(sim_pid, NULL, 0);
	return tap_done(&t);
}

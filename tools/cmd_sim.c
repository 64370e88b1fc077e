/*
 * cmd_sim.c - `netchannel sim`: the simulator daemon that plays the
 * hypervisor for netchannel processes on one Linux machine.  It serves
 * the store, a xenstored on one unix socket per domain
 * (src/sim/xs_server.h), and grants and event channels on one platform
 * socket per domain (src/sim/plat_server.h).
 *
 * The loop: one epoll set and a small table of fd handlers.  A service
 * registers the fds it wants watched with loop_add(fd, fn, arg); the loop
 * calls fn(arg, events) when one is ready.  The store server contributes a
 * single fd (its own epoll set, nested); so does the platform server
 * (grants and event channels).  The platform server tells us when a
 * domain's first process joins and its last one leaves: the store then
 * introduces or releases the domain (its nodes go, @releaseDomain fires).
 *
 * Signals: SIGTERM and SIGINT are blocked from the start and read from a
 * signalfd, so stopping is an ordinary loop event and no global state is
 * needed.  The signalfd is made after --daemon's fork: epoll ties a
 * signalfd's wake-ups to the task that registered it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "netchannel.h"
#include "sim/plat_server.h"
#include "sim/xs_server.h"
#include "store/store.h"


#define SIM_DEFAULT_RUN_DIR "/run/netchannel"
#define SIM_DEFAULT_DOMAINS 8u
#define SIM_MAX_DOMAINS 256u
#define SIM_MAX_HANDLERS 16u
#define SIM_EVENTS_PER_WAIT 16

struct sim_opts {
	const char *run_dir;
	unsigned domains;       /* domains 0 .. domains-1 */
	int daemon;
	const char *pidfile;    /* NULL: none */
	int verbose;            /* log LOG_DEBUG too */
};

/* Where log lines go: stderr in the foreground, syslog once detached
 * (and stderr too until the parent of --daemon has gone). */
struct sim_log {
	int use_syslog;
	int also_stderr;
	int verbose;
};

typedef void (*sim_handler_fn)(void *arg, uint32_t events);

struct sim_handler {
	int fd;
	sim_handler_fn fn;
	void *arg;
};

struct sim_loop {
	int epfd;
	int stop;               /* set by a handler: leave the loop */
	int failed;             /* set with stop when a service broke */
	unsigned n;
	struct sim_handler h[SIM_MAX_HANDLERS];   /* fixed: epoll holds
						   * pointers into it */
};

struct sim {
	struct sim_opts opts;
	struct sim_log log;
	struct sim_loop loop;
	struct ncs_store *store;
	struct ncsim_xs *xs;
	struct ncsim_plat *plat;        /* grants and event channels */
	int sigfd;
	int ready_fd;                   /* --daemon: tells the parent we run */
	sigset_t old_mask;
	int mask_set;
	int pidfile_written;
	char run_dir[PATH_MAX];         /* absolute */
	char pidfile[PATH_MAX];         /* absolute; "" for none */
};

/* --------------------------------------------------------------- logging */

static void log_line(void *arg, int level, const char *msg)
{
	const struct sim_log *log = arg;

	if (level > LOG_INFO && !log->verbose)
		return;
	if (log->use_syslog)
		syslog(level, "%s", msg);
	if (!log->use_syslog || log->also_stderr)
		fprintf(stderr, "netchannel sim: %s\n", msg);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void sim_logf(struct sim *sim, int level, const char *fmt, ...)
{
	char msg[PATH_MAX + 256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(&sim->log, level, msg);
}

/* ------------------------------------------------------------ event loop */

static int loop_init(struct sim_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

/* Watch fd for readability and call fn(arg, events) when it is. */
static int loop_add(struct sim_loop *l, int fd, sim_handler_fn fn, void *arg)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sim_handler *h;

	if (l->n == SIM_MAX_HANDLERS)
		return -ENOSPC;
	h = &l->h[l->n];
	h->fd = fd;
	h->fn = fn;
	h->arg = arg;
	ev.data.ptr = h;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	l->n++;
	return 0;
}

static int loop_run(struct sim_loop *l)
{
	struct epoll_event ev[SIM_EVENTS_PER_WAIT];
	struct sim_handler *h;
	int i, n;

	while (!l->stop) {
		n = epoll_wait(l->epfd, ev, SIM_EVENTS_PER_WAIT, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (i = 0; i < n && !l->stop; i++) {
			h = ev[i].data.ptr;
			h->fn(h->arg, ev[i].events);
		}
	}
	return l->failed ? -EIO : 0;
}

static void loop_fini(struct sim_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

/* -------------------------------------------------------------- handlers */

static void on_store(void *arg, uint32_t events)
{
	struct sim *sim = arg;
	int rc = ncsim_xs_dispatch(sim->xs);

	(void)events;
	if (rc < 0) {
		sim_logf(sim, LOG_ERR, "store: %s", strerror(-rc));
		sim->loop.failed = sim->loop.stop = 1;
	}
}

static void on_platform(void *arg, uint32_t events)
{
	struct sim *sim = arg;
	int rc = ncsim_plat_dispatch(sim->plat);

	(void)events;
	if (rc < 0) {
		sim_logf(sim, LOG_ERR, "platform: %s", strerror(-rc));
		sim->loop.failed = sim->loop.stop = 1;
	}
}

static void on_signal(void *arg, uint32_t events)
{
	struct sim *sim = arg;
	struct signalfd_siginfo si;
	ssize_t r = read(sim->sigfd, &si, sizeof(si));

	(void)events;
	if (r != (ssize_t)sizeof(si))
		return;
	sim_logf(sim, LOG_INFO, "%s: stopping", strsignal((int)si.ssi_signo));
	sim->loop.stop = 1;
}

/* ----------------------------------------------------------------- paths */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p */
static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	char *p;

	if (path_fmt(tmp, sizeof(tmp), "%s", path))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int domain_dir(const struct sim *sim, unsigned id, char *buf,
		      size_t len)
{
	if (id == 0)
		return path_fmt(buf, len, "%s/xenstored", sim->run_dir);
	return path_fmt(buf, len, "%s/domain/%u/xenstored", sim->run_dir, id);
}

/* Remove the directories sim_start() made, if empty; DIR itself stays. */
static void remove_dirs(const struct sim *sim)
{
	char path[PATH_MAX];
	unsigned id;

	for (id = 0; id < sim->opts.domains; id++) {
		if (domain_dir(sim, id, path, sizeof(path)) == 0)
			rmdir(path);
		if (!path_fmt(path, sizeof(path), "%s/domain/%u",
			      sim->run_dir, id))
			rmdir(path);
	}
	if (!path_fmt(path, sizeof(path), "%s/domain", sim->run_dir))
		rmdir(path);
}

/* The absolute form of `path` (relative to the current directory). */
static int absolute(const char *path, char *buf, size_t len)
{
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return path_fmt(buf, len, "%s", path);
	if (!getcwd(cwd, sizeof(cwd)))
		return -errno;
	return path_fmt(buf, len, "%s/%s", cwd, path);
}

/* -------------------------------------------------------------- pidfile */

static int write_pidfile(struct sim *sim)
{
	int fd, rc = 0;

	if (!sim->pidfile[0])
		return 0;
	fd = open(sim->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		  0644);
	if (fd < 0 || dprintf(fd, "%ld\n", (long)getpid()) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && !rc)
		rc = -errno;
	if (rc)
		sim_logf(sim, LOG_ERR, "%s: %s", sim->pidfile, strerror(-rc));
	else
		sim->pidfile_written = 1;
	return rc;
}

/* ------------------------------------------------------------ the store */

static int listen_domain(struct sim *sim, unsigned id)
{
	char dir[PATH_MAX], sock[PATH_MAX];
	int rc = domain_dir(sim, id, dir, sizeof(dir));

	if (!rc)
		rc = path_fmt(sock, sizeof(sock), "%s/socket", dir);
	if (!rc)
		rc = mkdir_p(dir, 0755);
	if (!rc)
		rc = ncsim_xs_listen(sim->xs, sock, (nc_domid_t)id);
	if (rc == -EADDRINUSE)
		sim_logf(sim, LOG_ERR, "%s: another daemon is serving it",
			 sock);
	else if (rc)
		sim_logf(sim, LOG_ERR, "%s: %s", sock, strerror(-rc));
	if (!rc && id)
		rc = ncsim_xs_introduce_domain(sim->xs, (nc_domid_t)id);
	return rc;
}

static int store_new(struct sim *sim)
{
	sim->store = ncs_store_new(NULL);
	sim->xs = sim->store ? ncsim_xs_new(sim->store) : NULL;
	if (!sim->xs) {
		sim_logf(sim, LOG_ERR, "store: out of memory");
		return -ENOMEM;
	}
	ncsim_xs_set_log(sim->xs, log_line, &sim->log);
	return 0;
}

static int store_start(struct sim *sim)
{
	unsigned id;
	int rc;

	/* Domain 0's socket last: once it exists, every socket does (the
	 * platform sockets too), so a script may wait for that one alone. */
	for (id = 1; id < sim->opts.domains; id++) {
		rc = listen_domain(sim, id);
		if (rc)
			return rc;
	}
	rc = listen_domain(sim, 0);
	if (rc)
		return rc;
	return loop_add(&sim->loop, ncsim_xs_fd(sim->xs), on_store, sim);
}

/* -------------------------------------------------- grants and events */

static void domain_joined(void *arg, nc_domid_t domid)
{
	struct sim *sim = arg;

	/* A domain that was released comes back with its first process;
	 * domain 0 is never introduced nor released. */
	if (domid)
		ncsim_xs_introduce_domain(sim->xs, domid);
}

static void domain_left(void *arg, nc_domid_t domid)
{
	struct sim *sim = arg;

	if (!domid)
		return;
	sim_logf(sim, LOG_INFO, "domain %u: last process gone, releasing",
		 (unsigned)domid);
	ncsim_xs_release_domain(sim->xs, domid);
}

/* Each share and port costs the daemon an fd: take all the kernel
 * allows us (the platform server divides them between domains). */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int plat_listen_domain(struct sim *sim, unsigned id)
{
	char dir[PATH_MAX], sock[PATH_MAX];
	int rc = path_fmt(dir, sizeof(dir), "%s/domain/%u", sim->run_dir, id);

	if (!rc)
		rc = path_fmt(sock, sizeof(sock), "%s/platform.sock", dir);
	if (!rc)
		rc = mkdir_p(dir, 0755);
	if (!rc)
		rc = ncsim_plat_listen(sim->plat, sock, (nc_domid_t)id);
	if (rc == -EADDRINUSE)
		sim_logf(sim, LOG_ERR, "%s: another daemon is serving it",
			 sock);
	else if (rc)
		sim_logf(sim, LOG_ERR, "%s: %s", sock, strerror(-rc));
	return rc;
}

static int plat_start(struct sim *sim)
{
	struct ncsim_plat_hooks hooks = { domain_joined, domain_left, sim };
	unsigned id;
	int rc;

	raise_fd_limit();
	sim->plat = ncsim_plat_new(sim->opts.domains);
	if (!sim->plat) {
		sim_logf(sim, LOG_ERR, "platform: %s", strerror(errno));
		return -ENOMEM;
	}
	ncsim_plat_set_log(sim->plat, log_line, &sim->log);
	ncsim_plat_set_hooks(sim->plat, &hooks);
	for (id = 0; id < sim->opts.domains; id++) {
		rc = plat_listen_domain(sim, id);
		if (rc)
			return rc;
	}
	return loop_add(&sim->loop, ncsim_plat_fd(sim->plat), on_platform,
			sim);
}

/* ------------------------------------------------------ start and stop */

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

/* First thing: a stop signal from now on waits for the loop. */
static int signals_block(struct sim *sim)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);       /* a client hanging up is no crash */
	stop_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, &sim->old_mask) < 0)
		return -errno;
	sim->mask_set = 1;
	return 0;
}

/* In the process that runs the loop (after --daemon's fork). */
static int signals_watch(struct sim *sim)
{
	sigset_t set;

	stop_signals(&set);
	sim->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sim->sigfd < 0)
		return -errno;
	return loop_add(&sim->loop, sim->sigfd, on_signal, sim);
}

static int paths_start(struct sim *sim)
{
	char real[PATH_MAX];
	int rc = mkdir_p(sim->opts.run_dir, 0755);

	if (!rc && !realpath(sim->opts.run_dir, real))
		rc = -errno;
	if (!rc)
		rc = path_fmt(sim->run_dir, sizeof(sim->run_dir), "%s", real);
	if (rc) {
		sim_logf(sim, LOG_ERR, "%s: %s", sim->opts.run_dir,
			 strerror(-rc));
		return rc;
	}
	if (sim->opts.pidfile &&
	    absolute(sim->opts.pidfile, sim->pidfile, sizeof(sim->pidfile))) {
		sim_logf(sim, LOG_ERR, "%s: bad path", sim->opts.pidfile);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int sim_start(struct sim *sim)
{
	int rc;

	sim->sigfd = -1;
	sim->ready_fd = -1;
	rc = loop_init(&sim->loop);
	if (rc)
		return rc;
	rc = signals_block(sim);
	if (!rc)
		rc = paths_start(sim);
	if (!rc)
		rc = store_new(sim);
	if (!rc)
		rc = plat_start(sim);
	if (!rc)
		rc = store_start(sim);
	return rc;
}

static void sim_stop(struct sim *sim)
{
	ncsim_plat_free(sim->plat);     /* removes its sockets; no hooks */
	sim->plat = NULL;
	ncsim_xs_free(sim->xs);         /* removes the sockets */
	sim->xs = NULL;
	ncs_store_free(sim->store);
	sim->store = NULL;
	if (sim->run_dir[0])
		remove_dirs(sim);
	if (sim->pidfile_written)
		unlink(sim->pidfile);
	if (sim->sigfd >= 0)
		close(sim->sigfd);
	if (sim->ready_fd >= 0)
		close(sim->ready_fd);   /* the parent reads EOF: failure */
	loop_fini(&sim->loop);
	if (sim->mask_set)
		sigprocmask(SIG_SETMASK, &sim->old_mask, NULL);
}

/* ------------------------------------------------------------ daemonize */

static void null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Fork into the background.  The parent waits until the child calls
 * sim_ready(), then exits 0 (or 1 when the child failed first): `sim
 * --daemon` returning means the daemon serves.  Returns 0 in the child. */
static int daemonize(struct sim *sim)
{
	int ready[2];
	ssize_t r;
	pid_t pid;
	char ok = 0;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(ready[0]);
		close(ready[1]);
		return (int)r;
	}
	if (pid > 0) {
		close(ready[1]);
		do
			r = read(ready[0], &ok, 1);
		while (r < 0 && errno == EINTR);
		if (r != 1)
			fprintf(stderr, "netchannel sim: the daemon failed to "
				"start\n");
		_exit(r == 1 ? 0 : 1);  /* the sockets are the child's now */
	}
	close(ready[0]);
	setsid();
	if (chdir("/") < 0)
		return -errno;
	openlog("netchannel-sim", LOG_PID, LOG_DAEMON);
	sim->log.use_syslog = 1;
	sim->log.also_stderr = 1;
	sim->ready_fd = ready[1];
	return 0;
}

/* Everything is up: say so, and let a --daemon parent go. */
static void sim_ready(struct sim *sim)
{
	if (sim->ready_fd >= 0) {
		sim->log.also_stderr = 0;
		null_stdio();
		if (write(sim->ready_fd, "1", 1) != 1)
			sim_logf(sim, LOG_WARNING, "could not tell the parent");
		close(sim->ready_fd);
		sim->ready_fd = -1;
	}
	sim_logf(sim, LOG_INFO, "serving domains 0..%u: store at "
		 "%s/xenstored/socket and %s/domain/<id>/xenstored/socket, "
		 "grants and events at %s/domain/<id>/platform.sock",
		 sim->opts.domains - 1, sim->run_dir, sim->run_dir,
		 sim->run_dir);
}

/* -------------------------------------------------------------- options */

static void usage(FILE *f)
{
	fprintf(f,
"usage: netchannel sim [--run-dir DIR] [--domains N] [--daemon]\n"
"                      [--pidfile FILE] [--verbose] [--help]\n"
"\n"
"Play the hypervisor for netchannel processes on this machine.  Serves\n"
"xenstore (Xen's wire protocol), grant tables and event channels on unix\n"
"sockets, a set per domain; a client is of the domain whose socket it\n"
"connects to.  Domain 0 is privileged.\n"
"\n"
"  --run-dir DIR   where the sockets go (default " SIM_DEFAULT_RUN_DIR ")\n"
"  --domains N     serve domains 0..N-1 (default %u, at most %u)\n"
"  --daemon        detach, log to syslog; returns once the sockets are up\n"
"  --pidfile FILE  write the daemon's pid to FILE\n"
"  --verbose       log every connection too\n"
"  --help          this text\n"
"\n"
"Sockets:\n"
"  DIR/xenstored/socket               domain 0 (Xen's own layout)\n"
"  DIR/domain/<id>/xenstored/socket   domain <id>, for 1 <= id < N\n"
"  DIR/domain/<id>/platform.sock      grants and event channels of domain\n"
"                                     <id>, for 0 <= id < N (see sim.h)\n"
"DIR/xenstored/socket is made last: once it exists, all of them do.\n"
"When the last platform client of a domain other than 0 exits, the domain\n"
"is released: its store nodes go and @releaseDomain fires.\n"
"\n"
"libxenstore and xenstore-utils find them through XENSTORED_PATH:\n"
"  XENSTORED_PATH=DIR/xenstored/socket xenstore-ls /\n"
"  XENSTORED_PATH=DIR/domain/1/xenstored/socket xenstore-read /local/domain/1/x\n"
"\n"
"SIGTERM or SIGINT stops the daemon; it removes its sockets and pidfile.\n",
		SIM_DEFAULT_DOMAINS, SIM_MAX_DOMAINS);
}

static int parse_count(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 1 ||
	    v > SIM_MAX_DOMAINS)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/* 0: run; 1: --help was printed; 2: bad usage (reported). */
static int parse_opts(int argc, char **argv, struct sim_opts *o)
{
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "domains", required_argument, NULL, 'n' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->run_dir = SIM_DEFAULT_RUN_DIR;
	o->domains = SIM_DEFAULT_DOMAINS;
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:n:dp:vh", longopts, NULL))
	       != -1) {
		switch (c) {
		case 'r': o->run_dir = optarg; break;
		case 'd': o->daemon = 1; break;
		case 'p': o->pidfile = optarg; break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); return 1;
		case 'n':
			if (parse_count(optarg, &o->domains) == 0)
				break;
			fprintf(stderr, "netchannel sim: --domains: 1..%u\n",
				SIM_MAX_DOMAINS);
			return 2;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "netchannel sim: unexpected '%s'\n",
			argv[optind]);
		return 2;
	}
	if (!o->run_dir[0]) {
		fprintf(stderr, "netchannel sim: --run-dir is empty\n");
		return 2;
	}
	return 0;
}

/* ------------------------------------------------------------- command */

int cmd_sim(int argc, char **argv)
{
	struct sim sim;
	int rc;

	memset(&sim, 0, sizeof(sim));
	rc = parse_opts(argc, argv, &sim.opts);
	if (rc)
		return rc == 1 ? 0 : 2;
	sim.log.verbose = sim.opts.verbose;
	rc = sim_start(&sim);
	if (!rc && sim.opts.daemon)
		rc = daemonize(&sim);
	if (!rc)
		rc = write_pidfile(&sim);
	if (!rc)
		rc = signals_watch(&sim);
	if (!rc) {
		sim_ready(&sim);
		rc = loop_run(&sim.loop);
	}
	sim_stop(&sim);
	if (rc)
		sim_logf(&sim, LOG_ERR, "stopped: %s", strerror(-rc));
	return rc ? 1 : 0;
}

/*
 * socketpair.c - the baseline bench/compare.sh measures netchannel
 * against: two processes passing frames over a Unix SOCK_SEQPACKET
 * socketpair (one message per frame), the sender pinned to CPU 0 and the
 * receiver to CPU 1, as `netchannel bench --sim` pins its two ends.
 *
 *   socketpair SIZE SECONDS [single|mmsg] [WARMUP]
 *
 * single: one write() and one read() per frame; mmsg: sendmmsg() and
 * recvmmsg() in batches of 32.  The receiver measures over SECONDS after
 * WARMUP (default 0.5 s) and prints `socketpair SIZE MODE mpps=X gbps=Y`.
 * Built by compare.sh with cc; not part of the meson build.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define BATCH 32
#define MAXF 65536

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "socketpair: pinning to CPU %d: %s\n", cpu,
			strerror(errno));
}

static volatile int *stop;

static void sender(int fd, size_t size, int mmsg)
{
	static unsigned char buf[BATCH][MAXF];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	int i;

	pin(0);
	memset(m, 0, sizeof(m));
	for (i = 0; i < BATCH; i++) {
		memset(buf[i], 0x5a, size);
		iov[i].iov_base = buf[i];
		iov[i].iov_len = size;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	while (!*stop) {
		if (mmsg) {
			if (sendmmsg(fd, m, BATCH, 0) < 0 && errno != EINTR)
				break;
		} else if (write(fd, buf[0], size) < 0 && errno != EINTR) {
			break;
		}
	}
	_exit(0);
}

static void receiver(int fd, size_t size, int mmsg, double seconds,
		     double warmup)
{
	static unsigned char buf[BATCH][MAXF];
	struct mmsghdr m[BATCH];
	struct iovec iov[BATCH];
	double t0 = 0, t1 = 0, t;
	unsigned long long n = 0, n1 = 0;
	unsigned iter = 0;
	int i;

	pin(1);
	memset(m, 0, sizeof(m));
	for (i = 0; i < BATCH; i++) {
		iov[i].iov_base = buf[i];
		iov[i].iov_len = MAXF;
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;) {
		int got;

		if (mmsg) {
			got = recvmmsg(fd, m, BATCH, 0, NULL);
		} else {
			got = read(fd, buf[0], MAXF) > 0 ? 1 : -1;
		}
		if (got < 0)
			break;
		n += (unsigned)got;
		if (++iter & 15)
			continue;
		t = now();
		if (!t0)
			t0 = t;
		if (!t1 && t - t0 >= warmup) {
			t1 = t;
			n1 = n;
		} else if (t1 && t - t1 >= seconds) {
			double mpps = (double)(n - n1) / (t - t1) / 1e6;

			printf("socketpair %zu %s mpps=%.3f gbps=%.3f\n", size,
			       mmsg ? "mmsg" : "single", mpps,
			       mpps * 1e6 * (double)size * 8 / 1e9);
			fflush(stdout);
			break;
		}
	}
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	double seconds = argc > 2 ? atof(argv[2]) : 5;
	int mmsg = argc > 3 && !strcmp(argv[3], "mmsg");
	double warmup = argc > 4 ? atof(argv[4]) : 0.5;
	int sv[2], sndbuf = 4 << 20;
	pid_t pid;

	if (size < 1 || size > MAXF || seconds <= 0) {
		fprintf(stderr, "usage: socketpair SIZE SECONDS "
			"[single|mmsg] [WARMUP]\n");
		return 2;
	}
	stop = mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (stop == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 1;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	signal(SIGPIPE, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		close(sv[1]);
		sender(sv[0], size, mmsg);
	}
	close(sv[0]);
	receiver(sv[1], size, mmsg, seconds, warmup);
	*stop = 1;
	close(sv[1]);        /* the sender's next write fails: it exits */
	waitpid(pid, NULL, 0);
	return 0;
}

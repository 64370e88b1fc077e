/*
 * c2c.c - a core-to-core ping-pong probe: two threads pinned to CPU 0 and
 * CPU 1 bounce one cache line for about 50 ms and the median round trip
 * is printed in ns (`c2c rtt_ns=N`).  On these 2-vCPU machines the vCPUs'
 * placement on the host changes every few seconds (a round trip of about
 * 140 ns when close, about 570 ns when far: shared/docs/BENCHMARKING.md);
 * bench/compare.sh runs this before and after each rep to tell which
 * state the rep ran in.  Built by compare.sh with cc -pthread.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROUNDS 4096u

static _Alignas(64) volatile unsigned ping;
static _Alignas(64) volatile unsigned pong;
static volatile int quit;

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
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *echo(void *arg)
{
	unsigned last = 0;

	(void)arg;
	pin(1);
	while (!quit) {
		unsigned v = ping;

		if (v != last) {
			last = v;
			pong = v;
		}
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static double rt[ROUNDS];
	pthread_t t;
	double start, t0;
	unsigned i, n = 0;

	if (pthread_create(&t, NULL, echo, NULL))
		return 1;
	pin(0);
	start = now();
	for (i = 1; i <= ROUNDS && now() - start < 0.05; i++) {
		t0 = now();
		ping = i;
		while (pong != i && now() - start < 0.2)
			;
		if (pong != i)
			break;
		rt[n++] = (now() - t0) * 1e9;
	}
	quit = 1;
	pthread_join(t, NULL);
	if (!n) {
		printf("c2c rtt_ns=NA\n");
		return 0;
	}
	qsort(rt, n, sizeof(rt[0]), cmp);
	printf("c2c rtt_ns=%.0f\n", rt[n / 2]);
	return 0;
}

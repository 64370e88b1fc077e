/*
 * harness.h - a small TAP producer for netchannel's tests.
 *
 *   static void test_x(struct tap *t) { CHECK(t, 1 + 1 == 2); }
 *   int main(void) { struct tap t; tap_init(&t);
 *                    tap_run(&t, "x", test_x); return tap_done(&t); }
 *
 * Each case prints "ok N - name" or "not ok N - name" with a diagnostic
 * for every failed check.  tap_skip() marks the running case skipped with
 * a reason; when the environment has CI=true a skip is a failure, because
 * CI must provide everything the tests need.
 */
#ifndef NETCHANNEL_TEST_HARNESS_H
#define NETCHANNEL_TEST_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap {
	int n;               /* cases run */
	int failed;          /* cases failed */
	int case_failed;     /* checks failed in the running case */
	int case_skipped;    /* the running case called tap_skip */
	char skip_reason[256];
};

static inline void tap_init(struct tap *t)
{
	memset(t, 0, sizeof(*t));
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline int tap_check(struct tap *t, int ok, const char *what,
			    const char *file, int line)
{
	if (!ok) {
		t->case_failed++;
		printf("# FAILED %s:%d: %s\n", file, line, what);
	}
	return ok;
}

/* CHECK(t, cond): record cond; evaluates to cond. */
#define CHECK(t, cond) tap_check((t), !!(cond), #cond, __FILE__, __LINE__)
/* CHECK_EQ(t, a, b): integers, printing both on failure. */
#define CHECK_EQ(t, a, b) do { long long a_ = (long long)(a), \
	b_ = (long long)(b); if (!tap_check((t), a_ == b_, #a " == " #b, \
	__FILE__, __LINE__)) printf("#   %lld != %lld\n", a_, b_); } while (0)

/* Print a diagnostic line. */
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
}

static inline void tap_skip(struct tap *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->skip_reason, sizeof(t->skip_reason), fmt, ap);
	va_end(ap);
	t->case_skipped = 1;
}

static inline int tap_in_ci(void)
{
	const char *ci = getenv("CI");
	return ci && strcmp(ci, "true") == 0;
}

static inline void tap_run(struct tap *t, const char *name,
			   void (*fn)(struct tap *))
{
	t->case_failed = 0;
	t->case_skipped = 0;
	t->n++;
	fn(t);
	if (t->case_failed) {
		t->failed++;
		printf("not ok %d - %s\n", t->n, name);
	} else if (t->case_skipped && tap_in_ci()) {
		t->failed++;
		printf("not ok %d - %s # skipped under CI=true: %s\n", t->n,
		       name, t->skip_reason);
	} else if (t->case_skipped) {
		printf("ok %d - %s # SKIP %s\n", t->n, name, t->skip_reason);
	} else {
		printf("ok %d - %s\n", t->n, name);
	}
}

static inline int tap_done(struct tap *t)
{
	printf("1..%d\n", t->n);
	return t->failed ? 1 : 0;
}

#endif

#!/usr/bin/env bash
# fuzz/run.sh [SECONDS] [HARNESS...] - build netchannel's libFuzzer
# harnesses with clang (ASan + UBSan) into build-fuzz/ and run each for
# SECONDS (default 60) on a copy of its seed corpus (fuzz/corpus/<name>/).
#
#   bash fuzz/run.sh            every harness, 60 s each
#   bash fuzz/run.sh 20         every harness, 20 s each
#   bash fuzz/run.sh 300 fuzz_back_tx fuzz_parse
#
# Prints the executions of each harness (libFuzzer's "#N DONE" line and
# stat::number_of_executed_units) and exits non-zero when any harness
# crashed, hung (-timeout), leaked or failed to build.  Crashing inputs are
# kept in build-fuzz/artifacts/<name>/.  Environment: CC (default clang),
# FUZZ_TIMEOUT (seconds per input before libFuzzer calls it a hang, 10),
# FUZZ_ARGS (extra libFuzzer flags).
set -u

cd "$(dirname "$0")/.." || exit 2

SECS=${1:-60}
shift 2>/dev/null || true
ALL="fuzz_parse fuzz_xs_wire fuzz_back_tx fuzz_front_rsp fuzz_handshake"
HARNESSES=${*:-$ALL}
CC=${CC:-clang}
OUT=build-fuzz
TIMEOUT=${FUZZ_TIMEOUT:-10}

case "$SECS" in
	''|*[!0-9]*) echo "usage: $0 [SECONDS] [HARNESS...]" >&2; exit 2 ;;
esac

mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts" "$OUT/logs"

CFLAGS="-g -O1 -std=c11 -D_GNU_SOURCE -Iinclude -Isrc -Wall -Wextra
	-fno-omit-frame-pointer -fno-sanitize-recover=all"
SAN="address,undefined"

# The code under test (the protocol core and the wire parser) is
# instrumented for coverage, without libFuzzer's main.  The world the
# harnesses run it in (the store engine and the in-process platform) gets
# the sanitizers only: coverage feedback from the test world would slow
# every execution down and steer the fuzzer toward the wrong code.
TARGET_SRC="$(ls src/core/*.c) src/sim/xs_wire.c"
WORLD_SRC="$(ls src/store/*.c src/platform/inproc*.c) src/platform/shm.c"
OBJS=""
build_obj() { # src flags
	obj="$OUT/obj/$(echo "$1" | tr / _).o"
	if [ ! -e "$obj" ] || [ "$1" -nt "$obj" ] || [ "$0" -nt "$obj" ] ||
	   [ -n "$(find include src -name '*.h' -newer "$obj" 2>/dev/null |
		   head -n 1)" ]; then
		# shellcheck disable=SC2086
		if ! $CC $CFLAGS $2 -c "$1" -o "$obj"; then
			echo "build of $1 failed" >&2
			exit 1
		fi
	fi
	OBJS="$OBJS $obj"
}
for src in $TARGET_SRC; do
	build_obj "$src" "-fsanitize=fuzzer-no-link,$SAN"
done
for src in $WORLD_SRC; do
	build_obj "$src" "-fsanitize=$SAN"
done

status=0
summary=""
for h in $HARNESSES; do
	if [ ! -f "fuzz/$h.c" ]; then
		echo "no harness fuzz/$h.c" >&2
		status=1
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -fsanitize=fuzzer,$SAN "fuzz/$h.c" $OBJS -lpthread \
		-o "$OUT/$h"; then
		echo "build of $h failed" >&2
		status=1
		summary="$summary
$h: BUILD FAILED"
		continue
	fi
	# A fresh working copy of the seeds: what the run finds stays out of
	# the repository.
	rm -rf "$OUT/corpus/$h" "$OUT/artifacts/$h"
	mkdir -p "$OUT/corpus/$h" "$OUT/artifacts/$h"
	if [ -d "fuzz/corpus/$h" ]; then
		cp -R "fuzz/corpus/$h/." "$OUT/corpus/$h/"
	fi
	log="$OUT/logs/$h.log"
	echo "== $h: ${SECS}s"
	# shellcheck disable=SC2086
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	"./$OUT/$h" -max_total_time="$SECS" -print_final_stats=1 \
		-timeout="$TIMEOUT" -rss_limit_mb=4096 -max_len=4096 \
		-artifact_prefix="$OUT/artifacts/$h/" ${FUZZ_ARGS:-} \
		"$OUT/corpus/$h" >"$log" 2>&1
	rc=$?
	done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
	execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' \
		"$log" | tail -n 1)
	rate=$(echo "$done_line" | sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p')
	[ -n "$done_line" ] && echo "$done_line"
	crashes=$(find "$OUT/artifacts/$h" -type f | wc -l)
	if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ] || [ -z "$execs" ]; then
		status=1
		echo "!! $h FAILED (exit $rc, $crashes artifact(s)); log: $log"
		grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit' \
			"$log" | head -n 20
		summary="$summary
$h: FAILED after ${execs:-?} execs (exit $rc, artifacts in $OUT/artifacts/$h)"
	else
		summary="$summary
$h: ${execs} execs in ${SECS}s (${rate:-?} exec/s), no crash"
	fi
done

echo
echo "== fuzz summary${summary}"
exit $status

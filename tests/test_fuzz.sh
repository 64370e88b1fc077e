#!/bin/sh
# Every libFuzzer harness briefly (SECONDS each, default 30), as make
# check's regression net; `make fuzz` runs them longer.  Prints TAP.
# Usage: test_fuzz.sh [SECONDS]
secs=${1:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
n=0
fail=0
for h in fuzz_parse fuzz_xs_wire fuzz_back_tx fuzz_front_rsp fuzz_handshake; do
	n=$((n + 1))
	out=$(bash "$top/fuzz/run.sh" "$secs" "$h" 2>&1)
	rc=$?
	done_line=$(echo "$out" | grep -E "^#[0-9]+[[:space:]]+DONE" | tail -n 1)
	if [ $rc -eq 0 ] && [ -n "$done_line" ]; then
		echo "ok $n - $h ${secs}s: $done_line"
	else
		echo "not ok $n - $h (exit $rc)"
		echo "$out" | tail -n 20 | sed 's/^/# /'
		fail=1
	fi
done
echo "1..$n"
exit $fail

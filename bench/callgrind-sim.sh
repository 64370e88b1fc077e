#!/bin/bash
# bench/callgrind-sim.sh - instructions per segment of the simulator's grant
# copy (sc_copy in src/platform/sim_grants.c, the backend's copy in
# `bench --sim`), which bench/callgrind.sh's in-process mode does not run.
#
#   bench/callgrind-sim.sh [NETCHANNEL_BINARY] [SIZE...]   (default 64 1514)
#
# Starts a `netchannel sim` daemon in a temporary run directory, runs
# `bench --sim --run-dir` under callgrind (--trace-children: the forked
# backend is measured, collecting only inside sc_copy), and divides the
# Ir by the segments copied (sc_copy's memmove calls).  Under valgrind the
# frontend is slow, so each copy call carries fewer segments than at full
# speed; the per-call part is small (a few dozen Ir per call).
set -eu
nc=${1:-./build/netchannel}
shift || true
sizes=${*:-64 1514}
command -v valgrind >/dev/null || { echo "no valgrind" >&2; exit 1; }
tmp=$(mktemp -d /tmp/nc-cgsim.XXXXXX)
mkdir "$tmp/run"
"$nc" sim --run-dir "$tmp/run" >"$tmp/sim.log" 2>&1 &
simpid=$!
trap 'kill "$simpid" 2>/dev/null; wait "$simpid" 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 1
printf '%-6s %12s %10s %8s\n' size "sc_copy Ir" segments "Ir/seg"
for size in $sizes; do
	rm -f "$tmp"/cg.*
	valgrind --tool=callgrind --trace-children=yes \
		--callgrind-out-file="$tmp/cg.%p" --collect-atstart=no \
		--toggle-collect=sc_copy "$nc" bench --sim --run-dir "$tmp/run" \
		--size "$size" --seconds 3 --warmup 0.5 >"$tmp/out" 2>"$tmp/err"
	f=$(grep -l '^totals: [1-9]' "$tmp"/cg.* | head -1)
	ir=$(sed -n 's/^totals: //p' "$f")
	segs=$(callgrind_annotate --auto=yes "$f" \
		"$(cd "$(dirname "$0")/.." && pwd)/src/platform/sim_grants.c" \
		2>/dev/null | sed -n 's/.*=> .*mem\(move\|cpy\).*(\([0-9,]*\)x).*/\2/p' |
		tr -d , | awk '{ s += $1 } END { print s + 0 }')
	awk -v s="$size" -v ir="$ir" -v n="$segs" 'BEGIN {
		printf "%-6s %12d %10d %8.0f\n", s, ir, n, n ? ir / n : 0 }'
done

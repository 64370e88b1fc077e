#!/bin/bash
# bench/queues.sh - what a second queue on a second core is worth:
# `netchannel bench --queues 1` and `--queues 2` (in-process, one thread
# per queue, each pinned to its CPU and running its queue of both ends),
# interleaved 1 2 1 2 ... in the same minutes (BENCHMARKING.md).
#
#   bench/queues.sh [NETCHANNEL_BINARY] [SIZE...]     (default 64 1514)
#   env: REPS (default 5), SECS (seconds per run, default 3)
#
# Prints every figure, then per size the median [min-max] of each and of
# the per-pair ratios (2 queues / 1 queue).
set -u
. "$(cd "$(dirname "$0")" && pwd)/pairs.bash"
nc=${1:-./build/netchannel}
shift || true
sizes=${*:-64 1514}
reps=${REPS:-5}
secs=${SECS:-3}
out=$(mktemp -d /tmp/nc-queues.XXXXXX)
trap 'rm -rf "$out"' EXIT

run() {   # queues size: Mpps or NA
	"$nc" bench --queues "$1" --size "$2" --seconds "$secs" --quiet \
		2>>"$out/err" |
		sed -n 's/^bench [0-9]* mpps=\([0-9.]*\).*/\1/p' | tail -1 |
		grep . || echo NA
}

echo "# queues: $nc; $(nproc) CPUs; $(date -u '+%Y-%m-%d %H:%M UTC');" \
     "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-6s %10s %10s\n' rep size "1q Mpps" "2q Mpps"
for rep in $(seq "$reps"); do
	for s in $sizes; do
		v1=$(run 1 "$s")
		v2=$(run 2 "$s")
		echo "$s $v1 $v2" >>"$out/all"
		printf '%-4s %-6s %10s %10s\n' "$rep" "$s" "$v1" "$v2"
	done
done
echo
printf '%-6s %-24s %-24s %s\n' size "1 queue" "2 queues" "2q/1q"
for s in $sizes; do
	printf '%-6s %-24s %-24s %s\n' "$s" "$(pair_stat "$out/all" 2 "$s")" "$(pair_stat "$out/all" 3 "$s")" \
		"$(pair_stat "$out/all" 4 "$s")"
done

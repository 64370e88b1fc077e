#!/bin/bash
# bench/ab.sh - two netchannel binaries side by side, interleaved
# (A B A B ...), over the simulator: what a change is worth, measured in
# the same minutes (BENCHMARKING.md: figures taken apart do not compare).
#
#   bench/ab.sh BINARY_A BINARY_B [SIZE...]          (default 64 1514)
#   env: REPS (default 3), SECS (window, 3), WARM (warm-up, 0.5),
#        ARGS (more `bench --sim` options for both, e.g. --no-zero)
#
# Prints every figure with the c2c probe before/after (~150 ns close,
# ~570 ns far), then per size the median [min-max] of each binary and of
# the per-pair ratios B/A.
set -u
a=${1:?binary A}
b=${2:?binary B}
shift 2
sizes=${*:-64 1514}
reps=${REPS:-3}
secs=${SECS:-3}
warm=${WARM:-0.5}
args=${ARGS:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pairs.bash"
out=$(mktemp -d /tmp/nc-ab.XXXXXX)
${CC:-cc} -O2 -pthread -o "$out/c2c" "$here/c2c.c" || exit 1

run() {   # binary size: Mpps or NA
	# shellcheck disable=SC2086
	"$1" bench --sim --size "$2" --seconds "$secs" --warmup "$warm" \
		--quiet $args 2>>"$out/err" |
		sed -n 's/^bench [0-9]* mpps=\([0-9.]*\).*/\1/p' | tail -1 |
		grep . || echo NA
}

echo "# ab: A=$a B=$b; $(date -u '+%Y-%m-%d %H:%M UTC');" \
     "load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s %-6s %9s %9s  %s\n' rep size "A Mpps" "B Mpps" "c2c ns"
for rep in $(seq "$reps"); do
	for s in $sizes; do
		p0=$("$out/c2c" | sed 's/.*=//')
		va=$(run "$a" "$s")
		vb=$(run "$b" "$s")
		p1=$("$out/c2c" | sed 's/.*=//')
		echo "$s $va $vb" >>"$out/all"
		printf '%-4s %-6s %9s %9s  %s/%s\n' "$rep" "$s" "$va" "$vb" \
			"$p0" "$p1"
	done
done
echo
printf '%-6s %-24s %-24s %s\n' size A B "B/A"
for s in $sizes; do
	printf '%-6s %-24s %-24s %s\n' "$s" "$(pair_stat "$out/all" 2 "$s")" "$(pair_stat "$out/all" 3 "$s")" \
		"$(pair_stat "$out/all" 4 "$s")"
done
rm -rf "$out"

#!/bin/bash
# bench/callgrind.sh - instructions per frame for each side, from the
# in-process single-thread mode under callgrind (repeatable, whatever the
# machine is doing; BENCHMARKING.md).
#
#   bench/callgrind.sh [NETCHANNEL_BINARY] [SIZE...]    (default 64 1514)
#   env: FRAMES (default 200000), EXTRA (more bench options, e.g. --no-zero)
#
# Two runs per size, each collecting only inside one side's entry points
# (--toggle-collect): the frontend's nc_front_write + nc_front_poll, the
# backend's nc_back_poll (its grant copy included: here the in-process
# platform's, not the simulator's).  Ir / frames delivered.  Bytes the pool
# re-zeroed per frame are printed beside them: glibc's memset is counted
# per iteration of `rep stosb` from 2048 B on, so Ir alone misleads there.
# The in-process mode writes bursts of 32 published once (NC_FRAME_MORE),
# as --sim does; EXTRA=--no-batch publishes every frame (what this script
# measured before the bursts, up to the 02:12 figures in README.md).
# The simulator's grant copy (sc_copy), which --sim runs instead of the
# in-process one, is counted by bench/callgrind-sim.sh.
set -eu
nc=${1:-./build/netchannel}
shift || true
sizes=${*:-64 1514}
frames=${FRAMES:-200000}
extra=${EXTRA:-}
tmp=$(mktemp -d /tmp/nc-callgrind.XXXXXX)
command -v valgrind >/dev/null || { echo "callgrind.sh: no valgrind" >&2; exit 1; }

collected() {   # side options...: prints "Ir frames zeroed_per_frame"
	local out=$tmp/out ir n z
	shift
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$@" \
		"$nc" bench --size "$size" --frames "$frames" --seconds 100000 \
		$extra >"$out" 2>"$tmp/err"
	ir=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/err" | tail -1)
	n=$(sed -n 's/^in-process [0-9]* B: \([0-9]*\) frames.*/\1/p' "$out")
	z=$(sed -n 's/.*bytes zeroed \([0-9.]*\) per frame.*/\1/p' "$out")
	echo "$ir $n $z"
}

printf '%-6s %12s %12s %14s\n' size "front Ir/fr" "back Ir/fr" "zeroed B/fr"
for size in $sizes; do
	read -r fi fn fz <<<"$(collected front --collect-atstart=no \
		--toggle-collect=nc_front_write --toggle-collect=nc_front_poll)"
	read -r bi bn _ <<<"$(collected back --collect-atstart=no \
		--toggle-collect=nc_back_poll)"
	awk -v s="$size" -v fi="$fi" -v fn="$fn" -v bi="$bi" -v bn="$bn" \
	    -v z="$fz" 'BEGIN { printf "%-6s %12.0f %12.0f %14s\n", s,
		fi / fn, bi / bn, z }'
done
rm -rf "$tmp"

#!/bin/bash
# bench/compare.sh - netchannel side by side with DPDK memif and a Unix
# socketpair, in the same run, interleaved (A B C ... A B C ...), because
# this machine's timing drifts by 5x within seconds (BENCHMARKING.md).
#
#   bench/compare.sh [NETCHANNEL_BINARY]      (make bench runs it)
#   env: REPS (default 3), SECS (seconds per measurement window, 5),
#        WARM (warm-up seconds, 1), MEMIF=0 to leave memif out.
#
# Tests, one-way, sender pinned to CPU 0 and receiver to CPU 1:
#   nc64, nc1514    netchannel bench --sim, busy-polling, zeroing on
#   nc64nz          the same at 64 B with the pool's zeroing off (--no-zero:
#                   benchmark only, for the ratio)
#   nc64ev          netchannel bench --sim --mode event (sleeping ends)
#   memif64/1514    dpdk-testpmd txonly (burst 32) -> testpmd rxonly over
#                   net_memif, no hugepages; Rx-pps over the window
#   sp64, sp64m     bench/socketpair.c: one write per frame; sendmmsg x32
# A core-to-core ping-pong probe (bench/c2c.c) runs before and after each
# measurement: its round trip (~150 ns close, ~570 ns far) tells the
# vCPUs' placement.  Prints every figure, then medians [min-max] and the
# medians of the per-rep ratios [min-max].
set -u
nc=${1:-./build/netchannel}
reps=${REPS:-3}
secs=${SECS:-5}
warm=${WARM:-1}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d /tmp/nc-compare.XXXXXX)
cc=${CC:-cc}

log() { printf '%s\n' "$*" >&2; }

$cc -O2 -o "$out/socketpair" "$here/socketpair.c" || exit 1
$cc -O2 -pthread -o "$out/c2c" "$here/c2c.c" || exit 1

# ---------------------------------------------------------------- memif
use_memif=${MEMIF:-1}
if [ "$use_memif" = 1 ] && ! command -v dpdk-testpmd >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		log "installing dpdk (dpdk-testpmd, net_memif)..."
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends dpdk dpdk-dev librte-net-memif23 \
			>"$out/apt.log" 2>&1 ||
		{ apt-get update -q >>"$out/apt.log" 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			--no-install-recommends dpdk dpdk-dev \
			librte-net-memif23 >>"$out/apt.log" 2>&1; }
	fi
	command -v dpdk-testpmd >/dev/null || {
		log "no dpdk-testpmd: memif left out"; use_memif=0; }
fi

# A testpmd reading commands from a fifo.  $1 name, $2 lcores, $3 role,
# then testpmd options.
tp_start() {
	local name=$1 lcores=$2 role=$3
	shift 3
	rm -f "$out/$name.in"
	mkfifo "$out/$name.in"
	dpdk-testpmd --lcores="$lcores" --no-huge -m 512 --no-pci \
		--file-prefix="nc-$name-$$" \
		--vdev="net_memif0,role=$role,socket=$out/memif.sock,socket-abstract=no" \
		-- -i --total-num-mbufs=16384 "$@" \
		<"$out/$name.in" >"$out/$name.log" 2>&1 &
	eval "${name}_pid=$!"
	# keep the fifo open for writing on fd 7 (server) or 8 (client)
	if [ "$name" = srv ]; then exec 7>"$out/$name.in"; else exec 8>"$out/$name.in"; fi
}
tp_wait_prompt() {   # $1 name
	local i
	for i in $(seq 200); do
		grep -q "testpmd>" "$out/$1.log" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# memif one-way at size $1: prints Rx Mpps (or NA)
memif_run() {
	local size=$1 pps
	rm -f "$out/memif.sock"
	tp_start srv '0@1,1@1' server --forward-mode=rxonly
	tp_wait_prompt srv
	tp_start cli '0@0,1@0' client --forward-mode=txonly \
		--txpkts="$size" --burst=32
	tp_wait_prompt cli
	sleep 1                      # the memif link comes up
	echo start >&7
	echo start >&8
	sleep "$warm"
	echo "show port stats all" >&7   # starts testpmd's rate window
	sleep "$secs"
	echo "show port stats all" >&7   # Rx-pps over the window
	sleep 0.5
	# BENCHMARKING.md: stop both first, then quit the client, then the
	# server (the receiver crashes if its peer vanishes while it polls)
	echo stop >&8
	echo stop >&7
	sleep 0.5
	echo quit >&8
	exec 8>&-
	wait "$cli_pid" 2>/dev/null
	echo quit >&7
	exec 7>&-
	wait "$srv_pid" 2>/dev/null
	pps=$(grep -o 'Rx-pps: *[0-9]*' "$out/srv.log" | tail -1 | grep -o '[0-9]*$')
	cat "$out/srv.log" >>"$out/memif-all.log"
	if [ -n "$pps" ] && [ "$pps" -gt 0 ]; then
		awk -v p="$pps" 'BEGIN { printf "%.3f\n", p / 1e6 }'
	else
		echo NA
	fi
}

# ------------------------------------------------------------ the tests
nc_run() {   # netchannel bench args...: prints Mpps
	"$nc" bench --sim --seconds "$secs" --warmup "$warm" --quiet "$@" \
		2>>"$out/nc.err" | sed -n 's/^bench [0-9]* mpps=\([0-9.]*\).*/\1/p' |
		tail -1 | grep . || echo NA
}
sp_run() {   # size mode
	"$out/socketpair" "$1" "$secs" "$2" "$warm" |
		sed -n 's/.*mpps=\([0-9.]*\).*/\1/p' | grep . || echo NA
}
run_test() {
	case $1 in
	nc64) nc_run --size 64 ;;
	nc1514) nc_run --size 1514 ;;
	nc64nz) nc_run --size 64 --no-zero ;;
	nc64ev) nc_run --size 64 --mode event ;;
	memif64) memif_run 64 ;;
	memif1514) memif_run 1514 ;;
	sp64) sp_run 64 single ;;
	sp64m) sp_run 64 mmsg ;;
	esac
}

tests="nc64 nc1514 nc64nz nc64ev"
[ "$use_memif" = 1 ] && tests="$tests memif64 memif1514"
tests="$tests sp64 sp64m"

echo "# netchannel compare: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr)," \
     "$(nproc) CPUs: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "# reps=$reps, window ${secs}s after ${warm}s warm-up; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# busiest other processes: $(ps -eo pcpu,comm --sort=-pcpu | sed -n '2,4p' | awk '{printf "%s %s%%; ", $2, $1}')"
printf '%-4s %-10s %8s  %s\n' rep test Mpps "c2c ns before/after"
for rep in $(seq "$reps"); do
	for t in $tests; do
		before=$("$out/c2c" | sed 's/.*=//')
		v=$(run_test "$t")
		after=$("$out/c2c" | sed 's/.*=//')
		echo "$rep $v $before $after" >>"$out/$t"
		printf '%-4s %-10s %8s  %s/%s\n' "$rep" "$t" "$v" "$before" "$after"
	done
done

# ---------------------------------------------------------------- summary
med() {   # file [close]: median [min-max] of column 2 (close: probes < 300 ns)
	awk -v onlyclose="${2:-}" '$2 != "NA" && (onlyclose == "" ||
		($3 != "NA" && $3 + 0 < 300 && $4 != "NA" && $4 + 0 < 300)) {
		print $2 }' "$1" | sort -g | awk '
		{ v[NR] = $1 } END {
			if (!NR) { print "NA"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.3f [%.3f-%.3f] (n=%d)\n", m, v[1], v[NR], NR }'
}
# a b [close]: median [min-max] of the per-rep ratios a/b; with `close`,
# only reps where all four probes saw a close placement (< 300 ns)
ratio() {
	[ -f "$out/$1" ] && [ -f "$out/$2" ] || { echo NA; return; }
	join <(sort -k1,1 "$out/$1") <(sort -k1,1 "$out/$2") | awk -v onlyclose="${3:-}" '
		function near(x) { return x != "NA" && x + 0 < 300 }
		$2 != "NA" && $5 != "NA" && $5 > 0 &&
		(onlyclose == "" || (near($3) && near($4) && near($6) && near($7))) {
		print $2 / $5 }' | sort -g | awk '
		{ v[NR] = $1 } END {
			if (!NR) { print "NA"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2fx [%.2f-%.2f]\n", m, v[1], v[NR] }'
}
echo
echo "# medians over $reps reps, Mpps [min-max]; then over the close-placement reps"
for t in $tests; do
	printf '%-10s %-32s %s\n' "$t" "$(med "$out/$t")" "$(med "$out/$t" close)"
done
echo
echo "# ratios: median of the per-rep ratios [min-max]; then over the reps"
echo "# whose four c2c probes all saw a close placement (< 300 ns)"
row() {   # label a b target
	printf '%-32s %-20s %-20s %s\n' "$1" "$(ratio "$2" "$3")" \
		"$(ratio "$2" "$3" close)" "$4"
}
printf '%-32s %-20s %-20s %s\n' "" "all reps" "close reps" "target"
row "netchannel/memif 64 B" nc64 memif64 ">= 1.0x"
row "netchannel/memif 1514 B" nc1514 memif1514 ">= 1.0x"
row "zeroing on/off 64 B" nc64 nc64nz ">= 0.9x"
row "netchannel/socketpair 64 B" nc64 sp64 ">= 20x"
row "netchannel/socketpair mmsg 64 B" nc64 sp64m ">= 20x"
row "event mode/poll mode 64 B" nc64ev nc64 ""
echo "# raw figures and logs: $out"

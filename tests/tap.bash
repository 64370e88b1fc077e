# tests/tap.bash - sourced by the shell tests: TAP lines, a poll-wait, and
# the skip when root or /dev/net/tun is missing (a failure under CI=true).
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; fail=1; }
# DESCRIPTION SHELL_LINE: one case, by the line's exit status.
check() { if eval "$2"; then ok "$1"; else nok "$1"; fi; }
# SECONDS COMMAND...: until COMMAND succeeds (every 50 ms), or 1.
wait_for() {
	local t=$(( $1 * 20 )); shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t - 1)); [ $t -le 0 ] && return 1; sleep 0.05
	done
}
# NAME CASES: returns when root and /dev/net/tun are there; otherwise
# every case is reported skipped (not ok under CI=true) and the script
# exits.
need_root_tun() {
	local why="needs root and /dev/net/tun" i
	[ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ] && return 0
	for i in $(seq 1 "$2"); do
		if [ "${CI:-}" = true ]; then
			echo "not ok $i - $1 # skipped under CI=true: $why"
		else
			echo "ok $i - $1 # SKIP $why"
		fi
	done
	echo "1..$2"
	[ "${CI:-}" = true ] && exit 1
	exit 0
}

# Background processes of a test that runs daemons, each logging to
# $RUN/NAME.log: start NAME COMMAND...; stop_started (in the cleanup)
# stops them newest first and waits; dump_logs prints their tails.
pids=()
start() { local log=$RUN/$1.log; shift; "$@" >"$log" 2>&1 & pids+=($!); }
stop_started() {
	local i p
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
}
dump_logs() { for f in "$RUN"/*.log; do sed "s|^|# $(basename "$f"): |" "$f" | tail -15; done; }

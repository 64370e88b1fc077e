# tests/tap.bash - sourced by the shell tests: TAP lines, a poll-wait, and
# the skip when root or /dev/net/tun is missing (a failure under CI=true).
# POSIX sh (test_vif_tool.sh is run by sh); bash-only helpers go in
# daemons.bash.
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

# tests/daemons.bash - sourced by the bash tests that run daemons (after
# tap.bash).
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

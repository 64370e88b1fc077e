#!/bin/bash
# kill -9 either side of a vif at random points, mid-traffic, ROUNDS times
# (default 20; `make soak` runs 200).  After each kill: no crash, no hang,
# the survivor reports it, the simulator's accounting shows nothing leaked
# (grants, mappings, ports; daemon fds stable), and the vif reconnects.
# Prints TAP.  Usage: test_sim_kill.sh NETCHANNEL SIM_SENDER [ROUNDS]
set -u
NC=$1
SENDER=$2
ROUNDS=${3:-${NC_KILL_ROUNDS:-20}}
RUN=$(mktemp -d /tmp/nc-kill.XXXXXX)
. "$(dirname "$0")/tap.bash"
sim=
back=
sender=
cleanup() {
	for p in $sender $back; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "$sim" ] && { kill -TERM "$sim"; wait "$sim"; }
	[ -n "${KEEP:-}" ] && echo "# kept $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT

counts() { "$NC" stat --run-dir "$RUN" --domain "$1"; }
field() { counts "$1" | sed -n "s/.* $2 \([0-9]*\).*/\1/p"; }
start_back() { "$NC" back --run-dir "$RUN" --bridge none >>"$RUN/back.log" 2>&1 & back=$!; }
start_sender() {
	# appended, never rewritten: the reader counts lines in it; the
	# marker keeps the last sender's status from counting for this one
	echo "=== new sender" >>"$RUN/sender.log"
	"$SENDER" "$RUN" 1 3600 >>"$RUN/sender.log" 2>&1 & sender=$!
}
connected() { tail -n 1 "$RUN/sender.log" | grep -q "state 2 "; }
connects() { grep "^status" "$RUN/sender.log" | tail -n 1 | sed -n 's/.*connects \([0-9]*\).*/\1/p'; }
sent() { grep "^status" "$RUN/sender.log" | tail -n 1 | sed -n 's/.*answered \([0-9]*\).*/\1/p'; }
fds() { ls /proc/"$1"/fd | wc -l; }

"$NC" sim --run-dir "$RUN" --domains 4 >"$RUN/sim.log" 2>&1 &
sim=$!
wait_for 5 test -S "$RUN/xenstored/socket"
"$NC" vif add --frontend 1 --bridge none --run-dir "$RUN" >/dev/null
start_back
start_sender
check "vif connects, frames flow" "wait_for 10 connected && sleep 0.3 && [ \"\$(sent)\" -gt 1000 ]"
sim_fds0=$(fds "$sim")

back_kills=0 front_kills=0 bad_rounds=0
for round in $(seq 1 "$ROUNDS"); do
	sleep "0.$(( (RANDOM % 40) + 5 ))"
	if [ $((RANDOM % 2)) -eq 0 ]; then
		# the backend dies mid-traffic
		before=$(connects)
		noticed=$(grep -c "event channel closed" "$RUN/sender.log")
		kill -9 "$back"; wait "$back" 2>/dev/null
		back_kills=$((back_kills + 1))
		if ! wait_for 5 sh -c "[ \$(grep -c 'event channel closed' '$RUN/sender.log') -gt $noticed ]" ||
		   [ "$(field 0 mapped)" != 0 ] || [ "$(field 0 ports)" != 0 ]; then
			echo "# round $round: frontend did not notice or domain 0 kept mappings/ports: $(counts 0)"
			bad_rounds=$((bad_rounds + 1))
		fi
		start_back
		if ! wait_for 10 sh -c "[ \"\$(grep '^status' '$RUN/sender.log' | tail -n 1 | sed -n 's/.*connects \([0-9]*\).*/\1/p')\" -gt $before ] && tail -n 1 '$RUN/sender.log' | grep -q 'state 2 '"; then
			echo "# round $round: no reconnection after the backend restart"
			tail -n 3 "$RUN/sender.log" | sed 's/^/# /'
			bad_rounds=$((bad_rounds + 1))
		fi
		if grep -q "quarantined [1-9]" "$RUN/sender.log"; then
			echo "# round $round: pages quarantined"
			bad_rounds=$((bad_rounds + 1))
		fi
	else
		# the frontend dies mid-traffic
		kill -9 "$sender"; wait "$sender" 2>/dev/null
		front_kills=$((front_kills + 1))
		if ! wait_for 5 sh -c "! '$NC' vif list --run-dir '$RUN' | grep -q backend/vif/1/0" ||
		   ! wait_for 5 sh -c "[ \"\$('$NC' stat --run-dir '$RUN' --domain 1 | sed -n 's/.* processes \([0-9]*\).*/\1/p')\" = 0 ]" ||
		   [ "$(field 1 grants)" != 0 ] || [ "$(field 0 mapped)" != 0 ] ||
		   [ "$(field 0 ports)" != 0 ]; then
			echo "# round $round: backend did not free everything: $(counts 0); $(counts 1)"
			bad_rounds=$((bad_rounds + 1))
		fi
		"$NC" vif add --frontend 1 --bridge none --run-dir "$RUN" >/dev/null
		start_sender
		if ! wait_for 10 connected; then
			echo "# round $round: a new frontend did not connect"
			bad_rounds=$((bad_rounds + 1))
		fi
	fi
	if ! kill -0 "$sim" 2>/dev/null || ! kill -0 "$back" 2>/dev/null; then
		echo "# round $round: a daemon died"
		bad_rounds=$((bad_rounds + 1))
		break
	fi
done
echo "# $ROUNDS rounds: backend killed $back_kills times, frontend $front_kills times"
check "$ROUNDS random kill -9 rounds: noticed, nothing leaked, reconnected" "[ $bad_rounds -eq 0 ]"
check "frames still flow after the last round" "a=\$(sent); sleep 0.5; [ \"\$(sent)\" -gt \"\$a\" ]"
sim_fds1=$(fds "$sim")
check "simulator fds stable ($sim_fds0 -> $sim_fds1)" "[ $sim_fds1 -le $((sim_fds0 + 4)) ]"
check "no daemon crashed" "! grep -qi 'sanitizer\|segfault\|abort' '$RUN/back.log' '$RUN/sim.log'"
echo "1..$n"
exit $fail

#!/bin/bash
# make demo: a guest reachable over the channel.
#
# As root: the simulator, a backend bridged to a TAP device moved into a
# network namespace of its own, and a guest (netfront + lwIP) at 10.77.0.2.
# Linux, in the namespace at 10.77.0.1, pings the guest, sends it UDP, and
# fetches its web page with curl; then the vif's counters are printed and
# everything is removed, even on Ctrl-C.
# Not root: the same over the built-in switch between two guests, the
# first probing the second.
set -u
NC=${NC:-./build/netchannel}
NS=ncdemo$$
TAP=ncdemo$$
RUN=$(mktemp -d /tmp/netchannel-demo.XXXXXX)
pids=()
failed=0

say() { printf '\n== %s\n' "$*"; }
result() {   # result LABEL COMMAND...: run, print ok/FAILED
	local label=$1
	shift
	if "$@"; then echo "ok: $label"; else echo "FAILED: $label"; failed=1; fi
}

cleanup() {
	trap - EXIT INT TERM
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	if [ "$(id -u)" -eq 0 ]; then
		ip netns del "$NS" 2>/dev/null
		ip link del "$TAP" 2>/dev/null
	fi
	[ -n "${KEEP:-}" ] && echo "kept $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT
trap 'echo "interrupted"; exit 130' INT TERM

wait_for() {   # wait_for SECONDS COMMAND...
	local t=$(( $1 * 20 ))
	shift
	while ! "$@" 2>/dev/null; do
		t=$((t - 1))
		[ $t -le 0 ] && return 1
		sleep 0.05
	done
}

start() {   # start LOGNAME COMMAND...
	local log=$RUN/$1.log
	shift
	"$@" >"$log" 2>&1 &
	pids+=($!)
}

say "simulator (run dir $RUN)"
start sim "$NC" sim --run-dir "$RUN" --domains 4
wait_for 5 test -S "$RUN/xenstored/socket" || { cat "$RUN/sim.log"; exit 1; }
echo "xenstore at $RUN/xenstored/socket; domains 0..3"

if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ]; then
	say "vif 1/0 bridged to TAP $TAP, in namespace $NS"
	"$NC" vif add --frontend 1 --bridge "tap:$TAP" --run-dir "$RUN"
	start back "$NC" back --run-dir "$RUN" --pcap-dir "$RUN"
	wait_for 5 ip link show "$TAP" >/dev/null || { cat "$RUN/back.log"; exit 1; }
	ip netns add "$NS"
	ip link set "$TAP" netns "$NS"
	ip -n "$NS" addr add 10.77.0.1/24 dev "$TAP"
	ip -n "$NS" link set "$TAP" up
	ip -n "$NS" link set lo up
	say "guest: domain 1, 10.77.0.2/24, poison mode"
	start guest "$NC" guest --run-dir "$RUN" --domid 1 --ip 10.77.0.2/24 --poison
	wait_for 10 grep -q connected "$RUN/guest.log" || { cat "$RUN/guest.log"; exit 1; }
	cat "$RUN/guest.log"
	say "ping from Linux"
	result "ping 10.77.0.2" ip netns exec "$NS" ping -c 5 -i 0.2 -W 2 10.77.0.2
	say "UDP echo"
	result "UDP echo" ip netns exec "$NS" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
msg = b"hello over the netchannel"
s.sendto(msg, ("10.77.0.2", 7)); data, _ = s.recvfrom(2048)
print("sent %r, got back %r" % (msg, data)); sys.exit(data != msg)'
	say "HTTP over lwIP's TCP"
	result "curl http://10.77.0.2/" ip netns exec "$NS" curl -sS --max-time 5 http://10.77.0.2/
	result "1 MiB page intact" sh -c "ip netns exec $NS curl -sS --max-time 10 http://10.77.0.2/big | wc -c | grep -qx 1048576"
	sleep 1.2   # the backend saves counters once a second
	say "vif counters"
	"$NC" stat --run-dir "$RUN"
else
	say "not root (or no /dev/net/tun): two guests on the built-in switch"
	"$NC" vif add --frontend 1 --bridge switch --run-dir "$RUN"
	"$NC" vif add --frontend 2 --bridge switch --run-dir "$RUN"
	start back "$NC" back --run-dir "$RUN"
	start guest2 "$NC" guest --run-dir "$RUN" --domid 2 --ip 10.77.0.2/24 --poison
	wait_for 10 grep -q connected "$RUN/guest2.log" || { cat "$RUN/guest2.log"; exit 1; }
	say "guest 1 probes guest 2 (ARP, ping, UDP echo, HTTP)"
	result "guest 1 reaches guest 2" "$NC" guest --run-dir "$RUN" --domid 1 --ip 10.77.0.1/24 --probe 10.77.0.2
	sleep 1.2
	say "vif counters"
	"$NC" stat --run-dir "$RUN"
fi
say "demo $([ $failed -eq 0 ] && echo ok || echo FAILED)"
exit $failed

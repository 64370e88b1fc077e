#!/bin/bash
# The main job, with the Linux kernel as the client (issue: make demo).
# Needs root and /dev/net/tun: without them every case is skipped with the
# reason (a failure under CI=true).  Prints TAP.
# Usage: test_main_job.sh NETCHANNEL GARBAGE_FRONT
set -u
NC=$1
GARBAGE=$2
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/daemons.bash"

CASES=10
need_root_tun "main job" "$CASES"

RUN=$(mktemp -d /tmp/nc-mainjob.XXXXXX)
NS=ncmj$$
TAP=ncmj$$
cleanup() {
	stop_started
	ip netns del "$NS" 2>/dev/null
	ip link del "$TAP" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT

start sim "$NC" sim --run-dir "$RUN" --domains 8
wait_for 5 test -S "$RUN/xenstored/socket"
"$NC" vif add --frontend 1 --bridge "tap:$TAP" --run-dir "$RUN" >/dev/null
start back "$NC" back --run-dir "$RUN" --queues 2
wait_for 5 ip link show "$TAP"
ip netns add "$NS"
ip link set "$TAP" netns "$NS"
ip -n "$NS" addr add 10.78.0.1/24 dev "$TAP"
ip -n "$NS" link set "$TAP" up
ip -n "$NS" link set lo up
start tshark ip netns exec "$NS" tshark -q -i "$TAP" -w "$RUN/tap.pcap"
tshark_pid=${pids[-1]}
wait_for 10 test -s "$RUN/tap.pcap"
start guest "$NC" guest --run-dir "$RUN" --domid 1 --ip 10.78.0.2/24 --poison --queues 2
check "guest connects" "wait_for 10 grep -q connected '$RUN/guest.log'"

# 100 pings at sizes up to the MTU (1500 - 20 - 8 = 1472 bytes of data)
lost=0
for size in 56 500 1000 1400 1472; do
	out=$(ip netns exec "$NS" ping -c 20 -i 0.01 -W 2 -s $size 10.78.0.2 2>&1)
	echo "$out" | grep -q " 0% packet loss" || { lost=1; echo "# $out" | tail -3; }
done
check "100 pings, 0 loss, sizes 56..1472" "[ $lost -eq 0 ]"
check "UDP echo byte-exact (1..1472 bytes)" "ip netns exec $NS python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
for size in (1, 64, 512, 1000, 1472):
    m = os.urandom(size); s.sendto(m, (\"10.78.0.2\", 7))
    if s.recvfrom(2048)[0] != m: sys.exit(1)'"
check "HTTP: 1 MiB over lwIP's TCP, intact" "ip netns exec $NS curl -sS --max-time 20 http://10.78.0.2/big | python3 -c '
import sys
d = sys.stdin.buffer.read()
sys.exit(len(d) != 1048576 or any(d[i] != (i * 7 + i // 4096) & 0xff for i in range(len(d))))'"

# Two queues: 16 connections (16 flows) spread over both, each way.
for i in $(seq 16); do
	ip netns exec "$NS" curl -sf --max-time 5 -o /dev/null http://10.78.0.2/
done
sleep 1.5   # the backend writes its counters once a second
qline=$("$NC" stat --run-dir "$RUN" | grep 'queues 2:')
echo "# vif1.0 ${qline# *}"
check "two queues, each carried frames both ways" "echo '$qline' | grep -Eq '0: rx [1-9][0-9]* tx [1-9][0-9]*; 1: rx [1-9][0-9]* tx [1-9][0-9]*;'"
kill -INT "$tshark_pid" 2>/dev/null; wait "$tshark_pid" 2>/dev/null
mac=00:16:3e:00:01:00
tsh() { tshark -r "$RUN/tap.pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE "$@" 2>/dev/null; }
sent=$(tsh -Y "eth.src == $mac && ip" | wc -l)
bad=$(tsh -Y "eth.src == $mac && (ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\")" | wc -l)
echo "# tshark: $sent IPv4 frames from the guest, $bad with a bad checksum"
check "tshark: every guest checksum verifies ($sent frames)" "[ $sent -gt 700 ] && [ $bad -eq 0 ]"
check "no frame carries the pool's poison pattern" "python3 -c '
import sys; d = open(\"$RUN/tap.pcap\", \"rb\").read()
sys.exit(b\"\\xde\\xad\\xbe\\xefPOIS\" in d)'"

# Two guests on the switch, and a third with a garbage frontend.
for fe in 2 3 4; do "$NC" vif add --frontend $fe --bridge switch --run-dir "$RUN" >/dev/null; done
start guest3 "$NC" guest --run-dir "$RUN" --domid 3 --ip 10.79.0.3/24 --poison
check "second guest connects on the switch" "wait_for 10 grep -q connected '$RUN/guest3.log'"
start garbage "$GARBAGE" "$RUN" 4 6
sleep 2
vif4_disabled() { "$NC" stat --run-dir "$RUN" | grep -q "vif4.0: state disabled"; }
check "garbage frontend's vif is disabled" "wait_for 5 vif4_disabled"
check "the two guests keep talking" "'$NC' guest --run-dir '$RUN' --domid 2 --ip 10.79.0.2/24 --probe 10.79.0.3 > '$RUN/probe.log' 2>&1"
[ $fail -eq 0 ] || dump_logs
echo "1..$n"
exit $fail

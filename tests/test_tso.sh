#!/bin/bash
# TSO through our netfront: tso_send (a hand-made TCP client on netfront)
# sends 10 MB to a Linux listener in GSO frames; our backend, with plain
# TAPs (--no-tap-vnet), segments them for the TAP.  A second vif carries
# a transfer in which tso_send loses every 10th frame on purpose
# (retransmission).  Then a backend with the default TAPs (virtio-net
# headers) hands the kernel the GSO frames whole.  Needs root and
# /dev/net/tun: without them every case is skipped with the reason (a
# failure under CI=true).  Prints TAP.
# Usage: test_tso.sh NETCHANNEL TSO_SEND
set -u
NC=$1
TSO=$2
BYTES=10485760
LOSSY_BYTES=2000000
. "$(dirname "$0")/tap.bash"
. "$(dirname "$0")/daemons.bash"

CASES=11
need_root_tun "tso" "$CASES"

RUN=$(mktemp -d /tmp/nc-tso.XXXXXX)
NS=ncts$$
TAP=ncts$$       # vif 1/0: the 10 MB transfer, 10.79.0.0/24
TAP2=nctl$$      # vif 2/0: the lossy one, 10.79.1.0/24
TAP3=nctv$$      # vif 3/0: GSO frames whole to a vnet TAP, 10.79.2.0/24
cleanup() {
	stop_started
	ip netns del "$NS" 2>/dev/null
	ip link del "$TAP" 2>/dev/null
	ip link del "$TAP2" 2>/dev/null
	ip link del "$TAP3" 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT

# The receiver: one connection, every byte counted and checked against
# the pattern (i * 7 + i / 4096) & 255; the verdict goes to a file.
# Usage: python3 -c "$RECEIVER" ADDRESS OUT (OUT.ready once listening).
RECEIVER='
import socket, sys
addr, out, n = sys.argv[1], sys.argv[2], 0
base = bytes((j * 7) & 255 for j in range(4096))
tables = [bytes((b + k) & 255 for b in range(256)) for k in range(256)]
def expect(off, size):
    out = bytearray()
    while size > 0:
        blk, o = divmod(off, 4096)
        take = min(size, 4096 - o)
        out += base[o:o + take].translate(tables[blk & 255])
        off += take; size -= take
    return bytes(out)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, 5001)); s.listen(1)
open(out + ".ready", "w").close()
c, _ = s.accept(); c.settimeout(60)
good = True
while True:
    d = c.recv(1 << 16)
    if not d: break
    if good and d != expect(n, len(d)): good = False
    n += len(d)
c.close()
open(out, "w").write("%d %d\n" % (n, good))
'

# A vif of FRONTEND bridged to TAP, moved into the namespace at ADDRESS/24.
add_vif() {
	"$NC" vif add --frontend "$1" --bridge "tap:$2" --run-dir "$RUN" >/dev/null
	wait_for 5 ip link show "$2"
	ip link set "$2" netns "$NS"
	ip -n "$NS" addr add "$3/24" dev "$2"
	ip -n "$NS" link set "$2" up
}
mac_of() { ip -n "$NS" -o link show "$1" | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p'; }
tap_rx() { ip -n "$NS" -s -j link show "${1:-$TAP}" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'; }
# tso_send LOG ARGS...: in the background; its pid in tso_pid.
tso_send() {
	local log=$1; shift
	"$TSO" --run-dir "$RUN" --port 5001 "$@" > "$RUN/$log.log" 2>&1 &
	tso_pid=$!
	pids+=("$tso_pid")
}
# The transfer ended (the summary line), or tso_send exited.
tso_ended() { grep -q gso_frames "$RUN/$1.log" || ! kill -0 "$2" 2>/dev/null; }
# The receiver's verdict file: "BYTES 1|0".
verdict() { wait_for 10 test -s "$1"; cat "$1" 2>/dev/null || echo "0 0"; }

start sim "$NC" sim --run-dir "$RUN" --domains 4
wait_for 5 test -S "$RUN/xenstored/socket"
ip netns add "$NS"
ip -n "$NS" link set lo up
start back "$NC" back --run-dir "$RUN" --no-tap-vnet
back_pid=${pids[-1]}
add_vif 1 "$TAP" 10.79.0.1
add_vif 2 "$TAP2" 10.79.1.1
start tshark ip netns exec "$NS" tshark -q -i "$TAP" -w "$RUN/tap.pcap"
tshark_pid=${pids[-1]}
wait_for 10 test -s "$RUN/tap.pcap"
start receiver ip netns exec "$NS" python3 -c "$RECEIVER" 10.79.0.1 "$RUN/received"
start receiver2 ip netns exec "$NS" python3 -c "$RECEIVER" 10.79.1.1 "$RUN/received2"
wait_for 10 test -e "$RUN/received.ready"
wait_for 10 test -e "$RUN/received2.ready"
rx_before=$(tap_rx)

# tso_send holds the vif for 4 s after the transfer: the backend drops a
# vif (its counters and its TAP) once the frontend has closed.
tso_send tso --domid 1 --ip 10.79.0.2 --peer 10.79.0.1 \
	--peer-mac "$(mac_of "$TAP")" --bytes $BYTES --hold 4
main_pid=$tso_pid
wait_for 120 tso_ended tso "$main_pid"
check "10 MB transfer in GSO frames completes" "grep -q gso_frames '$RUN/tso.log'"
read -r got good < <(verdict "$RUN/received")
echo "# receiver: $got bytes, pattern intact: $good"
check "the receiver got exactly $BYTES bytes, pattern intact" "[ '$got' = $BYTES ] && [ '$good' = 1 ]"

frames=$(sed -n 's/.* gso_frames \([0-9]*\) .*/\1/p' "$RUN/tso.log")
plain=$(sed -n 's/.* plain_frames \([0-9]*\) .*/\1/p' "$RUN/tso.log")
frames=${frames:-0}
plain=${plain:-0}
check "far fewer GSO frames ($frames) than segments ($((BYTES / 1448)))" "[ $frames -gt 0 ] && [ $frames -lt 1000 ]"

# The backend saves its counters once a second.
sleep 1.5
"$NC" stat --run-dir "$RUN" --json > "$RUN/stat.json" 2>"$RUN/stat.err"
read -r vif_rx vif_drop < <(python3 -c '
import json, sys
for v in json.load(open(sys.argv[1])):
    if v["name"] == "vif1.0":
        print(v["rx"]["packets"], v["rx"]["errors"] + v["rx"]["dropped"])
' "$RUN/stat.json" 2>/dev/null || echo "0 1")
echo "# backend vif1.0: rx $vif_rx frames ($vif_drop errors/drops); tso_send: $frames GSO + $plain plain data frames"
# Besides the data frames: ARP replies, SYN, the ACKs, FIN (a handful).
data=$((frames + plain))
check "the backend received the GSO frames (rx $vif_rx, no drops)" "[ ${vif_rx:-0} -ge $data ] && [ ${vif_rx:-0} -le $((data + 20)) ] && [ ${vif_drop:-1} -eq 0 ]"

segs=$(( $(tap_rx) - rx_before ))
echo "# TAP $TAP received $segs frames"
check "the TAP received wire-sized segments ($segs >= $((BYTES / 1460)))" "[ $segs -ge $((BYTES / 1460)) ]"

kill -INT "$tshark_pid" 2>/dev/null; wait "$tshark_pid" 2>/dev/null
wait "$main_pid"; tso_rc=$?
sed 's|^|# |' "$RUN/tso.log"
tsh() { tshark -r "$RUN/tap.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "$@" 2>/dev/null; }
mac=00:16:3e:00:01:00
wire=$(tsh -Y "eth.src == $mac && tcp.len > 0" | wc -l)
bad=$(tsh -Y "eth.src == $mac && (frame.len > 1514 || ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\")" | wc -l)
echo "# tshark: $wire data segments from tso_send, $bad oversized or with a bad checksum"
check "tshark: every segment at most 1514 bytes, checksums verify ($wire)" "[ $wire -ge $((BYTES / 1460)) ] && [ $bad -eq 0 ]"
check "tso_send exits 0 after closing the vif" "[ $tso_rc -eq 0 ]"

# Every 10th frame of new data lost: retransmitted from the first
# unacknowledged byte until all arrived.
tso_send lossy --domid 2 --ip 10.79.1.2 --peer 10.79.1.1 \
	--peer-mac "$(mac_of "$TAP2")" --bytes $LOSSY_BYTES --lose 10
wait_for 60 tso_ended lossy "$tso_pid"
wait "$tso_pid"; lossy_rc=$?
sed 's|^|# |' "$RUN/lossy.log"
read -r got good < <(verdict "$RUN/received2")
retrans=$(sed -n 's/.* retransmissions \([0-9]*\) .*/\1/p' "$RUN/lossy.log")
echo "# lossy receiver: $got bytes, pattern intact: $good"
check "with every 10th frame lost: $LOSSY_BYTES bytes intact, ${retrans:-no} retransmissions" "[ $lossy_rc -eq 0 ] && [ '$got' = $LOSSY_BYTES ] && [ '$good' = 1 ] && [ ${retrans:-0} -gt 0 ]"

# The default TAP (virtio-net headers): the same 10 MB, each GSO frame
# handed to the kernel whole (its TCP stack takes it as it is).
kill -TERM "$back_pid"; wait "$back_pid" 2>/dev/null
start back2 "$NC" back --run-dir "$RUN"
add_vif 3 "$TAP3" 10.79.2.1
start receiver3 ip netns exec "$NS" python3 -c "$RECEIVER" 10.79.2.1 "$RUN/received3"
wait_for 10 test -e "$RUN/received3.ready"
rx3_before=$(tap_rx "$TAP3")
tso_send vnet --domid 3 --ip 10.79.2.2 --peer 10.79.2.1 \
	--peer-mac "$(mac_of "$TAP3")" --bytes $BYTES --hold 2
wait_for 120 tso_ended vnet "$tso_pid"
vnet_frames=$(sed -n 's/.* gso_frames \([0-9]*\) .*/\1/p' "$RUN/vnet.log")
vnet_frames=${vnet_frames:-0}
segs3=$(( $(tap_rx "$TAP3") - rx3_before ))
wait "$tso_pid"; vnet_rc=$?
sed 's|^|# |' "$RUN/vnet.log"
read -r got good < <(verdict "$RUN/received3")
echo "# vnet TAP $TAP3: $segs3 frames for $vnet_frames GSO frames; receiver: $got bytes, pattern intact: $good"
check "vnet TAP: 10 MB in GSO frames, byte for byte" "[ $vnet_rc -eq 0 ] && [ '$got' = $BYTES ] && [ '$good' = 1 ]"
check "vnet TAP: the kernel took the GSO frames whole ($segs3 frames for $vnet_frames)" "[ $vnet_frames -gt 0 ] && [ $vnet_frames -lt 1000 ] && [ $segs3 -ge $vnet_frames ] && [ $segs3 -le $((vnet_frames + 20)) ]"
check "the backend logged no TAP error" "! grep -qi 'error\|refused' '$RUN/back2.log'"

[ $fail -eq 0 ] || dump_logs
echo "1..$n"
exit $fail

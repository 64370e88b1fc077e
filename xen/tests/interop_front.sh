#!/bin/bash
# Runs inside dom0 (xen/run.sh): interop test 2 of issue 6.  Our netfront
# (`netchannel guest`, lwIP) in dom0 userspace, frontend-id 0, connected to
# Linux's xen-netback in the same dom0; the Linux end of the vif (vif0.0) is
# moved into a network namespace with 10.80.0.1/24.  The vif's xenstore nodes
# are written by hand, as Linux's toolstack would (with the `script` node
# Linux netback needs, and hotplug-status).  Checks: the guest connects; then
# for each Linux-side setting (default, sg off, MTU 9000, checksum offload
# off) 100 pings with no loss, 20 full-size unfragmented pings, and 10 MB
# over HTTP (/big/10485760) byte for byte; a clean close.  Prints what
# netback logged.
# TAP on stdout.
NC=${NC:-netchannel}
NS=ncfront
FE=/local/domain/0/device/vif/0
BE=/local/domain/0/backend/vif/0/0
MAC=00:16:3e:5a:00:02
WORK=$(mktemp -d /tmp/interop_front.XXXXXX)
GLOG=$WORK/guest.log
gpid=
IF=

. "$(dirname "$0")/lib.bash"
skip_rest() { # REASON: the remaining checks as failed
	while [ "$n" -lt "$PLAN" ]; do
		n=$((n + 1))
		echo "not ok $n - skipped: $1"
	done
}
cleanup() {
	if [ -n "$gpid" ] && kill -0 "$gpid" 2>/dev/null; then
		kill -TERM "$gpid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$gpid" 2>/dev/null
	fi
	echo "# guest output:"
	sed 's/^/#   /' "$GLOG" 2>/dev/null | tail -n 40
	echo "# backend nodes at the end:"
	xenstore-ls -f "$BE" 2>/dev/null | sed 's/^/#   /'
	echo "# frontend nodes at the end:"
	xenstore-ls -f "$FE" 2>/dev/null | sed 's/^/#   /'
	echo "# dmesg (netback, vif, xen):"
	dmesg | grep -Ei 'netback|vif|xen_net|xen-net|xenbus|grant|evtchn' | tail -n 40 | sed 's/^/#   /'
	echo "# dmesg | tail:"
	dmesg | tail -n 15 | sed 's/^/#   /'
	ip netns del "$NS" 2>/dev/null
	xenstore-rm "$BE" 2>/dev/null
	xenstore-rm "$FE" 2>/dev/null
	# Later tests serve vifs with our own netback.
	sleep 1
	modprobe -r xen-netback 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

PLAN=$((7 + 2 + 4 * 4 + 2 + 1 + 1))
echo "1..$PLAN"
DMESG0=$(dmesg | wc -l)

check "modprobe xen-netback" modprobe xen-netback || { skip_rest "no netback"; exit 1; }

# Frontend directory first (netback's probe reads the other end's path),
# then the backend directory, each in one xenstore-write (one transaction).
write_nodes() {
	xenstore-rm "$BE" 2>/dev/null
	xenstore-rm "$FE" 2>/dev/null
	xenstore-write \
		"$FE/backend" "$BE" \
		"$FE/backend-id" 0 \
		"$FE/mac" "$MAC" \
		"$FE/mtu" 9000 \
		"$FE/handle" 0 \
		"$FE/state" 1 || return 1
	# Frontend domain 0 owns its directory; backend domain 0 may read it.
	xenstore-chmod -r "$FE" n0 r0 || return 1
	xenstore-write \
		"$BE/frontend" "$FE" \
		"$BE/frontend-id" 0 \
		"$BE/mac" "$MAC" \
		"$BE/handle" 0 \
		"$BE/script" /etc/xen/scripts/vif-bridge \
		"$BE/online" 1 \
		"$BE/state" 1 || return 1
	xenstore-chmod -r "$BE" n0 r0 || return 1
}
check "vif xenstore nodes written (frontend 0, backend 0, handle 0)" write_nodes ||
	{ skip_rest "no xenstore nodes"; exit 1; }

# Linux netback probes the new backend device: it publishes its features,
# goes to InitWait and creates the interface vif<domid>.<handle>.
find_if() {
	local i
	for i in $(seq 100); do
		IF=$(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^vif0\.0/ {sub(/@.*/, "", $2); print $2; exit}')
		[ -n "$IF" ] && [ "$(xenstore-read "$BE/state" 2>/dev/null)" = 2 ] && return 0
		sleep 0.1
	done
	echo "interface: '${IF:-none}', backend state: $(xenstore-read "$BE/state" 2>&1)"
	ip -o link show
	return 1
}
check "netback probed: interface created, backend in InitWait" find_if
# (check runs find_if in a subshell: look the name up again here.)
IF=$(ip -o link show 2>/dev/null | awk -F': ' '$2 ~ /^vif0\.0/ {sub(/@.*/, "", $2); print $2; exit}')
echo "# interface: ${IF:-none}; backend features:"
xenstore-ls "$BE" 2>/dev/null | grep -E '^feature|^multi-queue' | tr '\n' ' ' | sed 's/^/#   /; s/ $/\n/'
# The toolstack's vif-bridge script would run now and report back; netback
# (in connect()) waits for hotplug-status=connected before going Connected.
xenstore-write "$BE/hotplug-status" connected

# Started here, not inside check (which runs in a subshell), so that
# cleanup can stop it and the close against netback is seen too.
"$NC" guest --domid 0 --ip 10.80.0.2/24 --queues 2 --hash-map 1 >"$GLOG" 2>&1 &
gpid=$!
wait_connected() {
	local i
	for i in $(seq 300); do
		if grep -q ' connected' "$GLOG"; then
			grep ' connected' "$GLOG" | head -n1
			return 0
		fi
		kill -0 "$gpid" 2>/dev/null || { echo "guest exited"; cat "$GLOG"; return 1; }
		sleep 0.1
	done
	echo "no 'connected' after 30 s; frontend state $(xenstore-read "$FE/state" 2>&1), backend state $(xenstore-read "$BE/state" 2>&1)"
	cat "$GLOG"
	return 1
}
check "netchannel guest (our netfront) connects to Linux netback" wait_connected
# Multi-queue: dom0 has 2 CPUs, so Linux netback offers 2 queues
# (multi-queue-max-queues) and our guest (--queues 2) uses both: queue-0/
# and queue-1/ keys, two queues on netback's interface.
check "our netfront uses 2 queues with Linux netback (queue-N keys; 2 queues on $IF)" sh -c "
	echo backend offers \$(xenstore-read $BE/multi-queue-max-queues 2>&1), frontend asks \$(xenstore-read $FE/multi-queue-num-queues 2>&1)
	echo queue-1: \$(xenstore-ls $FE/queue-1 2>&1 | tr -s ' ' | tr '\n' ' ')
	echo $IF queues: \$(ls /sys/class/net/$IF/queues 2>&1 | tr '\n' ' ')
	[ \"\$(xenstore-read $FE/multi-queue-num-queues)\" = 2 ] || exit 1
	xenstore-read $FE/queue-1/tx-ring-ref >/dev/null || exit 1
	[ -e /sys/class/net/$IF/queues/tx-1 ] && [ -e /sys/class/net/$IF/queues/rx-1 ]"
# --hash-map 1: once connected the guest sets Toeplitz hashing (algorithm,
# flags, key, a 1-entry mapping: queue 1) through Linux netback's control
# ring; from then on netback puts every frame for us on queue 1.
check "our netfront sets Toeplitz hashing through Linux netback's control ring (5 requests, all SUCCESS)" sh -c "
	for i in \$(seq 100); do grep -q 'hash: .* requests succeeded' $GLOG && break; sleep 0.1; done
	grep 'hash:' $GLOG
	grep -q 'hash: 5 of 5 requests succeeded' $GLOG"
check "backend state Connected (4)" sh -c "
	for i in \$(seq 100); do
		[ \"\$(xenstore-read $BE/state)\" = 4 ] && exit 0; sleep 0.1
	done
	echo backend state \$(xenstore-read $BE/state); exit 1"

setup_ns() {
	[ -n "$IF" ] || return 1
	ip netns add "$NS" &&
		ip link set "$IF" netns "$NS" &&
		ip -n "$NS" link set lo up &&
		ip -n "$NS" addr add 10.80.0.1/24 dev "$IF" &&
		ip -n "$NS" link set "$IF" up &&
		ip -n "$NS" -br addr show dev "$IF"
}
check "Linux end ($IF) in namespace $NS with 10.80.0.1/24" setup_ns

# The guest prints its per-queue counters on SIGUSR1:
# "netchannel guest: queues 2: 0: rx A tx B; 1: rx C tx D;"
queue_counts() { # -> "A B C D" of a fresh line
	local before
	before=$(grep -c 'guest: queues' "$GLOG")
	kill -USR1 "$gpid" 2>/dev/null || return 1
	for _ in $(seq 50); do
		[ "$(grep -c 'guest: queues' "$GLOG")" -gt "$before" ] && break
		sleep 0.1
	done
	grep 'guest: queues' "$GLOG" | tail -n 1 |
		sed -n 's/.* 0: rx \([0-9]*\) tx \([0-9]*\); 1: rx \([0-9]*\) tx \([0-9]*\);.*/\1 \2 \3 \4/p'
}
toeplitz_steers() {
	local a b
	a=$(queue_counts) || return 1
	ip netns exec "$NS" ping -c 50 -i 0.01 -W 2 10.80.0.2 | tail -n 2
	for i in $(seq 8); do
		ip netns exec "$NS" curl -sf --max-time 10 -o /dev/null http://10.80.0.2/ || return 1
	done
	b=$(queue_counts) || return 1
	echo "queue counters (q0 rx, q0 tx, q1 rx, q1 tx) before: $a; after: $b"
	set -- $a $b
	[ $# = 8 ] || return 1
	# nothing new on queue 0's RX, at least the 50 replies' requests on 1's
	[ "$5" = "$1" ] && [ $(($7 - $3)) -ge 50 ]
}
check "Toeplitz mapping [1] set through Linux netback's control ring: every frame to our netfront arrives on queue 1" toeplitz_steers

# Linux-side settings on netback's vif (in the namespace), each followed by
# the traffic checks: default (sg on, MTU 1500, checksum offload on),
# sg off, MTU 9000 (our guest runs with the frontend's mtu key, 9000, and
# scatter-gather), checksum offload off (ethtool -K tx off rx off).
cfg_line() { # CONFIG
	case $1 in
	default) echo "ethtool -K $IF sg on tx on rx on; ip link set dev $IF mtu 1500" ;;
	sg-off) echo "ip link set dev $IF mtu 1500; ethtool -K $IF sg off tx on rx on" ;;
	mtu-9000) echo "ethtool -K $IF sg on tx on rx on; ip link set dev $IF mtu 9000" ;;
	csum-off) echo "ethtool -K $IF sg on tx off rx off; ip link set dev $IF mtu 1500" ;;
	esac
}
apply_cfg() { # CONFIG: set it, check what ethtool and ip read back
	local out want
	out=$(ip netns exec "$NS" sh -c "$(cfg_line "$1") 2>&1; sleep 0.5
		ethtool -k $IF | grep -E '^(scatter-gather|tx-checksumming|rx-checksumming):' | tr -s '\\n' ' '
		ip -o link show dev $IF | sed 's/.* mtu \\([0-9]*\\).*/mtu=\\1/'")
	echo "$out"
	case $1 in
	default) want="scatter-gather: on .*mtu=1500" ;;
	sg-off) want="scatter-gather: off .*mtu=1500" ;;
	mtu-9000) want="scatter-gather: on .*mtu=9000" ;;
	csum-off) want="tx-checksumming: off .*mtu=1500" ;;
	esac
	printf '%s\n' "$out" | tail -n 1 | grep -q "$want" || { echo "want: $want"; return 1; }
}
TEN=10485760
for cfg in default sg-off mtu-9000 csum-off; do
	check "Linux netback's $IF set to $cfg" apply_cfg "$cfg"
	check "$cfg: 100 pings to our netfront, 0% loss" sh -c "
		out=\$(ip netns exec $NS ping -c 100 -i 0.01 -W 2 10.80.0.2 2>&1)
		printf '%s\n' \"\$out\" | tail -n 2
		printf '%s\n' \"\$out\" | grep -q ' 0% packet loss'"
	size=1472
	[ "$cfg" = mtu-9000 ] && size=8972
	check "$cfg: 20 pings of $size bytes, unfragmented (-M do), 0% loss" sh -c "
		out=\$(ip netns exec $NS ping -c 20 -i 0.02 -W 2 -s $size -M do 10.80.0.2 2>&1)
		printf '%s\n' \"\$out\" | tail -n 2
		printf '%s\n' \"\$out\" | grep -q ' 0% packet loss'"
	t=$(now)
	rm -f "$WORK/big"
	check "$cfg: 10 MB from our netfront (GET /big/$TEN), byte for byte" sh -c "
		ip netns exec $NS curl -sS --max-time 300 -o $WORK/big http://10.80.0.2/big/$TEN || exit 1
		python3 $(dirname "$0")/netio.py check-pattern $WORK/big $TEN"
	echo "# $cfg: transfer took $(awk -v a="$t" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s"
done

# Our guest puts each flow on its own queue (nc_flow_queue over the
# 4-tuple): 16 connections from 16 source ports use both.
check "our netfront's TX spreads flows over both queues (16 connections)" sh -c "
	for i in \$(seq 16); do
		ip netns exec $NS curl -sf --max-time 10 -o /dev/null http://10.80.0.2/ || exit 1
	done"
check "both queues carried our netfront's frames to Linux netback" sh -c "
	c=\$(kill -USR1 $gpid; sleep 1; grep 'guest: queues' $GLOG | tail -n 1)
	echo \"\$c\"
	echo \"\$c\" | grep -Eq ' 0: rx [0-9]+ tx [1-9][0-9]*; 1: rx [0-9]+ tx [1-9][0-9]*;'"

echo "# netback log since the test started:"
dmesg | tail -n +"$((DMESG0 + 1))" | tail -n 30 | sed 's/^/#   /'
echo "# interface counters:"
ip -n "$NS" -s link show dev "$IF" 2>/dev/null | sed 's/^/#   /'

# SIGTERM: the guest closes the vif (Closing, Closed) and exits; waited for
# here in the main shell (its parent), then checked.
kill -TERM "$gpid"
grc=
for _ in $(seq 100); do kill -0 "$gpid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$gpid" 2>/dev/null; then wait "$gpid"; grc=$?; gpid=; fi
check "SIGTERM: the guest closes the vif and exits 0" sh -c "
	echo 'guest exit status ${grc:-none (still running after 10 s)};' \
		\"frontend state \$(xenstore-read $FE/state 2>&1), backend state \$(xenstore-read $BE/state 2>&1)\"
	[ '$grc' = 0 ]"
# TSO through our netfront: tests/tso_send (a minimal TCP client on our
# netfront, frontend 0 again on the same vif: Linux netback goes back to
# InitWait, `online` being 1) sends 10 MB in GSO frames (TCPv4, MSS-sized
# segments, up to 60 KB each) to a listener on netback's side.  Linux
# netback takes them as GSO packets: its vif counts each frame once.
TSO_BIN=${NC_TESTS_BIN:-$(dirname "$NC")/tests}/tso_send
if_rx_packets() { # netback's interface: packets it took from us (netlink)
	ip -n "$NS" -s -j link show dev "$IF" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}
tso_transfer() {
	local peer_mac rx0 rx1 frames
	peer_mac=$(ip -n "$NS" -o link show dev "$IF" | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
	rx0=$(if_rx_packets)
	rm -f "$WORK/tso.got"
	ip netns exec "$NS" busybox nc -l -p 5001 >"$WORK/tso.got" &
	local lpid=$!
	sleep 0.5
	# --hold: netback's counters are its queues' and go with them when
	# the frontend closes; read them while the vif is still up.
	"$TSO_BIN" --xen --domid 0 --ip 10.80.0.3 --peer 10.80.0.1 \
		--peer-mac "$peer_mac" --port 5001 --bytes $TEN --hold 3 \
		>"$WORK/tso.log" 2>&1 &
	local tpid=$! rc
	for _ in $(seq 600); do
		grep -q gso_frames "$WORK/tso.log" || ! kill -0 $tpid 2>/dev/null && break
		sleep 0.1
	done
	rx1=$(if_rx_packets)
	wait $tpid; rc=$?
	for _ in $(seq 100); do kill -0 $lpid 2>/dev/null || break; sleep 0.1; done
	kill $lpid 2>/dev/null
	tail -n 4 "$WORK/tso.log"
	frames=$(sed -n 's/.* gso_frames \([0-9]*\) .*/\1/p' "$WORK/tso.log")
	echo "tso_send exit $rc; $IF received $((rx1 - rx0)) packets for ${frames:-?} GSO frames ($((TEN / 1448)) segments' worth)"
	python3 "$(dirname "$0")/netio.py" check-pattern "$WORK/tso.got" $TEN || return 1
	[ "$rc" = 0 ] && [ -n "$frames" ] && [ "$frames" -gt 0 ] && [ "$frames" -lt 1000 ] &&
		[ $((rx1 - rx0)) -ge "$frames" ] && [ $((rx1 - rx0)) -lt $((frames + 100)) ]
}
check "TSO: our netfront sends 10 MB in GSO frames to Linux netback, byte for byte; netback passes them whole (packets ~ GSO frames)" tso_transfer
echo "# total $(now) s"

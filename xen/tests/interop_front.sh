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

PLAN=$((7 + 4 * 4 + 1))
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
"$NC" guest --domid 0 --ip 10.80.0.2/24 --hash >"$GLOG" 2>&1 &
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
# --hash: once connected the guest sets Toeplitz hashing (algorithm, flags,
# key, an 8-entry mapping) through Linux netback's control ring.
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
echo "# total $(now) s"

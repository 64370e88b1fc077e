#!/bin/bash
# Runs inside dom0 (xen/run.sh): interop tests 1 and 3 of issue 6.  Our
# netback (`netchannel back`, dom0 userspace; the kernel's xen-netback is
# unloaded) serves Linux's xen-netfront
#   A. in dom0 itself: frontend-id 0, the vif's nodes written by
#      `netchannel vif add --frontend 0`, netfront's interface moved into a
#      network namespace;
#   B. in a PV domU created with `xl create` (a busybox initramfs built here
#      from dom0's own files: the Debian kernel, xen-netfront.ko, busybox,
#      ethtool), the vif added with `netchannel vif add --frontend D`.
# Our backend bridges each vif to a TAP in dom0 (MTU 9000).  For each
# frontend and each Linux-side setting (ethtool/ip on netfront's interface):
#   default (scatter-gather on, MTU 1500, checksum offload on), sg off,
#   MTU 9000, checksum offload off (ethtool -K tx off rx off):
# 100 pings with no loss (plus 8972-byte pings at MTU 9000), 10 MB fetched
# from the frontend side by HTTP (byte for byte against the pattern) and
# 10 MB of random bytes sent to it over TCP (sha256 compared).
# TAP on stdout.
NC=${NC:-netchannel}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
HERE=$(cd "$(dirname "$0")" && pwd)
NETIO="python3 $HERE/netio.py"
WORK=$(mktemp -d /tmp/interop_back.XXXXXX)
BLOG=$WORK/back.log
TEN=10485760
NS=ncfe
CONFIGS=${NC_INTEROP_CONFIGS:-default sg-off mtu-9000 csum-off}
PARTS=${NC_INTEROP_PARTS:-A B}   # A: netfront in dom0, B: in a PV domU
bpid=

. "$(dirname "$0")/lib.bash"
not_run() { # REASON: a part whose prerequisite failed
	n=$((n + 1))
	echo "not ok $n - not run: $1"
}
dump_state() {
	echo "# backend log:"
	tail -n 40 "$BLOG" 2>/dev/null | sed 's/^/#   /'
	echo "# vif nodes:"
	xenstore-ls -f /local/domain/0/backend/vif 2>/dev/null | sed 's/^/#   /' | head -n 60
	xenstore-ls -f /local/domain/0/device/vif 2>/dev/null | sed 's/^/#   /' | head -n 30
	echo "# dmesg (netfront, xen):"
	dmesg | grep -Ei 'netfront|xen_net|xen-net|vif|xenbus|grant' | tail -n 30 | sed 's/^/#   /'
	[ -s "$WORK/domu-console.log" ] && {
		echo "# domU console:"
		tail -n 40 "$WORK/domu-console.log" | sed 's/^/#   /'
	}
}
cleanup() {
	dump_state
	xl destroy ncdomu 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	modprobe -r xen-netfront 2>/dev/null
	if [ -n "$bpid" ] && kill -0 "$bpid" 2>/dev/null; then
		kill -TERM "$bpid"
		for _ in $(seq 50); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$bpid" 2>/dev/null
	fi
	"$NC" vif del --frontend 0 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# The plan comes last: how many checks run depends on what connects.

# ------------------------------------------------------------ traffic checks

# The frontend side serves: HTTP on 8080 (/ten: 10 MB of the pattern), a
# TCP sink on 5002 that publishes each upload's sha256 as /upN.sha.
# fe_run runs a shell line where the frontend's interface lives.
round=0
traffic() { # LABEL FRONTEND_IP CONFIG
	local label=$1 ip=$2 cfg=$3 got=$WORK/got sha
	check "$label: 100 pings to Linux netfront, 0% loss" sh -c "
		out=\$(ping -c 100 -i 0.01 -W 2 $ip 2>&1)
		printf '%s\n' \"\$out\" | tail -n 2
		printf '%s\n' \"\$out\" | grep -q ' 0% packet loss'"
	if [ "$cfg" = mtu-9000 ]; then
		check "$label: 20 pings of 8972 bytes, unfragmented (-M do), 0% loss" sh -c "
			out=\$(ping -c 20 -i 0.02 -W 2 -s 8972 -M do $ip 2>&1)
			printf '%s\n' \"\$out\" | tail -n 2
			printf '%s\n' \"\$out\" | grep -q ' 0% packet loss'"
	else
		check "$label: 20 pings of 1472 bytes, unfragmented (-M do), 0% loss" sh -c "
			out=\$(ping -c 20 -i 0.02 -W 2 -s 1472 -M do $ip 2>&1)
			printf '%s\n' \"\$out\" | tail -n 2
			printf '%s\n' \"\$out\" | grep -q ' 0% packet loss'"
	fi
	local t=$(now)
	rm -f "$got"
	check "$label: 10 MB from Linux netfront (HTTP GET), byte for byte" sh -c "
		curl -sS --max-time 300 -o $got http://$ip:8080/ten || exit 1
		$NETIO check-pattern $got $TEN"
	echo "# $label: GET took $(awk -v a="$t" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s"
	round=$((round + 1))
	head -c $TEN /dev/urandom >"$WORK/rand"
	sha=$(sha256sum <"$WORK/rand" | cut -d' ' -f1)
	t=$(now)
	check "$label: 10 MB to Linux netfront (TCP), sha256 matches" sh -c "
		$NETIO put $ip 5002 $WORK/rand || exit 1
		for i in \$(seq 300); do
			got=\$(curl -sf --max-time 5 http://$ip:8080/up$round.sha) && break
			sleep 0.2
		done
		echo \"sent $sha, frontend got \${got:-nothing}\"
		[ \"\$got\" = $sha ]"
	echo "# $label: PUT took $(awk -v a="$t" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s"
}

# CONFIG -> the shell line that sets it on interface IF.
cfg_line() { # CONFIG IF
	case $1 in
	default) echo "ethtool -K $2 sg on tx on rx on; ip link set dev $2 mtu 1500" ;;
	sg-off) echo "ip link set dev $2 mtu 1500; ethtool -K $2 sg off tx on rx on" ;;
	mtu-9000) echo "ethtool -K $2 sg on tx on rx on; ip link set dev $2 mtu 9000" ;;
	csum-off) echo "ethtool -K $2 sg on tx off rx off; ip link set dev $2 mtu 1500" ;;
	esac
}
# What `ethtool -k` and `ip link` must then say.  Linux netfront's IPv4
# transmit checksum offload and its receive checksum are fixed on (not in
# its hw_features), so "checksum offload off" can only turn off the IPv6
# transmit checksum offload: that is what csum-off checks; IPv4 frames keep
# coming with NETTXF_csum_blank, which our backend completes.  (tx6 is on
# elsewhere only if the backend offers feature-ipv6-csum-offload.)
cfg_expect() { # CONFIG
	case $1 in
	default) echo "sg=on tx6=[a-z]* mtu=1500" ;;
	sg-off) echo "sg=off tx6=[a-z]* mtu=1500" ;;
	mtu-9000) echo "sg=on tx6=[a-z]* mtu=9000" ;;
	csum-off) echo "sg=on tx6=off mtu=1500" ;;
	esac
}
cfg_report() { # IF: the same values as read back
	echo "ethtool -k $1 | grep -E '^(tx-checksum|rx-checksum)' | tr -s '\\n' ' '; echo; ethtool -k $1 | awk '/^scatter-gather:/ {s=\$2} /^\ttx-checksum-ipv6:/ {t=\$2} END {printf \"sg=%s tx6=%s \", s, t}'; ip -o link show dev $1 | sed 's/.* mtu \\([0-9]*\\).*/mtu=\\1/'"
}
apply_cfg() { # LABEL CONFIG IF RUNNER...: RUNNER runs a shell line there
	local label=$1 cfg=$2 ifn=$3 out want
	shift 3
	want=$(cfg_expect "$cfg")
	out=$("$@" "$(cfg_line "$cfg" "$ifn") 2>&1; sleep 1; $(cfg_report "$ifn")" 2>&1)
	echo "$label: set $cfg: $out"
	printf '%s\n' "$out" | tail -n 1 | grep -qx "$want" || { echo "want: $want"; return 1; }
}

# ------------------------------------------------------------ common setup

modprobe -r xen-netback 2>/dev/null
check "kernel xen-netback not loaded (our netback serves the vifs)" sh -c \
	"! grep -q '^xen_netback ' /proc/modules || { echo still loaded; exit 1; }"
"$NC" back --domid 0 --bridge tap >"$BLOG" 2>&1 &
bpid=$!
check "netchannel back running in dom0 (Xen platform)" sh -c "
	sleep 1; kill -0 $bpid || { cat $BLOG; exit 1; }; cat $BLOG"
mkdir -p "$WORK/www"
$NETIO pattern $TEN "$WORK/www/ten"
echo hello >"$WORK/www/hello"

# ------------------------------------------------------------ A: dom0 netfront

FEIF=
dom0_if() { # netfront's interface for vif 0 of dom0
	local i
	for i in /sys/class/net/*; do
		case "$(readlink -f "$i/device" 2>/dev/null)" in
		*vif-0) basename "$i"; return 0 ;;
		esac
	done
	return 1
}
dom0_setup() {
	modprobe xen-netfront || return 1
	"$NC" vif add --frontend 0 --mac 00:16:3e:5b:00:01 --mtu 9000 \
		--bridge tap:ncb0 || return 1
	local i
	for i in $(seq 300); do
		FEIF=$(dom0_if) && [ "$(xenstore-read /local/domain/0/device/vif/0/state 2>/dev/null)" = 4 ] &&
			[ "$(xenstore-read /local/domain/0/backend/vif/0/0/state 2>/dev/null)" = 4 ] && break
		sleep 0.1
	done
	echo "interface ${FEIF:-none}; frontend state $(xenstore-read /local/domain/0/device/vif/0/state 2>&1), backend state $(xenstore-read /local/domain/0/backend/vif/0/0/state 2>&1)"
	[ -n "$FEIF" ] && [ "$(xenstore-read /local/domain/0/backend/vif/0/0/state)" = 4 ] || return 1
	echo "frontend keys: $(xenstore-ls /local/domain/0/device/vif/0 | grep -E '^(feature|request|multi|event|tx-ring|rx-ring)' | tr -s ' ' | tr '\n' ' ')"
}
# Multi-queue: our backend offers one queue per dom0 CPU (2) and Linux
# netfront, with as many CPUs, asks for 2: queue-0/ and queue-1/ keys.
fe_queues() { # FRONTEND_DIR WANT
	local d=${1#/local/domain/}
	echo "backend offers $(xenstore-read "/local/domain/0/backend/vif/${d%%/*}/0/multi-queue-max-queues" 2>&1)," \
		"frontend multi-queue-num-queues: $(xenstore-read "$1/multi-queue-num-queues" 2>&1)"
	xenstore-ls "$1" | grep -E '^ *(queue-|tx-ring|rx-ring|event-channel)' | tr -s ' ' | tr '\n' ' '; echo
	if [ "$2" = 1 ]; then
		xenstore-read "$1/tx-ring-ref" >/dev/null && ! xenstore-read "$1/queue-1/tx-ring-ref" >/dev/null 2>&1
	else
		[ "$(xenstore-read "$1/multi-queue-num-queues")" = "$2" ] &&
			xenstore-read "$1/queue-$(($2 - 1))/tx-ring-ref" >/dev/null
	fi
}
# `netchannel stat`'s line "queues 2: 0: rx A tx B; 1: rx C tx D;" for
# vif NAME: every number above 0 (each queue carried frames each way).
both_queues_used() { # VIF_NAME
	local line
	line=$("$NC" stat 2>&1 | sed -n "/^$1:/,/^[^ ]/p" | grep 'queues 2:')
	echo "$1: ${line:-no per-queue line}"
	echo "$line" | grep -Eq '0: rx [1-9][0-9]* tx [1-9][0-9]*; 1: rx [1-9][0-9]* tx [1-9][0-9]*;'
}
many_flows() { # IP: 16 connections, 16 source ports
	local i
	for i in $(seq 16); do
		curl -sf --max-time 10 -o /dev/null "http://$1:8080/hello" || return 1
	done
}
if [ "${PARTS#*A}" = "$PARTS" ]; then
	echo "# part A not asked for (NC_INTEROP_PARTS=$PARTS)"
elif check "A: Linux xen-netfront in dom0 connects to our netback (vif add --frontend 0)" dom0_setup; then
	FEIF=$(dom0_if)
	check "A: Linux netfront uses 2 queues with our backend (multi-queue-num-queues 2, queue-0/ queue-1/)" \
		fe_queues /local/domain/0/device/vif/0 2
	check "A: netfront's $FEIF in namespace $NS (10.81.0.2), TAP ncb0 10.81.0.1" sh -c "
		ip netns add $NS && ip link set $FEIF netns $NS &&
		ip -n $NS link set lo up && ip -n $NS addr add 10.81.0.2/24 dev $FEIF &&
		ip -n $NS link set $FEIF up &&
		ip addr add 10.81.0.1/24 dev ncb0 && ip link set ncb0 up &&
		ip -br addr show dev ncb0 && ip -n $NS -br addr show dev $FEIF"
	ip netns exec $NS busybox httpd -p 8080 -h "$WORK/www"
	ip netns exec $NS sh -c "n=0; while :; do n=\$((n + 1));
		busybox nc -l -p 5002 >$WORK/up; sha256sum <$WORK/up | cut -d' ' -f1 >$WORK/www/up\$n.sha.t;
		mv $WORK/www/up\$n.sha.t $WORK/www/up\$n.sha; done" >/dev/null 2>&1 &
	check "A: HTTP server in the namespace answers over the channel" sh -c "
		for i in \$(seq 50); do curl -sf --max-time 3 -o /dev/null http://10.81.0.2:8080/hello && exit 0; sleep 0.2; done; exit 1"
	in_ns() { ip netns exec "$NS" sh -c "$1"; }
	for cfg in $CONFIGS; do
		check "A: Linux netfront set to $cfg" apply_cfg A "$cfg" "$FEIF" in_ns
		traffic "A/$cfg" 10.81.0.2 "$cfg"
	done
	check "A: 16 more connections (flows) to Linux netfront" many_flows 10.81.0.2
	sleep 1.5   # `netchannel back` writes its counters once a second
	check "A: both queues carried frames each way (netchannel stat)" both_queues_used vif0.0
	echo "# backend stats (dom0 frontend):"
	"$NC" stat 2>&1 | sed 's/^/#   /' | head -n 30
	# Linux netfront closes (rmmod): Closing, our backend lets go, Closed.
	ip netns del "$NS"
	# Linux netfront closes (unbind: Closing, waits for the backend, Closed);
	# our backend lets go of the rings and grants and, its frontend gone,
	# removes its own directory ("gone" in its log).
	check "A: netfront unbound (sysfs): clean close, our backend lets go" sh -c "
		echo vif-0 >/sys/bus/xen/drivers/vif/unbind || exit 1
		for i in \$(seq 100); do grep -q 'vif0.0: gone' $BLOG && break; sleep 0.1; done
		echo frontend state \$(xenstore-read /local/domain/0/device/vif/0/state 2>&1)
		grep 'vif0.0' $BLOG | tail -n 2
		grep -q 'vif0.0: gone' $BLOG || exit 1
		[ \"\$(xenstore-read /local/domain/0/device/vif/0/state)\" = 6 ] || exit 1
		! grep -i quarantin $BLOG"
	"$NC" vif del --frontend 0 >/dev/null 2>&1
else
	not_run "A: the traffic checks (dom0 netfront did not connect)"
fi

# ------------------------------------------------------------ B: PV domU

# The domU's initramfs: busybox (and the libraries it and ethtool need),
# ethtool, xen-netfront.ko, the 10 MB file, and an /init that brings eth0
# up as 10.82.0.2 with the same servers plus a command port (7000).
build_domu() {
	local R=$WORK/domu f m
	mkdir -p "$R"/{bin,sbin,proc,sys,dev,tmp,www,lib,etc}
	cp /usr/bin/busybox /usr/sbin/ethtool "$R/bin/" || return 1
	for f in $(ldd /usr/bin/busybox /usr/sbin/ethtool | awk '/=> \// {print $3} /^\t\/lib/ {print $1}' | sort -u); do
		mkdir -p "$R$(dirname "$f")" && cp -L "$f" "$R$f" || return 1
	done
	for m in $(modprobe --show-depends xen-netfront | awk '$1 == "insmod" {print $2}'); do
		case $m in
		*.xz) xz -dc "$m" >"$R/lib/$(basename "$m" .xz)" ;;
		*.zst) zstd -qdc "$m" >"$R/lib/$(basename "$m" .zst)" ;;
		*) cp "$m" "$R/lib/" ;;
		esac || return 1
		echo "$(basename "${m%.xz}" | sed 's/\.zst$//')" >>"$R/lib/order"
	done
	cp "$WORK/www/ten" "$WORK/www/hello" "$R/www/"
	cat >"$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /lib/order); do insmod /lib/$m; done
echo "domU: waiting for eth0"
i=0; while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 1800 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip addr add 10.82.0.2/24 dev eth0
ip link set eth0 up
httpd -p 8080 -h /www
(n=0; while :; do n=$((n + 1)); nc -l -p 5002 >/tmp/up
	sha256sum /tmp/up | cut -d' ' -f1 >/www/up$n.sha.t; mv /www/up$n.sha.t /www/up$n.sha; done) &
nc -ll -p 7000 -e /bin/sh &
echo "domU: eth0 up: $(ip -o addr show dev eth0 | head -n 1)"
while :; do sleep 1000; done
EOF
	chmod 755 "$R/init"
	(cd "$R" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1 >"$WORK/domu.cpio.gz") || return 1
	ls -l "$WORK/domu.cpio.gz"
	cat >"$WORK/domu.cfg" <<EOF
name = "ncdomu"
type = "pv"
kernel = "$NC_KERNEL"
ramdisk = "$WORK/domu.cpio.gz"
extra = "console=hvc0 loglevel=4"
memory = 320
vcpus = 1
on_poweroff = "destroy"
on_crash = "destroy"
EOF
}
DOMID=
if [ "${PARTS#*B}" = "$PARTS" ]; then
	echo "# part B not asked for (NC_INTEROP_PARTS=$PARTS)"
elif check "B: domU initramfs built (busybox, ethtool, xen-netfront.ko, 10 MB file)" build_domu &&
	check "B: xl create a PV domU (no vif in its config)" sh -c "
		timeout 120 xl create $WORK/domu.cfg 2>&1 | tail -n 3; xl domid ncdomu"; then
	DOMID=$(xl domid ncdomu)
	mkdir -p "$(readlink -f /var/lock)" 2>/dev/null  # xl console locks there
	(timeout 1200 xl console ncdomu >"$WORK/domu-console.log" 2>&1 </dev/null &)
	check "B: netchannel vif add --frontend $DOMID; Linux netfront in the domU connects" sh -c "
		$NC vif add --frontend $DOMID --mac 00:16:3e:5b:00:02 --mtu 9000 --bridge tap:ncb1 || exit 1
		BE=/local/domain/0/backend/vif/$DOMID/0 FE=/local/domain/$DOMID/device/vif/0
		for i in \$(seq 600); do
			[ \"\$(xenstore-read \$BE/state 2>/dev/null)\" = 4 ] && [ \"\$(xenstore-read \$FE/state 2>/dev/null)\" = 4 ] && break
			sleep 0.1
		done
		echo frontend state \$(xenstore-read \$FE/state 2>&1), backend state \$(xenstore-read \$BE/state 2>&1)
		echo frontend keys: \$(xenstore-ls \$FE | grep -E '^(feature|request|event|tx-ring|rx-ring)' | tr -s ' ')
		[ \"\$(xenstore-read \$BE/state)\" = 4 ]" &&
	check "B: TAP ncb1 10.82.0.1; the domU answers on 10.82.0.2" sh -c "
		ip addr add 10.82.0.1/24 dev ncb1 && ip link set ncb1 up || exit 1
		for i in \$(seq 60); do
			curl -sf --max-time 2 -o /dev/null http://10.82.0.2:8080/hello && exit 0; sleep 0.5
		done
		ip -s link show dev ncb1; ip neigh; timeout 5 tcpdump -c 10 -eni ncb1 2>&1 & ping -c 3 10.82.0.2; wait
		exit 1" || break_b=1
	in_domu() { $NETIO cmd 10.82.0.2 7000 "$1"; }
	[ -n "${break_b:-}" ] && CONFIGS_B= || CONFIGS_B=$CONFIGS
	[ -n "${break_b:-}" ] || check "B: Linux netfront in a 1-CPU domU uses 1 queue (flat keys) though 2 are offered" \
		fe_queues /local/domain/$DOMID/device/vif/0 1
	[ -n "${break_b:-}" ] || check "B: command port in the domU" sh -c "$NETIO cmd 10.82.0.2 7000 'uname -r; ethtool -i eth0 | head -n 1'"
	round=0
	for cfg in $CONFIGS_B; do
		check "B: Linux netfront (domU) set to $cfg" apply_cfg B "$cfg" eth0 in_domu
		traffic "B/$cfg" 10.82.0.2 "$cfg"
	done
	echo "# backend stats (domU frontend):"
	"$NC" stat 2>&1 | sed 's/^/#   /' | head -n 30
	check "B: xl destroy: our backend frees the vif (no quarantine)" sh -c "
		xl destroy ncdomu || exit 1
		for i in \$(seq 100); do grep -q 'vif$DOMID.0: gone' $BLOG && break; sleep 0.1; done
		grep 'vif$DOMID.0' $BLOG | tail -n 3
		$NC vif del --frontend $DOMID
		! grep -i quarantin $BLOG"
else
	not_run "B: the traffic checks (no domU or no connection)"
fi

check "our netback still running, nothing disabled" sh -c "
	kill -0 $bpid || { echo backend exited; exit 1; }
	! grep -Ei 'disabled|fatal' $BLOG"
echo "# total $(now) s"
echo "1..$n"

#!/bin/bash
# Boot real Xen 4.17 under QEMU (TCG) with a Debian 12 PV dom0 and run test
# scripts inside dom0.
#
#   bash xen/run.sh [TEST-SCRIPT...]      (default: xen/tests/*.sh)
#
# The base (hypervisor, kernel, dom0 root) comes from xen/build-base.sh and its
# cache.  Each run packs a small overlay (the project's binaries from the build
# directory, the xen/ directory with the test scripts, and an /init), appends it
# to the base initramfs, boots, and reads the TAP stream that /init prints to
# the console between two markers carrying a per-run nonce.
#
# Inside dom0 the project lives at /opt/netchannel (build/ and xen/ as in the
# work tree); tests get NC (the netchannel binary), NC_TOP, NC_TESTS_BIN,
# NC_KERNEL (the kernel, for PV domUs) and find netchannel in PATH.
#
# Exit status: 0 when every test passed; 1 when a test failed, the markers are
# missing (dom0 crashed or never started) or QEMU hit the time limit.
#
# Environment:
#   NC_BUILD_DIR          build directory (default build)
#   NC_XEN_TIMEOUT        seconds before QEMU is killed (default 1800)
#   NC_XEN_TEST_TIMEOUT   seconds for one test script inside dom0 (default 900)
#   NC_XEN_LOGDIR         where the console log goes (default $NC_BUILD_DIR/xen-logs)
#   NC_XEN_VERBOSE=1      also stream the console to stderr while it runs
#   NC_XEN_CACHE          base cache (see build-base.sh)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
BUILD_DIR=${NC_BUILD_DIR:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$TOP/$BUILD_DIR" ;; esac
TIMEOUT=${NC_XEN_TIMEOUT:-1800}
TEST_TIMEOUT=${NC_XEN_TEST_TIMEOUT:-900}
LOGDIR=${NC_XEN_LOGDIR:-$BUILD_DIR/xen-logs}

log() { printf 'xen/run: [%3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'xen/run: error: %s\n' "$*" >&2; exit 1; }

if [ $# -eq 0 ]; then
	set -- "$HERE"/tests/*.sh
fi
for t in "$@"; do [ -f "$t" ] || die "no such test script: $t"; done
[ -x "$BUILD_DIR/netchannel" ] || die "$BUILD_DIR/netchannel is missing: run 'make build' first"

# ---- host tools ----------------------------------------------------------
missing=""
for p in qemu-system-x86 cpio gzip; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "xen/run: these Debian packages are needed:$missing" >&2
		echo "install them with:" >&2
		echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	fi
	log "installing host packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get update -q >&2
	# shellcheck disable=SC2086
	timeout 900 apt-get install -y -q --no-install-recommends $missing >&2
fi

BASE=$(NC_BUILD_DIR="$BUILD_DIR" bash "$HERE/build-base.sh")
for f in xen.elf vmlinuz base.cpio.zst; do [ -s "$BASE/$f" ] || die "base is incomplete: $BASE/$f"; done

WORK=$(mktemp -d /tmp/nc-xen.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
OV="$WORK/overlay"
DST="$OV/opt/netchannel"
mkdir -p "$DST/build/tests" "$OV/etc/netchannel-xen"

# ---- overlay: the project's binaries -----------------------------------------------
cp -a "$BUILD_DIR/netchannel" "$DST/build/"
cp -a "$BUILD_DIR"/libnetchannel.so* "$DST/build/" 2>/dev/null || true
for f in "$BUILD_DIR"/tests/*; do
	if [ -f "$f" ] && [ -x "$f" ]; then cp -a "$f" "$DST/build/tests/"; fi
done
# The xen/ directory (test scripts and whatever helpers they source).
cp -a "$HERE" "$DST/xen"
# Test scripts named from elsewhere keep their path relative to the tree.
TESTS=""
for t in "$@"; do
	abs=$(cd "$(dirname "$t")" && pwd)/$(basename "$t")
	case "$abs" in
	"$TOP"/*) rel=${abs#"$TOP"/} ;;
	*) rel=extra/$(basename "$abs") ;;
	esac
	mkdir -p "$DST/$(dirname "$rel")"
	cp -a "$abs" "$DST/$rel"
	TESTS="$TESTS $rel"
done

NONCE=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
BEGIN="NC-XEN-TAP-BEGIN-$NONCE"
END="NC-XEN-TAP-END-$NONCE"
cat >"$OV/etc/netchannel-xen/config" <<EOF
NONCE=$NONCE
TESTS="$TESTS"
TEST_TIMEOUT=$TEST_TIMEOUT
EOF

cat >"$OV/init" <<'INIT'
#!/bin/sh
# dom0's /init for netchannel's Xen harness (written by xen/run.sh).
export PATH=/opt/netchannel/build:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LD_LIBRARY_PATH=/opt/netchannel/build
export HOME=/root TERM=dumb LANG=C.UTF-8
export NC=/opt/netchannel/build/netchannel NC_TOP=/opt/netchannel
export NC_TESTS_BIN=/opt/netchannel/build/tests
NC_KERNEL=$(ls /boot/vmlinuz-* 2>/dev/null | head -n1); export NC_KERNEL

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# Kernel messages stay in dmesg, off the console the TAP stream uses.
dmesg -n 1
hostname netchannel-dom0
ip link set lo up
. /etc/netchannel-xen/config

setup() {
	modprobe -a xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd tun || return 1
	mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen || return 1
	/etc/init.d/xen start || return 1
	xenstore-read domid >/dev/null || return 1
}
setup >/tmp/setup.log 2>&1
setup_rc=$?

set -- $TESTS
echo "NC-XEN-TAP-BEGIN-$NONCE"
echo "1..$(($# + 1))"
echo "# dom0 up after $(cut -d' ' -f1 /proc/uptime) s; $(uname -r); $(xl info 2>/dev/null | awk '$1 == "xen_version" {print "xen " $3}')"
if [ "$setup_rc" -eq 0 ]; then
	echo "ok 1 - dom0 setup (xen modules, xenfs, xenstored, xenconsoled)"
	sed 's/^/# /' /tmp/setup.log
else
	echo "not ok 1 - dom0 setup (xen modules, xenfs, xenstored, xenconsoled)"
	sed 's/^/# /' /tmp/setup.log
fi
n=1
for t in "$@"; do
	n=$((n + 1))
	echo "# Subtest: $t"
	start=$(cut -d' ' -f1 /proc/uptime)
	(
		cd /opt/netchannel || exit 1
		case "$t" in
		*.sh) timeout -k 10 "$TEST_TIMEOUT" bash "$t" </dev/null ;;
		*) timeout -k 10 "$TEST_TIMEOUT" "./$t" </dev/null ;;
		esac >/tmp/test.out 2>&1 &
		pid=$!
		# Stream the output while it runs (a hung test still shows its start).
		tail -n +1 -F --pid="$pid" /tmp/test.out 2>/dev/null | sed -u 's/^/    /'
		wait "$pid"
	)
	rc=$?
	took=$(awk -v a="$start" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {printf "%.1f", b - a}')
	if [ "$rc" -eq 0 ] && ! grep -Eq '^not ok( |$)' /tmp/test.out; then
		echo "ok $n - $t (${took}s)"
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "not ok $n - $t (timed out after ${TEST_TIMEOUT}s)"
	elif [ "$rc" -eq 0 ]; then
		echo "not ok $n - $t (a check failed, ${took}s)"
	else
		echo "not ok $n - $t (exit $rc, ${took}s)"
	fi
done
echo "NC-XEN-TAP-END-$NONCE"
sleep 1
busybox poweroff -f
INIT
chmod 755 "$OV/init"
chmod 755 "$OV"

(cd "$OV" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc --owner=0:0 --quiet | gzip -1 >"$WORK/overlay.cpio.gz")
cat "$BASE/base.cpio.zst" "$WORK/overlay.cpio.gz" >"$WORK/initrd.img"
log "base $BASE, overlay $(du -h "$WORK/overlay.cpio.gz" | cut -f1), tests:$TESTS"

mkdir -p "$LOGDIR"
STAMP=$(date +%Y%m%d-%H%M%S)-$$
CONSOLE="$LOGDIR/console-$STAMP.log"
TAP="$LOGDIR/tap-$STAMP.txt"
: >"$CONSOLE"
ln -sfn "console-$STAMP.log" "$LOGDIR/console.log"
# Keep the newest 10 runs.
ls -1t "$LOGDIR"/console-*.log 2>/dev/null | tail -n +11 | while read -r old; do
	rm -f "$old" "$LOGDIR/tap-$(basename "$old" .log | sed 's/^console-//').txt"
done
QEMU=(qemu-system-x86_64 -accel tcg,thread=multi -cpu qemu64 -m 2048 -smp 2
	-nographic -no-reboot -nic none
	-kernel "$BASE/xen.elf"
	-append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=2"
	-initrd "$BASE/vmlinuz console=hvc0 panic=-1,$WORK/initrd.img")
log "booting (limit ${TIMEOUT}s): ${QEMU[*]}"
T0=$SECONDS
set +e
if [ -n "${NC_XEN_VERBOSE:-}" ]; then
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null 2>&1 | tee "$CONSOLE" >&2
	qrc=${PIPESTATUS[0]}
else
	timeout -k 10 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$CONSOLE" 2>&1
	qrc=$?
fi
set -e
log "QEMU exited $qrc after $((SECONDS - T0)) s; console log: $CONSOLE"

# ---- the verdict -------------------------------------------------------------------
# Xen's own lines start with "(XEN)"; the serial line ends lines with CR LF.
tr -d '\r' <"$CONSOLE" | grep -v '^(XEN)' |
	awk -v b="$BEGIN" -v e="$END" '$0 == e {exit} on {print} $0 == b {on = 1}' >"$TAP"
cat "$TAP"

fail=""
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	fail="QEMU timed out after ${TIMEOUT}s"
elif ! tr -d '\r' <"$CONSOLE" | grep -qx "$BEGIN"; then
	fail="no TAP from dom0 (begin marker missing)"
elif ! tr -d '\r' <"$CONSOLE" | grep -qx "$END"; then
	fail="TAP stream cut short (end marker missing)"
else
	plan=$(awk '/^1\.\.[0-9]+$/ {sub(/^1\.\./, ""); print; exit}' "$TAP")
	oks=$(grep -Ec '^ok [0-9]+' "$TAP" || true)
	notoks=$(grep -Ec '^not ok [0-9]+' "$TAP" || true)
	if [ "$notoks" -gt 0 ]; then
		fail="$notoks of $plan failed"
	elif [ -z "$plan" ] || [ "$oks" -ne "$plan" ]; then
		fail="planned ${plan:-?} tests, $oks passed"
	fi
fi
if [ -n "$fail" ]; then
	if [ ! -s "$TAP" ] || ! tr -d '\r' <"$CONSOLE" | grep -qx "$END"; then
		echo "# --- last 40 console lines ($CONSOLE) ---"
		tr -d '\r' <"$CONSOLE" | tail -n 40 | sed 's/^/# /'
	fi
	echo "xen: FAILED: $fail (full console log: $CONSOLE)"
	echo "xen: ${oks:-0} passed, ${notoks:-1} failed"
	exit 1
fi
echo "xen: boot and tests took $((SECONDS - T0)) s (full console log: $CONSOLE)"
echo "xen: $oks passed, 0 failed"

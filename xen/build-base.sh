#!/bin/bash
# Build (and cache) the slow parts of the real-Xen test harness:
#
#   xen.elf          Debian's Xen 4.17 hypervisor (xen-hypervisor-4.17-amd64)
#   vmlinuz          Debian's kernel (linux-image-amd64), PV dom0 capable
#   base.cpio.zst    dom0 root: debootstrap minbase bookworm + xen-utils-4.17
#                    (same version as the hypervisor), the kernel modules the
#                    harness needs, and the runtime libraries of build/netchannel
#
# Everything comes from the Debian mirror configured in this machine's apt
# sources (read at run time with `apt-get indextargets`).  The results live in
# $NC_XEN_CACHE/<key>/ (default /var/cache/netchannel-xen), <key> being a hash
# of this script and of the Debian packages that hold the project's runtime
# libraries, so a second run only checks the key and takes a second.
#
# Prints the cache directory holding the three files on stdout (all progress
# goes to stderr), so callers do:  BASE=$(bash xen/build-base.sh)
#
# Environment:
#   NC_XEN_CACHE      cache directory (default /var/cache/netchannel-xen)
#   NC_BUILD_DIR      the project's build directory whose binaries' libraries
#                     go into the base (default build)
#   NC_XEN_REBUILD=1  ignore the cache and build again
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
CACHE=${NC_XEN_CACHE:-/var/cache/netchannel-xen}
BUILD_DIR=${NC_BUILD_DIR:-build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$TOP/$BUILD_DIR" ;; esac
SUITE=bookworm

log() { printf 'build-base: [%3ss] %s\n' "$SECONDS" "$*" >&2; }
die() { printf 'build-base: error: %s\n' "$*" >&2; exit 1; }

# ---- host tools -------------------------------------------------------------
need_host_packages() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-base: these Debian packages are needed:$missing" >&2
		echo "install them with:" >&2
		echo "  sudo apt-get install -y --no-install-recommends$missing" >&2
		exit 1
	fi
	log "installing host packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	timeout 600 apt-get update -q >&2
	# shellcheck disable=SC2086
	timeout 900 apt-get install -y -q --no-install-recommends $missing >&2
}

# ---- the project's runtime libraries -> Debian packages -----------------------
# ldd every ELF the overlay will carry; map each library outside the build tree
# to the Debian package that ships it.  Their names are part of the cache key,
# so linking a new library into netchannel rebuilds the base once.
runtime_packages() {
	local f lib pkg cand
	{
		for f in "$BUILD_DIR"/netchannel "$BUILD_DIR"/libnetchannel.so* "$BUILD_DIR"/tests/*; do
			[ -f "$f" ] || continue
			head -c4 "$f" 2>/dev/null | grep -q 'ELF' || continue
			ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
		done
	} | sort -u | while read -r lib; do
		case "$lib" in "$BUILD_DIR"/* | "$TOP"/*) continue ;; esac
		pkg=""
		for cand in "$lib" "$(readlink -f "$lib")" "/usr$lib" "${lib#/usr}"; do
			pkg=$(dpkg-query -S "$cand" 2>/dev/null | head -n1 | cut -d: -f1) && [ -n "$pkg" ] && break
		done
		[ -n "$pkg" ] || { log "warning: no Debian package ships $lib"; continue; }
		echo "$pkg"
	done | grep -vx 'libc6' | sort -u | tr '\n' ' '
}

# ---- the mirror, from the system's apt sources -----------------------------
repo_uri() { # $1 = suite; prints the URI of the first deb source for it
	apt-get indextargets --format '$(TARGET_OF) $(RELEASE) $(REPO_URI)' 2>/dev/null |
		awk -v s="$1" '$1 == "deb" && $2 == s {print $3; exit}'
}

need_host_packages debootstrap zstd cpio kmod

RUNTIME_PKGS=$(runtime_packages)
# Packages dom0 gets besides minbase; xen-utils-4.17 and the runtime ones are
# added in the chroot.  python3 comes in anyway (xen-utils depends on it).
INCLUDE=kmod,iproute2,procps,busybox,iputils-ping,curl,ethtool,tcpdump,ca-certificates
EXTRA_PKGS="xenstore-utils $RUNTIME_PKGS"

KEY=$( { cat "${BASH_SOURCE[0]}"; echo "$RUNTIME_PKGS"; } | sha256sum | cut -c1-16)
OUT="$CACHE/$KEY"

if [ -z "${NC_XEN_REBUILD:-}" ] && [ -s "$OUT/xen.elf" ] && [ -s "$OUT/vmlinuz" ] &&
	[ -s "$OUT/base.cpio.zst" ]; then
	log "cached: $OUT"
	echo "$OUT"
	exit 0
fi

[ "$(id -u)" -eq 0 ] || die "building the base needs root (debootstrap, chroot); run as root once, later runs use the cache $CACHE"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
log "taking the cache lock $CACHE/.lock"
timeout 1800 flock 9 || die "cache lock busy for 30 min"
# Another run may have built it while we waited.
if [ -z "${NC_XEN_REBUILD:-}" ] && [ -s "$OUT/base.cpio.zst" ]; then
	log "cached: $OUT"; echo "$OUT"; exit 0
fi

T0=$(date +%s)
rm -rf "$CACHE"/work.* # left by a run that was killed (we hold the lock)
WORK=$(mktemp -d "$CACHE/work.XXXXXX")
ROOT="$WORK/root"
cleanup() {
	local m
	for m in "$ROOT/dev/pts" "$ROOT/dev" "$ROOT/sys" "$ROOT/proc"; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

MIRROR=$(repo_uri "$SUITE")
SECURITY=$(repo_uri "$SUITE-security")
UPDATES=$(repo_uri "$SUITE-updates")
[ -n "$MIRROR" ] || die "no '$SUITE' deb source in this machine's apt sources"
log "mirror: $MIRROR${SECURITY:+, security: $SECURITY}"
[ -n "$SECURITY" ] || log "warning: no $SUITE-security source: dom0 tools may not match the hypervisor"

# apt-get download needs package lists.
if ! apt-cache policy xen-hypervisor-4.17-amd64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
	log "apt-get update"
	timeout 600 apt-get update -q >&2
fi

# ---- hypervisor ---------------------------------------------------------------
cd "$WORK"
log "downloading xen-hypervisor-4.17-amd64 and the kernel"
KPKG=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {print $2; exit}')
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64"
timeout 600 apt-get download -q xen-hypervisor-4.17-amd64 "$KPKG" >&2 2>&1
XENVER=$(dpkg-deb -f xen-hypervisor-4.17-amd64_*.deb Version)
mkdir xenx kx
dpkg-deb -x xen-hypervisor-4.17-amd64_*.deb xenx
zcat xenx/boot/xen-4.17-amd64.gz >xen.elf
log "xen $XENVER, kernel package $KPKG"

# ---- kernel and its modules -----------------------------------------------------
dpkg-deb -x "${KPKG}"_*.deb kx
KVER=$(ls kx/lib/modules | head -n1)
cp kx/boot/vmlinuz-"$KVER" vmlinuz
depmod -b kx "$KVER"
# drivers/xen whole, the net drivers, and everything they depend on.
WANT=$(cd kx/lib/modules/"$KVER" && find kernel/drivers/xen -name '*.ko*' |
	sed 's|.*/||; s|\.ko.*||')
WANT="$WANT xen-netback xen-netfront xen-blkfront bridge tun veth 8021q"
MODS=$(for m in $WANT; do
	modprobe -d kx -S "$KVER" --show-depends "$m" 2>/dev/null | awk '$1 == "insmod" {print $2}'
done | sort -u)
[ -n "$MODS" ] || die "no modules resolved"

# ---- dom0 root -------------------------------------------------------------------
log "debootstrap $SUITE (minbase)"
timeout 1200 debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOT" "$MIRROR" \
	>"$WORK/debootstrap.log" 2>&1 || { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }

{
	echo "deb $MIRROR $SUITE main"
	[ -z "$UPDATES" ] || echo "deb $UPDATES $SUITE-updates main"
	[ -z "$SECURITY" ] || echo "deb $SECURITY $SUITE-security main"
} >"$ROOT/etc/apt/sources.list"
# No service starts inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod +x "$ROOT/usr/sbin/policy-rc.d"
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"

# Which version of xen-utils matches the hypervisor; pin it.
log "installing xen-utils-4.17=$XENVER and:$EXTRA_PKGS"
# shellcheck disable=SC2086
timeout 1200 chroot "$ROOT" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -ec "
	apt-get update -q
	apt-get install -y -q --no-install-recommends xen-utils-4.17=$XENVER $EXTRA_PKGS
	apt-get upgrade -y -q
	apt-get clean
" >"$WORK/chroot.log" 2>&1 || { tail -n 40 "$WORK/chroot.log" >&2; die "installing in the chroot failed"; }
GOT=$(chroot "$ROOT" dpkg-query -W -f='${Version}' xen-utils-4.17)
[ "$GOT" = "$XENVER" ] || die "dom0 tools $GOT do not match hypervisor $XENVER"

for m in "$ROOT/dev/pts" "$ROOT/dev" "$ROOT/sys" "$ROOT/proc"; do umount "$m"; done
rm -f "$ROOT/usr/sbin/policy-rc.d"

# Modules, and the kernel itself (for PV domUs started from dom0).
for f in $MODS; do
	rel="lib/modules/${f#*/lib/modules/}"
	mkdir -p "$ROOT/$(dirname "$rel")"
	cp "$f" "$ROOT/$rel"
done
mkdir -p "$ROOT/lib/modules/$KVER"
cp kx/lib/modules/"$KVER"/modules.order kx/lib/modules/"$KVER"/modules.builtin* "$ROOT/lib/modules/$KVER/"
depmod -b "$ROOT" "$KVER"
mkdir -p "$ROOT/boot"
cp vmlinuz "$ROOT/boot/vmlinuz-$KVER"

# Trim what a test never reads.
rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/* "$ROOT"/usr/share/doc/* \
	"$ROOT"/usr/share/man/* "$ROOT"/usr/share/info/* "$ROOT"/usr/share/locale/* \
	"$ROOT"/var/log/*.log "$ROOT"/var/log/apt/*
echo netchannel-dom0 >"$ROOT/etc/hostname"
{
	echo "xen=$XENVER"
	echo "kernel=$KPKG $(dpkg-deb -f "${KPKG}"_*.deb Version) ($KVER)"
	echo "runtime_packages=$RUNTIME_PKGS"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	chroot "$ROOT" dpkg-query -W -f='${Package} ${Version}\n'
} >"$ROOT/etc/netchannel-xen-base"

log "packing base.cpio.zst"
(cd "$ROOT" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet | zstd -q -T0 -10 >"$WORK/base.cpio.zst")

mkdir -p "$WORK/out"
chmod 755 "$WORK/out" # readable by run.sh as any user
mv xen.elf vmlinuz base.cpio.zst "$WORK/out/"
cp "$ROOT/etc/netchannel-xen-base" "$WORK/out/versions.txt"
rm -rf "$OUT"
mv "$WORK/out" "$OUT"
# Older keys are dead weight (about 100 MB each).
for d in "$CACHE"/*/; do
	d=${d%/}
	[ "$d" = "$OUT" ] || [ ! -f "$d/versions.txt" ] || rm -rf "$d"
done
log "built $OUT in $(($(date +%s) - T0)) s ($(du -h "$OUT/base.cpio.zst" | cut -f1) base)"
echo "$OUT"

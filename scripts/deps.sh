#!/bin/sh
# Install the Debian 12 packages netchannel needs to build and test.
# As root: installs what is missing with apt-get.  Otherwise: prints the
# exact command and fails, so nothing half-works.
set -eu

# What each package is for (README.md says the same):
#   meson ninja-build pkg-config   build system
#   gcc clang                      both compilers must build without warnings
#   libclang-rt-14-dev             clang's ASan/UBSan/libFuzzer runtimes
#   libxen-dev                     Xen public headers, libxengnttab/evtchn/store
#   xenstore-utils                 xenstore-read/-write/-ls/... (store tests)
#   libpcap-dev                    the backend's pcap bridge
#   liblwip-dev                    TCP/IP for the demo guest
#   tshark tcpdump                 checksum validation of captured frames
#   iproute2 iputils-ping curl     namespaces, TAP devices, the demo's client
#   python3                        the test runner
PACKAGES="meson ninja-build pkg-config gcc clang libclang-rt-14-dev \
libxen-dev xenstore-utils libpcap-dev liblwip-dev tshark tcpdump \
iproute2 iputils-ping curl python3"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "netchannel needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing

#!/bin/sh
# The protocol core must build freestanding, so a unikernel can embed it:
# compile each core source with -ffreestanding and check that the only
# symbols it needs from outside are mem*/str* (and its own).
# Usage: check-freestanding.sh CC INCLUDE_DIR SRC_DIR SOURCE...  (prints TAP)
set -u
cc=$1 inc=$2 srcdir=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0
for src in "$@"; do
	n=$((n + 1))
	obj="$tmp/$(basename "$src").o"
	if ! $cc -std=c11 -ffreestanding -fno-stack-protector -O2 -Wall -Wextra \
		-Werror -I"$inc" -I"$srcdir" -c "$src" -o "$obj" 2>"$tmp/err"; then
		echo "not ok $n - $(basename "$src") builds freestanding"
		sed 's/^/# /' "$tmp/err"
		failed=1
		continue
	fi
	echo "$obj" >>"$tmp/objs"
	echo "ok $n - $(basename "$src") builds freestanding"
done
# Symbols the core defines itself do not count as imports.
defined=$(xargs nm --defined-only <"$tmp/objs" | awk 'NF==3{print $3}' | sort -u)
undef=$(xargs nm -u <"$tmp/objs" | awk '{print $NF}' | grep -v ':$' | sort -u)
bad=""
for sym in $undef; do
	echo "$defined" | grep -qx "$sym" && continue
	case $sym in
	mem*|str*) ;;
	*) bad="$bad $sym" ;;
	esac
done
n=$((n + 1))
if [ -n "$bad" ]; then
	echo "not ok $n - core needs nothing beyond mem*/str*"
	echo "# imports:$bad"
	failed=1
else
	echo "ok $n - core needs nothing beyond mem*/str* (imports: $(echo $undef | tr '\n' ' '))"
fi
echo "1..$n"
exit $failed

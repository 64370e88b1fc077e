# Sourced by the interop tests in xen/tests (not a test itself: run.sh's
# callers pass *.sh).  TAP helpers with timestamps since the script began.
T0=$(cut -d' ' -f1 /proc/uptime)
n=0

# Seconds since T0, one decimal.
now() { awk -v a="$T0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN {printf "%.1f", b - a}'; }

# DESCRIPTION COMMAND...: one TAP line; the command's output as comments
# (its last 5 lines on success, 25 on failure).
check() {
	local desc=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $desc (t=$(now)s)"
		[ -n "$out" ] && printf '%s\n' "$out" | tail -n 5 | sed 's/^/# /'
		return 0
	else
		echo "not ok $n - $desc (t=$(now)s)"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/# /'
		return 1
	fi
}

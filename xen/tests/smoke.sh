#!/bin/bash
# Runs inside dom0 (xen/run.sh): Xen is up, the dom0 devices and xenstore
# work, and netchannel's libraries load.  TAP on stdout.
NC=${NC:-netchannel}
n=0
check() { # DESCRIPTION COMMAND...
	local desc=$1 out
	shift
	n=$((n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/# /'
	fi
}
grep_out() { # PATTERN COMMAND...: the command succeeds and prints PATTERN
	local pat=$1
	shift
	"$@" | grep -Eq "$pat"
}

echo "1..9"
check "xl info" xl info
xl info 2>/dev/null | grep -E '^(xen_version|xen_caps|nr_cpus|total_memory|free_memory)' | sed 's/^/# /'
check "xl list shows Domain-0" grep_out '^Domain-0 +0 ' xl list
for d in gntdev gntalloc evtchn privcmd; do
	check "/dev/xen/$d exists" test -c /dev/xen/$d
done
check "xenstore-ls works" grep_out 'domain' xenstore-ls /local
check "xenstore write, read back, remove" sh -c '
	xenstore-write /local/domain/0/data/nc-smoke hello &&
	[ "$(xenstore-read /local/domain/0/data/nc-smoke)" = hello ] &&
	xenstore-rm /local/domain/0/data/nc-smoke'
check "netchannel --help runs (its libraries load)" grep_out 'usage: netchannel' "$NC" --help

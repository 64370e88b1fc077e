#!/bin/sh
# netchannel vif add|del|list against the simulator: the directories,
# keys, owners and permissions xl would create.  Prints TAP.
# Usage: test_vif_tool.sh NETCHANNEL
set -u
nc=$1
dir=$(mktemp -d)
. "$(dirname "$0")/tap.bash"

"$nc" sim --run-dir "$dir" --domains 4 >"$dir/sim.log" 2>&1 &
sim=$!
i=0
while [ ! -S "$dir/xenstored/socket" ] && [ $i -lt 100 ]; do
	sleep 0.05; i=$((i + 1))
done
export XENSTORED_PATH="$dir/xenstored/socket"
fe=/local/domain/1/device/vif/0
be=/local/domain/0/backend/vif/1/0

check "vif add succeeds" "'$nc' vif add --frontend 1 --mac 00:16:3e:aa:bb:cc --mtu 9000 --run-dir '$dir' >/dev/null"
check "frontend keys" "[ \"\$(xenstore-read $fe/backend)\" = $be ] && [ \"\$(xenstore-read $fe/mtu)\" = 9000 ] && [ \"\$(xenstore-read $fe/backend-id)\" = 0 ] && [ \"\$(xenstore-read $fe/trusted)\" = 1 ]"
check "backend keys" "[ \"\$(xenstore-read $be/frontend)\" = $fe ] && [ \"\$(xenstore-read $be/frontend-id)\" = 1 ] && [ \"\$(xenstore-read $be/mac)\" = 00:16:3e:aa:bb:cc ] && [ \"\$(xenstore-read $be/state)\" = 1 ]"
check "frontend dir owned by 1, readable by 0" "[ \"\$(xenstore-ls -p $fe | grep '^mac' | sed 's/.*(//')\" = 'n1,r0)' ]"
check "backend dir owned by 0, readable by 1" "[ \"\$(xenstore-ls -p $be | grep '^mac' | sed 's/.*(//')\" = 'n0,r1)' ]"
check "domain 1 writes its own state" "XENSTORED_PATH=$dir/domain/1/xenstored/socket xenstore-write $fe/state 2"
check "domain 2 cannot read domain 1's vif" "! XENSTORED_PATH=$dir/domain/2/xenstored/socket xenstore-read $fe/mac 2>/dev/null"
check "domain 1 cannot write the backend's dir" "! XENSTORED_PATH=$dir/domain/1/xenstored/socket xenstore-write $be/state 4 2>/dev/null"
check "vif list shows it" "'$nc' vif list --run-dir '$dir' | grep -q '$be'"
check "untrusted vif" "'$nc' vif add --frontend 2 --untrusted --run-dir '$dir' >/dev/null && [ \"\$(xenstore-read /local/domain/2/device/vif/0/trusted)\" = 0 ]"
check "vif del removes both dirs" "'$nc' vif del --frontend 1 --run-dir '$dir' && ! xenstore-exists $fe && ! xenstore-exists $be"
check "vif add without a frontend is refused" "! '$nc' vif add --run-dir '$dir' 2>/dev/null"
check "no simulator: a clear error" "! '$nc' vif list --run-dir '$dir/none' 2>&1 | grep -q simulator && false || '$nc' vif list --run-dir '$dir/none' 2>&1 | grep -q 'netchannel sim'"

kill -TERM $sim
wait $sim
rm -rf "$dir"
echo "1..$n"
exit $fail

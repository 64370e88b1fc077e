#!/bin/sh
# test_sim_store.sh NETCHANNEL [SIM_TXN_CLIENT]
#
# `netchannel sim`'s store against Debian's xenstore-utils and libxenstore:
# every command, watches, a transaction conflict, permissions between
# domains, domain introduction and release, garbage and floods on the
# socket while other clients keep working, a second daemon refused, the
# --daemon/--pidfile mode, and a clean stop on SIGTERM.
#
# NETCHANNEL is the built tool; SIM_TXN_CLIENT the built
# tests/sim_txn_client (default: NETCHANNEL's dir/tests/sim_txn_client).
# Prints TAP.  A missing prerequisite is a skip, or a failure under CI=true.
set -u

NC=${1:?usage: test_sim_store.sh NETCHANNEL [SIM_TXN_CLIENT]}
CLIENT=${2:-$(dirname "$NC")/tests/sim_txn_client}

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
diag() { echo "# $*"; }
# check DESC CMD...: ok when CMD succeeds.
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
skip() {
	if [ "${CI:-}" = true ]; then not_ok "$1 # skipped under CI=true: $2"
	else n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; fi
}
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; exit $?; }

for tool in xenstore-read xenstore-write xenstore-ls xenstore-list \
	    xenstore-rm xenstore-exists xenstore-chmod xenstore-watch \
	    python3 timeout; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		skip "simulator store tests" "$tool is not installed"
		finish
	fi
done

RUN=$(mktemp -d)
RUN2=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null
	[ -f "$RUN2/pid" ] && kill -TERM "$(cat "$RUN2/pid")" 2>/dev/null
	rm -rf "$RUN" "$RUN2"
}
trap cleanup EXIT

DOM0=$RUN/xenstored/socket
DOM1=$RUN/domain/1/xenstored/socket
export XENSTORED_PATH="$DOM0"
# Every client call is bounded: a hang is a failure, not a stuck suite.
T="timeout 20"

# wait_for COND...: poll up to 10 s.
wait_for() {
	i=0
	while ! "$@"; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}
alive() { kill -0 "$PID" 2>/dev/null; }
is_socket() { [ -S "$1" ]; }
# equals EXPECTED CMD...: CMD's output is EXPECTED.
equals() { want=$1; shift; got=$("$@" 2>&1); [ "$got" = "$want" ] ||
	{ diag "expected '$want', got '$got'"; return 1; }; }
# contains TEXT CMD...: CMD's output has TEXT.
contains() { want=$1; shift; got=$("$@" 2>&1); case $got in
	*"$want"*) return 0 ;; esac; diag "no '$want' in: $got"; return 1; }
fails() { ! "$@" >/dev/null 2>&1; }
as_dom1() { XENSTORED_PATH=$DOM1 "$@"; }

# ------------------------------------------------------------------ start
check "--help says where the sockets are" \
	contains "DIR/domain/<id>/xenstored/socket" "$NC" sim --help

"$NC" sim --run-dir "$RUN" --domains 4 2>"$RUN/sim.log" &
PID=$!
if ! wait_for is_socket "$DOM0"; then
	not_ok "daemon starts and listens at DIR/xenstored/socket"
	cat "$RUN/sim.log" | sed 's/^/# /'
	finish
fi
ok "daemon starts and listens at DIR/xenstored/socket"
check "domains 1..3 have sockets at DIR/domain/<id>/xenstored/socket" \
	sh -c "[ -S '$RUN/domain/1/xenstored/socket' ] &&
	       [ -S '$RUN/domain/3/xenstored/socket' ] &&
	       [ ! -e '$RUN/domain/4' ]"
check "a second daemon on the same run dir is refused" \
	fails $T "$NC" sim --run-dir "$RUN" --domains 1

# ------------------------------------------------------- xenstore-utils
check "xenstore-write" $T xenstore-write /t/a hello /t/b world
check "xenstore-read" equals hello $T xenstore-read /t/a
check "xenstore-exists on a node" $T xenstore-exists /t/a
check "xenstore-exists on a missing node fails" \
	fails $T xenstore-exists /t/missing
check "xenstore-read of a missing node fails" \
	fails $T xenstore-read /t/missing
check "xenstore-list" equals "a
b" $T xenstore-list /t
check "xenstore-ls" contains 'b = "world"' $T xenstore-ls /t
check "xenstore-ls / shows the base tree" \
	contains 'local = ""' $T xenstore-ls /
check "xenstore-rm" $T xenstore-rm /t/b
check "the removed node is gone" equals a $T xenstore-list /t
$T xenstore-write /r/x/y/z deep >/dev/null
check "xenstore-rm is recursive" \
	sh -c "$T xenstore-rm /r && ! $T xenstore-exists /r/x/y/z"
check "xenstore-chmod, seen by xenstore-ls -p" \
	sh -c "$T xenstore-chmod /t/a n0 r1 &&
	       $T xenstore-ls -p /t | grep -q '(n0,r1)'"
check "domain 1 reads what r1 lets it" \
	equals hello as_dom1 $T xenstore-read /t/a
check "domain 1 may not write what r1 lets it read" \
	fails as_dom1 $T xenstore-write /t/a evil

# ----------------------------------------------------------- permissions
$T xenstore-write /x hello >/dev/null
check "dom0: xenstore-chmod /x n0" $T xenstore-chmod /x n0
check "domain 1's write to /x is refused" \
	fails as_dom1 $T xenstore-write /x evil
check "domain 1's read of /x is refused" fails as_dom1 $T xenstore-read /x
check "domain 1's rm of /x is refused" fails as_dom1 $T xenstore-rm /x
check "/x is unchanged" equals hello $T xenstore-read /x
check "after xenstore-chmod /x n0 b1, domain 1 may write" \
	sh -c "$T xenstore-chmod /x n0 b1 &&
	       XENSTORED_PATH='$DOM1' $T xenstore-write /x mine &&
	       [ \"\$($T xenstore-read /x)\" = mine ]"
# A directory domain 1 owns, as a toolstack would make it.
$T xenstore-write /local/domain/1/data "" >/dev/null
$T xenstore-chmod /local/domain/1/data n1 >/dev/null
check "domain 1's relative paths resolve under /local/domain/1" \
	sh -c "XENSTORED_PATH='$DOM1' $T xenstore-write data/rel yes &&
	       [ \"\$($T xenstore-read /local/domain/1/data/rel)\" = yes ]"
check "domain 2 may not write into domain 1's directory" \
	fails env XENSTORED_PATH="$RUN/domain/2/xenstored/socket" \
	$T xenstore-write /local/domain/1/data/rel no

# --------------------------------------------------------------- watches
timeout 10 xenstore-watch -n 3 /w >"$RUN/watch.out" 2>&1 &
WPID=$!
has_first_event() { [ -s "$RUN/watch.out" ]; }
if wait_for has_first_event; then
	ok "xenstore-watch sees the initial event"
else
	not_ok "xenstore-watch sees the initial event"
fi
$T xenstore-write /w/child/grandchild v >/dev/null
$T xenstore-rm /w >/dev/null
wait "$WPID"
check "xenstore-watch exits after its 3 events" [ $? -eq 0 ]
check "watch events: the node, its subtree, its removal" equals "/w
/w/child/grandchild
/w" cat "$RUN/watch.out"

# --------------------------------------------------- libxenstore client
if [ -x "$CLIENT" ]; then
	check "transaction conflict: the second commit fails EAGAIN" \
		$T "$CLIENT" conflict
	check "a listing over one message (XS_DIRECTORY_PART fallback)" \
		$T "$CLIENT" bigdir
	check "domain path, introduce/release and their watches" \
		$T "$CLIENT" domains "$DOM1"
else
	skip "libxenstore client tests" "no sim_txn_client at $CLIENT"
fi

# ------------------------------------------------ garbage and flooding
# Each line the script prints is "PASS desc" or "FAIL desc".
$T python3 - "$DOM0" >"$RUN/garbage.out" 2>&1 <<'EOF'
import os, random, socket, struct, sys, time

path = sys.argv[1]
XS_READ, XS_WATCH, XS_WRITE, XS_SET_PERMS, XS_ERROR = 2, 4, 11, 14, 16

def result(ok, desc):
    print(("PASS " if ok else "FAIL ") + desc, flush=True)

def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s

def send(s, typ, payload, rid=1, tx=0, length=None):
    n = len(payload) if length is None else length
    s.sendall(struct.pack("=IIII", typ, rid, tx, n) + payload)

def recv_exact(s, n):
    b = b""
    while len(b) < n:
        part = s.recv(n - len(b))
        if not part:
            return None
        b += part
    return b

def recv_msg(s):
    h = recv_exact(s, 16)
    if h is None:
        return None
    typ, rid, tx, n = struct.unpack("=IIII", h)
    return typ, rid, recv_exact(s, n)

def closed(s):
    """True when the daemon closed s (after whatever it still sent)."""
    try:
        while True:
            if not s.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

good = conn()
def good_reads():
    send(good, XS_READ, b"/t/a\0", rid=77)
    return recv_msg(good) == (XS_READ, 77, b"hello")

result(good_reads(), "a well-behaved client reads before the garbage")

# Random bytes: the header almost surely announces > 4096 bytes.
rnd = random.Random(4)
for i in range(20):
    g = conn()
    try:
        g.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 9000))))
    except (BrokenPipeError, ConnectionResetError):
        pass
    g.close()
result(good_reads(), "random bytes on 20 connections: others unaffected")

g = conn()
send(g, XS_READ, b"", rid=5, length=0xFFFFFFFF)
m = recv_msg(g)
result(m == (XS_ERROR, 5, b"E2BIG\0"), "length 0xffffffff: E2BIG reply")
result(closed(g), "length 0xffffffff: connection closed")

g = conn()
send(g, XS_READ, b"", rid=6, length=4097)
m = recv_msg(g)
result(m == (XS_ERROR, 6, b"E2BIG\0") and closed(g),
       "length 4097: E2BIG reply, connection closed")

g = conn()
cases = [
    (999, b"x\0", b"EINVAL\0", "unknown type"),
    (XS_ERROR, b"x\0", b"EINVAL\0", "client-sent XS_ERROR"),
    (XS_READ, b"/t/a", b"EINVAL\0", "missing NUL"),
    (XS_READ, b"/" + b"a" * 3100 + b"\0", b"EINVAL\0", "oversized path"),
    (XS_SET_PERMS, b"/t/a\0x1\0", b"EINVAL\0", "bad permission string"),
    (XS_SET_PERMS, b"/t/a\0r99999\0", b"EINVAL\0", "domid out of range"),
    (XS_WATCH, b"/t\0", b"EINVAL\0", "watch without token"),
    (XS_READ, b"/t/missing\0", b"ENOENT\0", "missing node"),
]
for i, (typ, payload, want, desc) in enumerate(cases):
    send(g, typ, payload, rid=100 + i)
    m = recv_msg(g)
    result(m == (XS_ERROR, 100 + i, want), "%s: %s" % (desc, want[:-1].decode()))
send(g, XS_READ, b"/t/a\0", rid=200)
result(recv_msg(g) == (XS_READ, 200, b"hello"),
       "the same connection still works after malformed requests")
g.close()

# Truncated messages, then hanging up.
for part in (b"\x02\0\0", struct.pack("=IIII", XS_READ, 1, 0, 50) + b"/t"):
    g = conn()
    g.sendall(part)
    g.close()
result(good_reads(), "truncated messages and hang-ups: others unaffected")

# A watcher that never reads gets disconnected once its queue is full,
# and the writer is unaffected.
w = conn()
w.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
token = b"T" * 2000
send(w, XS_WATCH, b"/flood\0" + token + b"\0", rid=1)
writer = conn()
writes_ok = True
for i in range(1500):
    send(writer, XS_WRITE, b"/flood/k\0" + str(i).encode(), rid=i)
    if recv_msg(writer) != (XS_WRITE, i, b"OK\0"):
        writes_ok = False
        break
result(writes_ok, "a writer is unaffected by a watcher that does not read")
got = 0
try:
    while True:
        b = w.recv(65536)
        if not b:
            break
        got += len(b)
    dropped = True
except (ConnectionResetError, socket.timeout):
    dropped = False
result(dropped and got < 2 * 1024 * 1024,
       "the watcher that did not read was disconnected (%d bytes queued)" % got)
result(good_reads(), "the daemon still answers after the flood")

# A client that pipelines requests is throttled (its input is not read
# while its replies wait), never dropped: every reply comes, in order.
import threading
p = conn()
send(p, XS_WRITE, b"/p\0" + b"v" * 3000, rid=1)
recv_msg(p)
N = 5000
got = []
def read_replies():
    for _ in range(N):
        m = recv_msg(p)
        if m is None:
            return
        got.append(m)
reader = threading.Thread(target=read_replies)
reader.start()
p.sendall(b"".join(struct.pack("=IIII", XS_READ, i, 0, 3) + b"/p\0"
                   for i in range(N)))
reader.join(30)
result(len(got) == N and all(m == (XS_READ, i, b"v" * 3000)
                             for i, m in enumerate(got)),
       "a client pipelining %d requests gets every reply, in order" % N)
result(good_reads(), "the daemon answers others after the pipelining")
EOF
while read -r verdict desc; do
	case $verdict in
	PASS) ok "$desc" ;;
	FAIL) not_ok "$desc" ;;
	*) diag "$verdict $desc" ;;
	esac
done <"$RUN/garbage.out"
check "the garbage script ran to its end" \
	grep -q "the daemon answers others after the pipelining" \
	"$RUN/garbage.out"
check "the daemon survived" alive
check "xenstore-read still works" equals hello $T xenstore-read /t/a

# ------------------------------------------------------------------ stop
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
check "SIGTERM stops the daemon with status 0" [ "$rc" -eq 0 ]
check "its sockets are removed" \
	sh -c "[ ! -e '$DOM0' ] && [ ! -e '$DOM1' ]"
if [ "$rc" -ne 0 ]; then sed 's/^/# /' "$RUN/sim.log"; fi

# ------------------------------------------------------ --daemon mode
"$NC" sim --run-dir "$RUN2" --domains 2 --daemon --pidfile "$RUN2/pid"
check "--daemon returns 0 once the sockets are up" [ $? -eq 0 ]
check "--daemon writes its pidfile" [ -s "$RUN2/pid" ]
check "the detached daemon answers" \
	sh -c "XENSTORED_PATH='$RUN2/xenstored/socket' $T xenstore-write /d 1"
DPID=$(cat "$RUN2/pid" 2>/dev/null || echo 0)
kill -TERM "$DPID" 2>/dev/null
gone() { ! kill -0 "$DPID" 2>/dev/null; }
check "the detached daemon stops on SIGTERM" wait_for gone
check "and removes its socket and pidfile" \
	sh -c "[ ! -e '$RUN2/xenstored/socket' ] && [ ! -e '$RUN2/pid' ]"

finish

#!/usr/bin/env python3
"""Run netchannel's test suite in one or more meson build directories.

Every test program speaks TAP.  This runner runs them one after the other
(they start daemons and namespaces of their own, so they do not share the
machine well), prints each case, and ends with the one line the repository
contract asks for:

    N passed, N failed, N skipped

A skip is a failure when CI=true (the harness reports it as "not ok" then;
this runner enforces it again for programs that exit 77).  A program that
crashes, times out or prints no plan counts as one failure.
"""
import json
import os
import re
import subprocess
import sys
import time

CASE = re.compile(r"^(not ok|ok)\s+\d+\s*(?:-\s*)?(.*)$")
PLAN = re.compile(r"^1\.\.(\d+)")


def tests_of(build):
    out = subprocess.run(["meson", "introspect", "--tests", build],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def run_one(build, test, label, only):
    name = test["name"]
    if only and not any(o in name for o in only):
        return 0, 0, 0
    env = dict(os.environ)
    env.update(test.get("env") or {})
    timeout = test.get("timeout") or 600
    start = time.monotonic()
    try:
        proc = subprocess.run(test["cmd"], env=env, cwd=test.get("workdir") or build,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout)
        out, rc = proc.stdout.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace")
        rc = "timeout"
    secs = time.monotonic() - start
    passed = failed = skipped = 0
    planned = None
    log_lines = []
    for line in out.splitlines():
        m = CASE.match(line)
        if m:
            ok, desc = m.group(1) == "ok", m.group(2)
            if ok and "# SKIP" in desc:
                skipped += 1
                print(f"  SKIP [{label}] {name}: {desc}")
            elif ok:
                passed += 1
            else:
                failed += 1
                print(f"  FAIL [{label}] {name}: {desc}")
            continue
        pm = PLAN.match(line)
        if pm:
            planned = int(pm.group(1))
        log_lines.append(line)
    broken = rc == "timeout" or planned is None or \
        planned != passed + failed + skipped or (rc != 0 and failed == 0)
    if broken:
        failed += 1
        print(f"  FAIL [{label}] {name}: exit {rc}, plan {planned}, "
              f"{passed + failed + skipped} cases seen")
    if failed:
        for line in log_lines[-60:]:
            print(f"    | {line}")
    if os.environ.get("CI") == "true" and skipped:
        print(f"  FAIL [{label}] {name}: {skipped} skipped under CI=true")
        failed += skipped
        skipped = 0
    print(f"{'FAIL' if failed else 'ok  '} [{label}] {name}: {passed} passed, "
          f"{failed} failed, {skipped} skipped ({secs:.1f}s)", flush=True)
    return passed, failed, skipped


def main(argv):
    builds = [a for a in argv if not a.startswith("--only=")]
    only = [a[len("--only="):] for a in argv if a.startswith("--only=")]
    total = [0, 0, 0]
    for build in builds:
        label = os.path.basename(os.path.normpath(build))
        for test in tests_of(build):
            for i, n in enumerate(run_one(build, test, label, only)):
                total[i] += n
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] or not total[0] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

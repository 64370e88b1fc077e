#!/bin/bash
# Runs inside dom0 (xen/run.sh): the xen platform (libxengnttab,
# libxenevtchn, libxenstore) against real Xen: grants to dom0 itself and
# mapped back, read-only grants, grant copy, an event channel looped inside
# dom0, the store.  TAP on stdout (the test program's own).
exec "${NC_TESTS_BIN:-/opt/netchannel/build/tests}/test_xen_platform"

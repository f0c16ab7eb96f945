#!/bin/sh
# stress-signals.sh - malloc and free from a signal handler (timer and
# pthread_kill), while the main thread computes (quiet) or allocates
# (busy).  The rule (libratmem-preload(7), RELIABILITY): the shim adds no
# deadlock to glibc's; a handler that interrupts the shim's tracking goes
# untracked through the guard, never waits on a tracker lock.  Each mode
# runs bare first: glibc itself must survive it, else the case is moot.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"

for mode in quiet busy; do
    timeout 60 "$PROG/stress_signals" $mode >"$TMP/bare" 2>&1
    if [ $? != 0 ] || [ "$(cat "$TMP/bare")" != done ]; then
        fail "$mode: bare run failed: $(head -1 "$TMP/bare")"; continue
    fi
    for run in 1; do
        name="signal handler allocates, $mode, leaks=1, run $run"
        srun "$name" 60 "leaks=1:format=json:report=$TMP/rep.json" "$PROG/stress_signals" $mode || continue
        done_ok "$name" || continue
        report_ok "$name" "$TMP/rep.json" direct_blocks=0 indirect_blocks=0 invalid_frees=0
    done
    name="signal handler allocates, $mode, leaks=0"
    srun "$name" 60 "leaks=0" "$PROG/stress_signals" $mode || continue
    done_ok "$name" && pass "$name"
done
finish

#!/bin/sh
# shim-fork.sh - forks while 4 threads allocate: nothing hangs.  200 forks
# with leaks=0; 40 with leaks=1, where every child writes a symbolized
# report at exit (a fraction of a second each on a loaded machine).
. "${top_srcdir:-.}/tests/lib.sh"
for leaks in 0 1; do
    forks=200; [ $leaks = 1 ] && forks=40
    RATMEM_OPTIONS="leaks=$leaks:report=$TMP/r.%p" timeout 120 env LD_PRELOAD="$SHIM" "$PROG/fork_storm" $forks >"$TMP/out" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -q "^$forks forks, 0 bad$" "$TMP/out"; then pass "fork storm, leaks=$leaks"
    elif [ $rc = 124 ]; then fail "fork storm, leaks=$leaks: hung (timeout)"
    else fail "fork storm, leaks=$leaks: exit $rc"; head "$TMP/out"; fi
done
finish

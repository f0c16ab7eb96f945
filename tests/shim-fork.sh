#!/bin/sh
# shim-fork.sh - 200 forks while 4 threads allocate: nothing hangs.
. "${top_srcdir:-.}/tests/lib.sh"
for leaks in 0 1; do
    RATMEM_OPTIONS="leaks=$leaks:report=$TMP/r.%p" timeout 120 env LD_PRELOAD="$SHIM" "$PROG/fork_storm" >"$TMP/out" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -q '^200 forks, 0 bad$' "$TMP/out"; then pass "fork storm, leaks=$leaks"
    elif [ $rc = 124 ]; then fail "fork storm, leaks=$leaks: hung (timeout)"
    else fail "fork storm, leaks=$leaks: exit $rc"; head "$TMP/out"; fi
done
finish

#!/bin/sh
# shim-zero.sh - zeroing seen from inside a program, for every allocation
# function; and the same program shows dirty memory bare (the test can fail).
. "${top_srcdir:-.}/tests/lib.sh"
export RATMEM_OPTIONS="report=$TMP/r.%p"
out=$(shim "$PROG/zero_reuse"); rc=$?
if [ $rc = 0 ] && [ "$out" = "all zero" ]; then pass "every allocation zero under the shim"
else fail "dirty memory under the shim (exit $rc)"; echo "$out" | head; fi
"$PROG/zero_reuse" >/dev/null; rc=$?
[ $rc = 1 ] && pass "bare glibc hands out dirty memory (the check detects it)" || fail "bare run exit $rc, expected 1"
RATMEM_OPTIONS="zero=0:leaks=0" shim "$PROG/zero_reuse" >/dev/null; rc=$?
[ $rc = 1 ] && pass "zero=0 turns zeroing off" || fail "zero=0: exit $rc, expected 1"
finish

#!/bin/sh
# shim-options.sh - RATMEM_OPTIONS: bad values warn once and keep the default.
. "${top_srcdir:-.}/tests/lib.sh"
RATMEM_OPTIONS="leaks=0:wx=maybe" shim "$PROG/wx" >"$TMP/out" 2>"$TMP/err"
n=$(wc -l <"$TMP/err")
grep -q "^ratmem: bad value 'maybe' for option 'wx' (expected enforce, warn, off); using the default, enforce$" "$TMP/err" && [ "$n" = 1 ] \
    && pass "bad wx value: one warning line" || { fail "bad wx value warning"; cat "$TMP/err"; }
grep -qx "mmap-rwx EACCES" "$TMP/out" && pass "bad wx value: default enforce applies" || fail "default not applied"
RATMEM_OPTIONS="leaks=0:nosuchkey=1:stack_depth=abc:zero" shim sh -c 'echo hi' >"$TMP/out" 2>"$TMP/err"
[ "$(cat "$TMP/out")" = hi ] && [ "$(wc -l <"$TMP/err")" = 3 ] && pass "garbage options: three warnings, program runs" || { fail "garbage options"; cat "$TMP/err"; }
RATMEM_OPTIONS="help=1:leaks=0" shim true 2>"$TMP/err"
for k in leaks wx zero report format stack_depth reachable exitcode suppressions quota dump_signal dump; do
    grep -q "^  $k " "$TMP/err" || { fail "help=1 does not list $k"; }
done
pass "help=1 lists the keys"
finish

#!/bin/sh
# shim-quota.sh - quota=1M under the shim (tests/prog/quota.c says what).
. "${top_srcdir:-.}/tests/lib.sh"
for leaks in 0 1; do
    out=$(RATMEM_OPTIONS="quota=1M:leaks=$leaks:report=$TMP/r.%p" timeout 60 env LD_PRELOAD="$SHIM" "$PROG/quota" 2>&1); rc=$?
    [ $rc = 0 ] && [ "$out" = "quota ok" ] && pass "quota=1M, leaks=$leaks" || { fail "quota=1M, leaks=$leaks: exit $rc"; echo "$out" | head; }
done
out=$(RATMEM_OPTIONS="quota=lots:leaks=0" env LD_PRELOAD="$SHIM" sh -c 'echo hi' 2>&1)
echo "$out" | grep -q "bad value 'lots' for option 'quota'" && pass "bad quota value warns" || fail "bad quota value: $out"
finish

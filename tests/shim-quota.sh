#!/bin/sh
# shim-quota.sh - quota=1M under the shim (tests/prog/quota.c says what).
. "${top_srcdir:-.}/tests/lib.sh"
for leaks in 0 1; do
    out=$(RATMEM_OPTIONS="quota=1M:leaks=$leaks:report=$TMP/r.%p" timeout 60 env LD_PRELOAD="$SHIM" "$PROG/quota" 2>&1); rc=$?
    [ $rc = 0 ] && [ "$out" = "quota ok" ] && pass "quota=1M, leaks=$leaks" || { fail "quota=1M, leaks=$leaks: exit $rc"; echo "$out" | head; }
done
out=$(RATMEM_OPTIONS="quota=lots:leaks=0" env LD_PRELOAD="$SHIM" sh -c 'echo hi' 2>&1)
echo "$out" | grep -q "bad value 'lots' for option 'quota'" && pass "bad quota value warns" || fail "bad quota value: $out"
# The report's summary shows the quota and the peak, in JSON and in text.
if command -v python3 >/dev/null; then
    RATMEM_OPTIONS="quota=1M:format=json:report=$TMP/q.json" timeout 60 env LD_PRELOAD="$SHIM" "$PROG/quota" >/dev/null 2>&1
    python3 - "$TMP/q.json" <<'PYEOF' && pass "JSON summary: quota_bytes, quota_used_bytes, quota_peak_bytes" || fail "JSON summary quota"
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
assert s["quota_bytes"] == 1048576, s
assert 0 < s["quota_peak_bytes"] <= 1048576, s
assert s["quota_used_bytes"] <= s["quota_peak_bytes"], s
PYEOF
    RATMEM_OPTIONS="format=json:report=$TMP/n.json" timeout 60 env LD_PRELOAD="$SHIM" /bin/true
    grep -q quota_ "$TMP/n.json" && fail "quota keys without a quota" || pass "no quota keys without a quota"
fi
RATMEM_OPTIONS="quota=1M:report=$TMP/q.txt" timeout 60 env LD_PRELOAD="$SHIM" "$PROG/quota" >/dev/null 2>&1
grep -q '^ratmem: quota 1048576 byte(s), [0-9]* byte(s) in use, peak [1-9][0-9]* byte(s)\.$' "$TMP/q.txt" \
    && pass "text report: the quota line" || { fail "text report: no quota line"; tail -3 "$TMP/q.txt"; }
finish

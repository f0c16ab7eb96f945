#!/bin/sh
# shim-lazy-load.sh - libdw and zlib are loaded by the first report that
# needs them, not at start-up, and loading them inside reports (on two
# threads, around the program's own dlopen/dlclose of the same library)
# leaves the program's heap as it was and no report heap behind
# (tests/prog/lazy_load.c); every report still names the leak's function.
. "${top_srcdir:-.}/tests/lib.sh"
out=$(RATMEM_OPTIONS="leaks=1:format=json:report=$TMP/exit.json" timeout 120 \
    env LD_PRELOAD="$SHIM" "$PROG/lazy_load" "$TMP" 2>"$TMP/err"); rc=$?
if [ $rc = 77 ]; then echo "SKIP: $out"; exit 77; fi
[ $rc = 0 ] && [ "$out" = "lazy load ok" ] && pass "lazy loads keep the heap and the report heap as they were" \
    || { fail "exit $rc, '$out'"; head -5 "$TMP/err"; }
for r in a.json d.json e.json exit.json; do
    grep -q '"function": "leak_site"' "$TMP/$r" && pass "$r names leak_site" \
        || { fail "$r lacks leak_site"; head -30 "$TMP/$r"; }
done
for r in b c; do
    gzip -dc "$TMP/$r.json.gz" 2>/dev/null | grep -q '"function": "leak_site"' \
        && pass "gzip'd dump $r names leak_site" || fail "gzip'd dump $r unreadable or lacks leak_site"
done
[ ! -s "$TMP/err" ] && pass "nothing on stderr" || { fail "stderr:"; head -5 "$TMP/err"; }

# leaks=0 loads no library at all; leaks=1 loads libunwind at start-up
# and nothing a report needs.
maps=$(RATMEM_OPTIONS=leaks=0 shim cat /proc/self/maps 2>&1)
echo "$maps" | grep -q libratmem-preload && ! echo "$maps" | grep -Eq 'libunwind|liblzma|libdw|libelf|libz\.|libprotobuf-c|libm\.' \
    && pass "leaks=0: the shim alone is mapped" || { fail "leaks=0 maps more than the shim:"; echo "$maps" | grep '\.so' | head; }
maps=$(RATMEM_OPTIONS=leaks=1 shim cat /proc/self/maps 2>/dev/null)
echo "$maps" | grep -q libunwind && ! echo "$maps" | grep -Eq 'libdw|libelf|libz\.|libprotobuf-c|libm\.' \
    && pass "leaks=1: libunwind and nothing a report needs at start-up" || { fail "leaks=1 start-up maps:"; echo "$maps" | grep '\.so' | head; }
# A process with no live block (its report takes the fast path: no
# roots, no scan): the JSON report is whole, with every summary field.
RATMEM_OPTIONS="leaks=1:format=json:report=$TMP/true.json" shim /bin/true
python3 - "$TMP/true.json" <<'PY' && pass "empty report: whole JSON, every field" || fail "empty report"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
keys = ["direct_bytes", "direct_blocks", "indirect_bytes", "indirect_blocks", "reachable_bytes",
        "reachable_blocks", "suppressed_bytes", "suppressed_blocks", "live_blocks", "untracked_blocks",
        "invalid_frees", "distinct_stacks", "tracker_bytes", "tracker_peak_bytes", "captures"]
assert d["ratmem_report"] == 1 and d["type"] == "leaks" and d["leaks"] == [], d
assert all(k in s for k in keys), s
assert s["live_blocks"] == 0 and s["direct_blocks"] == 0, s
assert d["report_seconds"] >= 0
PY
finish

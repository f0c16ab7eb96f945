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

# leaks=0 loads no library at all, nor does leaks=1 at start-up: libunwind
# comes with the first stack the fast capture leaves to it.
maps=$(RATMEM_OPTIONS=leaks=0 shim cat /proc/self/maps 2>&1)
echo "$maps" | grep -q libratmem-preload && ! echo "$maps" | grep -Eq 'libunwind|liblzma|libdw|libelf|libz\.|libprotobuf-c|libm\.' \
    && pass "leaks=0: the shim alone is mapped" || { fail "leaks=0 maps more than the shim:"; echo "$maps" | grep '\.so' | head; }
maps=$(RATMEM_OPTIONS=leaks=1 shim cat /proc/self/maps 2>/dev/null)
echo "$maps" | grep -q libratmem-preload && ! echo "$maps" | grep -Eq 'libunwind|liblzma|libdw|libelf|libz\.|libprotobuf-c|libm\.' \
    && pass "leaks=1: the shim alone is mapped at start-up" || { fail "leaks=1 start-up maps:"; echo "$maps" | grep '\.so' | head; }
# Code without unwind information (a JIT-style page) needs libunwind: it is
# loaded then, after the program closed 3..1023 and opened two files, and
# the stacks through that page are libunwind's.
mkdir -p "$TMP/jit"
RATMEM_OPTIONS="leaks=1:format=json:report=$TMP/jit.json" shim "$PROG/hide_reuse" "$TMP/jit" >"$TMP/jit.out" 2>"$TMP/jit.err"
rc=$?
if [ $rc = 0 ] && grep -qx 'fds: 3 4' "$TMP/jit.out" && grep -qx 'files ok' "$TMP/jit.out" &&
    python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
sys.exit(0 if s["captures_libunwind"] > 0 and s["live_blocks"] > 0 else 1)' "$TMP/jit.json"; then
    pass "libunwind loaded by the first stack that needs it; the program's files intact"
else
    fail "lazy libunwind: exit $rc"; cat "$TMP/jit.out" "$TMP/jit.err" | head -10 | sed 's/^/    /'
fi
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

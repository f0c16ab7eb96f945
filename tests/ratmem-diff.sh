#!/bin/sh
# ratmem-diff.sh - ratmem diff on hand-written reports: the growth order,
# byte and block deltas and frames; matching by module+offset across
# different addresses (ASLR) and by function; leak reports accepted; bad
# usage and bad input give one line on stderr and exit 2.
set -u
: "${top_builddir:=.}"
R="$top_builddir/tools/ratmem"
[ -x "$R" ] || { echo "not ok - $R not built"; exit 1; }
D="$R diff"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ratmem-diff.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
fails=0 passes=0
pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*"; }

# frame PC FUNCTION OFFSET: one frame of /srv/app.
frame() { printf '{ "pc": "%s", "function": "%s", "module": "/srv/app", "offset": "%s" }' "$1" "$2" "$3"; }
# group BYTES BLOCKS FRAME...
group() {
    b=$1 n=$2; shift 2
    printf '{ "kind": "live", "bytes": %s, "blocks": %s, "frames": [' "$b" "$n"
    sep=""; for f in "$@"; do printf '%s%s' "$sep" "$f"; sep=", "; done
    printf '] }'
}
dump() {  # dump SEQ GROUP...
    seq=$1; shift
    printf '{ "ratmem_report": 1, "type": "dump", "pid": 7, "exe": "/srv/app",\n'
    printf '  "summary": { "sequence": %s, "timestamp_ms": 1764000000000 },\n  "leaks": [' "$seq"
    sep=""; for g in "$@"; do printf '%s\n    %s' "$sep" "$g"; sep=","; done
    printf ' ]\n}\n'
}
# The same stacks at other addresses in the second run (ASLR).
MAIN1=$(frame 0x5500001000 main 0x1000) MAIN2=$(frame 0x6600001000 main 0x1000)
dump 1 \
    "$(group 100 1 "$(frame 0x5500002000 cache_put 0x2000)" "$MAIN1")" \
    "$(group 200 2 "$(frame 0x5500003000 parse 0x3000)" "$MAIN1")" \
    "$(group 50 1 "$(frame 0x5500004000 gone_site 0x4000)" "$MAIN1")" \
    "$(group 10 1 "$(frame 0x5500005000 'caf\u00e9' 0x5000)" "$MAIN1")" >"$TMP/old.json"
dump 2 \
    "$(group 1100 11 "$(frame 0x6600002000 cache_put 0x2000)" "$MAIN2")" \
    "$(group 150 1 "$(frame 0x6600003000 parse 0x3000)" "$MAIN2")" \
    "$(group 400 4 "$(frame 0x6600006000 new_site 0x6000)" "$MAIN2")" \
    "$(group 30 2 "$(frame 0x6600005000 'caf\u00e9' 0x5000)" "$MAIN2")" \
    "$(group 20 1 "$(frame 0x6600002100 cache_put 0x2100)" "$MAIN2")" >"$TMP/new.json"

$D "$TMP/old.json" "$TMP/new.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
grep '^[+]' "$TMP/out" >"$TMP/heads"
cat >"$TMP/want" <<'WANT'
+1000 byte(s), +10 object(s): 100 -> 1100 byte(s) in 1 -> 11 object(s) allocated from:
+400 byte(s), +4 object(s): new, 400 byte(s) in 4 object(s) allocated from:
+20 byte(s), +1 object(s): new, 20 byte(s) in 1 object(s) allocated from:
+20 byte(s), +1 object(s): 10 -> 30 byte(s) in 1 -> 2 object(s) allocated from:
WANT
if [ $rc = 0 ] && [ ! -s "$TMP/err" ] && cmp -s "$TMP/heads" "$TMP/want"; then
    pass "largest growth first, deltas exact, shrunk and gone stacks left out"
else
    fail "growth list (exit $rc)"; cat "$TMP/out" "$TMP/err"
fi
sed -n '/^+1000/{n;p;}' "$TMP/out" | grep -q '^    #0 0x6600002000 in cache_put (/srv/app+0x2000)$' \
    && pass "frames of the grown stack, from the newer dump" || { fail "frames"; cat "$TMP/out"; }
grep -q "in café " "$TMP/out" && pass "\\u escapes decoded" || fail "\\u escapes: $(grep caf "$TMP/out")"
grep -qx 'SUMMARY: ratmem diff: 4 stack(s) grew by 1440 byte(s) (2 new); 2 shrank by 100 byte(s).' "$TMP/out" \
    && pass "summary line" || { fail "summary line"; tail -2 "$TMP/out"; }
grep -q '^live: 360 -> 1700 byte(s) (+1340), 5 -> 19 object(s) (+14)$' "$TMP/out" \
    && pass "totals line" || { fail "totals line"; head -3 "$TMP/out"; }

# --by=function: cache_put at 0x2000 and 0x2100 are one stack.
$D --by=function --frames=1 "$TMP/old.json" "$TMP/new.json" >"$TMP/out" 2>&1
head -4 "$TMP/out" | grep -q '^+1020 byte(s), +11 object(s): 100 -> 1120 byte(s) in 1 -> 12 object(s)' \
    && grep -q '^    ... 1 more frame(s)$' "$TMP/out" \
    && pass "--by=function merges offsets of one function; --frames=1" || { fail "--by=function"; cat "$TMP/out"; }

# Nothing grew.
$D "$TMP/new.json" "$TMP/new.json" >"$TMP/out" 2>&1; rc=$?
[ $rc = 0 ] && ! grep -q '^+' "$TMP/out" && grep -q '^SUMMARY: ratmem diff: 0 stack(s) grew' "$TMP/out" \
    && pass "no growth: exit 0, nothing listed" || { fail "no growth (exit $rc)"; cat "$TMP/out"; }

# A leak report (no "type", leak kinds) against a dump.
cat >"$TMP/leaks.json" <<'EOF2'
{"ratmem_report":1,"pid":9,"exe":"/srv/app","summary":{"direct_bytes":5,"direct_blocks":1},
 "leaks":[{"kind":"direct","bytes":5,"blocks":1,"frames":[{"pc":"0x1","function":"parse","module":"/srv/app","offset":"0x3000"},
  {"pc":"0x2","function":"main","module":"/srv/app","offset":"0x1000"}]},
  {"kind":"reachable","bytes":7,"blocks":1,"frames":[{"pc":"0x1","function":"parse","module":"/srv/app","offset":"0x3000"},
  {"pc":"0x2","function":"main","module":"/srv/app","offset":"0x1000"}]}]}
EOF2
$D "$TMP/leaks.json" "$TMP/new.json" >"$TMP/out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^+138 byte(s), -1 object(s): 12 -> 150 byte(s) in 2 -> 1 object(s)' "$TMP/out" \
    && pass "leak reports accepted (kinds of one stack summed)" || { fail "leak report input (exit $rc)"; cat "$TMP/out"; }

# bad CASE-NAME WANT-IN-MESSAGE CONTENT: exit 2 with one line naming the problem.
bad() {
    name=$1 want=$2
    printf '%b' "$3" >"$TMP/bad.json"
    $D "$TMP/old.json" "$TMP/bad.json" >"$TMP/out" 2>"$TMP/err"; rc=$?
    if [ $rc = 2 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "$want" "$TMP/err" && [ ! -s "$TMP/out" ]; then
        pass "bad input: $name"
    else
        fail "bad input: $name (exit $rc)"; cat "$TMP/err"
    fi
}
J='not valid JSON'
R='not a ratmem report'
bad "empty file" "$J" ''
bad "truncated" "$J" '{"ratmem_report": 1, "leaks": ['
bad "trailing comma" "$J" '{"ratmem_report": 1, "leaks": [],}'
bad "leading zero" "$J" '{"ratmem_report": 01, "leaks": []}'
bad "single quotes" "$J" "{'ratmem_report': 1}"
bad "comment" "$J" '{"ratmem_report": 1, "leaks": [] /* c */}'
bad "two values" "$J" '{"ratmem_report": 1, "leaks": []} {}'
bad "control byte in a string" "$J" '{"ratmem_report": 1, "exe": "a\tb", "leaks": []}'
bad "bad escape" "$J" '{"ratmem_report": 1, "exe": "a\\qb", "leaks": []}'
bad "invalid UTF-8" "$J" '{"ratmem_report": 1, "exe": "\0377", "leaks": []}'
bad "bare word" "$J" '{"ratmem_report": True, "leaks": []}'
bad "nested too deeply" "$J" "$(i=0; while [ $i -lt 100 ]; do printf '['; i=$((i+1)); done)"
bad "line and column" "line 2, column 3" '{"ratmem_report": 1,\n  x}'
bad "an array" "$R" '[]'
bad "no version" "$R" '{"leaks": []}'
bad "no leaks array" "$R" '{"ratmem_report": 1}'
bad "a group without bytes" "$R" '{"ratmem_report": 1, "leaks": [{"blocks": 1, "frames": []}]}'
bad "negative bytes" "$R" '{"ratmem_report": 1, "leaks": [{"bytes": -1, "blocks": 1, "frames": []}]}'
bad "a frame that is a string" "$R" '{"ratmem_report": 1, "leaks": [{"bytes": 1, "blocks": 1, "frames": ["x"]}]}'
bad "sizes that would overflow" "more than 2^53" '{"ratmem_report": 1, "leaks": [{"bytes": 9223372036854775807, "blocks": 1, "frames": []}, {"bytes": 9223372036854775807, "blocks": 1, "frames": []}]}'

usage() {
    name=$1; shift
    $D "$@" >"$TMP/out" 2>"$TMP/err"; rc=$?
    [ $rc = 2 ] && [ "$(grep -c '^ratmem diff: ' "$TMP/err")" = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] \
        && [ ! -s "$TMP/out" ] && pass "$name: exit 2, one line" \
        || { fail "$name (exit $rc)"; cat "$TMP/err"; }
}
usage "missing file" "$TMP/old.json" "$TMP/nosuch.json"
usage "a directory" "$TMP/old.json" "$TMP"
usage "one file" "$TMP/old.json"
usage "three files" "$TMP/old.json" "$TMP/old.json" "$TMP/old.json"
usage "unknown option" --bogus "$TMP/old.json" "$TMP/new.json"
usage "bad --frames" --frames=-1 "$TMP/old.json" "$TMP/new.json"
$D "$TMP/old.json" "$TMP/nosuch.json" 2>&1 | grep -q "nosuch.json: No such file or directory" \
    && pass "missing file: the message names it" || fail "missing file message"

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]

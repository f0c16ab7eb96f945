#!/bin/sh
# ratmem-report.sh - ratmem report on real runs of tests/prog/leaky and
# tests/prog/dumper under the shim:
#   text:   re-rendered from the JSON report, identical to the shim's own
#           text report of the same program (pid and, when the address
#           space cannot be fixed with setarch -R, the pcs normalised);
#           --kind, --min-bytes, --pid filters;
#   pprof:  decoded by python3-protobuf: leaked/inuse objects and bytes
#           equal the JSON's totals, every frame's function, file and line
#           survive, the main binary is mapping[0] with its GNU build ID;
#   folded: totals equal the JSON's, root first;
#   --base: growth between two dumps;
#   a tree document (hand-written): per-process text, merged folded;
#   bad input (truncated, text report, another tool's JSON, empty file, a
#   gzip'd truncated file): one line, status 2, no output file left.
. "${top_srcdir:-.}/tests/lib.sh"
R="$top_builddir/tools/ratmem"
[ -x "$R" ] || { echo "not ok - $R not built"; exit 1; }
PY=python3
command -v $PY >/dev/null || { echo "SKIP: no python3"; exit 77; }

# Fixed addresses when the system allows it: identical pcs in two runs.
NOASLR=""
setarch -R true 2>/dev/null && NOASLR="setarch -R"
norm() {  # the text with its pid (and without NOASLR, the pcs) normalised
    if [ -n "$NOASLR" ]; then sed 's/^==[0-9]*==/==PID==/' "$1"
    else sed -e 's/^==[0-9]*==/==PID==/' -e 's/^\(    #[0-9]*\) 0x[0-9a-f]*/\1 PC/' "$1"; fi
}
# leaky MODE FMT OUT [OPTIONS]: the shim's report of tests/prog/leaky MODE.
leaky() {
    RATMEM_OPTIONS="format=$2:report=$3${4:+:$4}" LD_PRELOAD="$SHIM" $NOASLR \
        "$PROG/leaky" $1 >/dev/null 2>&1
}
# jsum FILE EXPR: a number computed from the JSON document d.
jsum() {
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
# foldsum FILE: the sum of the folded lines' counts.
foldsum() { awk '{ s += $NF } END { print s + 0 }' "$1"; }

# 1. Text equals the shim's own text, for several kinds of report.
for mode in indirect deep family thread clean; do
    leaky $mode text "$TMP/$mode.txt" reachable=1
    leaky $mode json "$TMP/$mode.json" reachable=1
    if [ -s "$TMP/$mode.txt" ] && "$R" report "$TMP/$mode.json" >"$TMP/$mode.re" 2>"$TMP/err" \
        && norm "$TMP/$mode.txt" >"$TMP/a" && norm "$TMP/$mode.re" >"$TMP/b" && cmp -s "$TMP/a" "$TMP/b"; then
        pass "text of leaky $mode equals the shim's text report ($(wc -l <"$TMP/a") lines)"
    else
        fail "text of leaky $mode differs from the shim's"; diff "$TMP/a" "$TMP/b" | head -10; cat "$TMP/err"
    fi
done
# -o - and --format=text are the default.
"$R" report --format=text -o - "$TMP/deep.json" | cmp -s - "$TMP/deep.re" \
    && pass "-o - and --format=text: the same text" || fail "-o - / --format=text"

# Filters.
"$R" report --kind=reachable "$TMP/deep.json" >"$TMP/k" 2>&1
grep -q '^Still reachable: ' "$TMP/k" && ! grep -q '^Direct leak' "$TMP/k" \
    && pass "--kind=reachable keeps only reachable groups" || { fail "--kind"; cat "$TMP/k"; }
"$R" report --min-bytes=1K "$TMP/deep.json" >"$TMP/k" 2>&1
grep -q '^Still reachable: 4096 ' "$TMP/k" && ! grep -q '^Direct leak of 100 ' "$TMP/k" \
    && pass "--min-bytes=1K leaves out the 100-byte leak" || { fail "--min-bytes"; cat "$TMP/k"; }
pid=$(jsum "$TMP/deep.json" 'd["pid"]')
"$R" report --pid=$((pid + 1)) "$TMP/deep.json" >"$TMP/k" 2>&1
[ ! -s "$TMP/k" ] && "$R" report --pid=$pid "$TMP/deep.json" | cmp -s - "$TMP/deep.re" \
    && pass "--pid selects the process" || { fail "--pid"; cat "$TMP/k"; }

# 2. pprof decoded by a real reader.
. "$top_srcdir/tests/pprof-lib.sh"
for mode in indirect family; do
    j="$TMP/$mode.json"
    if "$R" report --format=pprof -o "$TMP/$mode.pb.gz" "$j" 2>"$TMP/err" \
        && pprof_decode "$TMP/$mode.pb.gz" >"$TMP/$mode.pp.json" \
        && $PY - "$j" "$TMP/$mode.pp.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1])); pp = json.load(open(sys.argv[2]))
s = rep["summary"]
def want(c, what):
    if not c:
        print("    mismatch: " + what); sys.exit(1)
want(pp["sample_types"] == [["leaked_objects", "count"], ["leaked_space", "bytes"]], "sample types")
want(pp["totals"] == [s["direct_blocks"] + s["indirect_blocks"], s["direct_bytes"] + s["indirect_bytes"]],
     "totals %r vs summary" % pp["totals"])
leaked = [g for g in rep["leaks"] if g["kind"] in ("direct", "indirect")]
want(len(pp["samples"]) == len(leaked), "one sample per leaked group")
for g, smp in zip(leaked, pp["samples"]):
    want(smp["values"] == [g["blocks"], g["bytes"]], "values of a group")
    want(smp["labels"].get("kind") == g["kind"] and smp["labels"].get("pid") == rep["pid"], "labels")
    for f, l in zip(g["frames"], smp["stack"]):
        want(l["address"] == int(f["pc"], 16) - 1, "address: the call PC, pc - 1")
        want(l.get("module") == f["module"], "module")
        if f["function"] != "??":
            want(l.get("function") == f["function"], "function %r" % f["function"])
        if "file" in f:
            want(l.get("file") == f["file"] and l.get("line") == f["line"], "file:line of %s" % f["function"])
    want(len(smp["stack"]) == len(g["frames"]), "stack depth")
want(pp["main"] == rep["exe"], "mapping[0] is the program")
main = [l for smp in pp["samples"] for l in smp["stack"] if l.get("module") == rep["exe"]]
want(main and all(len(l["build_id"]) == 40 for l in main), "the program's build ID (from its ELF note)")
PY
    then pass "pprof of leaky $mode: objects, bytes, functions, file:line and build ID survive"
    else fail "pprof of leaky $mode"; cat "$TMP/err"; fi
done

# Go's pprof when this machine has it (tests/gopprof-lib.sh; CI installs
# golang-go): the same totals (tests/pprof-go.sh checks it all).
. "$top_srcdir/tests/gopprof-lib.sh"
if [ -n "$GOPPROF" ]; then
    want=$(jsum "$TMP/family.json" 'd["summary"]["direct_bytes"] + d["summary"]["indirect_bytes"]')
    "$GOPPROF" -top -unit=B -symbolize=none "$TMP/family.pb.gz" >"$TMP/top" 2>&1 &&
        grep -q '^Type: leaked_space$' "$TMP/top" &&
        grep -q "^Showing nodes accounting for ${want}B, 100% of ${want}B total\$" "$TMP/top" \
        && pass "Go's pprof -top: ${want}B leaked" || { fail "Go's pprof -top"; head "$TMP/top"; }
fi

# 3. Folded: totals equal the JSON's, root first.
"$R" report --format=folded "$TMP/family.json" >"$TMP/f" 2>&1
want=$(jsum "$TMP/family.json" 'd["summary"]["direct_bytes"] + d["summary"]["indirect_bytes"]')
[ "$(foldsum "$TMP/f")" = "$want" ] && [ "$want" -gt 0 ] && grep -q '^_start;' "$TMP/f" \
    && pass "folded: $want leaked bytes, root first" || { fail "folded totals (want $want)"; cat "$TMP/f"; }
"$R" report -o "$TMP/x.folded" "$TMP/family.json" && cmp -s "$TMP/f" "$TMP/x.folded" \
    && pass "-o X.folded picks the folded format" || fail "format from the extension"

# 4. Dumps: text, inuse pprof, folded, and growth with --base.
mkdir "$TMP/dj" "$TMP/dt"
RATMEM_OPTIONS=format=json LD_PRELOAD="$SHIM" $NOASLR "$PROG/dumper" api "$TMP/dj" >/dev/null 2>&1
# A text dump and a JSON dump of the same state, on SIGUSR2 from here (a
# dump path ending .json is JSON whatever format= says).
# waitdump FORMAT PATH: dumper's round 1, dumped to PATH.1.
waitdump() {
    RATMEM_OPTIONS="format=$1:dump_signal=USR2:dump=$2" LD_PRELOAD="$SHIM" $NOASLR \
        "$PROG/dumper" wait "$2.1" >/dev/null 2>&1 &
    wpid=$!
    i=0; while [ ! -e "$2.1.ready" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    kill -USR2 $wpid
    wait $wpid
}
waitdump text "$TMP/dt/w.txt"
waitdump json "$TMP/dt/w.json"
dnorm() { norm "$1" | sed 's/ at 20[0-9-]*T[0-9:.]*Z$/ at TIME/'; }
if [ -s "$TMP/dt/w.json.1" ] && "$R" report "$TMP/dt/w.json.1" >"$TMP/d.re" \
    && dnorm "$TMP/dt/w.txt.1" >"$TMP/a" && dnorm "$TMP/d.re" >"$TMP/b" && cmp -s "$TMP/a" "$TMP/b"; then
    pass "dump text equals the shim's text dump"
else
    fail "dump text"; diff "$TMP/a" "$TMP/b" | head
fi
gzip -c "$TMP/dj/api.2.json" >"$TMP/d2.json.gz"
live=$(jsum "$TMP/dj/api.2.json" 'd["summary"]["live_bytes"]')
"$R" report --format=folded "$TMP/d2.json.gz" >"$TMP/f"
[ "$(foldsum "$TMP/f")" = "$live" ] && pass "folded of a gzip'd dump: $live live bytes" \
    || fail "folded dump totals"
"$R" report -o "$TMP/d.pb.gz" "$TMP/d2.json.gz" && pprof_decode "$TMP/d.pb.gz" >"$TMP/d.pp" \
    && [ "$(jsum "$TMP/d.pp" 'd["sample_types"][1][0] + " " + str(d["totals"][1])')" = "inuse_space $live" ] \
    && [ "$(jsum "$TMP/d.pp" 'd["totals"][0]')" = "$(jsum "$TMP/dj/api.2.json" 'd["summary"]["live_blocks"]')" ] \
    && pass "pprof of a dump: inuse_objects/inuse_space equal the dump's" || fail "pprof of a dump"
"$R" report --base "$TMP/dj/api.1.json" --format=folded "$TMP/dj/api.2.json" >"$TMP/g"
grep -q ';grow_site 2000$' "$TMP/g" && ! grep -q stable_site "$TMP/g" \
    && pass "--base: grow_site grew by 2000 bytes, stable_site left out" || { fail "--base folded"; cat "$TMP/g"; }
"$R" report --base "$TMP/dj/api.1.json" "$TMP/dj/api.2.json" >"$TMP/g"
grep -A1 '^Growth of +2000 byte(s) in +20 object(s) allocated from:$' "$TMP/g" | grep -q ' in grow_site ' \
    && pass "--base text: growth of +2000 bytes in +20 objects" || { fail "--base text"; cat "$TMP/g"; }

# 5. A tree document: per-process text, merged folded.
cat >"$TMP/tree.json" <<'EOF'
{ "ratmem_report": 1, "type": "tree", "command": ["sh", "-c", "x"], "exit": {"status": 0},
  "summary": { "direct_bytes": 60, "direct_blocks": 3, "indirect_bytes": 0, "indirect_blocks": 0 },
  "processes": [
   { "pid": 10, "ppid": 9, "exe": "/bin/sh", "argv": ["sh"], "exit": {"status": 0}, "report": null },
   { "pid": 11, "ppid": 10, "exe": "/srv/app", "exit": {"status": 0}, "report":
     { "ratmem_report": 1, "type": "leaks", "pid": 11, "exe": "/srv/app",
       "summary": { "direct_bytes": 20, "direct_blocks": 1 },
       "leaks": [ { "kind": "direct", "bytes": 20, "blocks": 1, "frames": [
         { "pc": "0x1010", "function": "leak", "module": "/srv/app", "offset": "0x10" },
         { "pc": "0x1020", "function": "main", "module": "/srv/app", "offset": "0x20", "file": "app.c", "line": 7 } ] } ] } },
   { "pid": 12, "ppid": 10, "exe": "/srv/app", "exit": {"signal": 9}, "report":
     { "ratmem_report": 1, "type": "leaks", "pid": 12, "exe": "/srv/app",
       "summary": { "direct_bytes": 40, "direct_blocks": 2 },
       "leaks": [ { "kind": "direct", "bytes": 40, "blocks": 2, "frames": [
         { "pc": "0x2010", "function": "leak", "module": "/srv/app", "offset": "0x10" },
         { "pc": "0x2020", "function": "main", "module": "/srv/app", "offset": "0x20", "file": "app.c", "line": 7 } ] } ] } } ],
  "leaks": [ { "kind": "direct", "bytes": 60, "blocks": 3, "processes": 2, "pids": [11, 12], "frames": [
         { "pc": "0x2010", "function": "leak", "module": "/srv/app", "offset": "0x10" },
         { "pc": "0x2020", "function": "main", "module": "/srv/app", "offset": "0x20", "file": "app.c", "line": 7 } ] } ] }
EOF
"$R" report "$TMP/tree.json" >"$TMP/t" 2>&1
[ "$(grep -c '^==1[12]==ERROR: ratmem: detected memory leaks$' "$TMP/t")" = 2 ] \
    && grep -q '^    #1 0x1020 in main app.c:7 (/srv/app+0x20)$' "$TMP/t" \
    && [ "$("$R" report --pid=12 "$TMP/tree.json" | grep -c ERROR)" = 1 ] \
    && pass "tree: the text report of each process; --pid=12 one" || { fail "tree text"; cat "$TMP/t"; }
[ "$("$R" report --format=folded "$TMP/tree.json")" = "main;leak 60" ] \
    && [ "$("$R" report --format=folded --pid=11 "$TMP/tree.json")" = "main;leak 20" ] \
    && pass "tree: folded of the merged groups; --pid=11 its own" || fail "tree folded"

# A real tree document from the launcher: two leaky processes under sh.
"$R" --preload="$SHIM" --json --report="$TMP/rtree.json" -- \
    sh -c "'$PROG/leaky' family; '$PROG/leaky' indirect" >/dev/null 2>&1
if [ -s "$TMP/rtree.json" ]; then
    want=$(jsum "$TMP/rtree.json" 'd["summary"]["direct_bytes"] + d["summary"]["indirect_bytes"]')
    wantn=$(jsum "$TMP/rtree.json" 'd["summary"]["direct_blocks"] + d["summary"]["indirect_blocks"]')
    "$R" report --format=folded "$TMP/rtree.json" >"$TMP/f" && "$R" report -o "$TMP/rtree.pb.gz" "$TMP/rtree.json" \
        && pprof_decode "$TMP/rtree.pb.gz" >"$TMP/rtree.pp" \
        && [ "$(foldsum "$TMP/f")" = "$want" ] && [ "$want" -gt 0 ] \
        && [ "$(jsum "$TMP/rtree.pp" 'd["totals"]')" = "[$wantn, $want]" ] \
        && [ "$("$R" report "$TMP/rtree.json" | grep -c '^==[0-9]*==ERROR: ratmem: detected memory leaks$')" = 2 ] \
        && pass "launcher's tree document: folded and pprof totals $want bytes in $wantn blocks, two text reports" \
        || { fail "launcher's tree document"; head -5 "$TMP/f"; }
else
    fail "the launcher wrote no tree document"
fi

# Sampled mode (sample=): groups carry unsampled estimates; text, folded
# and pprof show them, pprof records the period.
cat >"$TMP/sampled.json" <<'EOF'
{ "ratmem_report": 1, "type": "leaks", "pid": 5, "exe": "/srv/app",
  "summary": { "direct_bytes": 64, "direct_blocks": 1, "indirect_bytes": 0, "indirect_blocks": 0,
               "reachable_bytes": 0, "reachable_blocks": 0, "sampled": 4096 },
  "leaks": [ { "kind": "direct", "bytes": 64, "blocks": 1, "estimated_bytes": 4128, "estimated_blocks": 65,
               "frames": [ { "pc": "0x1010", "function": "leak", "module": "/srv/app", "offset": "0x10" } ] } ] }
EOF
"$R" report "$TMP/sampled.json" >"$TMP/s" 2>&1
"$R" report -o "$TMP/s.pb.gz" "$TMP/sampled.json" && pprof_decode "$TMP/s.pb.gz" >"$TMP/s.pp"
grep -q '^ratmem: sampled mode (sample=4096): ' "$TMP/s" && grep -q '^Direct leak of 4128 byte(s) in 65 object(s)' "$TMP/s" \
    && grep -q '^SUMMARY: ratmem: 4128 byte(s) leaked in 65 allocation(s)\.$' "$TMP/s" \
    && [ "$("$R" report --format=folded "$TMP/sampled.json")" = "leak 4128" ] \
    && [ "$(jsum "$TMP/s.pp" 'str(d["totals"]) + " " + str(d["period"])')" = "[65, 4128] 4096" ] \
    && pass "sampled mode: estimates in text, folded and pprof (period 4096)" || { fail "sampled mode"; cat "$TMP/s"; }

# A module named by the document that is a FIFO (or a device) is not read
# for its build ID: opening a FIFO would block for ever.
mkfifo "$TMP/fifo"
cat >"$TMP/fifomod.json" <<EOF
{ "ratmem_report": 1, "leaks": [ { "kind": "direct", "bytes": 10, "blocks": 1, "frames": [
  { "pc": "0x1010", "module": "$TMP/fifo", "offset": "0x10" },
  { "pc": "0x2010", "module": "/dev/zero", "offset": "0x10" } ] } ] }
EOF
timeout 60 "$R" report --format=pprof -o "$TMP/fifomod.pb.gz" "$TMP/fifomod.json" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && [ -s "$TMP/fifomod.pb.gz" ] && pass "pprof: a FIFO or device named as a module is not opened for reading" \
    || { fail "pprof with a FIFO module (exit $rc)"; cat "$TMP/e"; }

# 6. Bad input: one line, status 2, no output file.
printf '{"ratmem_report": 1, "type": "leaks", "leaks": [' >"$TMP/trunc.json"
: >"$TMP/empty.json"
printf '{"traceEvents": [], "displayTimeUnit": "ms"}\n' >"$TMP/foreign.json"
head -c 60 "$TMP/d2.json.gz" >"$TMP/trunc.json.gz"
bad() {  # bad NAME FILE WANT
    for fmt in html pprof folded text; do
        rm -f "$TMP/out"*
        "$R" report --format=$fmt -o "$TMP/out" "$2" >"$TMP/o" 2>"$TMP/e"; rc=$?
        if [ $rc != 2 ] || [ "$(wc -l <"$TMP/e")" != 1 ] || ! grep -q "$3" "$TMP/e" \
            || [ -s "$TMP/o" ] || ls "$TMP" | grep -q '^out'; then
            fail "bad input, $1, --format=$fmt (exit $rc)"; cat "$TMP/e"; ls "$TMP" | grep '^out'; return
        fi
    done
    pass "bad input, $1: '$(cat "$TMP/e")'"
}
bad "truncated JSON" "$TMP/trunc.json" 'not valid JSON: .*truncated'
bad "a text report" "$TMP/deep.txt" 'a ratmem text report, not JSON: rerun with --json'
bad "another tool's JSON" "$TMP/foreign.json" 'not a ratmem report'
bad "empty file" "$TMP/empty.json" 'the file is empty'
bad "truncated gzip" "$TMP/trunc.json.gz" 'not valid gzip data'
bad "missing file" "$TMP/nosuch.json" 'No such file or directory'
bad "a directory" "$TMP" 'Is a directory'
bad "/dev/null" /dev/null 'the file is empty'
printf '{"ratmem_report": 1, "leaks": [%s, %s]}\n' \
    '{"kind": "direct", "bytes": 9223372036854775807, "blocks": 1, "frames": [{"function": "a"}]}' \
    '{"kind": "direct", "bytes": 9223372036854775807, "blocks": 1, "frames": [{"function": "b"}]}' \
    >"$TMP/huge.json"
bad "sizes that would overflow" "$TMP/huge.json" 'more than 2^53 bytes'
# The output is never one of the inputs (it would be renamed over it).
cp "$TMP/deep.json" "$TMP/same.json"
"$R" report -o "$TMP/same.json" "$TMP/same.json" >"$TMP/o" 2>"$TMP/e"; rc=$?
"$R" report --base "$TMP/same.json" -o "$TMP/same.json" "$TMP/deep.json" 2>>"$TMP/e"; rc2=$?
[ $rc = 2 ] && [ $rc2 = 2 ] && [ "$(grep -c 'is also an input' "$TMP/e")" = 2 ] \
    && [ "$(wc -l <"$TMP/e")" = 2 ] && cmp -s "$TMP/deep.json" "$TMP/same.json" && [ ! -e "$TMP/same.json.tmp" ] \
    && pass "-o an input: refused, the input kept" || { fail "-o an input (exit $rc, $rc2)"; cat "$TMP/e"; }

# Output errors: no partial file; usage errors.
"$R" report -o "$TMP/no/dir/x.txt" "$TMP/deep.json" 2>"$TMP/e"; rc=$?
[ $rc = 2 ] && [ "$(wc -l <"$TMP/e")" = 1 ] && pass "unwritable output: one line, exit 2" || fail "unwritable output"
if [ -w /dev/full ]; then
    "$R" report "$TMP/deep.json" >/dev/full 2>"$TMP/e"; rc=$?
    [ $rc = 2 ] && grep -q 'No space left' "$TMP/e" && pass "write error reported" || { fail "write error (exit $rc)"; cat "$TMP/e"; }
fi
"$R" report -o /dev/stdout "$TMP/deep.json" | cmp -s - "$TMP/deep.re" && [ ! -e /dev/stdout.tmp ] \
    && pass "-o to a device writes it directly" || fail "-o /dev/stdout"
# A symbolic link to a file (as /dev/stdout is when standard output goes to
# a file) is refused: renaming OUT.tmp over it would replace the link.
echo keep >"$TMP/target"; ln -s "$TMP/target" "$TMP/link"; ln -s "$TMP/nowhere" "$TMP/dangling"
"$R" report -o "$TMP/link" "$TMP/deep.json" 2>"$TMP/e"; rc=$?
"$R" report -o "$TMP/dangling" "$TMP/deep.json" 2>>"$TMP/e"; rc2=$?
[ $rc = 2 ] && [ $rc2 = 2 ] && [ "$(grep -c 'a symbolic link to a file' "$TMP/e")" = 2 ] \
    && [ "$(wc -l <"$TMP/e")" = 2 ] && [ -L "$TMP/link" ] && [ -L "$TMP/dangling" ] \
    && [ "$(cat "$TMP/target")" = keep ] && [ ! -e "$TMP/nowhere" ] \
    && pass "-o a symbolic link to a file: refused, link and file kept" \
    || { fail "-o a symbolic link (exit $rc, $rc2)"; cat "$TMP/e"; }
ufail=0
for args in "--format=svg $TMP/deep.json" "--kind=bogus $TMP/deep.json" "--min-bytes=x $TMP/deep.json" \
            "--pid=a $TMP/deep.json" "" "--base $TMP/deep.json a b" "--bogus $TMP/deep.json"; do
    # shellcheck disable=SC2086
    "$R" report $args >"$TMP/o" 2>"$TMP/e"; rc=$?
    if [ $rc = 2 ] && [ "$(grep -c '^ratmem report: ' "$TMP/e")" = 1 ] && [ ! -s "$TMP/o" ]; then :; else
        fail "usage error '$args' (exit $rc)"; cat "$TMP/e"; ufail=1
    fi
done
[ $ufail = 0 ] && pass "usage errors: one line, exit 2"
finish

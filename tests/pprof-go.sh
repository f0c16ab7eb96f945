#!/bin/sh
# pprof-go.sh - our pprof files read by Google's own pprof (the Go program
# behind `pprof -top` and `pprof -http`; Debian's golang-go ships it
# prebuilt: tests/gopprof-lib.sh), what it prints checked against the truth
# (tests/gopprof_check.py):
#   leak reports of tests/prog/leaky (`ratmem report --format=pprof`):
#     -top totals and per-function bytes equal the JSON's, objects too,
#     File: and Build ID: name the program; -traces has every group with
#     its kind and pid labels and named frames; -raw has Go's sample types
#     and period type, every frame's function file:line, the program's
#     mapping first with its build ID, every mapping a loaded segment of its
#     file (start, end, file offset); -tags; -list puts the bytes on the
#     allocating source line; with the names taken out of the JSON, pprof
#     names the frames itself from the binary (binutils), on the report's
#     lines (locations hold call PCs, return address - 1, as Go's do);
#   a heap dump: inuse_space/inuse_objects equal the dump's, per site;
#   --base: growth_space/growth_objects of the growing site only;
#   the shim's heap profiles (profile=) of tests/prog/sample_acc: Go's four
#     sample types, inuse_space the default, the period, File: and Build ID:
#     of the program; exact mode equal to
#     the program's own counts per site, sample=4K within 6 sigma of them
#     (pprof shows the estimates as written: it does not scale them again);
#   -dot (and -svg with graphviz) draw the functions;
#   -http on a loopback port: the top table, the flame graph and (with
#     graphviz) the graph page show the total and the functions.
# Skipped (77) only when Go's pprof cannot be found.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/gopprof-lib.sh"
if [ -z "$GOPPROF" ]; then
    echo "SKIP: Go's pprof not found: install Debian's golang-go (it ships \`go tool pprof\`)"
    exit 77
fi
PY=python3
command -v $PY >/dev/null || { echo "SKIP: no python3"; exit 77; }
R="$top_builddir/tools/ratmem"
[ -x "$R" ] || { echo "not ok - $R not built"; exit 1; }
echo "# pprof: $GOPPROF"
# check NAME ARGS...: tests/gopprof_check.py ARGS, its lines indented.
check() {
    name=$1; shift
    if $PY "$top_srcdir/tests/gopprof_check.py" "$GOPPROF" "$@" >"$TMP/check.out" 2>&1; then
        pass "$name"
    else
        fail "$name"
    fi
    sed 's/^/    /' "$TMP/check.out"
}

# 1. Leak reports.
for mode in family indirect; do
    RATMEM_OPTIONS="format=json:report=$TMP/$mode.json" LD_PRELOAD="$SHIM" \
        "$PROG/leaky" $mode >/dev/null 2>&1
    if "$R" report --format=pprof -o "$TMP/$mode.pb.gz" "$TMP/$mode.json"; then
        check "leaky $mode: -top, -traces, -raw and -tags show the report" \
            report "$TMP/$mode.json" "$TMP/$mode.pb.gz" "$PROG/leaky"
    else
        fail "ratmem report --format=pprof of leaky $mode"
    fi
done
# Frames without names (a stripped program): pprof names them from the
# binary, which needs the mappings to be the program's loaded segments.
if command -v addr2line >/dev/null 2>&1; then
    $PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
for g in d["leaks"]:
    for f in g["frames"]:
        for k in ("function", "file", "line"):
            f.pop(k, None)
json.dump(d, open(sys.argv[2], "w"))' "$TMP/family.json" "$TMP/nosym.json" &&
        "$R" report -o "$TMP/nosym.pb.gz" "$TMP/nosym.json" &&
        check "frames without names: pprof symbolizes them from the binary" \
            nosym "$TMP/family.json" "$TMP/nosym.pb.gz" leak_realloc leak_memalign leak_calloc ||
        fail "a report without names"
fi
check "-list: leak_realloc's bytes on its source line" \
    list "$TMP/family.pb.gz" "$TMP/family.json" leak_realloc "$top_builddir:$top_srcdir"

# 2. A dump, and growth between two (--base).
mkdir "$TMP/dj"
RATMEM_OPTIONS=format=json LD_PRELOAD="$SHIM" "$PROG/dumper" api "$TMP/dj" >/dev/null 2>&1
"$R" report -o "$TMP/dump.pb.gz" "$TMP/dj/api.2.json" &&
    check "dump: inuse_space and inuse_objects" dump "$TMP/dj/api.2.json" "$TMP/dump.pb.gz" ||
    fail "ratmem report of a dump"
"$R" report --base "$TMP/dj/api.1.json" -o "$TMP/growth.pb.gz" "$TMP/dj/api.2.json" &&
    check "--base: growth of grow_site alone" growth "$TMP/growth.pb.gz" 20 2000 grow_site stable_site ||
    fail "ratmem report --base"

# 3. The shim's heap profiles: exact (profile= alone) and sampled.
for rate in 1 4096; do
    opts="profile=$TMP/heap$rate.pb.gz:report=/dev/null"
    [ $rate = 1 ] || opts="sample=$rate:$opts"
    if RATMEM_OPTIONS=$opts timeout 120 env LD_PRELOAD="$SHIM" "$PROG/sample_acc" 1 $rate \
        >"$TMP/truth$rate" 2>"$TMP/err" && [ -s "$TMP/heap$rate.pb.gz" ]; then
        check "heap profile, period $rate: sample types, period, values per site" \
            profile "$TMP/heap$rate.pb.gz" "$TMP/truth$rate" $rate "$PROG/sample_acc"
    else
        fail "sample_acc under profile= (rate $rate)"; head -5 "$TMP/err"
    fi
done

# 4. The graph (-dot, -svg) and the web UI (-http).
check "-dot/-svg draw the leak report" graph "$TMP/family.pb.gz" "$TMP" leak_realloc leak_calloc main
check "-http serves the leak report" http "$TMP/family.pb.gz" leaked_space \
    "$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["direct_bytes"]+s["indirect_bytes"])' "$TMP/family.json")" \
    leak_realloc leak_memalign main
check "-http serves a heap profile" http "$TMP/heap1.pb.gz" inuse_space - big_alloc mid_alloc small_alloc

finish

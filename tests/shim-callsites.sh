#!/bin/sh
# shim-callsites.sh - the fast capture's call-site cache (fastunwind.c)
# must charge every block to its own stack: leaks from one allocation
# function reached through different callers at the same depth, at
# several depths and through an alloca frame (rbp-based CFA), in one and
# in four threads; and the remembered older frames of the previous capture
# must not be taken on the strength of a stale return address left in an
# alloca area.  The per-caller counts come from the program itself; the
# frames must be libunwind's (fast_unwind=0) exactly.
. "${top_srcdir:-.}/tests/lib.sh"

# run FAST_UNWIND THREADS: prints the program's expectation line, then the
# report's "via_a=N via_b=N via_c=N via_d=N sites=N" and its stacks.
run() {
    rm -f "$TMP/cs.json"
    exp=$(RATMEM_OPTIONS="fast_unwind=$1:format=json:report=$TMP/cs.json" timeout 300 \
        env LD_PRELOAD="$SHIM" "$PROG/callsites" "$2" 2>"$TMP/err" | head -1)
    echo "$exp"
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
n = {"via_a": 0, "via_b": 0, "via_c": 0, "via_d": 0}
stacks = []
for g in r["leaks"]:
    fn = [f["function"] for f in g["frames"]]
    if g["kind"] != "direct" or "leaf" not in fn:
        continue
    via = [f for f in fn if f in n]
    if via:
        n[via[0]] += g["blocks"]
    stacks.append("%s:%d" % (">".join(fn), g["blocks"]))
print(" ".join("%s=%d" % (k, n[k]) for k in sorted(n)), "sites=%d" % r["summary"].get("captures_site", 0))
for s in sorted(stacks):
    print(s)' "$TMP/cs.json" 2>&1
}

for threads in 1 4; do
    fast=$(run 1 $threads)
    slow=$(run 0 $threads)
    exp=$(echo "$fast" | sed -n 1p)
    got=$(echo "$fast" | sed -n 2p)
    sites=${got##*sites=}
    if [ -z "$exp" ] || [ "${got% sites=*}" != "$exp" ]; then
        fail "$threads thread(s): leaks per caller '$got', the program leaked '$exp'"
    elif [ "${sites:-0}" -lt 1000 ]; then
        fail "$threads thread(s): the call-site cache answered $sites captures (expected most)"
    elif [ "$(echo "$fast" | sed 1,2d)" != "$(echo "$slow" | sed 1,2d)" ]; then
        fail "$threads thread(s): stacks differ from libunwind's"
        echo "$slow" | sed 1,2d >"$TMP/slow"; echo "$fast" | sed 1,2d >"$TMP/fast"
        diff "$TMP/slow" "$TMP/fast" | head -10
    else
        pass "$threads thread(s): every leak charged to its own caller ($exp; $sites captures from the call-site cache), stacks as libunwind's"
    fi
done
# stale: q1 and q2 in turn, leaf's frame at one address under both.
stale() { # FAST_UNWIND -> "q1=N q2=N" as the report charges the leaks
    rm -f "$TMP/st.json"
    RATMEM_OPTIONS="fast_unwind=$1:format=json:report=$TMP/st.json" timeout 120 \
        env LD_PRELOAD="$SHIM" "$PROG/callsites" stale >/dev/null 2>&1
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
n = {"q1": 0, "q2": 0}
for g in r["leaks"]:
    fn = [f["function"] for f in g["frames"]]
    if g["kind"] == "direct" and "alloc_under" in fn:
        for q in n:
            if q in fn:
                n[q] += g["blocks"]
print("q1=%d q2=%d" % (n["q1"], n["q2"]))' "$TMP/st.json" 2>&1
}
exp=$(timeout 120 "$PROG/callsites" stale | head -1)
fast=$(stale 1)
slow=$(stale 0)
if [ -n "$exp" ] && [ "$fast" = "$exp" ] && [ "$slow" = "$exp" ]; then
    pass "an alloca frame of another size under the same inner frames: leaks charged to their callers ($fast)"
else
    fail "an alloca frame of another size: fast '$fast', libunwind '$slow', the program leaked '$exp'"
fi
finish

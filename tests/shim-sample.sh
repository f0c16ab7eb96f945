#!/bin/sh
# shim-sample.sh - sampled tracking (sample=) and heap profiles (profile=,
# profile_interval=): the estimates against known truth for several seeds
# (bounds from the sampling distribution: see tests/samplecheck.py),
# threads racing allocations and cross-thread frees with profiles written
# meanwhile (interval and dump_signal, numbered files), fork, exact-mode
# profiles, sampled leak reports, bad values of the new keys.  Profiles are
# decoded by tests/pprof_read.py (python3-protobuf).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/pprof-lib.sh"
CHECK="$PPROF_PY $top_srcdir/tests/samplecheck.py"

# decode NAME FILE: FILE as JSON into FILE.json; false (and a failure) when
# it does not decode.
decode() {
    if pprof_decode "$2" >"$2.json" 2>"$TMP/decode.err"; then return 0; fi
    fail "$1: $2 does not decode"; head -3 "$2.json" "$TMP/decode.err"; return 1
}
check() {  # check NAME MODE FILE.json ARGS...
    name=$1; shift
    if msg=$($CHECK "$@"); then pass "$name"; else fail "$name"; echo "$msg" | sed 's/^/    /'; fi
}

# 1. Accuracy: three seeds at sample=4K (why 4K: samplecheck.py).
for seed in 1 2 3; do
    P="$TMP/acc$seed.pb.gz"
    RATMEM_OPTIONS="sample=4K:profile=$P:report=$TMP/acc.report" timeout 120 \
        env LD_PRELOAD="$SHIM" "$PROG/sample_acc" $seed 4096 >"$TMP/truth$seed" 2>"$TMP/err"
    rc=$?
    if [ $rc != 0 ] || [ -s "$TMP/err" ]; then
        fail "accuracy seed $seed: exit $rc"; head -5 "$TMP/err"; continue
    fi
    decode "accuracy seed $seed" "$P" || continue
    [ $seed = 1 ] && check "header: Go's sample types, period and comment" header "$P.json" 4096
    check "accuracy seed $seed: inuse and alloc, bytes and objects, per site and in total" \
        accuracy "$P.json" "$TMP/truth$seed" 4096
done

# 2. Threads racing, cross-thread frees; profiles every second and on USR2
# while they run, and at exit: numbered 1.. with nothing left over.
RATMEM_OPTIONS="sample=4K:profile=$TMP/race.%n.pb.gz:profile_interval=1:dump_signal=USR2:report=$TMP/race.report" \
    timeout 120 env LD_PRELOAD="$SHIM" "$PROG/sample_threads" race 3.5 usr2 2>"$TMP/err"
rc=$?
n=$(ls "$TMP" | grep -c '^race\.[0-9]*\.pb\.gz$')
last=$(ls "$TMP" | sed -n 's/^race\.\([0-9]*\)\.pb\.gz$/\1/p' | sort -n | tail -1)
if [ $rc = 0 ] && [ ! -s "$TMP/err" ] && [ "$n" -ge 4 ] && [ "$last" = "$n" ] && \
   ! ls "$TMP" | grep -q '\.tmp$'; then
    pass "race: $n profiles (2 by interval, 1 by USR2, 1 at exit at least), numbered 1..$n"
else
    fail "race: exit $rc, $n profiles, last $last"; ls "$TMP"; head -5 "$TMP/err"
fi
i=1
while [ $i -lt "$n" ]; do
    decode "race profile $i" "$TMP/race.$i.pb.gz" &&
        check "race profile $i (threads running): keep_alloc 4 MiB live" sites \
            "$TMP/race.$i.pb.gz.json" keep_alloc=4194304/64
    i=$((i + 1))
done
decode "race exit profile" "$TMP/race.$n.pb.gz" &&
    check "race exit profile: every cross-thread free found (race_alloc nothing live)" sites \
        "$TMP/race.$n.pb.gz.json" keep_alloc=4194304/64 race_alloc=0
# (other blocks of the C library's may be sampled too: the totals vary)
if grep -q '^ratmem: no leaks ([0-9]* byte(s) in [0-9]* allocation(s) still reachable)$' "$TMP/race.report" &&
   grep -q '^ratmem: sampled mode (sample=4096)' "$TMP/race.report"; then
    pass "race: sampled leak report, estimates named"
else
    fail "race: leak report"; cat "$TMP/race.report"
fi

# 3. fork: each process its own profile (%p), the child's without the
# blocks it freed and with its own, the parent's without the child's.
RATMEM_OPTIONS="sample=4K:profile=$TMP/fork.%p.%n.pb.gz:report=/dev/null" \
    timeout 120 env LD_PRELOAD="$SHIM" "$PROG/sample_threads" fork 2>"$TMP/err"
rc=$?
set -- "$TMP"/fork.*.1.pb.gz
if [ $rc = 0 ] && [ $# = 2 ] && [ -f "$1" ] && [ ! -s "$TMP/err" ]; then
    pass "fork: two profiles"
    for f in "$@"; do
        decode fork "$f" || continue
        if grep -q child_alloc "$f.json"; then
            check "fork: child's profile" sites "$f.json" parent_alloc=1048576/16 child_alloc=1048576/16
        else
            check "fork: parent's profile" sites "$f.json" parent_alloc=2097152/32 child_alloc=-
        fi
    done
else
    fail "fork: exit $rc, profiles: $*"; head -5 "$TMP/err"
fi

# A fork storm while threads allocate, sampled: every child exits 0 (each
# writes its sampled report; the parent's threads' stacks in a child are
# not read past their resident pages).
RATMEM_OPTIONS="sample=1K:report=/dev/null" timeout 120 env LD_PRELOAD="$SHIM" \
    "$PROG/fork_storm" 12 >"$TMP/storm" 2>&1
rc=$?
if [ $rc = 0 ]; then pass "fork storm under sample=1K"; else fail "fork storm under sample=1K: exit $rc"; tail -3 "$TMP/storm"; fi

# 3b. The launcher's flags; a relative --profile path is the launcher's
# directory's, whatever the program's.
mkdir "$TMP/launch"
(cd "$TMP/launch" && RATMEM_PRELOAD="$SHIM" timeout 120 "$top_builddir/tools/ratmem" --sample=4K \
    --profile=app.%p.%n.pb.gz --profile-interval=1 -- "$PROG/sample_threads" race 1.5 \
    >"$TMP/launch.out" 2>"$TMP/launch.err")
rc=$?
set -- "$TMP"/launch/app.*.pb.gz
if [ $rc = 0 ] && [ $# -ge 2 ] && [ -f "$1" ] && decode launcher "$TMP/launch/$(ls "$TMP/launch" | sort -t. -k3 -n | tail -1)"; then
    pass "launcher: --sample --profile --profile-interval: $# profiles"
else
    fail "launcher: exit $rc, profiles: $*"; cat "$TMP/launch.err"
fi

# 3c. The launcher's tree in sampled mode: its summary counts each sampled
# process's leaks as their estimates (the sum of its groups'
# estimated_bytes), says so, and the tree document carries them beside the
# recorded figures.
RATMEM_PRELOAD="$SHIM" timeout 120 "$top_builddir/tools/ratmem" --sample=16 --json \
    --report="$TMP/tree.json" -- sh -c "'$PROG/leaky' direct; '$PROG/leaky' indirect" \
    >/dev/null 2>"$TMP/tree.err"
if python3 - "$TMP/tree.json" "$TMP/tree.err" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
err = open(sys.argv[2]).read()
s = d["summary"]
assert s["sampled"] == 16, s
want = {"direct": [0, 0], "indirect": [0, 0]}
for p in d["processes"]:
    for g in (p.get("report") or {}).get("leaks", []):
        if g["kind"] in want:
            want[g["kind"]][0] += g["estimated_bytes"]
            want[g["kind"]][1] += g["estimated_blocks"]
            assert g["estimated_bytes"] >= g["bytes"], g
for k in want:
    assert s["estimated_%s_bytes" % k] == want[k][0], (k, s, want)
    assert s["estimated_%s_blocks" % k] == want[k][1], (k, s, want)
assert "ratmem: sampled mode (sample=16): leak byte and allocation counts are estimates" in err, err
lb = want["direct"][0] + want["indirect"][0]
if lb:
    assert re.search(r"SUMMARY: %d byte\(s\) leaked" % lb, err), err
PY
then
    pass "launcher tree, sampled: summary and document count the estimates"
else
    fail "launcher tree, sampled"; cat "$TMP/tree.err"
fi

# 4. profile= without sample=: exact figures, period 1.
RATMEM_OPTIONS="profile=$TMP/exact.pb.gz:report=/dev/null" \
    timeout 120 env LD_PRELOAD="$SHIM" "$PROG/sample_threads" race 0.2 2>"$TMP/err"
decode "exact profile" "$TMP/exact.pb.gz" &&
    check "exact profile: every block, period 1" sites "$TMP/exact.pb.gz.json" \
        keep_alloc=4194304/64 race_alloc=0 &&
    check "exact profile: header" header "$TMP/exact.pb.gz.json" 1

# 5. Sampled leak report: JSON "sampled" and estimated fields; text names
# the estimates.  sample=1 samples every block of leaky's.
RATMEM_OPTIONS="sample=1:format=json:report=$TMP/leak.json" env LD_PRELOAD="$SHIM" \
    "$PROG/leaky" direct >/dev/null 2>"$TMP/err"
if $PPROF_PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["summary"]["sampled"] == 1, r["summary"]
g = [g for g in r["leaks"] if g["kind"] == "direct"]
assert len(g) == 1 and g[0]["bytes"] == 48 and g[0]["estimated_bytes"] == 48 and g[0]["estimated_blocks"] == 1, g
' "$TMP/leak.json"; then
    pass "sampled JSON leak report: sampled, estimated_bytes, estimated_blocks"
else
    fail "sampled JSON leak report"; cat "$TMP/leak.json" | head -30
fi
RATMEM_OPTIONS="sample=1" env LD_PRELOAD="$SHIM" "$PROG/leaky" direct >/dev/null 2>"$TMP/text"
if grep -q '^ratmem: sampled mode (sample=1): .* estimates' "$TMP/text" &&
   grep -q '^Direct leak of 48 byte(s) in 1 object(s) allocated from:$' "$TMP/text"; then
    pass "sampled text leak report"
else
    fail "sampled text leak report"; cat "$TMP/text"
fi

# 6. Bad values: one warning each, the default kept (exact tracking, no
# profile, no thread).
badval() {  # badval OPTIONS PATTERN
    RATMEM_OPTIONS="$1:report=$TMP/bad.report" env LD_PRELOAD="$SHIM" "$PROG/leaky" direct \
        >/dev/null 2>"$TMP/err"
    if [ "$(grep -c . "$TMP/err")" = 1 ] && grep -q "$2" "$TMP/err" &&
       ! grep -q 'sampled mode' "$TMP/bad.report" && ! ls "$TMP" | grep -q '^badprof'; then
        pass "bad value: $1"
    else
        fail "bad value: $1"; cat "$TMP/err"; head -3 "$TMP/bad.report"
    fi
}
badval "sample=12Q" "bad value '12Q' for option 'sample'"
badval "sample=-1" "bad value '-1' for option 'sample'"
badval "profile_interval=-5" "bad value '-5' for option 'profile_interval'"
badval "profile_interval=1x" "bad value '1x' for option 'profile_interval'"
badval "profile_interval=10" "profile_interval needs a profile= path"
badval "sample=64K:profile=$TMP/badprof.pb.gz:leaks=0" "need leaks=1"
# An unwritable profile path: one line at exit, the exit status kept.
RATMEM_OPTIONS="sample=64K:profile=$TMP/no/such/dir/p.pb.gz:report=/dev/null" env LD_PRELOAD="$SHIM" \
    "$PROG/sample_threads" race 0.1 2>"$TMP/err"
rc=$?
if [ $rc = 0 ] && [ "$(grep -c . "$TMP/err")" = 1 ] && grep -q 'cannot create heap profile' "$TMP/err"; then
    pass "unwritable profile path: one line, exit 0"
else
    fail "unwritable profile path: exit $rc"; cat "$TMP/err"
fi
finish

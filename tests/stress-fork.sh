#!/bin/sh
# stress-fork.sh - forks while threads allocate, leaks=1, report=%p: no
# hang, every child exits normally and writes its own valid report; the
# parent's report holds exactly its own leak.  Then the fork storm of
# shim-fork.sh, repeated (it once hung: a fork while another thread was
# inside libunwind left libunwind's lock held in the child).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"

N=12
mkdir "$TMP/r"
if srun "fork storm with reports" 150 "leaks=1:format=json:report=$TMP/r/%p.json" "$PROG/stress_fork" $N &&
   done_ok "fork storm with reports"; then
    if grep -q "^$N forks, 0 bad$" "$TMP/out"; then pass "$N children exited 0"
    else fail "children: $(head -1 "$TMP/out")"; fi
    n=$(ls "$TMP/r" | wc -l)
    if [ "$n" = $((N + 1)) ]; then pass "$n report files (parent and each child)"
    else fail "$n report files, expected $((N + 1))"; fi
    parent=$(grep -l '"parent_leak"' "$TMP/r"/*.json | head -1)
    report_ok "parent's report: exactly its own leak" "$parent" \
        direct_blocks=1 direct_bytes=55 indirect_blocks=0 top:direct=parent_leak
    bad=0
    for f in "$TMP/r"/*.json; do
        [ "$f" = "$parent" ] && continue
        pid=$(basename "$f" .json)
        if ! msg=$($CHECK "$f" group:direct=child_leak:1:77 "direct_blocks>=1") ||
           ! grep -q "\"pid\": $pid," "$f"; then
            bad=$((bad + 1)); echo "$msg" | head -3
        fi
    done
    if [ $bad = 0 ]; then pass "every child's report is valid JSON with its pid and its leak"
    else fail "$bad child reports bad"; fi
fi

# The plain fork storm, leaks=1, several times (each with its own timeout).
for i in 1 2; do
    if srun "fork storm run $i" 120 "leaks=1:report=$TMP/fs.%p" "$PROG/fork_storm" 12; then
        if [ "$rc" = 0 ] && grep -q "^12 forks, 0 bad$" "$TMP/out"; then pass "fork storm run $i"
        else fail "fork storm run $i: exit $rc"; head -3 "$TMP/out"; fi
    fi
    rm -f "$TMP"/fs.*
done
finish

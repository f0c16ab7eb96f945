#!/bin/sh
# shim-tree.sh - process trees under the ratmem launcher: every report of
# the tree kept in one document (background jobs, wait, exec, twenty
# children at once, a double-forked daemon still running at the end, a
# child killed by SIGKILL, a timeout wrapper); totals, merged groups, exit
# status as bare (3; SIGTERM 143; SIGINT to the process group); the
# summary; the text report; --skip/--only; --exitcode over the tree; and without the
# launcher, a shared report path keeps every process's report.
. "${top_srcdir:-.}/tests/lib.sh"
command -v python3 >/dev/null || { echo "SKIP: no python3 to check the JSON"; exit 77; }
CHECK="python3 $top_srcdir/tests/treecheck.py"
RATMEM="$top_builddir/tools/ratmem"
T="$PROG/treeleak"

check() {  # check NAME FILE CHECK...
    name=$1 file=$2; shift 2
    if msg=$($CHECK "$file" "$@" 2>&1); then pass "$name"; else fail "$name"; echo "$msg" | sed 's/^/    /'; fi
}

# 1. The tree of the issue.  Leaks of site a: 100 + 200 (background jobs),
#    50 (under timeout), 30 (exec, status 3); site b: 20 children x 10.
#    The daemon leaks 1000 once the test lets it end, after the launcher.
cat >"$TMP/tree.sh" <<EOF
T=$T
\$T leak 100 0 a & \$T leak 200 0 a &
wait
i=0; while [ \$i -lt 20 ]; do \$T leak 10 0 b & i=\$((i + 1)); done
wait
\$T daemon 1000 $TMP/daemon.go
\$T hang $TMP/hang.ready & h=\$!
while [ ! -e $TMP/hang.ready ]; do sleep 0.01; done
kill -KILL \$h; wait \$h
timeout 60 \$T leak 50 0 a
exec \$T leak 30 3 a
EOF
timeout 120 "$RATMEM" --preload="$SHIM" --json --report="$TMP/tree.json" -- sh "$TMP/tree.sh" \
    >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc = 3 ] && pass "tree: exit status 3, as bare" || { fail "tree: exit status $rc"; cat "$TMP/err"; }
check "tree: every leaking process's report, totals = sum of the known leaks" "$TMP/tree.json" \
    total=580/24 exit=status:3 leakers=24 running=1 end=signal:9
check "tree: merged groups count the right processes" "$TMP/tree.json" \
    group=tree_site_a:380/4/4 group=tree_site_b:200/20/20 tracked=timeout tracked=dash
grep -q "^ratmem: SUMMARY: 580 byte(s) leaked in 24 allocation(s) (direct 580 in 24, indirect 0 in 0) by 24 of " "$TMP/err" \
    && [ "$(grep -c '^ratmem:   pid [0-9]* .*/treeleak: leaked ' "$TMP/err")" = 24 ] \
    && grep -q "^ratmem:   pid [0-9]* .*/treeleak: no report: killed by signal 9 SIGKILL$" "$TMP/err" \
    && grep -q "^ratmem:   pid [0-9]* .*/treeleak: still running; its report will go to $TMP/tree.json.[0-9]*$" "$TMP/err" \
    && grep -q "^ratmem: report: $TMP/tree.json$" "$TMP/err" \
    && pass "tree: the summary names the 24 leaking processes, the killed one, the daemon" \
    || { fail "tree: summary"; cat "$TMP/err"; }
ls -d /tmp/ratmem-run.* "${TMPDIR:-/tmp}"/ratmem-run.* 2>/dev/null | while read -r d; do
    [ -e "$d/$(ls "$d" | head -1)" ] && grep -qs "$TMP" "$d"/*.start && echo "$d"
done >"$TMP/left"
[ ! -s "$TMP/left" ] && pass "tree: the run directory is removed" || fail "tree: run directory left: $(cat "$TMP/left")"
# The daemon ends after the launcher: its report goes to tree.json.PID.
dpid=$(sed -n 's/^ratmem:   pid \([0-9]*\) .*still running.*/\1/p' "$TMP/err")
touch "$TMP/daemon.go"
i=0; while [ ! -s "$TMP/tree.json.$dpid" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done
# (Its block is direct, or reachable when a copy of its address stayed in
# a register: the scan is conservative.)
python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; sys.exit(s["direct_bytes"] + s["reachable_bytes"] < 1000)' \
    "$TMP/tree.json.$dpid" 2>/dev/null \
    && pass "tree: the daemon's report, written after the launcher ended, is in tree.json.PID" \
    || { fail "tree: no daemon report at $TMP/tree.json.$dpid"; cat "$TMP/tree.json.$dpid"; }

# 2. Exit statuses as bare: a signal ending the program, SIGTERM to the
#    launcher, SIGINT to the whole process group (as Ctrl-C would).
"$RATMEM" --preload="$SHIM" -- sh -c 'kill -TERM $$' 2>/dev/null; rc=$?
[ $rc = 143 ] && pass "the program killed by SIGTERM: the shell sees 143" || fail "SIGTERM: status $rc"
# pgkill SIGNAL TARGET CMD...: start CMD in a new process group with the
# signal's default action; once hang.ready exists, send SIGNAL to the
# launcher (TARGET=pid) or to the group (TARGET=group); print the status.
pgkill() {
    python3 - "$@" <<'EOF'
import os, signal, subprocess, sys, time
sig = getattr(signal, sys.argv[1]); target = sys.argv[2]; ready = sys.argv[3]
def child():
    os.setpgid(0, 0)
    signal.signal(sig, signal.SIG_DFL)
p = subprocess.Popen(sys.argv[4:], preexec_fn=child, stderr=subprocess.DEVNULL)
for _ in range(3000):
    if os.path.exists(ready):
        break
    time.sleep(0.01)
if target == "group":
    os.killpg(p.pid, sig)
else:
    os.kill(p.pid, sig)
print(p.wait())
EOF
}
for how in group pid; do
    for sig in SIGINT SIGTERM; do
        rm -f "$TMP/hang.ready"
        bare=$(pgkill $sig $how "$TMP/hang.ready" "$T" hang "$TMP/hang.ready")
        rm -f "$TMP/hang.ready"
        under=$(pgkill $sig $how "$TMP/hang.ready" "$RATMEM" --preload="$SHIM" -- "$T" hang "$TMP/hang.ready")
        [ "$bare" = "$under" ] && [ "$bare" -lt 0 ] \
            && pass "$sig to the $how: status $under, as bare" || fail "$sig to the $how: $under, bare $bare"
    done
done

# Ctrl-C on a terminal (a pty): the terminal's SIGINT goes to the whole
# foreground process group; the launcher does not send it again, so the
# program counts one SIGINT, and the status is the bare one.  A SIGINT
# sent to the launcher alone is forwarded: one SIGINT too.
ctrlc() {  # ctrlc pty|pid CMD...: prints "STATUS COUNT"
    how=$1; shift
    rm -f "$TMP/ints" "$TMP/int.ready"
    python3 - "$how" "$TMP/int.ready" "$TMP/ints" "$@" <<'EOF'
import os, pty, signal, sys, time
how, ready, out, argv = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
argv = argv + ["intcount", out, ready]
pid, fd = pty.fork()
if pid == 0:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.execvp(argv[0], argv)
for _ in range(3000):
    if os.path.exists(ready):
        break
    time.sleep(0.01)
if how == "pty":
    os.write(fd, b"\x03")
else:
    os.kill(pid, signal.SIGINT)
while True:
    try:
        if not os.read(fd, 4096):
            break
    except OSError:
        break
_, st = os.waitpid(pid, 0)
code = -os.WTERMSIG(st) if os.WIFSIGNALED(st) else os.WEXITSTATUS(st)
print(code, open(out).read().strip() if os.path.exists(out) else "none")
EOF
}
bare=$(ctrlc pty "$T")
for how in pty pid; do
    under=$(ctrlc $how "$RATMEM" --preload="$SHIM" -- "$T")
    [ "$under" = "-2 1" ] && [ "$bare" = "-2 1" ] \
        && pass "SIGINT ($how): status -2 and one SIGINT in the program, as bare" \
        || fail "SIGINT ($how): '$under' (status, SIGINTs), bare '$bare'"
done

# 3. --skip and --only; --exitcode for the tree.
S="$T leak 10 0 a; $T leak 20 0 b"
"$RATMEM" --preload="$SHIM" --json --report="$TMP/skip.json" --skip=dash -- sh -c "$S" 2>"$TMP/err"
check "--skip=dash: the shell untracked and unreported" "$TMP/skip.json" skipped=dash tracked=treeleak total=30/2
grep -q "^ratmem:   skipped: pid [0-9]* /usr/bin/dash$" "$TMP/err" && pass "--skip: the summary lists the skipped shell" \
    || { fail "--skip: summary"; cat "$TMP/err"; }
"$RATMEM" --preload="$SHIM" --json --report="$TMP/skip2.json" --skip='sh,*/treeleak' -- sh -c "$S" 2>/dev/null
check "--skip='sh,*/treeleak': by argv[0] base name and by full path" "$TMP/skip2.json" skipped=dash skipped=treeleak total=0/0
"$RATMEM" --preload="$SHIM" --json --report="$TMP/only.json" --only=treeleak -- sh -c "$S" 2>/dev/null
check "--only=treeleak" "$TMP/only.json" skipped=dash tracked=treeleak total=30/2
"$RATMEM" --preload="$SHIM" --exitcode=23 -- sh -c "$T leak 1 0 a; exit 4" 2>/dev/null; rc=$?
[ $rc = 23 ] && pass "--exitcode=23: a child leaked" || fail "--exitcode: status $rc"
"$RATMEM" --preload="$SHIM" --exitcode=23 -- sh -c "$T leak 0 0 a; exit 4" 2>"$TMP/err"; rc=$?
[ $rc = 4 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && grep -q "^ratmem: no leaks in 2 process(es)" "$TMP/err" \
    && pass "no leaks: the program's status and one summary line" || { fail "no leaks: status $rc"; cat "$TMP/err"; }

# _exit: an image that ends with _exit writes its exit report (the shell,
# dash, ends every script so); a vfork child (no fork handler ran: its pid
# is not the shim's) and a fork child (its heap is its parent's copy) do
# not, and neither disturbs the parent's report; posix_spawn's own child
# does not reach the shim's _exit.  A fork child that ended with _exit is
# not "without a report".
for how in vfork fork spawn none; do
    "$RATMEM" --preload="$SHIM" --json --report="$TMP/x-$how.json" -- "$T" xexit 64 $how 2>"$TMP/err"; rc=$?
    if [ $rc = 3 ] && python3 - "$TMP/x-$how.json" $how <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); how = sys.argv[2]
ps = d["processes"]
top = [p for p in ps if not p["forked"]]
assert len(top) == 1 and top[0]["exit"] == {"status": 3} and top[0]["end"] == "exit", top
assert top[0]["report"]["summary"]["direct_bytes"] == 64, top[0]["report"]["summary"]
assert d["summary"]["direct_bytes"] == 64 and d["summary"]["direct_blocks"] == 1, d["summary"]
assert d["summary"]["processes_without_report"] == 0, d["summary"]
kids = [p for p in ps if p["forked"]]
if how == "fork":
    assert len(kids) == 1 and kids[0]["exit"] == {"status": 5} and kids[0]["report"] is None, kids
else:
    assert not kids, kids
PY
    then
        [ "$(grep -c '^ratmem:   pid' "$TMP/err")" = 1 ] && pass "_exit ($how): the program's report, status 3"             || { fail "_exit ($how): summary"; cat "$TMP/err"; }
    else
        fail "_exit ($how): status $rc"; cat "$TMP/err"
    fi
done
"$RATMEM" --preload="$SHIM" --json --report="$TMP/dash.json" -- sh -c "x=\$(echo a); ( true ); $T leak 0 0 a; exit 4" \
    2>"$TMP/err"; rc=$?
[ $rc = 4 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && python3 - "$TMP/dash.json" <<'PY' && pass "_exit: the shell's own report, status 4" || { fail "_exit: the shell (status $rc)"; cat "$TMP/err"; }
import json, sys
d = json.load(open(sys.argv[1]))
sh = [p for p in d["processes"] if p["exe"].endswith("/dash") and not p["forked"]]
assert len(sh) == 1 and sh[0]["report"] is not None and sh[0]["exit"] == {"status": 4}, sh
assert d["summary"]["processes_without_report"] == 0, d["summary"]
PY
# A daemon still running that left no start record (raw fork: no fork
# handler; also what a daemon's record written too late looks like): the
# launcher lists its own orphan child as running.
"$RATMEM" --preload="$SHIM" --json --report="$TMP/raw.json" -- "$T" rawdaemon "$TMP/raw.go" 2>"$TMP/err"; rc=$?
touch "$TMP/raw.go"
[ $rc = 0 ] && grep -q "^ratmem:   pid [0-9]* .*/treeleak: still running; its report will go to $TMP/raw.json.[0-9]*$" "$TMP/err" \
    && $CHECK "$TMP/raw.json" running=1 >/dev/null 2>&1 \
    && pass "an orphan without a record: listed as still running" || { fail "orphan without a record (status $rc)"; cat "$TMP/err"; }

# A program that cannot be run: the launcher's one line, no summary.
"$RATMEM" --preload="$SHIM" -- "$TMP/no such program" 2>"$TMP/err"; rc=$?
[ $rc = 127 ] && [ "$(cat "$TMP/err")" = "ratmem: cannot run $TMP/no such program: No such file or directory" ] \
    && pass "a missing program: 127 and one line" || { fail "missing program: status $rc"; cat "$TMP/err"; }
"$RATMEM" --preload="$SHIM" -- "$TMP/dash.json" 2>"$TMP/err"; rc=$?
[ $rc = 126 ] && [ "$(wc -l <"$TMP/err")" = 1 ] && pass "a file that is not a program: 126 and one line" \
    || { fail "not a program: status $rc"; cat "$TMP/err"; }

# Text (the default): the shared leak merged first, then each report.
"$RATMEM" --preload="$SHIM" --report="$TMP/tree.txt" -- sh -c "$T leak 10 0 b & $T leak 10 0 b; wait" 2>/dev/null
grep -q "^==ratmem: 1 leak(s) found in more than one of the 2 processes that leaked$" "$TMP/tree.txt" \
    && grep -A1 "^Direct leak of 20 byte(s) in 2 object(s) in 2 process(es) (pid [0-9]*, [0-9]*) allocated from:$" "$TMP/tree.txt" \
        | grep -q " in tree_site_b " \
    && [ "$(grep -c '^==[0-9]*==ERROR: ratmem: detected memory leaks$' "$TMP/tree.txt")" = 2 ] \
    && [ "$(grep -c '^SUMMARY: ratmem: 10 byte(s) leaked in 1 allocation(s)\.$' "$TMP/tree.txt")" = 2 ] \
    && pass "text report of the run: the merged leak, then both processes' reports" \
    || { fail "text report of the run"; cat "$TMP/tree.txt"; }

# A report path that cannot be written: one warning from the launcher (not
# one per process), and the report on stderr.
"$RATMEM" --preload="$SHIM" --report="$TMP/no/such/dir/r.txt" -- sh -c "$T leak 10 0 b & $T leak 10 0 b; wait" 2>"$TMP/err"
[ "$(grep -c "cannot be written" "$TMP/err")" = 1 ] \
    && grep -q "^ratmem: report path $TMP/no/such/dir/r.txt cannot be written: No such file or directory; the report goes to stderr$" "$TMP/err" \
    && [ "$(grep -c '^==[0-9]*==ERROR: ratmem: detected memory leaks$' "$TMP/err")" = 2 ] \
    && pass "unwritable report path: one warning, the report on stderr" || { fail "unwritable report path"; cat "$TMP/err"; }

# 4. Without the launcher: report=PATH shared by a run keeps every report;
#    running again replaces PATH.
mkdir "$TMP/plain"
for round in 1 2; do
    RATMEM_OPTIONS="format=json:report=$TMP/plain/r.json" shim timeout 60 "$T" leak 77 0 a 2>/dev/null
    ls "$TMP/plain" >"$TMP/ls.$round"
done
n1=$(wc -l <"$TMP/ls.1") n2=$(wc -l <"$TMP/ls.2")
child=$(ls "$TMP/plain" | sed -n 's/^r\.json\.\([0-9]*\)$/\1/p' | tail -1)
[ "$n1" = 2 ] && [ "$n2" = 3 ] && grep -q '"direct_bytes": 77' "$TMP/plain/r.json.$child" \
    && grep -q '"direct_bytes": 0' "$TMP/plain/r.json" && grep -q "\"exe\": \".*/timeout\"" "$TMP/plain/r.json" \
    && pass "no launcher: timeout's report in PATH, the program's in PATH.PID, PATH replaced by the next run" \
    || { fail "no launcher: files $(cat "$TMP/ls.2" | tr '\n' ' ')"; }
finish

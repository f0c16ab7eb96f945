# stress-lib.sh - helpers for tests/stress-*.sh, sourced after lib.sh.
CHECK="python3 $top_srcdir/tests/leakcheck.py"

# srun NAME SECS OPTIONS CMD...: run CMD under the shim with RATMEM_OPTIONS
# set to OPTIONS and its own timeout; stdout in $TMP/out, stderr in
# $TMP/err, status in $rc.  A timeout is a failure naming the case
# (returns 1).
srun() {
    name=$1 secs=$2 opts=$3; shift 3
    RATMEM_OPTIONS="$opts" timeout -k 5 "$secs" env LD_PRELOAD="$SHIM" "$@" >"$TMP/out" 2>"$TMP/err"
    rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        fail "$name: timed out after ${secs}s (hang)"
        return 1
    fi
    return 0
}

# done_ok NAME: the last srun exited 0 and printed "done" last.
done_ok() {
    if [ "$rc" = 0 ] && [ "$(tail -n 1 "$TMP/out")" = done ]; then
        return 0
    fi
    fail "$1: exit $rc, output '$(tail -n 1 "$TMP/out")'"
    sed 's/^/    stderr: /' "$TMP/err" | head -10
    return 1
}

# report_ok NAME FILE CHECKS...: FILE is a valid JSON report that passes
# leakcheck.py's CHECKS.
report_ok() {
    name=$1 file=$2; shift 2
    if [ ! -s "$file" ]; then
        fail "$name: no report in $file"
        sed 's/^/    stderr: /' "$TMP/err" | head -10
        return 1
    fi
    if msg=$($CHECK "$file" "$@"); then
        pass "$name"
    else
        fail "$name"
        echo "$msg" | sed 's/^/    /'
        return 1
    fi
}

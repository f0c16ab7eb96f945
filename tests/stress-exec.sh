#!/bin/sh
# stress-exec.sh - posix_spawn, vfork+exec, and exec under the shim:
# output and exit status equal bare runs; the new program is tracked too
# and writes its own report (LD_PRELOAD and RATMEM_OPTIONS are inherited).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"
P="$PROG/stress_exec"

mkdir "$TMP/r"
RATMEM_OPTIONS="leaks=1:format=json:report=$TMP/r/%p.json"
export RATMEM_OPTIONS
for mode in spawn vfork exec; do
    rm -f "$TMP"/r/*
    compare "$mode: same output and status as bare" "$P" $mode
    # Bare runs write no report; the shim run wrote one per process.
    want=2; [ $mode = exec ] && want=1   # exec keeps the pid: one process
    n=$(ls "$TMP/r" | wc -l)
    child=$(grep -l '"exec_child_leak"' "$TMP"/r/*.json 2>/dev/null | head -1)
    if [ "$n" != $want ]; then
        fail "$mode: $n report files, expected $want"
    elif [ -z "$child" ]; then
        fail "$mode: no report from the new program"
    else
        report_ok "$mode: the new program's own report" "$child" \
            group:direct=exec_child_leak:1:64 direct_blocks=1 invalid_frees=0
    fi
done
unset RATMEM_OPTIONS
finish

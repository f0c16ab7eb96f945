#!/bin/sh
# run.sh SECONDS CORPUSDIR TARGET... - run each libFuzzer target for SECONDS
# seconds (make fuzz).  New inputs go to fuzz/work/NAME (the seeds in
# CORPUSDIR/NAME are only read), libFuzzer's output to fuzz/NAME.log, and a
# crashing input to fuzz/crash-NAME-*.  Prints one line per target and fails
# when any target crashed.
set -u
secs=$1 corpus=$2
shift 2
failed=0 passed=0
for t in "$@"; do
    name=${t##*/fuzz_}
    mkdir -p "fuzz/work/$name"
    log="fuzz/$name.log"
    # -timeout: one input taking longer than 10 s is a hang (a failure);
    # -rss_limit_mb: well under the machine's memory.
    timeout $((secs + 120)) "./$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="fuzz/crash-$name-" \
        "fuzz/work/$name" "$corpus/$name" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    if [ "$rc" = 0 ]; then
        passed=$((passed + 1))
        echo "fuzz $name: ok, ${runs:-?} inputs in ${secs} s, corpus $(ls "fuzz/work/$name" | wc -l) new + $(ls "$corpus/$name" | wc -l) seeds"
    else
        failed=$((failed + 1))
        echo "fuzz $name: FAILED (exit $rc) after ${runs:-?} inputs; log $log:"
        grep -v '^#[0-9]' "$log" | tail -40 | sed 's/^/    /'
        ls fuzz/crash-"$name"-* 2>/dev/null | sed 's/^/    input: /'
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]

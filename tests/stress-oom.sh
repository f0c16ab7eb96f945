#!/bin/sh
# stress-oom.sh - out of memory under RLIMIT_AS.  The program's own
# allocations fail with NULL/ENOMEM and it goes on; when the tracker's
# bookkeeping cannot get memory it drops the records, counts the blocks
# untracked and says so in the report; nothing crashes.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"
P="$PROG/stress_oom"

for leaks in 0 1; do
    name="program's allocations fail under RLIMIT_AS, leaks=$leaks"
    srun "$name" 60 "leaks=$leaks:format=json:report=$TMP/rep.json" "$P" app && done_ok "$name" && pass "$name"
done
name="tracker memory fails, JSON report"
if srun "$name" 90 "leaks=1:format=json:report=$TMP/rep.json" "$P" tracker && done_ok "$name"; then
    report_ok "$name" "$TMP/rep.json" "untracked_blocks>=1000" invalid_frees=0 direct_blocks=0
fi
name="tracker memory fails, text report"
if srun "$name" 90 "leaks=1:report=$TMP/rep.txt" "$P" tracker && done_ok "$name"; then
    if grep -q '^ratmem: warning: [0-9]* allocation(s) were not tracked' "$TMP/rep.txt"; then pass "$name"
    else fail "$name: no 'not tracked' line"; cat "$TMP/rep.txt" | head -5; fi
fi
name="limit kept until exit: the report itself lacks memory"
if srun "$name" 90 "leaks=1:format=json:report=$TMP/rep2.json" "$P" tracker-keep && done_ok "$name"; then
    if grep -q 'ratmem: the leak report could not be written' "$TMP/err" || [ -s "$TMP/rep2.json" ]; then
        pass "$name"
    else
        fail "$name: neither a report nor a line saying why"
    fi
fi
finish

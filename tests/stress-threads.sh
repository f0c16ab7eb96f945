#!/bin/sh
# stress-threads.sh - 6 and 8 threads doing mixed-size malloc, calloc,
# realloc and free, most frees from another thread than the allocating one;
# the JSON report holds exactly the 3 blocks per thread leaked on purpose.
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"

# sum over t < n of (base + t)
sum() { echo $(( $2 * $1 + $2 * ($2 - 1) / 2 )); }

for spec in "6 20000" "8 8000"; do
    set -- $spec
    n=$1 ops=$2
    name="$n threads x $ops mixed ops"
    srun "$name" 120 "leaks=1:format=json:report=$TMP/rep.json" "$PROG/stress_threads" "$n" "$ops" || continue
    done_ok "$name" || continue
    m=$(sum 100 "$n") c=$(sum 200 "$n") r=$(sum 300 "$n")
    report_ok "$name: exactly the blocks leaked on purpose" "$TMP/rep.json" \
        direct_blocks=$((3 * n)) direct_bytes=$((m + c + r)) indirect_blocks=0 indirect_bytes=0 \
        untracked_blocks=0 invalid_frees=0 \
        group:direct=leak_malloc:$n:$m group:direct=leak_calloc:$n:$c group:direct=leak_realloc:$n:$r \
        only:direct=leak_malloc,leak_calloc,leak_realloc frames:direct=leak_realloc,worker
done
finish

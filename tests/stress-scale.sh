#!/bin/sh
# stress-scale.sh - deep recursion with stack_depth=256 (the leak's stack
# keeps exactly 256 frames), 10 million small blocks (1000 leaked, exactly
# counted), 100 threads each leaking one block (exactly 100 leaks).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"
P="$PROG/stress_scale"
J="leaks=1:format=json:report=$TMP/rep.json"

name="recursion 300 deep, stack_depth=256"
if srun "$name" 60 "$J:stack_depth=256" "$P" deep 300 && done_ok "$name"; then
    report_ok "$name" "$TMP/rep.json" direct_blocks=1 direct_bytes=32 depth:direct=256 \
        frames:direct=deep_leak,recurse
fi
name="recursion 40 deep, stack_depth=256 (the real depth)"
if srun "$name" 60 "$J:stack_depth=256" "$P" deep 40 && done_ok "$name"; then
    # deep_leak, 40 x recurse, main, libc's two start frames, _start
    report_ok "$name" "$TMP/rep.json" direct_blocks=1 depth:direct=45 top:direct=deep_leak
fi
name="10 million small blocks"
if srun "$name" 150 "$J" "$P" many 10000000 && done_ok "$name"; then
    report_ok "$name" "$TMP/rep.json" direct_blocks=1000 direct_bytes=48000 indirect_blocks=0 \
        group:direct=many_leak:1000:48000 only:direct=many_leak untracked_blocks=0
fi
name="100 threads, one leak each"
if srun "$name" 60 "$J" "$P" threads 100 && done_ok "$name"; then
    report_ok "$name" "$TMP/rep.json" direct_blocks=100 direct_bytes=4800 indirect_blocks=0 \
        group:direct=thread_leak:100:4800 only:direct=thread_leak untracked_blocks=0
fi
finish

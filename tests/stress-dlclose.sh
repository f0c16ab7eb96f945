#!/bin/sh
# stress-dlclose.sh - dlopen/dlclose in a loop of a library that leaks: the
# report still names the library's function, module and line after it is
# unmapped (the shim's dlclose remembers the module for the symbolizer).
# The library leaks 48-byte blocks (for a size whose last bytes hold the
# next chunk's header, 33 say, see leaky chunktail in shim-leaks.sh).
. "${top_srcdir:-.}/tests/lib.sh"
. "$top_srcdir/tests/stress-lib.sh"
LIB="$top_builddir/tests/prog/.libs/libstress_leaker.so"

for n in 1 20; do
    name="dlopen/dlclose x$n of a leaking library"
    srun "$name" 60 "leaks=1:format=json:report=$TMP/rep.json" "$PROG/stress_dlclose" "$LIB" $n || continue
    done_ok "$name" || continue
    report_ok "$name" "$TMP/rep.json" direct_blocks=$n direct_bytes=$((48 * n)) indirect_blocks=0 \
        module:direct=libstress_leaker.so frames:direct=leaker_make,main line:direct=stress_leaker.c:7
done
# Text format too: function and module on the frame line.
name="dlclose, text report"
if srun "$name" 60 "leaks=1:report=$TMP/rep.txt" "$PROG/stress_dlclose" "$LIB" 3 && done_ok "$name"; then
    if grep -q 'in leaker_make .*libstress_leaker.so+0x' "$TMP/rep.txt"; then pass "$name"
    else fail "$name: no leaker_make frame"; grep '#0' "$TMP/rep.txt" | head -3; fi
fi
finish

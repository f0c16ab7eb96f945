#!/bin/sh
# exports.sh - only the public RatAPI symbols are exported by libratmem.so
# (and, when built, only the interposed entry points and ratmem_preload_*
# hooks by libratmem-preload.so).
set -u
: "${top_builddir:=.}" "${top_srcdir:=.}"
status=0

defined_syms() {
    nm -D --defined-only "$1" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sed 's/@.*//' | sort -u
}

lib="$top_builddir/lib/.libs/libratmem.so"
[ -f "$lib" ] || { echo "exports: $lib not built"; exit 1; }
# The public functions, read from the header.
expected=$(sed -n 's/^RAT_API [^(]*[ *]\(Rat[A-Za-z]*\)(.*/\1/p' "$top_srcdir/include/ratmem.h" | sort -u)
actual=$(defined_syms "$lib")
if [ "$expected" != "$actual" ]; then
    echo "exports: libratmem.so exports differ from ratmem.h:"
    printf '%s\n' "$expected" >exp.$$; printf '%s\n' "$actual" >act.$$
    diff exp.$$ act.$$; rm -f exp.$$ act.$$
    status=1
fi
n=$(printf '%s\n' "$expected" | wc -l)
[ "$n" -ge 19 ] || { echo "exports: only $n functions found in ratmem.h"; status=1; }

pre="$top_builddir/preload/.libs/libratmem-preload.so"
if [ -f "$pre" ]; then
    allowed='^(malloc|calloc|realloc|free|cfree|posix_memalign|aligned_alloc|memalign|valloc|pvalloc|reallocarray|malloc_usable_size|mmap|mmap64|munmap|mremap|mprotect|pkey_mprotect|shmat|dlclose|wait|waitpid|wait3|wait4|waitid|_exit|_Exit|ratmem_preload_[a-z_]+)$'
    bad=$(defined_syms "$pre" | grep -Ev "$allowed")
    if [ -n "$bad" ]; then
        echo "exports: libratmem-preload.so exports internals:"; echo "$bad"; status=1
    fi
fi
# The Debian symbols file lists exactly the same functions (issue 15);
# dpkg-gensymbols fails the package build on any difference as well.
syms="$top_srcdir/debian/libratmem0.symbols"
if [ -f "$syms" ]; then
    listed=$(sed -n 's/^ \(Rat[A-Za-z]*\)@Base .*/\1/p' "$syms" | sort -u)
    if [ "$expected" != "$listed" ]; then
        echo "exports: debian/libratmem0.symbols differs from ratmem.h (add new functions with the version that brings them):"
        printf '%s\n' "$expected" >exp.$$; printf '%s\n' "$listed" >lst.$$
        diff exp.$$ lst.$$; rm -f exp.$$ lst.$$
        status=1
    fi
fi
[ $status = 0 ] && echo "exports: ok ($n RatAPI functions)"
exit $status

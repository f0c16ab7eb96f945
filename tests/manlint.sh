#!/bin/sh
# manlint.sh - every man page under $top_srcdir/man passes
# `mandoc -T lint -W warning` with no output, and is installed.
#
# A link page, whose only line is ".so manN/PAGE.N", is not linted itself:
# mandoc warns about every .so request ("fragile") whatever it names.  It
# is checked instead to point at a page of the same directory and section,
# which is linted in its own right.  Every page must also be listed in
# dist_man_MANS (man/Makefile.inc).  Skipped (77) without mandoc.
set -u
: "${top_srcdir:=.}"
mandir="$top_srcdir/man"

if ! command -v mandoc >/dev/null 2>&1; then
    echo "manlint: mandoc not found, skipped"
    exit 77
fi

status=0
pages=0
fail() { echo "manlint: $*"; status=1; }

# dist_man_MANS, joined onto one line.
listed=$(sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$mandir/Makefile.inc" |
    sed -n 's/^dist_man_MANS[ 	]*=//p' | tr '\t' ' ')

for page in "$mandir"/*.[1-9]; do
    [ -f "$page" ] || continue
    pages=$((pages + 1))
    name=${page##*/}
    sec=${name##*.}

    case " $listed " in
    *" man/$name "*) ;;
    *) fail "$name: not listed in dist_man_MANS (man/Makefile.inc)" ;;
    esac

    first=$(sed -n 1p "$page")
    case $first in
    ".so "*)
        if [ "$(wc -l <"$page")" -ne 1 ]; then
            fail "$name: a .so link page must hold that one line only"
            continue
        fi
        target=${first#.so }
        case $target in
        man"$sec"/*."$sec") ;;
        *) fail "$name: .so target '$target' is not man$sec/PAGE.$sec"; continue ;;
        esac
        tname=${target#man"$sec"/}
        if [ ! -f "$mandir/$tname" ]; then
            fail "$name: .so target $tname does not exist in man/"
        elif sed -n 1p "$mandir/$tname" | grep -q '^\.so '; then
            fail "$name: .so target $tname is itself a link"
        fi
        ;;
    *)
        out=$(mandoc -T lint -W warning "$page" 2>&1)
        if [ -n "$out" ]; then
            printf '%s\n' "$out"
            fail "$name: mandoc -T lint -W warning reported the lines above"
        fi
        ;;
    esac
done

if [ "$pages" -eq 0 ]; then
    fail "no man pages found in $mandir"
fi
[ "$status" -eq 0 ] && echo "manlint: $pages pages clean"
exit "$status"

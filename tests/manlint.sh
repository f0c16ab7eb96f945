#!/bin/sh
# manlint.sh - every man page under $top_srcdir/man passes
# `mandoc -T lint -W warning` with no output, and is installed.
#
# Functions documented on another function's page are installed as
# symbolic links (MAN3_LINKS in man/Makefile.inc, LINK:PAGE): each PAGE
# must be a page of man/ listed in dist_man_MANS, and no LINK may also be a
# page.  Every page must be listed in dist_man_MANS.  Skipped (77) without
# mandoc.
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

# dist_man_MANS, its = and += lines joined onto one line.
listed=$(sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$mandir/Makefile.inc" |
    sed -n 's/^dist_man_MANS[ 	]*+\{0,1\}=//p' | tr '\t\n' '  ')

for page in "$mandir"/*.[1-9]; do
    [ -f "$page" ] || continue
    pages=$((pages + 1))
    name=${page##*/}
    sec=${name##*.}

    case " $listed " in
    *" man/$name "*) ;;
    *) fail "$name: not listed in dist_man_MANS (man/Makefile.inc)" ;;
    esac

    out=$(mandoc -T lint -W warning "$page" 2>&1)
    if [ -n "$out" ]; then
        printf '%s\n' "$out"
        fail "$name: mandoc -T lint -W warning reported the lines above"
    fi
done

# MAN3_LINKS, its continuation lines joined.
man3_links=$(sed -e ':a' -e '/\\$/{N;s/\\\n/ /;ba' -e '}' "$mandir/Makefile.inc" |
    sed -n 's/^MAN3_LINKS[ 	]*=//p' | tr '\t\n' '  ')
links=0
for l in $man3_links; do
    links=$((links + 1))
    link=${l%%:*} target=${l#*:}
    case $link:$target in
    *.3:*.3) ;;
    *) fail "MAN3_LINKS entry '$l' is not LINK.3:PAGE.3"; continue ;;
    esac
    [ -f "$mandir/$link" ] && fail "$link: both a page in man/ and a link"
    if [ ! -f "$mandir/$target" ]; then
        fail "$link: link target $target does not exist in man/"
    else
        case " $listed " in
        *" man/$target "*) ;;
        *) fail "$link: link target $target is not in dist_man_MANS" ;;
        esac
    fi
done
[ "$links" -gt 0 ] || fail "no MAN3_LINKS found in $mandir/Makefile.inc"

if [ "$pages" -eq 0 ]; then
    fail "no man pages found in $mandir"
fi
[ "$status" -eq 0 ] && echo "manlint: $pages pages clean, $links links"
exit "$status"

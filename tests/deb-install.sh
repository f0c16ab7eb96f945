#!/bin/sh
# deb-install.sh - the Debian packages (issue 15), checked against the
# installed system only.  From a configured tree (run by tests/run-all.sh):
#
#   1. make deb: dpkg-buildpackage in a clean copy of the distributed tree
#      (DEB_BUILD_OPTIONS=nocheck: run-all.sh has run make check already),
#      and lintian must report no error and no warning;
#   2. apt-get install ./_build/deb/*.deb, as the README says;
#   3. from an empty temporary directory, with env -i and PATH=/usr/bin:/bin
#      (no build tree on any path): the installed ratmem finds the packaged
#      shim by itself and python3 prints 45 under it with a leak report; the
#      shim preloaded by hand from its documented path does the same; a
#      program using every RatAPI group builds with
#      cc prog.c $(pkg-config --cflags --libs ratmem) and runs, alone and
#      under ratmem; ratmem diff and ratmem report work; man -w finds the pages;
#   4. apt-get purge: no package left, and none of their files or private
#      directories.
#
# It installs packages, so it runs only as root with apt-get, dpkg-dev and
# debhelper present, and not when ratmem packages are installed already (it
# would replace and then purge them).  Otherwise it prints why and exits 77.
# RATMEM_SKIP_DEB=1 skips it too.  Concurrent runs on one machine take turns
# (flock).
set -u
cd "$(dirname "$0")/.." || exit 1
PKGS="libratmem0 libratmem-dev ratmem"

skip() { echo "deb-install: skipped: $*"; exit 77; }
[ "${RATMEM_SKIP_DEB:-0}" = 0 ] || skip "RATMEM_SKIP_DEB is set"
[ "$(id -u)" = 0 ] || skip "not root (apt-get install needs root)"
for c in apt-get dpkg-buildpackage dh flock man; do
    command -v "$c" >/dev/null 2>&1 || skip "$c not found (install apt, dpkg-dev, debhelper, util-linux, man-db)"
done
[ -f Makefile ] || { echo "deb-install: run from a configured tree (./configure)"; exit 1; }

fails=0 passes=0
pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*"; }

# One run at a time per machine: another run's purge must not pull the
# packages away from under this one's checks.
mkdir -p /run/lock && exec 9>/run/lock/ratmem-deb-install.lock || exit 1
flock -w 900 9 || { echo "deb-install: another run holds /run/lock/ratmem-deb-install.lock"; exit 1; }

installed() {
    for p in $PKGS; do
        dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[iufhwt]' && echo "$p"
    done
}
pre=$(installed)
[ -z "$pre" ] || skip "ratmem packages installed already ($(echo $pre)); purge them to run this test"

TMP=$(mktemp -d /tmp/ratmem-deb.XXXXXX) || exit 1
chmod 755 "$TMP"
ours=""
cleanup() {
    if [ -n "$ours" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 $ours >/dev/null 2>&1
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# 1. Build.
start=$(date +%s)
if ! DEB_BUILD_OPTIONS="nocheck${DEB_BUILD_OPTIONS:+ $DEB_BUILD_OPTIONS}" DEB_BUILD_PROFILES=nocheck \
        make deb >"$TMP/build.log" 2>&1; then
    tail -40 "$TMP/build.log"
    echo "not ok - make deb failed (log above)"
    exit 1
fi
pass "make deb in $(( $(date +%s) - start )) s: $(cd _build/deb && echo *.deb)"
version=$(sed -n 's/^PACKAGE_VERSION = //p' Makefile)
for p in $PKGS; do
    f=$(echo _build/deb/${p}_*.deb)
    if [ -f "$f" ]; then
        v=$(dpkg-deb -f "$f" Version)
        [ "$v" = "$version" ] && pass "$p $v built" || fail "$p has version $v, configure.ac says $version (update debian/changelog)"
    else
        fail "$p: no .deb built"
    fi
done
if [ -f _build/deb/lintian.txt ]; then
    if grep -E '^[EW]: ' _build/deb/lintian.txt; then
        fail "lintian reports errors or warnings (above; fix them or override with a reason)"
    else
        pass "lintian: no error, no warning"
    fi
else
    echo "# lintian not installed: packages not linted"
fi

# 2. Install, the way the README says.
debs=$(ls "$PWD"/_build/deb/*.deb)
ours=$(for f in $debs; do dpkg-deb -f "$f" Package; done | tr '\n' ' ')
# path-include: docker-style images exclude /usr/share/man from every
# package; the pages are part of what is checked here.
if DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
        -o DPkg::Options::=--path-include=/usr/share/man/* $debs >"$TMP/apt.log" 2>&1; then
    pass "apt-get install ./*.deb ($ours)"
else
    cat "$TMP/apt.log"; echo "not ok - apt-get install failed"; exit 1
fi

# 3. The installed system only.
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
SHIM=/usr/lib/$triplet/ratmem/libratmem-preload.so
cd "$TMP" || exit 1
run() { env -i PATH=/usr/bin:/bin HOME="$TMP" LANG=C "$@"; }

[ -f "$SHIM" ] && pass "the shim is at $SHIM" || fail "no shim at $SHIM"
p=$(run sh -c 'command -v ratmem')
[ "$p" = /usr/bin/ratmem ] && pass "ratmem on PATH is /usr/bin/ratmem" || fail "ratmem on PATH: '$p'"

run ratmem -- /usr/bin/python3 -c 'print(sum(range(10)))' >out 2>err; rc=$?
if [ $rc = 0 ] && [ "$(cat out)" = 45 ] && grep -q '^ratmem: .*leak' err; then
    pass "ratmem -- python3 prints 45 with a leak report ($(grep -m1 '^ratmem: ' err))"
else
    fail "ratmem -- python3: status $rc, stdout '$(cat out)', stderr:"; cat err
fi
# A real leak, found and symbolized by the packaged shim.
run ratmem -- /usr/bin/python3 -c 'import ctypes; ctypes.CDLL(None).malloc(4242); print(sum(range(10)))' >out 2>err; rc=$?
if [ $rc = 0 ] && [ "$(cat out)" = 45 ] && grep -q 'Direct leak of 4242 byte(s) in 1 object(s)' err; then
    pass "ratmem -- python3 reports a 4242-byte leak made through ctypes"
else
    fail "ratmem -- python3 (ctypes leak): status $rc, stdout '$(cat out)', stderr:"; cat err
fi
ld=$(run ratmem -- /bin/sh -c 'printf %s "$LD_PRELOAD"' 2>/dev/null)
[ "$ld" = "$SHIM" ] && pass "ratmem preloads the packaged shim with no variable set" \
    || fail "ratmem preloaded '$ld', not $SHIM"
run LD_PRELOAD="$SHIM" /usr/bin/python3 -c 'print(sum(range(10)))' >out 2>err; rc=$?
if [ $rc = 0 ] && [ "$(cat out)" = 45 ] && grep -q '^ratmem: .*leak' err; then
    pass "LD_PRELOAD=$SHIM python3 prints 45 with a leak report"
else
    fail "LD_PRELOAD by hand: status $rc, stdout '$(cat out)', stderr:"; cat err
fi
# The documented LD_PRELOAD path (README, libratmem-preload(7)) is the
# packaged one; the docs name amd64's.
if [ "$triplet" = x86_64-linux-gnu ]; then
    docs=""
    zcat /usr/share/doc/ratmem/README.gz | grep -qF "LD_PRELOAD=$SHIM" || docs="$docs README"
    run MANWIDTH=200 man 7 libratmem-preload 2>/dev/null | grep -qF "LD_PRELOAD=$SHIM" || docs="$docs libratmem-preload(7)"
    [ -z "$docs" ] && pass "README and libratmem-preload(7) name LD_PRELOAD=$SHIM" \
        || fail "LD_PRELOAD=$SHIM not named in the installed$docs"
fi
v=$(run ratmem --version 2>&1)
[ "$v" = "ratmem $version" ] && pass "ratmem --version: $v" || fail "ratmem --version: '$v'"

# Every RatAPI group: heap, virtual memory, shared memory, file views,
# status, quota, leak report and heap dump, huge pages, NUMA.
cat >prog.c <<'EOF'
#include <ratmem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static int failed;
/* A failed check is reported; a NULL that later code would use ends the run. */
#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #c, \
    RatStatusString(RatGetLastError())); failed = 1; } } while (0)

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int shim = argc > 1 && strcmp(argv[1], "shim") == 0;
    char name[64];
    snprintf(name, sizeof name, "ratmem-deb-%d", (int)getpid());

    /* heap */
    unsigned char *p = RatMemCalloc(4, 1000);
    CHECK(p && p[3999] == 0);
    if (!p) return 1;
    p = RatMemRealloc(p, 8000);
    CHECK(p && p[7999] == 0);
    if (!p) return 1;
    CHECK(RatMemFree(p) == RAT_STATUS_OK);
    CHECK(RatMemFree(p) == RAT_STATUS_INVALID_ARG);
    CHECK(RatGetLastError() == RAT_STATUS_INVALID_ARG);
    CHECK(strlen(RatStatusString(RAT_STATUS_NO_MEMORY)) > 0);
    void *a = RatMemAlloc(100);
    CHECK(a != NULL);
    RatMemFree(a);

    /* virtual memory, W^X */
    char *r = RatMemReserve(1 << 20);
    CHECK(r != NULL);
    if (!r) return 1;
    CHECK(RatMemCommit(r, 8192, RAT_MEM_READ | RAT_MEM_WRITE) == RAT_STATUS_OK);
    r[8191] = 1;
    CHECK(RatMemProtect(r, 4096, RAT_MEM_WRITE | RAT_MEM_EXECUTE) == RAT_STATUS_PERMISSION);
    CHECK(RatMemProtect(r, 4096, RAT_MEM_READ) == RAT_STATUS_OK);
    CHECK(RatMemDecommit(r, 8192) == RAT_STATUS_OK);
    CHECK(RatMemRelease(r, 0) == RAT_STATUS_OK);

    /* shared memory */
    char *s = RatSharedMemCreate(name, 4096);
    CHECK(s != NULL);
    if (!s) return 1;
    size_t size = 0;
    CHECK(RatSharedMemSize(s, &size) == RAT_STATUS_OK && size == 4096);
    strcpy(s, "shared");
    char *o = RatSharedMemOpen(name);
    CHECK(o && strcmp(o, "shared") == 0);
    if (!o) return 1;
    CHECK(RatSharedMemClose(o) == RAT_STATUS_OK);
    CHECK(RatSharedMemClose(s) == RAT_STATUS_OK);
    CHECK(RatSharedMemUnlink(name) == RAT_STATUS_OK);
    CHECK(RatSharedMemOpen(name) == NULL && RatGetLastError() == RAT_STATUS_NOT_FOUND);

    /* file views */
    int fd = open("view.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0 && write(fd, "file view\n", 10) == 10);
    char *v = RatFileMapView(fd, 0, 10, RAT_MEM_READ, RAT_MEM_PRIVATE);
    CHECK(v && memcmp(v, "file view", 9) == 0);
    if (!v) return 1;
    CHECK(RatFileUnmapView(v) == RAT_STATUS_OK);
    close(fd);

    /* quota */
    size_t limit = 1, used = 0, peak = 0;
    CHECK(RatMemSetQuota(64 << 20) == RAT_STATUS_OK);
    CHECK(RatMemGetQuota(&limit, &used, &peak) == RAT_STATUS_OK && limit == 64 << 20);
    CHECK(RatMemSetQuota(0) == RAT_STATUS_OK);

    /* leak report and heap dump: only under the preload shim */
    void *keep = malloc(4321);
    RatStatus lr = RatLeakReport("leaks.txt"), hd = RatHeapDump("dump.json");
    if (shim) {
        CHECK(lr == RAT_STATUS_OK && access("leaks.txt", F_OK) == 0);
        CHECK(hd == RAT_STATUS_OK && access("dump.json", F_OK) == 0);
    } else {
        CHECK(lr == RAT_STATUS_UNSUPPORTED && hd == RAT_STATUS_UNSUPPORTED);
    }
    free(keep);

    /* huge pages */
    size_t huge = RatMemHugePageSize();
    CHECK(huge >= 4096);
    RatPageKind kind;
    char *h = RatMemReserveHuge(huge, &kind);
    CHECK(h != NULL);
    CHECK(RatMemRelease(h, 0) == RAT_STATUS_OK);

    /* NUMA */
    int nodes = RatNumaNodeCount();
    CHECK(nodes >= 1);
    char *n = RatMemReserve(1 << 16);
    RatStatus ns = RatMemSetNumaPolicy(n, 1 << 16, RAT_NUMA_DEFAULT, 0);
    CHECK(ns == RAT_STATUS_OK || ns == RAT_STATUS_UNSUPPORTED);
    RatMemRelease(n, 0);

    if (!failed)
        printf("all RatAPI groups ok%s\n", shim ? " under the shim" : "");
    return failed;
}
EOF
if run sh -c 'cc -Wall -Werror -o prog prog.c $(pkg-config --cflags --libs ratmem)' >cc.log 2>&1; then
    pass "cc prog.c \$(pkg-config --cflags --libs ratmem) ($(run pkg-config --libs ratmem))"
    lib=$(run ldd ./prog | sed -n 's|.*libratmem\.so\.0 => \([^ ]*\).*|\1|p')
    # /lib is /usr/lib on a merged-/usr system: compare the files.
    [ -n "$lib" ] && [ "$(readlink -f "$lib")" = "$(readlink -f "/usr/lib/$triplet/libratmem.so.0")" ] && pass "prog uses $lib" || fail "prog finds libratmem.so.0 at '$lib'"
    out=$(run ./prog 2>&1); rc=$?
    [ $rc = 0 ] && pass "prog: $out" || { fail "prog: status $rc"; echo "$out"; }
    out=$(run ratmem --json --report=report.json -- ./prog shim 2>&1); rc=$?
    [ $rc = 0 ] && grep -q '"ratmem_report"' dump.json && pass "ratmem -- prog: $(echo "$out" | head -1)" \
        || { fail "ratmem -- prog: status $rc"; echo "$out"; }
    # ratmem diff of the dump with itself: no growth, status 0.
    out=$(run ratmem diff dump.json dump.json 2>&1); rc=$?
    [ $rc = 0 ] && pass "ratmem diff on an installed-shim dump" || { fail "ratmem diff: status $rc"; echo "$out"; }
    # ratmem report, text and pprof (the pprof encoder in the installed command).
    out=$(run ratmem report dump.json 2>&1); rc=$?
    if [ $rc = 0 ] && echo "$out" | grep -q 'Live: 4321 byte(s) in 1 object(s)'; then
        pass "ratmem report shows the 4321-byte live block of the dump"
    else
        fail "ratmem report: status $rc"; echo "$out"
    fi
    out=$(run ratmem report --format=pprof -o dump.pb.gz dump.json 2>&1); rc=$?
    [ $rc = 0 ] && gzip -t dump.pb.gz 2>/dev/null && pass "ratmem report --format=pprof writes a gzip'd profile" \
        || { fail "ratmem report --format=pprof: status $rc"; echo "$out"; }
else
    cat cc.log; fail "prog.c does not build against the installed libratmem-dev"
fi

pages=$(run man -w ratmem RatMemAlloc libratmem-preload RatMemFree 2>&1); rc=$?
n=$(echo "$pages" | grep -c '^/usr/share/man/man[137]/')
if [ $rc = 0 ] && [ "$n" = 4 ]; then
    pass "man -w ratmem RatMemAlloc libratmem-preload RatMemFree:" $pages
else
    fail "man -w: status $rc: $pages"
fi

# 4. Purge: no package, no file, no private directory left.
cd / || exit 1
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -q -o DPkg::Lock::Timeout=300 $ours >"$TMP/purge.log" 2>&1; then
    pass "apt-get purge $ours"
else
    cat "$TMP/purge.log"; fail "apt-get purge failed"
fi
left=""
for p in $ours; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^.[^n]' && left="$left $p"
done
ours=""
[ -z "$left" ] && pass "no ratmem package left" || fail "packages left:$left"
stray=""
for f in $debs; do
    for path in $(dpkg-deb -c "$f" | awk '{print substr($6, 2)}'); do
        case "$path" in
        /|*/) case "$path" in *ratmem*) [ -e "$path" ] && stray="$stray $path" ;; esac ;;
        *) { [ -e "$path" ] || [ -L "$path" ]; } && stray="$stray $path" ;;
        esac
    done
done
[ -z "$stray" ] && pass "nothing of the packages left on disk" || fail "left on disk:$stray"

echo "deb-install: $passes passed, $fails failed"
[ $fails = 0 ]

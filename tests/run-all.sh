#!/bin/sh
# run-all.sh - the whole test suite: the unit and integration tests
# (make check), the core tests under ASan+UBSan and under valgrind, a short
# run of each libFuzzer target (make fuzz, 10 s each), make distcheck, and,
# as root where apt-get works, the Debian packages built, installed, checked
# on the installed system and purged (tests/deb-install.sh; it prints why
# when it skips).  Needs what setup.sh installs.
set -eu
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$jobs"

echo "== make check =="
make -j"$jobs" check || { cat test-suite.log; exit 1; }

echo "== core tests under ASan+UBSan =="
# A separate copy of the distributed sources, configured with sanitizers.
rm -rf _build/sanitize && mkdir -p _build
make distdir distdir=_build/sanitize >/dev/null
(cd _build/sanitize && ./configure -q --enable-sanitizers && make -j"$jobs" check-core)

echo "== core tests under valgrind =="
make check-valgrind

echo "== libFuzzer targets, 10 s each =="
make fuzz FUZZ_SECONDS=10

echo "== make bench smoke (one round, tiny inputs: it runs; times are not judged) =="
make bench BENCH_ARGS="--rounds 1 --quick" >_build/bench-smoke.log 2>&1 || { cat _build/bench-smoke.log; exit 1; }
tail -22 _build/bench-smoke.log

echo "== make distcheck =="
make -j"$jobs" distcheck >_build/distcheck.log 2>&1 || { tail -50 _build/distcheck.log; exit 1; }
echo "distcheck: ok"

echo "== Debian packages: make deb, apt-get install, check the installed system, purge =="
deb=0
sh tests/deb-install.sh || deb=$?
case $deb in 0) stages=6 ;; 77) stages=5 ;; *) exit 1 ;; esac
# One closing line for CI: the automake tests plus the extra stages that ran.
n=$(sed -n 's/^# PASS: *//p' test-suite.log)
echo "run-all: $((n + stages)) passed, 0 failed"

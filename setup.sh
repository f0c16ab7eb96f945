#!/bin/sh
# setup.sh - set up ratmem on a fresh Debian 12 machine: install the build
# dependencies, build, and show it at work.  Run as root or with sudo rights.
set -eu
cd "$(dirname "$0")"

PKGS="build-essential autoconf automake libtool pkg-config check libunwind-dev libdw-dev mandoc valgrind liblsan0 python3 perl g++ clang libclang-rt-dev libprotobuf-c-dev protobuf-c-compiler libjansson-dev zlib1g-dev python3-protobuf protobuf-compiler debhelper dpkg-dev lintian man-db libpython3.11-testsuite chromium golang-go graphviz"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y $missing
fi

[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure
make -j"$(nproc)"

echo "== the RatAPI example =="
./examples/hello-ratapi

echo "== an unmodified program under the shim, with its leak report =="
./tools/ratmem -- perl -e 'my %h = map { $_ => "x" x $_ } 1..1000; print scalar(keys %h), " keys\n"'


#!/bin/sh
# report-html.sh - `ratmem report --format=html` opened in headless Chromium
# (Debian's chromium, driven by playwright-core from npm; see
# tests/browser/): a leak report, a process-tree document, --base growth
# between two heap dumps, and a synthetic 13 000-stack, ~30 MB heap dump
# that must be drawn within 2 s.  tests/browser/report-html.mjs checks what
# a person sees (no console errors, no network, the top leak's function in
# the graph, zoom, search, table, tooltip) and writes a screenshot:
# tests/report-html.png here, and also $RATMEM_SCREENSHOT when set
# (RATMEM_SCREENSHOT=$PWD/doc/report.png refreshes the README's picture).
# Skips only without node or chromium; the npm tooling is installed by
# tests/browser/install.sh (into $RATMEM_BROWSER_TOOLS or ~/.cache) when
# missing.
. "${top_srcdir:-.}/tests/lib.sh"
RATMEM="$top_builddir/tools/ratmem"
BROWSER="$top_srcdir/tests/browser"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
command -v node >/dev/null || { echo "SKIP: node not found (apt-get install nodejs)"; exit 77; }
[ -n "$CHROMIUM" ] && [ -x "$CHROMIUM" ] || { echo "SKIP: chromium not found (apt-get install chromium)"; exit 77; }
if ! tools=$(sh "$BROWSER/install.sh"); then
    fail "cannot install playwright-core with npm (tests/browser/install.sh)"
    finish
    exit 1
fi

# html NAME ARGS...: ratmem report --format=html -o $TMP/NAME.html ARGS.
html() {
    out="$TMP/$1.html"; shift
    if "$RATMEM" report --format=html -o "$out" "$@" 2>"$TMP/report.err" && [ -s "$out" ]; then
        return 0
    fi
    fail "ratmem report --format=html $*"; cat "$TMP/report.err"
    return 1
}
leaky() {  # leaky MODE: the JSON leak report of tests/prog/leaky MODE (the shim's own)
    RATMEM_OPTIONS="format=json:reachable=1:stack_depth=48:report=$TMP/$1.json" shim "$PROG/leaky" "$1" >/dev/null 2>&1
    [ -s "$TMP/$1.json" ] || { fail "no report from leaky $1"; return 1; }
}

ok=1
leaky family || ok=0
# A sampled run's report (sample=): the page shows the estimates.
RATMEM_OPTIONS="format=json:sample=16:report=$TMP/sampled.json" shim "$PROG/leaky" family >/dev/null 2>&1
[ -s "$TMP/sampled.json" ] || { fail "no sampled report"; ok=0; }
# A process-tree document: sh runs leaky twice under the launcher.
"$RATMEM" --preload="$SHIM" --json --reachable --report="$TMP/tree.json" -- \
    sh -c "'$PROG/leaky' family; '$PROG/leaky' deep" >/dev/null 2>&1
[ -s "$TMP/tree.json" ] || { fail "no tree document from the launcher"; ok=0; }
# A report whose names hold markup: shown as text, never run.
cat >"$TMP/evil.json" <<'EOF'
{ "ratmem_report": 1, "type": "leaks", "pid": 7, "exe": "/tmp/a\"b<c>",
  "summary": { "direct_bytes": 64, "direct_blocks": 1 },
  "leaks": [ { "kind": "direct", "bytes": 64, "blocks": 1, "frames": [
    { "pc": "0x1", "function": "</script><script>alert(1)</script>", "module": "/x/<!--lib.so", "offset": "0x1", "file": "a<b>&c.c", "line": 3 },
    { "pc": "0x2", "function": "std::vector<int, std::allocator<int> >::push_back(int&&)", "module": "/x/app", "offset": "0x2" } ] } ] }
EOF
# Two heap dumps of tests/prog/dumper: grow_site grows, stable_site stays.
RATMEM_OPTIONS=format=json shim "$PROG/dumper" api "$TMP" >/dev/null 2>&1
[ -s "$TMP/api.2.json" ] || { fail "no heap dumps from dumper"; ok=0; }
# The large dump.
node "$BROWSER/bigdump.mjs" "$TMP/big.json" 13000 || { fail "bigdump.mjs"; ok=0; }
# The screenshot's page: a heap dump of python3 at work, when there is one.
shot="$TMP/family.json"
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3 || true)
if [ -n "$py" ]; then
    "$RATMEM" --preload="$SHIM" --json --dump-signal=USR2 --dump="$TMP/py.json" -- "$py" -c '
import json, os, signal, sqlite3, xml.dom.minidom, email.parser, decimal, collections
db = sqlite3.connect(":memory:")
db.execute("create table t (k text, v text)")
db.executemany("insert into t values (?, ?)", ((str(i), "v" * (i % 50)) for i in range(5000)))
index = {str(i): [i] * (i % 9) for i in range(30000)}
docs = [json.loads(json.dumps({"id": i, "tags": ["a", "b"] * (i % 5)})) for i in range(3000)]
os.kill(os.getpid(), signal.SIGUSR2)
' >/dev/null 2>&1
    [ -s "$TMP/py.json.1" ] && shot="$TMP/py.json.1"
fi

if [ $ok = 1 ] && html family "$TMP/family.json" && html tree "$TMP/tree.json" \
    && html diff --base "$TMP/api.1.json" "$TMP/api.2.json" && html big "$TMP/big.json" \
    && html shot "$shot" && html evil "$TMP/evil.json" && html sampled "$TMP/sampled.json"; then
    pass "ratmem report --format=html wrote the pages ($(wc -c <"$TMP/big.html") bytes for the large dump)"
    # one self-contained file: no src=, href= or url() that leaves the page
    if grep -Eiq '(src|href)=["'"'"']?(https?:|//)|url\((https?:|//)|@import' "$TMP/family.html"; then
        fail "the page refers to something outside itself"
    else
        pass "the page refers to nothing outside itself"
    fi
    shots="\"$top_builddir/tests/report-html.png\""
    [ -n "${RATMEM_SCREENSHOT:-}" ] && shots="$shots, \"$RATMEM_SCREENSHOT\""
    cat >"$TMP/cfg.json" <<EOF
{ "tools": "$tools", "chromium": "$CHROMIUM", "limit_ms": 2000,
  "family": { "html": "$TMP/family.html", "json": "$TMP/family.json" },
  "tree": { "html": "$TMP/tree.html", "json": "$TMP/tree.json" },
  "diff": { "html": "$TMP/diff.html", "grows": "grow_site", "stable": "stable_site" },
  "big": { "html": "$TMP/big.html", "json": "$TMP/big.json" },
  "evil": { "html": "$TMP/evil.html", "json": "$TMP/evil.json" },
  "sampled": { "html": "$TMP/sampled.html", "json": "$TMP/sampled.json" },
  "shot": { "html": "$TMP/shot.html", "png": [ $shots ] } }
EOF
    if timeout 120 node "$BROWSER/report-html.mjs" "$TMP/cfg.json" >"$TMP/browser.out" 2>&1; then
        pass "the pages in headless Chromium"
    else
        fail "the pages in headless Chromium"
    fi
    grep -v '^[0-9]* passed' "$TMP/browser.out" | sed 's/^/    /'
fi

# Bad input: one line, status 2, no output file.
printf '{"ratmem_report": 1, "type": "dump", "leaks": [' >"$TMP/trunc.json"
"$RATMEM" report --format=html -o "$TMP/bad.html" "$TMP/trunc.json" 2>"$TMP/bad.err"; rc=$?
if [ $rc = 2 ] && [ "$(wc -l <"$TMP/bad.err")" = 1 ] && [ ! -e "$TMP/bad.html" ] && ! ls "$TMP" | grep -q 'bad\.html'; then
    pass "a truncated document: status 2, one line, no page left behind"
else
    fail "a truncated document: status $rc"; cat "$TMP/bad.err"
fi
finish

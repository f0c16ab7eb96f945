# gopprof-lib.sh - sourced by the tests that read our profiles with Google's
# own pprof, the Go program behind `pprof -top` and `pprof -http`.
# Debian's golang-go ships it prebuilt (`go tool pprof`, in
# $(go env GOTOOLDIR)), so nothing is built at test time.
# GOPPROF: its path, or "" when this machine has none.  Looked for in this
# order: $RATMEM_GOPPROF; `go env GOTOOLDIR`/pprof; a pprof on PATH that
# is Go's (it knows -http; gperftools' is named google-pprof on Debian);
# /usr/lib/go*/pkg/tool/*/pprof.
gopprof_is_go() {
    [ -x "$1" ] && "$1" -h 2>&1 | grep -q -- '-http'
}
GOPPROF=""
for _c in "${RATMEM_GOPPROF:-}" \
    "$(command -v go >/dev/null 2>&1 && go env GOTOOLDIR 2>/dev/null)/pprof" \
    "$(command -v pprof 2>/dev/null)" /usr/lib/go*/pkg/tool/*/pprof; do
    case $_c in /*) ;; *) continue ;; esac
    if gopprof_is_go "$_c"; then GOPPROF=$_c; break; fi
done
unset _c

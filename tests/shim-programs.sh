#!/bin/sh
# shim-programs.sh - real, unmodified programs behave the same under the
# shim: identical stdout and exit status.
. "${top_srcdir:-.}/tests/lib.sh"
export RATMEM_OPTIONS="${RATMEM_OPTIONS:-report=$TMP/report.%p}"

compare "sh -c script" sh -c 'i=0; s=""; while [ $i -lt 500 ]; do s="$s$i,"; i=$((i+1)); done; echo "${#s}"; for w in b a c; do echo $w; done | sort; exit 3'
compare "ls -R /usr/include" ls -R /usr/include
seq 1 200000 | awk '{ printf "%08d %s\n", ($1 * 7919) % 100003, $1 }' >"$TMP/unsorted"
compare "sort of 200000 lines" sort "$TMP/unsorted"
compare "sort -n -r -u" sort -n -r -u "$TMP/unsorted"
compare "python3 threads" python3 -c '
import threading
res = {}
def work(n):
    d = {str(i): [i] * (i % 7) for i in range(20000)}
    res[n] = sum(len(v) for v in d.values())
ts = [threading.Thread(target=work, args=(n,)) for n in range(4)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(res.items()))'
PYTHONMALLOC=malloc compare "python3 PYTHONMALLOC=malloc" python3 -c '
import json, re
data = [{"k": i, "v": "x" * (i % 50), "l": list(range(i % 20))} for i in range(30000)]
s = json.dumps(data)
print(len(s), len(re.findall(r"\d+", s)), sum(len(d["v"]) for d in json.loads(s)))'
compare "perl hashes" perl -e 'my %h; for my $i (1..100000) { $h{"k$i"} = "v" x ($i % 40); } my $t = 0; $t += length($h{$_}) for keys %h; print scalar(keys %h), " $t\n"; exit 4'
cat >"$TMP/unit.c" <<'EOC'
#include <stdio.h>
#include <stdlib.h>
struct node { struct node *next; int v; };
int sum(int n) { struct node *h = NULL; for (int i = 0; i < n; i++) { struct node *x = malloc(sizeof *x); x->v = i; x->next = h; h = x; } int s = 0; while (h) { struct node *n2 = h->next; s += h->v; free(h); h = n2; } return s; }
int main(void) { printf("%d\n", sum(100)); return 0; }
EOC
compare "gcc -c" sh -c "gcc -O2 -Wall -c -o '$TMP/unit.o' '$TMP/unit.c' && nm '$TMP/unit.o' | awk '{print \$NF}' | sort"
compare "C++ vector/string/thread" "$PROG/cxx_basics"
finish

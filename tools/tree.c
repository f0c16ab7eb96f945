/* tree.c - the run's processes and the whole-run documents (see tree.h).
 *
 * The records come from the run directory (track/report/run.c writes them):
 * ID.start, ID.json (the process's v1 report), ID.exit, ID = "PID-N".
 * Merged groups join the groups of the same kind and stack across
 * processes, stacks compared frame by frame by module and offset (the
 * addresses differ from process to process). */
#define _GNU_SOURCE
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "doc.h"
#include "out.h"
#include "tree.h"

static json_t *load(const char *dir, const char *id, const char *ext)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s.%s", dir, id, ext);
    return json_load_file(path, 0, NULL);
}

/* The JSON lines of dir/name, each parsed (a line that does not parse, a
 * record cut short, is left out); an array, empty when there is none. */
static json_t *load_lines(const char *dir, const char *name)
{
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *lines = json_array();
    FILE *f = fopen(path, "re");
    if (!f)
        return lines;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_t *v = json_loads(line, 0, NULL);
        if (v)
            json_array_append_new(lines, v);
    }
    free(line);
    fclose(f);
    return lines;
}

/* s as a JSON string: bytes that are not UTF-8 become U+FFFD, as the
 * shim writes them (json_string refuses them: an argument would be lost). */
static json_t *utf8_string(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    size_t n = strlen(s);
    char *o = malloc(n * 3 + 1);
    if (!o)
        return json_string("");
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        const unsigned char *u = (const unsigned char *)s + i;
        size_t len = u[0] < 0x80 ? 1 : (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3
                   : (u[0] & 0xf8) == 0xf0 ? 4 : 0;
        bool ok = len && i + len <= n;
        for (size_t m = 1; ok && m < len; m++)
            ok = (u[m] & 0xc0) == 0x80;
        if (ok && len > 1) {
            /* Overlong forms, surrogates and code points past U+10FFFF. */
            json_t *t = json_stringn((const char *)u, len);
            ok = t != NULL;
            json_decref(t);
        }
        if (ok) {
            memcpy(o + k, u, len);
            k += len;
            i += len;
        } else {
            memcpy(o + k, "\xef\xbf\xbd", 3);
            k += 3;
            i++;
        }
    }
    o[k] = 0;
    j = json_string(o);
    free(o);
    return j ? j : json_string("");
}

static long long num(const json_t *o, const char *key, long long dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static int by_start(const void *a, const void *b)
{
    const struct proc *x = a, *y = b;
    if (x->start_ms != y->start_ms)
        return x->start_ms < y->start_ms ? -1 : 1;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->gen - y->gen;
}

static int by_pid_gen(const void *a, const void *b)
{
    const struct proc *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->gen - y->gen;
}

/* Reaped statuses by pid, then in the order they were recorded. */
static int by_pid_seq(const void *a, const void *b)
{
    const struct reaped *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->seq - y->seq;
}

/* The last recorded status of pid in a table sorted by by_pid_seq, -1
 * when there is none. */
static int last_status(const struct reaped *tab, size_t n, long long pid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {   /* first entry with a pid > pid */
        size_t mid = lo + (hi - lo) / 2;
        if (tab[mid].pid <= pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && tab[lo - 1].pid == pid ? tab[lo - 1].status : -1;
}

/* Alive and not a zombie (a process the launcher has not reaped yet is
 * reaped before this is asked). */
static bool running(long long pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%lld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static const char *const sum_keys[8] = {
    "direct_bytes", "direct_blocks", "indirect_bytes", "indirect_blocks",
    "reachable_bytes", "reachable_blocks", "suppressed_bytes", "suppressed_blocks",
};

/* The key of a group: kind, then module and offset of every frame. */
static char *group_key(const char *kind, const json_t *frames)
{
    size_t cap = 256, len = 0;
    char *k = malloc(cap);
    if (!k)
        return NULL;
    len = (size_t)snprintf(k, cap, "%s", kind);
    size_t i;
    json_t *f;
    json_array_foreach(frames, i, f) {
        const char *m = json_string_value(json_object_get(f, "module"));
        const char *o = json_string_value(json_object_get(f, "offset"));
        const char *pc = json_string_value(json_object_get(f, "pc"));
        size_t need = (m ? strlen(m) : 0) + (o ? strlen(o) : 0) + (pc ? strlen(pc) : 0) + 8;
        if (len + need >= cap) {
            cap = (len + need) * 2;
            char *n = realloc(k, cap);
            if (!n) {
                free(k);
                return NULL;
            }
            k = n;
        }
        /* Without a module (unknown), the address is all there is. */
        if (m && *m)
            len += (size_t)snprintf(k + len, cap - len, "\x1f%s+%s", m, o ? o : "");
        else
            len += (size_t)snprintf(k + len, cap - len, "\x1f?%s", pc ? pc : "");
    }
    return k;
}

/* A group's bytes and blocks: the unsampled estimates of a sampled
 * process's group, else what was recorded. */
static long long est_bytes(const json_t *g)
{
    return num(g, "estimated_bytes", num(g, "bytes", 0));
}

static long long est_blocks(const json_t *g)
{
    return num(g, "estimated_blocks", num(g, "blocks", 0));
}

static int by_size(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    long long xb = est_bytes(x), yb = est_bytes(y);
    if (xb != yb)
        return xb > yb ? -1 : 1;
    long long xn = est_blocks(x), yn = est_blocks(y);
    if (xn != yn)
        return xn > yn ? -1 : 1;
    return 0;
}

static void merge(struct tree *t)
{
    json_t *index = json_object();
    json_t *list = json_array();
    for (size_t i = 0; i < t->n; i++) {
        struct proc *p = &t->p[i];
        size_t k;
        json_t *g;
        json_array_foreach(json_object_get(p->report, "leaks"), k, g) {
            const char *kind = json_string_value(json_object_get(g, "kind"));
            json_t *frames = json_object_get(g, "frames");
            if (!kind)
                continue;
            char *key = group_key(kind, frames);
            if (!key)
                continue;
            json_t *m = json_object_get(index, key);
            if (!m) {
                m = json_pack("{s:s, s:I, s:I, s:I, s:[], s:o}", "kind", kind, "bytes",
                              (json_int_t)0, "blocks", (json_int_t)0, "processes",
                              (json_int_t)0, "pids", "frames",
                              frames ? json_incref(frames) : json_array());
                json_array_append_new(list, m);
                json_object_set(index, key, m);
            }
            free(key);
            /* Sampled processes: the estimates add up beside what was
             * recorded (an exact process's group counts as itself). */
            bool sampled = json_object_get(g, "estimated_bytes") || json_object_get(m, "estimated_bytes");
            long long eb = est_bytes(m) + est_bytes(g), en = est_blocks(m) + est_blocks(g);
            json_object_set_new(m, "bytes", json_integer(num(m, "bytes", 0) + num(g, "bytes", 0)));
            json_object_set_new(m, "blocks",
                                json_integer(num(m, "blocks", 0) + num(g, "blocks", 0)));
            if (sampled) {
                json_object_set_new(m, "estimated_bytes", json_integer(eb));
                json_object_set_new(m, "estimated_blocks", json_integer(en));
            }
            json_t *pids = json_object_get(m, "pids");
            size_t np = json_array_size(pids);
            if (!np || json_integer_value(json_array_get(pids, np - 1)) != p->pid) {
                json_array_append_new(pids, json_integer(p->pid));
                json_object_set_new(m, "processes", json_integer((json_int_t)np + 1));
            }
        }
    }
    size_t n = json_array_size(list);
    json_t **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = json_incref(json_array_get(list, i));
    if (v)
        qsort(v, n, sizeof *v, by_size);
    t->merged = json_array();
    for (size_t i = 0; v && i < n; i++)
        json_array_append_new(t->merged, v[i]);
    free(v);
    json_decref(list);
    json_decref(index);
}

/* The launcher's children still running that left no start record yet: an
 * orphan (a double-forked daemon) whose fork handler had not written it
 * when the directory was read.  Listed as running, so the summary says
 * where its report will go.  The launcher is single-threaded: its
 * children are those of its one task (needs CONFIG_PROC_CHILDREN). */
static void add_unrecorded_children(struct tree *t)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    long long pid;
    while (fscanf(f, "%lld", &pid) == 1) {
        bool known = false;
        for (size_t i = 0; i < t->n && !known; i++)
            known = t->p[i].pid == pid;
        if (known || !running(pid))
            continue;
        struct proc *np = realloc(t->p, (t->n + 1) * sizeof *np);
        if (!np)
            break;
        t->p = np;
        struct proc *p = &t->p[t->n];
        memset(p, 0, sizeof *p);
        snprintf(p->id, sizeof p->id, "%lld-?", pid);
        p->pid = pid;
        p->ppid = getpid();
        char exe[PATH_MAX], lnk[64];
        snprintf(lnk, sizeof lnk, "/proc/%lld/exe", pid);
        ssize_t n = readlink(lnk, exe, sizeof exe - 1);
        exe[n > 0 ? (size_t)n : 0] = 0;
        /* The record's strings are owned by its start object. */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        p->start_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
        p->start = json_pack("{s:I, s:I, s:s, s:[], s:b}", "pid", (json_int_t)pid, "ppid",
                             (json_int_t)p->ppid, "exe", exe, "argv", "forked", 1);
        p->exe = json_string_value(json_object_get(p->start, "exe"));
        p->tracked = true;
        p->forked = true;
        p->end = END_RUNNING;
        t->n++;
    }
    fclose(f);
}

bool tree_fork_exit(const struct proc *p)
{
    return p->forked && p->end == END_EXIT;
}

int tree_collect(const struct run *r, struct tree *t)
{
    memset(t, 0, sizeof *t);
    DIR *d = r->dir ? opendir(r->dir) : NULL;
    size_t cap = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".start") != 0 || len - 6 >= sizeof t->p->id)
            continue;
        if (t->n == cap) {
            cap = cap ? cap * 2 : 32;
            struct proc *np = realloc(t->p, cap * sizeof *np);
            if (!np)
                break;
            t->p = np;
        }
        struct proc *p = &t->p[t->n];
        memset(p, 0, sizeof *p);
        memcpy(p->id, e->d_name, len - 6);
        p->id[len - 6] = 0;
        long long pid;
        int gen;
        if (sscanf(p->id, "%lld-%d", &pid, &gen) != 2)
            continue;
        /* Its start record, and the exit status on the next line. */
        json_t *lines = load_lines(r->dir, e->d_name);
        p->start = json_incref(json_array_get(lines, 0));
        json_t *ex = json_array_get(lines, 1);
        if (!json_is_object(p->start) || json_object_get(p->start, "status")) {
            json_decref(p->start);
            json_decref(lines);
            continue;
        }
        p->pid = pid;
        p->gen = gen;
        p->ppid = num(p->start, "ppid", -1);
        p->start_ms = num(p->start, "start_ms", 0);
        p->exe = json_string_value(json_object_get(p->start, "exe"));
        p->tracked = json_is_true(json_object_get(p->start, "tracked"));
        p->forked = json_is_true(json_object_get(p->start, "forked"));
        p->skipped = json_string_value(json_object_get(p->start, "skipped"));
        p->report = load(r->dir, p->id, "json");
        if (p->report && !json_is_object(p->report)) {
            json_decref(p->report);
            p->report = NULL;
        }
        if (json_is_integer(json_object_get(ex, "status"))) {
            p->end = END_EXIT;
            p->code = (int)num(ex, "status", 0);
        } else {
            p->end = END_UNKNOWN;
        }
        json_decref(lines);
        t->n++;
    }
    if (d)
        closedir(d);
    /* How the processes that did not call exit() ended: a later image of
     * the same pid (exec), else a reaped status (the launcher's own, then
     * those of the run's wait calls).  Sorted tables and binary search:
     * a run of many thousands of processes is gathered in O(n log n). */
    json_t *reaped = r->dir ? load_lines(r->dir, "reaped") : json_array();
    size_t nown = r->nreaped, nrun = json_array_size(reaped);
    struct reaped *st_tab = malloc((nown + nrun + 1) * sizeof *st_tab);
    size_t nst = 0;
    /* The last status of a pid wins (a pid reused by the run): the
     * launcher's reaps first in order, then the run's, each table sorted
     * stably by pid keeping the last. */
    for (size_t k = 0; st_tab && k < nown; k++)
        st_tab[nst++] = (struct reaped){ r->reaped[k].pid, r->reaped[k].status, (int)k };
    size_t own_end = nst;
    for (size_t k = 0; st_tab && k < nrun; k++) {
        json_t *rp = json_array_get(reaped, k);
        long long pid = num(rp, "pid", -1), ws = num(rp, "wait_status", -1);
        if (pid > 0 && pid <= INT_MAX && ws >= 0 && ws <= INT_MAX)
            st_tab[nst++] = (struct reaped){ (pid_t)pid, (int)ws, (int)k };
    }
    if (st_tab) {
        qsort(st_tab, own_end, sizeof *st_tab, by_pid_seq);
        qsort(st_tab + own_end, nst - own_end, sizeof *st_tab, by_pid_seq);
    }
    qsort(t->p, t->n, sizeof *t->p, by_pid_gen);
    for (size_t i = 0; i < t->n; i++) {
        struct proc *p = &t->p[i];
        if (p->end == END_EXIT)
            continue;
        if (i + 1 < t->n && t->p[i + 1].pid == p->pid) {
            p->end = END_EXEC;
            continue;
        }
        /* Reaped by the launcher, or by a process of the run (its wait
         * call left a record). */
        int st = -1;
        if (st_tab) {
            st = last_status(st_tab, own_end, p->pid);
            if (st < 0)
                st = last_status(st_tab + own_end, nst - own_end, p->pid);
        }
        if (st >= 0 && (WIFSIGNALED(st) || WIFEXITED(st))) {
            p->end = WIFSIGNALED(st) ? END_SIGNAL : END_EXIT;
            p->code = WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st);
        }
        if (p->end == END_UNKNOWN && running(p->pid))
            p->end = END_RUNNING;
    }
    free(st_tab);
    json_decref(reaped);
    add_unrecorded_children(t);
    qsort(t->p, t->n, sizeof *t->p, by_start);
    for (size_t i = 0; i < t->n; i++) {
        struct proc *p = &t->p[i];
        json_t *s = json_object_get(p->report, "summary");
        for (int k = 0; k < 8; k++)
            t->tot[k] += num(s, sum_keys[k], 0);
        p->direct_bytes = num(s, "direct_bytes", 0);
        p->direct_blocks = num(s, "direct_blocks", 0);
        p->indirect_bytes = num(s, "indirect_bytes", 0);
        p->indirect_blocks = num(s, "indirect_blocks", 0);
        long long mean = num(s, "sampled", 0);
        if (mean > 0) {
            /* Sampled: the process's leaks are its groups' estimates. */
            if (mean > t->sampled)
                t->sampled = mean;
            p->direct_bytes = p->direct_blocks = p->indirect_bytes = p->indirect_blocks = 0;
            size_t k;
            json_t *g;
            json_array_foreach(json_object_get(p->report, "leaks"), k, g) {
                const char *kind = json_string_value(json_object_get(g, "kind"));
                if (kind && strcmp(kind, "direct") == 0) {
                    p->direct_bytes += est_bytes(g);
                    p->direct_blocks += est_blocks(g);
                } else if (kind && strcmp(kind, "indirect") == 0) {
                    p->indirect_bytes += est_bytes(g);
                    p->indirect_blocks += est_blocks(g);
                }
            }
        }
        t->est[0] += p->direct_bytes;
        t->est[1] += p->direct_blocks;
        t->est[2] += p->indirect_bytes;
        t->est[3] += p->indirect_blocks;
        if (p->tracked)
            t->tracked++;
        else
            t->skipped++;
        if (p->direct_blocks + p->indirect_blocks > 0)
            t->leaked++;
        if (p->tracked && !p->report) {
            if (p->end == END_RUNNING)
                t->running++;
            else if (p->end != END_EXEC && !tree_fork_exit(p))
                t->noreport++;
        }
    }
    merge(t);
    return 0;
}

static const char *end_name(enum proc_end e)
{
    static const char *const names[] = { "exit", "signal", "exec", "running", "unknown" };
    return names[e];
}

static json_t *exit_of(const struct proc *p)
{
    if (p->end == END_EXIT)
        return json_pack("{s:i}", "status", p->code);
    if (p->end == END_SIGNAL)
        return json_pack("{s:i}", "signal", p->code);
    return json_null();
}

static json_t *tree_json(const struct run *r, const struct tree *t)
{
    json_t *cmd = json_array();
    for (char **a = r->argv; *a; a++)
        json_array_append_new(cmd, utf8_string(*a));
    json_t *exit = WIFSIGNALED(r->status) ? json_pack("{s:i}", "signal", WTERMSIG(r->status))
                                          : json_pack("{s:i}", "status", WEXITSTATUS(r->status));
    json_t *sum = json_object();
    for (int k = 0; k < 8; k++)
        json_object_set_new(sum, sum_keys[k], json_integer(t->tot[k]));
    if (t->sampled > 0) {
        /* Some processes were sampled: the leak totals as estimates too. */
        static const char *const est_keys[4] = { "estimated_direct_bytes", "estimated_direct_blocks",
                                                  "estimated_indirect_bytes",
                                                  "estimated_indirect_blocks" };
        json_object_set_new(sum, "sampled", json_integer(t->sampled));
        for (int k = 0; k < 4; k++)
            json_object_set_new(sum, est_keys[k], json_integer(t->est[k]));
    }
    json_object_set_new(sum, "processes", json_integer((json_int_t)t->n));
    json_object_set_new(sum, "processes_tracked", json_integer((json_int_t)t->tracked));
    json_object_set_new(sum, "processes_skipped", json_integer((json_int_t)t->skipped));
    json_object_set_new(sum, "processes_leaked", json_integer((json_int_t)t->leaked));
    json_object_set_new(sum, "processes_without_report", json_integer((json_int_t)t->noreport));
    json_object_set_new(sum, "processes_running", json_integer((json_int_t)t->running));
    json_t *procs = json_array();
    for (size_t i = 0; i < t->n; i++) {
        const struct proc *p = &t->p[i];
        json_t *argv = json_object_get(p->start, "argv");
        json_t *o = json_pack("{s:I, s:I, s:s?, s:o, s:I, s:b, s:b, s:s?, s:o, s:s, s:O}",
                              "pid", (json_int_t)p->pid, "ppid", (json_int_t)p->ppid,
                              "exe", p->exe, "argv", argv ? json_incref(argv) : json_array(),
                              "start_ms", (json_int_t)p->start_ms,
                              "forked", json_is_true(json_object_get(p->start, "forked")),
                              "tracked", p->tracked, "skipped", p->skipped,
                              "exit", exit_of(p), "end", end_name(p->end),
                              "report", p->report ? p->report : json_null());
        if (o)
            json_array_append_new(procs, o);
    }
    return json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:O}", "ratmem_report", 1, "type", "tree",
                     "command", cmd, "exit", exit, "summary", sum, "processes", procs, "leaks",
                     t->merged);
}

/* ---- text ---- */

static void text_frames(FILE *f, const json_t *frames)
{
    size_t i;
    json_t *fr;
    if (!json_array_size(frames))
        fputs("    #0 <unknown stack>\n", f);
    json_array_foreach(frames, i, fr) {
        const char *pc = json_string_value(json_object_get(fr, "pc"));
        const char *fn = json_string_value(json_object_get(fr, "function"));
        const char *file = json_string_value(json_object_get(fr, "file"));
        const char *mod = json_string_value(json_object_get(fr, "module"));
        const char *off = json_string_value(json_object_get(fr, "offset"));
        fprintf(f, "    #%zu %s", i, pc ? pc : "0x0");
        if (fn && strcmp(fn, "??") != 0)
            fprintf(f, " in %s", fn);
        if (file)
            fprintf(f, " %s:%lld", file, num(fr, "line", 0));
        fprintf(f, " (%s+%s)\n", mod && *mod ? mod : "<unknown module>", off ? off : "0x0");
    }
    fputc('\n', f);
}

static const char *kind_title(const char *kind)
{
    if (strcmp(kind, "direct") == 0)
        return "Direct leak of";
    if (strcmp(kind, "indirect") == 0)
        return "Indirect leak of";
    if (strcmp(kind, "live") == 0)
        return "Live:";
    return "Still reachable:";
}

static void tree_text(FILE *f, const struct run *r, const struct tree *t)
{
    size_t nrep = 0;
    for (size_t i = 0; i < t->n; i++)
        if (json_array_size(json_object_get(t->p[i].report, "leaks")))
            nrep++;
    /* Merged groups found in more than one process (the JSON document
     * lists every merged group). */
    size_t nshared = 0, i;
    json_t *g;
    json_array_foreach(t->merged, i, g)
        if (num(g, "processes", 0) > 1)
            nshared++;
    if (nrep > 1 && nshared) {
        fprintf(f, "\n=================================================================\n"
                   "==ratmem: %zu leak(s) found in more than one of the %zu processes that "
                   "leaked\n\n", nshared, nrep);
        json_array_foreach(t->merged, i, g) {
            if (num(g, "processes", 0) < 2)
                continue;
            const char *kind = json_string_value(json_object_get(g, "kind"));
            fprintf(f, "%s %lld byte(s) in %lld object(s) in %lld process(es) (pid",
                    kind_title(kind ? kind : ""), est_bytes(g), est_blocks(g),
                    num(g, "processes", 0));
            size_t k;
            json_t *pid;
            json_t *pids = json_object_get(g, "pids");
            json_array_foreach(pids, k, pid) {
                if (k == 8) {
                    fprintf(f, " and %zu more", json_array_size(pids) - 8);
                    break;
                }
                fprintf(f, "%s %lld", k ? "," : "", (long long)json_integer_value(pid));
            }
            fputs(") allocated from:\n", f);
            text_frames(f, json_object_get(g, "frames"));
        }
    }
    /* Then the report of each process that has groups to show, as the
     * shim writes it in text (views-core's writer, out_text.c, over the
     * one reader's model of the tree document). */
    long long *pids = calloc(t->n + 1, sizeof *pids);
    size_t np = 0;
    for (size_t k = 0; pids && k < t->n; k++)
        if (json_array_size(json_object_get(t->p[k].report, "leaks")))
            pids[np++] = t->p[k].pid;
    json_t *doc = np ? tree_json(r, t) : NULL;
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    struct rm_doc *d = text ? rm_doc_parse(text, strlen(text), "the run", "ratmem") : NULL;
    if (d) {
        struct rm_filter flt = { .pids = pids, .npids = np };
        for (int k = 0; k <= RM_DOC_OTHER; k++)
            flt.kinds[k] = true;
        const struct rm_doc *docs[1] = { d };
        rm_out_text(f, docs, 1, &flt);
    }
    rm_doc_free(d);
    free(text);
    json_decref(doc);
    free(pids);
}

int tree_write(const struct run *r, const struct tree *t, const char *path, bool json)
{
    json_t *doc = json ? tree_json(r, t) : NULL;
    if (!path) {
        fflush(stderr);
        if (doc)
            json_dumpf(doc, stderr, JSON_INDENT(2));
        else
            tree_text(stderr, r, t);
        if (doc)
            fputc('\n', stderr);
        json_decref(doc);
        return 0;
    }
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        fprintf(stderr, "ratmem: cannot create report file %s: %s\n", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        json_decref(doc);
        return -1;
    }
    if (doc) {
        json_dumpf(doc, f, JSON_INDENT(2));
        fputc('\n', f);
    } else {
        tree_text(f, r, t);
    }
    json_decref(doc);
    int err = ferror(f) ? EIO : 0;
    if (fclose(f) != 0 && !err)
        err = errno;
    if (!err && rename(tmp, path) != 0)
        err = errno;
    if (err) {
        fprintf(stderr, "ratmem: cannot write report file %s: %s\n", path, strerror(err));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static void remove_dir(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d)
        closedir(d);
    /* A process of the run may create a record meanwhile (a daemon's fork
     * handler): empty the directory again, so that it goes and the
     * process's report finds it gone (and takes the report path). */
    if (rmdir(dir) != 0 && errno == ENOTEMPTY && depth < 8)
        remove_dir(dir, depth + 1);
}

void tree_remove_dir(const char *dir)
{
    remove_dir(dir, 0);
}

void tree_free(struct tree *t)
{
    for (size_t i = 0; i < t->n; i++) {
        json_decref(t->p[i].start);
        json_decref(t->p[i].report);
    }
    free(t->p);
    json_decref(t->merged);
}

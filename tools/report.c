/* tools/report.c - `ratmem report [--format=html|pprof|folded|text]
 * [-o OUT] [--base OLD] [--kind=K,..] [--min-bytes=N] [--pid=P,..] FILE...`:
 * render leak reports, heap dumps and process-tree documents (read by
 * doc.c) with one of the writers (out.h).  See ratmem(1).
 *
 * Every input is read and checked before the output is opened; the output
 * file is written as OUT.tmp and renamed into place, so a failure leaves
 * no partial file.  Exit status 0, or 2 with one line on stderr. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmds.h"
#include "growth.h"
#include "out.h"

static const char *prog = "ratmem report";

enum fmt { F_NONE, F_TEXT, F_HTML, F_PPROF, F_FOLDED };

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fputs(" (ratmem report --help)\n", stderr);
    return 2;
}

static void usage(FILE *to)
{
    fputs("usage: ratmem report [--format=text|html|pprof|folded] [-o OUT] [--base OLD]\n"
          "                     [--kind=KIND,...] [--min-bytes=N] [--pid=PID,...] FILE...\n"
          "  Render JSON leak reports, heap dumps (plain or gzip'd) and process-tree\n"
          "  documents of ratmem.\n"
          "  --format=text     the LSan-style text report (default)\n"
          "  --format=html     one self-contained page: flame graph, table, header\n"
          "  --format=pprof    gzip'd profile.proto for pprof, Pyroscope, Parca\n"
          "  --format=folded   folded stacks (root;...;leaf bytes) for flamegraph.pl\n"
          "  -o OUT            write OUT (atomically) instead of standard output; without\n"
          "                    --format, OUT's extension (.html .pb.gz .pprof .folded .txt)\n"
          "                    picks the format\n"
          "  --base OLD        show the growth from OLD to the one FILE (as ratmem diff)\n"
          "  --kind=LIST       direct, indirect, reachable, live, leaked (= direct,indirect)\n"
          "                    or all (default: every group for text; leaked, or live for\n"
          "                    dumps, for the others)\n"
          "  --min-bytes=N     leave out groups of fewer than N bytes (K, M, G suffixes)\n"
          "  --pid=LIST        only these processes (of a tree document)\n",
          to);
}

/* --- filters --- */

bool rm_filter_pid(const struct rm_filter *f, long long pid)
{
    if (!f || f->npids == 0)
        return true;
    for (size_t i = 0; i < f->npids; i++)
        if (f->pids[i] == pid)
            return true;
    return false;
}

bool rm_filter_keep(const struct rm_filter *f, const struct rm_doc_group *g, long long pid)
{
    if (!f)
        return true;
    return f->kinds[g->kind] && rm_doc_bytes(g) >= f->min_bytes &&
           (pid < 0 || rm_filter_pid(f, pid));
}

static int parse_kinds(const char *s, struct rm_filter *f)
{
    memset(f->kinds, 0, sizeof f->kinds);
    char buf[256];
    if (strlen(s) >= sizeof buf || !*s)
        return -1;
    strcpy(buf, s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (strcmp(t, "all") == 0) {
            for (size_t i = 0; i <= RM_DOC_OTHER; i++)
                f->kinds[i] = true;
        } else if (strcmp(t, "leaked") == 0) {
            f->kinds[RM_DOC_DIRECT] = f->kinds[RM_DOC_INDIRECT] = true;
        } else if (rm_doc_kind_of(t) != RM_DOC_OTHER) {
            f->kinds[rm_doc_kind_of(t)] = true;
        } else {
            return -1;
        }
    }
    return 0;
}

static int parse_size(const char *s, long long *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1ull << 10, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1ull << 20, end++;
    else if (*end == 'G' || *end == 'g')
        mul = 1ull << 30, end++;
    if (errno || *end || end == s || v > (unsigned long long)INT64_MAX / mul)
        return -1;
    *out = (long long)(v * mul);
    return 0;
}

static int parse_pids(const char *s, long long **pids, size_t *n)
{
    size_t cap = 1;
    for (const char *c = s; *c; c++)
        cap += *c == ',';
    long long *p = calloc(cap, sizeof *p);
    if (!p)
        return -1;
    size_t k = 0;
    const char *c = s;
    for (;;) {
        char *end;
        errno = 0;
        long long v = strtoll(c, &end, 10);
        if (errno || end == c || v < 0 || (*end && *end != ',')) {
            free(p);
            return -1;
        }
        p[k++] = v;
        if (!*end)
            break;
        c = end + 1;
    }
    *pids = p;
    *n = k;
    return 0;
}

/* --- views --- */

static int view_add(struct rm_view *v, size_t *cap, const struct rm_doc_group *g, long long bytes,
                    long long blocks, long long pid)
{
    if (v->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        struct rm_view_group *ng = realloc(v->groups, nc * sizeof *ng);
        if (!ng)
            return -1;
        v->groups = ng;
        *cap = nc;
    }
    v->groups[v->n++] = (struct rm_view_group){ g, bytes, blocks, pid };
    return 0;
}

/* The groups of doc's processes that the filter keeps. */
static int view_procs(struct rm_view *v, size_t *cap, const struct rm_doc *doc,
                      const struct rm_filter *flt)
{
    for (size_t p = 0; p < doc->nprocs; p++) {
        const struct rm_doc_proc *pr = &doc->procs[p];
        if (!rm_filter_pid(flt, pr->pid))
            continue;
        for (size_t i = 0; i < pr->ngroups; i++)
            if (rm_filter_keep(flt, &pr->groups[i], pr->pid) &&
                view_add(v, cap, &pr->groups[i], rm_doc_bytes(&pr->groups[i]),
                         rm_doc_blocks(&pr->groups[i]), pr->pid) < 0)
                return -1;
    }
    return 0;
}

/* The groups to draw of docs[ndocs]: a tree's merged groups (or with
 * --pid, those processes' own), a report's or dump's groups. */
static int view_docs(struct rm_view *v, const struct rm_doc *const *docs, size_t ndocs,
                     const struct rm_filter *flt)
{
    size_t cap = 0;
    for (size_t d = 0; d < ndocs; d++) {
        const struct rm_doc *doc = docs[d];
        if (doc->type == RM_DOC_TREE && flt->npids == 0) {
            for (size_t i = 0; i < doc->ngroups; i++)
                if (rm_filter_keep(flt, &doc->groups[i], -1) &&
                    view_add(v, &cap, &doc->groups[i], rm_doc_bytes(&doc->groups[i]),
                             rm_doc_blocks(&doc->groups[i]), -1) < 0)
                    return -1;
        } else if (view_procs(v, &cap, doc, flt) < 0) {
            return -1;
        }
    }
    return 0;
}

/* --base: the stacks of OLD and NEW matched as ratmem diff matches them
 * (growth.h); the ones that grew, largest growth first. */
static int gt_add(struct rm_growth *t, const struct rm_doc *doc, const struct rm_filter *flt,
                  bool is_new)
{
    struct rm_view kept = { 0 };
    size_t cap = 0;
    int rc = view_procs(&kept, &cap, doc, flt);
    for (size_t i = 0; rc == 0 && i < kept.n; i++)
        rc = rm_growth_add(t, kept.groups[i].g, is_new);
    free(kept.groups);
    return rc;
}

static int view_growth(struct rm_view *v, const struct rm_doc *old, const struct rm_doc *new,
                       const struct rm_filter *flt)
{
    struct rm_growth t = { 0 };
    struct rm_growth_entry **up = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    if (gt_add(&t, old, flt, false) < 0 || gt_add(&t, new, flt, true) < 0 ||
        !(up = rm_growth_grew(&t, &n)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (view_add(v, &cap, up[i]->shown, up[i]->new_bytes - up[i]->old_bytes,
                     up[i]->new_blocks - up[i]->old_blocks, -1) < 0)
            goto out;
    rc = 0;
out:
    free(up);
    rm_growth_free(&t);
    return rc;
}

/* --- output --- */

static enum fmt fmt_of(const char *s)
{
    return strcmp(s, "text") == 0     ? F_TEXT
           : strcmp(s, "html") == 0   ? F_HTML
           : strcmp(s, "pprof") == 0  ? F_PPROF
           : strcmp(s, "folded") == 0 ? F_FOLDED
                                      : F_NONE;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static enum fmt fmt_of_path(const char *p)
{
    if (ends_with(p, ".html") || ends_with(p, ".htm"))
        return F_HTML;
    if (ends_with(p, ".pb.gz") || ends_with(p, ".pprof") || ends_with(p, ".pb"))
        return F_PPROF;
    if (ends_with(p, ".folded"))
        return F_FOLDED;
    return F_TEXT;
}

int ratmem_report_main(int argc, char **argv)
{
    enum fmt fmt = F_NONE;
    const char *outpath = NULL, *basepath = NULL;
    struct rm_filter flt = { .min_bytes = 0 };
    bool kinds_given = false;
    long long *pids = NULL;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (a[0] != '-' || !a[1])
            break;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strncmp(a, "--format=", 9) == 0) {
            if ((fmt = fmt_of(a + 9)) == F_NONE)
                return usage_error("unknown format '%s' (text, html, pprof or folded)", a + 9);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (++i == argc)
                return usage_error("%s needs a file name", a);
            outpath = argv[i];
        } else if (strncmp(a, "--output=", 9) == 0) {
            outpath = a + 9;
        } else if (strncmp(a, "-o", 2) == 0) {
            outpath = a + 2;
        } else if (strcmp(a, "--base") == 0) {
            if (++i == argc)
                return usage_error("%s needs a file name", a);
            basepath = argv[i];
        } else if (strncmp(a, "--base=", 7) == 0) {
            basepath = a + 7;
        } else if (strncmp(a, "--kind=", 7) == 0) {
            if (parse_kinds(a + 7, &flt) < 0)
                return usage_error("bad --kind '%s' (direct, indirect, reachable, live, leaked, all)",
                                   a + 7);
            kinds_given = true;
        } else if (strncmp(a, "--min-bytes=", 12) == 0) {
            if (parse_size(a + 12, &flt.min_bytes) < 0)
                return usage_error("bad --min-bytes '%s' (a size: 100, 4K, 1M)", a + 12);
        } else if (strncmp(a, "--pid=", 6) == 0) {
            free(pids);
            if (parse_pids(a + 6, &pids, &flt.npids) < 0)
                return usage_error("bad --pid '%s' (process ids, comma-separated)", a + 6);
            flt.pids = pids;
        } else {
            return usage_error("unknown option '%s'", a);
        }
    }
    int nfiles = argc - i;
    if (nfiles < 1)
        return usage_error("%s", "no FILE to report on");
    if (basepath && nfiles != 1)
        return usage_error("%s", "--base OLD takes one FILE, the newer document");
    if (outpath && !*outpath)
        return usage_error("%s", "-o needs a file name");
    if (outpath && strcmp(outpath, "-") == 0)
        outpath = NULL;
    if (fmt == F_NONE)
        fmt = outpath ? fmt_of_path(outpath) : F_TEXT;

    /* The output must not replace an input: OUT would be renamed over
     * the very document it was drawn from. */
    struct stat ost, ist;
    if (outpath && stat(outpath, &ost) == 0 && S_ISREG(ost.st_mode)) {
        for (int k = -1; k < nfiles; k++) {
            const char *in = k < 0 ? basepath : argv[i + k];
            if (in && strcmp(in, "-") != 0 && stat(in, &ist) == 0 && ist.st_dev == ost.st_dev &&
                ist.st_ino == ost.st_ino) {
                fprintf(stderr, "%s: %s: is also an input; write the output elsewhere\n", prog,
                        outpath);
                free(pids);
                return 2;
            }
        }
    }

    int rc = 2;
    struct rm_doc **docs = calloc((size_t)nfiles + 1, sizeof *docs);
    struct rm_doc *base = NULL;
    struct rm_view view = { 0 };
    char *tmp = NULL;
    FILE *out = NULL;
    if (!docs) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }
    if (basepath && !(base = rm_doc_load(basepath, prog)))
        goto done;
    for (int k = 0; k < nfiles; k++)
        if (!(docs[k] = rm_doc_load(argv[i + k], prog)))
            goto done;

    /* Default kinds: every group for text (as the shim printed them); the
     * leaked ones, or the live ones of dumps, for pictures and profiles. */
    if (!kinds_given) {
        for (size_t k = 0; k <= RM_DOC_OTHER; k++)
            flt.kinds[k] = fmt == F_TEXT && !basepath;
        if (fmt != F_TEXT || basepath) {
            flt.kinds[RM_DOC_DIRECT] = flt.kinds[RM_DOC_INDIRECT] = true;
            flt.kinds[RM_DOC_LIVE] = true;
        }
    }
    view.type = docs[0]->type;
    view.doc = docs[0];
    view.growth = base != NULL;
    if (fmt != F_HTML && (base ? view_growth(&view, base, docs[0], &flt)
                               : view_docs(&view, (const struct rm_doc *const *)docs,
                                           (size_t)nfiles, &flt)) < 0) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto done;
    }

    /* The output: OUT.tmp, renamed when complete; a device or pipe
     * (-o /dev/stdout) is written directly.  A symbolic link to a regular
     * file (or to nothing) is refused: the rename would replace the link itself (-o
     * /dev/stdout with standard output sent to a file replaced /dev/stdout
     * with a regular file). */
    struct stat st, lst;
    if (outpath && stat(outpath, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: %s: %s\n", prog, outpath, strerror(EISDIR));
        goto done;
    }
    if (outpath && lstat(outpath, &lst) == 0 && S_ISLNK(lst.st_mode) &&
        (stat(outpath, &st) != 0 || S_ISREG(st.st_mode))) {
        fprintf(stderr, "%s: %s: a symbolic link to a file; name the file itself%s\n", prog,
                outpath, strncmp(outpath, "/dev/", 5) == 0 ? " (or leave out -o)" : "");
        goto done;
    }
    if (outpath && stat(outpath, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (!(out = fopen(outpath, "wb"))) {
            fprintf(stderr, "%s: %s: %s\n", prog, outpath, strerror(errno));
            goto done;
        }
    } else if (outpath) {
        size_t n = strlen(outpath) + 5;
        if (!(tmp = malloc(n))) {
            fprintf(stderr, "%s: out of memory\n", prog);
            goto done;
        }
        snprintf(tmp, n, "%s.tmp", outpath);
        /* A new file of our own, mode 0600 as the shim's reports (they show
         * code paths and sizes): a stale OUT.tmp (an earlier crash) is
         * removed first; one that cannot be removed (another user's, in a
         * sticky directory) is an error, never written through. */
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST && unlink(tmp) == 0)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0 || !(out = fdopen(fd, "wb"))) {
            fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            free(tmp);
            tmp = NULL;
            goto done;
        }
    } else {
        if ((fmt == F_PPROF) && isatty(1)) {
            fprintf(stderr, "%s: not writing a binary pprof profile to a terminal: use -o FILE\n",
                    prog);
            goto done;
        }
        out = stdout;
    }
    int w;
    switch (fmt) {
    case F_HTML:
        w = rm_out_html(out, (const struct rm_doc *const *)docs, (size_t)nfiles, base);
        break;
    case F_PPROF:
        w = rm_out_pprof(out, &view);
        break;
    case F_FOLDED:
        w = rm_out_folded(out, &view);
        break;
    default:
        w = base ? rm_out_text_growth(out, &view, base)
                 : rm_out_text(out, (const struct rm_doc *const *)docs, (size_t)nfiles, &flt);
        break;
    }
    int werr = fflush(out) != 0 || ferror(out) ? (errno ? errno : EIO) : 0;
    if (out != stdout) {
        if (fclose(out) != 0 && !werr)
            werr = errno;
        out = NULL;
    }
    if (w < 0)
        goto done;
    if (werr) {
        fprintf(stderr, "%s: writing %s: %s\n", prog, tmp ? tmp : "the output", strerror(werr));
        goto done;
    }
    if (tmp && rename(tmp, outpath) < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, outpath, strerror(errno));
        goto done;
    }
    rc = 0;
done:
    if (tmp) {
        if (rc != 0)
            unlink(tmp);
        free(tmp);
    }
    free(view.groups);
    if (docs)
        for (int k = 0; k < nfiles; k++)
            rm_doc_free(docs[k]);
    free(docs);
    rm_doc_free(base);
    free(pids);
    return rc;
}

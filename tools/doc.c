/* tools/doc.c - the one reader of ratmem documents (see doc.h): bytes
 * (plain or gzip'd, zlib) -> jansson tree -> model. */
#include "config.h"

#include "doc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Documents larger than this (after gunzip) are refused. */
#define DOC_MAX_BYTES ((size_t)4 << 30)

/* The bytes (and blocks, and their estimates) of all the groups of one
 * document (a tree's processes' and merged ones together) add up to at
 * most this, 2^53 (8 PiB: more than any address space, and what a
 * JavaScript number holds exactly): every sum the writers and diff make
 * then stays far from overflow. */
#define DOC_MAX_TOTAL (1LL << 53)

static void say(const char *prog, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(const char *prog, const char *name, const char *fmt, ...)
{
    va_list ap;
    if (!prog)
        return;   /* quiet (the fuzz target) */
    fprintf(stderr, "%s: %s: ", prog, name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- bytes ---- */

static int read_all(int fd, unsigned char **out, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    for (;;) {
        if (n == cap) {
            if (cap >= DOC_MAX_BYTES) {
                free(buf);
                errno = EFBIG;
                return -1;
            }
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -1;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            errno = e;
            return -1;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Gunzip in[len] (one or more gzip members) into a new buffer; NULL and a
 * reason on failure. */
static unsigned char *gunzip(const unsigned char *in, size_t len, size_t *outlen,
                             const char **why)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        *why = "cannot start zlib";
        return NULL;
    }
    size_t cap = len * 4 + 4096, n = 0;
    unsigned char *out = malloc(cap);
    if (!out) {
        inflateEnd(&z);
        *why = "out of memory";
        return NULL;
    }
    z.next_in = (Bytef *)in;
    size_t in_left = len;
    for (;;) {
        if (n == cap) {
            if (cap >= DOC_MAX_BYTES) {
                *why = "larger than 4 GiB uncompressed";
                goto fail;
            }
            unsigned char *nb = realloc(out, cap * 2);
            if (!nb) {
                *why = "out of memory";
                goto fail;
            }
            out = nb;
            cap *= 2;
        }
        size_t in_chunk = in_left < (1u << 30) ? in_left : (1u << 30);
        size_t out_chunk = cap - n < (1u << 30) ? cap - n : (1u << 30);
        z.avail_in = (uInt)in_chunk;
        z.next_out = out + n;
        z.avail_out = (uInt)out_chunk;
        int rc = inflate(&z, Z_NO_FLUSH);
        in_left -= in_chunk - z.avail_in;
        n += out_chunk - z.avail_out;
        if (rc == Z_STREAM_END) {
            /* Another member (concatenated .gz files) may follow. */
            if (in_left == 0)
                break;
            if (in_left >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
                inflateReset(&z);
                continue;
            }
            *why = "data after the end of the gzip stream";
            goto fail;
        }
        if (rc == Z_BUF_ERROR && in_left == 0 && z.avail_in == 0) {
            *why = "truncated gzip data";
            goto fail;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            *why = z.msg ? z.msg : "corrupt gzip data";
            goto fail;
        }
    }
    inflateEnd(&z);
    *outlen = n;
    return out;
fail:
    inflateEnd(&z);
    free(out);
    return NULL;
}

/* A ratmem text report (stderr or report=PATH without format=json)? */
static bool looks_like_text_report(const unsigned char *b, size_t len)
{
    static const char *const marks[] = { "==ERROR: ratmem:", "SUMMARY: ratmem:",
                                         "ratmem: no leaks", "==ratmem: heap dump",
                                         "Direct leak of ", "Live: " };
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r'))
        i++;
    if (i < len && (b[i] == '{' || b[i] == '['))
        return false;
    size_t span = len < (1 << 20) ? len : (1 << 20);
    for (size_t m = 0; m < sizeof marks / sizeof *marks; m++) {
        size_t ml = strlen(marks[m]);
        for (size_t k = 0; k + ml <= span; k++)
            if (b[k] == (unsigned char)marks[m][0] && memcmp(b + k, marks[m], ml) == 0)
                return true;
    }
    return false;
}

/* ---- model ---- */

enum rm_doc_kind rm_doc_kind_of(const char *name)
{
    if (!name)
        return RM_DOC_OTHER;
    if (strcmp(name, "direct") == 0)
        return RM_DOC_DIRECT;
    if (strcmp(name, "indirect") == 0)
        return RM_DOC_INDIRECT;
    if (strcmp(name, "reachable") == 0)
        return RM_DOC_REACHABLE;
    if (strcmp(name, "live") == 0)
        return RM_DOC_LIVE;
    return RM_DOC_OTHER;
}

long long rm_doc_bytes(const struct rm_doc_group *g)
{
    return g->est_bytes >= 0 ? g->est_bytes : g->bytes;
}

long long rm_doc_blocks(const struct rm_doc_group *g)
{
    return g->est_blocks >= 0 ? g->est_blocks : g->blocks;
}

long long rm_doc_sum(const json_t *summary, const char *key, long long dflt)
{
    json_t *v = summary ? json_object_get(summary, key) : NULL;
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static const char *str_field(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static long long int_field(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

/* "0x1136" (or an integer) -> value; *text the string as written. */
static uint64_t addr_field(const json_t *o, const char *key, const char **text)
{
    json_t *v = json_object_get(o, key);
    *text = NULL;
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        return (uint64_t)json_integer_value(v);
    const char *s = json_string_value(v);
    if (!s)
        return 0;
    *text = s;
    return strtoull(s, NULL, 16);
}

struct ctx {
    const char *prog, *name;
    struct rm_doc *doc;
    long long total[4]; /* bytes, blocks and their estimates so far (DOC_MAX_TOTAL) */
};

static void bad(struct ctx *c, const char *why)
{
    say(c->prog, c->name, "not a ratmem report (%s)", why);
}

/* The groups of a "leaks" array into *out; -1 (reported) when malformed. */
static int load_groups(struct ctx *c, json_t *arr, struct rm_doc_group **out, size_t *nout,
                       bool merged)
{
    size_t n = json_array_size(arr);
    *nout = 0;
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out) {
        say(c->prog, c->name, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *g = json_array_get(arr, i);
        struct rm_doc_group *og = &(*out)[i];
        json_t *fr = json_object_get(g, "frames");
        og->json = g;
        og->bytes = int_field(g, "bytes");
        og->blocks = int_field(g, "blocks");
        og->kind_name = str_field(g, "kind");
        og->kind = rm_doc_kind_of(og->kind_name);
        og->est_bytes = int_field(g, "estimated_bytes");
        og->est_blocks = int_field(g, "estimated_blocks");
        og->processes = 1;
        if (merged) {
            long long np = int_field(g, "processes");
            og->processes = np >= 0 ? np : 1;
            og->pids = json_is_array(json_object_get(g, "pids")) ? json_object_get(g, "pids")
                                                                 : NULL;
        }
        if (!json_is_object(g) || og->bytes < 0 || og->blocks < 0 || !json_is_array(fr)) {
            *nout = i;
            bad(c, "a group without bytes, blocks and frames");
            return -1;
        }
        long long vals[4] = { og->bytes, og->blocks, og->est_bytes, og->est_blocks };
        for (int v = 0; v < 4; v++) {
            if (vals[v] > DOC_MAX_TOTAL - c->total[v]) {
                *nout = i;
                bad(c, "groups of more than 2^53 bytes or blocks in all");
                return -1;
            }
            c->total[v] += vals[v] > 0 ? vals[v] : 0;
        }
        size_t nf = json_array_size(fr);
        og->frames = calloc(nf ? nf : 1, sizeof *og->frames);
        if (!og->frames) {
            *nout = i;
            say(c->prog, c->name, "out of memory");
            return -1;
        }
        og->nframes = nf;
        *nout = i + 1;
        for (size_t k = 0; k < nf; k++) {
            json_t *f = json_array_get(fr, k);
            struct rm_doc_frame *of = &og->frames[k];
            if (!json_is_object(f)) {
                bad(c, "a frame that is not an object");
                return -1;
            }
            of->pc = addr_field(f, "pc", &of->pc_text);
            of->offset = addr_field(f, "offset", &of->offset_text);
            of->function = str_field(f, "function");
            if (of->function && (!*of->function || strcmp(of->function, "??") == 0))
                of->function = NULL;
            of->module = str_field(f, "module");
            of->build_id = str_field(f, "build_id");
            of->file = str_field(f, "file");
            of->line = int_field(f, "line");
            if (of->line < 0)
                of->line = -1;   /* a negative line is no line */
            if (!of->pc_text && !json_is_integer(json_object_get(f, "pc")) &&
                !(of->module && (of->offset_text || json_is_integer(json_object_get(f, "offset")))) &&
                !of->function) {
                bad(c, "a frame without pc, module and offset, or function");
                return -1;
            }
        }
    }
    return 0;
}

/* A leak report or dump object as one process. */
static int load_report(struct ctx *c, json_t *r, struct rm_doc_proc *p)
{
    json_t *leaks = json_object_get(r, "leaks");
    p->report = r;
    p->pid = int_field(r, "pid");
    p->exe = str_field(r, "exe");
    p->type = str_field(r, "type");
    p->summary = json_is_object(json_object_get(r, "summary")) ? json_object_get(r, "summary")
                                                              : NULL;
    if (!json_is_array(leaks)) {
        bad(c, "no \"leaks\" array");
        return -1;
    }
    return load_groups(c, leaks, &p->groups, &p->ngroups, false);
}

static bool is_version(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) >= 1;
}

static int load_tree(struct ctx *c, json_t *root)
{
    struct rm_doc *d = c->doc;
    json_t *procs = json_object_get(root, "processes");
    json_t *leaks = json_object_get(root, "leaks");
    if (!json_is_array(procs)) {
        bad(c, "a tree document without a \"processes\" array");
        return -1;
    }
    if (!json_is_array(leaks)) {
        bad(c, "no \"leaks\" array");
        return -1;
    }
    size_t n = json_array_size(procs);
    d->procs = calloc(n ? n : 1, sizeof *d->procs);
    if (!d->procs) {
        say(c->prog, c->name, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *pr = json_array_get(procs, i);
        struct rm_doc_proc *p = &d->procs[i];
        d->nprocs = i + 1;
        if (!json_is_object(pr)) {
            bad(c, "a process that is not an object");
            return -1;
        }
        json_t *rep = json_object_get(pr, "report");
        if (rep && !json_is_null(rep)) {
            if (!json_is_object(rep) || !is_version(json_object_get(rep, "ratmem_report"))) {
                bad(c, "a process report that is not a ratmem report");
                return -1;
            }
            if (load_report(c, rep, p) < 0)
                return -1;
        }
        /* The process entry's own fields win over its report's. */
        p->pid = int_field(pr, "pid") >= 0 ? int_field(pr, "pid") : p->pid;
        p->ppid = int_field(pr, "ppid");
        if (str_field(pr, "exe"))
            p->exe = str_field(pr, "exe");
        p->argv = json_object_get(pr, "argv");
        p->exit = json_object_get(pr, "exit");
    }
    return load_groups(c, leaks, &d->groups, &d->ngroups, true);
}

void rm_doc_free(struct rm_doc *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nprocs; i++) {
        struct rm_doc_proc *p = &d->procs[i];
        for (size_t k = 0; k < p->ngroups; k++)
            free(p->groups[k].frames);
        free(p->groups);
    }
    /* A tree's merged groups are its own; otherwise they are procs[0]'s. */
    if (d->type == RM_DOC_TREE && d->groups) {
        for (size_t k = 0; k < d->ngroups; k++)
            free(d->groups[k].frames);
        free(d->groups);
    }
    free(d->procs);
    json_decref(d->root);
    free(d);
}

struct rm_doc *rm_doc_parse(const void *data, size_t len, const char *name, const char *prog)
{
    const unsigned char *b = data;
    unsigned char *plain = NULL;
    struct ctx c = { prog, name, NULL, { 0, 0, 0, 0 } };
    if (len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
        const char *why = "";
        size_t n;
        plain = gunzip(b, len, &n, &why);
        if (!plain) {
            say(prog, name, "not valid gzip data: %s", why);
            return NULL;
        }
        b = plain;
        len = n;
    }
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r'))
        i++;
    if (i == len) {
        say(prog, name, "not valid JSON: the file is empty%s", i ? " (only white space)" : "");
        free(plain);
        return NULL;
    }
    if (looks_like_text_report(b, len)) {
        say(prog, name, "a ratmem text report, not JSON: rerun with --json "
                        "(RATMEM_OPTIONS=format=json) to get a JSON report");
        free(plain);
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadb((const char *)b, len, JSON_DECODE_ANY, &err);
    free(plain);
    if (!root) {
        say(prog, name, "not valid JSON: %s at line %d, column %d%s", err.text, err.line,
            err.column, (size_t)err.position >= len ? " (the file ends early: truncated?)" : "");
        return NULL;
    }
    struct rm_doc *d = calloc(1, sizeof *d);
    if (!d) {
        json_decref(root);
        say(prog, name, "out of memory");
        return NULL;
    }
    c.doc = d;
    d->path = name;
    d->root = root;
    d->pid = -1;
    d->sequence = -1;
    d->timestamp_ms = -1;
    d->report_seconds = -1;
    if (!json_is_object(root)) {
        bad(&c, "not a JSON object");
        goto fail;
    }
    json_t *ver = json_object_get(root, "ratmem_report");
    if (!is_version(ver)) {
        bad(&c, "no \"ratmem_report\" version: another tool's JSON?");
        goto fail;
    }
    d->version = json_integer_value(ver);
    json_t *type = json_object_get(root, "type");
    d->type_name = type ? json_string_value(type) : "leaks";
    if (!d->type_name) {
        bad(&c, "\"type\" is not a string");
        goto fail;
    }
    if (strcmp(d->type_name, "leaks") == 0)
        d->type = RM_DOC_LEAKS;
    else if (strcmp(d->type_name, "dump") == 0)
        d->type = RM_DOC_DUMP;
    else if (strcmp(d->type_name, "tree") == 0)
        d->type = RM_DOC_TREE;
    else {
        say(prog, name, "a ratmem document of type \"%s\", which this ratmem does not read",
            d->type_name);
        goto fail;
    }
    d->pid = int_field(root, "pid");
    d->exe = str_field(root, "exe");
    d->summary = json_is_object(json_object_get(root, "summary"))
                     ? json_object_get(root, "summary") : NULL;
    d->options = json_object_get(root, "options");
    d->sampled = rm_doc_sum(d->summary, "sampled", 0);
    if (d->sampled < 0)
        d->sampled = 0;
    d->sequence = rm_doc_sum(d->summary, "sequence", -1);
    d->timestamp_ms = rm_doc_sum(d->summary, "timestamp_ms", -1);
    json_t *rs = json_object_get(root, "report_seconds");
    if (json_is_number(rs))
        d->report_seconds = json_number_value(rs);
    if (d->type == RM_DOC_TREE) {
        d->command = json_object_get(root, "command");
        d->exit = json_object_get(root, "exit");
        if (load_tree(&c, root) < 0)
            goto fail;
    } else {
        d->procs = calloc(1, sizeof *d->procs);
        if (!d->procs) {
            say(prog, name, "out of memory");
            goto fail;
        }
        d->nprocs = 1;
        d->procs[0].ppid = -1;
        if (load_report(&c, root, &d->procs[0]) < 0)
            goto fail;
        d->groups = d->procs[0].groups;
        d->ngroups = d->procs[0].ngroups;
    }
    return d;
fail:
    rm_doc_free(d);
    return NULL;
}

struct rm_doc *rm_doc_load(const char *path, const char *prog)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    unsigned char *buf;
    size_t len;
    if (fd < 0) {
        say(prog, name, "%s", strerror(errno));
        return NULL;
    }
    if (read_all(fd, &buf, &len) < 0) {
        int e = errno;
        if (fd)
            close(fd);
        say(prog, name, "%s", e == EFBIG ? "larger than 4 GiB" : strerror(e));
        return NULL;
    }
    if (fd)
        close(fd);
    struct rm_doc *d = rm_doc_parse(buf, len, name, prog);
    free(buf);
    if (d)
        d->path = path;
    return d;
}

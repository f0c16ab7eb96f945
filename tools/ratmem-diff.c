/* ratmem-diff.c - `ratmem diff OLD.json NEW.json`: the allocation stacks
 * whose live bytes grew between two heap dumps (or JSON leak reports) of
 * libratmem-preload.so, largest growth first.  See ratmem(1).
 *
 * Stacks are matched by their frames' module and offset (or, with
 * --by=function, function names), never by raw addresses, so dumps of two
 * runs of one program match in spite of address-space randomisation.
 *
 * Standalone: a small strict JSON parser (RFC 8259: UTF-8 only, no
 * comments, no trailing commas, no leading zeros) and the C library.
 * Exit status: 0 when the comparison was printed, 2 on bad usage or input
 * (one line on stderr). */
#define _GNU_SOURCE
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"

#define MAX_DEPTH 64
#define RD_MAX_INPUT ((size_t)1 << 30)

static const char *prog = "ratmem diff";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

/* ---- memory: one arena, freed at the end ---- */

struct chunk {
    struct chunk *next;
    size_t used, cap;
    max_align_t data[];
};
static struct chunk *arena;

static void *xalloc(size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!arena || arena->cap - arena->used < n) {
        size_t cap = n > (1 << 20) ? n : (1 << 20);
        struct chunk *c = malloc(sizeof *c + cap);
        if (!c)
            die("out of memory");
        c->next = arena;
        c->used = 0;
        c->cap = cap;
        arena = c;
    }
    void *p = (char *)arena->data + arena->used;
    arena->used += n;
    return p;
}

static void arena_free(void)
{
    while (arena) {
        struct chunk *c = arena;
        arena = c->next;
        free(c);
    }
}

/* ---- a strict JSON parser ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
    enum jtype type;
    bool b;
    bool is_int;          /* a number without fraction or exponent */
    long long i;          /* its value, when is_int and it fits */
    const char *s;        /* J_STR: decoded UTF-8, NUL-terminated */
    size_t n;             /* J_STR: length; J_ARR/J_OBJ: count */
    struct jval *items;   /* J_ARR: values; J_OBJ: values */
    const char **keys;    /* J_OBJ: keys */
};

struct parser {
    const char *file;
    const unsigned char *p, *end, *start;
};

static void perr(struct parser *ps, const char *why) __attribute__((noreturn));
static void perr(struct parser *ps, const char *why)
{
    unsigned long line = 1, col = 1;
    for (const unsigned char *q = ps->start; q < ps->p && q < ps->end; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    die("%s: not valid JSON: %s at line %lu, column %lu", ps->file, why, line, col);
}

static void ws(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static void lit(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        perr(ps, "unexpected character");
    ps->p += n;
}

/* Length of the well-formed UTF-8 sequence at s (s[0] >= 0x80), or 0. */
static size_t utf8_len(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if ((size_t)(end - s) < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

static unsigned hex4(struct parser *ps)
{
    if (ps->end - ps->p < 4)
        perr(ps, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = *ps->p++, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            perr(ps, "bad \\u escape");
        v = v << 4 | d;
    }
    return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string (the opening quote is at ps->p); decoded, *len set. */
static const char *string(struct parser *ps, size_t *len)
{
    ps->p++;
    /* The decoded text is never longer than the source. */
    const unsigned char *q = ps->p;
    while (q < ps->end && *q != '"') {
        if (*q == '\\' && q + 1 < ps->end)
            q++;
        q++;
    }
    if (q >= ps->end)
        perr(ps, "unterminated string");
    char *out = xalloc((size_t)(q - ps->p) + 1), *o = out;
    for (;;) {
        if (ps->p >= ps->end)
            perr(ps, "unterminated string");
        unsigned c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20)
            perr(ps, "control character in string");
        if (c >= 0x80) {
            size_t k = utf8_len(ps->p, ps->end);
            if (!k)
                perr(ps, "invalid UTF-8");
            memcpy(o, ps->p, k);
            o += k;
            ps->p += k;
            continue;
        }
        if (c != '\\') {
            *o++ = (char)c;
            ps->p++;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end)
            perr(ps, "unterminated string");
        c = *ps->p++;
        switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp = hex4(ps);
            if (cp >= 0xD800 && cp <= 0xDBFF && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
                ps->p[1] == 'u') {
                const unsigned char *save = ps->p;
                ps->p += 2;
                unsigned lo = hex4(ps);
                if (lo >= 0xDC00 && lo <= 0xDFFF)
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                else
                    ps->p = save;
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;  /* a lone surrogate: no character */
            o += put_utf8(o, cp);
            break;
        }
        default:
            ps->p--;
            perr(ps, "bad escape in string");
        }
    }
    *o = 0;
    *len = (size_t)(o - out);
    return out;
}

static void number(struct parser *ps, struct jval *v)
{
    const unsigned char *s = ps->p;
    bool neg = false, frac = false;
    if (ps->p < ps->end && *ps->p == '-') {
        neg = true;
        ps->p++;
    }
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        perr(ps, "bad number");
    if (*ps->p == '0') {
        ps->p++;
        if (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            perr(ps, "leading zero in number");
    } else {
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    const unsigned char *int_end = ps->p;
    if (ps->p < ps->end && *ps->p == '.') {
        frac = true;
        ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            perr(ps, "bad number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
        frac = true;
        ps->p++;
        if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
            ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
            perr(ps, "bad number");
        while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
            ps->p++;
    }
    v->type = J_NUM;
    v->is_int = false;
    if (!frac) {
        long long x = 0;
        bool fits = true;
        for (const unsigned char *d = s + neg; d < int_end; d++)
            if (__builtin_mul_overflow(x, 10, &x) || __builtin_add_overflow(x, *d - '0', &x))
                fits = false;
        v->is_int = fits;
        v->i = neg ? -x : x;
    }
}

static void value(struct parser *ps, struct jval *v, int depth)
{
    if (depth > MAX_DEPTH)
        perr(ps, "nested too deeply");
    ws(ps);
    if (ps->p >= ps->end)
        perr(ps, "unexpected end of input");
    memset(v, 0, sizeof *v);
    switch (*ps->p) {
    case 'n': lit(ps, "null"); v->type = J_NULL; return;
    case 't': lit(ps, "true"); v->type = J_BOOL; v->b = true; return;
    case 'f': lit(ps, "false"); v->type = J_BOOL; return;
    case '"': v->type = J_STR; v->s = string(ps, &v->n); return;
    case '[': case '{': {
        bool obj = *ps->p == '{';
        char close = obj ? '}' : ']';
        v->type = obj ? J_OBJ : J_ARR;
        ps->p++;
        size_t cap = 0;
        ws(ps);
        if (ps->p < ps->end && *ps->p == close) {
            ps->p++;
            return;
        }
        for (;;) {
            if (v->n == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct jval *ni = xalloc(ncap * sizeof *ni);
                if (cap)
                    memcpy(ni, v->items, cap * sizeof *ni);
                v->items = ni;
                if (obj) {
                    const char **nk = xalloc(ncap * sizeof *nk);
                    if (cap)
                        memcpy(nk, v->keys, cap * sizeof *nk);
                    v->keys = nk;
                }
                cap = ncap;
            }
            if (obj) {
                ws(ps);
                if (ps->p >= ps->end || *ps->p != '"')
                    perr(ps, "expected a string key");
                size_t kl;
                v->keys[v->n] = string(ps, &kl);
                ws(ps);
                if (ps->p >= ps->end || *ps->p != ':')
                    perr(ps, "expected ':'");
                ps->p++;
            }
            value(ps, &v->items[v->n], depth + 1);
            v->n++;
            ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                continue;
            }
            if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                return;
            }
            perr(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    default:
        if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')) {
            number(ps, v);
            return;
        }
        perr(ps, "unexpected character");
    }
}

static const struct jval *get(const struct jval *o, const char *key)
{
    if (!o || o->type != J_OBJ)
        return NULL;
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->keys[i], key) == 0)
            return &o->items[i];
    return NULL;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        die("out of memory");
    for (;;) {
        if (n == cap) {
            if (cap >= RD_MAX_INPUT)
                die("%s: larger than 1 GiB", path);
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb)
                die("out of memory");
            buf = nb;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) {
            if (ferror(f))
                die("%s: %s", path, strerror(errno ? errno : EIO));
            break;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

/* ---- reports ---- */

struct frame {
    const char *pc, *function, *module, *offset, *file;
    long long line;
};

struct group {
    long long bytes, blocks;
    size_t nframes;
    struct frame *frames;
};

struct report {
    const char *file;
    const char *type;       /* "dump", "leaks", or NULL (older reports) */
    long long pid, seq;     /* -1 when absent */
    size_t ngroups;
    struct group *groups;
};

static const char *str_field(const struct jval *o, const char *key)
{
    const struct jval *v = get(o, key);
    return v && v->type == J_STR ? v->s : NULL;
}

static long long int_field(const struct jval *o, const char *key)
{
    const struct jval *v = get(o, key);
    return v && v->type == J_NUM && v->is_int ? v->i : -1;
}

static void not_report(const char *file, const char *why) __attribute__((noreturn));
static void not_report(const char *file, const char *why)
{
    die("%s: not a ratmem report (%s)", file, why);
}

static void load(const char *path, struct report *r)
{
    size_t len;
    char *text = read_file(path, &len);
    struct parser ps = { path, (const unsigned char *)text, (const unsigned char *)text + len,
                         (const unsigned char *)text };
    /* A UTF-8 byte order mark is not JSON (RFC 8259 8.1): refused. */
    struct jval root;
    value(&ps, &root, 0);
    ws(&ps);
    if (ps.p != ps.end)
        perr(&ps, "text after the JSON value");
    free(text);

    memset(r, 0, sizeof *r);
    r->file = path;
    if (root.type != J_OBJ)
        not_report(path, "not a JSON object");
    const struct jval *ver = get(&root, "ratmem_report");
    if (!ver || ver->type != J_NUM || !ver->is_int || ver->i < 1)
        not_report(path, "no \"ratmem_report\" version");
    r->type = str_field(&root, "type");
    r->pid = int_field(&root, "pid");
    r->seq = int_field(get(&root, "summary"), "sequence");
    const struct jval *leaks = get(&root, "leaks");
    if (!leaks || leaks->type != J_ARR)
        not_report(path, "no \"leaks\" array");
    r->ngroups = leaks->n;
    r->groups = xalloc(leaks->n * sizeof *r->groups + 1);
    for (size_t i = 0; i < leaks->n; i++) {
        const struct jval *g = &leaks->items[i];
        struct group *out = &r->groups[i];
        const struct jval *fr = get(g, "frames");
        out->bytes = int_field(g, "bytes");
        out->blocks = int_field(g, "blocks");
        if (g->type != J_OBJ || out->bytes < 0 || out->blocks < 0 || !fr || fr->type != J_ARR)
            not_report(path, "a group without bytes, blocks and frames");
        out->nframes = fr->n;
        out->frames = xalloc(fr->n * sizeof *out->frames + 1);
        for (size_t k = 0; k < fr->n; k++) {
            const struct jval *f = &fr->items[k];
            struct frame *o = &out->frames[k];
            if (f->type != J_OBJ)
                not_report(path, "a frame that is not an object");
            o->pc = str_field(f, "pc");
            o->function = str_field(f, "function");
            o->module = str_field(f, "module");
            o->offset = str_field(f, "offset");
            o->file = str_field(f, "file");
            o->line = int_field(f, "line");
            if (!o->pc && !(o->module && o->offset) && !o->function)
                not_report(path, "a frame without pc, module and offset, or function");
        }
    }
}

/* ---- matching ---- */

static bool by_function;

static bool known_function(const struct frame *f)
{
    return f->function && f->function[0] && strcmp(f->function, "??") != 0;
}

/* One frame's part of a stack's key. */
static size_t frame_key(const struct frame *f, char *out)
{
    const char *a = NULL, *b = NULL;
    if (by_function && known_function(f))
        a = f->function;
    else if (f->module && f->module[0] && f->offset)
        a = f->module, b = f->offset;
    else if (f->pc)
        a = f->pc;
    else
        a = f->function;
    size_t n = 0;
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    if (out) {
        memcpy(out, a, la);
        if (b) {
            out[la] = '+';
            memcpy(out + la + 1, b, lb);
        }
        out[la + (b ? lb + 1 : 0)] = '\n';
    }
    n = la + (b ? lb + 1 : 0) + 1;
    return n;
}

static const char *stack_key(const struct group *g)
{
    size_t n = 1;
    for (size_t i = 0; i < g->nframes; i++)
        n += frame_key(&g->frames[i], NULL);
    char *k = xalloc(n), *o = k;
    for (size_t i = 0; i < g->nframes; i++)
        o += frame_key(&g->frames[i], o);
    *o = 0;
    return k;
}

struct entry {
    const char *key;
    long long old_bytes, old_blocks, new_bytes, new_blocks;
    const struct group *shown;   /* frames to print: NEW's, else OLD's */
};

static struct entry *table;
static size_t tcap, tcount;

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static struct entry *lookup(const char *key)
{
    if (tcount * 2 >= tcap) {
        size_t ncap = tcap ? tcap * 2 : 1024;
        struct entry *nt = calloc(ncap, sizeof *nt);
        if (!nt)
            die("out of memory");
        for (size_t i = 0; i < tcap; i++) {
            if (!table[i].key)
                continue;
            size_t j = hash(table[i].key) & (ncap - 1);
            while (nt[j].key)
                j = (j + 1) & (ncap - 1);
            nt[j] = table[i];
        }
        free(table);
        table = nt;
        tcap = ncap;
    }
    size_t j = hash(key) & (tcap - 1);
    while (table[j].key && strcmp(table[j].key, key) != 0)
        j = (j + 1) & (tcap - 1);
    if (!table[j].key) {
        table[j].key = key;
        tcount++;
    }
    return &table[j];
}

static void add(const struct report *r, bool is_new)
{
    for (size_t i = 0; i < r->ngroups; i++) {
        const struct group *g = &r->groups[i];
        struct entry *e = lookup(stack_key(g));
        if (is_new) {
            e->new_bytes += g->bytes;
            e->new_blocks += g->blocks;
            e->shown = g;
        } else {
            e->old_bytes += g->bytes;
            e->old_blocks += g->blocks;
            if (!e->shown)
                e->shown = g;
        }
    }
}

static int by_growth(const void *pa, const void *pb)
{
    const struct entry *a = *(struct entry *const *)pa, *b = *(struct entry *const *)pb;
    long long da = a->new_bytes - a->old_bytes, db = b->new_bytes - b->old_bytes;
    if (da != db)
        return da > db ? -1 : 1;
    da = a->new_blocks - a->old_blocks;
    db = b->new_blocks - b->old_blocks;
    if (da != db)
        return da > db ? -1 : 1;
    return strcmp(a->key, b->key);
}

/* ---- output ---- */

/* Text from a report, with control characters shown as '?'. */
static void put_text(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7F ? '?' : *s);
}

static void describe(const struct report *r)
{
    fputs(r->file, stdout);
    printf(" (%s", r->type ? r->type : "report");
    if (r->seq >= 0)
        printf(" %lld", r->seq);
    if (r->pid >= 0)
        printf(", pid %lld", r->pid);
    putchar(')');
}

static void print_frames(const struct group *g, size_t max)
{
    if (!g->nframes)
        puts("    #0 <unknown stack>");
    for (size_t i = 0; i < g->nframes && i < max; i++) {
        const struct frame *f = &g->frames[i];
        printf("    #%zu", i);
        if (f->pc) {
            putchar(' ');
            put_text(f->pc);
        }
        if (known_function(f)) {
            fputs(" in ", stdout);
            put_text(f->function);
        }
        if (f->file) {
            putchar(' ');
            put_text(f->file);
            if (f->line >= 0)
                printf(":%lld", f->line);
        }
        fputs(" (", stdout);
        put_text(f->module && f->module[0] ? f->module : "<unknown module>");
        if (f->offset) {
            putchar('+');
            put_text(f->offset);
        }
        puts(")");
    }
    if (g->nframes > max)
        printf("    ... %zu more frame(s)\n", g->nframes - max);
}

static void usage(FILE *to)
{
    fputs("usage: ratmem diff [--by=offset|function] [--frames=N] OLD.json NEW.json\n"
          "  Print the allocation stacks whose live bytes grew from OLD to NEW (heap\n"
          "  dumps or JSON leak reports of libratmem-preload.so), largest growth first.\n"
          "  --by=offset     match stacks by module+offset of each frame (default)\n"
          "  --by=function   match stacks by function names (across rebuilds)\n"
          "  --frames=N      frames to print per stack (default 8; 0 = all)\n",
          to);
}

int ratmem_diff_main(int argc, char **argv)
{
    size_t max_frames = 8;
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--by=function") == 0) {
            by_function = true;
        } else if (strcmp(a, "--by=offset") == 0) {
            by_function = false;
        } else if (strncmp(a, "--frames=", 9) == 0) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(a + 9, &end, 10);
            if (!a[9] || *end || errno || a[9] == '-' || v > 256)
                die("bad value for --frames: '%s' (expected 0 to 256)", a + 9);
            max_frames = v ? (size_t)v : SIZE_MAX;
        } else {
            usage(stderr);
            die("unknown option: %s", a);
        }
    }
    if (argc - i != 2) {
        usage(stderr);
        die("expected two files, OLD.json and NEW.json");
    }
    struct report old, new;
    load(argv[i], &old);
    load(argv[i + 1], &new);
    add(&old, false);
    add(&new, true);

    long long ob = 0, obl = 0, nb = 0, nbl = 0, grew = 0, shrank = 0;
    size_t ngrew = 0, nnew = 0, nshrank = 0;
    struct entry **up = calloc(tcount + 1, sizeof *up);
    if (!up)
        die("out of memory");
    for (size_t k = 0; k < tcap; k++) {
        struct entry *e = &table[k];
        if (!e->key)
            continue;
        ob += e->old_bytes;
        obl += e->old_blocks;
        nb += e->new_bytes;
        nbl += e->new_blocks;
        long long d = e->new_bytes - e->old_bytes;
        if (d > 0) {
            up[ngrew++] = e;
            grew += d;
            if (!e->old_blocks)
                nnew++;
        } else if (d < 0) {
            nshrank++;
            shrank -= d;
        }
    }
    qsort(up, ngrew, sizeof *up, by_growth);

    fputs("ratmem diff: ", stdout);
    describe(&old);
    fputs(" -> ", stdout);
    describe(&new);
    printf("\nlive: %lld -> %lld byte(s) (%+lld), %lld -> %lld object(s) (%+lld)\n\n", ob, nb,
           nb - ob, obl, nbl, nbl - obl);
    for (size_t k = 0; k < ngrew; k++) {
        const struct entry *e = up[k];
        printf("%+lld byte(s), %+lld object(s): ", e->new_bytes - e->old_bytes,
               e->new_blocks - e->old_blocks);
        if (e->old_blocks || e->old_bytes)
            printf("%lld -> %lld byte(s) in %lld -> %lld object(s)", e->old_bytes, e->new_bytes,
                   e->old_blocks, e->new_blocks);
        else
            printf("new, %lld byte(s) in %lld object(s)", e->new_bytes, e->new_blocks);
        puts(" allocated from:");
        print_frames(e->shown, max_frames);
        putchar('\n');
    }
    if (!ngrew)
        puts("No stack grew.\n");
    printf("SUMMARY: ratmem diff: %zu stack(s) grew by %lld byte(s) (%zu new); %zu shrank by "
           "%lld byte(s).\n",
           ngrew, grew, nnew, nshrank, shrank);
    free(up);
    free(table);
    arena_free();
    if (fflush(stdout) != 0 || ferror(stdout))
        die("writing the output: %s", strerror(errno));
    return 0;
}

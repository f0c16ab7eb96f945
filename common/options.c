/* options.c - RATMEM_OPTIONS as one table (see options.h).
 *
 * Each row names a key, its kind, where it lands in struct ratmem_options,
 * its bounds and a one-line meaning.  Parsing is one loop over the string;
 * the help text and the man page's table come from the same rows. */
#include "config.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include "msg.h"
#include "quota.h"
#include "options.h"

enum kind { K_BOOL, K_INT, K_PATH, K_ENUM, K_SIZE, K_SIGNAL };

struct row {
    const char *key;
    enum kind kind;
    size_t off;            /* offsetof into struct ratmem_options */
    int lo, hi;            /* K_INT bounds */
    const char *const *names; /* K_ENUM values, index = value; NULL-ended */
    const char *def;       /* default, as text */
    const char *meaning;
};

static const char *const wx_names[] = { "enforce", "warn", "off", NULL };
static const char *const format_names[] = { "text", "json", NULL };

#define OFF(f) offsetof(struct ratmem_options, f)
static const struct row rows[] = {
    { "leaks", K_BOOL, OFF(leaks), 0, 1, NULL, "1", "track live blocks with stacks; report at exit" },
    { "wx", K_ENUM, OFF(wx), 0, 0, wx_names, "enforce", "refuse (EACCES), log, or allow writable+executable mappings" },
    { "zero", K_BOOL, OFF(zero), 0, 1, NULL, "1", "zero every allocation" },
    { "report", K_PATH, OFF(report), 0, 0, NULL, "stderr", "where the leak report goes (%p = pid)" },
    { "format", K_ENUM, OFF(format), 0, 0, format_names, "text", "report format: text or json" },
    { "stack_depth", K_INT, OFF(stack_depth), 1, 256, NULL, "32", "frames kept per allocation (1..256)" },
    { "reachable", K_BOOL, OFF(reachable), 0, 1, NULL, "0", "list still-reachable blocks in the text report too" },
    { "exitcode", K_INT, OFF(exitcode), 0, 255, NULL, "0", "exit status when leaks are found (0 = the program's own)" },
    { "suppressions", K_PATH, OFF(suppressions), 0, 0, NULL, "none", "file of leak:PATTERN lines to leave out" },
    { "quota", K_SIZE, OFF(quota), 0, 0, NULL, "0", "bytes in use allowed, heap and mappings (K, M, G suffixes; 0 = no limit)" },
    { "fast_unwind", K_BOOL, OFF(fast_unwind), 0, 1, NULL, "1", "capture stacks with ratmem's cached unwinder (0 = libunwind for every frame)" },
    { "help", K_BOOL, OFF(help), 0, 1, NULL, "0", "print this list at start-up" },
};
#define NROWS (sizeof rows / sizeof rows[0])

void ratmem_options_defaults(struct ratmem_options *o)
{
    memset(o, 0, sizeof *o);
    o->leaks = 1;
    o->wx = RATMEM_WX_ENFORCE;
    o->zero = 1;
    o->format = RATMEM_FORMAT_TEXT;
    o->stack_depth = 32;
    o->fast_unwind = 1;
}

/* Parse a decimal int in [lo, hi] from s[0..n). */
static bool parse_int(const char *s, size_t n, int lo, int hi, int *out)
{
    if (n == 0 || n > 9)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < lo || v > hi)
        return false;
    *out = (int)v;
    return true;
}

static void expected(const struct row *r, char *buf, size_t len)
{
    switch (r->kind) {
    case K_BOOL:
        snprintf(buf, len, "0 or 1");
        break;
    case K_INT:
        snprintf(buf, len, "a number from %d to %d", r->lo, r->hi);
        break;
    case K_PATH:
        snprintf(buf, len, "a path shorter than %d bytes", RATMEM_PATH_MAX);
        break;
    case K_SIZE:
        snprintf(buf, len, "a byte count with an optional K, M or G suffix");
        break;
    case K_SIGNAL:
        snprintf(buf, len, "USR1, USR2, or a signal number from 1 to 64 (not KILL or STOP)");
        break;
    case K_ENUM: {
        size_t off = 0;
        for (int i = 0; r->names[i] && off < len; i++)
            off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "", r->names[i]);
        break;
    }
    }
}

static void set_one(struct ratmem_options *o, const char *key, size_t klen,
                    const char *val, size_t vlen, bool secure)
{
    const struct row *r = NULL;
    for (size_t i = 0; i < NROWS; i++)
        if (strlen(rows[i].key) == klen && memcmp(rows[i].key, key, klen) == 0)
            r = &rows[i];
    if (!r) {
        ratmem_msg("unknown option '%.*s' in RATMEM_OPTIONS ignored (help=1 lists the keys)",
                   (int)(klen > 64 ? 64 : klen), key);
        return;
    }
    char *field = (char *)o + r->off;
    bool ok = false;
    switch (r->kind) {
    case K_BOOL:
    case K_INT:
        ok = parse_int(val, vlen, r->kind == K_BOOL ? 0 : r->lo, r->kind == K_BOOL ? 1 : r->hi,
                       (int *)(void *)field);
        break;
    case K_ENUM:
        for (int i = 0; r->names[i]; i++)
            if (strlen(r->names[i]) == vlen && memcmp(r->names[i], val, vlen) == 0) {
                *(int *)(void *)field = i;
                ok = true;
            }
        break;
    case K_SIZE:
        ok = ratmem_quota_parse_size(val, vlen, (size_t *)(void *)field);
        break;
    case K_SIGNAL: {
        int sig = 0;
        if (vlen == 4 && memcmp(val, "USR1", 4) == 0)
            sig = SIGUSR1;
        else if (vlen == 4 && memcmp(val, "USR2", 4) == 0)
            sig = SIGUSR2;
        else if (!parse_int(val, vlen, 1, 64, &sig))
            sig = 0;
        ok = sig != 0 && sig != SIGKILL && sig != SIGSTOP;
        if (ok)
            *(int *)(void *)field = sig;
        break;
    }
    case K_PATH:
        if (secure) {
            ratmem_msg("option '%s' ignored in a secure-execution (setuid) program", r->key);
            return;
        }
        if (vlen > 0 && vlen < RATMEM_PATH_MAX) {
            memcpy(field, val, vlen);
            field[vlen] = '\0';
            ok = true;
        }
        break;
    }
    if (!ok) {
        char exp[128];
        expected(r, exp, sizeof exp);
        ratmem_msg("bad value '%.*s' for option '%s' (expected %s); using the default, %s",
                   (int)(vlen > 64 ? 64 : vlen), val, r->key, exp, r->def);
    }
}

void ratmem_options_parse(struct ratmem_options *o, const char *str, bool secure)
{
    if (!str)
        return;
    const char *p = str;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            if (!eq)
                ratmem_msg("option '%.*s' in RATMEM_OPTIONS has no '=' (expected key=value); ignored",
                           (int)(len > 64 ? 64 : len), p);
            else
                set_one(o, p, (size_t)(eq - p), eq + 1, len - (size_t)(eq - p) - 1, secure);
        }
        if (!end)
            break;
        p = end + 1;
    }
}

void ratmem_options_help(int fd)
{
    char line[256];
    int n = snprintf(line, sizeof line,
                     "ratmem: RATMEM_OPTIONS=key=value:key=value..., the keys:\n");
    ratmem_write_all(fd, line, (unsigned long)n);
    for (size_t i = 0; i < NROWS; i++) {
        char exp[128];
        expected(&rows[i], exp, sizeof exp);
        n = snprintf(line, sizeof line, "  %-13s %s [default %s; %s]\n", rows[i].key,
                     rows[i].meaning, rows[i].def, exp);
        if (n > (int)sizeof line - 1)
            n = (int)sizeof line - 1;
        ratmem_write_all(fd, line, (unsigned long)n);
    }
}

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
static const char *const debuginfo_names[] = { "embedded", "all", NULL };

#define OFF(f) offsetof(struct ratmem_options, f)
static const struct row rows[] = {
    { "leaks", K_BOOL, OFF(leaks), 0, 1, NULL, "1", "track live blocks with stacks; report at exit" },
    { "wx", K_ENUM, OFF(wx), 0, 0, wx_names, "enforce", "refuse (EACCES), log, or allow writable+executable mappings" },
    { "wx_allow", K_PATH, OFF(wx_allow), 0, 0, NULL, "none", "GLOB[,GLOB]: executables whose path matches get wx=warn (with a slash: the whole path, '*' crossing slashes; without: the file name)" },
    { "zero", K_BOOL, OFF(zero), 0, 1, NULL, "1", "zero every allocation" },
    { "report", K_PATH, OFF(report), 0, 0, NULL, "stderr", "where the leak report goes (%p = pid)" },
    { "format", K_ENUM, OFF(format), 0, 0, format_names, "text", "report format: text or json" },
    { "stack_depth", K_INT, OFF(stack_depth), 1, 256, NULL, "32", "frames kept per allocation (1..256)" },
    { "reachable", K_BOOL, OFF(reachable), 0, 1, NULL, "0", "list still-reachable blocks in the text report too" },
    { "exitcode", K_INT, OFF(exitcode), 0, 255, NULL, "0", "exit status when leaks are found (0 = the program's own)" },
    { "suppressions", K_PATH, OFF(suppressions), 0, 0, NULL, "none", "file of leak:PATTERN lines to leave out" },
    { "quota", K_SIZE, OFF(quota), 0, 0, NULL, "0", "bytes in use allowed, heap and mappings (K, M, G suffixes; 0 = no limit)" },
    { "dump_signal", K_SIGNAL, OFF(dump_signal), 0, 0, NULL, "none", "signal on which a heap dump of every live block is written" },
    { "dump", K_PATH, OFF(dump), 0, 0, NULL, "report path + .dump.%n", "where heap dumps go (%p = pid, %n = dump number)" },
    { "debuginfo", K_ENUM, OFF(debuginfo), 0, 0, debuginfo_names, "embedded", "file:line from debug info inside the binaries only, or also from separate debug files (all: slower reports)" },
    { "fast_unwind", K_BOOL, OFF(fast_unwind), 0, 1, NULL, "1", "capture stacks with ratmem's cached unwinder (0 = libunwind for every frame)" },
    { "skip", K_PATH, OFF(skip), 0, 0, NULL, "none", "GLOB[,GLOB]: programs left untracked and unreported (the executable's path or argv[0]; base names for a GLOB without '/')" },
    { "only", K_PATH, OFF(only), 0, 0, NULL, "none", "GLOB[,GLOB]: track only the programs that match (as skip)" },
    { "run_dir", K_PATH, OFF(run_dir), 0, 0, NULL, "none", "set by the ratmem launcher: the private directory where each process of the run writes its records and report" },
    { "sample", K_SIZE, OFF(sample), 0, 0, NULL, "0", "sample one allocation per this many bytes on average (K, M, G suffixes; 0 = track every block)" },
    { "profile", K_PATH, OFF(profile), 0, 0, NULL, "none", "pprof heap profile file, gzip'd (%p = pid, %n = profile number)" },
    { "profile_interval", K_INT, OFF(profile_interval), 0, 604800, NULL, "0", "seconds between heap profiles (0 = at exit and on dump_signal only)" },
    { "help", K_BOOL, OFF(help), 0, 1, NULL, "0", "print this list at start-up" },
};
#define NROWS (sizeof rows / sizeof rows[0])

/* The defaults, matching the def column of the rows. */
static const struct ratmem_options defaults = {
    .leaks = 1,
    .wx = RATMEM_WX_ENFORCE,
    .zero = 1,
    .format = RATMEM_FORMAT_TEXT,
    .stack_depth = 32,
    .fast_unwind = 1,
};

void ratmem_options_defaults(struct ratmem_options *o)
{
    memcpy(o, &defaults, sizeof *o);
}

static void set_default(const struct row *r, char *field);

void ratmem_options_defaults_fresh(struct ratmem_options *o)
{
    for (size_t i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        size_t n = r->kind == K_SIZE ? sizeof(size_t) : sizeof(int);
        if (r->kind != K_PATH && memcmp((char *)o + r->off, (const char *)&defaults + r->off, n))
            set_default(r, (char *)o + r->off);
    }
}

/* Parse a decimal int in [lo, hi] (0 <= lo <= hi) from s[0..n): digits
 * only, leading zeros allowed, however many. */
static bool parse_int(const char *s, size_t n, int lo, int hi, int *out)
{
    if (n == 0)
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
        if (v > hi)
            return false;   /* also keeps v from overflowing */
    }
    if (v < lo)
        return false;
    *out = (int)v;
    return true;
}

/* Copy at most 64 bytes of s[0..n) into buf (65 bytes) for a message, each
 * control byte as '?', so that a warning stays one line. */
static const char *shown(const char *s, size_t n, char *buf)
{
    if (n > 64)
        n = 64;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[n] = '\0';
    return buf;
}

/* Put the row's default back into its field (a bad value keeps the
 * default, also after an earlier good value of the same key). */
static void set_default(const struct row *r, char *field)
{
    size_t n = r->kind == K_PATH ? RATMEM_PATH_MAX : r->kind == K_SIZE ? sizeof(size_t) : sizeof(int);
    memcpy(field, (const char *)&defaults + r->off, n);
}

/* Signals dump_signal may name (HUP..PWR); any other catchable number too. */
static const struct { const char *name; int sig; } sig_names[] = {
    { "HUP", SIGHUP },   { "INT", SIGINT },     { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
    { "USR2", SIGUSR2 }, { "ALRM", SIGALRM },   { "TERM", SIGTERM }, { "URG", SIGURG },
    { "WINCH", SIGWINCH }, { "PWR", SIGPWR },
};

/* s[0..n) equals the upper-case name, in any case (ASCII only). */
static bool name_is(const char *s, size_t n, const char *name)
{
    if (strlen(name) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i] >= 'a' && s[i] <= 'z' ? (char)(s[i] - 'a' + 'A') : s[i];
        if (c != name[i])
            return false;
    }
    return true;
}

int ratmem_options_signal(const char *s, size_t n)
{
    if ((n == 1 && s[0] == '0') || name_is(s, n, "NONE"))
        return 0;
    if (n > 3 && name_is(s, 3, "SIG")) {
        s += 3;
        n -= 3;
    }
    for (size_t i = 0; i < sizeof sig_names / sizeof sig_names[0]; i++)
        if (name_is(s, n, sig_names[i].name))
            return sig_names[i].sig;
    int sig;
    if (!parse_int(s, n, 1, SIGRTMAX, &sig))
        return -1;
    switch (sig) {
    case SIGKILL: case SIGSTOP:          /* cannot be caught */
    case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
    case SIGSYS:                         /* faults: the program's own business */
        return -1;
    }
    if (sig > 31 && sig < SIGRTMIN)
        return -1;                       /* glibc's own (cancellation, setxid) */
    return sig;
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
        snprintf(buf, len, "none, a name such as USR2 or SIGUSR2, or a number (not KILL, STOP or a fault signal)");
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
    char show[65];
    if (!r) {
        ratmem_msg("unknown option '%s' in RATMEM_OPTIONS ignored (help=1 lists the keys)",
                   shown(key, klen, show));
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
        int sig = ratmem_options_signal(val, vlen);
        ok = sig >= 0;
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
        set_default(r, field);
        ratmem_msg("bad value '%s' for option '%s' (expected %s); using the default, %s",
                   shown(val, vlen, show), r->key, exp, r->def);
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
            char show[65];
            if (!eq)
                ratmem_msg("option '%s' in RATMEM_OPTIONS has no '=' (expected key=value); ignored",
                           shown(p, len, show));
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

/* Append s to buf[*n..cap) (always NUL-terminated); false when it did not fit. */
static bool put(char *buf, size_t cap, size_t *n, const char *s)
{
    size_t k = strlen(s);
    if (*n + k + 1 > cap)
        return false;
    memcpy(buf + *n, s, k + 1);
    *n += k;
    return true;
}

static const char *utoa(unsigned long long v, char *tmp /* 24 bytes */)
{
    char *p = tmp + 23;
    *p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while (v /= 10);
    return p;
}

size_t ratmem_options_format(const struct ratmem_options *o, char *buf, size_t cap)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NROWS; i++) {
        const struct row *r = &rows[i];
        const char *field = (const char *)o + r->off;
        size_t size = r->kind == K_PATH ? RATMEM_PATH_MAX : r->kind == K_SIZE ? sizeof(size_t) : sizeof(int);
        const char *dflt = (const char *)&defaults + r->off;
        if (!strcmp(r->key, "help") || !strcmp(r->key, "run_dir")
            || (r->kind == K_PATH ? !strncmp(field, dflt, size) : !memcmp(field, dflt, size)))
            continue;
        char tmp[24];
        const char *val = "?";
        int iv;
        memcpy(&iv, field, sizeof iv);
        switch (r->kind) {
        case K_BOOL:
        case K_INT:
            val = iv < 0 ? "?" : utoa((unsigned long long)iv, tmp);
            break;
        case K_PATH:
            val = field;
            break;
        case K_ENUM:
            for (int k = 0; r->names[k]; k++)
                if (k == iv)
                    val = r->names[k];
            break;
        case K_SIZE: {
            size_t sv;
            memcpy(&sv, field, sizeof sv);
            val = utoa(sv, tmp);
            break;
        }
        case K_SIGNAL:
            val = iv < 0 ? "?" : utoa((unsigned long long)iv, tmp);
            for (size_t k = 0; k < sizeof sig_names / sizeof sig_names[0]; k++)
                if (sig_names[k].sig == iv)
                    val = sig_names[k].name;
            break;
        }
        size_t at = n;
        if (!(n == 0 || put(buf, cap, &n, ":")) || !put(buf, cap, &n, r->key) || !put(buf, cap, &n, "=")
            || !put(buf, cap, &n, val)) {
            n = at;   /* the last key=value did not fit: leave it out, say so */
            buf[n] = '\0';
            put(buf, cap, &n, n ? ":..." : "...");
            break;
        }
    }
    return n;
}

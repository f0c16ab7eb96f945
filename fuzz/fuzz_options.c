/* fuzz_options.c - libFuzzer target: the RATMEM_OPTIONS parser
 * (common/options.c) against a model of the grammar that
 * libratmem-preload(7) documents.
 *
 * Input: byte 0 picks secure-execution mode (bit 0); the rest, cut at the
 * first NUL, is the RATMEM_OPTIONS string.  The model splits it at ':',
 * and for each non-empty item expects one warning (no '=', unknown key, a
 * path key in secure mode, a bad value) or the value stored; a key given
 * twice takes its last value, and a bad value puts the default back.  The
 * harness defines ratmem_msg itself to count the warnings and check that
 * each is one line.  Any disagreement aborts. */
#include "config.h"
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "options.h"
#include "check.h"

/* ---- the harness's ratmem_msg and ratmem_write_all (msg.h) ---- */

static int nmsgs;
static char last_msg[2048];

void ratmem_msg(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    CHECK(n > 0 && (size_t)n < 1024 - 10); /* fits msg.c's buffer uncut */
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)last_msg[i];
        CHECK(c >= 0x20 && c != 0x7f); /* one line, no control bytes */
    }
    nmsgs++;
}

void ratmem_write_all(int fd, const char *s, unsigned long len)
{
    (void)fd;
    (void)s;
    (void)len;
}

/* ---- the model ---- */

enum mkind { M_BOOL, M_INT, M_ENUM, M_PATH, M_SIZE, M_SIGNAL };
struct mkey {
    const char *key;
    enum mkind kind;
    long lo, hi;
    const char *names[4];
};

static const struct mkey keys[] = {
    { "leaks", M_BOOL, 0, 1, { 0 } },
    { "wx", M_ENUM, 0, 0, { "enforce", "warn", "off", NULL } },
    { "zero", M_BOOL, 0, 1, { 0 } },
    { "report", M_PATH, 0, 0, { 0 } },
    { "format", M_ENUM, 0, 0, { "text", "json", NULL } },
    { "stack_depth", M_INT, 1, 256, { 0 } },
    { "reachable", M_BOOL, 0, 1, { 0 } },
    { "exitcode", M_INT, 0, 255, { 0 } },
    { "suppressions", M_PATH, 0, 0, { 0 } },
    { "quota", M_SIZE, 0, 0, { 0 } },
    { "help", M_BOOL, 0, 1, { 0 } },
    { "dump_signal", M_SIGNAL, 0, 0, { 0 } },
    { "dump", M_PATH, 0, 0, { 0 } },
    { "fast_unwind", M_BOOL, 0, 1, { 0 } },
    { "debuginfo", M_ENUM, 0, 0, { "embedded", "all", NULL } },
    { "skip", M_PATH, 0, 0, { 0 } },
    { "only", M_PATH, 0, 0, { 0 } },
    { "run_dir", M_PATH, 0, 0, { 0 } },
    { "wx_allow", M_PATH, 0, 0, { 0 } },
    { "sample", M_SIZE, 0, 0, { 0 } },
    { "profile", M_PATH, 0, 0, { 0 } },
    { "profile_interval", M_INT, 0, 604800, { 0 } },
};
#define NKEYS (sizeof keys / sizeof keys[0])

struct model {
    long num[NKEYS];        /* bool, int, enum index, size */
    const char *path[NKEYS];/* M_PATH: start in the input, or NULL = "" */
    size_t pathlen[NKEYS];
};

static const struct model *defaults(void)
{
    static struct model d;
    static int done;
    if (!done) {
        memset(&d, 0, sizeof d);
        d.num[0] = 1;   /* leaks */
        d.num[2] = 1;   /* zero */
        d.num[5] = 32;  /* stack_depth */
        d.num[13] = 1;  /* fast_unwind */
        done = 1;
    }
    return &d;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Value of a digit string, saturating at ULLONG_MAX (never wraps). */
static unsigned long long digits_value(const char *s, size_t n, int *overflow)
{
    unsigned long long v = 0;
    *overflow = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (ULLONG_MAX - d) / 10) {
            *overflow = 1;
            return ULLONG_MAX;
        }
        v = v * 10 + d;
    }
    return v;
}

/* dump_signal as libratmem-preload(7) words it: none or 0; a name of
 * HUP INT QUIT USR1 USR2 ALRM TERM URG WINCH PWR in any case, with or
 * without SIG; or a number of a catchable signal that is not a fault
 * (ILL TRAP ABRT BUS FPE SEGV SYS) nor one glibc keeps (32..SIGRTMIN-1). */
static int model_signal_upper(const char *up, size_t n, long *out);
static int model_signal(const char *v, size_t n, long *out)
{
    /* Any length: a number may carry any count of leading zeros. */
    char *up = malloc(n + 1);
    if (!up)
        abort();
    for (size_t i = 0; i < n; i++)
        up[i] = v[i] >= 'a' && v[i] <= 'z' ? (char)(v[i] - 32) : v[i];
    up[n] = 0;
    int ok = model_signal_upper(up, n, out);
    free(up);
    return ok;
}

/* model_signal on the upper-cased, NUL-terminated value. */
static int model_signal_upper(const char *up, size_t n, long *out)
{
    if (!strcmp(up, "NONE") || !strcmp(up, "0")) {
        *out = 0;
        return 1;
    }
    const char *name = strncmp(up, "SIG", 3) == 0 && n > 3 ? up + 3 : up;
    static const struct { const char *n; int s; } tab[] = {
        { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "USR1", SIGUSR1 },
        { "USR2", SIGUSR2 }, { "ALRM", SIGALRM }, { "TERM", SIGTERM }, { "URG", SIGURG },
        { "WINCH", SIGWINCH }, { "PWR", SIGPWR },
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (!strcmp(name, tab[i].n)) {
            *out = tab[i].s;
            return 1;
        }
    size_t nn = strlen(name);
    int ovf;
    if (!all_digits(name, nn))
        return 0;
    unsigned long long x = digits_value(name, nn, &ovf);
    if (ovf || x < 1 || x > (unsigned long long)SIGRTMAX)
        return 0;
    switch (x) {
    case SIGKILL: case SIGSTOP: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
    case SIGFPE: case SIGSEGV: case SIGSYS:
        return 0;
    }
    if (x > 31 && x < (unsigned long long)SIGRTMIN)
        return 0;
    *out = (long)x;
    return 1;
}

/* The model's verdict on one value; 1 and *out on success. */
static int model_value(const struct mkey *k, const char *v, size_t n, long *out)
{
    int ovf;
    switch (k->kind) {
    case M_BOOL:
    case M_INT: {
        if (!all_digits(v, n))
            return 0;
        unsigned long long x = digits_value(v, n, &ovf);
        if (ovf || x < (unsigned long long)k->lo || x > (unsigned long long)k->hi)
            return 0;
        *out = (long)x;
        return 1;
    }
    case M_ENUM:
        for (int i = 0; k->names[i]; i++)
            if (strlen(k->names[i]) == n && memcmp(k->names[i], v, n) == 0) {
                *out = i;
                return 1;
            }
        return 0;
    case M_SIZE: {
        size_t d = 0;
        while (d < n && v[d] >= '0' && v[d] <= '9')
            d++;
        if (d == 0 || n - d > 1)
            return 0;
        unsigned shift = 0;
        if (n - d == 1) {
            switch (v[d]) {
            case 'k': case 'K': shift = 10; break;
            case 'm': case 'M': shift = 20; break;
            case 'g': case 'G': shift = 30; break;
            case 't': case 'T': shift = 40; break;
            default: return 0;
            }
        }
        unsigned long long x = digits_value(v, d, &ovf);
        if (ovf || x > (unsigned long long)SIZE_MAX || (shift && x > ((unsigned long long)SIZE_MAX >> shift)))
            return 0;
        *out = (long)(size_t)(x << shift);
        return 1;
    }
    case M_PATH:
        return n > 0 && n < RATMEM_PATH_MAX;
    case M_SIGNAL:
        return model_signal(v, n, out);
    }
    return 0;
}

/* Run the model over str; returns the number of warnings expected. */
static int model_parse(struct model *m, const char *str, int secure)
{
    int warn = 0;
    const char *p = str;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            if (!eq) {
                warn++;
            } else {
                size_t klen = (size_t)(eq - p), vlen = len - klen - 1;
                const struct mkey *k = NULL;
                size_t ki = 0;
                for (size_t i = 0; i < NKEYS; i++)
                    if (strlen(keys[i].key) == klen && memcmp(keys[i].key, p, klen) == 0)
                        k = &keys[i], ki = i;
                long val;
                if (!k) {
                    warn++;
                } else if (k->kind == M_PATH && secure) {
                    warn++;
                } else if (model_value(k, eq + 1, vlen, &val)) {
                    if (k->kind == M_PATH) {
                        m->path[ki] = eq + 1;
                        m->pathlen[ki] = vlen;
                    } else {
                        m->num[ki] = val;
                    }
                } else {
                    warn++;
                    m->num[ki] = defaults()->num[ki];
                    m->path[ki] = NULL;
                    m->pathlen[ki] = 0;
                }
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    return warn;
}

static void compare(const struct model *m, const struct ratmem_options *o)
{
    CHECK(o->leaks == m->num[0]);
    CHECK(o->wx == m->num[1]);
    CHECK(o->zero == m->num[2]);
    CHECK(o->format == m->num[4]);
    CHECK(o->stack_depth == m->num[5]);
    CHECK(o->reachable == m->num[6]);
    CHECK(o->exitcode == m->num[7]);
    CHECK(o->quota == (size_t)m->num[9]);
    CHECK(o->help == m->num[10]);
    CHECK(o->dump_signal == m->num[11]);
    CHECK(o->fast_unwind == m->num[13]);
    CHECK(o->debuginfo == m->num[14]);
    const char *fields[6] = { o->report, o->suppressions, o->dump, o->skip, o->only, o->run_dir };
    size_t idx[6] = { 3, 8, 12, 15, 16, 17 };
    for (int i = 0; i < 6; i++) {
        size_t n = strnlen(fields[i], RATMEM_PATH_MAX);
        CHECK(n < RATMEM_PATH_MAX);
        CHECK(n == m->pathlen[idx[i]]);
        CHECK(n == 0 || memcmp(fields[i], m->path[idx[i]], n) == 0);
    }
    /* Bounds the rest of the shim relies on, whatever the input. */
    CHECK(o->leaks == 0 || o->leaks == 1);
    CHECK(o->wx >= RATMEM_WX_ENFORCE && o->wx <= RATMEM_WX_OFF);
    CHECK(o->format == RATMEM_FORMAT_TEXT || o->format == RATMEM_FORMAT_JSON);
    CHECK(o->stack_depth >= 1 && o->stack_depth <= 256);
    CHECK(o->exitcode >= 0 && o->exitcode <= 255);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    ratmem_options_help(-1); /* the table's own text builds (written nowhere) */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int secure = data[0] & 1;
    char *str = malloc(size);
    memcpy(str, data + 1, size - 1);
    str[size - 1] = '\0';

    struct model m = *defaults();
    int want = model_parse(&m, str, secure);

    struct ratmem_options o;
    ratmem_options_defaults(&o);
    nmsgs = 0;
    ratmem_options_parse(&o, str, secure != 0);
    if (nmsgs != want)
        fprintf(stderr, "fuzz_options: %d warnings, model expects %d; last: %s\n", nmsgs, want,
                last_msg);
    CHECK(nmsgs == want);
    compare(&m, &o);
    if (secure)
        CHECK(o.report[0] == '\0' && o.suppressions[0] == '\0' && o.dump[0] == '\0');

    /* Parsing the same string again on top changes nothing. */
    struct ratmem_options o2 = o;
    ratmem_options_parse(&o2, str, secure != 0);
    CHECK(memcmp(&o, &o2, sizeof o) == 0);
    free(str);
    return 0;
}

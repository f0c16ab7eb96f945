/* options.h - RATMEM_OPTIONS: one table of keys, parsed once without
 * allocating.  The grammar is colon-separated key=value pairs (DESIGN.md);
 * see libratmem-preload(7) for the keys. */
#ifndef RATMEM_COMMON_OPTIONS_H
#define RATMEM_COMMON_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#define RATMEM_PATH_MAX 4096

enum ratmem_wx_mode { RATMEM_WX_ENFORCE, RATMEM_WX_WARN, RATMEM_WX_OFF };
enum ratmem_format { RATMEM_FORMAT_TEXT, RATMEM_FORMAT_JSON };
enum ratmem_debuginfo { RATMEM_DEBUGINFO_EMBEDDED, RATMEM_DEBUGINFO_ALL };

struct ratmem_options {
    int leaks;                         /* 0/1: track live blocks, report at exit */
    int wx;                            /* enum ratmem_wx_mode */
    int zero;                          /* 0/1: zero every allocation */
    char report[RATMEM_PATH_MAX];      /* "" = stderr; %p = pid */
    int format;                        /* enum ratmem_format */
    int stack_depth;                   /* 1..256 frames kept per allocation */
    int reachable;                     /* 0/1: list reachable blocks in text too */
    int exitcode;                      /* 0..255, 0 = leave the program's own */
    char suppressions[RATMEM_PATH_MAX];/* "" = none */
    int help;                          /* 0/1: print the keys at start-up */
    int fast_unwind;                   /* 0/1: own unwinder with caches (else libunwind) */
    int debuginfo;                     /* enum ratmem_debuginfo: where file:line come from */
    size_t quota;                      /* bytes in use allowed; 0 = no limit */
    int dump_signal;                   /* signal that writes a heap dump; 0 = none */
    char dump[RATMEM_PATH_MAX];        /* heap dump path template; "" = from report */
    char wx_allow[RATMEM_PATH_MAX];    /* GLOB[,GLOB]: executables given wx=warn; "" = none */
    char skip[RATMEM_PATH_MAX];        /* GLOB[,GLOB]: programs left untracked */
    char only[RATMEM_PATH_MAX];        /* GLOB[,GLOB]: programs tracked; "" = all */
    char run_dir[RATMEM_PATH_MAX];     /* the launcher's run directory; "" = none */
    size_t sample;                     /* mean bytes between samples; 0 = every block */
    char profile[RATMEM_PATH_MAX];     /* pprof heap profile path (%p, %n); "" = none */
    int profile_interval;              /* seconds between profiles; 0 = none */
};

/* The signal number named by s[0..n) for dump_signal: USR1, SIGUSR1 and the
 * other names of a small table (any case), or a number; 0 for "0", "none".  -1 when
 * it names no signal a handler may take (KILL, STOP, the fault signals,
 * glibc's internal real-time signals). */
int ratmem_options_signal(const char *s, size_t n);


/* Fill *o with the defaults. */
void ratmem_options_defaults(struct ratmem_options *o);
/* The same for an *o whose strings are all "" already (a static struct
 * not yet parsed into): the other fields are written where they differ,
 * the 32 KiB of string buffers are not touched (the shim's start-up: each
 * page written is a page fault in every process). */
void ratmem_options_defaults_fresh(struct ratmem_options *o);

/* Parse str (may be NULL) into *o, which holds defaults or earlier values.
 * Each unknown key or bad value writes one warning line to stderr naming it
 * and keeps the default.  When secure is true (AT_SECURE), path-valued keys
 * are ignored with a warning.  Never allocates. */
void ratmem_options_parse(struct ratmem_options *o, const char *str, bool secure);

/* Write the table of keys, defaults and meanings to fd. */
void ratmem_options_help(int fd);

/* The options of *o that differ from the defaults as "key=value:key=value"
 * in buf[cap] (NUL-terminated; "" when all are defaults; the launcher's
 * run_dir and help are left out; ":..." ends a list cut short).  Returns the
 * length.  Never allocates (the JSON report's "options"). */
size_t ratmem_options_format(const struct ratmem_options *o, char *buf, size_t cap);

#endif

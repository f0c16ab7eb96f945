/* launch.h - the launcher's run: what tools/tree.c and tools/summary.c
 * need to know about it once the program has ended. */
#ifndef RATMEM_TOOLS_LAUNCH_H
#define RATMEM_TOOLS_LAUNCH_H

#include <stdbool.h>
#include <sys/types.h>

/* A process the launcher reaped itself: the program, and orphans of the
 * tree that the kernel gave it as the child subreaper. */
struct reaped {
    pid_t pid;
    int status;                 /* as waitpid(2) gives it */
    int seq;                    /* order of recording (tools/tree.c) */
};

struct run {
    char **argv;                /* the program and its arguments */
    const char *dir;            /* the private run directory (mode 0700) */
    char *report;               /* the user's report= path; NULL = stderr */
    bool json;                  /* format=json */
    int exitcode;               /* exitcode=, for the whole tree; 0 = none */
    pid_t child;                /* the program's process */
    int status;                 /* the program's wait status */
    struct reaped *reaped;      /* every process reaped, the program too */
    size_t nreaped;
};

/* tmpl with "%p" replaced by pid and "%%" by "%" (malloc'd; out of
 * memory ends the launcher); *had, when not NULL, says whether a "%p" was
 * there. */
char *rm_expand_pid(const char *tmpl, pid_t pid, bool *had);

#endif

/* die.h - the command's fatal errors: one line "PROG: message" on
 * standard error, then exit(STATUS) (125 for the launcher's own errors, 2
 * for a subcommand's bad input or usage). */
#ifndef RATMEM_TOOLS_DIE_H
#define RATMEM_TOOLS_DIE_H

void rm_die(int status, const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));

#endif

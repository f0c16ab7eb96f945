/* symbolize.h - pc -> function, module+offset, file:line at report time,
 * through elfutils libdw.  Used for printed frames only. */
#ifndef RATMEM_TRACK_SYMBOLIZE_H
#define RATMEM_TRACK_SYMBOLIZE_H

#include <stdint.h>

struct rm_frame_info {
    uintptr_t pc;
    const char *function;   /* NULL when unknown */
    const char *module;     /* "" when unknown */
    uintptr_t offset;       /* pc - module base (pc when unknown) */
    const char *file;       /* NULL without debug info */
    int line;               /* 0 without debug info */
};

struct rm_symbolizer;

/* Report this process's modules to libdw.  NULL when that fails (lookups
 * then fall back to dladdr).  Strings handed out stay valid until close. */
struct rm_symbolizer *rm_sym_open(void);
/* pc is a return address: lines are looked up at pc - 1. */
void rm_sym_lookup(struct rm_symbolizer *sy, uintptr_t pc, struct rm_frame_info *out);
void rm_sym_close(struct rm_symbolizer *sy);
/* Whether file:line may come from separate debug files (/usr/lib/debug,
 * libc6-dbg, -dbgsym packages), whose sections are compressed and slow to
 * load; off by default: lines then come from debug info inside the
 * binaries only, and function names from anywhere. */
void rm_sym_set_separate_lines(int on);

#endif

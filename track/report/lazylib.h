/* lazylib.h - libdw, zlib and libprotobuf-c, loaded when a report first
 * needs them instead of at start-up; libunwind, loaded by the first stack
 * capture the fast unwinder leaves to it (most processes: never).
 *
 * The shim is not linked with them: every function of theirs that the
 * tracker calls (symbolize.c: libdw; out.c: zlib; pprof/encode.c through
 * profile.c: libprotobuf-c and zlib; unwind.c and unwmem.c: libunwind) is
 * defined in lazylib.c under its own name, hidden, and forwards to the
 * library, which the first call opens with dlopen(RTLD_LAZY | RTLD_LOCAL)
 * and resolves whole (dlsym of each function).  RTLD_LAZY, as the
 * libraries were bound when linked: binding all of libunwind's and
 * liblzma's imports up front cost 150 000 instructions, and the lazy
 * binding of a call allocates nothing.  libunwind is loaded
 * explicitly (rm_unwmem_init, from unwind.c under its own lock, inside an
 * allocation but never from a signal handler), and its local address
 * space (a variable) is copied.  Loading them cost every process 0.5 ms and 50 page faults
 * at start-up (/bin/true: perf stat); most processes never need them (no
 * leak to print, no gzip'd dump, no profile).
 *
 * Calls come only from reports, heap dumps and profiles, under the
 * tracker's report lock, and from captures (libunwind), under unwind.c's
 * lock: each library's load is serialised by one of them (dlopen itself
 * may run in two threads at once).  While this thread is
 * inside dlopen or dlsym, every allocation goes to the loader arena
 * (ldarena.h), not to the program's heap nor to the report heap.
 *
 * A library that cannot be loaded (not installed, seccomp, a static
 * program) is tried once: one warning, and then the functions fail as the
 * library reports failure (dwfl_begin: NULL, so frames fall back to
 * dladdr's module+offset; deflateInit2_: Z_MEM_ERROR, so a gzip'd dump
 * is not written); profiles check rm_lazylib_load first.
 *
 * The program sees the libraries in dl_iterate_phdr and /proc/self/maps
 * once loaded (libratmem-preload(7), "What the program can see"). */
#ifndef RATMEM_TRACK_LAZYLIB_H
#define RATMEM_TRACK_LAZYLIB_H

#include <stdbool.h>

enum rm_lazylib { RM_LIB_UNWIND, RM_LIB_DW, RM_LIB_Z, RM_LIB_PROTOBUF, RM_LIB_COUNT };

/* Load lib (once; later calls answer at once).  true when usable. */
bool rm_lazylib_load(enum rm_lazylib lib);
/* Whether lib is loaded now (for tests: false until a report needs it). */
bool rm_lazylib_loaded(enum rm_lazylib lib);

#endif

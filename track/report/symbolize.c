/* symbolize.c - the libdw symbolizer (see symbolize.h).  Runs only at
 * report time; libdw's own allocations go to glibc untracked (the caller
 * holds the preload's guard). */
#define _GNU_SOURCE
#include "config.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <dlfcn.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fdhigh.h"
#include "mem.h"
#include "modules.h"
#include "symbolize.h"

#define RM_SYM_CACHE 4096      /* pc -> info cache slots */
#define RM_SYM_POOL ((size_t)1 << 20)

struct rm_symbolizer {
    Dwfl *dwfl;
    char *pool;              /* demangled names */
    size_t pool_len;
    struct { uintptr_t pc; struct rm_frame_info fi; } cache[RM_SYM_CACHE];
};

/* Separate debug files are found by build ID only (/usr/lib/debug/.build-id,
 * as Debian's -dbg and -dbgsym packages install them):
 * dwfl_standard_find_debuginfo would also load the debuginfod client, some
 * twenty libraries (libcurl, gnutls...), at every report: 30 ms and more. */
/* The files libdw opens stay open until the report ends: each is opened
 * (or moved) close-on-exec above the program's descriptors (fdhigh.h), not
 * in the lowest free numbers libdw's own open() would take. */
/* A regular file opened read-only (O_NONBLOCK: a FIFO or device put in a
 * module's place must not hang the report), or -1. */
static int open_regular(const char *path)
{
    int fd = ratmem_fd_open(path, O_RDONLY | O_NONBLOCK, 0);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                    char **file_name, Elf **elfp)
{
    struct stat st;
    /* What dwfl_linux_proc_find_elf does for a regular file, with the
     * descriptor high; the rest (deleted files, devices) is left to it. */
    if (modname && modname[0] == '/' && stat(modname, &st) == 0 && S_ISREG(st.st_mode)) {
        int fd = open_regular(modname);
        if (fd >= 0) {
            *file_name = strdup(modname);
            if (*file_name)
                return fd;
            close(fd);
            return -1;
        }
    }
    return ratmem_fd_high(dwfl_linux_proc_find_elf(mod, userdata, modname, base, file_name, elfp));
}

static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
                          Dwarf_Addr base, const char *file_name, const char *debuglink_file,
                          GElf_Word debuglink_crc, char **debuginfo_file_name)
{
    return ratmem_fd_high(dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name,
                                                       debuglink_file, debuglink_crc,
                                                       debuginfo_file_name));
}

static const Dwfl_Callbacks rm_dwfl_cb = {
    .find_elf = find_elf,
    .find_debuginfo = find_debuginfo,
};

/* dwfl_linux_proc_report, reading /proc/self/maps through a descriptor of
 * ours (libdw's fopen takes the lowest free number, without O_CLOEXEC).
 * The vDSO, which it finds through /proc/PID/auxv, is left out: no
 * allocation is made from it.  0 on success. */
static int report_maps(Dwfl *dwfl)
{
    int fd = ratmem_fd_open("/proc/self/maps", O_RDONLY, 0);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return -1;
    }
    int r = dwfl_linux_proc_maps_report(dwfl, f);
    fclose(f);
    return r;
}

/* A module the program dlclose'd: reported at its old place, so stacks
 * captured while it was loaded still resolve. */
static void report_gone(void *arg, const char *path, uintptr_t bias)
{
    int fd = open_regular(path);
    if (fd >= 0 && !dwfl_report_elf((Dwfl *)arg, path, path, fd, bias, false))
        close(fd);
}

/* Set once at start-up (debuginfo= option), read at report time. */
static _Atomic int rm_sym_separate_lines;

void rm_sym_set_separate_lines(int on)
{
    atomic_store_explicit(&rm_sym_separate_lines, on, memory_order_relaxed);
}

struct rm_symbolizer *rm_sym_open(void)
{
    struct rm_symbolizer *sy = rm_mem_map_scratch(sizeof *sy);
    if (!sy)
        return NULL;
    sy->pool = rm_mem_map_scratch(RM_SYM_POOL);
    sy->dwfl = dwfl_begin(&rm_dwfl_cb);
    if (sy->dwfl) {
        dwfl_report_begin(sy->dwfl);
        int bad = report_maps(sy->dwfl) != 0;
        if (!bad)
            rm_modules_each_gone(report_gone, sy->dwfl);
        if (dwfl_report_end(sy->dwfl, NULL, NULL) != 0 || bad) {
            dwfl_end(sy->dwfl);
            sy->dwfl = NULL;
        }
    }
    return sy;
}

void rm_sym_close(struct rm_symbolizer *sy)
{
    if (!sy)
        return;
    if (sy->dwfl)
        dwfl_end(sy->dwfl);
    rm_mem_unmap_scratch(sy->pool, RM_SYM_POOL);
    rm_mem_unmap_scratch(sy, sizeof *sy);
}

typedef char *(*demangle_fn)(const char *, char *, size_t *, int *);

static const char *pool_add(struct rm_symbolizer *sy, const char *s, size_t n)
{
    if (!sy->pool || sy->pool_len + n + 1 > RM_SYM_POOL)
        return NULL;
    char *r = sy->pool + sy->pool_len;
    memcpy(r, s, n);
    r[n] = 0;
    sy->pool_len += n + 1;
    return r;
}

/* Symbol version suffixes ("@@GLIBC_2.34") dropped; C++ names through the
 * host's __cxa_demangle when libstdc++ is loaded. */
static const char *demangle(struct rm_symbolizer *sy, const char *name)
{
    const char *at = strchr(name, '@');
    if (at && at > name) {
        const char *c = pool_add(sy, name, (size_t)(at - name));
        if (c)
            name = c;
    }
    if (!sy->pool || strncmp(name, "_Z", 2) != 0)
        return name;
    demangle_fn fn = (demangle_fn)dlsym(RTLD_DEFAULT, "__cxa_demangle");
    if (!fn)
        return name;
    int status = -1;
    char *d = fn(name, NULL, NULL, &status);
    if (!d)
        return name;
    const char *r = status == 0 ? pool_add(sy, d, strlen(d)) : NULL;
    free(d);
    return r ? r : name;
}

void rm_sym_lookup(struct rm_symbolizer *sy, uintptr_t pc, struct rm_frame_info *out)
{
    memset(out, 0, sizeof *out);
    out->pc = pc;
    out->module = "";
    out->offset = pc;
    unsigned c = (unsigned)((pc >> 2) ^ (pc >> 14)) & (RM_SYM_CACHE - 1);
    if (sy && sy->cache[c].pc == pc && pc) {
        *out = sy->cache[c].fi;
        return;
    }
    uintptr_t q = pc ? pc - 1 : pc;
    Dwfl_Module *mod = sy && sy->dwfl ? dwfl_addrmodule(sy->dwfl, q) : NULL;
    if (mod) {
        Dwarf_Addr low = 0;
        const char *mainfile = NULL;
        const char *name = dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, &mainfile, NULL);
        out->module = name ? name : mainfile ? mainfile : "";
        out->offset = pc - low;
        const char *fn = dwfl_module_addrname(mod, q);
        if (fn)
            out->function = demangle(sy, fn);
        /* Finding the name may have found a separate debug file; its
         * DWARF is read only with debuginfo=all. */
        const char *debugfile = NULL;
        dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &mainfile, &debugfile);
        bool separate = debugfile && (!mainfile || strcmp(debugfile, mainfile) != 0);
        Dwfl_Line *ln = separate && !atomic_load_explicit(&rm_sym_separate_lines,
                                                          memory_order_relaxed)
                            ? NULL
                            : dwfl_module_getsrc(mod, q);
        if (ln) {
            int line = 0;
            const char *file = dwfl_lineinfo(ln, NULL, &line, NULL, NULL, NULL);
            if (file && line > 0) {
                out->file = file;
                out->line = line;
            }
        }
    } else {
        Dl_info di;
        if (dladdr((void *)q, &di)) {
            if (di.dli_fname)
                out->module = di.dli_fname;
            out->offset = pc - (uintptr_t)di.dli_fbase;
            if (di.dli_sname)
                out->function = sy ? demangle(sy, di.dli_sname) : di.dli_sname;
        }
    }
    if (sy && pc) {
        sy->cache[c].pc = pc;
        sy->cache[c].fi = *out;
    }
}

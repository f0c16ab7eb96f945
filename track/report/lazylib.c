/* lazylib.c - libdw, zlib and libprotobuf-c loaded at first use (see
 * lazylib.h).  Each function below has the library's own name and
 * signature (hidden: -fvisibility=hidden), so the callers are unchanged. */
#define _GNU_SOURCE
#include "config.h"
#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <elfutils/libdwfl.h>
#include <zlib.h>
#include <protobuf-c/protobuf-c.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include "ldarena.h"
#include "msg.h"
#include "lazylib.h"

/* X(lib, return type, name, (parameters), (arguments), value on failure);
 * V(...) the same for a function returning nothing. */
#define RM_LAZY_FUNCS(X, V)                                                                      \
    X(RM_LIB_UNWIND, int, unw_backtrace, (void **b, int n), (b, n), 0)                         \
    X(RM_LIB_UNWIND, int, unw_set_caching_policy, (unw_addr_space_t as, unw_caching_policy_t p),\
      (as, p), -UNW_EUNSPEC)                                                                   \
    X(RM_LIB_UNWIND, unw_accessors_t *, unw_get_accessors, (unw_addr_space_t as), (as), NULL)  \
    X(RM_LIB_DW, Dwfl *, dwfl_begin, (const Dwfl_Callbacks *cb), (cb), NULL)                   \
    V(RM_LIB_DW, void, dwfl_report_begin, (Dwfl *d), (d), )                                    \
    X(RM_LIB_DW, int, dwfl_report_end,                                                         \
      (Dwfl *d, int (*rm)(Dwfl_Module *, void *, const char *, Dwarf_Addr, void *), void *a),  \
      (d, rm, a), -1)                                                                          \
    V(RM_LIB_DW, void, dwfl_end, (Dwfl *d), (d), )                                             \
    X(RM_LIB_DW, int, dwfl_linux_proc_maps_report, (Dwfl *d, FILE *f), (d, f), -1)             \
    X(RM_LIB_DW, Dwfl_Module *, dwfl_report_elf,                                               \
      (Dwfl *d, const char *n, const char *f, int fd, GElf_Addr b, bool add_p_vaddr),          \
      (d, n, f, fd, b, add_p_vaddr), NULL)                                                     \
    X(RM_LIB_DW, int, dwfl_linux_proc_find_elf,                                                \
      (Dwfl_Module *m, void **u, const char *n, Dwarf_Addr b, char **f, Elf **e),              \
      (m, u, n, b, f, e), -1)                                                                  \
    X(RM_LIB_DW, int, dwfl_build_id_find_debuginfo,                                            \
      (Dwfl_Module *m, void **u, const char *n, Dwarf_Addr b, const char *f, const char *l,    \
       GElf_Word c, char **d),                                                                 \
      (m, u, n, b, f, l, c, d), -1)                                                            \
    X(RM_LIB_DW, Dwfl_Module *, dwfl_addrmodule, (Dwfl *d, Dwarf_Addr a), (d, a), NULL)        \
    X(RM_LIB_DW, const char *, dwfl_module_info,                                               \
      (Dwfl_Module *m, void ***u, Dwarf_Addr *s, Dwarf_Addr *e, Dwarf_Addr *db,                \
       Dwarf_Addr *sb, const char **mf, const char **df),                                      \
      (m, u, s, e, db, sb, mf, df), NULL)                                                      \
    X(RM_LIB_DW, const char *, dwfl_module_addrname, (Dwfl_Module *m, GElf_Addr a), (m, a),    \
      NULL)                                                                                    \
    X(RM_LIB_DW, Dwfl_Line *, dwfl_module_getsrc, (Dwfl_Module *m, Dwarf_Addr a), (m, a),      \
      NULL)                                                                                    \
    X(RM_LIB_DW, const char *, dwfl_lineinfo,                                                  \
      (Dwfl_Line *l, Dwarf_Addr *a, int *ln, int *col, Dwarf_Word *mt, Dwarf_Word *len),       \
      (l, a, ln, col, mt, len), NULL)                                                          \
    X(RM_LIB_Z, int, deflateInit2_,                                                            \
      (z_streamp s, int lv, int me, int wb, int ml, int st, const char *v, int sz),            \
      (s, lv, me, wb, ml, st, v, sz), Z_MEM_ERROR)                                             \
    X(RM_LIB_Z, int, deflate, (z_streamp s, int f), (s, f), Z_STREAM_ERROR)                    \
    X(RM_LIB_Z, int, deflateEnd, (z_streamp s), (s), Z_STREAM_ERROR)                           \
    X(RM_LIB_PROTOBUF, size_t, protobuf_c_message_get_packed_size,                             \
      (const ProtobufCMessage *m), (m), 0)                                                     \
    X(RM_LIB_PROTOBUF, size_t, protobuf_c_message_pack, (const ProtobufCMessage *m,            \
      uint8_t *o), (m, o), 0)                                                                  \
    X(RM_LIB_PROTOBUF, size_t, protobuf_c_message_pack_to_buffer,                              \
      (const ProtobufCMessage *m, ProtobufCBuffer *b), (m, b), 0)                              \
    X(RM_LIB_PROTOBUF, ProtobufCMessage *, protobuf_c_message_unpack,                          \
      (const ProtobufCMessageDescriptor *d, ProtobufCAllocator *a, size_t n,                   \
       const uint8_t *p), (d, a, n, p), NULL)                                                  \
    V(RM_LIB_PROTOBUF, void, protobuf_c_message_free_unpacked,                                 \
      (ProtobufCMessage *m, ProtobufCAllocator *a), (m, a), )

/* The generated descriptors point at it (a string field's default). */
const char protobuf_c_empty_string[] = "";
/* libunwind's local address space (a variable of the library's: its
 * value, copied when the library is loaded; constant there). */
unw_addr_space_t unw_local_addr_space;

/* A name after macro expansion (libunwind's names are macros). */
#define RM_XSTR2(x) #x
#define RM_XSTR(x) RM_XSTR2(x)

static const char *const rm_lib_name[RM_LIB_COUNT] = {
    [RM_LIB_UNWIND] = "libunwind.so.8",
    [RM_LIB_DW] = "libdw.so.1",
    [RM_LIB_Z] = "libz.so.1",
    [RM_LIB_PROTOBUF] = "libprotobuf-c.so.1",
};

/* The resolved functions, written under the report lock before the state
 * says 1 (release), read after it (acquire). */
#define RM_SLOT(lib, ret, name, params, args, fail) static ret(*rm_p_##name) params;
RM_LAZY_FUNCS(RM_SLOT, RM_SLOT)

/* Per library: 0 not tried, 1 loaded, -1 failed (tried once). */
static _Atomic int rm_lib_state[RM_LIB_COUNT];

struct rm_sym {
    enum rm_lazylib lib;
    const char *name;
    void **slot;
};

#define RM_ROW(lib, ret, name, params, args, fail) { lib, RM_XSTR(name), (void **)&rm_p_##name },
static const struct rm_sym rm_syms[] = { RM_LAZY_FUNCS(RM_ROW, RM_ROW) };

bool rm_lazylib_loaded(enum rm_lazylib lib)
{
    return atomic_load_explicit(&rm_lib_state[lib], memory_order_acquire) == 1;
}

bool rm_lazylib_load(enum rm_lazylib lib)
{
    int st = atomic_load_explicit(&rm_lib_state[lib], memory_order_acquire);
    if (st)
        return st > 0;
    const char *why = NULL, *missing = NULL;
    /* Everything the loader allocates meanwhile on this thread lives as
     * long as the library: the loader arena (ldarena.h). */
    rm_ldarena_loading(true);
    void *h = dlopen(rm_lib_name[lib], RTLD_LAZY | RTLD_LOCAL);
    if (!h)
        why = dlerror();
    for (size_t i = 0; h && i < sizeof rm_syms / sizeof rm_syms[0]; i++) {
        if (rm_syms[i].lib != lib)
            continue;
        *rm_syms[i].slot = dlsym(h, rm_syms[i].name);
        if (!*rm_syms[i].slot) {
            missing = rm_syms[i].name;
            break;
        }
    }
    if (h && !missing && lib == RM_LIB_UNWIND) {
        unw_addr_space_t *as = dlsym(h, RM_XSTR(unw_local_addr_space));
        if (as)
            unw_local_addr_space = *as;
        else
            missing = RM_XSTR(unw_local_addr_space);
    }
    rm_ldarena_loading(false);
    /* A handle without every function stays loaded (dlclose would make
     * the loader allocate and free again) but is not used. */
    st = h && !missing ? 1 : -1;
    if (st < 0)
        ratmem_msg("warning: cannot load %s (%s): %s", rm_lib_name[lib],
                   missing ? missing : why ? why : "dlopen failed",
                   lib == RM_LIB_UNWIND ? "stacks the fast unwinder cannot walk are left empty"
                   : lib == RM_LIB_DW  ? "frames are shown as module+offset"
                   : lib == RM_LIB_Z   ? "gzip'd output is not written"
                                       : "heap profiles are not written");
    atomic_store_explicit(&rm_lib_state[lib], st, memory_order_release);
    return st > 0;
}

#define RM_STUB(lib, ret, name, params, args, fail)                                            \
    ret name params                                                                            \
    {                                                                                          \
        if (!rm_lazylib_load(lib))                                                             \
            return fail;                                                                       \
        return rm_p_##name args;                                                               \
    }
#define RM_VSTUB(lib, ret, name, params, args, fail)                                           \
    void name params                                                                           \
    {                                                                                          \
        if (rm_lazylib_load(lib))                                                              \
            rm_p_##name args;                                                                  \
    }
RM_LAZY_FUNCS(RM_STUB, RM_VSTUB)

/* badfree.c - invalid free() and realloc() (see badfree.h). */
#define _GNU_SOURCE
#include "config.h"
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "exempt.h"
#include "msg.h"
#include "symbolize.h"
#include "table.h"
#include "badfree.h"

/* Messages with a symbolized caller, at most; the rest are counted. */
#define RM_BADFREE_MSGS 100

/* Invalid frees seen: bumped by any thread, read by the report. */
static _Atomic uint64_t rm_badfree_n;

uint64_t rm_badfree_count(void)
{
    return atomic_load_explicit(&rm_badfree_n, memory_order_relaxed);
}

/* Copy len bytes at addr without faulting: process_vm_readv on ourselves
 * fails with EFAULT on an unmapped or unreadable address. */
static bool peek(uintptr_t addr, void *out, size_t len)
{
    struct iovec local = { out, len }, remote = { (void *)addr, len };
    long n = syscall(SYS_process_vm_readv, (long)getpid(), &local, 1L, &remote, 1L, 0L);
    return n == (long)len;
}

/* glibc's layout on 64-bit and 32-bit alike: the size word (with flag bits
 * PREV_INUSE 1, IS_MMAPPED 2, NON_MAIN_ARENA 4) just below the block, the
 * previous size below it; blocks aligned to 2 * sizeof(size_t) (16 on
 * x86_64, and glibc's MALLOC_ALIGNMENT there). */
#define SZ sizeof(size_t)
#define ALIGN (2 * SZ < __alignof__(long double) ? __alignof__(long double) : 2 * SZ)

bool rm_badfree_plausible(uintptr_t p)
{
    if (!p || p % ALIGN)
        return false;
    size_t hdr[2];
    if (!peek(p - 2 * SZ, hdr, sizeof hdr))
        return false;
    size_t size = hdr[1] & ~(size_t)7;
    if (size < 4 * SZ || size % ALIGN || p - 2 * SZ + size < p)
        return false;
    uintptr_t chunk = p - 2 * SZ;
    if (hdr[1] & 2) {
        /* An mmapped chunk: it and its leading pad span whole pages. */
        size_t pg = (size_t)sysconf(_SC_PAGESIZE);
        return ((chunk - hdr[0]) | (hdr[0] + size)) % pg == 0;
    }
    /* The next chunk's header must be readable and say "previous in use". */
    size_t next[2];
    if (!peek(chunk + size, next, sizeof next))
        return false;
    return (next[1] & 1) != 0 && (next[1] & ~(size_t)7) >= 4 * SZ;
}

bool rm_badfree_check(uintptr_t p, const char *what, uintptr_t caller)
{
    /* A block given out before the tracker started, or inside the shim. */
    if (rm_exempt_remove(p, true))
        return true;
    /* Blocks went out without a record: the table proves nothing, and only
     * a pointer glibc could not have made is refused. */
    if (rm_table_untracked() && rm_badfree_plausible(p))
        return true;
    rm_badfree_report(p, what, caller);
    return false;
}

void rm_badfree_report(uintptr_t p, const char *what, uintptr_t caller)
{
    uint64_t n = atomic_fetch_add_explicit(&rm_badfree_n, 1, memory_order_relaxed) + 1;
    if (n > RM_BADFREE_MSGS) {
        if (n == RM_BADFREE_MSGS + 1)
            ratmem_msg("further invalid frees are counted in the report, not shown");
        return;
    }
    struct rm_symbolizer *sy = rm_sym_open();
    struct rm_frame_info fi;
    rm_sym_lookup(sy, caller, &fi);
    ratmem_msg("%s(%p): not a live block (never allocated, or freed already); "
               "not passed to the allocator; from %s (%s+0x%lx)",
               what, (void *)p, fi.function ? fi.function : "??",
               fi.module[0] ? fi.module : "<unknown module>", (unsigned long)fi.offset);
    rm_sym_close(sy);
}

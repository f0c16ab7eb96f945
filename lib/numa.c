/* numa.c - RatNumaNodeCount and RatMemSetNumaPolicy: NUMA placement of
 * reservations through the mbind and get_mempolicy syscalls (no libnuma).
 *
 * Node masks are NODE_BITS bits on the stack, with one spare word: the
 * kernel is passed maxnode = NODE_BITS + 1 (it drops the last bit), and
 * some checkers (valgrind) round that up to a whole word.  A kernel built
 * without NUMA answers ENOSYS: it then has one node, node 0, and placing
 * memory on it is a no-op that succeeds. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "prim.h"

#define MPOL_DEFAULT 0
#define MPOL_PREFERRED 1
#define MPOL_BIND 2
#define MPOL_INTERLEAVE 3
#define MPOL_F_MEMS_ALLOWED (1 << 2)
#define MPOL_MF_MOVE (1 << 1)

#define NODE_BITS 4096
#define WORD_BITS (8 * sizeof(unsigned long))
#define NODE_WORDS (NODE_BITS / WORD_BITS + 1)

static bool mask_get(const unsigned long *m, int n)
{
    return (m[n / WORD_BITS] >> (n % WORD_BITS)) & 1;
}

static void mask_set(unsigned long *m, int n)
{
    m[n / WORD_BITS] |= 1UL << (n % WORD_BITS);
}

/* The nodes this process may allocate on (its cpuset's mems).  False
 * when the kernel has no NUMA support; *m is then {0}. */
static bool allowed_nodes(unsigned long *m)
{
    memset(m, 0, NODE_WORDS * sizeof *m);
    if (ratmem_prim_get_mempolicy(NULL, m, NODE_BITS + 1, NULL, MPOL_F_MEMS_ALLOWED) == 0)
        return true;
    memset(m, 0, NODE_WORDS * sizeof *m);
    mask_set(m, 0);
    return false;
}

/* The highest node number in a sysfs node list such as "0-3,6", or -1. */
static int list_max(const char *s)
{
    int hi = -1;
    while (*s) {
        if (*s >= '0' && *s <= '9') {
            char *end;
            long v = strtol(s, &end, 10);
            if (v > hi && v < NODE_BITS)
                hi = (int)v;
            s = end;
        } else {
            s++;
        }
    }
    return hi;
}

int RatNumaNodeCount(void)
{
    char buf[256];
    int hi = -1;
    if (ratmem_read_small_file("/sys/devices/system/node/online", buf, sizeof buf) > 0)
        hi = list_max(buf);
    if (hi < 0) {
        unsigned long m[NODE_WORDS];
        if (allowed_nodes(m))
            for (int n = 0; n < NODE_BITS; n++)
                if (mask_get(m, n))
                    hi = n;
    }
    return hi < 0 ? 1 : hi + 1;
}

RatStatus RatMemSetNumaPolicy(RatMemPtr ptr, size_t size, RatNumaPolicy policy, int node)
{
    int mode;
    switch (policy) {
    case RAT_NUMA_DEFAULT:    mode = MPOL_DEFAULT; break;
    case RAT_NUMA_PREFERRED:  mode = MPOL_PREFERRED; break;
    case RAT_NUMA_BIND:       mode = MPOL_BIND; break;
    case RAT_NUMA_INTERLEAVE: mode = MPOL_INTERLEAVE; break;
    default:
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }
    unsigned long allowed[NODE_WORDS], mask[NODE_WORDS];
    bool numa = allowed_nodes(allowed);
    memset(mask, 0, sizeof mask);
    if (mode != MPOL_DEFAULT) {
        if (node == RAT_NUMA_ALL_NODES && mode != MPOL_PREFERRED)
            memcpy(mask, allowed, sizeof mask);
        else if (node >= 0 && node < NODE_BITS && mask_get(allowed, node))
            mask_set(mask, node);
        else
            return ratmem_fail(RAT_STATUS_INVALID_ARG);
    }

    char *start;
    size_t len;
    ratmem_regions_lock();
    struct ratmem_region *r = ratmem_regions_find_span(ptr, size, &start, &len);
    int rc = -EINVAL;
    if (r)
        rc = ratmem_prim_mbind(start, len, mode, mode == MPOL_DEFAULT ? NULL : mask,
                               mode == MPOL_DEFAULT ? 0 : NODE_BITS + 1, MPOL_MF_MOVE);
    ratmem_regions_unlock();
    if (rc == -ENOSYS && !numa)
        rc = 0; /* one node, and every page is on it */
    return rc == 0 ? RAT_STATUS_OK : ratmem_fail(ratmem_status_from_errno(-rc));
}

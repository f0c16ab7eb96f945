/* prot.c - the protection policy (see prot.h). */
#include "config.h"
#include <sys/mman.h>
#include "prot.h"

bool ratmem_prot_is_wx(int prot)
{
    return (prot & PROT_WRITE) && (prot & PROT_EXEC);
}

RatStatus ratmem_prot_from_flags(int flags, int *prot)
{
    if (flags & ~RATMEM_PROT_MASK)
        return RAT_STATUS_INVALID_ARG;
    int p = PROT_NONE;
    if (flags & RAT_MEM_READ)
        p |= PROT_READ;
    if (flags & RAT_MEM_WRITE)
        p |= PROT_WRITE;
    if (flags & RAT_MEM_EXECUTE)
        p |= PROT_EXEC;
    if (ratmem_prot_is_wx(p))
        return RAT_STATUS_PERMISSION;
    *prot = p;
    return RAT_STATUS_OK;
}

int ratmem_prot_to_flags(int prot)
{
    int f = RAT_MEM_NONE;
    if (prot & PROT_READ)
        f |= RAT_MEM_READ;
    if (prot & PROT_WRITE)
        f |= RAT_MEM_WRITE;
    if (prot & PROT_EXEC)
        f |= RAT_MEM_EXECUTE;
    return f;
}

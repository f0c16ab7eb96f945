/* heapdump.c - RatHeapDump: ask the preload shim, when it is loaded in this
 * process, to write a heap dump (every live block grouped by stack). */
#include "config.h"
#include <dlfcn.h>
#include "internal.h"

/* Exported by libratmem-preload.so; returns a RatStatus. */
typedef int (*dump_fn)(const char *path);

RatStatus RatHeapDump(const char *path)
{
    if (path && !path[0])
        return ratmem_fail(RAT_STATUS_INVALID_ARG);
    dump_fn fn = (dump_fn)dlsym(RTLD_DEFAULT, "ratmem_preload_heap_dump");
    if (!fn)
        return ratmem_fail(RAT_STATUS_UNSUPPORTED);
    RatStatus st = (RatStatus)fn(path);
    return st == RAT_STATUS_OK ? st : ratmem_fail(st);
}

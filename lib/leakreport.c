/* leakreport.c - RatLeakReport: ask the preload shim, when it is loaded in
 * this process, to write the current leak report. */
#include "config.h"
#include <dlfcn.h>
#include "internal.h"

/* Exported by libratmem-preload.so; returns a RatStatus. */
typedef int (*report_fn)(const char *path);

RatStatus RatLeakReport(const char *path)
{
    report_fn fn = (report_fn)dlsym(RTLD_DEFAULT, "ratmem_preload_leak_report");
    if (!fn)
        return ratmem_fail(RAT_STATUS_UNSUPPORTED);
    RatStatus st = (RatStatus)fn(path);
    return st == RAT_STATUS_OK ? st : ratmem_fail(st);
}

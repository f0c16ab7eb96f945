/* ctorleak.c - a library whose constructor leaks 40 bytes.  Preloaded
 * beside the shim, its constructor runs from the dynamic linker's entry
 * (_dl_start_user -> _dl_init -> call_init), code without unwind
 * information: the stack ends there, for libunwind and the fast capture
 * alike (shim-leaks.sh). */
#include <stdlib.h>
#include <string.h>

void *volatile ctorleak_sink;

__attribute__((noinline)) void ctorleak_make(void)
{
    char *p = malloc(40);
    if (p)
        memset(p, 1, 40);
    ctorleak_sink = p;
    ctorleak_sink = NULL;
}

__attribute__((constructor)) static void ctorleak_init(void)
{
    ctorleak_make();
}

/* holder.c - a shared library whose static keeps a block: reachable. */
#include <stdlib.h>
static void *kept;
__attribute__((visibility("default"))) void holder_keep(size_t n) { kept = malloc(n); }

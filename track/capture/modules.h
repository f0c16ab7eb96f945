/* modules.h - modules the program closed with dlclose(): their path and
 * load address, kept so that the report can still name the functions of
 * stacks that point into them after they are gone (heaptrack's "modules
 * changed" event, in small). */
#ifndef RATMEM_TRACK_MODULES_H
#define RATMEM_TRACK_MODULES_H

#include <stdint.h>

/* The module behind handle (a dlopen handle) is about to be closed:
 * remember its file, load bias and address range.  Same file at the same
 * place: one record.  At most RM_MODULES_MAX, the oldest dropped. */
void rm_modules_closing(void *handle);

/* Call fn for every remembered module whose range no loaded object
 * occupies now (a module still or again loaded is reported by libdw from
 * /proc/self/maps already). */
void rm_modules_each_gone(void (*fn)(void *arg, const char *path, uintptr_t bias), void *arg);

/* fork(): the record lock. */
void rm_modules_lock(void);
void rm_modules_unlock(void);

#endif

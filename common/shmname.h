/* shmname.h - the shared memory name rule. */
#ifndef RATMEM_CORE_SHMNAME_H
#define RATMEM_CORE_SHMNAME_H

#include <stdbool.h>

/* Longest name accepted, in bytes. */
#define RATMEM_SHM_NAME_MAX 200

/* A valid name is 1 to RATMEM_SHM_NAME_MAX bytes, each an ASCII letter,
 * digit, '.', '_' or '-', and is neither "." nor "..".  NULL is invalid. */
bool ratmem_shm_name_valid(const char *name);

#endif

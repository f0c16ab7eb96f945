/* shmname.c - the shared memory name rule (see shmname.h). */
#include "config.h"
#include <string.h>
#include "shmname.h"

bool ratmem_shm_name_valid(const char *name)
{
    if (!name)
        return false;
    size_t n = 0;
    for (const char *c = name; *c; c++, n++) {
        if (n >= RATMEM_SHM_NAME_MAX)
            return false;
        unsigned char ch = (unsigned char)*c;
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return n > 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

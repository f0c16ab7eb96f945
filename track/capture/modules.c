/* modules.c - the closed modules (see modules.h).  A small ring of
 * records in rm_mem_map'ed memory under one mutex: dlclose is rare. */
#define _GNU_SOURCE
#include "config.h"
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <string.h>
#include "mem.h"
#include "options.h"
#include "modules.h"
#include "unwind.h"

#define RM_MODULES_MAX 64

struct rm_module {
    uintptr_t bias, lo, hi;
    char path[RATMEM_PATH_MAX];
};

/* The ring: every field guarded by rm_mod_lock. */
static pthread_mutex_t rm_mod_lock = PTHREAD_MUTEX_INITIALIZER;
static struct rm_module *rm_mod;
static unsigned rm_mod_n, rm_mod_next;

struct find {
    const char *name;
    uintptr_t bias, lo, hi;
    int found;
};

static int range_of(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    if (info->dlpi_addr != f->bias || !info->dlpi_name || strcmp(info->dlpi_name, f->name) != 0)
        return 0;
    rm_object_load_range(info, &f->lo, &f->hi);
    f->found = 1;
    return 1;
}

void rm_modules_closing(void *handle)
{
    struct link_map *lm = NULL;
    if (!handle || dlinfo(handle, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_name ||
        lm->l_name[0] != '/' || strlen(lm->l_name) >= RATMEM_PATH_MAX)
        return;
    struct find f = { .name = lm->l_name, .bias = lm->l_addr };
    dl_iterate_phdr(range_of, &f);
    if (!f.found || f.lo >= f.hi)
        return;
    pthread_mutex_lock(&rm_mod_lock);
    if (!rm_mod)
        rm_mod = rm_mem_map(RM_MODULES_MAX * sizeof *rm_mod);
    bool known = false;
    for (unsigned i = 0; rm_mod && i < rm_mod_n && !known; i++)
        known = rm_mod[i].bias == f.bias && rm_mod[i].lo == f.lo && !strcmp(rm_mod[i].path, f.name);
    if (rm_mod && !known) {
        struct rm_module *m = &rm_mod[rm_mod_next];
        m->bias = f.bias;
        m->lo = f.lo;
        m->hi = f.hi;
        strcpy(m->path, f.name);
        rm_mod_next = (rm_mod_next + 1) % RM_MODULES_MAX;
        if (rm_mod_n < RM_MODULES_MAX)
            rm_mod_n++;
    }
    pthread_mutex_unlock(&rm_mod_lock);
}

struct overlap {
    uintptr_t lo, hi;
    int hit;
};

static int overlaps(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct overlap *o = arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && s < o->hi && s + ph->p_memsz > o->lo) {
            o->hit = 1;
            return 1;
        }
    }
    return 0;
}

void rm_modules_each_gone(void (*fn)(void *arg, const char *path, uintptr_t bias), void *arg)
{
    pthread_mutex_lock(&rm_mod_lock);
    /* Newest first: of two records for one range, the later one wins. */
    for (unsigned k = 0; k < rm_mod_n; k++) {
        unsigned i = (rm_mod_next + RM_MODULES_MAX - 1 - k) % RM_MODULES_MAX;
        struct overlap o = { rm_mod[i].lo, rm_mod[i].hi, 0 };
        bool shadowed = false;
        for (unsigned j = 0; j < k && !shadowed; j++) {
            unsigned n = (rm_mod_next + RM_MODULES_MAX - 1 - j) % RM_MODULES_MAX;
            shadowed = rm_mod[n].lo < o.hi && rm_mod[n].hi > o.lo;
        }
        dl_iterate_phdr(overlaps, &o);
        if (!o.hit && !shadowed)
            fn(arg, rm_mod[i].path, rm_mod[i].bias);
    }
    pthread_mutex_unlock(&rm_mod_lock);
}

void rm_modules_lock(void)
{
    pthread_mutex_lock(&rm_mod_lock);
}

void rm_modules_unlock(void)
{
    pthread_mutex_unlock(&rm_mod_lock);
}

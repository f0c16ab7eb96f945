/* lazy_load.c - the libraries reports need (libdw, zlib) are loaded by the
 * first report that needs them, not at start-up, and loading them inside a
 * report keeps the report's guarantees (track/report/lazylib.h, ldarena.h), for
 * tests/shim-lazy-load.sh.  Run under the shim with leaks=1; argv[1] is a
 * directory.  Prints "lazy load ok" and exits 0, or says what failed and
 * exits 1.
 *
 *  1. At start-up no libdw and no libz is mapped (dl_iterate_phdr).
 *  2. A second thread writes the first leak report (libdw is loaded
 *     there, its TLS first used there) while main waits: main's mallinfo2
 *     is the same before and after, and libdw is now loaded.
 *  3. The program dlopens libz itself, main writes a gzip'd heap dump (the
 *     shim loads zlib: the same module), the program dlcloses libz, and a
 *     second gzip'd dump and a report on main (libdw's TLS first used on
 *     this thread, inside a report) follow: mallinfo2 unchanged across
 *     each, no 1 GiB report-heap mapping left afterwards.
 *  4. The second thread ends (glibc frees its TLS blocks, which the loader
 *     made inside its report) and a third thread reports: no crash, heap
 *     unchanged.
 * The exit report, written by the shim, must name leak_site too (the
 * shell test checks it).  Exits 77 where no 1 GiB of address space can be
 * had. */
#define _GNU_SOURCE
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "ratmem.h"

static void *volatile leaked;
static char path_a[4096], path_b[4096], path_c[4096], path_d[4096], path_e[4096];

static __attribute__((noinline)) void leak_site(void)
{
    leaked = malloc(48);
    leaked = NULL;
}

struct find {
    const char *name;
    int found;
};

static int each(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    if (info->dlpi_name && strstr(info->dlpi_name, f->name))
        f->found = 1;
    return 0;
}

static int loaded(const char *name)
{
    struct find f = { name, 0 };
    dl_iterate_phdr(each, &f);
    return f.found;
}

static int gib_mappings(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f)
        return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && hi - lo == 1UL << 30)
            n++;
    }
    fclose(f);
    return n;
}

static int same(const struct mallinfo2 *a, const struct mallinfo2 *b, const char *when)
{
#define FIELD(f)                                                                        \
    if (a->f != b->f) {                                                                 \
        printf("FAILED: %s: mallinfo2 %s %zu -> %zu\n", when, #f, a->f, b->f);          \
        return 0;                                                                       \
    }
    FIELD(arena) FIELD(ordblks) FIELD(smblks) FIELD(hblks) FIELD(hblkhd)
    FIELD(fsmblks) FIELD(uordblks) FIELD(fordblks) FIELD(keepcost)
#undef FIELD
    return 1;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int step;   /* 1: report now; 2: reported; 3: may end */
static RatStatus thread_status = RAT_STATUS_OK;

static void wait_step(int want)
{
    pthread_mutex_lock(&mu);
    while (step < want)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
}

static void set_step(int s)
{
    pthread_mutex_lock(&mu);
    step = s;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void *reporter(void *arg)
{
    (void)arg;
    wait_step(1);
    thread_status = RatLeakReport(path_a);
    set_step(2);
    wait_step(3);
    return NULL;
}

static void *late_reporter(void *arg)
{
    return (void *)(long)RatLeakReport((const char *)arg);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: lazy_load DIR\n");
        return 2;
    }
    void *probe = mmap(NULL, 1UL << 30, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (probe == MAP_FAILED) {
        printf("skip: no 1 GiB of address space for the report heap\n");
        return 77;
    }
    munmap(probe, 1UL << 30);
    snprintf(path_a, sizeof path_a, "%s/a.json", argv[1]);
    snprintf(path_b, sizeof path_b, "%s/b.json.gz", argv[1]);
    snprintf(path_c, sizeof path_c, "%s/c.json.gz", argv[1]);
    snprintf(path_d, sizeof path_d, "%s/d.json", argv[1]);
    snprintf(path_e, sizeof path_e, "%s/e.json", argv[1]);

    /* 1. Nothing loaded up front. */
    if (loaded("libdw.so") || loaded("libz.so") || loaded("libprotobuf-c.so")) {
        printf("FAILED: libdw, libz or libprotobuf-c mapped at start-up\n");
        return 1;
    }
    int gib_before = gib_mappings();
    pthread_t t;
    if (pthread_create(&t, NULL, reporter, NULL) != 0) {
        printf("FAILED: pthread_create\n");
        return 1;
    }
    leak_site();

    /* 2. The first report, on the other thread. */
    struct mallinfo2 m0 = mallinfo2();
    set_step(1);
    wait_step(2);
    struct mallinfo2 m1 = mallinfo2();
    if (thread_status != RAT_STATUS_OK) {
        printf("FAILED: the thread's report: status %d\n", (int)thread_status);
        return 1;
    }
    if (!same(&m0, &m1, "first report, on a second thread"))
        return 1;
    if (!loaded("libdw.so")) {
        printf("FAILED: libdw not loaded after a report that printed a leak\n");
        return 1;
    }

    /* 3. zlib: the program's own handle and the shim's. */
    void *z = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    struct mallinfo2 m2 = mallinfo2();
    RatStatus sb = RatHeapDump(path_b);
    struct mallinfo2 m3 = mallinfo2();
    if (z)
        dlclose(z);
    struct mallinfo2 m4 = mallinfo2();
    RatStatus sc = RatHeapDump(path_c);
    RatStatus sd = RatLeakReport(path_d);
    struct mallinfo2 m5 = mallinfo2();
    if (sb != RAT_STATUS_OK || sc != RAT_STATUS_OK || sd != RAT_STATUS_OK) {
        printf("FAILED: statuses %d %d %d\n", (int)sb, (int)sc, (int)sd);
        return 1;
    }
    if (!same(&m2, &m3, "gzip'd dump (zlib loaded)") || !same(&m4, &m5, "dump and report on main"))
        return 1;

    /* 4. The first reporter ends; another thread reports. */
    set_step(3);
    pthread_join(t, NULL);
    void *r = NULL;
    if (pthread_create(&t, NULL, late_reporter, path_e) != 0 || pthread_join(t, &r) != 0 ||
        (RatStatus)(long)r != RAT_STATUS_OK) {
        printf("FAILED: the late thread's report\n");
        return 1;
    }
    if (gib_mappings() != gib_before) {
        printf("FAILED: a 1 GiB report-heap mapping is left after the reports\n");
        return 1;
    }
    printf("lazy load ok\n");
    return 0;
}

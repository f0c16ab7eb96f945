/* stress_badfree.c CASE - free() and realloc() of pointers that are not
 * live blocks.  Under the shim with leaks=1 each bad call is refused with
 * one line naming the caller, and the program goes on: prints "done".
 * Cases: stack, middle, wild, double, realloc, good (valid frees only:
 * blocks from before main, from another thread, reallocated, aligned). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hide where a pointer came from, so the compiler does not warn about
 * the bad calls this program makes on purpose. */
__attribute__((noinline)) static void *launder(void *p)
{
    void *volatile v = p;
    return v;
}

static void *early;

__attribute__((constructor)) static void make_early(void)
{
    early = malloc(40);
}

__attribute__((noinline)) static void bad_free_stack(void)
{
    char buf[64];
    memset(buf, 1, sizeof buf);
    void *volatile p = buf + 16;
    free(p);
}

__attribute__((noinline)) static void bad_free_middle(void)
{
    char *p = malloc(100);
    free(launder(p + 32));
    free(p);                 /* the real one still works */
}

__attribute__((noinline)) static void bad_free_wild(void)
{
    char *p = malloc(100);
    /* A heap-looking address, aligned, far above the block: unmapped or
     * some other block's inside. */
    free((void *)(((uintptr_t)p + ((uintptr_t)1 << 30)) & ~(uintptr_t)15));
    free(p);
}

__attribute__((noinline)) static void bad_free_double(void)
{
    char *p = malloc(24);
    void *again = launder(p);
    free(p);
    free(again);
}

__attribute__((noinline)) static void bad_realloc(void)
{
    char *p = malloc(50);
    void *again = launder(p);
    free(p);
    void *q = realloc(again, 200);
    if (q) {
        puts("realloc of a freed block succeeded");
        exit(1);
    }
    char local[32];
    if (realloc(launder(local + 8), 64)) {
        puts("realloc of a stack address succeeded");
        exit(1);
    }
}

static void *thread_alloc(void *arg)
{
    (void)arg;
    return malloc(300);
}

__attribute__((noinline)) static void good_frees(void)
{
    free(early);
    pthread_t t;
    void *p;
    pthread_create(&t, NULL, thread_alloc, NULL);
    pthread_join(t, &p);
    free(p);
    void *a = NULL;
    if (posix_memalign(&a, 256, 1000) == 0)
        free(a);
    char *r = malloc(10);
    for (size_t n = 20; n < 100000; n *= 3)
        r = realloc(r, n);
    free(r);
    free(strdup("x"));
    char *line = NULL;
    size_t cap = 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (f) {
        while (getline(&line, &cap, f) > 0)
            ;
        fclose(f);
    }
    free(line);
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "good";
    if (!strcmp(c, "stack"))
        bad_free_stack();
    else if (!strcmp(c, "middle"))
        bad_free_middle();
    else if (!strcmp(c, "wild"))
        bad_free_wild();
    else if (!strcmp(c, "double"))
        bad_free_double();
    else if (!strcmp(c, "realloc"))
        bad_realloc();
    else
        good_frees();
    /* After a refused call the heap is intact: allocate and free more. */
    for (int i = 0; i < 1000; i++)
        free(malloc((size_t)i % 300 + 1));
    puts("done");
    return 0;
}

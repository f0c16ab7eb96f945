/* leaky.c - programs with known leaks, one per mode (argv[1]).  Each mode
 * documents the report it must produce; tests/shim-leaks.sh checks the JSON
 * report against those numbers exactly.  Built with -O0 -g so that every
 * function named below is a real frame. */
#define _GNU_SOURCE
/* Every named function must stay a real frame, whatever CFLAGS say. */
#pragma GCC optimize("O0", "no-optimize-sibling-calls", "no-inline")
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* Roots the scan must see. */
void *global_keep;
char *global_interior;

/* Keeps a pointer from living on in a dead stack slot or register. */
static NOINLINE void scrub_stack(void)
{
    volatile char pad[4096];
    memset((char *)pad, 0, sizeof pad);
}

/* direct: 48 bytes in 1 block, top frame main (see main). */

/* deep: 100 bytes in 1 block from deep_leak, under a ten-level chain. */
NOINLINE void *deep_leak(void) { return malloc(100); }
NOINLINE void *level(int n)
{
    void *p = n == 0 ? deep_leak() : level(n - 1);
    __asm__ volatile("" ::: "memory");
    return p;
}

/* indirect: a 32-byte head (direct) owning two 16-byte children (indirect). */
struct node { struct node *kid[2]; char pad[16]; };
NOINLINE void make_tree(void)
{
    struct node *head = malloc(sizeof *head);
    head->kid[0] = malloc(16);
    head->kid[1] = malloc(16);
}

/* cycle: two 24-byte blocks pointing at each other: one direct, one indirect. */
NOINLINE void make_cycle(void)
{
    void **a = malloc(24), **b = malloc(24);
    a[0] = b;
    b[0] = a;
}

/* reachable: 200 bytes held by a global. */
NOINLINE void keep_global(void) { global_keep = malloc(200); }

/* interior: 300 bytes held only through a pointer into their middle. */
NOINLINE void keep_interior(void)
{
    char *p = malloc(300);
    global_interior = p + 150;
}

/* thread: 64 bytes leaked by a thread that has finished. */
NOINLINE static void *thread_body(void *arg)
{
    (void)arg;
    char *p = malloc(64);
    p[0] = 1;
    return NULL;
}

/* family: calloc 10x7=70, realloc'd to 500, posix_memalign 128, each direct. */
NOINLINE void leak_calloc(void)
{
    char *p = calloc(10, 7);
    p[0] = 1;
}
NOINLINE void leak_realloc(void)
{
    char *p = malloc(10);
    p = realloc(p, 500);
    p[0] = 1;
}
NOINLINE void leak_memalign(void)
{
    void *p;
    if (posix_memalign(&p, 64, 128) == 0)
        ((char *)p)[0] = 1;
}

/* dso: a static inside a dlopen'ed library holds 256 bytes (reachable). */
static void dso(const char *path)
{
    void *h = dlopen(path, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        exit(2);
    }
    void (*hold)(size_t) = (void (*)(size_t))dlsym(h, "holder_keep");
    hold(256);
}

/* chunktail: where glibc keeps the next chunk's header.  A leaked 33-byte
 * block (a 48-byte chunk) followed by a free chunk that glibc's bins point
 * at: that pointer, into the block's last bytes, is glibc's: the block is
 * a direct leak of 33 bytes.  And a block realloc shrank in place to 51
 * bytes (its chunk stays 80 bytes, so the next header lies past it) held
 * only through a pointer to its byte 48: reachable.  Nothing else leaks. */
char *global_tail;
NOINLINE void chunk_tail(void)
{
    char *p = malloc(64);
    memset(p, 1, 64);
    char *q = realloc(p, 51);
    global_tail = q + 48;
    char *a = malloc(33);
    char *b = malloc(2000);   /* past the tcache: freed into a bin */
    char *guard = malloc(16); /* keeps b from merging with the top chunk */
    memset(a, 2, 33);
    memset(b, 3, 2000);
    if (b != a + 48)
        fprintf(stderr, "leaky chunktail: blocks not adjacent; the test proves less\n");
    free(b);
    free(guard);
}

/* clean: everything freed; no leak at all. */
NOINLINE void clean(void)
{
    void *v[100];
    for (int i = 0; i < 100; i++)
        v[i] = malloc((size_t)i * 3 + 1);
    for (int i = 0; i < 100; i++)
        free(v[i]);
    char *s = strdup("abc");
    free(s);
}

/* handler: a signal handler leaks 52 bytes (raised from handler_raise). */
static void *volatile handler_sink;
NOINLINE static void handler_leak(int sig)
{
    (void)sig;
    char *p = malloc(52);
    if (p)
        memset(p, 2, 52);
    handler_sink = p;
    handler_sink = NULL;
}

NOINLINE void handler_raise(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler_leak;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "direct")) {
        void *p = malloc(48);
        memset(p, 1, 48);
        p = NULL;
    } else if (!strcmp(m, "deep")) {
        level(9);
    } else if (!strcmp(m, "indirect")) {
        make_tree();
    } else if (!strcmp(m, "cycle")) {
        make_cycle();
    } else if (!strcmp(m, "reachable")) {
        keep_global();
    } else if (!strcmp(m, "interior")) {
        keep_interior();
    } else if (!strcmp(m, "thread")) {
        pthread_t t;
        pthread_create(&t, NULL, thread_body, NULL);
        pthread_join(t, NULL);
    } else if (!strcmp(m, "family")) {
        leak_calloc();
        leak_realloc();
        leak_memalign();
    } else if (!strcmp(m, "dso") && argc > 2) {
        dso(argv[2]);
    } else if (!strcmp(m, "clean")) {
        clean();
    } else if (!strcmp(m, "chunktail")) {
        chunk_tail();
    } else if (!strcmp(m, "handler")) {
        handler_raise();
    } else {
        fprintf(stderr, "usage: leaky direct|deep|indirect|cycle|reachable|interior|thread|family|dso LIB|clean|chunktail|handler\n");
        return 2;
    }
    scrub_stack();
    puts("done");
    return 0;
}

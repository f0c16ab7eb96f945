/* stress_dlclose.c LIB [N] - dlopen LIB, call leaker_make (one 48-byte
 * block leaked each time) and leaker_churn, dlclose it; N times (default
 * 20).  Prints "done". */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* Overwrite the dead stack below main's frame, where stale copies of the
 * leaked pointers would keep them "reachable" for the conservative scan. */
__attribute__((noinline)) static void scrub(void)
{
    volatile char buf[32768];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int n = argc > 2 ? atoi(argv[2]) : 20;
    for (int i = 0; i < n; i++) {
        void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "dlopen: %s\n", dlerror());
            return 1;
        }
        void (*make)(int) = (void (*)(int))dlsym(h, "leaker_make");
        void (*churn)(void) = (void (*)(void))dlsym(h, "leaker_churn");
        if (!make || !churn)
            return 1;
        make(i);
        churn();
        if (dlclose(h) != 0)
            return 1;
    }
    scrub();
    puts("done");
    return 0;
}

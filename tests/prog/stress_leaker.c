/* stress_leaker.c - libstress_leaker.so: a library that allocates and
 * leaks (48 bytes a call: a multiple of 16, see stress-dlclose.sh); stress_dlclose opens and closes it in a loop. */
#include <stdlib.h>

__attribute__((noinline)) void leaker_make(int i)
{
    char *volatile p = malloc(48);
    p[0] = (char)i;
    p = NULL;
}

/* Freed again: no leak from here. */
void leaker_churn(void)
{
    for (int i = 0; i < 100; i++)
        free(malloc((size_t)i + 1));
}

/* quota.c - under RATMEM_OPTIONS=quota=1M: a 2 MiB malloc fails with
 * ENOMEM and succeeds once memory is freed; mappings count too; threads
 * racing at the limit never pass it.  Prints "quota ok" and exits 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "ratmem.h"

#define MiB (1024 * 1024)
static int bad;
#define CHECK(c) do { if (!(c)) { printf("FAILED: %s (line %d, errno %d)\n", #c, __LINE__, errno); bad = 1; } } while (0)

static void *grab(void *arg)
{
    (void)arg;
    void **held = calloc(200, sizeof *held);
    int n = 0;
    while (n < 200 && (held[n] = malloc(16 * 1024)))
        n++;
    size_t limit, used, peak;
    RatMemGetQuota(&limit, &used, &peak);
    CHECK(used <= limit && peak <= limit);
    for (int i = 0; i < n; i++)
        free(held[i]);
    free(held);
    return NULL;
}

int main(void)
{
    size_t limit = 0, used = 0, peak = 0;
    RatMemGetQuota(&limit, &used, &peak);
    CHECK(limit == MiB);

    errno = 0;
    void *big = malloc(2 * MiB);
    CHECK(big == NULL && errno == ENOMEM);
    void *a = malloc(600 * 1024);
    char *volatile keep = a; /* read after the failed realloc below */
    CHECK(a != NULL);
    errno = 0;
    void *b = malloc(600 * 1024);
    CHECK(b == NULL && errno == ENOMEM);
    errno = 0;
    void *c = realloc(a, 2 * MiB);
    CHECK(c == NULL && errno == ENOMEM);
    CHECK(keep[1000] == 0); /* the old block is still there */
    free(keep);
    b = malloc(600 * 1024);
    CHECK(b != NULL);
    free(b);

    errno = 0;
    void *m = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m == MAP_FAILED && errno == ENOMEM);
    m = mmap(NULL, 512 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    errno = 0;
    CHECK(malloc(700 * 1024) == NULL && errno == ENOMEM); /* mapping + heap together */
    CHECK(munmap(m, 512 * 1024) == 0);
    b = malloc(700 * 1024);
    CHECK(b != NULL);
    free(b);

    /* RatAPI memory counts against the same quota. */
    CHECK(RatMemAlloc(2 * MiB) == NULL && RatGetLastError() == RAT_STATUS_NO_MEMORY);
    char *r = RatMemReserve(4 * MiB);
    CHECK(r != NULL);
    CHECK(RatMemCommit(r, 2 * MiB, RAT_MEM_READ | RAT_MEM_WRITE) == RAT_STATUS_NO_MEMORY);
    CHECK(RatMemCommit(r, 256 * 1024, RAT_MEM_READ | RAT_MEM_WRITE) == RAT_STATUS_OK);
    CHECK(RatMemRelease(r, 0) == RAT_STATUS_OK);

    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, grab, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    RatMemGetQuota(&limit, &used, &peak);
    CHECK(peak <= limit);
    CHECK(used < 256 * 1024);

    puts(bad ? "quota FAILED" : "quota ok");
    return bad;
}

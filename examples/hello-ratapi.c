/* hello-ratapi.c - a short tour of the RatAPI; built by `make` and run by
 * setup.sh.  Compile your own with: cc prog.c $(pkg-config --cflags --libs ratmem) */
#include <stdio.h>
#include <string.h>
#include "ratmem.h"

int main(void)
{
    /* Heap: always zeroed. */
    char *buf = RatMemCalloc(16, sizeof(char));
    if (!buf) {
        fprintf(stderr, "RatMemCalloc: %s\n", RatStatusString(RatGetLastError()));
        return 1;
    }
    strcpy(buf, "hello, RatOS");
    printf("%s\n", buf);
    RatMemFree(buf);
    if (RatMemFree(buf) == RAT_STATUS_INVALID_ARG)
        printf("double free refused: %s\n", RatStatusString(RatGetLastError()));

    /* Virtual memory: reserve, commit read-write, then flip to read-execute. */
    char *region = RatMemReserve(1 << 20);
    RatMemCommit(region, 4096, RAT_MEM_READ | RAT_MEM_WRITE);
    region[0] = 42;
    RatStatus st = RatMemProtect(region, 4096, RAT_MEM_WRITE | RAT_MEM_EXECUTE);
    printf("writable+executable: %s\n", RatStatusString(st));
    RatMemRelease(region, 0);
    return 0;
}

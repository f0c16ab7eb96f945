/* fuzz_shmname.c - libFuzzer target: the shared memory name rule
 * (common/shmname.c) against the rule as RatSharedMemCreate(3) states it,
 * and RatSharedMemOpen/RatSharedMemUnlink's refusal of bad names.
 *
 * Input: the name, cut at the first NUL.  The model: 1 to 200 bytes, each
 * an ASCII letter, digit, '.', '_' or '-', and neither "." nor "..".  An
 * invalid name must give RAT_STATUS_INVALID_ARG from RatSharedMemOpen and
 * RatSharedMemUnlink (without touching /dev/shm); a valid one must get
 * past the rule: RatSharedMemOpen then answers NOT_FOUND or opens an
 * existing object (closed again at once).  Unlink is only called with
 * invalid names, so the target never removes anything. */
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ratmem.h"
#include "shmname.h"
#include "check.h"

static int model_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 200)
        return 0;
    if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *name = malloc(size + 1);
    memcpy(name, data, size);
    name[size] = '\0';
    int want = model_valid(name);
    CHECK(ratmem_shm_name_valid(name) == (want != 0));
    CHECK(RATMEM_SHM_NAME_MAX == 200);

    RatMemPtr p = RatSharedMemOpen(name);
    if (!want) {
        CHECK(p == NULL && RatGetLastError() == RAT_STATUS_INVALID_ARG);
        CHECK(RatSharedMemUnlink(name) == RAT_STATUS_INVALID_ARG);
        CHECK(RatGetLastError() == RAT_STATUS_INVALID_ARG);
        CHECK(RatSharedMemCreate(name, 1 + size) == NULL);
        CHECK(RatGetLastError() == RAT_STATUS_INVALID_ARG);
    } else if (p) {
        CHECK(RatSharedMemClose(p) == RAT_STATUS_OK);
    } else {
        RatStatus st = RatGetLastError();
        CHECK(st != RAT_STATUS_INVALID_ARG);
        CHECK(st == RAT_STATUS_NOT_FOUND || st == RAT_STATUS_PERMISSION || st == RAT_STATUS_ERROR);
    }
    free(name);
    return 0;
}

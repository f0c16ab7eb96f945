/* check.h - the fuzz targets' assertion: a failed check names its file,
 * line and expression on stderr and aborts, which libFuzzer reports as a
 * crash and saves the input for. */
#ifndef RATMEM_FUZZ_CHECK_H
#define RATMEM_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(c)                                                                     \
    do {                                                                             \
        if (!(c)) {                                                                  \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);     \
            abort();                                                                 \
        }                                                                            \
    } while (0)

#endif

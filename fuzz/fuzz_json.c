/* fuzz_json.c - libFuzzer target: the JSON string writer (track/report/json.c).
 *
 * Arbitrary bytes, as a symbol name or a path might hold, go through
 * rm_json_string (and rm_json_cstr up to the first NUL).  The output must
 * be one valid JSON string (RFC 8259), checked here by a small strict
 * parser: no raw control bytes, only the defined escapes, \u escapes with
 * four hex digits and surrogates in pairs, and raw bytes that are
 * well-formed UTF-8 (json.h promises it).  Decoded, it must say exactly
 * what json.h promises: each well-formed UTF-8 sequence of the input as
 * itself, and each byte of an ill-formed one as U+FFFD.  Any disagreement
 * aborts. */
#define _GNU_SOURCE
#include "config.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "json.h"
#include "out.h"
#include "check.h"

/* One UTF-8 sequence at s[0..n) by Unicode's table 3-7 (written apart from
 * json.c's): its length and code point, or 0 when ill-formed. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, c = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, c = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int hex4(const unsigned char *s, size_t n, uint32_t *v)
{
    if (n < 4)
        return 0;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(s[i]);
        if (h < 0)
            return 0;
        *v = *v << 4 | (uint32_t)h;
    }
    return 1;
}

/* Parse the JSON string that is all of s[0..n) strictly; its code points
 * go to out (room for n), their number to *nout. */
static void parse_json_string(const unsigned char *s, size_t n, uint32_t *out, size_t *nout)
{
    size_t i = 0, k = 0;
    CHECK(n >= 2 && s[0] == '"' && s[n - 1] == '"');
    i = 1;
    while (i < n - 1) {
        unsigned char c = s[i];
        CHECK(c >= 0x20);          /* no raw control bytes */
        CHECK(c != '"');           /* an unescaped quote would end the string */
        if (c == '\\') {
            CHECK(i + 1 < n - 1);
            unsigned char e = s[i + 1];
            uint32_t v;
            switch (e) {
            case '"': v = '"'; break;
            case '\\': v = '\\'; break;
            case '/': v = '/'; break;
            case 'b': v = 8; break;
            case 'f': v = 12; break;
            case 'n': v = 10; break;
            case 'r': v = 13; break;
            case 't': v = 9; break;
            case 'u':
                CHECK(hex4(s + i + 2, n - 1 - (i + 2), &v));
                i += 4;
                if (v >= 0xD800 && v <= 0xDBFF) {
                    uint32_t lo;
                    CHECK(i + 2 < n - 1 && s[i + 2] == '\\' && s[i + 3] == 'u');
                    CHECK(hex4(s + i + 4, n - 1 - (i + 4), &lo));
                    CHECK(lo >= 0xDC00 && lo <= 0xDFFF);
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else {
                    CHECK(!(v >= 0xDC00 && v <= 0xDFFF)); /* no lone low surrogate */
                }
                break;
            default:
                CHECK(!"unknown escape");
                v = 0;
            }
            out[k++] = v;
            i += 2;
            continue;
        }
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - 1 - i, &cp);
        CHECK(len > 0);            /* raw bytes are well-formed UTF-8 */
        out[k++] = cp;
        i += len;
    }
    CHECK(i == n - 1);
    *nout = k;
}

/* What json.h promises the decoded string is. */
static size_t expected(const unsigned char *s, size_t n, uint32_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(s + i, n - i, &cp);
        if (len == 0) {
            out[k++] = 0xFFFD;
            i++;
        } else {
            out[k++] = cp;
            i += len;
        }
    }
    return k;
}

static int fd = -1;
static unsigned char *outbuf;
static size_t outcap;

/* Run write(o) into the memfd and return its output in outbuf. */
static size_t capture(void (*write)(struct rm_out *, const char *, size_t), const char *s,
                      size_t n)
{
    static struct rm_out o;
    CHECK(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
    rm_out_init(&o, fd);
    write(&o, s, n);
    rm_out_flush(&o);
    CHECK(o.error == 0);
    off_t len = lseek(fd, 0, SEEK_CUR);
    CHECK(len >= 2 && (size_t)len <= 6 * n + 2);   /* at most \uXXXX per byte */
    if ((size_t)len > outcap) {
        outcap = (size_t)len;
        outbuf = realloc(outbuf, outcap);
        CHECK(outbuf != NULL);
    }
    CHECK(pread(fd, outbuf, (size_t)len, 0) == len);
    return (size_t)len;
}

static void write_string(struct rm_out *o, const char *s, size_t n)
{
    rm_json_string(o, s, n);
}

static void write_cstr(struct rm_out *o, const char *s, size_t n)
{
    (void)n;
    rm_json_cstr(o, s);
}

static void check_one(void (*write)(struct rm_out *, const char *, size_t), const char *s,
                      size_t n)
{
    size_t len = capture(write, s, n);
    uint32_t *got = malloc((len + 1) * sizeof *got), *want = malloc((n + 1) * sizeof *want);
    size_t ngot = 0, nwant = expected((const unsigned char *)s, n, want);
    parse_json_string(outbuf, len, got, &ngot);
    CHECK(ngot == nwant);
    CHECK(memcmp(got, want, ngot * sizeof *got) == 0);
    free(got);
    free(want);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fd = memfd_create("fuzz_json", MFD_CLOEXEC);
    CHECK(fd >= 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    check_one(write_string, s, size);
    check_one(write_cstr, s, strlen(s));
    /* rm_utf8_seq agrees with the independent decoder on every lead byte. */
    for (size_t i = 0; i < size; i++)
        if (data[i] >= 0x80) {
            uint32_t cp;
            CHECK(rm_utf8_seq(data + i, size - i) == utf8_decode(data + i, size - i, &cp));
        }
    free(s);
    return 0;
}

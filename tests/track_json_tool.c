/* track_json_tool.c - output for tests/track-json.sh, which checks it with
 * a JSON parser.
 *   track_json_tool strings   [[escaped, hex of the raw bytes], ...] for
 *                             every byte and many random byte strings
 *   track_json_tool report    a JSON leak report of a synthetic heap */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "json.h"
#include "out.h"
#include "report.h"
#include "stackdb.h"
#include "table.h"

static void pair(struct rm_out *o, const unsigned char *s, size_t n, int first)
{
    rm_out_str(o, first ? "[" : ",\n[");
    rm_json_string(o, (const char *)s, n);
    rm_out_str(o, ", \"");
    for (size_t i = 0; i < n; i++) {
        char h[3] = { "0123456789abcdef"[s[i] >> 4], "0123456789abcdef"[s[i] & 15], 0 };
        rm_out_str(o, h);
    }
    rm_out_str(o, "\"]");
}

static int strings(void)
{
    struct rm_out o;
    rm_out_init(&o, 1);
    rm_out_str(&o, "[\n");
    int first = 1;
    for (int c = 0; c < 256; c++) {
        unsigned char b = (unsigned char)c;
        pair(&o, &b, 1, first);
        first = 0;
    }
    static const char *nasty[] = {
        "\"\\\"\\\\", "</script>", "\xef\xbb\xbf" "bom", "\xe2\x80\xa8\xe2\x80\xa9",
        "\xf0\x9f\x92\xa9", "\xed\xbf\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf",
        "\xf8\x88\x80\x80\x80", "\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf",
    };
    for (size_t i = 0; i < sizeof nasty / sizeof nasty[0]; i++)
        pair(&o, (const unsigned char *)nasty[i], strlen(nasty[i]), 0);
    /* Random strings, biased to high bytes and control bytes. */
    unsigned long x = 88172645463325252UL;
    for (int k = 0; k < 5000; k++) {
        unsigned char buf[48];
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t n = x % sizeof buf;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            unsigned r = (unsigned)(x >> 11);
            buf[i] = (r & 3) == 0 ? (unsigned char)(r >> 8) & 0x1f
                   : (r & 3) == 1 ? (unsigned char)(0x80 | ((r >> 8) & 0x7f))
                   : (unsigned char)(r >> 8);
        }
        pair(&o, buf, n, 0);
    }
    rm_out_str(&o, "\n]\n");
    rm_out_flush(&o);
    return o.error ? 1 : 0;
}

__attribute__((noinline)) void rm_tool_frame_one(void) { __asm__ volatile(""); }
__attribute__((noinline)) void rm_tool_frame_two(void) { __asm__ volatile(""); }

int main(int argc, char **argv);

static int report(void)
{
    uintptr_t p1[2] = { (uintptr_t)rm_tool_frame_one + 1, (uintptr_t)main + 1 };
    uintptr_t p2[2] = { (uintptr_t)rm_tool_frame_two + 1, (uintptr_t)main + 1 };
    uint32_t s1 = rm_stackdb_intern(p1, 2, rm_stack_hash(p1, 2));
    uint32_t s2 = rm_stackdb_intern(p2, 2, rm_stack_hash(p2, 2));
    /* 10 direct 16-byte blocks from one, a 1000-byte direct block from
     * two owning 5 indirect 32-byte blocks (from one), one reachable. */
    static void *keep[1];
    for (int i = 0; i < 10; i++)
        rm_table_insert((uintptr_t)calloc(1, 16), 16, s1);
    uintptr_t *owner = calloc(1, 1000);
    rm_table_insert((uintptr_t)owner, 1000, s2);
    for (int i = 0; i < 5; i++) {
        owner[i] = (uintptr_t)calloc(1, 32);
        rm_table_insert(owner[i], 32, s1);
    }
    owner = NULL;
    keep[0] = calloc(1, 77);
    rm_table_insert((uintptr_t)keep[0], 77, s2);
    struct rm_range r = { (uintptr_t)keep, (uintptr_t)(keep + 1) };
    struct ratmem_options o;
    memset(&o, 0, sizeof o);
    o.leaks = 1;
    o.stack_depth = 32;
    o.format = RATMEM_FORMAT_JSON;
    o.reachable = 1;
    struct rm_report_req req = { .opts = &o, .fd = 1, .roots = &r, .nroots = 1 };
    return rm_report_write(&req, NULL) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "strings") == 0)
        return strings();
    if (argc == 2 && strcmp(argv[1], "report") == 0)
        return report();
    fprintf(stderr, "usage: track_json_tool strings|report\n");
    return 2;
}

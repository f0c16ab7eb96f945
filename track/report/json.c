/* json.c - JSON string escaping (see json.h).  Fuzzed: keep it standalone. */
#include "config.h"
#include <string.h>
#include "json.h"

size_t rm_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;            /* no overlongs */
        else if (c == 0xED)
            hi = 0x9F;            /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;            /* no overlongs */
        else if (c == 0xF4)
            hi = 0x8F;            /* <= U+10FFFF */
    } else {
        return 0;                 /* 0x80..0xC1, 0xF5..0xFF */
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return len;
}

void rm_json_string(struct rm_out *o, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    static const char hex[] = "0123456789abcdef";
    rm_out_bytes(o, "\"", 1);
    size_t i = 0, run = 0;   /* s[run..i) is pending plain text */
    while (i < n) {
        unsigned c = s[i];
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t k = rm_utf8_seq(s + i, n - i);
            if (k) {
                i += k;
                continue;
            }
        }
        rm_out_bytes(o, (const char *)s + run, i - run);
        char e[6];
        switch (c) {
        case '"':  rm_out_bytes(o, "\\\"", 2); break;
        case '\\': rm_out_bytes(o, "\\\\", 2); break;
        case '\n': rm_out_bytes(o, "\\n", 2); break;
        case '\r': rm_out_bytes(o, "\\r", 2); break;
        case '\t': rm_out_bytes(o, "\\t", 2); break;
        default:
            if (c >= 0x80) {
                rm_out_bytes(o, "\\ufffd", 6);
            } else {
                e[0] = '\\'; e[1] = 'u'; e[2] = '0'; e[3] = '0';
                e[4] = hex[c >> 4];
                e[5] = hex[c & 15];
                rm_out_bytes(o, e, 6);
            }
        }
        i++;
        run = i;
    }
    rm_out_bytes(o, (const char *)s + run, i - run);
    rm_out_bytes(o, "\"", 1);
}

void rm_json_cstr(struct rm_out *o, const char *s)
{
    if (!s)
        rm_out_bytes(o, "null", 4);
    else
        rm_json_string(o, s, strlen(s));
}

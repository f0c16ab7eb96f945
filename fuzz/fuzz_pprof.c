/* fuzz_pprof.c - libFuzzer target: the pprof encoder (pprof/encode.c).
 *
 * The input drives a profile: samples whose values, stacks, labels and
 * frames (pc, module, build ID, offset, function, file, line: drawn from
 * small pools that include NULL, "" and bytes of the input itself) come
 * from the bytes.  The profile is encoded, gunzipped and parsed back with
 * libprotobuf-c, and must say exactly what went in: every sample's values
 * and labels, every frame's address, mapping (file, build ID, address
 * inside it), function name, file and line; string_table[0] "" and no
 * string twice; ids unique and nonzero.  rm_pprof_write_buf into a buffer
 * of a size from the input gives the same bytes or fails with ENOBUFS. */
#include "config.h"
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "pprof/encode.h"
#include "pprof/profile.pb-c.h"
#include "check.h"

struct in {
    const uint8_t *p;
    size_t n;
};

static unsigned byte(struct in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint64_t word(struct in *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | byte(in);
    return v;
}

/* A string from the pool, or up to 15 bytes of the input (NUL-free). */
static const char *str(struct in *in, char *buf)
{
    static const char *const pool[] = { NULL, "", "main", "make_node", "/usr/bin/prog",
                                        "/lib/libc.so.6", "prog.c", "abc123", "??" };
    unsigned c = byte(in);
    if (c < 200)
        return pool[c % (sizeof pool / sizeof *pool)];
    size_t k = 0, len = c % 16;
    while (k < len && in->n) {
        char ch = (char)byte(in);
        buf[k++] = ch ? ch : 'x';
    }
    buf[k] = 0;
    return buf;
}

static const char *s_or_empty(const char *s)
{
    return s ? s : "";
}

/* Well-formed UTF-8 (written apart from encode.c: by code point ranges). */
static bool utf8_ok(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        uint32_t cp;
        size_t len;
        if (s[0] < 0x80) {
            s++;
            continue;
        } else if ((s[0] & 0xe0) == 0xc0) {
            len = 2, cp = s[0] & 0x1f;
        } else if ((s[0] & 0xf0) == 0xe0) {
            len = 3, cp = s[0] & 0x0f;
        } else if ((s[0] & 0xf8) == 0xf0) {
            len = 4, cp = s[0] & 0x07;
        } else {
            return false;
        }
        for (size_t i = 1; i < len; i++) {
            if ((s[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (s[i] & 0x3f);
        }
        static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        s += len;
    }
    return true;
}

/* The table's string equals what went in, when that was UTF-8. */
static bool same_str(const char *table, const char *in)
{
    return !utf8_ok(in) || strcmp(table, in) == 0;
}

#define MAXS 16
#define MAXF 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    static const struct rm_pprof_type types[] = { { "a_objects", "count" }, { "a_space", "bytes" } };
    struct rm_pprof *p = rm_pprof_new(types, 2);
    CHECK(p);
    /* What went in. */
    struct rm_pprof_frame fr[MAXS][MAXF];
    char sbuf[MAXS][MAXF][6][16];
    size_t nf[MAXS];
    int64_t vals[MAXS][2];
    int64_t labnum[MAXS];
    size_t ns = byte(&in) % MAXS;
    for (size_t s = 0; s < ns; s++) {
        nf[s] = byte(&in) % MAXF;
        vals[s][0] = (int64_t)word(&in);
        vals[s][1] = (int64_t)word(&in);
        labnum[s] = (int64_t)(word(&in) >> 1);
        for (size_t k = 0; k < nf[s]; k++) {
            struct rm_pprof_frame *f = &fr[s][k];
            f->pc = byte(&in) < 128 ? byte(&in) * 16u : word(&in);
            f->offset = byte(&in) < 200 ? f->pc & 0xffff : word(&in);
            f->module = str(&in, sbuf[s][k][0]);
            f->build_id = str(&in, sbuf[s][k][1]);
            f->function = str(&in, sbuf[s][k][2]);
            f->file = str(&in, sbuf[s][k][3]);
            f->line = (int64_t)(int8_t)byte(&in);
            /* Sometimes the segment holding pc (a page or more around it;
             * a limit that wraps is not used). */
            f->map_start = f->map_limit = f->map_offset = 0;
            if (byte(&in) < 64) {
                f->map_start = f->pc & ~(uint64_t)0xfff;
                f->map_limit = f->map_start + 0x1000 * (1 + (uint64_t)(byte(&in) % 4));
                f->map_offset = word(&in) & ~(uint64_t)0xfff;
            }
        }
        struct rm_pprof_label lab = { "pid", NULL, labnum[s], NULL };
        CHECK(rm_pprof_add_sample(p, vals[s], fr[s], nf[s], &lab, 1) == 0);
    }
    CHECK(rm_pprof_samples(p) == ns);

    unsigned char *gz;
    size_t gzlen;
    CHECK(rm_pprof_encode(p, &gz, &gzlen) == 0);
    size_t cap = (size_t)byte(&in) * 8, got;
    unsigned char *buf = malloc(cap ? cap : 1);
    CHECK(buf);
    if (rm_pprof_write_buf(p, buf, cap, &got) == 0)
        CHECK(got == gzlen && memcmp(buf, gz, got) == 0);
    else
        CHECK(errno == ENOBUFS && got == 0 && cap < gzlen + 64);
    free(buf);

    /* gunzip */
    size_t rawcap = 1 << 20, rawlen;
    unsigned char *raw = malloc(rawcap);
    CHECK(raw);
    z_stream z;
    memset(&z, 0, sizeof z);
    CHECK(inflateInit2(&z, 15 + 16) == Z_OK);
    z.next_in = gz;
    z.avail_in = (uInt)gzlen;
    z.next_out = raw;
    z.avail_out = (uInt)rawcap;
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    rawlen = rawcap - z.avail_out;
    inflateEnd(&z);
    free(gz);

    Perftools__Profiles__Profile *pr = perftools__profiles__profile__unpack(NULL, rawlen, raw);
    CHECK(pr);
    free(raw);
    char **st = pr->string_table;
    CHECK(pr->n_string_table >= 1 && st[0][0] == 0);
    for (size_t i = 1; i < pr->n_string_table; i++) {
        CHECK(st[i][0] != 0);
        CHECK(utf8_ok(st[i]));
        for (size_t j = 1; j < i; j++)
            CHECK(strcmp(st[i], st[j]) != 0);
    }
    CHECK(pr->n_sample_type == 2 && strcmp(st[pr->sample_type[1]->type], "a_space") == 0);
    CHECK(pr->n_sample == ns);
    /* ids: i + 1 in their arrays (mappings may be reordered: by id). */
    for (size_t i = 0; i < pr->n_location; i++)
        CHECK(pr->location[i]->id == i + 1);
    for (size_t i = 0; i < pr->n_function; i++)
        CHECK(pr->function[i]->id == i + 1);
    for (size_t s = 0; s < ns; s++) {
        const Perftools__Profiles__Sample *sm = pr->sample[s];
        CHECK(sm->n_value == 2 && sm->value[0] == vals[s][0] && sm->value[1] == vals[s][1]);
        CHECK(sm->n_label == 1 && strcmp(st[sm->label[0]->key], "pid") == 0 &&
              sm->label[0]->num == labnum[s]);
        CHECK(sm->n_location_id == nf[s]);
        for (size_t k = 0; k < nf[s]; k++) {
            const struct rm_pprof_frame *f = &fr[s][k];
            uint64_t lid = sm->location_id[k];
            CHECK(lid >= 1 && lid <= pr->n_location);
            const Perftools__Profiles__Location *l = pr->location[lid - 1];
            CHECK(l->address == f->pc);
            if (f->module && *f->module) {
                const Perftools__Profiles__Mapping *m = NULL;
                for (size_t i = 0; i < pr->n_mapping; i++)
                    if (pr->mapping[i]->id == l->mapping_id)
                        m = pr->mapping[i];
                CHECK(m);
                CHECK(same_str(st[m->filename], f->module));
                CHECK(same_str(st[m->build_id], s_or_empty(f->build_id)));
                CHECK(m->memory_start <= f->pc && (f->pc < m->memory_limit || f->pc == UINT64_MAX));
                if (f->map_start <= f->pc && f->pc < f->map_limit)
                    CHECK(m->memory_start == f->map_start && m->memory_limit >= f->map_limit &&
                          m->file_offset == f->map_offset);
            } else {
                CHECK(l->mapping_id == 0);
            }
            bool named = (f->function && *f->function) || (f->file && *f->file);
            CHECK(l->n_line == (named ? 1u : 0u));
            if (named) {
                uint64_t fid = l->line[0]->function_id;
                CHECK(fid >= 1 && fid <= pr->n_function);
                const Perftools__Profiles__Function *fn = pr->function[fid - 1];
                CHECK(same_str(st[fn->name], f->function && *f->function ? f->function : "??"));
                CHECK(same_str(st[fn->filename], s_or_empty(f->file)));
                CHECK(l->line[0]->line == (f->line > 0 ? f->line : 0));
            }
        }
    }
    perftools__profiles__profile__free_unpacked(pr, NULL);
    rm_pprof_free(p);
    return 0;
}

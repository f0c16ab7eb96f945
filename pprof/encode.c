/* pprof/encode.c - the pprof encoder: plain structs -> profile.proto
 * (libprotobuf-c) -> gzip (zlib).  See encode.h.
 *
 * Everything is allocated with malloc and released with free; growing an
 * array is malloc + memcpy + free (the shim's report heap serves malloc
 * and free; no realloc, no stdio).  Strings, functions, mappings and
 * locations are deduplicated with small open-addressing hash tables of
 * indices into their arrays. */
#include "config.h"

#include "encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "pprof/profile.pb-c.h"

#define MAX_TYPES 16

/* A table of unique keys (four words each) in insertion order, with a
 * hash index; entry i of the owner's parallel array belongs to keys[i]. */
struct key4 {
    uint64_t w[4];
};

struct keyset {
    struct key4 *keys;
    size_t n, cap;
    uint32_t *slots; /* index + 1, 0 = empty */
    size_t nslots;   /* power of two, kept at least twice n */
};

struct strtab {
    char **s;
    size_t *len;
    uint64_t *hash;
    size_t n, cap;
    uint32_t *slots;
    size_t nslots;
};

struct mapinfo {
    uint64_t start, limit, offset;
    int64_t filename, build_id;
    int has_functions, has_files, has_lines;
};

struct funcinfo {
    int64_t name, filename;
};

struct locinfo {
    uint64_t mapping_id, address, function_id;
    int64_t line;
};

struct sample {
    uint64_t *locs;
    int64_t *values;
    struct {
        int64_t key, str, num, unit;
    } *labels;
    size_t nlocs, nlabels;
};

struct rm_pprof {
    size_t ntypes;
    int64_t type_name[MAX_TYPES], type_unit[MAX_TYPES];
    int64_t period_type, period_unit, period;
    int64_t time_nanos, duration_nanos, default_type;
    int64_t main_module; /* string index, 0 = first mapping */

    struct strtab strs;
    struct keyset maps, funcs, locs;
    struct mapinfo *mapv;
    struct funcinfo *funcv;
    struct locinfo *locv;
    size_t mapcap, funccap, loccap;

    struct sample *samples;
    size_t nsamples, samplecap;
    int64_t *comments;
    size_t ncomments, commentcap;
};

/* Grow *arr (elements of size elem, *cap of them) to hold need elements.
 * malloc + memcpy + free: the report heap serves no realloc guarantee. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem) {
            errno = ENOMEM;
            return -1;
        }
        ncap *= 2;
    }
    void *n = malloc(ncap * elem);
    if (!n)
        return -1;
    if (*arr) {
        memcpy(n, *arr, *cap * elem);
        free(*arr);
    }
    *arr = n;
    *cap = ncap;
    return 0;
}

static uint64_t hash_bytes(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h ^ (h >> 29);
}

static uint64_t hash_key(const struct key4 *k)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 4; i++) {
        h ^= k->w[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
        h *= 0xff51afd7ed558ccdull;
    }
    return h ^ (h >> 31);
}

/* A fresh slot array of nslots for a table whose entries have hashes
 * given by hashof(i); 0 on success. */
static uint32_t *rehash(size_t nslots, size_t n, uint64_t (*hashof)(const void *, size_t),
                        const void *owner)
{
    uint32_t *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return NULL;
    memset(slots, 0, nslots * sizeof *slots);
    for (size_t i = 0; i < n; i++) {
        size_t j = hashof(owner, i) & (nslots - 1);
        while (slots[j])
            j = (j + 1) & (nslots - 1);
        slots[j] = (uint32_t)(i + 1);
    }
    return slots;
}

static uint64_t keyset_hashof(const void *owner, size_t i)
{
    return hash_key(&((const struct keyset *)owner)->keys[i]);
}

static uint64_t strtab_hashof(const void *owner, size_t i)
{
    return ((const struct strtab *)owner)->hash[i];
}

/* Make room for one more entry in a table of n entries (slots at least
 * twice the entries). */
static int reserve_slots(uint32_t **slots, size_t *nslots, size_t n,
                         uint64_t (*hashof)(const void *, size_t), const void *owner)
{
    if ((n + 1) * 2 <= *nslots)
        return 0;
    if (n + 1 >= UINT32_MAX / 4) {
        errno = ENOMEM;
        return -1;
    }
    size_t ns = *nslots ? *nslots * 2 : 64;
    while ((n + 1) * 2 > ns)
        ns *= 2;
    uint32_t *s = rehash(ns, n, hashof, owner);
    if (!s)
        return -1;
    free(*slots);
    *slots = s;
    *nslots = ns;
    return 0;
}

/* Index of key k in s, adding it (and growing the owner's parallel array
 * *par of element size elem via *parcap) when new; *isnew says which. */
static int keyset_get(struct keyset *s, const struct key4 *k, size_t *idx, int *isnew,
                      void **par, size_t *parcap, size_t elem)
{
    uint64_t h = hash_key(k);
    if (s->nslots) {
        size_t j = h & (s->nslots - 1);
        while (s->slots[j]) {
            size_t i = s->slots[j] - 1;
            if (memcmp(&s->keys[i], k, sizeof *k) == 0) {
                *idx = i;
                *isnew = 0;
                return 0;
            }
            j = (j + 1) & (s->nslots - 1);
        }
    }
    if (reserve_slots(&s->slots, &s->nslots, s->n, keyset_hashof, s) < 0 ||
        grow((void **)&s->keys, &s->cap, s->n + 1, sizeof *s->keys) < 0 ||
        grow(par, parcap, s->n + 1, elem) < 0)
        return -1;
    size_t j = h & (s->nslots - 1);
    while (s->slots[j])
        j = (j + 1) & (s->nslots - 1);
    s->keys[s->n] = *k;
    s->slots[j] = (uint32_t)(s->n + 1);
    *idx = s->n++;
    *isnew = 1;
    return 0;
}

/* Length of the well-formed UTF-8 sequence at s (s[0] >= 0x80), else 0
 * (Unicode table 3-7: no overlongs, surrogates or code points past
 * U+10FFFF). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0], lo = 0x80, hi = 0xbf;
    size_t len;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80;
        hi = c == 0xed ? 0x9f : 0xbf;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf;
    } else
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* proto3 strings must be UTF-8 (pprof's and protobuf's readers refuse a
 * profile with others): str when it is, else a malloc'd copy with each
 * byte of an ill-formed sequence replaced by U+FFFD (*copy set). */
static const char *utf8_clean(const char *str, char **copy)
{
    const unsigned char *u = (const unsigned char *)str;
    size_t bad = 0, i = 0;
    *copy = NULL;
    while (u[i]) {
        size_t k = u[i] < 0x80 ? 1 : utf8_seq(u + i);
        if (!k) {
            bad++;
            k = 1;
        }
        i += k;
    }
    if (!bad)
        return str;
    char *c = malloc(i + 2 * bad + 1), *o = c;
    if (!c)
        return NULL;
    for (i = 0; u[i];) {
        size_t k = u[i] < 0x80 ? 1 : utf8_seq(u + i);
        if (!k) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        } else {
            memcpy(o, u + i, k);
            o += k;
            i += k;
        }
    }
    *o = 0;
    *copy = c;
    return c;
}

static int str_index_clean(struct rm_pprof *p, const char *str, int64_t *out);

/* The string table index of str (NULL and "" are 0), adding a copy;
 * ill-formed UTF-8 is stored with U+FFFD for its bytes. */
static int str_index(struct rm_pprof *p, const char *str, int64_t *out)
{
    char *copy;
    if (!str || !*str) {
        *out = 0;
        return 0;
    }
    const char *clean = utf8_clean(str, &copy);
    if (!clean)
        return -1;
    int rc = str_index_clean(p, clean, out);
    int e = errno;
    free(copy);
    errno = e;
    return rc;
}

static int str_index_clean(struct rm_pprof *p, const char *str, int64_t *out)
{
    struct strtab *t = &p->strs;
    size_t len = strlen(str);
    uint64_t h = hash_bytes(str, len);
    size_t j = h & (t->nslots - 1);
    while (t->slots[j]) {
        size_t i = t->slots[j] - 1;
        if (t->hash[i] == h && t->len[i] == len && memcmp(t->s[i], str, len) == 0) {
            *out = (int64_t)i;
            return 0;
        }
        j = (j + 1) & (t->nslots - 1);
    }
    size_t cap = t->cap;
    if (reserve_slots(&t->slots, &t->nslots, t->n, strtab_hashof, t) < 0 ||
        grow((void **)&t->s, &cap, t->n + 1, sizeof *t->s) < 0)
        return -1;
    cap = t->cap;
    if (grow((void **)&t->len, &cap, t->n + 1, sizeof *t->len) < 0)
        return -1;
    cap = t->cap;
    if (grow((void **)&t->hash, &cap, t->n + 1, sizeof *t->hash) < 0)
        return -1;
    t->cap = cap;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, str, len + 1);
    j = h & (t->nslots - 1);
    while (t->slots[j])
        j = (j + 1) & (t->nslots - 1);
    t->s[t->n] = copy;
    t->len[t->n] = len;
    t->hash[t->n] = h;
    t->slots[j] = (uint32_t)(t->n + 1);
    *out = (int64_t)t->n++;
    return 0;
}

struct rm_pprof *rm_pprof_new(const struct rm_pprof_type *types, size_t ntypes)
{
    if (!types || ntypes == 0 || ntypes > MAX_TYPES) {
        errno = EINVAL;
        return NULL;
    }
    struct rm_pprof *p = malloc(sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->ntypes = ntypes;
    /* string_table[0] must be "": entry 0, never found by lookup. */
    struct strtab *t = &p->strs;
    if (grow((void **)&t->s, &t->cap, 1, sizeof *t->s) < 0)
        goto fail;
    size_t cap = 0;
    if (grow((void **)&t->len, &cap, t->cap, sizeof *t->len) < 0)
        goto fail;
    cap = 0;
    if (grow((void **)&t->hash, &cap, t->cap, sizeof *t->hash) < 0)
        goto fail;
    if (!(t->s[0] = malloc(1)))
        goto fail;
    t->s[0][0] = '\0';
    t->len[0] = 0;
    t->hash[0] = 0;
    t->n = 1;
    /* Entry 0 stays out of the index for now (lookups of "" answer 0
     * directly; a later rehash may index it, which is harmless). */
    if (reserve_slots(&t->slots, &t->nslots, 0, strtab_hashof, t) < 0)
        goto fail;
    for (size_t i = 0; i < ntypes; i++) {
        if (!types[i].type || !*types[i].type) {
            errno = EINVAL;
            goto fail;
        }
        if (str_index(p, types[i].type, &p->type_name[i]) < 0 ||
            str_index(p, types[i].unit, &p->type_unit[i]) < 0)
            goto fail;
    }
    return p;
fail:;
    int e = errno;
    rm_pprof_free(p);
    errno = e;
    return NULL;
}

void rm_pprof_free(struct rm_pprof *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->strs.n; i++)
        free(p->strs.s[i]);
    free(p->strs.s);
    free(p->strs.len);
    free(p->strs.hash);
    free(p->strs.slots);
    struct keyset *sets[] = { &p->maps, &p->funcs, &p->locs };
    for (size_t i = 0; i < 3; i++) {
        free(sets[i]->keys);
        free(sets[i]->slots);
    }
    free(p->mapv);
    free(p->funcv);
    free(p->locv);
    for (size_t i = 0; i < p->nsamples; i++) {
        free(p->samples[i].locs);
        free(p->samples[i].values);
        free(p->samples[i].labels);
    }
    free(p->samples);
    free(p->comments);
    free(p);
}

int rm_pprof_set_period(struct rm_pprof *p, struct rm_pprof_type period_type, int64_t period)
{
    if (!p) {
        errno = EINVAL;
        return -1;
    }
    int64_t t, u;
    if (str_index(p, period_type.type, &t) < 0 || str_index(p, period_type.unit, &u) < 0)
        return -1;
    p->period_type = t;
    p->period_unit = u;
    p->period = period;
    return 0;
}

int rm_pprof_set_time(struct rm_pprof *p, int64_t time_nanos, int64_t duration_nanos)
{
    if (!p) {
        errno = EINVAL;
        return -1;
    }
    p->time_nanos = time_nanos;
    p->duration_nanos = duration_nanos;
    return 0;
}

int rm_pprof_set_default_type(struct rm_pprof *p, const char *type)
{
    if (!p) {
        errno = EINVAL;
        return -1;
    }
    return str_index(p, type, &p->default_type);
}

int rm_pprof_set_main(struct rm_pprof *p, const char *module)
{
    if (!p) {
        errno = EINVAL;
        return -1;
    }
    return str_index(p, module, &p->main_module);
}

int rm_pprof_add_comment(struct rm_pprof *p, const char *text)
{
    if (!p || !text) {
        errno = EINVAL;
        return -1;
    }
    int64_t s;
    if (str_index(p, text, &s) < 0 ||
        grow((void **)&p->comments, &p->commentcap, p->ncomments + 1, sizeof *p->comments) < 0)
        return -1;
    p->comments[p->ncomments++] = s;
    return 0;
}

/* The mapping id of f's module (0 when the frame names none). */
static int mapping_of(struct rm_pprof *p, const struct rm_pprof_frame *f, uint64_t *id)
{
    int64_t file, bid;
    *id = 0;
    if (!f->module || !*f->module)
        return 0;
    if (str_index(p, f->module, &file) < 0 || str_index(p, f->build_id, &bid) < 0)
        return -1;
    /* The segment the caller names, else the module from its load
     * address (pc - offset) with file offset 0. */
    int seg = f->map_start <= f->pc && f->pc < f->map_limit;
    uint64_t start = seg ? f->map_start : f->pc >= f->offset ? f->pc - f->offset : 0;
    uint64_t foff = seg ? f->map_offset : 0;
    struct key4 k = { { (uint64_t)file, (uint64_t)bid, start, foff } };
    size_t i;
    int isnew;
    if (keyset_get(&p->maps, &k, &i, &isnew, (void **)&p->mapv, &p->mapcap, sizeof *p->mapv) < 0)
        return -1;
    struct mapinfo *m = &p->mapv[i];
    if (isnew) {
        memset(m, 0, sizeof *m);
        m->start = start;
        m->offset = foff;
        m->limit = seg ? f->map_limit : start == UINT64_MAX ? UINT64_MAX : start + 1;
        m->filename = file;
        m->build_id = bid;
    }
    uint64_t end = seg ? f->map_limit : f->pc == UINT64_MAX ? UINT64_MAX : f->pc + 1;
    if (end > m->limit)
        m->limit = end;
    if (f->function && *f->function)
        m->has_functions = 1;
    if (f->file && *f->file)
        m->has_files = 1;
    if (f->line > 0)
        m->has_lines = 1;
    *id = i + 1;
    return 0;
}

/* The location id of frame f. */
static int location_of(struct rm_pprof *p, const struct rm_pprof_frame *f, uint64_t *id)
{
    uint64_t map, fid = 0;
    size_t i;
    int isnew;
    if (mapping_of(p, f, &map) < 0)
        return -1;
    if ((f->function && *f->function) || (f->file && *f->file)) {
        int64_t name, file, mod = 0;
        if (str_index(p, f->function && *f->function ? f->function : "??", &name) < 0 ||
            str_index(p, f->file, &file) < 0)
            return -1;
        /* Without a source file, two static functions of one name in
         * different modules stay apart by their module. */
        if (file == 0 && str_index(p, f->module, &mod) < 0)
            return -1;
        struct key4 k = { { (uint64_t)name, (uint64_t)file, (uint64_t)mod, 0 } };
        if (keyset_get(&p->funcs, &k, &i, &isnew, (void **)&p->funcv, &p->funccap,
                       sizeof *p->funcv) < 0)
            return -1;
        if (isnew) {
            p->funcv[i].name = name;
            p->funcv[i].filename = file;
        }
        fid = i + 1;
    }
    struct key4 k = { { map, f->pc, fid, (uint64_t)f->line } };
    if (keyset_get(&p->locs, &k, &i, &isnew, (void **)&p->locv, &p->loccap, sizeof *p->locv) < 0)
        return -1;
    if (isnew) {
        p->locv[i].mapping_id = map;
        p->locv[i].address = f->pc;
        p->locv[i].function_id = fid;
        p->locv[i].line = f->line > 0 ? f->line : 0;
    }
    *id = i + 1;
    return 0;
}

int rm_pprof_add_sample(struct rm_pprof *p, const int64_t *values,
                        const struct rm_pprof_frame *frames, size_t nframes,
                        const struct rm_pprof_label *labels, size_t nlabels)
{
    if (!p || !values || (nframes && !frames) || (nlabels && !labels) || nframes > (1u << 20) ||
        nlabels > 1024) {
        errno = EINVAL;
        return -1;
    }
    struct sample s = { 0 };
    if (grow((void **)&p->samples, &p->samplecap, p->nsamples + 1, sizeof *p->samples) < 0)
        return -1;
    s.values = malloc(p->ntypes * sizeof *s.values);
    s.locs = malloc((nframes ? nframes : 1) * sizeof *s.locs);
    s.labels = malloc((nlabels ? nlabels : 1) * sizeof *s.labels);
    if (!s.values || !s.locs || !s.labels)
        goto fail;
    memcpy(s.values, values, p->ntypes * sizeof *s.values);
    for (size_t i = 0; i < nframes; i++)
        if (location_of(p, &frames[i], &s.locs[i]) < 0)
            goto fail;
    s.nlocs = nframes;
    for (size_t i = 0; i < nlabels; i++) {
        if (!labels[i].key || !*labels[i].key) {
            errno = EINVAL;
            goto fail;
        }
        memset(&s.labels[i], 0, sizeof s.labels[i]);
        if (str_index(p, labels[i].key, &s.labels[i].key) < 0)
            goto fail;
        if (labels[i].str) {
            if (str_index(p, labels[i].str, &s.labels[i].str) < 0)
                goto fail;
        } else {
            s.labels[i].num = labels[i].num;
            if (str_index(p, labels[i].num_unit, &s.labels[i].unit) < 0)
                goto fail;
        }
    }
    s.nlabels = nlabels;
    p->samples[p->nsamples++] = s;
    return 0;
fail:;
    int e = errno;
    free(s.values);
    free(s.locs);
    free(s.labels);
    errno = e;
    return -1;
}

size_t rm_pprof_samples(const struct rm_pprof *p)
{
    return p ? p->nsamples : 0;
}

/* The message tree of a profile: everything in a few malloc'd arrays. */
struct msgs {
    Perftools__Profiles__Profile prof;
    Perftools__Profiles__ValueType types[MAX_TYPES], *typep[MAX_TYPES], period;
    Perftools__Profiles__Sample *samples, **samplep;
    Perftools__Profiles__Label *labels, **labelp;
    Perftools__Profiles__Mapping *maps, **mapp;
    Perftools__Profiles__Location *locs, **locp;
    Perftools__Profiles__Line *lines, **linep;
    Perftools__Profiles__Function *funcs, **funcp;
};

static void msgs_free(struct msgs *m)
{
    free(m->samples);
    free(m->samplep);
    free(m->labels);
    free(m->labelp);
    free(m->maps);
    free(m->mapp);
    free(m->locs);
    free(m->locp);
    free(m->lines);
    free(m->linep);
    free(m->funcs);
    free(m->funcp);
}

static void *alloc_n(size_t n, size_t elem)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / elem) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(n * elem);
}

static int msgs_build(struct rm_pprof *p, struct msgs *m)
{
    memset(m, 0, sizeof *m);
    Perftools__Profiles__Profile init = PERFTOOLS__PROFILES__PROFILE__INIT;
    m->prof = init;
    size_t nmap = p->maps.n, nloc = p->locs.n, nfunc = p->funcs.n, nlab = 0;
    for (size_t i = 0; i < p->nsamples; i++)
        nlab += p->samples[i].nlabels;
    if (!(m->samples = alloc_n(p->nsamples, sizeof *m->samples)) ||
        !(m->samplep = alloc_n(p->nsamples, sizeof *m->samplep)) ||
        !(m->labels = alloc_n(nlab, sizeof *m->labels)) ||
        !(m->labelp = alloc_n(nlab, sizeof *m->labelp)) ||
        !(m->maps = alloc_n(nmap, sizeof *m->maps)) ||
        !(m->mapp = alloc_n(nmap, sizeof *m->mapp)) ||
        !(m->locs = alloc_n(nloc, sizeof *m->locs)) ||
        !(m->locp = alloc_n(nloc, sizeof *m->locp)) ||
        !(m->lines = alloc_n(nloc, sizeof *m->lines)) ||
        !(m->linep = alloc_n(nloc, sizeof *m->linep)) ||
        !(m->funcs = alloc_n(nfunc, sizeof *m->funcs)) ||
        !(m->funcp = alloc_n(nfunc, sizeof *m->funcp))) {
        int e = errno;
        msgs_free(m);
        errno = e;
        return -1;
    }
    for (size_t i = 0; i < p->ntypes; i++) {
        Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
        vt.type = p->type_name[i];
        vt.unit = p->type_unit[i];
        m->types[i] = vt;
        m->typep[i] = &m->types[i];
    }
    m->prof.n_sample_type = p->ntypes;
    m->prof.sample_type = m->typep;

    size_t lab = 0;
    for (size_t i = 0; i < p->nsamples; i++) {
        const struct sample *s = &p->samples[i];
        Perftools__Profiles__Sample ms = PERFTOOLS__PROFILES__SAMPLE__INIT;
        ms.n_location_id = s->nlocs;
        ms.location_id = s->locs;
        ms.n_value = p->ntypes;
        ms.value = s->values;
        ms.n_label = s->nlabels;
        ms.label = s->nlabels ? &m->labelp[lab] : NULL;
        for (size_t j = 0; j < s->nlabels; j++, lab++) {
            Perftools__Profiles__Label ml = PERFTOOLS__PROFILES__LABEL__INIT;
            ml.key = s->labels[j].key;
            ml.str = s->labels[j].str;
            ml.num = s->labels[j].num;
            ml.num_unit = s->labels[j].unit;
            m->labels[lab] = ml;
            m->labelp[lab] = &m->labels[lab];
        }
        m->samples[i] = ms;
        m->samplep[i] = &m->samples[i];
    }
    m->prof.n_sample = p->nsamples;
    m->prof.sample = m->samplep;

    /* The main program's mapping first (pprof's mapping[0]). */
    size_t first = 0;
    for (size_t i = 0; p->main_module && i < nmap; i++)
        if (p->mapv[i].filename == p->main_module) {
            first = i;
            break;
        }
    for (size_t i = 0, out = 0; i < nmap; i++) {
        size_t k = i == 0 ? first : (i <= first ? i - 1 : i);
        const struct mapinfo *mi = &p->mapv[k];
        Perftools__Profiles__Mapping mm = PERFTOOLS__PROFILES__MAPPING__INIT;
        mm.id = k + 1;
        mm.memory_start = mi->start;
        mm.memory_limit = mi->limit;
        mm.file_offset = mi->offset;
        mm.filename = mi->filename;
        mm.build_id = mi->build_id;
        mm.has_functions = mi->has_functions;
        mm.has_filenames = mi->has_files;
        mm.has_line_numbers = mi->has_lines;
        mm.has_inline_frames = 0;
        m->maps[out] = mm;
        m->mapp[out] = &m->maps[out];
        out++;
    }
    m->prof.n_mapping = nmap;
    m->prof.mapping = m->mapp;

    for (size_t i = 0; i < nloc; i++) {
        const struct locinfo *li = &p->locv[i];
        Perftools__Profiles__Location ml = PERFTOOLS__PROFILES__LOCATION__INIT;
        ml.id = i + 1;
        ml.mapping_id = li->mapping_id;
        ml.address = li->address;
        if (li->function_id) {
            Perftools__Profiles__Line ln = PERFTOOLS__PROFILES__LINE__INIT;
            ln.function_id = li->function_id;
            ln.line = li->line;
            m->lines[i] = ln;
            m->linep[i] = &m->lines[i];
            ml.n_line = 1;
            ml.line = &m->linep[i];
        }
        m->locs[i] = ml;
        m->locp[i] = &m->locs[i];
    }
    m->prof.n_location = nloc;
    m->prof.location = m->locp;

    for (size_t i = 0; i < nfunc; i++) {
        Perftools__Profiles__Function mf = PERFTOOLS__PROFILES__FUNCTION__INIT;
        mf.id = i + 1;
        mf.name = p->funcv[i].name;
        mf.system_name = p->funcv[i].name;
        mf.filename = p->funcv[i].filename;
        m->funcs[i] = mf;
        m->funcp[i] = &m->funcs[i];
    }
    m->prof.n_function = nfunc;
    m->prof.function = m->funcp;

    m->prof.n_string_table = p->strs.n;
    m->prof.string_table = p->strs.s;
    m->prof.time_nanos = p->time_nanos;
    m->prof.duration_nanos = p->duration_nanos;
    if (p->period_type || p->period_unit) {
        Perftools__Profiles__ValueType vt = PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
        vt.type = p->period_type;
        vt.unit = p->period_unit;
        m->period = vt;
        m->prof.period_type = &m->period;
    }
    m->prof.period = p->period;
    m->prof.n_comment = p->ncomments;
    m->prof.comment = p->comments;
    m->prof.default_sample_type = p->default_type;
    return 0;
}

/* The serialized (not yet compressed) profile in a malloc'd buffer. */
static int pack(struct rm_pprof *p, uint8_t **out, size_t *len)
{
    struct msgs m;
    if (!p) {
        errno = EINVAL;
        return -1;
    }
    if (msgs_build(p, &m) < 0)
        return -1;
    size_t n = protobuf_c_message_get_packed_size(&m.prof.base);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        int e = errno;
        msgs_free(&m);
        errno = e;
        return -1;
    }
    size_t got = protobuf_c_message_pack(&m.prof.base, buf);
    msgs_free(&m);
    if (got != n) {
        free(buf);
        errno = EIO;
        return -1;
    }
    *out = buf;
    *len = n;
    return 0;
}

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    if (size && items > SIZE_MAX / size)
        return Z_NULL;
    return malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf ptr)
{
    (void)opaque;
    free(ptr);
}

/* A gzip deflate stream that allocates with malloc and free. */
static int z_begin(z_stream *z)
{
    memset(z, 0, sizeof *z);
    z->zalloc = z_alloc;
    z->zfree = z_free;
    if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* Compress raw[len] into out[cap]; *outlen its size.  ENOBUFS if short. */
static int gzip_into(const uint8_t *raw, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    z_stream z;
    if (z_begin(&z) < 0)
        return -1;
    z.next_in = (Bytef *)raw;
    int rc = Z_OK;
    size_t in_left = len, out_left = cap;
    z.next_out = out;
    /* zlib's counts are uInt: feed it in pieces of at most 1 GiB. */
    while (rc != Z_STREAM_END) {
        size_t in_chunk = in_left < (1u << 30) ? in_left : (1u << 30);
        size_t out_chunk = out_left < (1u << 30) ? out_left : (1u << 30);
        z.avail_in = (uInt)in_chunk;
        z.avail_out = (uInt)out_chunk;
        rc = deflate(&z, in_chunk == in_left ? Z_FINISH : Z_NO_FLUSH);
        in_left -= in_chunk - z.avail_in;
        out_left -= out_chunk - z.avail_out;
        if (rc == Z_STREAM_ERROR || (rc == Z_BUF_ERROR && out_left == 0) ||
            (rc != Z_STREAM_END && out_left == 0)) {
            deflateEnd(&z);
            errno = ENOBUFS;
            return -1;
        }
    }
    deflateEnd(&z);
    *outlen = cap - out_left;
    return 0;
}

int rm_pprof_encode(struct rm_pprof *p, unsigned char **out, size_t *len)
{
    uint8_t *raw;
    size_t rawlen, zlen;
    if (!out || !len) {
        errno = EINVAL;
        return -1;
    }
    if (pack(p, &raw, &rawlen) < 0)
        return -1;
    /* deflateBound's own estimate plus room for the gzip wrapper. */
    size_t cap = rawlen + rawlen / 1000 + 64 + (rawlen >> 12) * 5;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        int e = errno;
        free(raw);
        errno = e;
        return -1;
    }
    int rc = gzip_into(raw, rawlen, buf, cap, &zlen);
    int e = errno;
    free(raw);
    if (rc < 0) {
        free(buf);
        errno = e;
        return -1;
    }
    *out = buf;
    *len = zlen;
    return 0;
}

int rm_pprof_write_buf(struct rm_pprof *p, void *buf, size_t cap, size_t *len)
{
    uint8_t *raw;
    size_t rawlen;
    if (!buf || !len) {
        errno = EINVAL;
        return -1;
    }
    *len = 0;
    if (pack(p, &raw, &rawlen) < 0)
        return -1;
    int rc = gzip_into(raw, rawlen, buf, cap, len);
    int e = errno;
    free(raw);
    if (rc < 0)
        *len = 0;
    errno = e;
    return rc;
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

int rm_pprof_write_fd(struct rm_pprof *p, int fd)
{
    uint8_t *raw;
    size_t rawlen;
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    if (pack(p, &raw, &rawlen) < 0)
        return -1;
    /* Stream through a small buffer: no second copy of the profile. */
    enum { CHUNK = 16384 };
    uint8_t *chunk = malloc(CHUNK);
    z_stream z;
    if (!chunk || z_begin(&z) < 0) {
        int e = errno;
        free(chunk);
        free(raw);
        errno = e;
        return -1;
    }
    int rc = 0, zr = Z_OK;
    size_t in_left = rawlen;
    z.next_in = raw;
    while (zr != Z_STREAM_END) {
        size_t in_chunk = in_left < (1u << 30) ? in_left : (1u << 30);
        z.avail_in = (uInt)in_chunk;
        z.next_out = chunk;
        z.avail_out = CHUNK;
        zr = deflate(&z, in_chunk == in_left ? Z_FINISH : Z_NO_FLUSH);
        in_left -= in_chunk - z.avail_in;
        if (zr == Z_STREAM_ERROR) {
            errno = EIO;
            rc = -1;
            break;
        }
        if (write_all(fd, chunk, CHUNK - z.avail_out) < 0) {
            rc = -1;
            break;
        }
    }
    int e = errno;
    deflateEnd(&z);
    free(chunk);
    free(raw);
    errno = e;
    return rc;
}

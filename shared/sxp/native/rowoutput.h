/* What a profile is written as: the staged normalized JSON line (orjson.dumps of the profile
 * dict), the content-hash payload (orjson.dumps of the content values, keys sorted) and the
 * Tier 1 binary COPY tuple (sxp.adapters.postgres.tier1_rows.ROW_COLUMNS). */
#ifndef SXP_ROWOUTPUT_H
#define SXP_ROWOUTPUT_H

#include "blake2b.h"
#include "rowbuild.h"

static int json_text(buf_t *b, const uint8_t *s, size_t n) {
    static const char hexd[] = "0123456789abcdef";
    if (buf_grow(b, n * 6 + 2)) return NOMEM;
    uint8_t *o = b->p + b->len;
    size_t k = 0;
    o[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') { o[k++] = c; continue; }
        o[k++] = '\\';
        switch (c) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '\n': o[k++] = 'n'; break;
        case '\t': o[k++] = 't'; break;
        case '\r': o[k++] = 'r'; break;
        case '\b': o[k++] = 'b'; break;
        case '\f': o[k++] = 'f'; break;
        default:
            o[k++] = 'u'; o[k++] = '0'; o[k++] = '0';
            o[k++] = (uint8_t)hexd[c >> 4]; o[k++] = (uint8_t)hexd[c & 15];
        }
    }
    o[k++] = '"';
    b->len += k;
    return OK;
}

static int json_opt_text(buf_t *b, const buf_t *arena, const text_t *t) {
    if (!t->present) return buf_put(b, "null", 4);
    return json_text(b, arena->p + t->off, t->len);
}

static int json_int(buf_t *b, int64_t v) {
    char t[24];
    char *q = decimal(t, v);
    return buf_put(b, q, (size_t)(t + 24 - q));
}

static inline void two(char *o, unsigned v) { o[0] = (char)('0' + v / 10); o[1] = (char)('0' + v % 10); }

/* orjson's datetime form for UTC: 2025-01-02T03:04:05[.123456]+00:00 */
static int json_time(buf_t *b, int64_t us) {
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    int64_t micros = us - secs * 1000000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    /* "YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00" (years 1..9999 have four digits) */
    char t[40] = "\"0000-00-00T00:00:00";
    two(t + 1, (unsigned)y / 100);
    two(t + 3, (unsigned)y % 100);
    two(t + 6, m);
    two(t + 9, d);
    two(t + 12, (unsigned)(sod / 3600));
    two(t + 15, (unsigned)(sod / 60 % 60));
    two(t + 18, (unsigned)(sod % 60));
    size_t n = 20;
    if (micros) {
        unsigned f = (unsigned)micros;
        t[n++] = '.';
        for (int k = 5; k >= 0; k--) { t[n + (size_t)k] = (char)('0' + f % 10); f /= 10; }
        n += 6;
    }
    memcpy(t + n, "+00:00\"", 7);
    return buf_put(b, t, n + 7);
}

static int json_extra(buf_t *b, const buf_t *arena, const profile_t *p, int sorted) {
    int order[MAX_EXTRA];
    for (int k = 0; k < p->n_extra; k++) order[k] = k;
    if (sorted) { /* insertion sort by key bytes (at most 32 keys) */
        for (int k = 1; k < p->n_extra; k++) {
            int cur = order[k], j = k - 1;
            const extra_t *c = &p->extra[cur];
            while (j >= 0) {
                const extra_t *o = &p->extra[order[j]];
                size_t n = c->key_len < o->key_len ? c->key_len : o->key_len;
                int cmp = memcmp(arena->p + c->key_off, arena->p + o->key_off, n);
                if (cmp > 0 || (cmp == 0 && c->key_len > o->key_len)) break;
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = cur;
        }
    }
    if (buf_putc(b, '{')) return NOMEM;
    for (int k = 0; k < p->n_extra; k++) {
        const extra_t *e = &p->extra[order[k]];
        if (k && buf_putc(b, ',')) return NOMEM;
        if (json_text(b, arena->p + e->key_off, e->key_len) || buf_putc(b, ':')) return NOMEM;
        int rc;
        switch (e->kind) {
        case E_NULL: rc = buf_put(b, "null", 4); break;
        case E_FALSE: rc = buf_put(b, "false", 5); break;
        case E_TRUE: rc = buf_put(b, "true", 4); break;
        case E_INT: rc = json_int(b, e->i); break;
        default: rc = json_opt_text(b, arena, &e->text);
        }
        if (rc) return NOMEM;
    }
    return buf_putc(b, '}');
}

#define PUT_LIT(b, s) buf_put((b), (s), sizeof(s) - 1)

/* the content fields in order; `keyed` writes them as the profile object's members */
static int json_content(buf_t *b, const buf_t *arena, const profile_t *p, int keyed) {
    static const char *const count_keys[4] = {",\"followers\":", ",\"following\":",
                                              ",\"posts\":", ",\"likes\":"};
    const char *platform = platform_names[p->platform];
    int rc = 0;
    rc |= keyed ? PUT_LIT(b, "{\"platform\":") : buf_putc(b, '[');
    rc |= json_text(b, (const uint8_t *)platform, strlen(platform));
    const struct { const char *key; const text_t *text; } texts[7] = {
        {",\"handle\":", &p->handle}, {",\"platform_user_id\":", &p->puid},
        {",\"display_name\":", &p->display_name}, {",\"bio\":", &p->bio},
        {",\"bio_url\":", &p->bio_url}, {",\"location\":", &p->location},
        {",\"avatar_url\":", &p->avatar_url}};
    for (int k = 0; k < 7; k++) {
        rc |= keyed ? buf_put(b, texts[k].key, strlen(texts[k].key)) : buf_putc(b, ',');
        rc |= json_opt_text(b, arena, texts[k].text);
    }
    rc |= keyed ? PUT_LIT(b, ",\"is_verified\":") : buf_putc(b, ',');
    rc |= p->is_verified ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
    for (int k = 0; k < 4; k++) {
        rc |= keyed ? buf_put(b, count_keys[k], strlen(count_keys[k])) : buf_putc(b, ',');
        rc |= p->has_count[k] ? json_int(b, p->counts[k]) : PUT_LIT(b, "null");
    }
    rc |= keyed ? PUT_LIT(b, ",\"account_created_at\":") : buf_putc(b, ',');
    rc |= p->has_created ? json_time(b, p->created_us) : PUT_LIT(b, "null");
    if (keyed) {
        rc |= PUT_LIT(b, ",\"scraped_at\":");
        rc |= json_time(b, p->scraped_us);
    }
    rc |= keyed ? PUT_LIT(b, ",\"bio_has_contact\":") : buf_putc(b, ',');
    rc |= p->bio_has_contact ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
    rc |= keyed ? PUT_LIT(b, ",\"extra\":") : buf_putc(b, ',');
    rc |= json_extra(b, arena, p, !keyed);
    if (keyed) /* not content: a known scrape time is no change of the profile */
        rc |= p->scraped_known ? PUT_LIT(b, ",\"scraped_at_known\":true")
                               : PUT_LIT(b, ",\"scraped_at_known\":false");
    if (!keyed) rc |= buf_putc(b, ']');
    return rc ? NOMEM : OK;
}

/* content_hash: blake2b-128 hex of the sorted-keys content array */
static int content_hash(buf_t *scratch, const buf_t *arena, const profile_t *p, char hex[33]) {
    scratch->len = 0;
    if (json_content(scratch, arena, p, 0)) return NOMEM;
    blake2b_state st;
    uint8_t digest[16];
    blake2b_init(&st, 16);
    blake2b_update(&st, scratch->p, scratch->len);
    blake2b_final(&st, digest);
    static const char hexd[] = "0123456789abcdef";
    for (int k = 0; k < 16; k++) {
        hex[2 * k] = hexd[digest[k] >> 4];
        hex[2 * k + 1] = hexd[digest[k] & 15];
    }
    hex[32] = 0;
    return OK;
}

static int normalized_line(buf_t *b, const buf_t *arena, const profile_t *p, const char *hash) {
    if (json_content(b, arena, p, 1)) return NOMEM;
    /* json_content left the object open after "extra" */
    if (PUT_LIT(b, ",\"content_hash\":\"") || buf_put(b, hash, 32) || PUT_LIT(b, "\"}\n"))
        return NOMEM;
    return OK;
}

static inline void be32(uint8_t *o, uint32_t v) {
    o[0] = (uint8_t)(v >> 24); o[1] = (uint8_t)(v >> 16); o[2] = (uint8_t)(v >> 8);
    o[3] = (uint8_t)v;
}

static inline void be64(uint8_t *o, uint64_t v) {
    be32(o, (uint32_t)(v >> 32));
    be32(o + 4, (uint32_t)v);
}

static int copy_null(buf_t *b) {
    if (buf_grow(b, 4)) return NOMEM;
    be32(b->p + b->len, 0xFFFFFFFFu);
    b->len += 4;
    return OK;
}

static int copy_bytes(buf_t *b, const void *s, size_t n) {
    if (buf_grow(b, n + 4)) return NOMEM;
    be32(b->p + b->len, (uint32_t)n);
    memcpy(b->p + b->len + 4, s, n);
    b->len += n + 4;
    return OK;
}

static int copy_text(buf_t *b, const buf_t *arena, const text_t *t) {
    return t->present ? copy_bytes(b, arena->p + t->off, t->len) : copy_null(b);
}

static int copy_int8(buf_t *b, int64_t v) {
    uint8_t o[8];
    be64(o, (uint64_t)v);
    return copy_bytes(b, o, 8);
}

static int copy_bool(buf_t *b, int v) {
    uint8_t o = v ? 1 : 0;
    return copy_bytes(b, &o, 1);
}

/* Tier 1's COPY columns in the order copy_row writes them. The module exports them as
 * ROW_COLUMNS and a test holds them equal to sxp.adapters.postgres.tier1_rows.ROW_COLUMNS,
 * which follows the profile model: a field added there fails that test until it is added here */
static const char *const ROW_COLUMNS[] = {
    "platform", "handle", "platform_user_id", "display_name", "bio", "bio_url", "location",
    "avatar_url", "is_verified", "followers", "following", "posts", "likes",
    "account_created_at", "scraped_at", "bio_has_contact", "extra", "scraped_at_known",
    "content_hash",
    "source_file_id", "first_seen", "last_seen"};
#define ROW_COLUMN_COUNT ((int)(sizeof ROW_COLUMNS / sizeof ROW_COLUMNS[0]))

/* the binary COPY tuple of a new Tier 1 row: profile fields, source_file_id, first_seen and
 * last_seen (both the scrape) */
static int copy_row(buf_t *b, buf_t *scratch, const buf_t *arena, const profile_t *p,
                    const char *hash, int64_t source_file_id) {
    const char *platform = platform_names[p->platform];
    int64_t scraped = p->scraped_us - PG_EPOCH_US;
    int rc = 0;
    uint8_t count[2] = {0, (uint8_t)ROW_COLUMN_COUNT};
    rc |= buf_put(b, count, 2);
    rc |= copy_bytes(b, platform, strlen(platform));
    rc |= copy_text(b, arena, &p->handle);
    rc |= copy_text(b, arena, &p->puid);
    rc |= copy_text(b, arena, &p->display_name);
    rc |= copy_text(b, arena, &p->bio);
    rc |= copy_text(b, arena, &p->bio_url);
    rc |= copy_text(b, arena, &p->location);
    rc |= copy_text(b, arena, &p->avatar_url);
    rc |= copy_bool(b, p->is_verified);
    for (int k = 0; k < 4; k++) rc |= p->has_count[k] ? copy_int8(b, p->counts[k]) : copy_null(b);
    rc |= p->has_created ? copy_int8(b, p->created_us - PG_EPOCH_US) : copy_null(b);
    rc |= copy_int8(b, scraped);
    rc |= copy_bool(b, p->bio_has_contact);
    scratch->len = 0;
    rc |= buf_putc(scratch, 1); /* jsonb binary format version */
    rc |= json_extra(scratch, arena, p, 0);
    rc |= copy_bytes(b, scratch->p, scratch->len);
    rc |= copy_bool(b, p->scraped_known);
    rc |= copy_bytes(b, hash, 32);
    rc |= copy_int8(b, source_file_id);
    rc |= copy_int8(b, scraped);
    rc |= copy_int8(b, scraped);
    return rc ? NOMEM : OK;
}

#endif

/* One source row -> one normalized profile (sxp.domain.profile_builder.build_profile over
 * sxp.adapters.sources.shapes.map_row), for the rows the native path is certain about. */
#ifndef SXP_ROWBUILD_H
#define SXP_ROWBUILD_H

#include "rowfields.h"
#include "rowkeys.h"

enum { P_X = 0, P_TIKTOK = 1, P_THREADS = 2, P_NONE = -1 };
static const char *const platform_names[3] = {"x", "tiktok", "threads"};

#define MAX_EXTRA 32
enum { E_NULL, E_FALSE, E_TRUE, E_INT, E_TEXT };

typedef struct {
    size_t key_off, key_len; /* in the arena */
    int kind;
    int64_t i;
    text_t text; /* E_TEXT: absent text is JSON null */
} extra_t;

typedef struct {
    int platform;
    text_t handle, puid, display_name, bio, bio_url, location, avatar_url;
    int is_verified, bio_has_contact;
    int scraped_known; /* 0: scraped_us is the default (the file's receipt), no scrape time */
    int64_t counts[4];
    int has_count[4];
    int64_t created_us, scraped_us;
    int has_created;
    int n_extra;
    extra_t extra[MAX_EXTRA];
} profile_t;

typedef struct {
    callbacks_t py;
    int hint;               /* platform hint of the import, or P_NONE */
    int64_t default_scraped_us;
    int64_t min_us, max_us; /* plausible timestamps: 2000-01-01 .. now + 1 day */
} build_opts;

/* normalize_platform of a plain string: -1 none, P_* found, -2 hand to Python */
static int platform_alias(const jval *v) {
    char t[16];
    size_t n;
    if (ascii_token(v, t, sizeof t, &n)) return -2;
    static const struct { const char *name; int platform; } aliases[] = {
        {"x", P_X}, {"twitter", P_X}, {"x.com", P_X}, {"tiktok", P_TIKTOK}, {"tt", P_TIKTOK},
        {"threads", P_THREADS}, {"threads.net", P_THREADS}};
    for (size_t k = 0; k < sizeof aliases / sizeof aliases[0]; k++)
        if (n == strlen(aliases[k].name) && !memcmp(t, aliases[k].name, n))
            return aliases[k].platform;
    return -1;
}

/* detect_platform: hint, explicit field (`platform or source_platform`), then the shape */
static int detect_platform(const row_t *r, int hint, int *platform) {
    if (hint != P_NONE) { *platform = hint; return OK; }
    const jval *explicit = &r->v[K_platform];
    int t = truthy(explicit);
    if (t < 0 || (t && explicit->kind != V_STR)) return FB;
    if (!t) {
        explicit = &r->v[K_source_platform];
        t = truthy(explicit);
        if (t < 0 || (t && explicit->kind != V_STR)) return FB;
    }
    if (t) {
        int found = platform_alias(explicit);
        if (found == -2) return FB;
        if (found >= 0) { *platform = found; return OK; }
    }
#define HAS(k) (r->v[K_##k].kind != V_ABSENT)
    if (HAS(public_metrics) || HAS(description) || HAS(tweet_count)) *platform = P_X;
    else if (HAS(bio_description) || HAS(video_count) || HAS(bio_url)) *platform = P_TIKTOK;
    else if (HAS(biography) || HAS(quotes_count) || HAS(replies_count) || HAS(reposts_count) ||
             HAS(views_count))
        *platform = P_THREADS;
    else *platform = P_NONE;
#undef HAS
    return OK;
}

static int handle_rule(int platform, const uint8_t *h, size_t n) {
    size_t lo = platform == P_TIKTOK ? 2 : 1, hi = platform == P_X ? 15
                                                  : platform == P_TIKTOK ? 24 : 30;
    if (n < lo || n > hi) return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = h[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                 (c == '.' && platform != P_X);
        if (!ok) return 0;
    }
    return !(platform == P_TIKTOK && h[n - 1] == '.');
}

/* normalize_handle: bare ASCII handles (`@Handle`, `handle`) here, anything else (URLs,
 * non-ASCII text) through the Python function; *platform may come from a URL */
static int norm_handle(buf_t *arena, const jval *v, const callbacks_t *py, int *platform,
                       text_t *out) {
    if (v->kind != V_STR) return FB;
    const uint8_t *s = v->s;
    size_t a = 0, b = v->n;
    int plain = !v->esc && v->ascii;
    for (size_t i = 0; plain && i < b; i++)
        if (s[i] < 0x20 || s[i] == 0x7F || s[i] == '/') plain = 0;
    while (a < b && s[a] == ' ') a++;
    while (b > a && s[b - 1] == ' ') b--;
    if (plain && b - a >= 5) {
        char t[6];
        for (int k = 0; k < 6 && a + (size_t)k < b; k++) t[k] = (char)(s[a + k] | 0x20);
        if (!memcmp(t, "http:", 5) || (b - a >= 6 && !memcmp(t, "https:", 6))) plain = 0;
    }
    if (!plain) {
        size_t off, n;
        if (str_value(arena, v, &off, &n)) return NOMEM;
        return py->handle(py->ctx, arena, arena->p + off, n, platform, out);
    }
    if (a == b || *platform == P_NONE) return FB;
    if (s[a] == '@') a++;
    out->present = 1;
    out->off = arena->len;
    out->len = b - a;
    if (buf_grow(arena, b - a)) return NOMEM;
    for (size_t i = a; i < b; i++) {
        uint8_t c = s[i];
        arena->p[arena->len++] = (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return handle_rule(*platform, arena->p + out->off, out->len) ? OK : FB;
}

/* _id_text: None for null, "", booleans, objects, arrays; a string or integer as text */
static int norm_id(buf_t *arena, const jval *v, text_t *out) {
    out->present = 0;
    switch (v->kind) {
    case V_ABSENT: case V_NULL: case V_FALSE: case V_TRUE: case V_OBJ: case V_ARRAY: return OK;
    case V_STR: {
        int rc = clean_text(arena, v, 64, NULL, NULL, out);
        /* holds_email / holds_written_phone: an identifier that may be a contact is left to
         * Python */
        if (rc == OK && out->present && (maybe_email(arena->p + out->off, out->len) ||
                                         has_written_phone(arena->p + out->off, out->len)))
            return FB;
        return rc;
    }
    case V_INT: {
        char t[24];
        char *q = decimal(t, v->i);
        out->present = 1;
        out->off = arena->len;
        out->len = (size_t)(t + 24 - q);
        return buf_put(arena, q, out->len);
    }
    default: return FB;
    }
}

/* one item of _clean_extra under an already clean key */
static int extra_item(buf_t *arena, const callbacks_t *py, profile_t *p, size_t key_off,
                      size_t key_len, const jval *v) {
    extra_t e = {key_off, key_len, E_NULL, 0, {0, 0, 0}};
    switch (v->kind) {
    case V_NULL: break;
    case V_FALSE: e.kind = E_FALSE; break;
    case V_TRUE: e.kind = E_TRUE; break;
    case V_INT:
        if (v->i < 0 || v->i > MAX_COUNT) return OK; /* rejected count: the item is dropped */
        e.kind = E_INT;
        e.i = v->i;
        break;
    case V_STR: {
        int found; /* _clean_extra keeps the scrubbed text only */
        int rc = clean_text(arena, v, 500, py, &found, &e.text);
        if (rc) return rc;
        e.kind = E_TEXT;
        break;
    }
    case V_OBJ: case V_ARRAY: return OK; /* not a scalar: dropped */
    default: return FB;
    }
    p->extra[p->n_extra++] = e;
    return OK;
}

static int extra_fixed(buf_t *arena, const callbacks_t *py, profile_t *p, const char *key,
                       const jval *v) {
    if (v->kind == V_ABSENT || v->kind == V_NULL) return OK;
    size_t off = arena->len, n = strlen(key);
    if (buf_put(arena, key, n)) return NOMEM;
    return extra_item(arena, py, p, off, n, v);
}

typedef struct {
    buf_t *arena;
    const callbacks_t *py;
    profile_t *p;
    int seen;
    int rc;
} extra_ctx;

static int extra_member(void *ctx, const uint8_t *key, size_t n, int esc, const jval *v) {
    extra_ctx *x = ctx;
    if (x->seen++ >= MAX_EXTRA) { x->rc = FB; return 1; } /* past 32: left to Python */
    if (esc || n > 64) { x->rc = FB; return 1; }
    for (size_t i = 0; i < n; i++)
        if (key[i] < 0x20 || key[i] > 0x7E) { x->rc = FB; return 1; }
    if (n && (key[0] == ' ' || key[n - 1] == ' ')) { x->rc = FB; return 1; }
    if (maybe_contact(key, n)) { x->rc = FB; return 1; } /* a contact as key: left to Python */
    if (n == 0) return 0; /* clean_text("") is None: skipped */
    for (int k = 0; k < x->p->n_extra; k++) {
        extra_t *e = &x->p->extra[k];
        if (e->key_len == n && !memcmp(x->arena->p + e->key_off, key, n)) {
            x->rc = FB; /* a repeated key: orjson's last-wins order is left to Python */
            return 1;
        }
    }
    size_t off = x->arena->len;
    if (buf_put(x->arena, key, n)) { x->rc = NOMEM; return 1; }
    int rc = extra_item(x->arena, x->py, x->p, off, n, v);
    if (rc) { x->rc = rc; return 1; }
    return 0;
}

/* _clean_extra of a generic row's `extra` */
static int extra_generic(buf_t *arena, const callbacks_t *py, profile_t *p, const jval *v) {
    if (v->kind != V_OBJ) return OK; /* not a dict: no extras */
    extra_ctx x = {arena, py, p, 0, OK};
    if (js_object(v->s, v->s + v->n, extra_member, &x, 0)) return x.rc ? x.rc : FB;
    return x.rc;
}

#endif

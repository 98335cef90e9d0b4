/* Field normalizers of the native ingest path: each mirrors one function of
 * sxp.domain.normalize / profile_builder exactly for the values it accepts and returns
 * FB (hand the row to Python) for any value it is not certain about. */
#ifndef SXP_ROWFIELDS_H
#define SXP_ROWFIELDS_H

#include "jsonscan.h"

enum { OK = 0, FB = 1, NOMEM = -1 }; /* NOMEM: out of memory or a Python error is set */

/* callbacks into the Python path for the rare values the C code does not handle itself:
 * `scrub` replaces a text by scrub_contacts(text) and sets *found; `handle` normalizes a
 * handle the fast rules cannot (URLs, non-ASCII) and may set *platform */
typedef struct text_s text_t;
typedef struct buf_s buf_t;
typedef struct {
    int (*scrub)(void *ctx, buf_t *arena, text_t *t, int *found);
    int (*handle)(void *ctx, buf_t *arena, const uint8_t *s, size_t n, int *platform,
                  text_t *out);
    void *ctx;
} callbacks_t;

/* per code point flags, computed in Python from unicodedata and the `re` classes */
#define F_INERT 1 /* NFC leaves it (and any string of such characters) unchanged */
#define F_STRIP 2 /* clean_text removes it (controls, invisible characters) */
#define F_SPACE 4 /* str.isspace: str.strip removes it at the ends */
#define F_REDIGIT 8  /* matches re's \d */
#define F_RESPACE 16 /* matches re's \s */

static uint8_t *cp_flags = NULL;
static uint32_t cp_limit = 0;

#define MAX_COUNT 10000000000LL
#define PG_EPOCH_US 946684800000000LL /* 2000-01-01 in Unix microseconds */

struct buf_s {
    uint8_t *p;
    size_t len, cap;
};

static int buf_grow(buf_t *b, size_t extra) {
    if (b->len + extra <= b->cap) return OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) return NOMEM;
    b->p = p;
    b->cap = cap;
    return OK;
}

static inline int buf_put(buf_t *b, const void *data, size_t n) {
    if (b->len + n > b->cap && buf_grow(b, n)) return NOMEM;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return OK;
}

static inline int buf_putc(buf_t *b, uint8_t c) {
    if (b->len + 1 > b->cap && buf_grow(b, 1)) return NOMEM;
    b->p[b->len++] = c;
    return OK;
}

/* decimal digits of v (>= 0 or not), written backwards from the end of t[24]; returns start */
static char *decimal(char t[24], int64_t v) {
    char *q = t + 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do { *--q = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *--q = '-';
    return q;
}

/* a cleaned text: absent (JSON null in the output) or a span of the row's arena */
struct text_s {
    int present;
    size_t off, len;
};

static inline uint8_t flags_of(uint32_t cp) { return cp < cp_limit ? cp_flags[cp] : 0; }

static void put_utf8(uint8_t *out, size_t *n, uint32_t cp) {
    if (cp < 0x80) out[(*n)++] = (uint8_t)cp;
    else if (cp < 0x800) {
        out[(*n)++] = (uint8_t)(0xC0 | (cp >> 6));
        out[(*n)++] = (uint8_t)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (uint8_t)(0xE0 | (cp >> 12));
        out[(*n)++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (uint8_t)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (uint8_t)(0xF0 | (cp >> 18));
        out[(*n)++] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (uint8_t)(0x80 | (cp & 0x3F));
    }
}

/* the string's value (escapes decoded) as UTF-8 appended to `arena` at offset off, n bytes long */
static int js_unescape(buf_t *arena, const jval *v, size_t *off, size_t *n) {
    if (buf_grow(arena, v->n)) return NOMEM; /* decoding never lengthens a string */
    *off = arena->len;
    uint8_t *out = arena->p + arena->len;
    size_t k = 0;
    const uint8_t *p = v->s, *end = v->s + v->n;
    while (p < end) {
        if (*p != '\\') { out[k++] = *p++; continue; }
        uint8_t e = p[1];
        p += 2;
        switch (e) {
        case 'b': out[k++] = '\b'; break;
        case 'f': out[k++] = '\f'; break;
        case 'n': out[k++] = '\n'; break;
        case 'r': out[k++] = '\r'; break;
        case 't': out[k++] = '\t'; break;
        case 'u': {
            uint32_t u = 0, lo = 0xDC00;
            hex4(p, &u);
            p += 4;
            if (u >= 0xD800 && u <= 0xDBFF) {
                hex4(p + 2, &lo);
                p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
            }
            put_utf8(out, &k, u);
            break;
        }
        default: out[k++] = e; /* " \ / */
        }
    }
    arena->len += k;
    *n = k;
    return OK;
}

/* the raw value of a string field in the arena (escapes decoded) */
static int str_value(buf_t *arena, const jval *v, size_t *off, size_t *n) {
    if (v->esc) return js_unescape(arena, v, off, n);
    *off = arena->len;
    *n = v->n;
    return buf_put(arena, v->s, v->n);
}

/* would sxp.domain.normalize.scrub_contacts change this (cleaned) text? Conservative for
 * e-mails (any "@", "at]" or "at)" in any case), exact for phones (_MAYBE_PHONE). */
static int maybe_contact(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '@') return 1;
        if ((c | 0x20) == 'a' && i + 2 < n && (s[i + 1] | 0x20) == 't' &&
            (s[i + 2] == ']' || s[i + 2] == ')'))
            return 1;
    }
    /* _MAYBE_PHONE = \d[\d\s().\-]{6} over code points */
    uint32_t cps[7];
    int have = 0;
    const uint8_t *p = s, *end = s + n;
    while (p < end) {
        uint32_t cp = 0;
        p += utf8_decode(p, end, &cp);
        uint8_t f = flags_of(cp);
        int in_class = (f & (F_REDIGIT | F_RESPACE)) || cp == '(' || cp == ')' || cp == '.' ||
                       cp == '-';
        if (!in_class) { have = 0; continue; }
        cps[have % 7] = cp;
        have++;
        /* a run of class characters of length >= 7 whose first is a digit matches; check
         * each start that has 6 class characters after it */
        if (have >= 7 && (flags_of(cps[(have - 7) % 7]) & F_REDIGIT)) return 1;
    }
    return 0;
}

/* clean_text / clean_scrubbed: JSON null/absent -> absent; a string -> cleaned text; any
 * other JSON value (str(value) in Python) -> FB. `scrub`: FB when the scrub would change it. */
static int clean_text(buf_t *arena, const jval *v, size_t max_len, const callbacks_t *scrub,
                      int *found, text_t *out) {
    out->present = 0;
    if (v->kind == V_ABSENT || v->kind == V_NULL) return OK;
    if (v->kind != V_STR) return FB;
    size_t off, n;
    if (str_value(arena, v, &off, &n)) return NOMEM;
    uint8_t *s = arena->p + off;
    int printable = 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7E) { printable = 0; break; }
    if (printable) {
        size_t a = 0, b = n;
        while (a < b && s[a] == ' ') a++;
        while (b > a && s[b - 1] == ' ') b--;
        if (b - a > max_len) b = a + max_len;
        arena->len = off; /* the cleaned text replaces the raw one */
        if (a == b) return OK;
        memmove(s, s + a, b - a);
        arena->len = off + (b - a);
        out->present = 1;
        out->off = off;
        out->len = b - a;
    } else {
        /* NFC (identity on inert characters), remove STRIP characters, strip spaces, cut to
         * max_len code points; written in place (it never grows) */
        size_t k = 0, first_kept = (size_t)-1, last_end = 0, count = 0, cut = (size_t)-1;
        const uint8_t *p = s, *end = s + n;
        /* pass 1: validate and drop STRIP characters and leading spaces */
        while (p < end) {
            uint32_t cp;
            int len = utf8_decode(p, end, &cp);
            uint8_t f = flags_of(cp);
            if (!len || !(f & F_INERT)) return FB;
            if (!(f & F_STRIP)) {
                if (first_kept != (size_t)-1 || !(f & F_SPACE)) { /* leading spaces are dropped */
                    if (first_kept == (size_t)-1) first_kept = k;
                    memmove(s + k, p, (size_t)len);
                    k += (size_t)len;
                    if (!(f & F_SPACE)) last_end = k;
                }
            }
            p += len;
        }
        /* trailing spaces end at last_end; now cut to max_len code points */
        size_t total = last_end;
        for (size_t i = 0; i < total;) {
            uint32_t cp;
            int len = utf8_decode(s + i, s + total, &cp);
            if (count == max_len) { cut = i; break; }
            count++;
            i += (size_t)len;
        }
        if (cut != (size_t)-1) total = cut;
        arena->len = off + total;
        if (total == 0) { arena->len = off; return OK; }
        out->present = 1;
        out->off = off;
        out->len = total;
    }
    if (scrub && maybe_contact(arena->p + out->off, out->len))
        return scrub->scrub(scrub->ctx, arena, out, found);
    return OK;
}

/* normalize_count for the values it takes as they are */
static int norm_count(const jval *v, int64_t *out, int *present) {
    *present = 0;
    if (v->kind == V_ABSENT || v->kind == V_NULL) return OK;
    if (v->kind == V_INT) {
        if (v->i < 0 || v->i > MAX_COUNT) return FB;
        *out = v->i;
        *present = 1;
        return OK;
    }
    if (v->kind == V_STR && !v->esc) {
        if (v->n == 0) return OK;
        if (v->n > 11) return FB;
        int64_t value = 0;
        for (size_t i = 0; i < v->n; i++) {
            if (v->s[i] < '0' || v->s[i] > '9') return FB;
            value = value * 10 + (v->s[i] - '0');
        }
        if (value > MAX_COUNT) return FB;
        *out = value;
        *present = 1;
        return OK;
    }
    return FB;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int digits_at(const uint8_t *s, size_t n, unsigned *out) {
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* datetime.fromisoformat for YYYY-MM-DD[(T| )HH[:MM[:SS[.f{1,6}]]][Z|(+|-)HH:MM]] */
static int iso_micros(const uint8_t *s, size_t n, int64_t *us) {
    unsigned y, mo, d, h = 0, mi = 0, se = 0, frac = 0;
    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits_at(s, 4, &y) ||
        !digits_at(s + 5, 2, &mo) || !digits_at(s + 8, 2, &d))
        return FB;
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > dim[mo - 1] + (mo == 2 && leap)) return FB;
    size_t i = 10;
    int64_t offset_s = 0;
    if (i < n) {
        if ((s[i] != 'T' && s[i] != ' ') || n < i + 3 || !digits_at(s + i + 1, 2, &h)) return FB;
        i += 3;
        if (i < n && s[i] == ':') {
            if (n < i + 3 || !digits_at(s + i + 1, 2, &mi)) return FB;
            i += 3;
            if (i < n && s[i] == ':') {
                if (n < i + 3 || !digits_at(s + i + 1, 2, &se)) return FB;
                i += 3;
                if (i < n && s[i] == '.') {
                    size_t k = 0;
                    i++;
                    while (i < n && k < 7 && s[i] >= '0' && s[i] <= '9') {
                        frac = frac * 10 + (unsigned)(s[i] - '0');
                        i++;
                        k++;
                    }
                    if (k == 0 || k > 6) return FB;
                    for (; k < 6; k++) frac *= 10;
                }
            }
        }
        if (h > 23 || mi > 59 || se > 59) return FB;
        if (i < n) {
            if (s[i] == 'Z' && i + 1 == n) {
                i++;
            } else if ((s[i] == '+' || s[i] == '-') && i + 6 == n && s[i + 3] == ':') {
                unsigned oh, om;
                if (!digits_at(s + i + 1, 2, &oh) || !digits_at(s + i + 4, 2, &om) || oh > 23 ||
                    om > 59)
                    return FB;
                offset_s = (int64_t)(oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
                i = n;
            } else {
                return FB;
            }
        }
    }
    int64_t days = days_from_civil(y, mo, d);
    *us = ((days * 86400 + h * 3600 + mi * 60 + se) - offset_s) * 1000000LL + frac;
    return OK;
}

/* normalize_timestamp: absent -> not present; ISO text, epoch seconds or milliseconds */
static int norm_ts(const jval *v, int64_t min_us, int64_t max_us, int64_t *us, int *present) {
    *present = 0;
    if (v->kind == V_ABSENT || v->kind == V_NULL) return OK;
    int64_t number = -1;
    if (v->kind == V_INT) {
        if (v->i < 0) return FB;
        number = v->i;
    } else if (v->kind == V_STR && !v->esc) {
        if (v->n == 0) return OK;
        int all_digits = 1;
        for (size_t i = 0; i < v->n; i++)
            if (v->s[i] < '0' || v->s[i] > '9') { all_digits = 0; break; }
        if (all_digits) {
            if (v->n > 15) return FB;
            number = 0;
            for (size_t i = 0; i < v->n; i++) number = number * 10 + (v->s[i] - '0');
        } else if (iso_micros(v->s, v->n, us)) {
            return FB;
        }
    } else {
        return FB;
    }
    if (number >= 0) {
        if (number > 1000000000000000LL) return FB;
        *us = number > 100000000000LL ? number * 1000 : number * 1000000;
    }
    if (*us < min_us || *us > max_us) return FB;
    *present = 1;
    return OK;
}

static int is_ascii_ws(uint8_t c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
}

/* str(value).strip().lower() of a plain ASCII string into out (at most cap bytes) */
static int ascii_token(const jval *v, char *out, size_t cap, size_t *n) {
    if (v->esc || !v->ascii) return FB;
    size_t a = 0, b = v->n;
    while (a < b && is_ascii_ws(v->s[a])) a++;
    while (b > a && is_ascii_ws(v->s[b - 1])) b--;
    if (b - a > cap) { *n = cap + 1; return OK; }
    for (size_t i = a; i < b; i++) {
        uint8_t c = v->s[i];
        out[i - a] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    *n = b - a;
    return OK;
}

/* normalize_bool */
static int norm_bool(const jval *v, int *out) {
    *out = 0;
    switch (v->kind) {
    case V_ABSENT: case V_NULL: case V_FALSE: return OK;
    case V_TRUE: *out = 1; return OK;
    case V_INT: *out = v->i == 1; return OK;
    case V_STR: {
        char t[16];
        size_t n;
        if (ascii_token(v, t, sizeof t, &n)) return FB;
        static const char *yes[] = {"true", "1", "yes", "y", "t", "verified"};
        for (size_t k = 0; k < 6; k++)
            if (n == strlen(yes[k]) && !memcmp(t, yes[k], n)) { *out = 1; break; }
        return OK;
    }
    default: return FB;
    }
}

/* Python truthiness of a value used with `or`; -1 when the row should go to Python */
static int truthy(const jval *v) {
    switch (v->kind) {
    case V_ABSENT: case V_NULL: case V_FALSE: return 0;
    case V_TRUE: return 1;
    case V_INT: return v->i != 0;
    case V_STR: return v->n != 0;
    default: return -1;
    }
}

#endif

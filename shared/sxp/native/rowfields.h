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

static uint8_t lower_ascii(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* MAYBE_EMAIL of sxp.domain.scrub: "@", "%40", "at" + spaces + a closing bracket, or "dot",
 * in any case (text with full-width or other compatibility forms never gets here: not
 * INERT). */
static int maybe_email(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t c = lower_ascii(s[i]);
        if (c == '@') return 1;
        if (c == '%' && i + 2 < n && s[i + 1] == '4' && s[i + 2] == '0') return 1;
        if (c == 'a' && i + 1 < n && lower_ascii(s[i + 1]) == 't') {
            size_t j = i + 2;
            while (j < n && (s[j] == ' ' || (s[j] >= '\t' && s[j] <= '\r'))) j++;
            if (j < n && (s[j] == ']' || s[j] == ')' || s[j] == '}')) return 1;
        }
        if (c == 'd' && i + 2 < n && lower_ascii(s[i + 1]) == 'o' && lower_ascii(s[i + 2]) == 't')
            return 1;
    }
    return 0;
}

/* would sxp.domain.scrub.scrub_contacts change this (cleaned) text? Conservative for e-mails
 * (maybe_email), exact for phones (MAYBE_PHONE over the text with dashes folded to "-"). */
static int maybe_contact(const uint8_t *s, size_t n) {
    if (maybe_email(s, n)) return 1;
    /* MAYBE_PHONE = \d[\d\s().\-]{6} over code points; U+2010-2015 and U+2212 fold to "-" */
    uint32_t cps[7];
    int have = 0;
    const uint8_t *p = s, *end = s + n;
    while (p < end) {
        uint32_t cp = 0;
        p += utf8_decode(p, end, &cp);
        uint8_t f = flags_of(cp);
        int in_class = (f & (F_REDIGIT | F_RESPACE)) || cp == '(' || cp == ')' || cp == '.' ||
                       cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212;
        if (!in_class) { have = 0; continue; }
        cps[have % 7] = cp;
        have++;
        /* a run of class characters of length >= 7 whose first is a digit matches; check
         * each start that has 6 class characters after it */
        if (have >= 7 && (flags_of(cps[(have - 7) % 7]) & F_REDIGIT)) return 1;
    }
    return 0;
}

static int has_ascii_ci(const uint8_t *s, size_t n, const char *word) {
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= n; i++) {
        size_t k = 0;
        while (k < w && lower_ascii(s[i + k]) == (uint8_t)word[k]) k++;
        if (k == w) return 1;
    }
    return 0;
}

/* a run of digits and ( ) . - + or whitespace holding 7 or more digits and, before one of its
 * digits, one of the others: what every written-out phone number is (a bare run of digits, an
 * id, is not; nor is "12345678.jpg", whose "." no digit follows) */
static int has_written_phone(const uint8_t *s, size_t n) {
    int digits = 0, others = 0, pending = 0;
    for (size_t i = 0; i <= n; i++) {
        uint8_t c = i < n ? s[i] : 0;
        if (c >= '0' && c <= '9') {
            digits++;
            if (pending) others++;
            pending = 0;
        } else if (c == '(' || c == ')' || c == '.' || c == '-' || c == '+' || c == ' ' ||
                   (c >= '\t' && c <= '\r')) {
            pending = 1;
        } else {
            if (digits >= 7 && others) return 1;
            digits = others = pending = 0;
        }
    }
    return 0;
}

/* might sxp.domain.scrub.scrub_link drop this URL? Conservative: anything but a plain
 * http(s) link, or one with "@", "%" (percent-encoding), a space, a messenger host, a
 * written-out phone number or an e-mail precheck hit goes to the Python path. */
static int link_may_hold_contact(const uint8_t *s, size_t n) {
    int http = (n >= 7 && has_ascii_ci(s, 7, "http://")) ||
               (n >= 8 && has_ascii_ci(s, 8, "https://"));
    if (!http || maybe_email(s, n) || has_written_phone(s, n)) return 1;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '%' || s[i] == ' ' || s[i] >= 0x80) return 1;
    return has_ascii_ci(s, n, "wa.me") || has_ascii_ci(s, n, "whatsapp") ||
           has_ascii_ci(s, n, "t.me/");
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

#include "rowvalues.h"

#endif

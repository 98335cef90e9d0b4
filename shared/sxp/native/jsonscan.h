/* A strict JSON scanner for one JSONL line: the top-level object's members land in slots of
 * known keys, nested objects are kept as spans to scan again on demand. It accepts a subset of
 * what orjson accepts; anything else (or anything doubtful: escaped keys, duplicate known keys,
 * deep nesting) makes the caller hand the row to the Python path, which decides. */
#ifndef SXP_JSONSCAN_H
#define SXP_JSONSCAN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum {
    V_ABSENT = 0, V_NULL, V_FALSE, V_TRUE, V_INT, V_STR, V_OBJ, V_ARRAY, V_FLOAT, V_BIGINT
} vkind;

typedef struct {
    vkind kind;
    const uint8_t *s; /* V_STR: the raw text between the quotes; V_OBJ: the object's span */
    size_t n;
    int esc;          /* V_STR: holds a backslash escape */
    int ascii;        /* V_STR: every byte < 0x80 */
    int64_t i;        /* V_INT */
} jval;

typedef struct {
    const uint8_t *p, *end;
    int depth;
} jscan;

enum { JS_OK = 0, JS_BAD = 1 };

static inline void js_ws(jscan *j) {
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

/* length of the valid UTF-8 sequence at p (strict: no overlong forms, surrogates or values past
 * U+10FFFF), 0 when invalid; *cp receives the code point */
static inline int utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp) {
    uint8_t c = p[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c < 0xC2) return 0;
    if (c < 0xE0) {
        if (end - p < 2 || (p[1] & 0xC0) != 0x80) return 0;
        *cp = ((uint32_t)(c & 0x1F) << 6) | (p[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (end - p < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        uint32_t v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
        *cp = v;
        return 3;
    }
    if (c < 0xF5) {
        if (end - p < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        uint32_t v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                     ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        if (v < 0x10000 || v > 0x10FFFF) return 0;
        *cp = v;
        return 4;
    }
    return 0;
}

static inline int hex4(const uint8_t *p, uint32_t *out) {
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        uint8_t c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

/* a string starting after its opening quote; validates escapes and UTF-8 */
static int js_string(jscan *j, jval *v) {
    const uint8_t *start = j->p;
    int esc = 0, ascii = 1;
    while (j->p < j->end) {
        uint8_t c = *j->p;
        if (c == '"') {
            v->kind = V_STR;
            v->s = start;
            v->n = (size_t)(j->p - start);
            v->esc = esc;
            v->ascii = ascii;
            j->p++;
            return JS_OK;
        }
        if (c < 0x20) return JS_BAD;
        if (c == '\\') {
            esc = 1;
            if (j->end - j->p < 2) return JS_BAD;
            uint8_t e = j->p[1];
            if (e == 'u') {
                uint32_t u;
                if (j->end - j->p < 6 || !hex4(j->p + 2, &u)) return JS_BAD;
                j->p += 6;
                if (u >= 0xDC00 && u <= 0xDFFF) return JS_BAD;
                if (u >= 0xD800 && u <= 0xDBFF) {
                    uint32_t lo;
                    if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
                        !hex4(j->p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                        return JS_BAD;
                    j->p += 6;
                }
                if (u >= 0x80) ascii = 0;
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                e != 'r' && e != 't')
                return JS_BAD;
            j->p += 2;
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            int len = utf8_decode(j->p, j->end, &cp);
            if (!len) return JS_BAD;
            ascii = 0;
            j->p += len;
            continue;
        }
        j->p++;
    }
    return JS_BAD;
}

static int js_value(jscan *j, jval *v);

/* skip an object or array (validated), starting at its opening bracket */
static int js_container(jscan *j, uint8_t close) {
    if (++j->depth > 64) return JS_BAD;
    j->p++;
    js_ws(j);
    if (j->p < j->end && *j->p == close) { j->p++; j->depth--; return JS_OK; }
    for (;;) {
        jval item;
        if (close == '}') {
            if (j->p >= j->end || *j->p != '"') return JS_BAD;
            j->p++;
            if (js_string(j, &item)) return JS_BAD;
            js_ws(j);
            if (j->p >= j->end || *j->p != ':') return JS_BAD;
            j->p++;
            js_ws(j);
        }
        if (js_value(j, &item)) return JS_BAD;
        js_ws(j);
        if (j->p >= j->end) return JS_BAD;
        if (*j->p == ',') { j->p++; js_ws(j); continue; }
        if (*j->p == close) { j->p++; j->depth--; return JS_OK; }
        return JS_BAD;
    }
}

/* whether the number text [s, end) parses to a finite double; doubtful texts (too long to
 * copy) count as infinite, so their line goes to the Python path */
static int finite_as_double(const uint8_t *s, const uint8_t *end) {
    char text[400];
    size_t n = (size_t)(end - s);
    if (n >= sizeof text) return 0;
    memcpy(text, s, n);
    text[n] = '\0';
    return isfinite(strtod(text, NULL));
}

static int js_number(jscan *j, jval *v) {
    const uint8_t *p = j->p, *end = j->end, *start = j->p;
    int negative = 0, is_float = 0;
    if (p < end && *p == '-') { negative = 1; p++; }
    if (p >= end || *p < '0' || *p > '9') return JS_BAD;
    const uint8_t *digits = p;
    if (*p == '0') p++;
    else while (p < end && *p >= '0' && *p <= '9') p++;
    size_t ndigits = (size_t)(p - digits);
    if (p < end && *p == '.') {
        is_float = 1;
        p++;
        if (p >= end || *p < '0' || *p > '9') return JS_BAD;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        is_float = 1;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return JS_BAD;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    j->p = p;
    if (is_float || ndigits > 18) {
        /* orjson refuses a number that is infinite as a double (1e309, a 400-digit integer),
         * anywhere in the line: such a line is the Python path's to reject */
        if (!finite_as_double(start, p)) return JS_BAD;
        v->kind = is_float ? V_FLOAT : V_BIGINT;
        return JS_OK;
    }
    int64_t value = 0;
    for (size_t k = 0; k < ndigits; k++) value = value * 10 + (digits[k] - '0');
    v->kind = V_INT;
    v->i = negative ? -value : value;
    return JS_OK;
}

static int js_value(jscan *j, jval *v) {
    if (j->p >= j->end) return JS_BAD;
    uint8_t c = *j->p;
    if (c == '"') { j->p++; return js_string(j, v); }
    if (c == '{' || c == '[') {
        const uint8_t *start = j->p;
        if (js_container(j, c == '{' ? '}' : ']')) return JS_BAD;
        v->kind = c == '{' ? V_OBJ : V_ARRAY;
        v->s = start;
        v->n = (size_t)(j->p - start);
        return JS_OK;
    }
    if (c == 't' && j->end - j->p >= 4 && !memcmp(j->p, "true", 4)) {
        j->p += 4; v->kind = V_TRUE; return JS_OK;
    }
    if (c == 'f' && j->end - j->p >= 5 && !memcmp(j->p, "false", 5)) {
        j->p += 5; v->kind = V_FALSE; return JS_OK;
    }
    if (c == 'n' && j->end - j->p >= 4 && !memcmp(j->p, "null", 4)) {
        j->p += 4; v->kind = V_NULL; return JS_OK;
    }
    return js_number(j, v);
}

/* Calls `member(ctx, key, keylen, key_escaped, value)` for each member of the object spanning
 * [p, end); returns JS_BAD on invalid JSON, trailing bytes, or when `member` returns non-zero. */
typedef int (*js_member_fn)(void *ctx, const uint8_t *key, size_t n, int esc, const jval *v);

static int js_object(const uint8_t *p, const uint8_t *end, js_member_fn member, void *ctx,
                     int top) {
    jscan j = {p, end, 1};
    js_ws(&j);
    if (j.p >= j.end || *j.p != '{') return JS_BAD;
    j.p++;
    js_ws(&j);
    if (j.p < j.end && *j.p == '}') {
        j.p++;
    } else {
        for (;;) {
            jval key, value;
            if (j.p >= j.end || *j.p != '"') return JS_BAD;
            j.p++;
            if (js_string(&j, &key)) return JS_BAD;
            js_ws(&j);
            if (j.p >= j.end || *j.p != ':') return JS_BAD;
            j.p++;
            js_ws(&j);
            if (js_value(&j, &value)) return JS_BAD;
            if (member(ctx, key.s, key.n, key.esc, &value)) return JS_BAD;
            js_ws(&j);
            if (j.p >= j.end) return JS_BAD;
            if (*j.p == ',') { j.p++; js_ws(&j); continue; }
            if (*j.p == '}') { j.p++; break; }
            return JS_BAD;
        }
    }
    if (top) {
        js_ws(&j);
        if (j.p != j.end) return JS_BAD;
    }
    return JS_OK;
}

#endif

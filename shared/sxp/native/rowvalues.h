/* Value normalizers of the native ingest path (counts, timestamps, booleans, truthiness): each
 * mirrors one function of sxp.domain.normalize exactly for the values it accepts and returns FB
 * for any value it is not certain about. Included by rowfields.h. */
#ifndef SXP_ROWVALUES_H
#define SXP_ROWVALUES_H

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

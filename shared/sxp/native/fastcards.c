/* sxp.native._fastcards: a lead card's numbers (readiness, base confidence, the signals behind
 * them) and a chunk's COPY rows in C, for the cards step's million cards a run.
 *
 * `card_numbers(profile, person_name, us_location, domain)` is
 * sxp.domain.cards.card_numbers to the bit: the same float operations in the same order (the
 * weighted sums added left to right), `round(x, 4)` as Python rounds (a multiply and floor
 * where that cannot differ from Python's correctly rounded decimal, Python's own round
 * otherwise), the same objects in the signals dict. It returns None for a profile whose counts
 * are outside what C doubles hold exactly (beyond 2**53, or not ints): the caller scores it in
 * Python. `configure` takes the weights and thresholds from the Python module, which stays the
 * reference. `card_copy_rows(cards, version, labeled_at, dumps)` is
 * sxp.adapters.postgres.cards.card_copy_rows to the byte, and `person_name` (personname.h)
 * sxp.domain.enrichability.person_name for ASCII names. tests/unit/native/test_fastcards.py
 * holds each to its reference. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "personname.h"

#define READINESS_TERMS 9
#define CONFIDENCE_TERMS 6
#define EXACT_LIMIT 9007199254740992LL /* 2**53: an int a double holds exactly, and beyond */

static double readiness_w[READINESS_TERMS], confidence_w[CONFIDENCE_TERMS];
static double ready_at = -1.0, partial_at = -1.0;
static int configured = 0;
static PyObject *ready_s, *partial_s, *thin_s, *zero, *one, *round_name, *four;

enum {
    A_FOLLOWERS, A_POSTS, A_LIKES, A_IS_VERIFIED, A_BIO, A_BIO_URL, A_LOCATION,
    A_BIO_HAS_CONTACT, A_SCRAPED_AT, A_ACCOUNT_CREATED_AT, A_COUNT
};
static const char *attr_names[A_COUNT] = {
    "followers", "posts", "likes", "is_verified", "bio", "bio_url", "location",
    "bio_has_contact", "scraped_at", "account_created_at"};
static PyObject *attrs[A_COUNT];

enum {
    S_FOLLOWERS, S_POSTS, S_LIKES, S_VERIFIED, S_BIO_LENGTH, S_BIO_LINK, S_LOCATION_PRESENT,
    S_BIO_HAS_CONTACT, S_ACCOUNT_AGE_DAYS, S_ENGAGEMENT_RATIO, S_READINESS_COMPONENTS,
    S_CONFIDENCE_COMPONENTS, S_LOCATION, S_ENGAGEMENT, S_ACCOUNT_AGE, S_PERSON_NAME,
    S_US_LOCATION, S_DOMAIN, S_ACTIVE, S_COUNT
};
static const char *key_names[S_COUNT] = {
    "followers", "posts", "likes", "verified", "bio_length", "bio_link", "location_present",
    "bio_has_contact", "account_age_days", "engagement_ratio", "readiness_components",
    "confidence_components", "location", "engagement", "account_age", "person_name",
    "us_location", "domain", "active"};
static PyObject *keys[S_COUNT];

/* ------------------------------------------------------------------ numbers as Python has them */

/* `value or 0` for a count that is None or an int within +-2**53 (1 when not: fall back) */
static int count_of(PyObject *value, int64_t *out) {
    if (value == Py_None) {
        *out = 0;
        return 0;
    }
    if (!PyLong_CheckExact(value)) return 1;
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || v > EXACT_LIMIT || v < -EXACT_LIMIT) return 1;
    *out = (int64_t)v;
    return 0;
}

static double min1(double v) { return v < 1.0 ? v : 1.0; } /* Python's min(1.0, v) */

/* math.log10(1 + max(count, 0)) for an int count: the int converted to the nearest double */
static double log10_count(int64_t count) { return log10((double)(1 + (count > 0 ? count : 0))); }

/* a float: 0.0 and 1.0 (most components) shared, as values (nothing asks which object) */
static PyObject *number(double v) {
    if (v == 0.0 && !signbit(v)) {
        Py_INCREF(zero);
        return zero;
    }
    if (v == 1.0) {
        Py_INCREF(one);
        return one;
    }
    return PyFloat_FromDouble(v);
}

/* round(x, 4): Python rounds the exact binary value half to even at the fourth decimal and
 * reads that decimal back. Where x * 10**4 is far enough from a half (more than the
 * product's rounding error, under 1e-7 below 1e9) the nearest integer n is the same, and
 * n / 10**4 is the double nearest that decimal, as Python's read gives. Else Python's round. */
static PyObject *round4(double x) {
    double y = x * 10000.0;
    if (x == floor(x) && fabs(x) < 1e300) return number(x); /* an integer rounds to itself */
    if (fabs(y) < 1e9) {
        double f = floor(y), d = y - f;
        if (fabs(d - 0.5) > 1e-6) {
            double r = (f + (d > 0.5 ? 1.0 : 0.0)) / 10000.0;
            if (r == 0.0) r = copysign(0.0, x); /* round(-0.00001, 4) is -0.0 */
            return number(r);
        }
    }
    PyObject *value = PyFloat_FromDouble(x);
    if (!value) return NULL;
    PyObject *rounded = PyObject_CallMethodOneArg(value, round_name, four);
    Py_DECREF(value);
    return rounded;
}

/* len(text.strip()) for None or a str (-1: neither) */
static Py_ssize_t stripped_length(PyObject *text) {
    if (text == Py_None) return 0;
    if (!PyUnicode_Check(text)) return -1;
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t start = 0, end = PyUnicode_GET_LENGTH(text);
    while (start < end && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start))) start++;
    while (end > start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1))) end--;
    return end - start;
}

/* ------------------------------------------------------------------ the signals dict */

static int put(PyObject *dict, int key, PyObject *value) { /* steals `value` */
    if (!value) return -1;
    int rc = PyDict_SetItem(dict, keys[key], value);
    Py_DECREF(value);
    return rc;
}

static PyObject *new_ref(PyObject *o) {
    Py_INCREF(o);
    return o;
}


typedef struct {
    double followers, posts, verified, bio_length, bio_link, location, contact, age, engagement;
} readiness_parts;

typedef struct {
    double person, us_place, domain, active;
} identity_parts;

static PyObject *readiness_components(const readiness_parts *r, PyObject *age_r) {
    PyObject *d = _PyDict_NewPresized(9);
    if (!d) return NULL;
    if (put(d, S_FOLLOWERS, round4(r->followers)) || put(d, S_POSTS, round4(r->posts))
        || put(d, S_VERIFIED, number(r->verified))
        || put(d, S_BIO_LENGTH, round4(r->bio_length))
        || put(d, S_BIO_LINK, number(r->bio_link)) || put(d, S_LOCATION, number(r->location))
        || put(d, S_BIO_HAS_CONTACT, number(r->contact)) || put(d, S_ACCOUNT_AGE, new_ref(age_r))
        || put(d, S_ENGAGEMENT, round4(r->engagement))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *confidence_components(const identity_parts *c, double verified,
                                       PyObject *age_r) {
    PyObject *d = _PyDict_NewPresized(6);
    if (!d) return NULL;
    if (put(d, S_PERSON_NAME, number(c->person)) || put(d, S_US_LOCATION, number(c->us_place))
        || put(d, S_DOMAIN, number(c->domain)) || put(d, S_VERIFIED, number(verified))
        || put(d, S_ACCOUNT_AGE, new_ref(age_r)) || put(d, S_ACTIVE, number(c->active))) {
        Py_DECREF(d);
        return NULL;
    }
    return d;
}

static PyObject *signals_of(PyObject *const *a, Py_ssize_t bio_length, PyObject *age_days,
                            double ratio, const readiness_parts *r, const identity_parts *c) {
    PyObject *age_r = round4(r->age);
    if (!age_r) return NULL;
    PyObject *d = _PyDict_NewPresized(12); /* as Python's dict display is: no resizing */
    if (!d || put(d, S_FOLLOWERS, new_ref(a[A_FOLLOWERS])) || put(d, S_POSTS, new_ref(a[A_POSTS]))
        || put(d, S_LIKES, new_ref(a[A_LIKES])) || put(d, S_VERIFIED, new_ref(a[A_IS_VERIFIED]))
        || put(d, S_BIO_LENGTH, PyLong_FromSsize_t(bio_length))
        || put(d, S_BIO_LINK, PyBool_FromLong(r->bio_link != 0.0))
        || put(d, S_LOCATION_PRESENT, PyBool_FromLong(r->location != 0.0))
        || put(d, S_BIO_HAS_CONTACT, new_ref(a[A_BIO_HAS_CONTACT]))
        || put(d, S_ACCOUNT_AGE_DAYS, new_ref(age_days))
        || put(d, S_ENGAGEMENT_RATIO, round4(ratio))
        || put(d, S_READINESS_COMPONENTS, readiness_components(r, age_r))
        || put(d, S_CONFIDENCE_COMPONENTS, confidence_components(c, r->verified, age_r))) {
        Py_XDECREF(d);
        Py_DECREF(age_r);
        return NULL;
    }
    Py_DECREF(age_r);
    return d;
}

/* ------------------------------------------------------------------ card_numbers */

/* (scraped_at - account_created_at).days as an int, at least 0; None without a creation time */
static PyObject *age_days_of(PyObject *scraped_at, PyObject *created_at, double *days) {
    *days = -1.0;
    if (created_at == Py_None) return new_ref(Py_None);
    PyObject *delta = PyNumber_Subtract(scraped_at, created_at);
    if (!delta) return NULL;
    if (!PyDelta_Check(delta)) {
        Py_DECREF(delta);
        PyErr_SetString(PyExc_TypeError, "scraped_at - account_created_at is not a timedelta");
        return NULL;
    }
    int value = PyDateTime_DELTA_GET_DAYS(delta);
    Py_DECREF(delta);
    if (value < 0) value = 0;
    *days = (double)value;
    return PyLong_FromLong(value);
}

static int flag(PyObject *value, double *out) {
    int truth = PyObject_IsTrue(value);
    if (truth < 0) return -1;
    *out = truth ? 1.0 : 0.0;
    return 0;
}

/* `count` fields of `obj` (new references into `out`): from its instance dict, fetched once,
 * where the step's objects keep them (`from_row`, `score_card`), else as attributes */
static int read_fields(PyObject *obj, PyObject *const *names, int count, PyObject **out) {
    PyObject *dict = PyObject_GenericGetDict(obj, NULL);
    if (!dict) {
        PyErr_Clear();
    } else if (!PyDict_Check(dict)) {
        Py_CLEAR(dict);
    }
    for (int i = 0; i < count; i++) {
        PyObject *value = dict ? PyDict_GetItemWithError(dict, names[i]) : NULL;
        if (value) {
            Py_INCREF(value);
        } else if (PyErr_Occurred() || !(value = PyObject_GetAttr(obj, names[i]))) {
            Py_XDECREF(dict);
            for (int j = 0; j < i; j++) Py_CLEAR(out[j]);
            return -1;
        }
        out[i] = value;
    }
    Py_XDECREF(dict);
    return 0;
}

static PyObject *card_numbers(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError,
                        "card_numbers(profile, person_name, us_location, domain)");
        return NULL;
    }
    if (!configured) {
        PyErr_SetString(PyExc_RuntimeError, "card_numbers before configure");
        return NULL;
    }
    PyObject *a[A_COUNT] = {NULL};
    PyObject *result = NULL, *age_days = NULL, *signals = NULL;
    if (read_fields(args[0], attrs, A_COUNT, a)) goto done;
    int64_t followers, posts, likes;
    if (count_of(a[A_FOLLOWERS], &followers) || count_of(a[A_POSTS], &posts)
        || count_of(a[A_LIKES], &likes)) {
        result = new_ref(Py_None);
        goto done;
    }
    Py_ssize_t bio_length = stripped_length(a[A_BIO]);
    Py_ssize_t link_length = stripped_length(a[A_BIO_URL]);
    Py_ssize_t location_length = stripped_length(a[A_LOCATION]);
    if (bio_length < 0 || link_length < 0 || location_length < 0) {
        result = new_ref(Py_None);
        goto done;
    }
    readiness_parts r;
    identity_parts c;
    double age;
    if (flag(a[A_IS_VERIFIED], &r.verified) || flag(a[A_BIO_HAS_CONTACT], &r.contact)
        || flag(args[1], &c.person) || flag(args[2], &c.us_place) || flag(args[3], &c.domain))
        goto done;
    if (!(age_days = age_days_of(a[A_SCRAPED_AT], a[A_ACCOUNT_CREATED_AT], &age))) goto done;
    /* likes / max(followers, 1): both within 2**53, so Python divides them as doubles too */
    double ratio = (double)likes / (double)(followers > 1 ? followers : 1);
    r.followers = min1(log10_count(followers) / 6);
    r.posts = min1(log10_count(posts) / 4);
    r.bio_length = min1((double)bio_length / 160);
    r.bio_link = link_length ? 1.0 : 0.0;
    r.location = location_length ? 1.0 : 0.0;
    r.age = age >= 0.0 ? min1(age / 1095) : 0.0;
    r.engagement = min1(log10(1 + (ratio > 0 ? ratio : 0)) / 2);
    c.active = posts > 0 && followers > 0 ? 1.0 : 0.0;
    const double *w = readiness_w;
    double readiness = w[0] * r.followers + w[1] * r.posts + w[2] * r.verified
                       + w[3] * r.bio_length + w[4] * r.bio_link + w[5] * r.location
                       + w[6] * r.contact + w[7] * r.age + w[8] * r.engagement;
    w = confidence_w;
    double confidence = w[0] * c.person + w[1] * c.us_place + w[2] * c.domain
                        + w[3] * r.verified + w[4] * r.age + w[5] * c.active;
    PyObject *readiness_score = round4(readiness), *base_confidence = round4(confidence);
    if (readiness_score && base_confidence
        && (signals = signals_of(a, bio_length, age_days, ratio, &r, &c))) {
        double score = PyFloat_AS_DOUBLE(readiness_score);
        PyObject *tier = score >= ready_at ? ready_s : score >= partial_at ? partial_s : thin_s;
        result = PyTuple_Pack(4, tier, readiness_score, base_confidence, signals);
    }
    Py_XDECREF(readiness_score);
    Py_XDECREF(base_confidence);
done:
    for (int i = 0; i < A_COUNT; i++) Py_XDECREF(a[i]);
    Py_XDECREF(age_days);
    Py_XDECREF(signals);
    return result;
}

/* ------------------------------------------------------------------ card_copy_rows */

/* sxp.adapters.postgres.cards.card_copy_rows to the byte: a chunk's cards as rows of its
 * `_CARD_COLUMNS` in COPY's text format, each value escaped as `_copy_field` escapes it (a
 * backslash, tab, newline or carriage return; None as \N), the JSON values from the dumps
 * function the caller passes (orjson.dumps). */

typedef struct {
    char *data;
    size_t len, cap;
} out_t;

static int out_reserve(out_t *o, size_t more) {
    if (o->len + more <= o->cap) return 0;
    size_t cap = o->cap ? o->cap : 1 << 16;
    while (cap < o->len + more) cap *= 2;
    char *data = PyMem_Realloc(o->data, cap);
    if (!data) {
        PyErr_NoMemory();
        return -1;
    }
    o->data = data;
    o->cap = cap;
    return 0;
}

static int out_raw(out_t *o, const char *s, size_t n) {
    if (out_reserve(o, n)) return -1;
    memcpy(o->data + o->len, s, n);
    o->len += n;
    return 0;
}

static int out_char(out_t *o, char c) { return out_raw(o, &c, 1); }

static int out_escaped(out_t *o, const char *s, size_t n) {
    if (out_reserve(o, 2 * n)) return -1;
    char *w = o->data + o->len;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        switch (c) {
        case '\\': *w++ = '\\'; *w++ = '\\'; break;
        case '\t': *w++ = '\\'; *w++ = 't'; break;
        case '\n': *w++ = '\\'; *w++ = 'n'; break;
        case '\r': *w++ = '\\'; *w++ = 'r'; break;
        default: *w++ = c;
        }
    }
    o->len = (size_t)(w - o->data);
    return 0;
}

/* `_copy_field(value)`: None as \N, a str escaped, anything else as str() gives it */
static int out_field(out_t *o, PyObject *value) {
    if (value == Py_None) return out_raw(o, "\\N", 2);
    Py_ssize_t n;
    if (PyUnicode_Check(value)) {
        const char *s = PyUnicode_AsUTF8AndSize(value, &n);
        return s ? out_escaped(o, s, (size_t)n) : -1;
    }
    PyObject *str = PyObject_Str(value); /* as `_copy_field`: not escaped (a number's digits) */
    if (!str) return -1;
    const char *s = PyUnicode_AsUTF8AndSize(str, &n);
    int rc = s ? out_raw(o, s, (size_t)n) : -1;
    Py_DECREF(str);
    return rc;
}

/* a text `"\t".join` takes: a str, escaped (TypeError otherwise, as the join raises) */
static int out_text(out_t *o, PyObject *value) {
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "a card's text is %.100s, not str", Py_TYPE(value)->tp_name);
        return -1;
    }
    return out_field(o, value);
}

/* str(score), not escaped: a float's repr (Python's str), else what str() gives */
static int out_number(out_t *o, PyObject *value) {
    if (PyFloat_CheckExact(value)) {
        char *text = PyOS_double_to_string(PyFloat_AS_DOUBLE(value), 'r', 0, Py_DTSF_ADD_DOT_0,
                                           NULL);
        if (!text) return -1;
        int rc = out_raw(o, text, strlen(text));
        PyMem_Free(text);
        return rc;
    }
    PyObject *str = PyObject_Str(value);
    if (!str) return -1;
    Py_ssize_t n;
    const char *text = PyUnicode_AsUTF8AndSize(str, &n);
    int rc = text ? out_raw(o, text, (size_t)n) : -1;
    Py_DECREF(str);
    return rc;
}

static int out_json(out_t *o, PyObject *dumps, PyObject *value) {
    PyObject *json = PyObject_CallOneArg(dumps, value);
    if (!json) return -1;
    if (!PyBytes_Check(json)) {
        Py_DECREF(json);
        PyErr_SetString(PyExc_TypeError, "dumps gave no bytes");
        return -1;
    }
    int rc = out_escaped(o, PyBytes_AS_STRING(json), (size_t)PyBytes_GET_SIZE(json));
    Py_DECREF(json);
    return rc;
}

enum {
    F_PROFILE_ID, F_PLATFORM, F_HANDLE, F_CONTENT_HASH, F_READINESS_SCORE, F_BASE_CONFIDENCE,
    F_READINESS, F_SIGNALS, F_ENRICH_INPUTS, F_LABELS, F_RULES_FIRED, F_PERSONA, F_TRIBE,
    F_AUDIENCE_POOL, F_EXECUTION_LABEL, F_COUNT
};
static const char *field_names[F_COUNT] = {
    "profile_id", "platform", "handle", "content_hash", "readiness_score", "base_confidence",
    "readiness", "signals", "enrich_inputs", "labels", "rules_fired", "persona", "tribe",
    "audience_pool", "execution_label"};
static PyObject *fields[F_COUNT];

/* a label by name: `labels.get(name)` */
static int out_label(out_t *o, PyObject *labels, int name) {
    PyObject *value = PyDict_Check(labels) ? PyDict_GetItemWithError(labels, fields[name]) : NULL;
    if (!value && PyErr_Occurred()) return -1;
    return out_field(o, value ? value : Py_None);
}

static int component_key(PyObject *key) { /* `key in COMPONENT_KEYS` */
    PyObject *readiness = keys[S_READINESS_COMPONENTS], *confidence = keys[S_CONFIDENCE_COMPONENTS];
    if (key == readiness || key == confidence) return 1;
    return PyUnicode_Check(key)
           && (PyUnicode_Compare(key, readiness) == 0 || PyUnicode_Compare(key, confidence) == 0);
}

/* `split_signals(signals)`: the facts and the components behind the scores, each in order */
static int split_signals(PyObject *signals, PyObject **facts, PyObject **components) {
    if (!PyDict_Check(signals)) {
        PyErr_SetString(PyExc_TypeError, "signals must be a dict");
        return -1;
    }
    *facts = PyDict_New();
    *components = PyDict_New();
    if (!*facts || !*components) return -1;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(signals, &pos, &key, &value))
        if (!component_key(key) && PyDict_SetItem(*facts, key, value)) return -1;
    PyObject *order[2] = {keys[S_READINESS_COMPONENTS], keys[S_CONFIDENCE_COMPONENTS]};
    for (int i = 0; i < 2; i++) {
        value = PyDict_GetItemWithError(signals, order[i]);
        if (!value && PyErr_Occurred()) return -1;
        if (value && PyDict_SetItem(*components, order[i], value)) return -1;
    }
    return 0;
}

static int out_card(out_t *o, PyObject *card, PyObject *dumps, const char *version,
                    size_t version_len, const char *labeled_at, size_t labeled_at_len) {
    if (!PyTuple_Check(card) || PyTuple_GET_SIZE(card) != 4) {
        PyErr_SetString(PyExc_TypeError, "a card is (profile, scores, labeling, decision)");
        return -1;
    }
    PyObject *profile = PyTuple_GET_ITEM(card, 0), *scores = PyTuple_GET_ITEM(card, 1);
    PyObject *labeling = PyTuple_GET_ITEM(card, 2), *decision = PyTuple_GET_ITEM(card, 3);
    PyObject *v[F_PERSONA] = {NULL}, *facts = NULL, *components = NULL;
    int rc = -1;
    /* the fields are in their owners' order: the profile's, the scores', the labeling's */
    if (read_fields(profile, fields, F_READINESS_SCORE, v)
        || read_fields(scores, fields + F_READINESS_SCORE, F_LABELS - F_READINESS_SCORE,
                       v + F_READINESS_SCORE)
        || read_fields(labeling, fields + F_LABELS, F_PERSONA - F_LABELS, v + F_LABELS))
        goto done;
    if (!PyTuple_Check(decision) || PyTuple_GET_SIZE(decision) != 2) {
        PyErr_SetString(PyExc_TypeError, "a decision is (enrich_state, enrich_reason)");
        goto done;
    }
    if (split_signals(v[F_SIGNALS], &facts, &components)) goto done;
    PyObject *id = PyObject_Str(v[F_PROFILE_ID]);
    if (!id) goto done;
    Py_ssize_t id_len;
    const char *id_text = PyUnicode_AsUTF8AndSize(id, &id_len);
    int failed = !id_text || out_raw(o, id_text, (size_t)id_len);
    Py_DECREF(id);
    if (failed || out_char(o, '\t') || out_number(o, v[F_READINESS_SCORE]) || out_char(o, '\t')
        || out_number(o, v[F_BASE_CONFIDENCE]) || out_char(o, '\t')
        || out_label(o, v[F_LABELS], F_PERSONA) || out_char(o, '\t')
        || out_label(o, v[F_LABELS], F_TRIBE) || out_char(o, '\t')
        || out_label(o, v[F_LABELS], F_AUDIENCE_POOL) || out_char(o, '\t')
        || out_label(o, v[F_LABELS], F_EXECUTION_LABEL) || out_char(o, '\t')
        || out_raw(o, version, version_len) || out_char(o, '\t')
        || out_text(o, v[F_PLATFORM]) || out_char(o, '\t') || out_text(o, v[F_HANDLE])
        || out_char(o, '\t') || out_text(o, v[F_CONTENT_HASH]) || out_char(o, '\t')
        || out_text(o, v[F_READINESS]) || out_char(o, '\t')
        || out_json(o, dumps, facts) || out_char(o, '\t')
        || out_json(o, dumps, components) || out_char(o, '\t')
        || out_json(o, dumps, v[F_ENRICH_INPUTS]) || out_char(o, '\t')
        || out_json(o, dumps, v[F_RULES_FIRED]) || out_char(o, '\t')
        || out_text(o, v[F_CONTENT_HASH]) || out_char(o, '@') || out_raw(o, version, version_len)
        || out_char(o, '\t') || out_raw(o, labeled_at, labeled_at_len) || out_char(o, '\t')
        || out_field(o, PyTuple_GET_ITEM(decision, 0)) || out_char(o, '\t')
        || out_field(o, PyTuple_GET_ITEM(decision, 1)) || out_char(o, '\n'))
        goto done;
    rc = 0;
done:
    for (int i = 0; i < F_PERSONA; i++) Py_XDECREF(v[i]);
    Py_XDECREF(facts);
    Py_XDECREF(components);
    return rc;
}

/* card_copy_rows(cards, ruleset_version, labeled_at, dumps) -> bytes */
static PyObject *card_copy_rows(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *cards, *version_obj, *labeled_at_obj, *dumps;
    if (!PyArg_ParseTuple(args, "OUUO", &cards, &version_obj, &labeled_at_obj, &dumps))
        return NULL;
    out_t head = {0}, o = {0};
    PyObject *result = NULL, *fast = PySequence_Fast(cards, "cards must be a sequence");
    if (!fast || out_field(&head, version_obj)) goto done;
    size_t version_len = head.len;
    if (out_field(&head, labeled_at_obj)) goto done;
    const char *version = head.data, *labeled_at = head.data + version_len;
    size_t labeled_at_len = head.len - version_len;
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++)
        if (out_card(&o, PySequence_Fast_GET_ITEM(fast, i), dumps, version, version_len,
                     labeled_at, labeled_at_len))
            goto done;
    result = PyBytes_FromStringAndSize(o.data ? o.data : "", (Py_ssize_t)o.len);
done:
    Py_XDECREF(fast);
    PyMem_Free(head.data);
    PyMem_Free(o.data);
    return result;
}

/* ------------------------------------------------------------------ setup */

static int read_weights(PyObject *seq, double *into, Py_ssize_t n, const char *what) {
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast) return -1;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        Py_DECREF(fast);
        PyErr_Format(PyExc_ValueError, "%s: %zd weights expected", what, n);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        into[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (into[i] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return 0;
}

static PyObject *configure(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *readiness, *confidence;
    double ready, partial;
    if (!PyArg_ParseTuple(args, "OOdd", &readiness, &confidence, &ready, &partial)) return NULL;
    if (read_weights(readiness, readiness_w, READINESS_TERMS, "readiness weights")
        || read_weights(confidence, confidence_w, CONFIDENCE_TERMS, "confidence weights"))
        return NULL;
    ready_at = ready;
    partial_at = partial;
    configured = 1;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", configure, METH_VARARGS,
     "configure(readiness_weights, confidence_weights, ready_at, partial_at)"},
    {"card_numbers", (PyCFunction)(void (*)(void))card_numbers, METH_FASTCALL,
     "card_numbers(profile, person_name, us_location, domain) -> (readiness, readiness_score, "
     "base_confidence, signals), or None for counts beyond what a double holds exactly"},
    {"configure_names", configure_names, METH_VARARGS,
     "configure_names(honorifics, suffixes, business_words): frozensets of lowercase words"},
    {"person_name", person_name, METH_O,
     "person_name(display_name) -> (first, last) or None, as sxp.domain.enrichability's, or "
     "NotImplemented for a name it leaves to Python (not ASCII, a newline)"},
    {"card_copy_rows", card_copy_rows, METH_VARARGS,
     "card_copy_rows(cards, ruleset_version, labeled_at, dumps) -> bytes: each (profile, "
     "scores, labeling, decision) as a COPY text row of the cards' columns"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef fastcards_module = {
    PyModuleDef_HEAD_INIT, "_fastcards", "A lead card's numbers in C.", -1, module_methods,
    NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastcards(void) {
    PyDateTime_IMPORT;
    if (!PyDateTimeAPI) return NULL;
    for (int i = 0; i < A_COUNT; i++)
        if (!(attrs[i] = PyUnicode_InternFromString(attr_names[i]))) return NULL;
    for (int i = 0; i < S_COUNT; i++)
        if (!(keys[i] = PyUnicode_InternFromString(key_names[i]))) return NULL;
    for (int i = 0; i < F_COUNT; i++)
        if (!(fields[i] = PyUnicode_InternFromString(field_names[i]))) return NULL;
    if (!(ready_s = PyUnicode_InternFromString("ready"))
        || !(partial_s = PyUnicode_InternFromString("partial"))
        || !(thin_s = PyUnicode_InternFromString("thin")) || !(zero = PyFloat_FromDouble(0.0))
        || !(one = PyFloat_FromDouble(1.0))
        || !(round_name = PyUnicode_InternFromString("__round__"))
        || !(four = PyLong_FromLong(4)))
        return NULL;
    return PyModule_Create(&fastcards_module);
}

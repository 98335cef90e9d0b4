/* sxp.native._fastcards: a lead card's numbers (readiness, base confidence, the signals behind
 * them) in C, for the cards step's million cards a run.
 *
 * `card_numbers(profile, person_name, us_location, domain)` is
 * sxp.domain.cards.card_numbers to the bit: the same float operations in the same order (the
 * weighted sums added left to right), `round(x, 4)` as Python rounds (a multiply and floor
 * where that cannot differ from Python's correctly rounded decimal, Python's own round
 * otherwise), the same objects in the signals dict. It returns None for a profile whose counts
 * are outside what C doubles hold exactly (beyond 2**53, or not ints): the caller scores it in
 * Python. `configure` takes the weights and thresholds from the Python module, which stays the
 * reference (tests/unit/native/test_fastcards.py holds one to the other). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <datetime.h>
#include <math.h>
#include <stdint.h>

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

/* the profile's fields (new references): from its instance dict, where `from_row` puts them,
 * else as attributes */
static int read_fields(PyObject *profile, PyObject **a) {
    PyObject *dict = PyObject_GenericGetDict(profile, NULL);
    if (!dict) {
        PyErr_Clear();
    } else if (!PyDict_Check(dict)) {
        Py_CLEAR(dict);
    }
    for (int i = 0; i < A_COUNT; i++) {
        PyObject *value = dict ? PyDict_GetItemWithError(dict, attrs[i]) : NULL;
        if (value) {
            Py_INCREF(value);
        } else if (PyErr_Occurred() || !(value = PyObject_GetAttr(profile, attrs[i]))) {
            Py_XDECREF(dict);
            return -1;
        }
        a[i] = value;
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
    if (read_fields(args[0], a)) goto done;
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
    if (!(ready_s = PyUnicode_InternFromString("ready"))
        || !(partial_s = PyUnicode_InternFromString("partial"))
        || !(thin_s = PyUnicode_InternFromString("thin")) || !(zero = PyFloat_FromDouble(0.0))
        || !(one = PyFloat_FromDouble(1.0))
        || !(round_name = PyUnicode_InternFromString("__round__"))
        || !(four = PyLong_FromLong(4)))
        return NULL;
    return PyModule_Create(&fastcards_module);
}

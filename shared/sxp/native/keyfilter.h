/* KeyFilter: which (platform, handle) keys one ingest has written already, in a few bytes per
 * key (1.5 per key a layer holds; layers double), so the database thread can COPY a chunk's
 * other keys without asking Tier 1 first.
 *
 * A blocked Bloom filter (a key's bits all lie in one 64-byte line: one cache miss per layer)
 * that grows by layers of twice the capacity, so it needs no key count up front. There are no
 * false negatives: a key once added, or once reported as seen, is reported as seen from then
 * on. About one unseen key in 200 is reported as seen too; the caller then asks Tier 1 about it,
 * which costs a probe and changes nothing. One thread at a time uses a filter (it releases the
 * GIL while it hashes). */

#define KF_BITS_PER_KEY 12
#define KF_PROBES 7 /* 9-bit positions in a 512-bit line, from one 64-bit hash */
#define KF_FIRST_LINES (1u << 13) /* 8,192 lines of 64 bytes: 512 kB, about 350,000 keys */
#define KF_MAX_LAYERS 40

typedef struct {
    uint64_t *words; /* 8 per line */
    uint64_t lines;  /* a power of two */
    uint64_t capacity, count;
} kf_layer;

typedef struct {
    PyObject_HEAD kf_layer layers[KF_MAX_LAYERS];
    int nlayers;
} KeyFilter;

static uint64_t kf_mix(uint64_t h) { /* MurmurHash3's finalizer */
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t kf_hash(const char *platform, size_t np, const char *handle, size_t nh) {
    uint64_t x = 0xcbf29ce484222325ULL; /* FNV-1a over platform, a separator byte, handle */
    for (size_t i = 0; i < np; i++) x = (x ^ (uint8_t)platform[i]) * 0x100000001b3ULL;
    x = (x ^ 0xffu) * 0x100000001b3ULL; /* 0xff is no byte of UTF-8 text */
    for (size_t i = 0; i < nh; i++) x = (x ^ (uint8_t)handle[i]) * 0x100000001b3ULL;
    return kf_mix(x);
}

static int kf_layer_has(const kf_layer *l, uint64_t h, uint64_t bits) {
    const uint64_t *line = l->words + (h & (l->lines - 1)) * 8;
    for (int i = 0; i < KF_PROBES; i++) {
        unsigned at = (unsigned)(bits >> (9 * i)) & 511u;
        if (!(line[at >> 6] & (1ULL << (at & 63)))) return 0;
    }
    return 1;
}

static void kf_layer_set(kf_layer *l, uint64_t h, uint64_t bits) {
    uint64_t *line = l->words + (h & (l->lines - 1)) * 8;
    for (int i = 0; i < KF_PROBES; i++) {
        unsigned at = (unsigned)(bits >> (9 * i)) & 511u;
        line[at >> 6] |= 1ULL << (at & 63);
    }
    l->count++;
}

static int kf_grow(KeyFilter *self) {
    if (self->nlayers == KF_MAX_LAYERS) return -1;
    uint64_t lines = self->nlayers ? self->layers[self->nlayers - 1].lines * 2 : KF_FIRST_LINES;
    uint64_t *words = calloc(lines * 8, sizeof(uint64_t));
    if (!words) return -1;
    kf_layer *l = &self->layers[self->nlayers++];
    l->words = words;
    l->lines = lines;
    l->capacity = lines * 512 / KF_BITS_PER_KEY;
    l->count = 0;
    return 0;
}

/* 1 when the key may have been added before, else 0 after adding it; -1 when out of memory */
static int kf_add(KeyFilter *self, const char *platform, size_t np, const char *handle,
                  size_t nh) {
    uint64_t h = kf_hash(platform, np, handle, nh), bits = kf_mix(h ^ 0x9e3779b97f4a7c15ULL);
    for (int i = 0; i < self->nlayers; i++)
        if (kf_layer_has(&self->layers[i], h, bits)) return 1;
    kf_layer *last = self->nlayers ? &self->layers[self->nlayers - 1] : NULL;
    if (!last || last->count >= last->capacity) {
        if (kf_grow(self)) return -1;
        last = &self->layers[self->nlayers - 1];
    }
    kf_layer_set(last, h, bits);
    return 0;
}

static PyObject *KeyFilter_add(KeyFilter *self, PyObject *args) {
    PyObject *platforms_obj, *handles_obj;
    if (!PyArg_ParseTuple(args, "UU", &platforms_obj, &handles_obj)) return NULL;
    Py_ssize_t np, nh;
    const char *platforms = PyUnicode_AsUTF8AndSize(platforms_obj, &np);
    const char *handles = platforms ? PyUnicode_AsUTF8AndSize(handles_obj, &nh) : NULL;
    if (!handles) return NULL;
    size_t keys = 1;
    for (Py_ssize_t i = 0; i < nh; i++) keys += handles[i] == '\n';
    Py_ssize_t *seen = malloc(keys * sizeof(Py_ssize_t));
    if (!seen) return PyErr_NoMemory();
    size_t nseen = 0;
    int failed = 0; /* 1: out of memory, 2: the two texts hold different numbers of keys */
    Py_BEGIN_ALLOW_THREADS;
    const char *p = platforms, *pend = platforms + np, *h = handles, *hend = handles + nh;
    for (Py_ssize_t position = 0;; position++) {
        const char *pe = memchr(p, '\n', (size_t)(pend - p));
        const char *he = memchr(h, '\n', (size_t)(hend - h));
        if (!pe != !he) {
            failed = 2;
            break;
        }
        int r = kf_add(self, p, (size_t)((pe ? pe : pend) - p), h, (size_t)((he ? he : hend) - h));
        if (r < 0) {
            failed = 1;
            break;
        }
        if (r) seen[nseen++] = position;
        if (!pe) break;
        p = pe + 1;
        h = he + 1;
    }
    Py_END_ALLOW_THREADS;
    PyObject *out = NULL;
    if (failed == 1)
        PyErr_NoMemory();
    else if (failed == 2)
        PyErr_SetString(PyExc_ValueError, "platforms and handles hold different numbers of keys");
    else if ((out = PyList_New((Py_ssize_t)nseen))) {
        for (size_t i = 0; i < nseen; i++) {
            PyObject *n = PyLong_FromSsize_t(seen[i]);
            if (!n) {
                Py_CLEAR(out);
                break;
            }
            PyList_SET_ITEM(out, (Py_ssize_t)i, n);
        }
    }
    free(seen);
    return out;
}

static PyObject *KeyFilter_nbytes(KeyFilter *self, void *Py_UNUSED(closure)) {
    uint64_t total = 0;
    for (int i = 0; i < self->nlayers; i++) total += self->layers[i].lines * 64;
    return PyLong_FromUnsignedLongLong(total);
}

static void KeyFilter_dealloc(KeyFilter *self) {
    for (int i = 0; i < self->nlayers; i++) free(self->layers[i].words);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef KeyFilter_methods[] = {
    {"add", (PyCFunction)KeyFilter_add, METH_VARARGS,
     "add(platforms, handles) -> positions of the keys that may have been added before; the "
     "others are added. Both texts are newline-joined, key by key."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef KeyFilter_getset[] = {
    {"nbytes", (getter)KeyFilter_nbytes, NULL, "memory held by the filter's bits", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject KeyFilterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sxp.native._fastrows.KeyFilter",
    .tp_basicsize = sizeof(KeyFilter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The (platform, handle) keys one ingest has written: a growing Bloom filter.",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)KeyFilter_dealloc,
    .tp_methods = KeyFilter_methods,
    .tp_getset = KeyFilter_getset,
};

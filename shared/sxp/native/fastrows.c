/* sxp.native._fastrows: the per-row hot path of JSONL ingest in C.
 *
 * A `Block` takes a block of JSONL lines and, for every row it is certain about, does what
 * sxp.pipeline.ingest_rows.process_records does in Python: map the shape, normalize, check,
 * hash, and write the staged normalized line and the Tier 1 binary COPY tuple. Every other row
 * (envelopes, URLs as handles, text the PII scrub would change, unusual values, rejects) is
 * returned to the caller, which runs the Python path on it and adds the profiles it yields
 * back with `add`. `finish` merges both in line order and keeps the newest scrape per
 * (platform, handle), exactly like ChunkWriter. The Python code stays the reference: tests
 * compare both paths row by row. A `KeyFilter` (keyfilter.h) remembers which keys an ingest
 * has written; `tuple_fields` (tuplefields.h) reads two fields out of COPY tuples. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "keyfilter.h"
#include "rowmap.h" /* before pycallbacks.h, whose callbacks fill its types */
#include "pycallbacks.h"
#include "tuplefields.h"

/* ---------------------------------------------------------------- the block */

typedef struct {
    int64_t line, scraped_us;
    size_t key_off, row_off, row_len, norm_off, norm_len;
    uint32_t platform_len, handle_len;
} entry_t;

typedef struct {
    entry_t *items;
    size_t len, cap;
} entries_t;

typedef struct {
    PyObject_HEAD
    build_opts opts;
    py_callbacks callbacks;
    int64_t source_file_id;
    buf_t arena, scratch, keys, rows, norm;
    entries_t fast, added;
    /* finish(): kept from block to block, so their pages are not faulted in anew each time */
    buf_t out_norm, out_rows, out_ends, out_platforms, out_handles, work;
} Block;

static int entries_push(entries_t *e, const entry_t *item) {
    if (e->len == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1024;
        entry_t *items = realloc(e->items, cap * sizeof *items);
        if (!items) return NOMEM;
        e->items = items;
        e->cap = cap;
    }
    e->items[e->len++] = *item;
    return OK;
}

static int push_entry(Block *self, entries_t *into, int64_t line, int64_t scraped_us,
                      const char *platform, size_t platform_len, const uint8_t *handle,
                      size_t handle_len, size_t row_off, size_t norm_off) {
    entry_t e = {line, scraped_us, self->keys.len, row_off, self->rows.len - row_off, norm_off,
                 self->norm.len - norm_off, (uint32_t)platform_len, (uint32_t)handle_len};
    if (buf_put(&self->keys, platform, platform_len) || buf_put(&self->keys, handle, handle_len))
        return NOMEM;
    return entries_push(into, &e);
}

/* one line: OK (a profile was written), FB (the caller's Python path takes it), NOMEM */
static int block_row(Block *self, const uint8_t *line, size_t n, int64_t line_no) {
    profile_t p;
    row_env env = {&self->arena, &self->scratch, &self->opts};
    self->arena.len = 0;
    int rc = build_row(&env, line, n, &p);
    if (rc) return rc;
    char hash[33];
    size_t row_off = self->rows.len, norm_off = self->norm.len;
    if (content_hash(&self->scratch, &self->arena, &p, hash) ||
        normalized_line(&self->norm, &self->arena, &p, hash) ||
        copy_row(&self->rows, &self->scratch, &self->arena, &p, hash, self->source_file_id))
        return NOMEM;
    const char *platform = platform_names[p.platform];
    return push_entry(self, &self->fast, line_no, p.scraped_us, platform, strlen(platform),
                      self->arena.p + p.handle.off, p.handle.len, row_off, norm_off);
}

static int is_bytes_space(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == ' ' || (s[i] >= 0x09 && s[i] <= 0x0D))) return 0;
    return 1;
}

static PyObject *Block_feed(Block *self, PyObject *args) {
    Py_buffer data;
    long long first_line, max_row_bytes, max_us;
    if (!PyArg_ParseTuple(args, "y*LLL", &data, &first_line, &max_row_bytes, &max_us))
        return NULL;
    self->opts.max_us = max_us;
    if (!cp_flags) {
        PyBuffer_Release(&data);
        PyErr_SetString(PyExc_RuntimeError, "set_unicode_flags() was not called");
        return NULL;
    }
    PyObject *fallback = PyList_New(0);
    const uint8_t *p = data.buf, *end = p + data.len;
    long long read = 0, line_no = first_line;
    int failed = 0;
    while (p < end && !failed) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        int rc = FB;
        if (n == 0 || is_bytes_space(p, n)) {
            rc = -2; /* blank: no record */
        } else if ((long long)n <= max_row_bytes && !(line_no == 1 && n >= 3 &&
                                                     !memcmp(p, "\xef\xbb\xbf", 3))) {
            rc = block_row(self, p, n, line_no);
        }
        if (rc == OK) {
            read++;
        } else if (rc == FB) {
            PyObject *item = Py_BuildValue("(Ly#)", line_no, (const char *)p, (Py_ssize_t)n);
            if (!item || PyList_Append(fallback, item)) failed = 1;
            Py_XDECREF(item);
        } else if (rc == NOMEM) {
            if (!PyErr_Occurred()) PyErr_NoMemory();
            failed = 1;
        }
        line_no++;
        p = nl ? nl + 1 : end;
    }
    PyBuffer_Release(&data);
    if (failed) {
        Py_DECREF(fallback);
        return NULL;
    }
    return Py_BuildValue("(LN)", read, fallback);
}

/* add(line, platform, handle, scraped_us, row, normalized): a profile of the Python path */
static PyObject *Block_add(Block *self, PyObject *args) {
    long long line, scraped_us;
    const char *platform, *handle, *row, *normalized;
    Py_ssize_t platform_len, handle_len, row_len, normalized_len;
    if (!PyArg_ParseTuple(args, "Ls#s#Ly#y#", &line, &platform, &platform_len, &handle,
                          &handle_len, &scraped_us, &row, &row_len, &normalized,
                          &normalized_len))
        return NULL;
    size_t row_off = self->rows.len, norm_off = self->norm.len;
    if (buf_put(&self->rows, row, (size_t)row_len) ||
        buf_put(&self->norm, normalized, (size_t)normalized_len) ||
        push_entry(self, &self->added, line, scraped_us, platform, (size_t)platform_len,
                   (const uint8_t *)handle, (size_t)handle_len, row_off, norm_off))
        return PyErr_NoMemory();
    Py_RETURN_NONE;
}

static uint64_t key_hash(const uint8_t *s, size_t n, uint32_t platform_len) {
    uint64_t h = 1469598103934665603ULL ^ platform_len;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

/* winners in Tier 1's key order: handle, then platform, bytewise like its "C" unique index */
static const uint8_t *sort_keys; /* the block's keys; finish() holds the GIL while it sorts */

static int bytes_cmp(const uint8_t *a, size_t na, const uint8_t *b, size_t nb) {
    int c = memcmp(a, b, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

static int key_order(const void *pa, const void *pb) {
    const entry_t *a = *(entry_t *const *)pa, *b = *(entry_t *const *)pb;
    const uint8_t *ka = sort_keys + a->key_off, *kb = sort_keys + b->key_off;
    int c = bytes_cmp(ka + a->platform_len, a->handle_len, kb + b->platform_len, b->handle_len);
    return c ? c : bytes_cmp(ka, a->platform_len, kb, b->platform_len);
}

/* Tier 1's rank of two rows of one key (sxp.adapters.postgres.profiles._rank): a known scrape
 * time first, then the newer scrape, then the larger content hash; 0 when equal */
static int row_field(const Block *self, const entry_t *e, const char *name, const uint8_t **v,
                     int64_t *n) {
    int field = -1;
    for (int k = 0; k < ROW_COLUMN_COUNT; k++)
        if (!strcmp(ROW_COLUMNS[k], name)) field = k;
    const uint8_t *row = self->rows.p + e->row_off;
    return tf_field(row, row + e->row_len, field, v, n);
}

static int rank_order(const Block *self, const entry_t *a, const entry_t *b) {
    const uint8_t *va = NULL, *vb = NULL;
    int64_t na = 0, nb = 0;
    if (!row_field(self, a, "scraped_at_known", &va, &na) &&
        !row_field(self, b, "scraped_at_known", &vb, &nb) && na == 1 && nb == 1 &&
        va[0] != vb[0])
        return va[0] > vb[0] ? 1 : -1;
    if (a->scraped_us != b->scraped_us) return a->scraped_us > b->scraped_us ? 1 : -1;
    if (row_field(self, a, "content_hash", &va, &na) ||
        row_field(self, b, "content_hash", &vb, &nb))
        return 0;
    return bytes_cmp(va, (size_t)na, vb, (size_t)nb);
}

/* finish() -> (rows, ends, platforms, handles, normalized, valid): every profile's normalized
 * line in line order; the COPY tuples of the highest ranked row per key (rank_order, as
 * Tier 1's merge ranks them; ties: the later line), in
 * key order (handle, platform), so Tier 1's index takes a chunk's keys at neighbouring pages */
static PyObject *Block_finish(Block *self, PyObject *Py_UNUSED(ignored)) {
    size_t total = self->fast.len + self->added.len;
    size_t slots = 16;
    while (slots < total * 2) slots *= 2;
    buf_t *work = &self->work;
    work->len = 0;
    /* the merged order, the key table (-> index into winners) and the winners */
    if (buf_grow(work, total * 2 * sizeof(entry_t *) + slots * sizeof(int64_t)))
        return PyErr_NoMemory();
    entry_t **order = (entry_t **)work->p;
    entry_t **winners = order + total;
    int64_t *table = (int64_t *)(winners + total);
    buf_t *norm = &self->out_norm, *rows = &self->out_rows, *ends = &self->out_ends,
          *platforms = &self->out_platforms, *handles = &self->out_handles;
    norm->len = rows->len = ends->len = platforms->len = handles->len = 0;
    PyObject *result = NULL;
    for (size_t i = 0, a = 0, b = 0; i < total; i++) {
        int take_fast = a < self->fast.len &&
                        (b >= self->added.len ||
                         self->fast.items[a].line < self->added.items[b].line);
        order[i] = take_fast ? &self->fast.items[a++] : &self->added.items[b++];
    }
    memset(table, 0xFF, slots * sizeof *table);
    size_t distinct = 0;
    const buf_t *all_norm = &self->norm;
    if (self->added.len) { /* Python-path lines in between: put every line in order */
        for (size_t i = 0; i < total; i++)
            if (buf_put(norm, self->norm.p + order[i]->norm_off, order[i]->norm_len))
                goto nomem;
        all_norm = norm;
    }
    for (size_t i = 0; i < total; i++) {
        entry_t *e = order[i];
        const uint8_t *key = self->keys.p + e->key_off;
        size_t key_len = e->platform_len + e->handle_len;
        uint64_t h = key_hash(key, key_len, e->platform_len);
        size_t slot = (size_t)h & (slots - 1);
        for (;;) {
            if (table[slot] < 0) {
                table[slot] = (int64_t)distinct;
                winners[distinct++] = e;
                break;
            }
            entry_t *w = winners[table[slot]];
            if (w->platform_len == e->platform_len && w->handle_len == e->handle_len &&
                !memcmp(self->keys.p + w->key_off, key, key_len)) {
                int rank = rank_order(self, e, w);
                if (rank > 0 || (rank == 0 && e->line >= w->line)) winners[table[slot]] = e;
                break;
            }
            slot = (slot + 1) & (slots - 1);
        }
    }
    sort_keys = self->keys.p;
    qsort(winners, distinct, sizeof *winners, key_order);
    for (size_t i = 0; i < distinct; i++) {
        entry_t *w = winners[i];
        const uint8_t *key = self->keys.p + w->key_off;
        int64_t end_at;
        if (buf_put(rows, self->rows.p + w->row_off, w->row_len)) goto nomem;
        end_at = (int64_t)rows->len;
        if (buf_put(ends, &end_at, sizeof end_at) ||
            (i && (buf_putc(platforms, '\n') || buf_putc(handles, '\n'))) ||
            buf_put(platforms, key, w->platform_len) ||
            buf_put(handles, key + w->platform_len, w->handle_len))
            goto nomem;
    }
#define OUT(b) (b)->p ? (char *)(b)->p : "", (Py_ssize_t)(b)->len
    result = Py_BuildValue("(y#y#s#s#y#n)", OUT(rows), OUT(ends), OUT(platforms),
                           OUT(handles), OUT(all_norm), (Py_ssize_t)total);
#undef OUT
    goto done;
nomem:
    PyErr_NoMemory();
done:
    /* ready for the next block */
    self->keys.len = self->rows.len = self->norm.len = 0;
    self->fast.len = self->added.len = 0;
    return result;
}

static int Block_init(Block *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"source_file_id", "platform_hint", "default_scraped_us", "min_us",
                             "scrub_contacts", "handle_or_none", NULL};
    long long source_file_id, default_scraped_us, min_us;
    PyObject *hint, *scrub, *handle;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "LOLLOO", kwlist, &source_file_id, &hint,
                                     &default_scraped_us, &min_us, &scrub, &handle))
        return -1;
    Py_XSETREF(self->callbacks.scrub, Py_NewRef(scrub));
    Py_XSETREF(self->callbacks.handle, Py_NewRef(handle));
    self->opts.py = (callbacks_t){py_scrub, py_handle, &self->callbacks};
    self->opts.hint = P_NONE;
    if (hint != Py_None) {
        const char *name = PyUnicode_AsUTF8(hint);
        if (!name) return -1;
        for (int k = 0; k < 3; k++)
            if (!strcmp(name, platform_names[k])) self->opts.hint = k;
        if (self->opts.hint == P_NONE) {
            PyErr_Format(PyExc_ValueError, "unknown platform hint %R", hint);
            return -1;
        }
    }
    self->source_file_id = source_file_id;
    self->opts.default_scraped_us = default_scraped_us;
    self->opts.min_us = min_us;
    self->opts.max_us = min_us;
    return 0;
}

static void Block_dealloc(Block *self) {
    Py_CLEAR(self->callbacks.scrub);
    Py_CLEAR(self->callbacks.handle);
    free(self->arena.p);
    free(self->scratch.p);
    free(self->keys.p);
    free(self->rows.p);
    free(self->norm.p);
    free(self->fast.items);
    free(self->added.items);
    free(self->out_norm.p);
    free(self->out_rows.p);
    free(self->out_ends.p);
    free(self->out_platforms.p);
    free(self->out_handles.p);
    free(self->work.p);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Block_methods[] = {
    {"feed", (PyCFunction)Block_feed, METH_VARARGS,
     "feed(block, first_line, max_row_bytes, max_us) -> (rows read, [(line, raw), ...] for "
     "Python); max_us: the latest plausible timestamp"},
    {"add", (PyCFunction)Block_add, METH_VARARGS,
     "add(line, platform, handle, scraped_us, copy_row, normalized_line)"},
    {"finish", (PyCFunction)Block_finish, METH_NOARGS,
     "finish() -> (rows, ends, platforms, handles, normalized, valid); the block is then "
     "empty, ready for the next"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject BlockType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "sxp.native._fastrows.Block",
    .tp_basicsize = sizeof(Block),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One block of JSONL lines on the native ingest path.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Block_init,
    .tp_dealloc = (destructor)Block_dealloc,
    .tp_methods = Block_methods,
};

static PyObject *set_unicode_flags(PyObject *Py_UNUSED(module), PyObject *arg) {
    Py_buffer table;
    if (PyObject_GetBuffer(arg, &table, PyBUF_SIMPLE)) return NULL;
    uint8_t *copy = malloc((size_t)table.len);
    if (!copy) {
        PyBuffer_Release(&table);
        return PyErr_NoMemory();
    }
    memcpy(copy, table.buf, (size_t)table.len);
    free(cp_flags);
    cp_flags = copy;
    cp_limit = (uint32_t)table.len;
    PyBuffer_Release(&table);
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"set_unicode_flags", set_unicode_flags, METH_O,
     "set_unicode_flags(table): one byte of flags per code point from 0"},
    {"tuple_fields", tuple_fields, METH_VARARGS,
     "tuple_fields(rows, ends, int8_field, text_field) -> (int8 values, texts), newline-joined"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef fastrows_module = {
    PyModuleDef_HEAD_INIT, "_fastrows", "The native per-row path of JSONL ingest.", -1,
    module_methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__fastrows(void) {
    row_keys_init();
    if (PyType_Ready(&BlockType) < 0 || PyType_Ready(&KeyFilterType) < 0) return NULL;
    PyObject *m = PyModule_Create(&fastrows_module);
    if (!m) return NULL;
    Py_INCREF(&BlockType);
    if (PyModule_AddObject(m, "Block", (PyObject *)&BlockType) < 0) {
        Py_DECREF(&BlockType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&KeyFilterType);
    if (PyModule_AddObject(m, "KeyFilter", (PyObject *)&KeyFilterType) < 0) {
        Py_DECREF(&KeyFilterType);
        Py_DECREF(m);
        return NULL;
    }
    PyObject *columns = PyTuple_New(ROW_COLUMN_COUNT);
    if (columns == NULL) {
        Py_DECREF(m);
        return NULL;
    }
    for (int k = 0; k < ROW_COLUMN_COUNT; k++) {
        PyObject *name = PyUnicode_FromString(ROW_COLUMNS[k]);
        if (name == NULL) {
            Py_DECREF(columns);
            Py_DECREF(m);
            return NULL;
        }
        PyTuple_SET_ITEM(columns, k, name);
    }
    if (PyModule_AddObject(m, "ROW_COLUMNS", columns) < 0) {
        Py_DECREF(columns);
        Py_DECREF(m);
        return NULL;
    }
    PyModule_AddIntConstant(m, "F_INERT", F_INERT);
    PyModule_AddIntConstant(m, "F_STRIP", F_STRIP);
    PyModule_AddIntConstant(m, "F_SPACE", F_SPACE);
    PyModule_AddIntConstant(m, "F_REDIGIT", F_REDIGIT);
    PyModule_AddIntConstant(m, "F_RESPACE", F_RESPACE);
    return m;
}

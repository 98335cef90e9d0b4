/* tuple_fields(rows, ends, int8_field, text_field) -> (int8 values, texts): two fields of every
 * binary COPY tuple in `rows` (tuple i ends at ends[i], native int64), the 8-byte integer (or
 * timestamptz) one as decimal text and the text one as it is, each newline-joined. The database
 * thread sends them along with a chunk's keys, so one query can tell which known rows would
 * change. */

static int tf_read_be(const uint8_t *p, int n, int64_t *out) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = (v << 8) | p[i];
    *out = n == 8 ? (int64_t)v : n == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)(int16_t)v;
    return 0;
}

/* the field `want` of the tuple at [p, end): its bytes and length; -1 when malformed or NULL */
static int tf_field(const uint8_t *p, const uint8_t *end, int want, const uint8_t **data,
                    int64_t *len) {
    int64_t count, n;
    if (end - p < 2) return -1;
    tf_read_be(p, 2, &count);
    p += 2;
    if (want >= count) return -1;
    for (int i = 0; i <= want; i++) {
        if (end - p < 4) return -1;
        tf_read_be(p, 4, &n);
        p += 4;
        if (n < 0) {
            if (i == want) return -1;
            continue;
        }
        if (end - p < n) return -1;
        if (i == want) {
            *data = p;
            *len = n;
            return 0;
        }
        p += n;
    }
    return -1;
}

static PyObject *tuple_fields(PyObject *Py_UNUSED(module), PyObject *args) {
    Py_buffer rows, ends;
    int int_field, text_field;
    if (!PyArg_ParseTuple(args, "y*y*ii", &rows, &ends, &int_field, &text_field)) return NULL;
    PyObject *result = NULL;
    buf_t ints = {0}, texts = {0};
    size_t count = (size_t)ends.len / sizeof(int64_t);
    const int64_t *at = (const int64_t *)ends.buf;
    const uint8_t *base = (const uint8_t *)rows.buf;
    int64_t start = 0;
    if (int_field < 0 || text_field < 0 || ends.len % (Py_ssize_t)sizeof(int64_t)) goto bad;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *data;
        int64_t len, value;
        char digits[24];
        if (at[i] < start || at[i] > rows.len) goto bad;
        const uint8_t *p = base + start, *end = base + at[i];
        if (tf_field(p, end, int_field, &data, &len) || len != 8) goto bad;
        tf_read_be(data, 8, &value);
        int w = snprintf(digits, sizeof digits, "%lld", (long long)value);
        if ((i && buf_putc(&ints, '\n')) || buf_put(&ints, digits, (size_t)w)) goto nomem;
        if (tf_field(p, end, text_field, &data, &len)) goto bad;
        if ((i && buf_putc(&texts, '\n')) || buf_put(&texts, data, (size_t)len)) goto nomem;
        start = at[i];
    }
    result = Py_BuildValue("(s#s#)", ints.p ? (char *)ints.p : "", (Py_ssize_t)ints.len,
                           texts.p ? (char *)texts.p : "", (Py_ssize_t)texts.len);
    goto done;
bad:
    PyErr_SetString(PyExc_ValueError, "not binary COPY tuples with those fields");
    goto done;
nomem:
    PyErr_NoMemory();
done:
    free(ints.p);
    free(texts.p);
    PyBuffer_Release(&rows);
    PyBuffer_Release(&ends);
    return result;
}

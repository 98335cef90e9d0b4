/* sxp.native._fastcards.person_name: sxp.domain.enrichability.person_name for an ASCII display
 * name, to the character. Included once, by fastcards.c.
 *
 * The Python function, for ASCII text (NFKC changes none of it): strip whitespace; cut at the
 * first separator (`_SEPARATORS`: optional whitespace, then `|`, `/`, `,` or a dash between
 * whitespace, to the end); keep the first segment that is not blank between marks (ASCII
 * symbols and control characters); its words less dots at their ends; drop honorifics in front
 * and suffixes behind; 2 to 4 words, each letters joined by apostrophes or hyphens, none a
 * business word, first and last of at least two letters; first and last name-cased.
 *
 * It returns NotImplemented for what it leaves to Python: text that is not ASCII, or holds a
 * newline (where `.*$` stops), or more words or longer words than it keeps. `configure_names`
 * takes the word sets from the Python module, which stays the reference;
 * tests/unit/native/test_fastcards.py holds the two together. */

#define NAME_MAX_WORDS 32
#define NAME_MAX_WORD 64

static PyObject *honorific_words, *suffix_words, *business_words; /* frozensets of lowercase */

static int name_space(unsigned char c) { /* str.isspace() of an ASCII character */
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 28 && c <= 31);
}

static int name_mark(unsigned char c) { /* unicodedata.category(c)[0] in "SC" */
    return c < 32 || c == 127 || c == '$' || c == '+' || c == '<' || c == '=' || c == '>'
           || c == '^' || c == '`' || c == '|' || c == '~';
}

static int name_letter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

/* where `_SEPARATORS` first matches in s[0:n], or n */
static Py_ssize_t separator_at(const char *s, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t run = 0;
        while (i + run < n && name_space((unsigned char)s[i + run])) run++;
        for (Py_ssize_t p = i; p <= i + run && p < n; p++) {
            char c = s[p];
            if (c == '|' || c == '/' || c == ',') return i;
            if (name_space((unsigned char)c) && p + 2 < n && s[p + 1] == '-'
                && name_space((unsigned char)s[p + 2]))
                return i;
        }
    }
    return n;
}

/* whether the word (a run of s) is in `words`, compared in lowercase: 1, 0, or -1 on error */
static int name_in(PyObject *words, const char *s, Py_ssize_t n) {
    char lower[NAME_MAX_WORD];
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        lower[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    PyObject *word = PyUnicode_FromStringAndSize(lower, n);
    if (!word) return -1;
    int found = PySet_Contains(words, word);
    Py_DECREF(word);
    return found;
}

/* `_NAME_WORD` of an ASCII word: letters, joined by single apostrophes or hyphens */
static int name_word(const char *s, Py_ssize_t n) {
    if (n == 0 || !name_letter((unsigned char)s[0]) || !name_letter((unsigned char)s[n - 1]))
        return 0;
    for (Py_ssize_t i = 1; i < n - 1; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!name_letter(c)) {
            if ((c != '\'' && c != '-') || !name_letter((unsigned char)s[i + 1])) return 0;
        }
    }
    return 1;
}

/* `_name_case`: an all-lowercase or all-uppercase word capitalized per hyphenated part */
static PyObject *name_cased(const char *s, Py_ssize_t n) {
    int upper = 0, lower = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        upper |= s[i] >= 'A' && s[i] <= 'Z';
        lower |= s[i] >= 'a' && s[i] <= 'z';
    }
    if (upper && lower) return PyUnicode_FromStringAndSize(s, n);
    char out[NAME_MAX_WORD];
    int first = 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '-') {
            out[i] = '-';
            first = 1;
            continue;
        }
        if (first) out[i] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
        else out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        first = 0;
    }
    return PyUnicode_FromStringAndSize(out, n);
}

static PyObject *person_name(PyObject *module, PyObject *arg) {
    (void)module;
    if (!honorific_words) {
        PyErr_SetString(PyExc_RuntimeError, "configure_names() first");
        return NULL;
    }
    if (arg == Py_None) Py_RETURN_NONE;
    if (!PyUnicode_CheckExact(arg) || !PyUnicode_IS_ASCII(arg)) Py_RETURN_NOTIMPLEMENTED;
    const char *s = (const char *)PyUnicode_1BYTE_DATA(arg);
    Py_ssize_t n = PyUnicode_GET_LENGTH(arg);
    if (n == 0) Py_RETURN_NONE;
    if (memchr(s, '\n', (size_t)n)) Py_RETURN_NOTIMPLEMENTED;
    while (n > 0 && name_space((unsigned char)s[0])) s++, n--;
    while (n > 0 && name_space((unsigned char)s[n - 1])) n--;
    n = separator_at(s, n);
    /* the first segment between marks that is not blank once stripped */
    Py_ssize_t start = 0, end = 0, i = 0;
    for (;;) {
        Py_ssize_t j = i;
        while (j < n && !name_mark((unsigned char)s[j])) j++;
        start = i, end = j;
        while (start < end && name_space((unsigned char)s[start])) start++;
        while (end > start && name_space((unsigned char)s[end - 1])) end--;
        if (start < end || j >= n) break;
        i = j + 1;
    }
    /* its words (split on spaces, the only whitespace a segment keeps), less dots at the ends */
    Py_ssize_t from[NAME_MAX_WORDS], to[NAME_MAX_WORDS];
    int count = 0;
    for (Py_ssize_t k = start; k < end;) {
        while (k < end && s[k] == ' ') k++;
        if (k >= end) break;
        Py_ssize_t w = k;
        while (k < end && s[k] != ' ') k++;
        if (count == NAME_MAX_WORDS || k - w > NAME_MAX_WORD) Py_RETURN_NOTIMPLEMENTED;
        Py_ssize_t a = w, b = k;
        while (a < b && s[a] == '.') a++;
        while (b > a && s[b - 1] == '.') b--;
        from[count] = a, to[count] = b, count++;
    }
    int first = 0, last = count; /* words[first:last] */
    while (first < last) {
        int found = name_in(honorific_words, s + from[first], to[first] - from[first]);
        if (found < 0) return NULL;
        if (!found) break;
        first++;
    }
    while (first < last) {
        int found = name_in(suffix_words, s + from[last - 1], to[last - 1] - from[last - 1]);
        if (found < 0) return NULL;
        if (!found) break;
        last--;
    }
    if (last - first < 2 || last - first > 4) Py_RETURN_NONE;
    for (int w = first; w < last; w++) {
        if (!name_word(s + from[w], to[w] - from[w])) Py_RETURN_NONE;
        int found = name_in(business_words, s + from[w], to[w] - from[w]);
        if (found < 0) return NULL;
        if (found) Py_RETURN_NONE;
    }
    if (to[first] - from[first] < 2 || to[last - 1] - from[last - 1] < 2) Py_RETURN_NONE;
    PyObject *given = name_cased(s + from[first], to[first] - from[first]);
    PyObject *family = given ? name_cased(s + from[last - 1], to[last - 1] - from[last - 1]) : NULL;
    if (!family) {
        Py_XDECREF(given);
        return NULL;
    }
    PyObject *pair = PyTuple_Pack(2, given, family);
    Py_DECREF(given);
    Py_DECREF(family);
    return pair;
}

static PyObject *configure_names(PyObject *module, PyObject *args) {
    (void)module;
    PyObject *honorifics, *suffixes, *business;
    if (!PyArg_ParseTuple(args, "O!O!O!", &PyFrozenSet_Type, &honorifics, &PyFrozenSet_Type,
                          &suffixes, &PyFrozenSet_Type, &business))
        return NULL;
    Py_XSETREF(honorific_words, Py_NewRef(honorifics));
    Py_XSETREF(suffix_words, Py_NewRef(suffixes));
    Py_XSETREF(business_words, Py_NewRef(business));
    Py_RETURN_NONE;
}

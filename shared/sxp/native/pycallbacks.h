/* The callbacks of the C path into the Python functions themselves (scrub_contacts and
 * normalize_handle), for the few fields the C code does not handle on its own. Included by
 * fastrows.c after Python.h. */
#ifndef SXP_PYCALLBACKS_H
#define SXP_PYCALLBACKS_H

#include "rowmap.h"

typedef struct {
    PyObject *scrub, *handle; /* scrub_contacts(text); handle_or_none(text, platform) */
} py_callbacks;

/* replace `t` (the arena's last text) by what the Python function returns for it */
static int set_text(buf_t *arena, text_t *t, PyObject *text) {
    if (text == Py_None) { t->present = 0; return OK; }
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(text, &n);
    if (!u) return NOMEM;
    t->present = 1;
    t->off = arena->len;
    t->len = (size_t)n;
    return buf_put(arena, u, (size_t)n);
}

static int py_scrub(void *ctx, buf_t *arena, text_t *t, int *found) {
    py_callbacks *cb = ctx;
    PyObject *text = PyUnicode_DecodeUTF8((const char *)arena->p + t->off, (Py_ssize_t)t->len,
                                          "strict");
    if (!text) return NOMEM;
    PyObject *result = PyObject_CallOneArg(cb->scrub, text);
    Py_DECREF(text);
    if (!result) return NOMEM;
    int rc = NOMEM;
    if (PyTuple_Check(result) && PyTuple_GET_SIZE(result) == 2) {
        *found = PyObject_IsTrue(PyTuple_GET_ITEM(result, 1)) == 1;
        rc = set_text(arena, t, PyTuple_GET_ITEM(result, 0));
    } else {
        PyErr_SetString(PyExc_TypeError, "scrub_contacts must return (text, found)");
    }
    Py_DECREF(result);
    return rc;
}

static int py_handle(void *ctx, buf_t *arena, const uint8_t *s, size_t n, int *platform,
                     text_t *out) {
    py_callbacks *cb = ctx;
    PyObject *text = PyUnicode_DecodeUTF8((const char *)s, (Py_ssize_t)n, "strict");
    if (!text) return NOMEM;
    PyObject *result = PyObject_CallFunction(cb->handle, "Os", text,
                                             *platform == P_NONE ? NULL
                                                                 : platform_names[*platform]);
    Py_DECREF(text);
    if (!result) return NOMEM;
    int rc = FB; /* None: the handle is rejected; Python gives the reason */
    if (PyTuple_Check(result) && PyTuple_GET_SIZE(result) == 2) {
        PyObject *found = PyTuple_GET_ITEM(result, 1);
        rc = OK;
        if (*platform == P_NONE && found != Py_None) {
            const char *name = PyUnicode_AsUTF8(found);
            rc = name ? FB : NOMEM;
            for (int k = 0; name && k < 3; k++)
                if (!strcmp(name, platform_names[k])) { *platform = k; rc = OK; }
        }
        if (rc == OK) rc = set_text(arena, out, PyTuple_GET_ITEM(result, 0));
        if (rc == OK && !out->present) rc = FB;
    } else if (result != Py_None) {
        PyErr_SetString(PyExc_TypeError, "handle_or_none must return (handle, platform)");
        rc = NOMEM;
    }
    Py_DECREF(result);
    return rc;
}

#endif

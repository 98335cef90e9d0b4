"""The native ingest path (sxp/native/fastrows.c) as an optional C extension: built wherever a
C compiler and the Python headers are present; without them sxp installs on its Python path."""

from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "sxp.native._fastrows",
    sources=["shared/sxp/native/fastrows.c"],
    depends=["shared/sxp/native/blake2b.h", "shared/sxp/native/jsonscan.h",
             "shared/sxp/native/keyfilter.h",
             "shared/sxp/native/rowbuild.h", "shared/sxp/native/rowfields.h",
             "shared/sxp/native/rowkeys.h", "shared/sxp/native/rowoutput.h",
             "shared/sxp/native/tuplefields.h"],
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
    optional=True,
)])

"""The native ingest path (sxp/native/fastrows.c) and a lead card's numbers, COPY row and
person name (sxp/native/fastcards.c) as C extensions.

Where a C compiler is present the extensions must build: a failed build fails the install
(`SXP_NATIVE_REQUIRED=1` demands it even where no compiler is found, as the images do).
Without a compiler sxp installs on its Python path, and `sxp status` says so.
"""

import os
import shlex
import shutil
import sysconfig
from pathlib import Path

from setuptools import Extension, setup


def _compiler_present() -> bool:
    command = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shutil.which(shlex.split(command)[0]) is not None


REQUIRED = os.environ.get("SXP_NATIVE_REQUIRED") == "1" or _compiler_present()

FLAGS = ["-O2", "-std=c11", "-Wall", "-Wextra"]

setup(ext_modules=[
    Extension(
        "sxp.native._fastrows",
        sources=["shared/sxp/native/fastrows.c"],
        depends=sorted(str(p) for p in Path("shared/sxp/native").glob("*.h")),
        extra_compile_args=FLAGS,
        optional=not REQUIRED,
    ),
    Extension(
        "sxp.native._fastcards",
        sources=["shared/sxp/native/fastcards.c"],
        depends=["shared/sxp/native/personname.h"],
        # each product and sum rounded as Python rounds it: never fused into one (an FMA)
        extra_compile_args=[*FLAGS, "-ffp-contract=off"],
        optional=not REQUIRED,
    ),
])

"""The native ingest path (sxp/native/fastrows.c) as a C extension.

Where a C compiler is present the extension must build: a failed build fails the install
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

setup(ext_modules=[Extension(
    "sxp.native._fastrows",
    sources=["shared/sxp/native/fastrows.c"],
    depends=sorted(str(p) for p in Path("shared/sxp/native").glob("*.h")),
    extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
    optional=not REQUIRED,
)])

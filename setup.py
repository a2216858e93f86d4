"""Build the Cython kernels (every ``engine/_*.pyx``); all metadata lives in pyproject.toml.

Query-time loops are compiled here, at install, so that a fresh process answers without any
JIT compilation (Numba is kept for build-time kernels only).
"""
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        "engine." + path.stem,
        [str(path)],
        include_dirs=[numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3"],
    )
    for path in sorted(Path("engine").glob("_*.pyx"))
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))

# Hand-written stubs for the compiled module built from cpp/bindings/. Keep in step with the
# bindings; `python -m mypy.stubtest hyperdial._core` checks that names and kinds agree.
from typing import Final, SupportsIndex

import numpy as np
from numpy.typing import NDArray

__version__: Final[str]
build_type: Final[str]
SOBOL_MAX_DIMS: Final[int]
SOBOL_BITS: Final[int]

def version() -> str: ...
def openmp_enabled() -> bool: ...
def max_threads() -> int: ...
def eigen_version() -> str: ...
def pybind11_version() -> str: ...
def compiler() -> str: ...
def sobol_sample(
    n_dims: int,
    start_index: int,
    n: int,
    scramble: bool = True,
    seed: SupportsIndex = 0,
    n_threads: int = 0,
) -> NDArray[np.float64]: ...
def _sobol_direction_table(
    n_dims: int,
) -> tuple[NDArray[np.uint32], NDArray[np.uint32], NDArray[np.uint32]]: ...

# Hand-written stubs for the compiled module built from cpp/bindings/. Keep in step with the
# bindings; `python -m mypy.stubtest hyperdial._core` checks that names and kinds agree.
from collections.abc import Sequence
from typing import Final, SupportsIndex, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

__version__: Final[str]
build_type: Final[str]
SOBOL_MAX_DIMS: Final[int]
SOBOL_BITS: Final[int]

def version() -> str: ...
def uses_avx2() -> bool: ...
def _set_min_parallel_work(work: float) -> float: ...
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

# Gaussian-process core (cpp/include/hyperdial/{kernels,gp,hyperfit,acquisition}.hpp).
# Kernel codes: 0 Matern-5/2, 1 squared exponential. Dimension kinds: 0 continuous, 1 integer,
# 2 categorical. Acquisition kinds: 0 log-EI, 1 UCB, 2 LCB, 3 log-PI.
_F: TypeAlias = NDArray[np.float64]

def kernel_matrix(
    kernel: int,
    dim_kinds: Sequence[int],
    log_params: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    mask1: ArrayLike | None = None,
    mask2: ArrayLike | None = None,
    n_threads: int = 0,
) -> _F: ...
def gram_grad_contract(
    kernel: int,
    dim_kinds: Sequence[int],
    log_params: ArrayLike,
    x: ArrayLike,
    w: ArrayLike,
    mask: ArrayLike | None = None,
    n_threads: int = 0,
) -> _F: ...
def log_posterior(
    kernel: int,
    dim_kinds: Sequence[int],
    x: ArrayLike,
    y: ArrayLike,
    log_params: ArrayLike,
    mask: ArrayLike | None = None,
    prior_mean: ArrayLike | None = None,
    prior_std: ArrayLike | None = None,
    n_threads: int = 0,
) -> tuple[float, _F, float]: ...
def fit_hyperparameters(
    kernel: int,
    dim_kinds: Sequence[int],
    x: ArrayLike,
    y: ArrayLike,
    theta0: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    mask: ArrayLike | None = None,
    prior_mean: ArrayLike | None = None,
    prior_std: ArrayLike | None = None,
    n_restarts: int = 0,
    seed: SupportsIndex = 0,
    max_iter: int = 200,
    n_threads: int = 0,
    memory: ArrayLike | None = None,
) -> tuple[_F, float, int, int, float, _F]: ...
def fit_gp(
    kernel: int,
    dim_kinds: Sequence[int],
    x: ArrayLike,
    y: ArrayLike,
    theta0: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    mask: ArrayLike | None = None,
    prior_mean: ArrayLike | None = None,
    prior_std: ArrayLike | None = None,
    n_restarts: int = 0,
    seed: SupportsIndex = 0,
    max_iter: int = 200,
    n_threads: int = 0,
    memory: ArrayLike | None = None,
    previous: ExactGP | None = None,
) -> tuple[ExactGP, float, int, int, _F, bool]: ...

class ExactGP:
    def __init__(
        self,
        kernel: int,
        dim_kinds: Sequence[int],
        log_params: ArrayLike,
        x: ArrayLike,
        y: ArrayLike,
        mask: ArrayLike | None = None,
        n_threads: int = 0,
    ) -> None: ...
    def append(
        self, x_new: ArrayLike, y_new: float, mask_new: ArrayLike | None = None, n_threads: int = 0
    ) -> None: ...
    def predict(self, x: ArrayLike, n_threads: int = 0) -> tuple[_F, _F]: ...
    def predict_with_grad(self, x: ArrayLike, n_threads: int = 0) -> tuple[_F, _F, _F, _F]: ...
    def bounds(self, x: ArrayLike, n_threads: int = 0) -> tuple[_F, _F]: ...
    def log_marginal_likelihood(self) -> float: ...
    def copy(self) -> ExactGP: ...
    def __copy__(self) -> ExactGP: ...
    def __deepcopy__(self, memo: dict[int, object]) -> ExactGP: ...
    def with_fantasies(self, x_pending: ArrayLike, n_threads: int = 0) -> ExactGP: ...
    @property
    def n(self) -> int: ...
    @property
    def d(self) -> int: ...
    @property
    def jitter(self) -> float: ...
    @property
    def log_params(self) -> _F: ...
    @property
    def x(self) -> _F: ...
    @property
    def y(self) -> _F: ...
    @property
    def alpha(self) -> _F: ...
    @property
    def cholesky(self) -> _F: ...
    @property
    def has_inverse(self) -> bool: ...
    @property
    def inverse(self) -> _F | None: ...

def log_h(z: ArrayLike) -> tuple[_F, _F]: ...
def log_ndtr(z: ArrayLike) -> tuple[_F, _F]: ...
def acquisition(
    gp: ExactGP,
    kind: int,
    x: ArrayLike,
    best: float = 0.0,
    beta: float = 2.0,
    constraints: Sequence[ExactGP] = [],
    n_threads: int = 0,
) -> _F: ...
def acquisition_with_grad(
    gp: ExactGP,
    kind: int,
    x: ArrayLike,
    best: float = 0.0,
    beta: float = 2.0,
    constraints: Sequence[ExactGP] = [],
    n_threads: int = 0,
) -> tuple[_F, _F]: ...
def maximize_acquisition(
    gp: ExactGP,
    kind: int,
    n_choices: Sequence[int],
    best: float = 0.0,
    beta: float = 2.0,
    constraints: Sequence[ExactGP] = [],
    x_best: ArrayLike | None = None,
    n_pool: int = 2048,
    n_perturb: int = 64,
    n_starts: int = 8,
    n_rounds: int = 3,
    max_iter: int = 50,
    seed: SupportsIndex = 0,
    n_threads: int = 0,
    screen: bool = True,
) -> tuple[_F, float]: ...

# TPE's Parzen estimators (cpp/include/hyperdial/tpe.hpp). Numeric dims in [0, 1], categorical
# dims as int64 choice codes; `coarse` marks numeric dims scored by cell mass over [lo, hi].
def tpe_bandwidths(mu: ArrayLike, consider_endpoints: bool = False) -> _F: ...
def tpe_mixture(
    mu: ArrayLike,
    weights: ArrayLike | None = None,
    prior_weight: float = 1.0,
    consider_endpoints: bool = False,
    prior_relative_to_mean: bool = False,
) -> tuple[_F, _F, _F]: ...

# Present when the core was built with NumPy's libnpyrandom (CMakeLists.txt).
def tpe_sample(
    generator: np.random.Generator,
    mu: ArrayLike,
    cat: ArrayLike,
    weights: ArrayLike | None,
    n_choices: ArrayLike,
    coarse: ArrayLike,
    m: int,
    prior_weight: float = 1.0,
    consider_endpoints: bool = False,
    prior_relative_to_mean: bool = False,
) -> tuple[_F, NDArray[np.int64]]: ...
def tpe_log_pdf(
    mu: ArrayLike,
    cat: ArrayLike,
    weights: ArrayLike | None,
    n_choices: ArrayLike,
    coarse: ArrayLike,
    x: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    xc: ArrayLike,
    prior_weight: float = 1.0,
    consider_endpoints: bool = False,
    prior_relative_to_mean: bool = False,
    n_threads: int = 0,
) -> _F: ...
def tpe_log_ratio(
    good_mu: ArrayLike,
    good_cat: ArrayLike,
    good_weights: ArrayLike | None,
    bad_mu: ArrayLike,
    bad_cat: ArrayLike,
    bad_weights: ArrayLike | None,
    n_choices: ArrayLike,
    coarse: ArrayLike,
    x: ArrayLike,
    lo: ArrayLike,
    hi: ArrayLike,
    xc: ArrayLike,
    prior_weight: float = 1.0,
    consider_endpoints: bool = False,
    n_threads: int = 0,
) -> _F: ...

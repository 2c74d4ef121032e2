# Hand-written stubs for the compiled module built from cpp/bindings/. Keep in step with the
# bindings; `python -m mypy.stubtest hyperdial._core` checks that names and kinds agree.
from collections.abc import Sequence
from typing import ClassVar, Final, SupportsIndex, TypeAlias

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
def idle_threads() -> int: ...
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
_F: TypeAlias = NDArray[np.float64]

class KernelKind:
    matern52: ClassVar[KernelKind]
    squared_exponential: ClassVar[KernelKind]
    __members__: ClassVar[dict[str, KernelKind]]
    def __init__(self, value: int) -> None: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class DimKind:
    continuous: ClassVar[DimKind]
    integer: ClassVar[DimKind]
    categorical: ClassVar[DimKind]
    __members__: ClassVar[dict[str, DimKind]]
    def __init__(self, value: int) -> None: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class AcqKind:
    log_ei: ClassVar[AcqKind]
    ucb: ClassVar[AcqKind]
    lcb: ClassVar[AcqKind]
    log_pi: ClassVar[AcqKind]
    __members__: ClassVar[dict[str, AcqKind]]
    def __init__(self, value: int) -> None: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

def kernel_matrix(
    kernel: KernelKind,
    dim_kinds: Sequence[DimKind],
    log_params: ArrayLike,
    x1: ArrayLike,
    x2: ArrayLike,
    mask1: ArrayLike | None = None,
    mask2: ArrayLike | None = None,
    n_threads: int = 0,
) -> _F: ...
def gram_grad_contract(
    kernel: KernelKind,
    dim_kinds: Sequence[DimKind],
    log_params: ArrayLike,
    x: ArrayLike,
    w: ArrayLike,
    mask: ArrayLike | None = None,
    n_threads: int = 0,
) -> _F: ...
def log_posterior(
    kernel: KernelKind,
    dim_kinds: Sequence[DimKind],
    x: ArrayLike,
    y: ArrayLike,
    log_params: ArrayLike,
    mask: ArrayLike | None = None,
    prior_mean: ArrayLike | None = None,
    prior_std: ArrayLike | None = None,
    n_threads: int = 0,
) -> tuple[float, _F, float]: ...

class FitResult:
    @property
    def log_params(self) -> _F: ...
    @property
    def value(self) -> float: ...
    @property
    def n_iter(self) -> int: ...
    @property
    def n_evals(self) -> int: ...
    @property
    def jitter(self) -> float: ...
    @property
    def memory(self) -> _F: ...
    @property
    def extended(self) -> bool: ...
    @property
    def gp(self) -> ExactGP | None: ...

def fit_hyperparameters(
    *,
    kernel: KernelKind,
    dim_kinds: Sequence[DimKind],
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
) -> FitResult: ...
def fit_gp(
    *,
    kernel: KernelKind,
    dim_kinds: Sequence[DimKind],
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
) -> FitResult: ...

class ExactGP:
    def __init__(
        self,
        kernel: KernelKind,
        dim_kinds: Sequence[DimKind],
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
    kind: AcqKind,
    x: ArrayLike,
    best: float = 0.0,
    beta: float = 2.0,
    constraints: Sequence[ExactGP] = [],
    n_threads: int = 0,
) -> _F: ...
def acquisition_with_grad(
    gp: ExactGP,
    kind: AcqKind,
    x: ArrayLike,
    best: float = 0.0,
    beta: float = 2.0,
    constraints: Sequence[ExactGP] = [],
    n_threads: int = 0,
) -> tuple[_F, _F]: ...

class AcqOptimizeOptions:
    n_pool: int
    n_perturb: int
    n_starts: int
    n_rounds: int
    max_iter: int
    screen: bool
    # The defaults are the C++ struct's (acq_optimize.hpp); `...` here, not a copy.
    def __init__(
        self,
        *,
        n_pool: int = ...,
        n_perturb: int = ...,
        n_starts: int = ...,
        n_rounds: int = ...,
        max_iter: int = ...,
        screen: bool = ...,
    ) -> None: ...

def maximize_acquisition(
    gp: ExactGP,
    kind: AcqKind,
    n_choices: Sequence[int],
    *,
    best: float = 0.0,
    beta: float = 2.0,
    constraints: Sequence[ExactGP] = [],
    x_best: ArrayLike | None = None,
    options: AcqOptimizeOptions | None = None,
    seed: SupportsIndex = 0,
    n_threads: int = 0,
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
    *,
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

# Sobol' indices of a GP surface (cpp/include/hyperdial/sensitivity.hpp).
class SobolInputs:
    def __init__(
        self,
        *,
        n_cells: Sequence[int],
        cdf: ArrayLike,
        mask: ArrayLike,
        lower: ArrayLike,
        upper: ArrayLike,
        codes: ArrayLike,
    ) -> None: ...
    @property
    def n_cells(self) -> list[int]: ...
    @property
    def cdf(self) -> _F: ...
    @property
    def mask(self) -> _F: ...
    @property
    def lower(self) -> _F: ...
    @property
    def upper(self) -> _F: ...
    @property
    def codes(self) -> _F: ...

class SobolIndicesResult:
    @property
    def first(self) -> _F: ...
    @property
    def total(self) -> _F: ...
    @property
    def variance(self) -> _F: ...
    @property
    def mean(self) -> _F: ...

def sobol_indices(
    *,
    kernel: KernelKind,
    dim_kinds: Sequence[DimKind],
    log_params: ArrayLike,
    x: ArrayLike,
    mask: ArrayLike | None,
    alphas: ArrayLike,
    inputs: SobolInputs,
    n_base: int,
    seed: SupportsIndex = 0,
    n_threads: int = 0,
) -> SobolIndicesResult: ...
def sobol_inputs_map(*, inputs: SobolInputs, dim_kinds: Sequence[DimKind], u: ArrayLike) -> _F: ...

# CMA-ES (cpp/include/hyperdial/cmaes.hpp).
class CmaRestart:
    none: ClassVar[CmaRestart]
    ipop: ClassVar[CmaRestart]
    bipop: ClassVar[CmaRestart]
    __members__: ClassVar[dict[str, CmaRestart]]
    def __init__(self, value: int) -> None: ...
    def __index__(self) -> int: ...
    def __int__(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def value(self) -> int: ...

class CmaOptions:
    popsize: int
    separable: bool
    lr_adapt: bool
    restart: CmaRestart
    inc_popsize: float
    max_resampling: int
    tol_fun: float
    tol_x: float
    max_condition: float
    def __init__(
        self,
        *,
        popsize: int = 0,
        separable: bool = False,
        lr_adapt: bool = False,
        restart: CmaRestart = ...,
        inc_popsize: float = 2.0,
        max_resampling: int = 0,
        tol_fun: float = 1e-12,
        tol_x: float = 1e-12,
        max_condition: float = 1e14,
    ) -> None: ...

class CmaSample:
    @property
    def x(self) -> _F: ...
    @property
    def point(self) -> _F: ...
    @property
    def n_redraws(self) -> int: ...

class CmaWarmStart:
    @property
    def mean(self) -> _F: ...
    @property
    def sigma(self) -> float: ...
    @property
    def cov(self) -> _F: ...

class CmaEs:
    def __init__(
        self,
        mean: ArrayLike,
        sigma: float,
        cov: ArrayLike | None = None,
        steps: ArrayLike | None = None,
        options: CmaOptions = ...,
    ) -> None: ...
    def ask(self, seed: SupportsIndex) -> CmaSample: ...
    def tell(self, x: ArrayLike, f: ArrayLike, seed: SupportsIndex = 0) -> str: ...
    def stop_reason(self) -> str: ...
    def to_vector(self) -> _F: ...
    @staticmethod
    def from_vector(state: ArrayLike) -> CmaEs: ...
    def __getstate__(self) -> _F: ...
    def __setstate__(self, arg0: ArrayLike) -> None: ...
    @property
    def dim(self) -> int: ...
    @property
    def popsize(self) -> int: ...
    @property
    def generation(self) -> int: ...
    @property
    def n_restarts(self) -> int: ...
    @property
    def eta_mean(self) -> float: ...
    @property
    def eta_cov(self) -> float: ...
    @property
    def sigma(self) -> float: ...
    @property
    def mean(self) -> _F: ...
    @property
    def cov(self) -> _F: ...
    @property
    def p_sigma(self) -> _F: ...
    @property
    def p_c(self) -> _F: ...
    @property
    def eigvecs(self) -> _F: ...
    @property
    def eigvals_sqrt(self) -> _F: ...
    @property
    def margin_scale(self) -> _F: ...
    @property
    def weights(self) -> _F: ...
    @property
    def options(self) -> CmaOptions: ...

def cma_warm_start(
    x: ArrayLike, f: ArrayLike, gamma: float = 0.1, alpha: float = 0.1
) -> CmaWarmStart: ...
def _normal_quantile(p: float) -> float: ...

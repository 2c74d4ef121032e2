"""The GaussianProcess class: standardised targets, MAP fit, O(n^2) updates, acquisitions.

Arrays: ``x`` ``(n, d)`` in the normalised space (continuous dims in ``[0, 1]``, integer dims on
the grid ``(k + 0.5) / c``, categorical dims as codes ``0 .. c - 1``), ``y`` ``(n,)`` in the
caller's units (maximised), ``mask`` ``(n, d)`` of 0/1 or None (inactive dims, see
``cpp/include/hyperdial/kernels.hpp``), ``log_params`` ``(d + 2,)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hyperdial import _core
from hyperdial.gp._priors import default_bounds, default_priors

F64 = NDArray[np.float64]
DIM_KINDS = {"continuous": 0, "integer": 1, "categorical": 2}
KERNELS = {"matern52": 0, "squared_exponential": 1}
ACQUISITIONS = {"log_ei": 0, "ucb": 1, "lcb": 2, "log_pi": 3}


class GaussianProcess:
    """A GP model of an objective to be maximised, over a mixed space.

    Args:
        dim_kinds: One of ``"continuous"``, ``"integer"``, ``"categorical"`` per dimension.
        n_choices: Grid size of each integer dim / number of categories of each categorical
            dim (ignored, may be 0, for continuous dims). Needed by :meth:`maximize`.
        kernel: ``"matern52"`` (default) or ``"squared_exponential"``.
        noise_floor: Smallest noise variance (standardised units) the fit may choose.
        fixed_noise: If given, the noise variance is fixed at this value (deterministic
            objectives), not fitted.
        center: Subtract the mean of ``y`` (default). Constraint models must keep 0 at 0 and
            use ``center=False`` (their feasible region is ``c(x) <= 0``).

    Example:
        >>> import numpy as np
        >>> x = np.array([[0.1, 0.0], [0.5, 1.0], [0.9, 2.0]])
        >>> gp = GaussianProcess(["continuous", "categorical"], [0, 3], fixed_noise=1e-8)
        >>> mean, var = gp.fit(x, np.array([1.0, 2.0, 0.5])).predict(x)
        >>> bool(np.allclose(mean, [1.0, 2.0, 0.5], atol=1e-3))
        True
    """

    def __init__(
        self,
        dim_kinds: Sequence[str],
        n_choices: Sequence[int] | None = None,
        *,
        kernel: str = "matern52",
        noise_floor: float = 1e-6,
        fixed_noise: float | None = None,
        center: bool = True,
    ) -> None:
        bad = [k for k in dim_kinds if k not in DIM_KINDS]
        if not dim_kinds or bad:
            raise ValueError(f"dim_kinds must be a non-empty list of {list(DIM_KINDS)}, got {bad}")
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {list(KERNELS)}, got {kernel!r}")
        self._kinds = [DIM_KINDS[k] for k in dim_kinds]
        d = len(self._kinds)
        self._n_choices = list(n_choices) if n_choices is not None else [0] * d
        if len(self._n_choices) != d:
            raise ValueError(f"n_choices must have {d} entries, got {len(self._n_choices)}")
        self._kernel = KERNELS[kernel]
        self._prior_mean, self._prior_std = default_priors(d)
        self._lower, self._upper = default_bounds(d, noise_floor, fixed_noise)
        self._center = center
        self._shift = 0.0
        self._scale = 1.0
        self._log_params: F64 | None = None
        self._memory: F64 | None = None  # L-BFGS pairs of the last fit (warm starts)
        self._gp: _core.ExactGP | None = None

    @property
    def n_dims(self) -> int:
        """Number of input dimensions ``d``."""
        return len(self._kinds)

    @property
    def log_params(self) -> F64:
        """Fitted log hyperparameters ``(d + 2,)``: lengthscales, signal, noise."""
        return self._model().log_params

    @property
    def jitter(self) -> float:
        """Jitter the last factorisation needed (0 when none)."""
        return self._model().jitter

    def _model(self) -> _core.ExactGP:
        if self._gp is None:
            raise RuntimeError("call fit() first")
        return self._gp

    def _standardise(self, y: F64) -> F64:
        return (y - self._shift) / self._scale

    def fit(
        self,
        x: ArrayLike,
        y: ArrayLike,
        mask: ArrayLike | None = None,
        *,
        n_restarts: int = 0,
        seed: int = 0,
        warm_start: bool = True,
        max_iter: int = 200,
        n_threads: int = 0,
    ) -> GaussianProcess:
        """Fits the hyperparameters by maximum a posteriori and factorises the model.

        ``y`` is standardised first (a constant ``y`` is only centred). With ``warm_start`` the
        fit starts from the previous fit's hyperparameters and quasi-Newton curvature pairs, so a
        refit after a few new observations usually takes one or two likelihood evaluations.
        Returns ``self``.
        """
        xa = np.ascontiguousarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64).ravel()
        if xa.ndim != 2 or xa.shape[1] != self.n_dims or len(ya) != len(xa):
            raise ValueError(
                f"x must be (n, {self.n_dims}) and y (n,), got {xa.shape} and {ya.shape}"
            )
        self._shift = float(ya.mean()) if self._center else 0.0
        spread = float(np.abs(ya - self._shift).max()) if not self._center else float(ya.std())
        self._scale = spread if spread > 0 and math.isfinite(spread) else 1.0
        ys = self._standardise(ya)
        theta0 = (
            self._log_params
            if warm_start and self._log_params is not None
            else np.clip(self._prior_mean, self._lower, self._upper)
        )
        mask_a = None if mask is None else np.asarray(mask, dtype=np.float64)
        warm = warm_start and self._log_params is not None
        memory = self._memory if warm else None
        # One call: the fit, then the GP from the factorisation of its best evaluation. The
        # previous GP lets a warm refit on the same points plus a few more start in O(n^2)
        # (cpp/include/hyperdial/hyperfit.hpp).
        gp, _, _, _, memory, _ = _core.fit_gp(
            self._kernel, self._kinds, xa, ys, theta0, self._lower, self._upper, mask_a,
            self._prior_mean, self._prior_std, n_restarts, seed, max_iter, n_threads, memory,
            self._gp if warm else None,
        )  # fmt: skip
        self._log_params = gp.log_params
        self._memory = memory
        self._gp = gp
        return self

    def append(
        self, x: ArrayLike, y: float, mask: ArrayLike | None = None, n_threads: int = 0
    ) -> None:
        """Adds one observation in O(n^2), keeping the hyperparameters and standardisation."""
        m = None if mask is None else np.asarray(mask, dtype=np.float64)
        ys = float(self._standardise(np.array([y], dtype=np.float64))[0])
        self._model().append(np.asarray(x, dtype=np.float64), ys, m, n_threads)

    def predict(self, x: ArrayLike, n_threads: int = 0) -> tuple[F64, F64]:
        """Posterior mean and variance of the latent objective at the rows of ``x``, in the
        units of ``y``."""
        mean, var = self._model().predict(np.asarray(x, dtype=np.float64), n_threads)
        return mean * self._scale + self._shift, var * self._scale**2

    def _best(self) -> float:
        return float(self._model().y.max())

    def _conditioned(self, pending: ArrayLike | None, n_threads: int) -> _core.ExactGP:
        if pending is None:
            return self._model()
        return self._model().with_fantasies(np.asarray(pending, dtype=np.float64), n_threads)

    def acquisition(
        self,
        x: ArrayLike,
        kind: str = "log_ei",
        *,
        beta: float = 2.0,
        constraints: Sequence[GaussianProcess] = (),
        pending: ArrayLike | None = None,
        n_threads: int = 0,
    ) -> F64:
        """Acquisition values at the rows of ``x`` (standardised units; larger is better).

        ``kind``: ``"log_ei"``, ``"ucb"``, ``"lcb"`` or ``"log_pi"``. ``constraints``: fitted
        models (``center=False``) of constraint values, feasible when <= 0, for constrained
        log-EI. ``pending``: points being evaluated, conditioned on by kriging believer.
        """
        gp = self._conditioned(pending, n_threads)
        return _core.acquisition(
            gp, _acq_code(kind), np.asarray(x, dtype=np.float64), self._best(), beta,
            [c._model() for c in constraints], n_threads,
        )  # fmt: skip

    def maximize(
        self,
        kind: str = "log_ei",
        *,
        beta: float = 2.0,
        constraints: Sequence[GaussianProcess] = (),
        pending: ArrayLike | None = None,
        n_best: int = 5,
        n_pool: int = 2048,
        n_starts: int = 8,
        seed: int = 0,
        n_threads: int = 0,
    ) -> tuple[F64, float]:
        """The point of the space that maximises the acquisition, and its value.

        Perturbs the ``n_best`` best observed points besides a Sobol' pool (see
        ``cpp/include/hyperdial/acq_optimize.hpp``). Same seed, same answer for any
        ``n_threads``.
        """
        core = self._model()
        gp = self._conditioned(pending, n_threads)
        top = core.x[np.argsort(-core.y, kind="stable")[:n_best]]
        x, value = _core.maximize_acquisition(
            gp, _acq_code(kind), self._n_choices, self._best(), beta,
            [c._model() for c in constraints], top, n_pool, 64, n_starts, 3, 50, seed, n_threads,
        )  # fmt: skip
        return x, value


def _acq_code(kind: str) -> int:
    if kind not in ACQUISITIONS:
        raise ValueError(f"kind must be one of {list(ACQUISITIONS)}, got {kind!r}")
    return ACQUISITIONS[kind]

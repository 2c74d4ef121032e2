"""The GaussianProcess class: standardised targets, MAP fit, O(n^2) updates, acquisitions.

Arrays: ``x`` ``(n, d)`` in the normalised space (continuous dims in ``[0, 1]``, integer dims on
the grid ``(k + 0.5) / c``, categorical dims as codes ``0 .. c - 1``), ``y`` ``(n,)`` in the
caller's units (maximised), ``mask`` ``(n, d)`` of 0/1 or None (inactive dims, see
``cpp/include/hyperdial/kernels.hpp``), ``log_params`` ``(d + 2,)``.
"""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hyperdial import _core
from hyperdial.gp._lock import ReadWriteLock
from hyperdial.gp._priors import default_bounds, default_priors

F64 = NDArray[np.float64]
#: The core's kinds by name (``cpp/include/hyperdial/kernels.hpp``, ``acquisition.hpp``).
DIM_KINDS: dict[str, _core.DimKind] = dict(_core.DimKind.__members__)
KERNELS: dict[str, _core.KernelKind] = dict(_core.KernelKind.__members__)
ACQUISITIONS: dict[str, _core.AcqKind] = dict(_core.AcqKind.__members__)

# The largest categorical dim maximize() accepts: its local search scores every category of such a
# dim at each step, so the candidates it allocates grow with the number of categories.
MAX_SEARCHED_CATEGORIES = 1 << 24


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

    Thread safety: one model may be shared by threads. ``predict``, ``acquisition`` and
    ``maximize`` hold a shared lock and run beside each other (each call releases the GIL);
    ``fit`` and ``append`` hold an exclusive one, waiting for the calls in progress and keeping
    new ones out until they are done (``hyperdial.gp._lock``). Copies (``copy.copy``,
    ``copy.deepcopy``) own their core model and their lock.

    Pickling: the core model is not picklable, so the pickle holds its inputs, targets, masks
    and hyperparameters and the way it was built (see ``_Recipe``), and loading rebuilds it
    the same way: an unpickled model predicts, fits and proposes exactly as the original.

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
        for j, c in enumerate(self._n_choices):
            if isinstance(c, bool) or not isinstance(c, numbers.Integral) or c < 0:
                raise ValueError(f"n_choices[{j}] must be an integer >= 0, got {c!r}")
        self._n_choices = [int(c) for c in self._n_choices]
        if fixed_noise is not None and not (
            isinstance(fixed_noise, numbers.Real) and 0 < fixed_noise < math.inf
        ):
            raise ValueError(
                f"fixed_noise must be None or a noise variance > 0, got {fixed_noise!r}"
            )
        self._kernel = KERNELS[kernel]
        self._prior_mean, self._prior_std = default_priors(d)
        self._lower, self._upper = default_bounds(d, noise_floor, fixed_noise)
        self._center = center
        self._shift = 0.0
        self._scale = 1.0
        self._log_params: F64 | None = None
        self._memory: F64 | None = None  # L-BFGS pairs of the last fit (warm starts)
        self._gp: _core.ExactGP | None = None
        self._recipe: _Recipe | None = None  # how self._gp was built
        self._mask_rows: F64 | None = None  # the activity mask of its rows (None: all active)
        self._lock = ReadWriteLock()

    def __copy__(self) -> GaussianProcess:
        with self._lock.read():
            twin = object.__new__(type(self))
            twin.__dict__.update(self.__dict__)
            twin._gp = None if self._gp is None else self._gp.copy()
        twin._lock = ReadWriteLock()
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> GaussianProcess:
        with self._lock.read():
            twin = object.__new__(type(self))
            memo[id(self)] = twin
            for key, value in self.__dict__.items():
                if key != "_lock":
                    setattr(twin, key, copy.deepcopy(value, memo))
        twin._lock = ReadWriteLock()
        return twin

    def __getstate__(self) -> dict[str, Any]:
        with self._lock.read():
            state = {k: v for k, v in self.__dict__.items() if k not in ("_gp", "_lock")}
            gp = self._gp
            state["_gp_data"] = None if gp is None else (gp.log_params, gp.x, gp.y)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        data = state.pop("_gp_data")
        self.__dict__.update(state)
        self._lock = ReadWriteLock()
        self._gp = None
        if data is not None:
            assert self._recipe is not None
            theta, x, y = data
            self._gp = self._recipe.rebuild(self, theta, x, y, self._mask_rows)

    @property
    def n_dims(self) -> int:
        """Number of input dimensions ``d``."""
        return len(self._kinds)

    @property
    def log_params(self) -> F64:
        """Fitted log hyperparameters ``(d + 2,)``: lengthscales, signal, noise."""
        with self._lock.read():
            return self._model().log_params

    @property
    def jitter(self) -> float:
        """Jitter the last factorisation needed (0 when none)."""
        with self._lock.read():
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
        Returns ``self``. Raises :class:`hyperdial.NumericalError` when the model cannot be
        fitted (no start gives a finite likelihood, or the covariance cannot be factorised).
        """
        xa, ya, mask_a = self._checked(x, y, mask)
        with self._lock.write():
            self._fit(xa, ya, mask_a, n_restarts, seed, warm_start, max_iter, n_threads)
        return self

    def condition_on(
        self,
        x: ArrayLike,
        y: ArrayLike,
        mask: ArrayLike | None = None,
        *,
        log_params: ArrayLike,
        n_threads: int = 0,
    ) -> GaussianProcess:
        """Factorises the model on ``(x, y)`` at the given hyperparameters, without fitting.

        For hyperparameters fitted earlier (e.g. by another process) to data like these: one
        O(n^3) factorisation instead of a fit's many. ``y`` is standardised as :meth:`fit`
        does, and a later warm :meth:`fit` starts from ``log_params``. Returns ``self``.
        """
        xa, ya, mask_a = self._checked(x, y, mask)
        theta = np.asarray(log_params, dtype=np.float64).ravel()
        if theta.shape != (self.n_dims + 2,) or not np.all(np.isfinite(theta)):
            raise ValueError(
                f"log_params must be {self.n_dims + 2} finite numbers, got {theta.tolist()}"
            )
        theta = np.clip(theta, self._lower, self._upper)
        with self._lock.write():
            ys = self._set_standardisation(ya)
            self._gp = _core.ExactGP(
                kernel=self._kernel,
                dim_kinds=self._kinds,
                log_params=theta,
                x=xa,
                y=ys,
                mask=mask_a,
                n_threads=n_threads,
            )
            self._log_params = self._gp.log_params
            self._memory = None
            self._recipe = _Recipe(fitted=False, steps=(len(ya),))
            self._mask_rows = mask_a
        return self

    def _checked(
        self, x: ArrayLike, y: ArrayLike, mask: ArrayLike | None
    ) -> tuple[F64, F64, F64 | None]:
        xa = np.ascontiguousarray(x, dtype=np.float64)
        ya = np.asarray(y, dtype=np.float64).ravel()
        if xa.ndim != 2 or xa.shape[1] != self.n_dims or len(ya) != len(xa):
            raise ValueError(
                f"x must be (n, {self.n_dims}) and y (n,), got {xa.shape} and {ya.shape}"
            )
        mask_a = None if mask is None else np.asarray(mask, dtype=np.float64)
        for j, (kind, c) in enumerate(zip(self._kinds, self._n_choices, strict=True)):
            if kind != DIM_KINDS["categorical"] or c == 0:
                continue
            codes = xa[:, j]
            bad = ~((codes >= 0) & (codes <= c - 1) & (codes == np.floor(codes)))
            if mask_a is not None and mask_a.shape == xa.shape:
                bad &= mask_a[:, j] != 0  # an inactive dim's placeholder code is not read
            if bad.any():
                raise ValueError(
                    f"x[:, {j}] holds the codes of a categorical dim with {c} categories, "
                    f"which must be integers in 0 .. {c - 1}; got {codes[bad][0]!r}"
                )
        return xa, ya, mask_a

    def _set_standardisation(self, ya: F64) -> F64:
        """Sets the shift and scale from ``ya`` and returns ``ya`` standardised."""
        self._shift = float(ya.mean()) if self._center else 0.0
        spread = float(np.abs(ya - self._shift).max()) if not self._center else float(ya.std())
        self._scale = spread if spread > 0 and math.isfinite(spread) else 1.0
        return self._standardise(ya)

    def _fit(
        self,
        xa: F64,
        ya: F64,
        mask_a: F64 | None,
        n_restarts: int,
        seed: int,
        warm_start: bool,
        max_iter: int,
        n_threads: int,
    ) -> None:
        ys = self._set_standardisation(ya)
        theta0 = (
            self._log_params
            if warm_start and self._log_params is not None
            else np.clip(self._prior_mean, self._lower, self._upper)
        )
        warm = warm_start and self._log_params is not None
        memory = self._memory if warm else None
        # One call: the fit, then the GP from the factorisation of its best evaluation. The
        # previous GP lets a warm refit on the same points plus a few more start in O(n^2)
        # (cpp/include/hyperdial/hyperfit.hpp).
        result = _core.fit_gp(
            kernel=self._kernel,
            dim_kinds=self._kinds,
            x=xa,
            y=ys,
            theta0=theta0,
            lower=self._lower,
            upper=self._upper,
            mask=mask_a,
            prior_mean=self._prior_mean,
            prior_std=self._prior_std,
            n_restarts=n_restarts,
            seed=seed,
            max_iter=max_iter,
            n_threads=n_threads,
            memory=memory,
            previous=self._gp if warm else None,
        )
        gp = result.gp
        assert gp is not None
        recipe = self._recipe
        if (
            result.extended
            and warm
            and recipe is not None
            and recipe.fitted
            and np.array_equal(gp.log_params, theta0)
        ):
            # The best evaluation was the first, which extended the previous factor.
            self._recipe = _Recipe(fitted=True, steps=(*recipe.steps, len(ya)))
        else:
            self._recipe = _Recipe(fitted=True, steps=(len(ya),))
        self._log_params = gp.log_params
        self._memory = result.memory
        self._gp = gp
        self._mask_rows = mask_a

    def append(
        self, x: ArrayLike, y: float, mask: ArrayLike | None = None, n_threads: int = 0
    ) -> None:
        """Adds one observation in O(n^2), keeping the hyperparameters and standardisation."""
        m = None if mask is None else np.asarray(mask, dtype=np.float64)
        ys = float(self._standardise(np.array([y], dtype=np.float64))[0])
        xa = np.asarray(x, dtype=np.float64)
        with self._lock.write():
            model = self._model()
            model.append(x_new=xa, y_new=ys, mask_new=m, n_threads=n_threads)
            if m is not None or self._mask_rows is not None:
                rows = self._mask_rows
                if rows is None:
                    rows = np.ones((model.n - 1, self.n_dims))
                new = np.ones((1, self.n_dims)) if m is None else m.reshape(1, -1)
                self._mask_rows = np.vstack([rows, new])

    def predict(self, x: ArrayLike, n_threads: int = 0) -> tuple[F64, F64]:
        """Posterior mean and variance of the latent objective at the rows of ``x``, in the
        units of ``y``."""
        xa = np.asarray(x, dtype=np.float64)
        with self._lock.read():
            mean, var = self._model().predict(xa, n_threads=n_threads)
        return mean * self._scale + self._shift, var * self._scale**2

    def _best(self) -> float:
        return float(self._model().y.max())

    def _conditioned(self, pending: ArrayLike | None, n_threads: int) -> _core.ExactGP:
        if pending is None:
            return self._model()
        return self._model().with_fantasies(
            x_pending=np.asarray(pending, dtype=np.float64), n_threads=n_threads
        )

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
        acq = _acq_kind(kind)
        xa = np.asarray(x, dtype=np.float64)
        with _read_all(self, constraints):
            return _core.acquisition(
                gp=self._conditioned(pending, n_threads),
                kind=acq,
                x=xa,
                best=self._best(),
                beta=beta,
                constraints=[c._model() for c in constraints],
                n_threads=n_threads,
            )

    def maximize(
        self,
        kind: str = "log_ei",
        *,
        beta: float = 2.0,
        constraints: Sequence[GaussianProcess] = (),
        pending: ArrayLike | None = None,
        n_best: int = 5,
        options: _core.AcqOptimizeOptions | None = None,
        seed: int = 0,
        n_threads: int = 0,
    ) -> tuple[F64, float]:
        """The point of the space that maximises the acquisition, and its value.

        Perturbs the ``n_best`` best observed points besides a Sobol' pool (see
        ``cpp/include/hyperdial/acq_optimize.hpp``). ``options``: the search effort
        (``hyperdial._core.AcqOptimizeOptions``; None: the core's defaults). Same seed, same
        answer for any ``n_threads``.
        """
        acq = _acq_kind(kind)
        for j, (dim, c) in enumerate(zip(self._kinds, self._n_choices, strict=True)):
            if dim == DIM_KINDS["categorical"] and c > MAX_SEARCHED_CATEGORIES:
                # The local search scores every category of a categorical dim at each step.
                raise ValueError(
                    f"maximize() scores every category of a categorical dim, so it supports at "
                    f"most {MAX_SEARCHED_CATEGORIES} categories; n_choices[{j}] is {c}"
                )
        with _read_all(self, constraints):
            core = self._model()
            top = core.x[np.argsort(-core.y, kind="stable")[:n_best]]
            x, value = _core.maximize_acquisition(
                gp=self._conditioned(pending, n_threads),
                kind=acq,
                n_choices=self._n_choices,
                best=self._best(),
                beta=beta,
                constraints=[c._model() for c in constraints],
                x_best=top,
                options=options,
                seed=seed,
                n_threads=n_threads,
            )
        return x, value


class _Recipe(NamedTuple):
    """How a model's core GP was built from its rows, so that loading a pickle rebuilds it with
    the same rounding (the core GP itself cannot be pickled).

    ``steps[0]`` rows were factorised afresh: by a fit's evaluation, which keeps the inverse
    (``fitted``), or by ``condition_on``. Each later step is a warm refit whose best evaluation
    extended the factor and inverse to that many rows without moving the hyperparameters
    (``cpp/include/hyperdial/hyperfit.hpp``). Rows after the last step were appended one by one.
    """

    fitted: bool
    steps: tuple[int, ...]

    def rebuild(
        self, model: GaussianProcess, theta: F64, x: F64, y: F64, mask: F64 | None
    ) -> _core.ExactGP:
        def rows(n: int) -> F64 | None:
            return None if mask is None else mask[:n]

        if self.fitted:
            gp: _core.ExactGP | None = None
            for n in self.steps:
                # One evaluation at theta (bounds pinned to it) factorises as the fit did and
                # keeps the inverse; with ``previous`` it extends as the warm refit did.
                gp = _core.fit_gp(
                    kernel=model._kernel,
                    dim_kinds=model._kinds,
                    x=x[:n],
                    y=y[:n],
                    theta0=theta,
                    lower=theta,
                    upper=theta,
                    mask=rows(n),
                    max_iter=1,
                    previous=gp,
                ).gp
            assert gp is not None
        else:
            n = self.steps[0]
            gp = _core.ExactGP(
                kernel=model._kernel,
                dim_kinds=model._kinds,
                log_params=theta,
                x=x[:n],
                y=y[:n],
                mask=rows(n),
            )
        for i in range(self.steps[-1], len(y)):
            gp.append(x_new=x[i], y_new=float(y[i]), mask_new=None if mask is None else mask[i])
        return gp


@contextlib.contextmanager
def _read_all(model: GaussianProcess, constraints: Sequence[GaussianProcess]) -> Iterator[None]:
    """Shared holds on ``model`` and on each distinct constraint model, taken in one global
    order (by ``id``) so that two calls with the models swapped cannot wait for each other
    behind waiting writers; a model passed twice is held once (the lock is not reentrant)."""
    distinct = {id(m): m for m in (model, *constraints)}
    with contextlib.ExitStack() as stack:
        for key in sorted(distinct):
            stack.enter_context(distinct[key]._lock.read())
        yield


def _acq_kind(kind: str) -> _core.AcqKind:
    if kind not in ACQUISITIONS:
        raise ValueError(f"kind must be one of {list(ACQUISITIONS)}, got {kind!r}")
    return ACQUISITIONS[kind]

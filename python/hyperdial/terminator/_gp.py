"""The GP the improvement evaluators fit to a study's complete trials, and what they read from it.

The model is GPSampler's (:class:`hyperdial.samplers._gp._incumbent.Model`: its lengthscale and
noise priors, its encoding of the search space by
:class:`~hyperdial.samplers._gp._encoding.SpaceCoder`, its restarts and iteration cap), fitted to
the parameters every complete trial has (the intersection search space). The targets are the
objective values themselves, negated when minimising, rather than GPSampler's robust warp: the
evaluators return differences of objective values, which only an affine map of the values keeps.

The choices, and a comparison with Optuna's terminator: docs/design/terminator.md.

Arrays: ``x`` ``(n, d)`` in the normalised space of ``hyperdial.gp``; ``y`` ``(n,)`` objective
values to maximise, in the study's units.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from hyperdial import _core
from hyperdial._direction import StudyDirection
from hyperdial.samplers._gp._encoding import SpaceCoder
from hyperdial.samplers._gp._incumbent import Model, search_options
from hyperdial.samplers._gp._sampler import (
    _DETERMINISTIC_NOISE,
    _FIT_RESTARTS,
    _MAX_FIT_ITER,
    _RESTARTS_ABOVE,
    _RESTARTS_BELOW,
    _SERIAL_BELOW,
)
from hyperdial.search_space import intersection_search_space
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from hyperdial.trial._frozen import FrozenTrial

    F64 = NDArray[np.float64]

__all__ = [
    "complete_trials",
    "encode",
    "fit",
    "posterior_cov",
    "predict_without_last",
    "regret_bound",
    "targets",
]


def complete_trials(trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
    """The COMPLETE trials of ``trials`` in their order; FAIL, PRUNED and unfinished ones are
    left out."""
    return [t for t in trials if t.state == TrialState.COMPLETE]


def encode(complete: Sequence[FrozenTrial]) -> tuple[SpaceCoder, F64] | None:
    """The coder of the parameters every trial has (single-valued ones left out) and the
    trials' coordinates ``(n, d)``; None when no such parameter exists."""
    space = {
        name: dist
        for name, dist in intersection_search_space(complete).items()
        if not dist.single()
    }
    if not space:
        return None
    coder = SpaceCoder(space)
    x = np.empty((len(complete), len(coder)))
    for j, (name, dist, pc) in enumerate(zip(coder.names, coder.dists, coder.coders, strict=True)):
        internal = np.fromiter(
            (dist.to_internal_repr(t.params[name]) for t in complete),
            dtype=np.float64,
            count=len(complete),
        )
        x[:, j], _ = pc.encode(internal)
    return coder, x


def targets(complete: Sequence[FrozenTrial], direction: StudyDirection) -> F64:
    """Objective values to maximise (negated when minimising); ``±inf`` become the most extreme
    finite values (with a warning), so that one infinite value does not leave the GP
    undefined."""
    sign = -1.0 if direction == StudyDirection.MINIMIZE else 1.0
    y = sign * np.array([(t.values or [math.nan])[0] for t in complete], dtype=np.float64)
    finite = np.isfinite(y)
    if not finite.all():
        if not finite.any():
            raise ValueError(
                "Every complete trial has an infinite value; there is nothing to model."
            )
        warnings.warn(
            f"{int((~finite).sum())} complete trials have infinite values; the GP sees them as "
            "the most extreme finite values.",
            RuntimeWarning,
            stacklevel=4,
        )
        y = np.clip(y, y[finite].min(), y[finite].max())
    return y


def _threads(n: int) -> int:
    return 1 if n < _SERIAL_BELOW else 0


def fit(
    coder: SpaceCoder,
    x: F64,
    y: F64,
    *,
    deterministic: bool,
    seed: int,
    previous: Model | None = None,
) -> Model:
    """A GP fitted as GPSampler fits its objective model: MAP hyperparameters with
    ``_FIT_RESTARTS`` restarts below ``_RESTARTS_BELOW`` points (``_RESTARTS_ABOVE`` above), at
    most ``_MAX_FIT_ITER`` L-BFGS iterations, the noise fixed tiny for deterministic
    objectives. ``previous``: a model of a subset of these points, copied and warm-started (as
    GPSampler refits between trials); it is left unchanged."""
    import copy

    n = len(y)
    if previous is not None:
        model = copy.deepcopy(previous)
    else:
        fixed = _DETERMINISTIC_NOISE if deterministic else None
        model = Model(coder.kinds, coder.n_choices, fixed_noise=fixed, center=True)
    model.fit(
        x,
        y,
        None,
        n_restarts=_FIT_RESTARTS if n < _RESTARTS_BELOW else _RESTARTS_ABOVE,
        seed=seed,
        max_iter=_MAX_FIT_ITER,
        n_threads=_threads(n),
    )
    return model


def ucb_beta(n_dims: int, n_points: int, delta: float) -> float:
    """The confidence parameter of the bound: ``beta = 2 log(d n^2 pi^2 / (6 delta)) / 5``.

    Srinivas et al. (2010), "Gaussian Process Optimization in the Bandit Setting: No Regret and
    Experimental Design" (ICML), Theorem 1, with the number of parameters ``d`` in place of the
    domain's size and ``n`` the number of observations, scaled down by 5 as in the experiments
    of Srinivas et al. and of Makarova et al. (2022).
    """
    return 2.0 * math.log(n_dims * n_points**2 * math.pi**2 / (6.0 * delta)) / 5.0


def regret_bound(model: Model, x_top: F64, delta: float, seed: int) -> float:
    """``max_x UCB(x) - max_{x in top} LCB(x)`` in the units of the model's ``y``.

    The upper bound on the simple regret of Makarova et al. (2022) for a maximised objective:
    the best the objective can be anywhere (UCB maximised over the search space by the core's
    acquisition search, and at the top points) minus the best it is, with high probability, at
    an observed point (LCB at the top points), both with confidence parameter :func:`ucb_beta`.
    """
    n, d = x_top.shape
    beta = ucb_beta(d, n, delta)
    x_star, _ = model.maximize(
        "ucb", beta=beta, options=search_options(d), seed=seed, n_threads=_threads(n)
    )
    points = np.vstack([x_top, x_star[None, :]])
    mean, var = model.predict(points, n_threads=_threads(n))
    sd = np.sqrt(np.maximum(var, 0.0))
    root = math.sqrt(beta)
    return float(np.max(mean + root * sd) - np.max(mean[:n] - root * sd[:n]))


def noise_variance(model: Model) -> float:
    """The model's fitted noise variance, in the units of its ``y`` squared."""
    core = model._model()
    return float(math.exp(core.log_params[-1]) * model._scale**2)


def posterior_cov(model: Model, x1: F64, x2: F64) -> F64:
    """The posterior covariance ``(len(x1), len(x2))`` of the latent objective, in the units of
    the model's ``y`` squared: ``k(x1, x2) - (L^-1 k(X, x1))^T (L^-1 k(X, x2))`` with the
    model's kernel, hyperparameters and Cholesky factor ``L`` (``cpp/include/hyperdial/gp.hpp``
    computes the variances the same way)."""
    core = model._model()
    kinds, theta, x = model._kinds, core.log_params, core.x

    def k(a: F64, b: F64) -> F64:
        return _core.kernel_matrix(
            kernel=model._kernel, dim_kinds=kinds, log_params=theta, x1=a, x2=b
        )

    factor = core.cholesky
    v1 = np.linalg.solve(factor, k(x, x1))
    v2 = np.linalg.solve(factor, k(x, x2))
    cov: F64 = (k(x1, x2) - v1.T @ v2) * model._scale**2
    return cov


def predict_without_last(model: Model, xq: F64) -> tuple[F64, F64]:
    """Posterior mean and variance at the rows of ``xq`` given all the model's points but the
    last, with the model's hyperparameters and standardisation (the same prior), in the units of
    its ``y``."""
    core = model._model()
    smaller = _core.ExactGP(
        kernel=model._kernel,
        dim_kinds=model._kinds,
        log_params=core.log_params,
        x=core.x[:-1],
        y=core.y[:-1],
    )
    mean, var = smaller.predict(np.ascontiguousarray(xq))
    return mean * model._scale + model._shift, var * model._scale**2

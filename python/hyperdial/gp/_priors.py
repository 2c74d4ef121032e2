"""Default priors and bounds of the GP hyperparameters (log lengthscales, log signal, log noise).

Lengthscales: log l ~ N(sqrt(2) + log(d) / 2, sqrt(3)), the dimension-scaled log-normal prior of
Hvarfner et al. (ICML 2024, "Vanilla Bayesian Optimization Performs Great in High Dimensions").
Its median grows like sqrt(d): the typical distance between two random points of [0, 1]^d grows
like sqrt(d) too, so in units of lengthscales points stay about as correlated in 50 dimensions as
in 2. With a fixed prior, high-dimensional models believe every pair of points is independent, the
posterior reverts to the prior everywhere and the acquisition has no gradient to follow; that
paper shows this alone explains most of the reported failures of plain GP-BO in high dimensions.
Signal variance (targets standardised): log s2 ~ N(0, 2). Noise: log sigma^2 ~ N(-4, 1), i.e.
about 2% of the standardised variance, bounded below by the noise floor.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray


def default_priors(d: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Means and standard deviations of the normal priors on the ``d + 2`` log hyperparameters.

    Args:
        d: Number of input dimensions (>= 1).

    Returns:
        ``(mean, std)``, each of shape ``(d + 2,)``.

    Example:
        >>> mean, std = default_priors(4)
        >>> round(float(mean[0]), 4), round(float(std[0]), 4)
        (2.1074, 1.7321)
    """
    if d < 1:
        raise ValueError(f"d must be >= 1, got {d}")
    mean = np.concatenate([np.full(d, math.sqrt(2) + 0.5 * math.log(d)), [0.0, -4.0]])
    std = np.concatenate([np.full(d, math.sqrt(3)), [2.0, 1.0]])
    return mean, std


def default_bounds(
    d: int, noise_floor: float = 1e-6, fixed_noise: float | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Box bounds ``(lower, upper)`` on the ``d + 2`` log hyperparameters.

    Lengthscales in ``[1e-3, 1e3]`` (inputs live in ``[0, 1]``), signal variance in
    ``[1e-3, 1e3]``, noise in ``[noise_floor, 1]``, or exactly ``fixed_noise`` when given (for
    deterministic objectives).

    Example:
        >>> lower, upper = default_bounds(1, fixed_noise=1e-8)
        >>> bool(lower[-1] == upper[-1])
        True
    """
    if not noise_floor > 0:
        raise ValueError(f"noise_floor must be > 0, got {noise_floor}")
    lo_noise = math.log(fixed_noise if fixed_noise is not None else noise_floor)
    hi_noise = lo_noise if fixed_noise is not None else 0.0
    bound = math.log(1e3)
    lower = np.concatenate([np.full(d + 1, -bound), [lo_noise]])
    upper = np.concatenate([np.full(d + 1, bound), [hi_noise]])
    return lower, upper

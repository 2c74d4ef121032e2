"""Gaussian-process regression and Bayesian-optimisation acquisitions on the compiled core.

``hyperdial.gp`` wraps ``hyperdial._core`` (C++17 + Eigen + a thread pool): a GP on inputs
normalised to ``[0, 1]^d`` with continuous, integer and categorical dimensions, fitted by maximum
a posteriori (analytic gradients, bounded L-BFGS), updated in O(n^2) per new point, and
acquisition functions (log-EI, UCB, LCB, log-PI, constrained log-EI, pending points) with their
maximiser. Every long call releases the GIL and takes ``n_threads`` (0 = automatic: the CPUs this
process may use less those other tasks keep busy); results do not depend on it.

Example:
    >>> import numpy as np
    >>> from hyperdial.gp import GaussianProcess
    >>> x = np.linspace(0, 1, 8)[:, None]
    >>> gp = GaussianProcess(["continuous"]).fit(x, -((x[:, 0] - 0.3) ** 2), seed=0)
    >>> x_next, _ = gp.maximize("log_ei", seed=0)
    >>> bool(0.0 <= x_next[0] <= 1.0)
    True
"""

from __future__ import annotations

from hyperdial.gp._model import ACQUISITIONS, DIM_KINDS, KERNELS, GaussianProcess
from hyperdial.gp._priors import default_bounds, default_priors

__all__ = [
    "ACQUISITIONS",
    "DIM_KINDS",
    "KERNELS",
    "GaussianProcess",
    "default_bounds",
    "default_priors",
]

"""NumPy mirror of the GP core in ``cpp/``: kernels, marginal likelihood, predictions,
acquisitions.

Written the slow, obvious way from the formulas in ``cpp/include/hyperdial/{kernels,gp,hyperfit,
acquisition}.hpp``: full pairwise difference tensors, one explicit ``dK/dtheta`` matrix per
hyperparameter, ``numpy.linalg`` solves. For tests only (small n).

Arrays: ``x`` ``(n, d)`` inputs, ``mask`` ``(n, d)`` of 0/1 or None, ``y`` ``(n,)``, ``theta``
``(d + 2,)`` = log lengthscales, log signal variance, log noise; ``kinds`` ``(d,)`` codes
0 continuous, 1 integer, 2 categorical; ``kernel`` 0 Matern-5/2, 1 squared exponential.

Example:
    >>> import numpy as np
    >>> k = kernel_matrix(0, [0], np.zeros(3), np.array([[0.0], [1.0]]), np.array([[0.0]]))
    >>> bool(k[0, 0] == 1.0)
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
CATEGORICAL = 2
SQRT5 = math.sqrt(5.0)


def _substitute(kinds: Sequence[int], x: Array, mask: Array | None) -> Array:
    """Inactive coordinates replaced by their stand-ins: 0.5, or category -1."""
    if mask is None:
        return x
    stand_in = np.where(np.asarray(kinds) == CATEGORICAL, -1.0, 0.5)
    return np.where(mask != 0, x, stand_in)


def _pair_terms(
    kinds: Sequence[int],
    theta: Array,
    x1: Array,
    x2: Array,
    mask1: Array | None,
    mask2: Array | None,
) -> tuple[Array, Array, Array]:
    """(u, delta, cat): scaled differences, categorical mismatches, categorical flags."""
    d = len(kinds)
    ls = np.exp(theta[:d])
    cat = np.asarray(kinds) == CATEGORICAL
    diff = _substitute(kinds, x1, mask1)[:, None, :] - _substitute(kinds, x2, mask2)[None, :, :]
    u = np.where(cat, 0.0, diff / ls)
    delta = np.where(cat, (diff != 0).astype(float), 0.0)
    return u, delta, cat


def _base_and_g(kernel: int, r2: Array) -> tuple[Array, Array]:
    if kernel == 1:
        base = np.exp(-0.5 * r2)
        return base, base
    r = np.sqrt(r2)
    e = np.exp(-SQRT5 * r)
    return (1 + SQRT5 * r + 5.0 / 3.0 * r2) * e, 5.0 / 3.0 * (1 + SQRT5 * r) * e


def kernel_matrix(
    kernel: int,
    kinds: Sequence[int],
    theta: Array,
    x1: Array,
    x2: Array,
    mask1: Array | None = None,
    mask2: Array | None = None,
) -> Array:
    """``K[i, k] = s2 base(r_ik) exp(-c_ik)``."""
    d = len(kinds)
    u, delta, _ = _pair_terms(kinds, theta, x1, x2, mask1, mask2)
    base, _ = _base_and_g(kernel, (u**2).sum(-1))
    c = (delta / np.exp(theta[:d])).sum(-1)
    return np.asarray(math.exp(theta[d]) * base * np.exp(-c), dtype=np.float64)


def kernel_theta_grads(
    kernel: int, kinds: Sequence[int], theta: Array, x: Array, mask: Array | None = None
) -> list[Array]:
    """``[dK/dlog l_0, ..., dK/dlog l_(d-1), dK/dlog s2]``, each ``(n, n)``."""
    d = len(kinds)
    u, delta, cat = _pair_terms(kinds, theta, x, x, mask, mask)
    base, g = _base_and_g(kernel, (u**2).sum(-1))
    inv_ls = np.exp(-theta[:d])
    ec = np.exp(-(delta * inv_ls).sum(-1))
    s2 = math.exp(theta[d])
    k = s2 * base * ec
    out = []
    for j in range(d):
        if cat[j]:
            out.append(k * delta[:, :, j] * inv_ls[j])
        else:
            out.append(s2 * ec * g * u[:, :, j] ** 2)
    out.append(k)
    return out


def log_posterior(
    kernel: int,
    kinds: Sequence[int],
    x: Array,
    y: Array,
    theta: Array,
    mask: Array | None = None,
    prior_mean: Array | None = None,
    prior_std: Array | None = None,
    jitter: float = 0.0,
) -> tuple[float, Array]:
    """Log marginal likelihood + log prior and its gradient, by explicit matrices."""
    d = len(kinds)
    n = len(y)
    noise = math.exp(theta[d + 1])
    kmat = kernel_matrix(kernel, kinds, theta, x, x, mask, mask) + (noise + jitter) * np.eye(n)
    chol = np.linalg.cholesky(kmat)
    alpha = np.linalg.solve(kmat, y)
    value = -0.5 * y @ alpha - np.log(np.diag(chol)).sum() - 0.5 * n * math.log(2 * math.pi)
    kinv = np.linalg.inv(kmat)
    w = np.outer(alpha, alpha) - kinv
    grads = [*kernel_theta_grads(kernel, kinds, theta, x, mask), noise * np.eye(n)]
    grad = np.array([0.5 * np.sum(w * dk) for dk in grads])
    if prior_mean is not None and prior_std is not None:
        for i, (mu, sd) in enumerate(zip(prior_mean, prior_std, strict=True)):
            if 0 < sd < math.inf:
                z = (theta[i] - mu) / sd
                value += -0.5 * z * z - math.log(sd) - 0.5 * math.log(2 * math.pi)
                grad[i] -= z / sd
    return float(value), grad


def predict(
    kernel: int,
    kinds: Sequence[int],
    theta: Array,
    x: Array,
    y: Array,
    xq: Array,
    mask: Array | None = None,
    jitter: float = 0.0,
) -> tuple[Array, Array]:
    """Latent posterior mean and variance at the rows of ``xq``."""
    d = len(kinds)
    kmat = kernel_matrix(kernel, kinds, theta, x, x, mask, mask)
    kmat += (math.exp(theta[d + 1]) + jitter) * np.eye(len(y))
    kq = kernel_matrix(kernel, kinds, theta, x, xq, mask, None)
    mean = kq.T @ np.linalg.solve(kmat, y)
    var = math.exp(theta[d]) - np.einsum("iq,iq->q", kq, np.linalg.solve(kmat, kq))
    return mean, np.maximum(var, 0.0)


def log_h(z: Array) -> Array:
    """``log(phi(z) + z Phi(z))`` via SciPy's ``log_ndtr`` and ``erfcx`` (moderate z only)."""
    from scipy import special

    z = np.asarray(z, dtype=np.float64)
    phi = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        direct = np.log(phi + z * special.ndtr(z))
        # h = phi(z) (1 - |z| Phi(z) / phi(z)), Phi(z) / phi(z) = sqrt(pi/2) erfcx(-z / sqrt2).
        ratio = math.sqrt(math.pi / 2) * special.erfcx(-z / math.sqrt(2))
        tail = -0.5 * z * z - 0.5 * math.log(2 * math.pi) + np.log1p(z * ratio)
    return np.asarray(np.where(z > -1, direct, tail), dtype=np.float64)


def acquisition(kind: int, mean: Array, var: Array, best: float = 0.0, beta: float = 2.0) -> Array:
    """Acquisition values from posterior mean and variance (``var`` floored at 1e-24)."""
    from scipy import special

    sd = np.sqrt(np.maximum(var, 1e-24))
    if kind == 1:
        return mean + math.sqrt(beta) * sd
    if kind == 2:
        return mean - math.sqrt(beta) * sd
    z = (mean - best) / sd
    if kind == 0:
        return np.log(sd) + log_h(z)
    return np.asarray(special.log_ndtr(z), dtype=np.float64)

"""Parzen estimators of TPE, vectorised in NumPy.

Every numeric parameter lives in the unit interval ``[0, 1]`` of
:func:`hyperdial.distributions.internal_to_unit` (log scales, steps and integer cells are already
folded in); categorical parameters are choice indices. A Parzen estimator is the mixture

    p(x) = sum_j w_j prod_d k_d(x_d | mu_jd)

over the observations j plus one prior component, with

* numeric parameters: a Gaussian of mean ``mu_jd`` and bandwidth ``sigma_d`` truncated to
  ``[0, 1]``. On a coarse grid (integers, steps, log integers with wide cells) the kernel is
  discretised: a value's probability is the kernel's mass over its cell. The prior component is
  a truncated Gaussian with mean 0.5 and sigma 1 (nearly flat).
* categorical parameters: ``(1[x == mu_j] + eps) / (1 + K eps)`` with ``eps = prior_weight /
  (n + 1)`` (additive smoothing that fades as observations accumulate); the prior is uniform.

Bandwidth: per observation and dimension, the larger of the distances to the two neighbouring
observations, clipped below at ``1 / min(100, n + 1)`` (the "magic clip") and above at 1: the
rule of Bergstra et al. (2011, "Algorithms for Hyper-Parameter Optimization", Sec. 4.1) that
Hyperopt and Optuna's TPE use; see :func:`bandwidths`. (Scott's rule, one width per dimension,
was measured first and lost to Optuna's TPE on most of ``bench/tpe_suite.py``.)

Array names and shapes used below: ``n`` components (observations + prior), ``m`` candidates,
``dn`` numeric and ``dc`` categorical dimensions; ``mu`` (n, dn), ``cat`` (n, dc) int,
``x`` (m, dn), ``xc`` (m, dc) int, cell bounds ``lo``/``hi`` (m, dn).

The Gaussian part of ``log p`` for every pair (candidate, component) is two matrix products
(see :meth:`ParzenEstimator.log_pdf`), so scoring costs O(m n d) flops in BLAS and O(n d + m n)
elementwise work, instead of O(m n d) elementwise work.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ParzenEstimator", "bandwidths", "log_ndtr_diff", "ndtr"]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_TINY = 1e-300


_ERFC_COEFS = (
    0.17087277,
    -0.82215223,
    1.48851587,
    -1.13520398,
    0.27886807,
    -0.18628806,
    0.09678418,
    0.37409196,
    1.00002368,
    -1.26551223,
)


def _erfc_pos(z: np.ndarray) -> np.ndarray:
    """erfc(z) for z >= 0, relative error < 1.2e-7 (Chebyshev fit, Numerical Recipes
    "erfcc")."""
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.full_like(t, _ERFC_COEFS[0])
    for c in _ERFC_COEFS[1:]:
        poly = poly * t + c
    out: np.ndarray = t * np.exp(-z * z + poly)
    return out


def _upper(x: np.ndarray) -> np.ndarray:
    """Upper tail Q(x) = 1 - Phi(x) of the standard normal, accurate in relative terms for
    x >= 0."""
    z = np.abs(x) / _SQRT2
    e = 0.5 * _erfc_pos(z)
    out: np.ndarray = np.where(x >= 0, e, 1.0 - e)
    return out


def ndtr(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF Phi(x), elementwise."""
    return _upper(-np.asarray(x, dtype=float))


def log_ndtr_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b`` without cancellation in either tail."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    right = a > 0  # both in the upper tail: Q(a) - Q(b)
    mass = np.where(right, _upper(a) - _upper(b), _upper(-b) - _upper(-a))
    out: np.ndarray = np.log(np.maximum(mass, _TINY))
    return out


def bandwidths(mu: np.ndarray, consider_endpoints: bool = False) -> np.ndarray:
    """(n, dn) kernel widths: per observation and dimension, the larger distance to its two
    neighbours (the range's ends count as neighbours), clipped to ``[1 / min(100, n + 1), 1]``.

    This is the rule of Bergstra et al. (2011, Hyperopt) that Optuna's TPE also uses. Without
    ``consider_endpoints`` the outermost observations measure to their inner neighbour only,
    so that a point near an end does not get a narrow kernel just for being near it.
    """
    n, dn = mu.shape
    if n == 0:
        return np.empty((0, dn))
    order = np.argsort(mu, axis=0, kind="stable")
    srt = np.take_along_axis(mu, order, axis=0)
    ext = np.vstack([np.zeros((1, dn)), srt, np.ones((1, dn))])
    left = ext[1:-1] - ext[:-2]
    right = ext[2:] - ext[1:-1]
    sig_sorted = np.maximum(left, right)
    if not consider_endpoints and n >= 2:
        sig_sorted[0] = right[0]
        sig_sorted[-1] = left[-1]
    sig = np.empty_like(sig_sorted)
    np.put_along_axis(sig, order, sig_sorted, axis=0)
    clipped: np.ndarray = np.clip(sig, 1.0 / min(100.0, n + 1.0), 1.0)
    return clipped


def _log_mass(mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """log of the mass a Gaussian (mu, sigma) puts on [0, 1], for mu in [0, 1] and sigma <= 1
    (the mass is >= 0.34, so ``1 - Q(mu / sigma) - Q((1 - mu) / sigma)`` does not cancel)."""
    q_lo = 0.5 * _erfc_pos(mu / (sigma * _SQRT2))
    q_hi = 0.5 * _erfc_pos((1.0 - mu) / (sigma * _SQRT2))
    out: np.ndarray = np.log1p(-(q_lo + q_hi))
    return out


class ParzenEstimator:
    """A mixture of truncated Gaussians (numeric) and smoothed one-hot kernels (categorical).

    Args:
        mu: (n_obs, dn) observation positions in [0, 1].
        cat: (n_obs, dc) observation choice indices.
        n_choices: (dc,) number of choices per categorical dimension.
        coarse: (dn,) True where the dimension is scored by cell mass (coarse grids).
        prior_weight: weight of the prior component relative to one observation.
        weights: (n_obs,) observation weights (None: all 1).
        consider_endpoints: see :func:`bandwidths`.
    """

    def __init__(
        self,
        mu: np.ndarray,
        cat: np.ndarray,
        n_choices: np.ndarray,
        coarse: np.ndarray,
        prior_weight: float = 1.0,
        weights: np.ndarray | None = None,
        consider_endpoints: bool = False,
    ) -> None:
        # A plain class, not a dataclass: importing dataclasses costs ~5 ms of import hyperdial.
        self.mu = mu
        self.cat = cat
        self.n_choices = n_choices
        self.coarse = coarse
        self.prior_weight = prior_weight
        self.weights = weights
        self.consider_endpoints = consider_endpoints
        n_obs, dn = self.mu.shape
        w = np.ones(n_obs) if self.weights is None else np.asarray(self.weights, dtype=float)
        w = np.append(w, self.prior_weight)
        self.log_w = np.log(np.maximum(w / w.sum(), _TINY))
        # Components: observations, then the prior (mu 0.5, sigma 1).
        self.mu_all = np.vstack([self.mu, np.full((1, dn), 0.5)])
        self.sig_all = np.vstack([bandwidths(self.mu, self.consider_endpoints), np.ones((1, dn))])
        # log of the truncation mass of each kernel over [0, 1]
        # (kernels more than 6 sigma inside both ends keep 1 - 2e-9 of their mass: log 0)
        self.log_z = np.zeros_like(self.mu_all)
        near = (self.mu_all < 6.0 * self.sig_all) | (1.0 - self.mu_all < 6.0 * self.sig_all)
        self.log_z[near] = _log_mass(self.mu_all[near], self.sig_all[near])
        self.eps = self.prior_weight / (n_obs + 1)

    @property
    def n_obs(self) -> int:
        return int(self.mu.shape[0])

    def sample(self, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        """``m`` draws: (m, dn) unit positions and (m, dc) choice indices."""
        n_obs = self.mu.shape[0]
        dc = self.cat.shape[1]
        p = np.exp(self.log_w)
        comp = rng.choice(n_obs + 1, size=m, p=p / p.sum())
        mu = self.mu_all[comp]
        sig = self.sig_all[comp]
        x = rng.normal(mu, sig)
        for _ in range(32):  # rejection onto [0, 1]; acceptance is >= 1/3 per draw
            bad = (x < 0.0) | (x > 1.0)
            if not bad.any():
                break
            x[bad] = rng.normal(mu[bad], sig[bad])
        x = np.clip(x, 0.0, 1.0)
        xc = np.empty((m, dc), dtype=np.int64)
        is_prior = comp == n_obs
        for k in range(dc):
            kk = int(self.n_choices[k])
            uniform = rng.integers(0, kk, size=m)
            keep = rng.random(m) < 1.0 / (1.0 + kk * self.eps)
            own = self.cat[np.minimum(comp, max(n_obs - 1, 0)), k] if n_obs else uniform
            xc[:, k] = np.where(keep & ~is_prior, own, uniform)
        return x, xc

    def log_pdf(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, xc: np.ndarray) -> np.ndarray:
        """(m,) log densities (log cell masses on coarse dimensions) of the candidates.

        ``x`` holds cell centres on discretised dimensions; ``lo``/``hi`` the cell bounds
        (used only where ``coarse``). The Gaussian part is two matrix products:
        ``sum_d (x_d - mu_d)^2 / s_d^2 = x^2 @ (1/s^2).T - 2 x @ (mu/s^2).T + sum_d mu_d^2/s_d^2``.
        """
        const = self.log_w - self.log_z.sum(axis=1)  # (n,)
        fine = ~self.coarse
        if fine.any():
            s = self.sig_all[:, fine]
            mu = self.mu_all[:, fine]
            prec = 1.0 / (s * s)
            xf = x[:, fine]
            const = const - 0.5 * (mu * mu * prec).sum(1) - np.log(s).sum(1)
            const = const - _LOG_SQRT_2PI * s.shape[1]
            out = (xf @ (mu * prec).T) - 0.5 * ((xf * xf) @ prec.T)
            out += const
        else:
            out = np.broadcast_to(const, (x.shape[0], const.shape[0])).copy()
        for k in np.flatnonzero(self.coarse).tolist():
            mu_k = self.mu_all[:, k][None, :]
            s_k = self.sig_all[:, k][None, :]
            out += log_ndtr_diff((lo[:, k : k + 1] - mu_k) / s_k, (hi[:, k : k + 1] - mu_k) / s_k)
        if self.cat.shape[1]:
            log_norm = np.log1p(self.n_choices * self.eps)  # (dc,)
            hit = np.log1p(self.eps) - log_norm
            miss = np.log(self.eps) - log_norm
            for k in range(self.cat.shape[1]):
                same = xc[:, k : k + 1] == self.cat[None, :, k]
                out[:, :-1] += np.where(same, hit[k], miss[k])
                out[:, -1] -= math.log(int(self.n_choices[k]))
        mx = out.max(axis=1, keepdims=True)
        res: np.ndarray = mx[:, 0] + np.log(np.exp(out - mx).sum(axis=1))
        return res

"""NumPy mirror of TPE's Parzen estimators in ``cpp/include/hyperdial/tpe.hpp``.

TPESampler builds, draws from and scores its estimators in ``hyperdial._core``
(``tpe_mixture``, ``tpe_sample``, ``tpe_log_pdf``, ``tpe_log_ratio``); this module is the
reference those kernels are tested against (``tests/core/test_tpe_kernel.py``: to rounding with
``exact_erfc=True``, bit for bit for the draw). It is not used by the samplers.

The model is the tree-structured Parzen estimator of Bergstra et al. (2011, "Algorithms for
Hyper-Parameter Optimization", Sec. 4) with the components Watanabe (2023, "Tree-structured
Parzen estimator: Understanding its algorithm components and their roles for better empirical
performance") describes. Every numeric parameter lives in the unit interval ``[0, 1]`` of
:mod:`hyperdial.samplers._unit_cube` (log scales, steps and integer cells already folded in);
categorical parameters are choice codes. A Parzen estimator is the mixture

    p(x) = sum_j w_j prod_d k_d(x_d | mu_jd)

over the observations j plus one prior component, with

* numeric parameters: a Gaussian of mean ``mu_jd`` and bandwidth ``sigma_jd`` truncated to
  ``[0, 1]``. On a coarse grid (integers, steps, log integers with wide cells) the kernel is
  discretised: a value's probability is the kernel's mass over its cell. The prior component is
  a truncated Gaussian with mean 0.5 and sigma 1 (nearly flat).
* categorical parameters: ``(1[x == mu_j] + eps) / (1 + K eps)`` with ``eps = prior_weight /
  (n + 1)`` (additive smoothing that fades as observations accumulate); the prior is uniform.

Bandwidth: per observation and dimension, the larger of the distances to the two neighbouring
observations, clipped below at ``1 / min(100, n + 2)`` (the "magic clip": the range over the
number of kernels, observations plus prior, plus one) and above at 1; Bergstra et al. (2011,
Sec. 4.1), as in Hyperopt and Optuna's TPE (see :func:`bandwidths`). With the same
observations, weights and candidates, ``log l(x) - log g(x)`` here agrees with Optuna's TPE to
the error of the erfc approximation below (``tests/test_tpe.py``).

Array names and shapes: ``n`` components (observations + prior), ``m`` candidates, ``dn``
numeric and ``dc`` categorical dimensions; ``mu`` (n, dn), ``cat`` (n, dc) int, ``x`` (m, dn),
``xc`` (m, dc) int, cell bounds ``lo``/``hi`` (m, dn).

Example:
    >>> import numpy as np
    >>> est = ParzenEstimator(np.array([[0.5]]), np.empty((1, 0), np.int64), np.empty(0),
    ...                       np.array([False]))
    >>> est.p.tolist()
    [0.5, 0.5]
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["ParzenEstimator", "bandwidths", "log_ndtr_diff", "ndtr", "sample_mixture"]

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


_math_erfc = np.frompyfunc(math.erfc, 1, 1)


def _erfc_pos(z: np.ndarray, exact: bool = False) -> np.ndarray:
    """erfc(z) for z >= 0, relative error < 1.2e-7 (Chebyshev fit, Numerical Recipes
    "erfcc"); with ``exact``, :func:`math.erfc` elementwise (slow; for parity tests with the
    C++ kernels, which use ``std::erfc``)."""
    if exact:
        exact_out: np.ndarray = np.asarray(_math_erfc(z), dtype=float)
        return exact_out
    t = 1.0 / (1.0 + 0.5 * z)
    poly = np.full_like(t, _ERFC_COEFS[0])
    for c in _ERFC_COEFS[1:]:
        poly = poly * t + c
    out: np.ndarray = t * np.exp(-z * z + poly)
    return out


def _upper(x: np.ndarray, exact: bool = False) -> np.ndarray:
    """Upper tail Q(x) = 1 - Phi(x) of the standard normal, accurate in relative terms for
    x >= 0."""
    z = np.abs(x) / _SQRT2
    e = 0.5 * _erfc_pos(z, exact)
    out: np.ndarray = np.where(x >= 0, e, 1.0 - e)
    return out


def ndtr(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF Phi(x), elementwise."""
    return _upper(-np.asarray(x, dtype=float))


def log_ndtr_diff(a: np.ndarray, b: np.ndarray, exact: bool = False) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b`` without cancellation in either tail (floored
    at ``log(1e-300)``; ``exact``: with :func:`math.erfc`)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    right = a > 0  # both in the upper tail: Q(a) - Q(b)
    mass = np.where(
        right, _upper(a, exact) - _upper(b, exact), _upper(-b, exact) - _upper(-a, exact)
    )
    out: np.ndarray = np.log(np.maximum(mass, _TINY))
    return out


def bandwidths(mu: np.ndarray, consider_endpoints: bool = False) -> np.ndarray:
    """(n, dn) kernel widths: per observation and dimension, the larger distance to its two
    neighbours (the range's ends count as neighbours), clipped to ``[1 / min(100, n + 2), 1]``.

    This is the rule of Bergstra et al. (2011, Hyperopt) that Optuna's TPE also uses; the
    lower clip (the "magic clip") divides the range by the number of kernels (observations
    plus the prior) plus one. Without ``consider_endpoints`` the outermost observations
    measure to their inner neighbour only, so that a point near an end does not get a narrow
    kernel just for being near it.
    """
    n, dn = mu.shape
    if n == 0:
        return np.empty((0, dn))
    # Sort each column once, carrying the row index in the low mantissa bits (non-negative
    # floats order like their bit patterns), as the C++ parzen_bandwidths does, so that the
    # two agree bit for bit. The sorted values lose those low bits (a relative 2**-41 for
    # n = 2048), far below any gap that survives the clip.
    bits = max(1, (n - 1).bit_length())
    mask = np.uint64((1 << bits) - 1)
    keys = np.ascontiguousarray(mu.T + 0.0).view(np.uint64)  # + 0.0: no -0.0
    keys &= ~mask
    keys |= np.arange(n, dtype=np.uint64)
    keys.sort(axis=1)
    order = (keys & mask).astype(np.intp)
    keys &= ~mask
    ext = np.empty((dn, n + 2))
    ext[:, 0] = 0.0
    ext[:, -1] = 1.0
    ext[:, 1:-1] = keys.view(np.float64)
    gap = np.diff(ext, axis=1)  # (dn, n + 1): gap[:, i] lies left of sorted point i
    sig_sorted = np.maximum(gap[:, :-1], gap[:, 1:])
    if not consider_endpoints and n >= 2:
        sig_sorted[:, 0] = gap[:, 1]
        sig_sorted[:, -1] = gap[:, -2]
    np.clip(sig_sorted, 1.0 / min(100.0, n + 2.0), 1.0, out=sig_sorted)
    order += (np.arange(dn) * n)[:, None]
    sig = np.empty(dn * n)
    sig[order.ravel()] = sig_sorted.ravel()
    out: np.ndarray = sig.reshape(dn, n).T
    return out


def _log_mass(mu: np.ndarray, sigma: np.ndarray, exact: bool = False) -> np.ndarray:
    """log of the mass a Gaussian (mu, sigma) puts on [0, 1], for mu in [0, 1] and sigma <= 1
    (the mass is >= 0.34, so ``1 - Q(mu / sigma) - Q((1 - mu) / sigma)`` does not cancel)."""
    scale = 1.0 / (sigma * _SQRT2)
    q = _erfc_pos(np.concatenate([mu * scale, (1.0 - mu) * scale]), exact)
    half = mu.shape[0]
    out: np.ndarray = np.log1p(-0.5 * (q[:half] + q[half:]))
    return out


class ParzenEstimator:
    """A mixture of truncated Gaussians (numeric) and smoothed one-hot kernels (categorical).

    Args:
        mu: (n_obs, dn) observation positions in [0, 1].
        cat: (n_obs, dc) observation choice indices.
        n_choices: (dc,) number of choices per categorical dimension.
        coarse: (dn,) True where the dimension is scored by cell mass (coarse grids).
        prior_weight: weight of the prior component relative to an observation of weight 1
            (with ``weights``, relative to their mean when ``prior_relative_to_mean``).
        weights: (n_obs,) observation weights (None: all 1).
        consider_endpoints: see :func:`bandwidths`.
        prior_relative_to_mean: scale the prior weight by the mean observation weight.
        exact_erfc: use :func:`math.erfc` instead of the 1.2e-7 approximation (slow; the
            C++ kernels use ``std::erfc``, and their parity tests use this).
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
        prior_relative_to_mean: bool = False,
        exact_erfc: bool = False,
    ) -> None:
        # Construction only stores the inputs; the components are computed on first use.
        self.mu = mu
        self.cat = cat
        self.n_choices = n_choices
        self.coarse = coarse
        self.prior_weight = prior_weight
        self.weights = weights
        self.consider_endpoints = consider_endpoints
        self.prior_relative_to_mean = prior_relative_to_mean
        self.exact_erfc = exact_erfc
        #: categorical smoothing: every choice gets eps, the observed one 1 + eps
        self.eps = prior_weight / (mu.shape[0] + 1)
        self._fitted: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None
        self._fitted = None

    def _fit(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(p, log_w, mu_all, sig_all, log_z), computed once."""
        if self._fitted is not None:
            return self._fitted
        mu, weights, prior_weight = self.mu, self.weights, self.prior_weight
        n_obs, dn = mu.shape
        w = np.empty(n_obs + 1)
        if weights is None:
            w[:-1] = 1.0
            w[-1] = prior_weight
        else:
            w[:-1] = weights
            mean = float(w[:-1].mean()) if n_obs and self.prior_relative_to_mean else 1.0
            w[-1] = prior_weight * mean
        p = w / w.sum()
        log_w = np.log(np.maximum(p, _TINY))
        # Components: observations, then the prior (mu 0.5, sigma 1).
        mu_all = np.empty((n_obs + 1, dn))
        mu_all[:-1] = mu
        mu_all[-1] = 0.5
        sig_all = np.empty((n_obs + 1, dn))
        sig_all[:-1] = bandwidths(mu, self.consider_endpoints)
        sig_all[-1] = 1.0
        # log of the truncation mass of each kernel over [0, 1]
        # (kernels more than 6 sigma inside both ends keep 1 - 2e-9 of their mass: log 0)
        six = 6.0 * sig_all
        near = (mu_all < six) | (mu_all > 1.0 - six)
        log_z = np.zeros_like(mu_all)
        if near.any():
            log_z[near] = _log_mass(mu_all[near], sig_all[near], self.exact_erfc)
        self._fitted = (p, log_w, mu_all, sig_all, log_z)
        return self._fitted

    @property
    def p(self) -> np.ndarray:
        """(n + 1,) mixture probabilities, the prior last."""
        return self._fit()[0]

    @property
    def log_w(self) -> np.ndarray:
        """(n + 1,) log mixture probabilities (floored at log 1e-300)."""
        return self._fit()[1]

    @property
    def mu_all(self) -> np.ndarray:
        """(n + 1, dn) kernel means, the prior (0.5) last."""
        return self._fit()[2]

    @property
    def sig_all(self) -> np.ndarray:
        """(n + 1, dn) kernel widths, the prior (1) last."""
        return self._fit()[3]

    @property
    def log_z(self) -> np.ndarray:
        """(n + 1, dn) log truncation masses of the kernels over [0, 1]."""
        return self._fit()[4]

    @property
    def n_obs(self) -> int:
        return int(self.mu.shape[0])

    def sample(self, rng: np.random.Generator, m: int) -> tuple[np.ndarray, np.ndarray]:
        """``m`` draws: (m, dn) unit positions and (m, dc) choice indices."""
        return sample_mixture(
            rng, m, self.p, self.mu_all, self.sig_all, self.cat, self.n_choices, self.eps
        )

    def log_pdf(self, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, xc: np.ndarray) -> np.ndarray:
        """(m,) log densities (log cell masses on coarse dimensions) of the candidates.

        ``x`` holds cell centres on discretised dimensions; ``lo``/``hi`` the cell bounds
        (used only where ``coarse``). The Gaussian part is two matrix products:
        ``sum_d (x_d - mu_d)^2 / s_d^2 = x^2 @ (1/s^2).T - 2 x @ (mu/s^2).T + sum_d mu_d^2/s_d^2``.
        """
        const = self.log_w - self.log_z.sum(axis=1)  # (n,)
        coarse = self.coarse
        any_coarse = bool(coarse.any())
        if any_coarse:
            fine = ~coarse
            s = self.sig_all[:, fine]
            mu = self.mu_all[:, fine]
            xf = x[:, fine]
        else:
            s, mu, xf = self.sig_all, self.mu_all, x
        if xf.shape[1]:
            prec = 1.0 / (s * s)
            mp = mu * prec
            const = const - 0.5 * (mu * mp).sum(1) - np.log(s).sum(1)
            const -= _LOG_SQRT_2PI * s.shape[1]
            out = xf @ mp.T
            out -= 0.5 * ((xf * xf) @ prec.T)
            out += const
        else:
            out = np.broadcast_to(const, (x.shape[0], const.shape[0])).copy()
        if any_coarse:
            for k in np.flatnonzero(coarse).tolist():
                mu_k = self.mu_all[:, k][None, :]
                s_k = self.sig_all[:, k][None, :]
                out += log_ndtr_diff(
                    (lo[:, k : k + 1] - mu_k) / s_k,
                    (hi[:, k : k + 1] - mu_k) / s_k,
                    self.exact_erfc,
                )
        if self.cat.shape[1]:
            log_norm = np.log1p(self.n_choices * self.eps)  # (dc,)
            hit = np.log1p(self.eps) - log_norm
            miss = np.log(self.eps) - log_norm
            for k in range(self.cat.shape[1]):
                same = xc[:, k : k + 1] == self.cat[None, :, k]
                out[:, :-1] += np.where(same, hit[k], miss[k])
                out[:, -1] -= math.log(int(self.n_choices[k]))
        mx = out.max(axis=1, keepdims=True)
        out -= mx
        np.exp(out, out=out)
        res: np.ndarray = mx[:, 0] + np.log(out.sum(axis=1))
        return res


def sample_mixture(
    rng: np.random.Generator,
    m: int,
    p: np.ndarray,
    mu_all: np.ndarray,
    sig_all: np.ndarray,
    cat: np.ndarray,
    n_choices: np.ndarray,
    eps: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``m`` draws from a Parzen estimator: (m, dn) unit positions and (m, dc) choice indices.

    ``p`` (n + 1,) mixture probabilities, ``mu_all`` / ``sig_all`` (n + 1, dn) kernel means and
    widths (the prior last), as :class:`ParzenEstimator` holds them or
    ``hyperdial._core.tpe_mixture`` returns them; ``cat`` (n, dc) the observations' choices;
    ``eps`` the categorical smoothing.

    The order of the random numbers is the contract ``_core.tpe_sample`` keeps: ``m`` uniforms
    pick the components; one normal per entry; entries outside ``[0, 1]`` are redrawn, all of
    them at once, up to 32 times (then clipped); then per categorical dimension ``m`` uniform
    codes and ``m`` uniforms that decide whether a draw keeps its component's choice.
    """
    n_obs = mu_all.shape[0] - 1
    cum = np.cumsum(p)
    comp = np.minimum(np.searchsorted(cum, rng.random(m) * cum[-1], side="right"), n_obs)
    mu, sig = mu_all[comp], sig_all[comp]
    x = rng.normal(mu, sig)
    for _ in range(32):
        bad = (x < 0.0) | (x > 1.0)
        if not bad.any():
            break
        x[bad] = rng.normal(mu[bad], sig[bad])
    np.clip(x, 0.0, 1.0, out=x)
    xc = np.empty((m, cat.shape[1]), dtype=np.int64)
    own_rows = np.minimum(comp, max(n_obs - 1, 0))
    for k in range(cat.shape[1]):
        kk = int(n_choices[k])
        uniform = rng.integers(0, kk, size=m)
        keep = rng.random(m) < 1.0 / (1.0 + kk * eps)
        own = cat[own_rows, k] if n_obs else uniform
        xc[:, k] = np.where(keep & (comp != n_obs), own, uniform)
    return x, xc

"""NumPy mirror of ``cpp/src/cmaes.cpp``: CMA-ES constants, one tell, the margin, warm start.

The equations are those of the header ``cpp/include/hyperdial/cmaes.hpp`` (Hansen 2016 tutorial;
sep-CMA-ES of Ros & Hansen 2008; the margin of Hamano et al. 2022; WS-CMA-ES of Nomura et al.
2021). :class:`CmaState` holds what one run holds; :func:`tell` returns the state after one
generation, without restarts (those are tested through their effect).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr, ndtri

if TYPE_CHECKING:
    from hyperdial import _core

__all__ = ["CmaConstants", "CmaState", "constants", "from_core", "tell", "warm_start"]

_HEADER = 30  # scalars before the arrays in CmaEs.to_vector


@dataclasses.dataclass
class CmaConstants:
    weights: np.ndarray
    mu: int
    mu_eff: float
    c_sigma: float
    d_sigma: float
    c_c: float
    c_1: float
    c_mu: float
    chi_n: float
    eigen_interval: int


@dataclasses.dataclass
class CmaState:
    mean: np.ndarray
    sigma: float
    cov: np.ndarray  # n x n (diagonal matrix for the separable variant)
    p_sigma: np.ndarray
    p_c: np.ndarray
    eigvecs: np.ndarray  # B of the last decomposition (identity when separable)
    eigvals_sqrt: np.ndarray  # D of the last decomposition
    margin_scale: np.ndarray  # diagonal of A
    steps: np.ndarray
    popsize: int
    generation: int
    run_generation: int
    eigen_generation: int
    separable: bool
    lr_adapt: bool = False
    eta_mean: float = 1.0
    eta_cov: float = 1.0
    v_mean: float = 0.0
    v_cov: float = 0.0
    e_mean: np.ndarray | None = None
    e_cov: np.ndarray | None = None


def constants(n: int, popsize: int, separable: bool) -> CmaConstants:
    """The tutorial's default weights and learning rates for ``n`` dimensions."""
    lam = popsize
    mu = lam // 2
    w = math.log((lam + 1) / 2) - np.log(np.arange(1, lam + 1))
    pos, neg = w[:mu], w[mu:]
    mu_eff = pos.sum() ** 2 / (pos**2).sum()
    mu_eff_minus = neg.sum() ** 2 / (neg**2).sum() if (neg**2).sum() > 0 else 0.0
    c_sigma = (mu_eff + 2) / (n + mu_eff + 5)
    d_sigma = 1 + 2 * max(0.0, math.sqrt((mu_eff - 1) / (n + 1)) - 1) + c_sigma
    c_c = (4 + mu_eff / n) / (n + 4 + 2 * mu_eff / n)
    c_1 = 2 / ((n + 1.3) ** 2 + mu_eff)
    c_mu = min(1 - c_1, 2 * (0.25 + mu_eff + 1 / mu_eff - 2) / ((n + 2) ** 2 + mu_eff))
    chi_n = math.sqrt(n) * (1 - 1 / (4 * n) + 1 / (21 * n * n))
    weights = np.zeros(lam)
    weights[:mu] = pos / pos.sum()
    if separable:
        c_1 *= (n + 2) / 3
        c_mu = min(1 - c_1, c_mu * (n + 2) / 3)
        interval = 1
    else:
        if -neg.sum() > 0:
            limit = min(
                1 + c_1 / c_mu,
                1 + 2 * mu_eff_minus / (mu_eff + 2),
                (1 - c_1 - c_mu) / (n * c_mu),
            )
            weights[mu:] = neg * limit / -neg.sum()
        interval = max(1, math.floor(1 / (10 * n * (c_1 + c_mu))))
    return CmaConstants(weights, mu, mu_eff, c_sigma, d_sigma, c_c, c_1, c_mu, chi_n, interval)


def from_core(es: _core.CmaEs) -> CmaState:
    """A :class:`CmaState` copied from a ``hyperdial._core.CmaEs``."""
    vec = es.to_vector()
    n = int(vec[1])
    steps = vec[_HEADER + 4 * n : _HEADER + 5 * n]
    lr_adapt = bool(vec[24])
    return CmaState(
        mean=np.array(es.mean),
        sigma=float(es.sigma),
        cov=np.array(es.cov),
        p_sigma=np.array(es.p_sigma),
        p_c=np.array(es.p_c),
        eigvecs=np.array(es.eigvecs) if es.eigvecs.size else np.eye(n),
        eigvals_sqrt=np.array(es.eigvals_sqrt),
        margin_scale=np.array(es.margin_scale),
        steps=np.array(steps),
        popsize=int(es.popsize),
        generation=int(vec[10]),
        run_generation=int(vec[11]),
        eigen_generation=int(vec[12]),
        separable=bool(vec[2]),
        lr_adapt=lr_adapt,
        eta_mean=float(vec[25]),
        eta_cov=float(vec[26]),
        v_mean=float(vec[27]),
        v_cov=float(vec[28]),
        e_mean=vec[-(n + n * n) : -n * n].copy() if lr_adapt else None,
        e_cov=vec[-n * n :].copy() if lr_adapt else None,
    )


def _margin(s: CmaState, k: CmaConstants) -> None:
    n = len(s.mean)
    alpha = 1 / (n * s.popsize)
    z = -ndtri(alpha)
    for j in range(n):
        if s.steps[j] <= 0:
            continue
        cells = round(1 / s.steps[j])
        if cells < 2:
            continue
        scale = s.sigma * math.sqrt(s.cov[j, j])
        sd = scale * s.margin_scale[j]
        m = s.mean[j]
        cell = min(max(math.floor(m * cells), 0), cells - 1)
        lower, upper = cell / cells, (cell + 1) / cells
        if cell == 0:
            s.mean[j] = max(m, upper - sd * z)
        elif cell == cells - 1:
            s.mean[j] = min(m, lower + sd * z)
        else:
            p_low, p_up = ndtr((lower - m) / sd), ndtr((m - upper) / sd)
            if p_low >= alpha and p_up >= alpha:
                continue
            a, b = ndtri(max(p_low, alpha)), -ndtri(max(p_up, alpha))
            if not b - a > 1e-12:
                continue
            sd_new = (upper - lower) / (b - a)
            s.mean[j] = lower - a * sd_new
            s.margin_scale[j] = sd_new / scale


def _adapt_rates(s: CmaState, old: CmaState, old_inv_sqrt_c: np.ndarray) -> None:
    """LRA-CMA-ES (Nomura, Akimoto & Ono 2023) on the state ``s`` after a plain tell."""
    alpha, beta_mean, beta_cov, gamma = 1.4, 0.1, 0.03, 0.1
    assert s.e_mean is not None and s.e_cov is not None
    eta_mean_before = s.eta_mean
    old_cov = old.sigma**2 * old.cov
    delta_mean = s.mean - old.mean
    delta_cov = s.sigma**2 * s.cov - old_cov
    w = old_inv_sqrt_c / old.sigma
    dm = w @ delta_mean
    ds = (w @ delta_cov @ w).ravel() / math.sqrt(2)
    s.e_mean = (1 - beta_mean) * s.e_mean + beta_mean * dm
    s.v_mean = (1 - beta_mean) * s.v_mean + beta_mean * float(dm @ dm)
    s.e_cov = (1 - beta_cov) * s.e_cov + beta_cov * ds
    s.v_cov = (1 - beta_cov) * s.v_cov + beta_cov * float(ds @ ds)

    def step(eta: float, e: np.ndarray, v: float, beta: float) -> float:
        e2 = float(e @ e)
        snr = (e2 - beta / (2 - beta) * v) / (v - e2)
        rel = float(np.clip(snr / (alpha * eta) - 1, -1, 1)) if math.isfinite(snr) else 0.0
        return min(1.0, eta * math.exp(min(gamma * eta, beta) * rel))

    s.eta_mean = step(s.eta_mean, s.e_mean, s.v_mean, beta_mean)
    s.eta_cov = step(s.eta_cov, s.e_cov, s.v_cov, beta_cov)
    s.mean = old.mean + s.eta_mean * delta_mean
    cov = old_cov + s.eta_cov * delta_cov
    cov = (cov + cov.T) / 2
    s.sigma = math.exp(float(np.log(np.linalg.eigvalsh(cov)).sum()) / (2 * len(s.mean)))
    s.cov = cov / s.sigma**2
    s.sigma *= eta_mean_before / s.eta_mean


def tell(state: CmaState, x: np.ndarray, f: np.ndarray) -> CmaState:
    """The state after one generation of points ``x`` (popsize x n) with values ``f``."""
    s = dataclasses.replace(
        state,
        mean=state.mean.copy(),
        cov=state.cov.copy(),
        p_sigma=state.p_sigma.copy(),
        p_c=state.p_c.copy(),
        margin_scale=state.margin_scale.copy(),
    )
    n = len(s.mean)
    k = constants(n, s.popsize, s.separable)
    order = np.argsort(f, kind="stable")
    y = (x[order] - s.mean) / s.sigma
    y_w = k.weights[: k.mu] @ y[: k.mu]
    b, d = s.eigvecs, s.eigvals_sqrt
    inv_sqrt = b @ np.diag(1 / d) @ b.T
    s.mean = s.mean + s.sigma * y_w
    s.p_sigma = (1 - k.c_sigma) * s.p_sigma + math.sqrt(k.c_sigma * (2 - k.c_sigma) * k.mu_eff) * (
        inv_sqrt @ y_w
    )
    norm_ps = float(np.linalg.norm(s.p_sigma))
    decay = 1 - (1 - k.c_sigma) ** (2 * (s.run_generation + 1))
    h = 1.0 if norm_ps / math.sqrt(decay) < (1.4 + 2 / (n + 1)) * k.chi_n else 0.0
    s.p_c = (1 - k.c_c) * s.p_c + h * math.sqrt(k.c_c * (2 - k.c_c) * k.mu_eff) * y_w
    delta = (1 - h) * k.c_c * (2 - k.c_c)
    w_circ = k.weights.copy()
    for i in range(k.mu, s.popsize):
        if k.weights[i] < 0:
            norm2 = float(np.sum((inv_sqrt @ y[i]) ** 2))
            w_circ[i] = k.weights[i] * n / norm2 if norm2 > 0 else 0.0
    keep = 1 + k.c_1 * delta - k.c_1 - k.c_mu * k.weights.sum()
    rank_mu = (y.T * w_circ) @ y
    cov = keep * s.cov + k.c_1 * np.outer(s.p_c, s.p_c) + k.c_mu * rank_mu
    s.cov = np.diag(np.diag(cov)) if s.separable else cov
    s.sigma = s.sigma * math.exp((k.c_sigma / k.d_sigma) * (norm_ps / k.chi_n - 1))
    if s.lr_adapt:
        _adapt_rates(s, state, inv_sqrt)
    s.generation += 1
    s.run_generation += 1
    if s.generation - s.eigen_generation >= k.eigen_interval:
        s.eigen_generation = s.generation
        if s.separable:
            s.eigvals_sqrt, s.eigvecs = np.sqrt(np.maximum(np.diag(s.cov), 1e-300)), np.eye(n)
        else:
            vals, vecs = np.linalg.eigh((s.cov + s.cov.T) / 2)
            s.eigvals_sqrt, s.eigvecs = np.sqrt(np.maximum(vals, 1e-300)), vecs
    _margin(s, k)
    return s


def warm_start(
    x: np.ndarray, f: np.ndarray, gamma: float = 0.1, alpha: float = 0.1
) -> tuple[np.ndarray, float, np.ndarray]:
    """WS-CMA-ES: (mean, sigma, cov) from the best ``ceil(gamma N)`` points."""
    top = max(1, math.ceil(gamma * len(f)))
    best = x[np.argsort(f, kind="stable")[:top]]
    mean = best.mean(axis=0)
    sig = (best - mean).T @ (best - mean) / top + alpha**2 * np.eye(x.shape[1])
    sigma = math.exp(np.linalg.slogdet(sig)[1] / (2 * x.shape[1]))
    return mean, sigma, sig / sigma**2

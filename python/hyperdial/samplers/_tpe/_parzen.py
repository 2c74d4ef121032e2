"""TPE's candidate draw in NumPy: the fallback for a core built without NumPy's libnpyrandom.

TPESampler draws its candidates from the good group's Parzen estimator ``l(x)`` in C++
(``hyperdial._core.tpe_sample``), which runs NumPy's own distribution code (libnpyrandom) on the
trial's ``numpy.random.Generator``, so the draw is the one NumPy would make from that generator.
``tpe_sample`` exists only when the core was built with libnpyrandom (``HYPERDIAL_NPYRANDOM=AUTO``,
the default, and the library found; see README and CMakeLists.txt). Without it the sampler takes
the mixture's components from ``_core.tpe_mixture`` and draws here, with the same numbers. Either
way the candidates are scored in C++ (``_core.tpe_log_ratio``).

This is not the reference: the NumPy mirror of the estimators and of the draw, which both this
function and ``_core.tpe_sample`` are tested against bit for bit, is
:mod:`hyperdial._reference.tpe` (``tests/core/test_tpe_kernel.py``). This version consumes the
same random stream as the reference but redraws only the rejected entries, one by one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["sample_mixture"]


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
    widths (the prior last), as ``hyperdial._core.tpe_mixture`` returns them; ``cat`` (n, dc)
    the observations' choices; ``eps`` the categorical smoothing. Numeric draws are rejected
    onto ``[0, 1]``; the random numbers are consumed in the order
    :func:`hyperdial._reference.tpe.sample_mixture` states.
    """
    n_obs = mu_all.shape[0] - 1
    dc = cat.shape[1]
    cum = np.cumsum(p)
    comp = np.minimum(np.searchsorted(cum, rng.random(m) * cum[-1], side="right"), n_obs)
    mu = mu_all[comp]
    sig = sig_all[comp]
    # rng.normal(mu, sig) draws mu + sig * z with z from standard_normal in the same order;
    # written out, it is the same stream and the same values without rng.normal's broadcasting.
    x = rng.standard_normal(mu.shape)
    x *= sig
    x += mu
    # Rejection onto [0, 1] (a kernel centred in [0, 1] with width <= 1 keeps >= 1/3 of its
    # mass there), at most 32 redraws. The few rejected entries are redrawn as Python floats,
    # with the numbers x[bad] = rng.normal(mu[bad], sig[bad]) would give.
    bad = np.flatnonzero((x < 0.0) | (x > 1.0))
    if bad.size:
        flat = x.reshape(-1)
        idx = bad.tolist()
        loc = mu.reshape(-1)[bad].tolist()
        scale = sig.reshape(-1)[bad].tolist()
        for _ in range(32):
            z = rng.standard_normal(len(idx)).tolist()
            left = [k for k, v in enumerate(z) if not 0.0 <= loc[k] + scale[k] * v <= 1.0]
            for k, v in enumerate(z):
                flat[idx[k]] = loc[k] + scale[k] * v
            if not left:
                break
            idx = [idx[k] for k in left]
            loc = [loc[k] for k in left]
            scale = [scale[k] for k in left]
        np.clip(x, 0.0, 1.0, out=x)
    xc = np.empty((m, dc), dtype=np.int64)
    if dc:
        is_prior = comp == n_obs
        own_rows = np.minimum(comp, max(n_obs - 1, 0))
        for k in range(dc):
            kk = int(n_choices[k])
            uniform = rng.integers(0, kk, size=m)
            keep = rng.random(m) < 1.0 / (1.0 + kk * eps)
            own = cat[own_rows, k] if n_obs else uniform
            xc[:, k] = np.where(keep & ~is_prior, own, uniform)
    return x, xc

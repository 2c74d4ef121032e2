"""From trial outcomes to the targets the GP is fitted to (maximised).

Robust warping (:class:`Warp`): losses are centred on their median and scaled by their median
absolute deviation (MAD x 1.4826, which is the standard deviation for normal data; the standard
deviation when more than half the values are equal; 1 when all are). Bad values (large losses)
beyond ``THRESHOLD`` scale units are squashed by ``t + log1p(log1p(z - t))``: order is kept but
a loss of ``1e300`` or ``inf`` lands about 9.5 units out instead of dwarfing the rest, so one
crash value cannot flatten what the GP sees of the other trials (the facade standardises by
the standard deviation, which one huge value would own). Good values are kept linear up to
``GOOD_THRESHOLD`` units and only compressed logarithmically beyond: on needle-like objectives
(Hartmann-6: most values on a plateau, MAD tiny) the few good trials are the signal, and
squashing them as hard as the bad side made the GP see them as barely better
(docs/design/gp_sampler.md). ``±inf`` losses are clipped to ``±1e300`` first, so they become the
most extreme finite targets.

Power transform (``POWER_TRANSFORM``): the warped losses are then standardised and passed
through the Yeo-Johnson transform (Yeo & Johnson 2000) whose exponent maximises the normal
likelihood of the result, as HEBO transforms its outputs (Cowen-Rivers et al. 2022, sec. 4.1).
The GP's prior is Gaussian and stationary; losses are often skewed (a few good trials far below a
plateau, or a bowl whose floor is narrow), and the transform spreads the part of the range
where the optimum is. It is monotone, so the order of the trials is kept. Measured in
docs/design/gp_sampler.md.

Several objectives (:func:`parego`): each objective is warped, scaled to ``[0, 1]`` over the
trials, and scalarised by the augmented Chebyshev function of ParEGO (Knowles 2006) with a
random weight vector drawn per trial: ``max_i w_i f_i + 0.05 sum_i w_i f_i``. One GP per trial,
so the cost is that of a single objective; different weights steer different trials to
different parts of the Pareto front.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    F64 = NDArray[np.float64]

__all__ = ["GOOD_THRESHOLD", "THRESHOLD", "Warp", "parego", "yeo_johnson", "yeo_johnson_lambda"]


#: Scale units beyond which the warp squashes bad values (large losses).
THRESHOLD = 3.0
#: Scale units beyond which good values (small losses) are compressed, logarithmically.
GOOD_THRESHOLD = 100.0
_AUGMENT = 0.05
_HUGE = 1e300
#: Whether :class:`Warp` ends with a Yeo-Johnson power transform fitted by maximum likelihood.
POWER_TRANSFORM = True
#: The coarse grid of exponents searched for the power transform (the likelihood is smooth in
#: the exponent; :func:`yeo_johnson_lambda` refines around the grid's best).
_LAMBDAS = np.linspace(-2.0, 4.0, 25)
_REFINE = np.linspace(-0.25, 0.25, 11)


def _sides(lams: F64) -> tuple[F64, F64]:
    """The exponents the Yeo-Johnson transform with exponents ``lams`` applies to the
    non-negative and to the negative side, as columns. Exponents of exactly 0 or 2 are the
    transform's log cases; 1e-12 off them, ``expm1(a t) / a`` equals ``t`` to double
    precision."""
    a = np.where(np.abs(lams) < 1e-12, 1e-12, lams)[:, None]
    b = np.where(np.abs(2.0 - lams) < 1e-12, 1e-12, 2.0 - lams)[:, None]
    return a, b


#: ``_sides`` of the coarse grid, computed once.
_GRID_SIDES = _sides(_LAMBDAS)


def _middle(v: F64) -> float:
    """``np.median`` of a sorted 1-d array without NaN (the same value: the middle element, or
    the mean of the two middle ones)."""
    k = v.size // 2
    return float(v[k]) if v.size % 2 else float((v[k - 1] + v[k]) / 2)


def _median(x: F64) -> float:
    """``np.median`` of a 1-d array without NaN, by one sort."""
    return _middle(np.sort(x))


def yeo_johnson(x: F64, lam: float) -> F64:
    """The Yeo-Johnson transform (Yeo & Johnson 2000, eq. 2.1) of ``x`` with exponent ``lam``:
    increasing in ``x`` for every ``lam``, the identity at ``lam = 1``."""
    x = np.asarray(x, dtype=np.float64)
    pos = x >= 0
    out = np.empty_like(x)
    a = np.abs(x)
    if abs(lam) > 1e-12:
        out[pos] = np.expm1(lam * np.log1p(a[pos])) / lam
    else:
        out[pos] = np.log1p(a[pos])
    if abs(lam - 2.0) > 1e-12:
        out[~pos] = -np.expm1((2.0 - lam) * np.log1p(a[~pos])) / (2.0 - lam)
    else:
        out[~pos] = -np.log1p(a[~pos])
    return out


def _yeo_johnson_loglik(
    lams: F64, sides: tuple[F64, F64], log1p_pos: F64, log1p_neg: F64, jacobian: float
) -> F64:
    """Profile log likelihood of each exponent in ``lams`` (``-inf`` where undefined), from
    ``_sides(lams)`` and ``log(1 + |x|)`` of the non-negative and of the negative ``x``."""
    n = log1p_pos.size + log1p_neg.size
    a, b = sides
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        up = np.expm1(a * log1p_pos) / a
        down = np.expm1(b * log1p_neg) / b  # the negated transform of the negative x
        mean = (up.sum(axis=1) - down.sum(axis=1)) / n
        var = (np.square(up).sum(axis=1) + np.square(down).sum(axis=1)) / n - mean**2
        ll = -0.5 * n * np.log(var) + (lams - 1.0) * jacobian
    out: F64 = np.where((var > 0) & np.isfinite(var), ll, -np.inf)
    return out


def yeo_johnson_lambda(x: F64) -> float:
    """The exponent of :func:`yeo_johnson` that maximises the normal log likelihood of the
    transformed ``x`` (profile likelihood over mean and variance; Yeo & Johnson 2000, sec. 3):
    a grid over ``[-2, 4]`` in steps of 0.25, then steps of 0.05 around its best point."""
    x = np.asarray(x, dtype=np.float64)
    pos = x >= 0
    log1p_abs = np.log1p(np.abs(x))
    log1p_pos, log1p_neg = log1p_abs[pos], log1p_abs[~pos]
    jacobian = float(log1p_pos.sum() - log1p_neg.sum())
    best = 1.0
    for grid in (_LAMBDAS, _REFINE):
        coarse = grid is _LAMBDAS
        lams = grid if coarse else best + grid
        sides = _GRID_SIDES if coarse else _sides(lams)
        ll = _yeo_johnson_loglik(lams, sides, log1p_pos, log1p_neg, jacobian)
        if not np.isfinite(ll).any():
            return best
        best = float(lams[int(np.argmax(ll))])
    return best


class Warp:
    """A monotone robust transform fitted to a set of losses; maps losses to targets.

    Example:
        >>> w = Warp(np.array([1.0, 2.0, 3.0, 1e300]))
        >>> t = w(np.array([1.0, 2.0, 3.0, 1e300, np.inf]))  # inf is clipped to 1e300
        >>> bool(np.all(np.diff(t[:4]) < 0)), bool(t[4] == t[3]), bool(np.all(np.abs(t) < 12))
        (True, True, True)
    """

    def __init__(self, losses: F64) -> None:
        v = np.clip(np.asarray(losses, dtype=np.float64), -_HUGE, _HUGE)
        v = v[~np.isnan(v)]
        self.center, self.scale, self._unit = 0.0, 1.0, 1.0
        #: The power transform's (mean, sd, exponent) in warped units, or None.
        self.power: tuple[float, float, float] | None = None
        #: The median of the fitted losses (``±inf`` clipped; NaN when there were none).
        self.median = math.nan
        if v.size == 0:
            return
        ordered = np.sort(v)
        self.median = _middle(ordered)
        # Work in units of the largest magnitude so that differences cannot overflow.
        self._unit = float(max(-ordered[0], ordered[-1], 1e-300))
        s = v / self._unit
        center = _middle(ordered / self._unit)  # dividing by a positive unit keeps the order
        scale = 1.4826 * _median(np.abs(s - center))
        if not scale > 0:
            scale = float(s.std())
        if not scale > 0:
            scale = 1.0
        self.center, self.scale = center, scale
        if POWER_TRANSFORM and v.size >= 3:
            z = self.z(v)
            mean, sd = float(z.mean()), float(z.std())
            if sd > 0 and math.isfinite(sd):
                self.power = (mean, sd, yeo_johnson_lambda((z - mean) / sd))

    def z(self, losses: F64) -> F64:
        """Warped losses (smaller is better), in robust scale units."""
        # np.minimum / np.maximum clip as np.clip does, with less overhead on small arrays.
        v = np.minimum(np.maximum(np.asarray(losses, dtype=np.float64), -_HUGE), _HUGE)
        with np.errstate(over="ignore", invalid="ignore"):
            z = (v / self._unit - self.center) / self.scale
        z[np.isnan(z)] = 0.0
        z = np.minimum(np.maximum(z, -_HUGE), _HUGE)
        bad = THRESHOLD + np.log1p(np.log1p(np.maximum(z - THRESHOLD, 0.0)))
        good = -GOOD_THRESHOLD - np.log1p(np.maximum(-GOOD_THRESHOLD - z, 0.0))
        out: F64 = np.where(z > THRESHOLD, bad, np.where(z < -GOOD_THRESHOLD, good, z))
        return out

    def __call__(self, losses: F64) -> F64:
        """Targets to maximise: the negated warped losses, power-transformed when fitted."""
        z = self.z(losses)
        if self.power is None:
            return -z
        mean, sd, lam = self.power
        return -yeo_johnson((z - mean) / sd, lam)


def parego(losses: F64, weights: F64) -> F64:
    """Targets (maximised) for ``(n, k)`` losses under one ParEGO weight vector ``(k,)``.

    Example:
        >>> losses = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> t = parego(losses, np.array([0.5, 0.5]))
        >>> bool(t[2] < t[0]) and bool(t[2] < t[1])
        True
    """
    cols = []
    for j in range(losses.shape[1]):
        z = Warp(losses[:, j]).z(losses[:, j])
        lo, hi = float(z.min()), float(z.max())
        cols.append((z - lo) / (hi - lo) if hi > lo else np.zeros_like(z))
    f = np.stack(cols, axis=1) * weights
    out: F64 = -(f.max(axis=1) + _AUGMENT * f.sum(axis=1))
    return out

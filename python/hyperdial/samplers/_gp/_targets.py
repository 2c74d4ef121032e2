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

Several objectives (:func:`parego`): each objective is warped, scaled to ``[0, 1]`` over the
trials, and scalarised by the augmented Chebyshev function of ParEGO (Knowles 2006) with a
random weight vector drawn per trial: ``max_i w_i f_i + 0.05 sum_i w_i f_i``. One GP per trial,
so the cost is that of a single objective; different weights steer different trials to
different parts of the Pareto front.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    F64 = NDArray[np.float64]

__all__ = ["GOOD_THRESHOLD", "THRESHOLD", "Warp", "parego"]


#: Scale units beyond which the warp squashes bad values (large losses).
THRESHOLD = 3.0
#: Scale units beyond which good values (small losses) are compressed, logarithmically.
GOOD_THRESHOLD = 100.0
_AUGMENT = 0.05
_HUGE = 1e300


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
        if v.size == 0:
            return
        # Work in units of the largest magnitude so that differences cannot overflow.
        self._unit = float(max(np.abs(v).max(), 1e-300))
        s = v / self._unit
        center = float(np.median(s))
        scale = 1.4826 * float(np.median(np.abs(s - center)))
        if not scale > 0:
            scale = float(s.std())
        if not scale > 0:
            scale = 1.0
        self.center, self.scale = center, scale

    def z(self, losses: F64) -> F64:
        """Warped losses (smaller is better), in robust scale units."""
        v = np.clip(np.asarray(losses, dtype=np.float64), -_HUGE, _HUGE)
        with np.errstate(over="ignore", invalid="ignore"):
            z = (v / self._unit - self.center) / self.scale
        z = np.clip(np.nan_to_num(z, nan=0.0), -_HUGE, _HUGE)
        bad = THRESHOLD + np.log1p(np.log1p(np.maximum(z - THRESHOLD, 0.0)))
        good = -GOOD_THRESHOLD - np.log1p(np.maximum(-GOOD_THRESHOLD - z, 0.0))
        out: F64 = np.where(z > THRESHOLD, bad, np.where(z < -GOOD_THRESHOLD, good, z))
        return out

    def __call__(self, losses: F64) -> F64:
        """Targets to maximise: the negated warped losses."""
        return -self.z(losses)


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

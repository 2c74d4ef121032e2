"""The unit cube the model-based samplers work in: distributions <-> ``[0, 1]`` and choice codes.

GPSampler (``_gp/_encoding.py``), TPESampler (``_tpe/``) and, through TPE, BOHB model every
numeric parameter as a position in ``[0, 1]`` and every categorical one as a choice code
``0 .. k - 1``. The positions are those of :func:`hyperdial.distributions.internal_to_unit`
(uniform in the distribution's own scale: log for ``log=True``, one equal cell per value of an
int or stepped-float grid) and its inverse :func:`~hyperdial.distributions.unit_to_internal`,
which stay the scalar definitions; this module applies them to whole columns of history at
once and adds what the models need on top: cell counts and cell bounds of grids, and NaN for a
value the distribution does not hold (missing, or outside a range that changed).

Arrays: ``v`` internal values and ``u`` unit positions, both 1-d float64 of the same length.

Example:
    >>> import numpy as np
    >>> from hyperdial.distributions import IntDistribution
    >>> dist = IntDistribution(0, 3)
    >>> n_cells(dist), to_unit(dist, np.array([2.0, 7.0, np.nan])).tolist()
    (4, [0.625, nan, nan])
    >>> [a.tolist() for a in cells(dist, np.array([0.3]))]
    [[0.375], [0.25], [0.5]]
"""

from __future__ import annotations

import math

import numpy as np

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    _int_log_scale,
    internal_to_unit,
)

__all__ = ["cells", "code_of", "max_cell_width", "n_cells", "to_codes", "to_unit", "unit_of"]


def n_cells(dist: BaseDistribution) -> int | None:
    """Number of values of an int (linear) or stepped-float grid; None for other distributions.

    A log-scaled int has cells of unequal width and is not counted here (see
    :func:`max_cell_width`).
    """
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return int(round((dist.high - dist.low) / dist.step)) + 1
    if isinstance(dist, IntDistribution) and not dist.log:
        return (dist.high - dist.low) // dist.step + 1
    return None


def max_cell_width(dist: BaseDistribution) -> float:
    """The widest cell of a discrete numeric distribution in unit scale; 0 for continuous ones.

    For a log-scaled int the widest cell is the lowest value's, ``log1p(1 / base) / width`` in
    the scale of :func:`hyperdial.distributions._int_log_scale`.
    """
    if isinstance(dist, IntDistribution) and dist.log:
        base, width = _int_log_scale(dist)
        return math.log1p(1.0 / base) / width
    n = n_cells(dist)
    return 0.0 if n is None else 1.0 / n


def to_unit(dist: BaseDistribution, v: np.ndarray) -> np.ndarray:
    """Unit positions of internal values ``v`` of a numeric distribution.

    Equal to :func:`~hyperdial.distributions.internal_to_unit` elementwise (to rounding), the
    centre of the value's cell on grids; NaN for missing values and values outside the range.
    """
    v = np.asarray(v, dtype=float)
    with np.errstate(all="ignore"):
        if not isinstance(dist, (FloatDistribution, IntDistribution)):
            raise TypeError(f"only numeric distributions have unit positions, got {dist!r}")
        inside = (v >= dist.low) & (v <= dist.high)
        if isinstance(dist, IntDistribution) and dist.log:
            base, width = _int_log_scale(dist)
            a = np.log1p((v - dist.low) / base)
            b = np.log1p((v - dist.low + 1) / base)
            u = (a + b) / 2 / width
        else:
            n = n_cells(dist)
            if n is not None:
                step = float(dist.step or 1)
                u = (np.round((v - dist.low) / step) + 0.5) / n
            elif isinstance(dist, FloatDistribution) and dist.log:
                lo, hi = math.log(dist.low), math.log(dist.high)
                u = (np.log(v) - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
            else:
                # Halved so that a range as wide as float64 allows has a finite span.
                lo, hi = dist.low / 2, dist.high / 2
                u = (v / 2 - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
        u = np.where(inside, u, np.nan)
    return np.clip(u, 0.0, 1.0)


def unit_of(dist: BaseDistribution, v: float) -> float:
    """:func:`to_unit` for one value (the per-trial path of the incremental histories)."""
    if math.isnan(v) or not (dist.low <= v <= dist.high):  # type: ignore[attr-defined]
        return math.nan
    return min(max(internal_to_unit(dist, v), 0.0), 1.0)


def to_codes(dist: BaseDistribution, v: np.ndarray) -> np.ndarray:
    """Choice codes of internal values ``v`` of a categorical distribution (float64); NaN for
    missing values and values that are not a choice index of ``dist`` (its choices changed)."""
    if not isinstance(dist, CategoricalDistribution):
        raise TypeError(f"only categorical distributions have choice codes, got {dist!r}")
    v = np.asarray(v, dtype=float)
    with np.errstate(invalid="ignore"):
        inside = (v >= 0) & (v < len(dist.choices)) & (v == np.round(v))
    out: np.ndarray = np.where(inside, v, np.nan)
    return out


def code_of(n_choices: int, v: float) -> float:
    """:func:`to_codes` for one value of a distribution with ``n_choices`` choices."""
    return v if 0 <= v < n_choices and v == round(v) else math.nan


def cells(dist: BaseDistribution, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For positions ``u``: (centre, low edge, high edge) of the cell each falls in.

    The cell of ``u`` is the one :func:`~hyperdial.distributions.unit_to_internal` maps onto a
    single value. Continuous distributions have point cells (all three equal ``u``).
    """
    u = np.clip(np.asarray(u, dtype=float), 0.0, math.nextafter(1.0, 0.0))
    if isinstance(dist, IntDistribution) and dist.log:
        base, width = _int_log_scale(dist)
        v = np.clip(np.round(base + base * np.expm1(u * width)), dist.low, dist.high)
        a = np.log1p((v - dist.low) / base) / width
        b = np.log1p((v - dist.low + 1) / base) / width
        return (a + b) / 2, a, b
    n = n_cells(dist)
    if n is None:
        return u, u, u
    k = np.minimum(np.floor(u * n), n - 1)
    return (k + 0.5) / n, k / n, (k + 1) / n

"""Vectorised unit-interval encodings of numeric distributions for TPE.

They agree with :func:`hyperdial.distributions.internal_to_unit` (a value's position, or its
cell's centre) and :func:`~hyperdial.distributions.unit_to_internal` (a position's value), which
stay the scalar reference; here they work on whole columns of history at once.
"""

from __future__ import annotations

import math

import numpy as np

from hyperdial.distributions import (
    BaseDistribution,
    FloatDistribution,
    IntDistribution,
    _int_log_scale,
)

__all__ = ["COARSE_CELL", "cells", "max_cell_width", "to_unit"]

#: A discrete dimension whose widest cell is at least this wide (in unit scale) is scored by
#: kernel mass over the cell; narrower cells are scored by the density at their centre.
COARSE_CELL = 0.02


def _n_cells(dist: BaseDistribution) -> int | None:
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return int(round((dist.high - dist.low) / dist.step)) + 1
    if isinstance(dist, IntDistribution) and not dist.log:
        return (dist.high - dist.low) // dist.step + 1
    return None


def max_cell_width(dist: BaseDistribution) -> float:
    """The widest cell of a discrete distribution in unit scale; 0 for continuous ones."""
    if isinstance(dist, IntDistribution) and dist.log:
        base, width = _int_log_scale(dist)
        return math.log1p(1.0 / base) / width
    n = _n_cells(dist)
    return 0.0 if n is None else 1.0 / n


def to_unit(dist: BaseDistribution, v: np.ndarray) -> np.ndarray:
    """Unit positions of internal values ``v``; NaN for missing values and values outside."""
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
            n = _n_cells(dist)
            if n is not None:
                step = float(dist.step or 1)
                u = (np.round((v - dist.low) / step) + 0.5) / n
            elif isinstance(dist, FloatDistribution) and dist.log:
                lo, hi = math.log(dist.low), math.log(dist.high)
                u = (np.log(v) - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
            else:
                lo, hi = dist.low / 2, dist.high / 2
                u = (v / 2 - lo) / (hi - lo) if hi > lo else np.full_like(v, 0.5)
        u = np.where(inside, u, np.nan)
    return np.clip(u, 0.0, 1.0)


def cells(dist: BaseDistribution, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For positions ``u``: (centre, low edge, high edge) of the cell each falls in.

    Continuous distributions have point cells (all three equal ``u``).
    """
    u = np.clip(np.asarray(u, dtype=float), 0.0, math.nextafter(1.0, 0.0))
    if isinstance(dist, IntDistribution) and dist.log:
        base, width = _int_log_scale(dist)
        v = np.clip(np.round(base + base * np.expm1(u * width)), dist.low, dist.high)
        a = np.log1p((v - dist.low) / base) / width
        b = np.log1p((v - dist.low + 1) / base) / width
        return (a + b) / 2, a, b
    n = _n_cells(dist)
    if n is None:
        return u, u, u
    k = np.minimum(np.floor(u * n), n - 1)
    return (k + 0.5) / n, k / n, (k + 1) / n

"""Exact hypervolume and non-dominated filtering in NumPy, for the Pareto and hypervolume plots.

All functions take losses (every objective minimised; a maximised objective is negated by the
caller) as a float64 array ``(n, m)``.

* :func:`nondominated_mask` keeps the points no other point dominates (as good in every
  objective and strictly better in one). Points are visited in lexicographic order, where a point
  can only be dominated by one before it, and each kept point removes every point it dominates
  in one vectorised comparison, so the cost is O(n · front size · m).
* :func:`hypervolume` is the Lebesgue measure of the region the points dominate inside the box
  bounded by ``reference``. Two objectives: the staircase sweep (sort by the first objective,
  sum the rectangles), O(n log n). Three or more: hypervolume by slicing objectives (While,
  Hingston, Barone and Huband, "A faster algorithm for calculating hypervolume", IEEE TEC 10(1),
  2006): sort by the last objective and add, per slab between consecutive values, the slab's
  thickness times the (m−1)-dimensional hypervolume of the points below it. Exact, and fast
  enough for the fronts a study produces (hundreds of points in three objectives).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hypervolume", "nondominated_mask"]


def nondominated_mask(loss: np.ndarray) -> np.ndarray:
    """``(n,)`` bool: True for the points of ``loss`` ``(n, m)`` that no other point dominates.

    Equal points do not dominate each other, so duplicates on the front are all kept.

    Example:
        >>> nondominated_mask(np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0]])).tolist()
        [True, True, False]
    """
    loss = np.asarray(loss, dtype=float)
    n = loss.shape[0]
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort(loss.T[::-1])
    pts = loss[order]
    remaining = np.arange(n)
    i = 0
    while i < remaining.size:
        p = pts[remaining[i]]
        rest = pts[remaining]
        dominated = np.all(p <= rest, axis=1) & np.any(p < rest, axis=1)
        remaining = remaining[~dominated]
        i += 1
    mask[order[remaining]] = True
    return mask


def _hv2d(pts: np.ndarray, ref: np.ndarray) -> float:
    order = np.lexsort((pts[:, 1], pts[:, 0]))
    x = pts[order, 0]
    y = pts[order, 1]
    # The staircase: a point counts when it is lower than every point to its left.
    keep = np.empty(y.size, dtype=bool)
    keep[0] = True
    keep[1:] = y[1:] < np.minimum.accumulate(y)[:-1]
    x = x[keep]
    y = y[keep]
    widths = np.diff(np.append(x, ref[0]))
    return float(np.sum(widths * (ref[1] - y)))


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    m = pts.shape[1]
    if m == 1:
        return float(ref[0] - pts[:, 0].min())
    if m == 2:
        return _hv2d(pts, ref)
    pts = pts[nondominated_mask(pts)]
    order = np.argsort(pts[:, -1], kind="stable")
    pts = pts[order]
    z = np.append(pts[:, -1], ref[-1])
    total = 0.0
    for i in range(pts.shape[0]):
        thickness = z[i + 1] - z[i]
        if thickness > 0.0:
            total += thickness * _hv(pts[: i + 1, :-1], ref[:-1])
    return total


def hypervolume(loss: np.ndarray, reference: np.ndarray) -> float:
    """The volume ``loss`` ``(n, m)`` dominates inside the box bounded by ``reference`` ``(m,)``.

    Points not strictly below the reference point in every objective add nothing.

    Example:
        >>> hypervolume(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([3.0, 3.0]))
        3.0
    """
    loss = np.asarray(loss, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if loss.ndim != 2 or ref.shape != (loss.shape[1],):
        raise ValueError(
            f"`reference` must have one entry per objective ({loss.shape[-1]}), "
            f"got shape {ref.shape}."
        )
    pts = loss[np.all(loss < ref, axis=1)]
    if pts.shape[0] == 0:
        return 0.0
    return _hv(pts, ref)

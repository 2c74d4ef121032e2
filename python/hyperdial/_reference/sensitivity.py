"""NumPy mirror of ``cpp/include/hyperdial/sensitivity.hpp``: Sobol' indices of a GP surface.

Written the slow, obvious way from the header's formulas: the whole Saltelli design as one
matrix, the kernel matrix against it from :mod:`hyperdial._reference.gp`, the estimators as
array expressions. For tests only (small n and N).

Arrays: ``x`` ``(n, d)``, ``mask`` ``(n, d)`` or None, ``alphas`` ``(n, S)``, ``u`` ``(m, p)``;
the inputs ``n_cells`` ``(d,)``, ``cdf`` ``(B,)``, ``branch_mask``, ``lower``, ``upper``
``(B, d)``, ``codes`` ``(B * d, K)`` as in the header.

Example:
    >>> import numpy as np
    >>> q = inputs_map([0], np.array([1.0]), np.ones((1, 1)), np.zeros((1, 1)),
    ...                np.ones((1, 1)), np.full((1, 1), np.nan), [0], np.array([[0.25]]))
    >>> q.tolist()
    [[0.25]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from hyperdial._reference.gp import kernel_matrix
from hyperdial._reference.sobol import sobol_sample

Array = NDArray[np.float64]
CATEGORICAL = 2


def inputs_map(
    n_cells: Sequence[int],
    cdf: Array,
    branch_mask: Array,
    lower: Array,
    upper: Array,
    codes: Array,
    kinds: Sequence[int],
    u: Array,
) -> Array:
    """The queries ``(m, d)`` for the rows of ``u``: branch by the last column (when there are
    several branches), then each dimension mapped as the header says."""
    d = len(kinds)
    m = u.shape[0]
    b = np.zeros(m, dtype=int)
    if cdf.size > 1:
        b = np.minimum(np.searchsorted(cdf, u[:, d], side="right"), cdf.size - 1)
    q = np.empty((m, d))
    for j in range(d):
        on = branch_mask[b, j] != 0
        if kinds[j] == CATEGORICAL:
            rows = codes[b * d + j]
            count = (~np.isnan(rows)).sum(axis=1)
            k = np.minimum(count - 1, np.floor(u[:, j] * count).astype(int))
            k = np.maximum(k, 0)
            q[:, j] = np.where(on, rows[np.arange(m), k], -1.0)
            continue
        t = lower[b, j] + u[:, j] * (upper[b, j] - lower[b, j])
        c = n_cells[j]
        if c > 0:
            t = (np.minimum(c - 1, np.floor(t * c)) + 0.5) / c
        q[:, j] = np.where(on, t, 0.5)
    return q


def sobol_indices(
    kernel: int,
    kinds: Sequence[int],
    theta: Array,
    x: Array,
    mask: Array | None,
    alphas: Array,
    n_cells: Sequence[int],
    cdf: Array,
    branch_mask: Array,
    lower: Array,
    upper: Array,
    codes: Array,
    n_base: int,
    seed: int,
) -> tuple[Array, Array, Array, Array]:
    """(first (S, p), total (S, p), variance (S,), mean (S,)): the header's estimators."""
    d = len(kinds)
    p = d + (1 if cdf.size > 1 else 0)
    ab = sobol_sample(2 * p, 0, n_base, True, seed)
    a, bm = ab[:, :p], ab[:, p:]
    design = [a, bm]
    for j in range(p):
        abj = a.copy()
        abj[:, j] = bm[:, j]
        design.append(abj)
    u = np.vstack(design)
    q = inputs_map(n_cells, cdf, branch_mask, lower, upper, codes, kinds, u)
    f = kernel_matrix(kernel, kinds, theta, q, x, None, mask) @ alphas  # (m, S)
    n = n_base
    f0 = f[: 2 * n].mean(axis=0)
    fc = f - f0
    v = (fc[: 2 * n] ** 2).mean(axis=0)
    fa, fb = fc[:n], fc[n : 2 * n]
    first = np.empty((alphas.shape[1], p))
    total = np.empty((alphas.shape[1], p))
    for j in range(p):
        fab = fc[(2 + j) * n : (3 + j) * n]
        first[:, j] = (fb * (fab - fa)).mean(axis=0) / v
        total[:, j] = ((fa - fab) ** 2).mean(axis=0) / 2 / v
    return first, total, v, f0

"""Survivor selection of the NSGA samplers in NumPy: constrained non-dominated sorting, crowding
distance (NSGA-II) and reference-point niching (NSGA-III).

Arrays (``n`` candidates, ``m`` objectives, ``r`` reference points):
    loss: (n, m) float64, every objective minimised (maximised ones negated by the caller);
        ±inf allowed, NaN not.
    violation: (n,) float64, the total constraint violation ``sum(max(c, 0))`` (0: feasible),
        or None when no candidate has constraints.
    rank: (n,) int64, 0 for the first front.
    reference: (r, m) float64 reference points on the unit simplex (NSGA-III).

* **Constrained domination** (Deb, Pratap, Agarwal and Meyarivan, "A fast and elitist
  multiobjective genetic algorithm: NSGA-II", IEEE TEC 6(2), 2002, Sec. VI): a feasible
  candidate beats an infeasible one, two infeasible ones compare by their total violation, two
  feasible ones by Pareto dominance. So the feasible candidates take the first fronts
  (non-dominated sorting) and the infeasible ones the following fronts, one per distinct
  violation, smallest first.
* **Non-dominated sorting** peels fronts with
  :func:`hyperdial.visualization._hypervolume.nondominated_mask` (one vectorised comparison per
  front member), which gives the fronts of Deb et al.'s fast non-dominated sort; one objective
  is ranked directly by value.
* **Crowding distance** (Deb et al. 2002, Sec. III-B): per objective, sort the front; the two
  ends get infinity and every other member the gap between its neighbours divided by the
  objective's range; the distance is the sum over objectives.
* **NSGA-III niching** (Deb and Jain, "An evolutionary many-objective optimization algorithm
  using reference-point-based nondominated sorting approach, Part I", IEEE TEC 18(4), 2014,
  Algorithms 2-4): normalise the selected fronts by the ideal point and the intercepts of the
  hyperplane through the extreme points; associate each candidate with the reference line
  nearest to it (perpendicular distance); fill the last front niche by niche, always from a
  reference point with the fewest members chosen so far.

Infinite objective values are replaced by finite stand-ins beyond the finite ones
(:func:`finite_loss`) before distances are measured, so an infinite value is an extreme, not a
NaN.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = [
    "constrained_ranks",
    "crowding_distance",
    "das_dennis",
    "finite_loss",
    "select_nsga2",
    "select_nsga3",
]


def finite_loss(loss: np.ndarray) -> np.ndarray:
    """``loss`` with ``+inf`` (``-inf``) replaced, per objective, by the largest (smallest)
    finite value plus (minus) the finite range, or ±1 when there is no finite range."""
    loss = np.array(loss, dtype=float)
    if np.all(np.isfinite(loss)):
        return loss
    fin = np.isfinite(loss)
    with np.errstate(invalid="ignore"):
        hi = np.where(fin, loss, -np.inf).max(axis=0)
        lo = np.where(fin, loss, np.inf).min(axis=0)
    has = np.isfinite(hi)
    span = np.where(has, hi - lo, 0.0)
    span = np.where(span > 0, span, 1.0)
    hi = np.where(has, hi, 0.0) + span
    lo = np.where(has, lo, 0.0) - span
    out: np.ndarray = np.where(loss == np.inf, hi, np.where(loss == -np.inf, lo, loss))
    return out


def _nondominated_ranks(loss: np.ndarray) -> np.ndarray:
    """(n,) front index of each row of ``loss`` (n, m) under Pareto dominance."""
    n, m = loss.shape
    rank = np.zeros(n, dtype=np.int64)
    if n == 0:
        return rank
    if m == 1:
        inverse: np.ndarray = np.unique(loss[:, 0], return_inverse=True)[1]
        single: np.ndarray = inverse.astype(np.int64).reshape(n)
        return single
    from hyperdial.visualization._hypervolume import nondominated_mask

    remaining = np.arange(n)
    front = 0
    while remaining.size:
        mask = nondominated_mask(loss[remaining])
        rank[remaining[mask]] = front
        remaining = remaining[~mask]
        front += 1
    return rank


def constrained_ranks(loss: np.ndarray, violation: np.ndarray | None) -> np.ndarray:
    """(n,) front of each candidate under constrained domination (see the module docstring).

    Example:
        >>> loss = np.array([[1.0, 2.0], [2.0, 1.0], [2.0, 2.0], [0.0, 0.0], [0.0, 0.0]])
        >>> constrained_ranks(loss, np.array([0.0, 0.0, 0.0, 3.0, 1.0])).tolist()
        [0, 0, 1, 3, 2]
    """
    loss = np.asarray(loss, dtype=float)
    n = loss.shape[0]
    if violation is None:
        return _nondominated_ranks(loss)
    violation = np.asarray(violation, dtype=float)
    if violation.shape != (n,):
        raise ValueError(f"`violation` must have shape ({n},), got {violation.shape}.")
    feasible = ~(violation > 0)
    rank = np.empty(n, dtype=np.int64)
    rank[feasible] = _nondominated_ranks(loss[feasible])
    n_fronts = int(rank[feasible].max()) + 1 if feasible.any() else 0
    if (~feasible).any():
        inverse = np.unique(violation[~feasible], return_inverse=True)[1].reshape(-1)
        rank[~feasible] = n_fronts + inverse
    return rank


def crowding_distance(loss: np.ndarray) -> np.ndarray:
    """(n,) crowding distance of the members of one front ``loss`` (n, m).

    Ties in an objective are ordered by position (a stable sort), so of two equal extreme
    values the first gets the infinite distance.

    Example:
        >>> crowding_distance(np.array([[0.0, 4.0], [1.0, 1.0], [3.0, 0.0]])).tolist()
        [inf, 2.0, inf]
    """
    loss = finite_loss(loss)
    n = loss.shape[0]
    dist = np.zeros(n)
    if n <= 2:
        dist[:] = np.inf
        return dist
    order = np.argsort(loss, axis=0, kind="stable")
    ranked = np.take_along_axis(loss, order, axis=0)
    span = ranked[-1] - ranked[0]
    gaps = ranked[2:] - ranked[:-2]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(span > 0, gaps / np.where(span > 0, span, 1.0), 0.0)
    np.add.at(dist, order[1:-1].reshape(-1), share.reshape(-1))
    dist[order[0]] = np.inf
    dist[order[-1]] = np.inf
    return dist


def select_nsga2(loss: np.ndarray, violation: np.ndarray | None, k: int) -> np.ndarray:
    """Indices of the ``k`` survivors, best first: whole fronts in order, and the front that
    does not fit whole cut by crowding distance (largest first; ties by position).

    Example:
        >>> loss = np.array([[0.0, 4.0], [1.0, 3.5], [2.0, 2.0], [4.0, 0.0], [3.0, 3.0]])
        >>> select_nsga2(loss, None, 3).tolist()
        [0, 3, 2]
    """
    loss = np.asarray(loss, dtype=float)
    n = loss.shape[0]
    if k >= n:
        k = n
    rank = constrained_ranks(loss, violation)
    crowd = np.empty(n)
    for r in np.unique(rank):  # one vectorised call per front
        members = np.flatnonzero(rank == r)
        crowd[members] = crowding_distance(loss[members])
    order = np.lexsort((np.arange(n), -crowd, rank))
    out: np.ndarray = order[:k]
    return out


def das_dennis(n_objectives: int, divisions: int) -> np.ndarray:
    """The ``C(m + p - 1, p)`` points of the unit simplex whose coordinates are multiples of
    ``1 / p`` (Das and Dennis, "Normal-boundary intersection", SIAM J. Optim. 8(3), 1998;
    the structured reference points of Deb and Jain 2014, Sec. IV-B).

    Each point is a way of putting ``p`` units into ``m`` coordinates; a choice of ``m - 1``
    bar positions among ``p + m - 1`` slots ("stars and bars") gives the counts.

    Example:
        >>> das_dennis(3, 2).tolist()
        [[0.0, 0.0, 1.0], [0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]
    """  # noqa: E501
    m, p = n_objectives, divisions
    if m == 1:
        return np.ones((1, 1))
    bars = np.array(list(itertools.combinations(range(p + m - 1), m - 1)), dtype=np.int64)
    edges = np.hstack(
        [np.full((bars.shape[0], 1), -1), bars, np.full((bars.shape[0], 1), p + m - 1)]
    )
    counts = np.diff(edges, axis=1) - 1
    out: np.ndarray = counts / float(p)
    return out


def _normalize(loss: np.ndarray) -> np.ndarray:
    """Deb and Jain 2014, Algorithm 2: translate by the ideal point, divide by the intercepts
    of the hyperplane through the extreme points (the minimisers of the achievement
    scalarising function along each axis); fall back to the per-objective maximum when the
    hyperplane is degenerate (singular, or an intercept not positive)."""
    m = loss.shape[1]
    shifted = loss - loss.min(axis=0)
    weights = np.full((m, m), 1e-6) + np.eye(m) * (1.0 - 1e-6)
    asf = (shifted[None, :, :] / weights[:, None, :]).max(axis=2)  # (m, n)
    extreme = shifted[np.argmin(asf, axis=1)]  # (m, m)
    worst = shifted.max(axis=0)
    intercepts = worst
    try:
        plane = np.linalg.solve(extreme, np.ones(m))
        with np.errstate(divide="ignore"):
            candidate = 1.0 / plane
        if np.all(np.isfinite(candidate)) and np.all(candidate > 1e-12):
            intercepts = candidate
    except np.linalg.LinAlgError:
        pass
    intercepts = np.where(intercepts > 1e-12, intercepts, 1.0)
    out: np.ndarray = shifted / intercepts
    return out


def select_nsga3(
    loss: np.ndarray,
    violation: np.ndarray | None,
    k: int,
    reference: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Indices of the ``k`` survivors: whole fronts in order, then the members of the front
    that does not fit whole picked by reference-point niching, in the order picked.

    Normalisation and association use the candidates of the selected fronts and of the cut
    front (Deb and Jain's ``S_t``); ties between reference points with equally few members
    are broken by ``rng``.
    """
    loss = finite_loss(loss)
    n = loss.shape[0]
    if k >= n:
        k = n
    rank = constrained_ranks(loss, violation)
    order = np.lexsort((np.arange(n), rank))
    if k == n:
        return order
    last = rank[order[k - 1]]
    chosen = order[rank[order] < last]
    if chosen.size == k or rank[order[k]] != last:
        out: np.ndarray = order[:k]
        return out
    front = np.flatnonzero(rank == last)
    pool = np.concatenate([chosen, front])
    norm = _normalize(loss[pool])
    ref = np.asarray(reference, dtype=float)
    unit = ref / np.linalg.norm(ref, axis=1, keepdims=True)
    along = norm @ unit.T  # (|pool|, r) length of the projection on each reference line
    perp2 = np.maximum((norm**2).sum(axis=1, keepdims=True) - along**2, 0.0)
    nearest = np.argmin(perp2, axis=1)
    distance = np.sqrt(perp2[np.arange(pool.size), nearest])
    niche = np.bincount(nearest[: chosen.size], minlength=ref.shape[0]).astype(float)
    cand_ref = nearest[chosen.size :]
    cand_dist = distance[chosen.size :]
    free = np.ones(front.size, dtype=bool)
    picked: list[int] = []
    need = k - chosen.size
    while len(picked) < need:  # one pick per survivor of the cut front
        fewest = np.flatnonzero(niche == niche.min())
        j = int(fewest[rng.integers(fewest.size)]) if fewest.size > 1 else int(fewest[0])
        members = np.flatnonzero(free & (cand_ref == j))
        if members.size == 0:
            niche[j] = math.inf  # no candidate left for this reference point
            continue
        if niche[j] == 0:
            i = int(members[np.argmin(cand_dist[members])])
        else:
            i = int(members[rng.integers(members.size)])
        free[i] = False
        picked.append(i)
        niche[j] += 1
    out = np.concatenate([chosen, front[np.asarray(picked, dtype=np.int64)]])
    return out

"""The study's history as NumPy columns, kept up to date incrementally.

Only trials that changed since the last update are read (``get_trials_changed_since``), and
each is written into row ``trial.number``; so the Python work per trial is proportional to the
number of its parameters, not to the size of the study.

Columns (``cap`` rows, the first ``n`` used):
    state: (cap,) int8, a :class:`TrialState` value, -1 for rows not seen yet.
    values: (cap, n_objectives) float64 losses (values negated for maximised objectives).
    violation: (cap,) float64, the sum of positive constraint values (0: feasible).
    last_step: (cap,) float64, the last step a trial reported (``trial.report``), NaN if none.
    last_loss: (cap,) float64, its value there as a loss (negated when maximising; NaN -> inf).
    params[name]: (cap,) float64 internal values, NaN where the trial lacks the parameter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    internal_to_unit,
)
from hyperdial.samplers._arrays import grown
from hyperdial.samplers._tpe._space import to_unit
from hyperdial.trial._frozen import CONSTRAINTS_KEY
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["History", "same_distributions"]

_FINISHED_FOR_SPACE = (TrialState.COMPLETE, TrialState.PRUNED)
_FINISHED_CODES = (int(TrialState.COMPLETE), int(TrialState.PRUNED))


def _scalar_unit(dist: BaseDistribution, v: float) -> float:
    """:func:`to_unit` for one value."""
    if math.isnan(v) or not (dist.low <= v <= dist.high):  # type: ignore[attr-defined]
        return math.nan
    return min(max(internal_to_unit(dist, v), 0.0), 1.0)


def _cell_of(dist: BaseDistribution) -> Callable[[float], float]:
    """The function ``matrix`` applies to one internal value of a column of ``dist``."""
    if _is_categorical(dist):
        n = len(dist.choices)
        return lambda v: v if 0 <= v < n else math.nan
    if (
        type(dist) is FloatDistribution
        and dist.step is None
        and not dist.log
        and dist.high > dist.low
        and math.isfinite(dist.high - dist.low)
    ):
        # _scalar_unit's arithmetic for a plain float range, without its dispatch.
        low, high, span = dist.low, dist.high, dist.high - dist.low
        return lambda v: min(max((v - low) / span, 0.0), 1.0) if low <= v <= high else math.nan
    return partial(_scalar_unit, dist)


def same_distributions(a: tuple[BaseDistribution, ...], b: tuple[BaseDistribution, ...]) -> bool:
    """Whether two tuples of distributions are equal (identity first: it is the common case)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x is not y and x != y:
            return False
    return True


def _is_categorical(dist: BaseDistribution) -> TypeGuard[CategoricalDistribution]:
    return type(dist) is CategoricalDistribution or isinstance(dist, CategoricalDistribution)


class History:
    """Columns of one study's trials plus the group decomposition of its search space."""

    def __init__(self, study: Study) -> None:
        self.study_key = (id(study._storage), study._study_id)
        self._sign_list = [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions]
        self.signs = np.array(self._sign_list)
        self.mark = 0
        self.n = 0
        self._finished = 0
        self._cap = 64
        self.state = np.full(self._cap, -1, dtype=np.int8)
        self.values = np.full((self._cap, len(self.signs)), np.nan)
        self.violation = np.zeros(self._cap)
        self.last_step = np.full(self._cap, np.nan)
        self.last_loss = np.full(self._cap, np.nan)
        self.params: dict[str, np.ndarray] = {}
        #: The distribution each parameter had in the latest finished trial that used it.
        self.dists: dict[str, BaseDistribution] = {}
        #: Parameter sets that always appear together in finished trials (Optuna's "group").
        self.groups: list[frozenset[str]] = []
        #: Parameters every COMPLETE trial has (for group=False).
        self.intersection: set[str] | None = None
        self._grouped = np.zeros(self._cap, dtype=bool)
        self.has_constraints = False
        #: Rows written per parameter, in order, so that derived columns update incrementally.
        self._written: dict[str, list[int]] = {}
        #: (name, distribution) -> [unit positions (cap,), how many of _written[name] applied]
        self._units: dict[tuple[str, BaseDistribution], list[Any]] = {}
        self._last_units: dict[str, tuple[BaseDistribution, list[Any]]] = {}
        #: Rows whose parameters changed, in order (for the group matrices).
        self._log: list[int] = []
        #: names -> [distributions, (cap, d) matrix, how many of _log applied, per-column
        #: functions from an internal value to the matrix entry]
        self._mats: dict[tuple[str, ...], list[Any]] = {}

    def _grow(self, need: int) -> None:
        cap = self._cap
        while cap < need:
            cap *= 2
        if cap == self._cap:
            return

        def grow(a: np.ndarray, fill: float) -> np.ndarray:
            return grown(a, cap, fill)

        self.state = grow(self.state, -1)
        self.values = grow(self.values, np.nan)
        self.violation = grow(self.violation, 0.0)
        self.last_step = grow(self.last_step, np.nan)
        self.last_loss = grow(self.last_loss, np.nan)
        self._grouped = grow(self._grouped, False)
        self.params = {k: grow(v, np.nan) for k, v in self.params.items()}
        self._cap = cap

    def update(self, study: Study) -> None:
        changed, self.mark = study._storage.get_trials_changed_since(study._study_id, self.mark)
        for t in changed:
            self._write(t)

    def _write(self, t: FrozenTrial) -> None:
        # Called for every changed trial: scalar Python and .item() reads, no small arrays.
        row = t.number
        if row >= self._cap:
            self._grow(row + 1)
        if row >= self.n:
            self.n = row + 1
        state = t.state
        finished = state in _FINISHED_FOR_SPACE
        old = self.state.item(row)
        self._finished += int(finished) - int(old in _FINISHED_CODES)
        self.state[row] = int(state)
        vals = t.values
        if vals is not None and len(vals) == len(self._sign_list):
            self.values[row] = [float(v) * s for v, s in zip(vals, self._sign_list, strict=True)]
        cons = t.system_attrs.get(CONSTRAINTS_KEY)
        if cons:
            self.has_constraints = True
            self.violation[row] = float(sum(max(float(c), 0.0) for c in cons.values()))
        if t.intermediate_values:
            step = max(t.intermediate_values)
            v = float(t.intermediate_values[step]) * float(self.signs[0])
            self.last_step[row] = step
            self.last_loss[row] = math.inf if math.isnan(v) else v
        dists = t.distributions
        columns = self.params
        changed = False
        for name, value in t.params.items():
            col = columns.get(name)
            if col is None:
                col = columns[name] = np.full(self._cap, np.nan)
            dist = dists[name]
            internal = dist.to_internal_repr(value)
            if col.item(row) != internal:  # NaN (not yet written) differs from everything
                col[row] = internal
                self._written.setdefault(name, []).append(row)
                changed = True
            if finished:
                self.dists[name] = dist
        if changed:
            self._log.append(row)
        if finished and not self._grouped.item(row):
            self._grouped[row] = True
            self._decompose(frozenset(t.params))
            if state == TrialState.COMPLETE:
                names = set(t.params)
                self.intersection = (
                    names if self.intersection is None else self.intersection & names
                )

    def _decompose(self, names: frozenset[str]) -> None:
        """Splits the groups so that each is either inside ``names`` or disjoint from it."""
        if names in self.groups:
            return  # the groups partition the names seen: the others are disjoint from it
        new: list[frozenset[str]] = []
        rest = set(names)
        for g in self.groups:
            inside, outside = g & names, g - names
            rest -= g
            new.extend(s for s in (inside, outside) if s)
        if rest:
            new.append(frozenset(rest))
        self.groups = new

    def units(self, name: str, dist: BaseDistribution) -> np.ndarray:
        """(n,) unit positions of parameter ``name`` under ``dist`` (NaN: missing/outside).

        Only rows written since the previous call with the same distribution are converted.
        """
        last = self._last_units.get(name)
        entry: list[Any] | None
        # The common case is the same distribution as last time.
        if last is not None and (last[0] is dist or last[0] == dist):
            entry = last[1]
        else:
            entry = self._units.get((name, dist))
        if entry is None:
            entry = self._units[(name, dist)] = [np.full(self._cap, np.nan), 0]
        if entry[0].shape[0] < self._cap:
            grown = np.full(self._cap, np.nan)
            grown[: entry[0].shape[0]] = entry[0]
            entry[0] = grown
        written = self._written.get(name, [])
        if entry[1] < len(written):
            col, unit = self.params[name], entry[0]
            if len(written) - entry[1] <= 16:  # a few new rows: scalar code is faster
                for row in written[entry[1] :]:
                    unit[row] = _scalar_unit(dist, float(col[row]))
            else:
                rows = np.asarray(written[entry[1] :], dtype=np.int64)
                unit[rows] = to_unit(dist, col[rows])
            entry[1] = len(written)
        self._last_units[name] = (dist, entry)
        out: np.ndarray = entry[0][: self.n]
        return out

    def matrix(self, names: tuple[str, ...], dists: tuple[BaseDistribution, ...]) -> np.ndarray:
        """(n, d) columns of ``names``: unit positions for numeric parameters, choice indices
        for categorical ones; NaN where a trial lacks the parameter or its value lies outside.

        Kept per group and updated only in the rows written since the previous call, so a
        trial costs O(d) Python work however large the study.
        """
        entry = self._mats.get(names)
        if entry is not None and not same_distributions(entry[0], dists):
            entry = None
        if entry is None:
            mat = np.full((self._cap, len(names)), np.nan)
            for k, (name, dist) in enumerate(zip(names, dists, strict=True)):
                col = self.params.get(name)
                if col is None:
                    continue
                if _is_categorical(dist):
                    raw = col[: self.n]
                    inside = (raw >= 0) & (raw < len(dist.choices))
                    mat[: self.n, k] = np.where(inside, raw, np.nan)
                else:
                    mat[: self.n, k] = to_unit(dist, col[: self.n])
            entry = self._mats[names] = [dists, mat, len(self._log), [_cell_of(d) for d in dists]]
            return mat[: self.n]
        mat = entry[1]
        if mat.shape[0] < self._cap:
            grown = np.full((self._cap, len(names)), np.nan)
            grown[: mat.shape[0]] = mat
            mat = entry[1] = grown
        if entry[2] < len(self._log):
            cols = [self.params.get(name) for name in names]
            parts = list(zip(entry[3], cols, strict=True))
            for row in set(self._log[entry[2] :]):
                mat[row] = [
                    cell(math.nan if col is None else col.item(row)) for cell, col in parts
                ]
            entry[2] = len(self._log)
        out: np.ndarray = mat[: self.n]
        return out

    def n_finished(self) -> int:
        """How many trials are COMPLETE or PRUNED (counted as rows are written)."""
        return self._finished

    def count(self, state: TrialState) -> int:
        return int(np.count_nonzero(self.state[: self.n] == int(state)))

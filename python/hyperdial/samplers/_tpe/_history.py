"""A study's trials as NumPy columns for TPESampler, and the group decomposition of its space.

Built on :class:`~hyperdial.samplers._trial_columns.TrialColumns` (``state``, ``params``, read
incrementally from the storage's change feed). Columns it adds (``cap`` rows, the first ``n``
used):
    values: (cap, n_objectives) float64 losses (values negated for maximised objectives).
    violation: (cap,) float64, the sum of positive constraint values (0: feasible).
    last_step: (cap,) float64, the last step a trial reported (``trial.report``), NaN if none.
    last_loss: (cap,) float64, its value there as a loss (negated when maximising; NaN -> inf).

and, derived from ``params`` and updated only in the rows written since they were last asked
for, the unit positions of a parameter (:meth:`History.units`) and the matrix of a group of
parameters (:meth:`History.matrix`) in the unit cube of :mod:`hyperdial.samplers._unit_cube`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard

import numpy as np

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
)
from hyperdial.samplers._trial_columns import TrialColumns, grown
from hyperdial.samplers._unit_cube import code_of, to_codes, to_unit, unit_of
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["History", "same_distributions"]

_FINISHED_CODES = (int(TrialState.COMPLETE), int(TrialState.PRUNED))


def _cell_of(dist: BaseDistribution) -> Callable[[float], float]:
    """The function ``matrix`` applies to one internal value of a column of ``dist``."""
    if _is_categorical(dist):
        return partial(code_of, len(dist.choices))
    if (
        type(dist) is FloatDistribution
        and dist.step is None
        and not dist.log
        and dist.high > dist.low
        and math.isfinite(dist.high - dist.low)
    ):
        # unit_of's arithmetic for a plain float range, without its dispatch.
        low, high, span = dist.low, dist.high, dist.high - dist.low
        return lambda v: min(max((v - low) / span, 0.0), 1.0) if low <= v <= high else math.nan
    return partial(unit_of, dist)


def same_distributions(a: tuple[BaseDistribution, ...], b: tuple[BaseDistribution, ...]) -> bool:
    """Whether two tuples of distributions are equal (identity first: it is the common case)."""
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))


def _is_categorical(dist: BaseDistribution) -> TypeGuard[CategoricalDistribution]:
    return type(dist) is CategoricalDistribution or isinstance(dist, CategoricalDistribution)


class History(TrialColumns):
    """Columns of one study's trials plus the group decomposition of its search space."""

    def __init__(self, study: Study) -> None:
        super().__init__(study)
        self._finished = 0
        self.values = np.full((self._cap, len(self.signs)), np.nan)
        self.violation = np.zeros(self._cap)
        self.last_step = np.full(self._cap, np.nan)
        self.last_loss = np.full(self._cap, np.nan)
        #: Parameter sets that always appear together in finished trials (the decomposition of
        #: a define-by-run space that Optuna's TPE calls ``group``).
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

    def _resize(self, cap: int) -> None:
        super()._resize(cap)
        self.values = grown(self.values, cap, np.nan)
        self.violation = grown(self.violation, cap, 0.0)
        self.last_step = grown(self.last_step, cap, np.nan)
        self.last_loss = grown(self.last_loss, cap, np.nan)
        self._grouped = grown(self._grouped, cap, False)

    def _write(self, t: FrozenTrial, row: int) -> None:
        # Called for every changed trial: scalar Python and .item() reads, no small arrays.
        state = t.state
        finished = state in self.DIST_STATES
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
        changed = self._write_params(t, row)
        for name in changed:
            self._written.setdefault(name, []).append(row)
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
            entry[0] = grown(entry[0], self._cap, np.nan)
        written = self._written.get(name, [])
        if entry[1] < len(written):
            col, unit = self.params[name], entry[0]
            if len(written) - entry[1] <= 16:  # a few new rows: scalar code is faster
                for row in written[entry[1] :]:
                    unit[row] = unit_of(dist, float(col[row]))
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
                    mat[: self.n, k] = to_codes(dist, col[: self.n])
                else:
                    mat[: self.n, k] = to_unit(dist, col[: self.n])
            entry = self._mats[names] = [dists, mat, len(self._log), [_cell_of(d) for d in dists]]
            return mat[: self.n]
        mat = entry[1]
        if mat.shape[0] < self._cap:
            mat = entry[1] = grown(mat, self._cap, np.nan)
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

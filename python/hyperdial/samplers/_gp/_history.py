"""A study's trials as NumPy columns for the GP sampler, updated incrementally.

Only trials changed since the last update are read (``get_trials_changed_since``); trial
``number`` is row ``number``.

Columns (``cap`` rows, the first ``n`` used):
    state: (cap,) int8 :class:`TrialState` value, -1 for rows not seen yet.
    losses: (cap, n_objectives) float64 values, negated for maximised objectives (NaN: none).
    last_report: (cap,) float64 last intermediate value, negated when maximising (NaN: none).
    constraints[name]: (cap,) float64 constraint values (NaN: the trial has none).
    params[name]: (cap,) float64 internal values (NaN: the trial lacks the parameter).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.distributions import BaseDistribution
from hyperdial.samplers._arrays import grown
from hyperdial.trial._frozen import CONSTRAINTS_KEY
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["GPHistory"]

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


class GPHistory:
    """Columns of one study's trials (see the module docstring)."""

    def __init__(self, study: Study) -> None:
        self.signs = np.array(
            [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions]
        )
        self.mark = 0
        self.n = 0
        self._cap = 64
        self.state = np.full(self._cap, -1, dtype=np.int8)
        self.losses = np.full((self._cap, len(self.signs)), np.nan)
        self.last_report = np.full(self._cap, np.nan)
        self.constraints: dict[str, np.ndarray] = {}
        self.params: dict[str, np.ndarray] = {}
        #: The distribution each parameter had in the latest finished trial that used it.
        self.dists: dict[str, BaseDistribution] = {}
        #: Bumped whenever a row that was finished before changes (rare: a trial re-told).
        self.version = 0

    def _grow(self, need: int) -> None:
        cap = self._cap
        while cap < need:
            cap *= 2
        if cap == self._cap:
            return

        def grow(a: np.ndarray, fill: float) -> np.ndarray:
            return grown(a, cap, fill)

        self.state = grow(self.state, -1)
        self.losses = grow(self.losses, np.nan)
        self.last_report = grow(self.last_report, np.nan)
        self.constraints = {k: grow(v, np.nan) for k, v in self.constraints.items()}
        self.params = {k: grow(v, np.nan) for k, v in self.params.items()}
        self._cap = cap

    def update(self, study: Study) -> None:
        """Reads the trials that changed since the previous update."""
        changed, self.mark = study._storage.get_trials_changed_since(study._study_id, self.mark)
        for t in changed:
            self._write(t)

    def _column(self, table: dict[str, np.ndarray], name: str) -> np.ndarray:
        col = table.get(name)
        if col is None:
            col = table[name] = np.full(self._cap, np.nan)
        return col

    def _write(self, t: FrozenTrial) -> None:
        row = t.number
        if row >= self._cap:
            self._grow(row + 1)
        self.n = max(self.n, row + 1)
        if self.state[row] in (int(s) for s in _FINISHED):
            self.version += 1
        self.state[row] = int(t.state)
        vals = t.values
        if vals is not None and len(vals) == len(self.signs):
            self.losses[row] = np.asarray(vals, dtype=float) * self.signs
        else:
            self.losses[row] = np.nan
        if t.intermediate_values and len(self.signs) == 1:
            last = t.intermediate_values[max(t.intermediate_values)]
            self.last_report[row] = float(last) * self.signs[0] if math.isfinite(last) else np.nan
        for name, value in dict(t.system_attrs.get(CONSTRAINTS_KEY) or {}).items():
            self._column(self.constraints, name)[row] = float(value)
        dists = t.distributions
        finished = t.state in _FINISHED
        for name, value in t.params.items():
            dist = dists[name]
            self._column(self.params, name)[row] = dist.to_internal_repr(value)
            if finished:
                self.dists[name] = dist

    def rows(self, state: TrialState) -> np.ndarray:
        """Trial numbers in ``state``, ascending."""
        return np.flatnonzero(self.state[: self.n] == int(state))

    def count(self, state: TrialState) -> int:
        return int(np.count_nonzero(self.state[: self.n] == int(state)))

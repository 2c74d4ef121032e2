"""A study's trials as NumPy columns for GPSampler (see :mod:`hyperdial.samplers._trial_columns`).

Columns besides ``state`` and ``params`` (``cap`` rows, the first ``n`` used):
    losses: (cap, n_objectives) float64 values, negated for maximised objectives (NaN: none).
    last_report: (cap,) float64 last intermediate value, negated when maximising (NaN: none,
        not finite, or several objectives).
    constraints[name]: (cap,) float64 constraint values (NaN: the trial has none).
    stderr: (cap,) float64 standard error of the value the objective reported as the user
        attribute ``STDERR_ATTR`` (NaN: none, or not a finite number >= 0).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hyperdial.samplers._trial_columns import TrialColumns, grown
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["STDERR_ATTR", "GPHistory"]

#: User attribute in which an objective reports the standard error of the value it returns.
STDERR_ATTR = "value_stderr"

_FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
_FINISHED_CODES = tuple(int(s) for s in _FINISHED)


class GPHistory(TrialColumns):
    """Columns of one study's trials (see the module docstring).

    ``dists`` also takes FAIL trials' distributions: a parameter a failing trial used is part
    of the space GPSampler proposes in.
    """

    DIST_STATES: ClassVar[tuple[TrialState, ...]] = _FINISHED

    def __init__(self, study: Study) -> None:
        super().__init__(study)
        self.losses = np.full((self._cap, len(self.signs)), np.nan)
        self.last_report = np.full(self._cap, np.nan)
        self.stderr = np.full(self._cap, np.nan)
        self.constraints: dict[str, np.ndarray] = {}
        #: Bumped whenever a row that was finished before changes (rare: a trial re-told).
        self.version = 0

    def _resize(self, cap: int) -> None:
        super()._resize(cap)
        self.losses = grown(self.losses, cap, np.nan)
        self.last_report = grown(self.last_report, cap, np.nan)
        self.stderr = grown(self.stderr, cap, np.nan)
        self.constraints = {k: grown(v, cap, np.nan) for k, v in self.constraints.items()}

    def _write(self, t: FrozenTrial, row: int) -> None:
        if self.state.item(row) in _FINISHED_CODES:
            self.version += 1
        super()._write(t, row)
        vals = t.values
        if vals is not None and len(vals) == len(self.signs):
            self.losses[row] = np.asarray(vals, dtype=float) * self.signs
        else:
            self.losses[row] = np.nan
        if t.intermediate_values and len(self.signs) == 1:
            last = t.intermediate_values[max(t.intermediate_values)]
            self.last_report[row] = float(last) * self.signs[0] if math.isfinite(last) else np.nan
        self.stderr[row] = _stderr(t.user_attrs.get(STDERR_ATTR))
        for name, value in dict(t.system_attrs.get(CONSTRAINTS_KEY) or {}).items():
            self._column(self.constraints, name)[row] = float(value)


def _stderr(value: object) -> float:
    """A reported standard error as a float; NaN for anything but a finite number >= 0 (a
    bool, a string or a negative number carries no noise level)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return math.nan
    v = float(value)
    return v if math.isfinite(v) and v >= 0 else math.nan

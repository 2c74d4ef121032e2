"""A study's trials as growable NumPy columns, kept current from the storage's change feed.

The model-based samplers (GP, TPE and BOHB through TPE) need the whole history as arrays at
every trial. Rebuilding them from ``get_all_trials`` would cost Python work proportional to the
study; instead :class:`TrialColumns` reads only the trials that changed since its last read
(``BaseStorage.get_trials_changed_since`` and its ``mark``) and writes each into row
``trial.number``, so a trial costs work proportional to its own parameters. Subclasses add the
columns their sampler needs (``_gp/_history.py``, ``_tpe/_history.py``).

Columns (``cap`` rows, the first ``n`` used):
    state: (cap,) int8, a :class:`TrialState` value, -1 for rows not seen yet.
    params[name]: (cap,) float64 internal values, NaN where the trial lacks the parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.distributions import BaseDistribution
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["TrialColumns", "grown"]


def grown(a: np.ndarray, rows: int, fill: float) -> np.ndarray:
    """A copy of ``a`` with ``rows`` rows (at least ``len(a)``), new rows set to ``fill``."""
    out = np.full((rows, *a.shape[1:]), fill, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out


class TrialColumns:
    """Trial states and parameter values of one study, updated incrementally.

    Subclasses write their own columns in :meth:`_write` and grow them in :meth:`_resize`.

    Attributes:
        signs: (n_objectives,) 1.0 for minimised and -1.0 for maximised objectives, so that
            ``value * sign`` is a loss.
        dists: The distribution each parameter had in the latest trial that used it and whose
            state is in ``DIST_STATES``.
    """

    #: Trial states whose distributions define ``dists`` (the search space the model sees).
    DIST_STATES: ClassVar[tuple[TrialState, ...]] = (TrialState.COMPLETE, TrialState.PRUNED)

    def __init__(self, study: Study) -> None:
        self.study_key = (id(study._storage), study._study_id)
        self._sign_list = [-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in study.directions]
        self.signs = np.array(self._sign_list)
        self.mark = 0
        self.n = 0
        self._cap = 64
        self.state = np.full(self._cap, -1, dtype=np.int8)
        self.params: dict[str, np.ndarray] = {}
        self.dists: dict[str, BaseDistribution] = {}

    def update(self, study: Study) -> None:
        """Reads the trials that changed since the previous update."""
        changed, self.mark = study._storage.get_trials_changed_since(study._study_id, self.mark)
        for t in changed:
            row = t.number
            if row >= self._cap:
                cap = self._cap
                while cap <= row:
                    cap *= 2
                self._resize(cap)
                self._cap = cap
            if row >= self.n:
                self.n = row + 1
            self._write(t, row)

    def _resize(self, cap: int) -> None:
        """Grows every column to ``cap`` rows; subclasses extend it for their own columns."""
        self.state = grown(self.state, cap, -1)
        self.params = {k: grown(v, cap, np.nan) for k, v in self.params.items()}

    def _write(self, t: FrozenTrial, row: int) -> None:
        """Writes trial ``t`` into ``row`` (its number); ``row < self._cap``."""
        self.state[row] = int(t.state)
        self._write_params(t, row)

    def _column(self, table: dict[str, np.ndarray], name: str) -> np.ndarray:
        """``table[name]``, created as a column of NaN when missing."""
        col = table.get(name)
        if col is None:
            col = table[name] = np.full(self._cap, np.nan)
        return col

    def _write_params(self, t: FrozenTrial, row: int) -> list[str]:
        """Writes the internal values of ``t``'s parameters into ``row``; returns the names
        whose entry changed (a row not written before changes for every parameter)."""
        dists = t.distributions
        keep_dists = t.state in self.DIST_STATES
        columns = self.params
        changed: list[str] = []
        for name, value in t.params.items():
            col = columns.get(name)
            if col is None:
                col = columns[name] = np.full(self._cap, np.nan)
            dist = dists[name]
            internal = dist.to_internal_repr(value)
            if col.item(row) != internal:  # NaN (not yet written) differs from everything
                col[row] = internal
                changed.append(name)
            if keep_dists:
                self.dists[name] = dist
        return changed

    def rows(self, state: TrialState) -> np.ndarray:
        """Trial numbers in ``state``, ascending."""
        return np.flatnonzero(self.state[: self.n] == int(state))

    def count(self, state: TrialState) -> int:
        """How many trials are in ``state``."""
        return int(np.count_nonzero(self.state[: self.n] == int(state)))

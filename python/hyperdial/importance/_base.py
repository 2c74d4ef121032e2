"""The evaluator protocol and the trial table every evaluator reads.

Arrays: ``internal`` ``(n, d)`` the trials' internal parameter values (NaN where a trial has
no value for the parameter, or one its distribution does not hold), ``y`` ``(n,)`` the target.
"""

from __future__ import annotations

import abc
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from hyperdial._direction import StudyDirection
from hyperdial.distributions import BaseDistribution
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

    F64 = NDArray[np.float64]

__all__ = ["BaseImportanceEvaluator", "TrialTable", "read_trials"]

Target = Callable[["FrozenTrial"], float] | None


class BaseImportanceEvaluator(abc.ABC):
    """Computes how much each parameter matters to a study's objective.

    Subclasses implement :meth:`evaluate`; :func:`hyperdial.importance.get_param_importances`
    checks the arguments, calls it and normalises and sorts what it returns.
    """

    @abc.abstractmethod
    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target = None,
    ) -> dict[str, float]:
        """Unnormalised, non-negative importances, one per parameter of ``params`` (None: the
        evaluator's default set, see the subclass).

        Args:
            study: The study whose COMPLETE (and, when constrained, feasible) trials to read.
            params: Parameter names to rank.
            target: Maps a trial to the value to explain; required for multi-objective
                studies. None: the trial's value.
        """


def feasible(trial: FrozenTrial) -> bool:
    """True unless the trial recorded a constraint value above 0 (``Trial.set_constraint``)."""
    cons = trial.system_attrs.get(CONSTRAINTS_KEY)
    if not cons:
        return True
    return all(float(v) <= 0 for v in cons.values())


@dataclass
class TrialTable:
    """The trials an evaluator explains: ``names`` sorted, ``dists[k]`` the distribution of
    ``names[k]`` (the latest trial's), ``internal`` and ``y`` as in the module docstring.
    ``minimize`` says whether lower ``y`` is better (the study's direction; True for a
    ``target`` of a multi-objective study)."""

    names: list[str]
    dists: list[BaseDistribution]
    internal: F64
    y: F64
    minimize: bool


def read_trials(
    study: Study,
    params: Sequence[str] | None,
    target: Target,
    *,
    feasible_only: bool = True,
) -> TrialTable:
    """The COMPLETE trials with a finite target (feasible ones only unless ``feasible_only`` is
    False), over the union of their parameters or over ``params``.

    Raises:
        ValueError: ``target`` is None for a multi-objective study; fewer than two trials are
            left; ``params`` names a parameter no such trial has.
    """
    directions = study.directions
    if target is None and len(directions) > 1:
        raise ValueError(
            "`target` is required for a multi-objective study (it has "
            f"{len(directions)} objectives); pass e.g. target=lambda t: t.values[0]."
        )
    if target is not None and not callable(target):
        raise TypeError(f"`target` must be a callable taking a FrozenTrial, got {target!r}.")
    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    n_complete = len(trials)
    if feasible_only:
        trials = [t for t in trials if feasible(t)]
    ys: list[float] = []
    kept: list[FrozenTrial] = []
    for t in trials:
        v = float(target(t)) if target is not None else t.value
        if v is not None and math.isfinite(v):
            ys.append(float(v))
            kept.append(t)
    if len(kept) < 2:
        what = (
            "no COMPLETE trials"
            if n_complete == 0
            else f"{len(kept)} usable trial(s) ({n_complete} COMPLETE; infeasible trials and "
            "non-finite targets are left out)"
        )
        raise ValueError(f"Cannot evaluate parameter importances with {what}; at least 2 needed.")
    latest: dict[str, BaseDistribution] = {}
    for t in kept:
        latest.update(t.distributions)
    if params is None:
        names = sorted(latest)
    else:
        if isinstance(params, str):
            raise TypeError(f"`params` must be a sequence of names, got the string {params!r}.")
        unknown = [p for p in params if p not in latest]
        if unknown:
            raise ValueError(
                f"`params` names parameters the usable trials do not have: {unknown}; "
                f"they have {sorted(latest)}."
            )
        names = sorted(dict.fromkeys(params))
    internal = np.full((len(kept), len(names)), np.nan)
    col = {n: k for k, n in enumerate(names)}
    for i, t in enumerate(kept):
        for name, value in t.params.items():
            k = col.get(name)
            if k is None:
                continue
            dist, ref = t.distributions[name], latest[name]
            if dist is ref or dist == ref:
                internal[i, k] = ref.to_internal_repr(value)
    minimize = target is not None and len(directions) > 1
    minimize = minimize or directions[0] == StudyDirection.MINIMIZE
    return TrialTable(names, [latest[n] for n in names], internal, np.asarray(ys), minimize)

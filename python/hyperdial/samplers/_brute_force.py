"""Exhaustive search over a finite define-by-run search space.

The trials of a study are paths in a tree: each node is a parameter (the one the objective
suggested at that point, given the values chosen above it), each edge one of its values,
indexed by grid position (category index, or ``(value - low) / step``). A finished trial closes
the node where its path ends; a running one marks it as taken. A node is *open* while some
value below it has not been tried, so the tree stays correct for conditional parameters
without knowing the objective: a branch is discovered when a trial first walks into it.

At each suggestion the sampler rebuilds the part of the tree below the values the current
trial already has (from the trials that share them) and picks a value whose branch is open,
preferring branches no running trial is in. After each trial, if the whole tree is closed, the
study stops.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.exceptions import StudyExhausted
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._seeding import check_seed, hash_to_unit
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["BruteForceSampler"]

_VISITED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)


def _size(dist: BaseDistribution) -> int | None:
    """The number of values of ``dist``, or None when it has infinitely many."""
    if isinstance(dist, CategoricalDistribution):
        return len(dist.choices)
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1
    if isinstance(dist, FloatDistribution):
        if dist.step is None:
            return 1 if dist.low == dist.high else None
        return round((dist.high - dist.low) / dist.step) + 1
    return None


def _index(dist: BaseDistribution, value: Any) -> int | None:
    """The grid position of an external ``value`` of ``dist``, None when it has none."""
    try:
        internal = dist.to_internal_repr(value)
    except ValueError:
        return None
    if not dist._contains(internal):
        return None
    if isinstance(dist, CategoricalDistribution):
        return int(internal)
    if isinstance(dist, IntDistribution):
        return (int(internal) - dist.low) // dist.step
    if isinstance(dist, FloatDistribution):
        if dist.step is None:  # a grid only when the range is one point
            return 0 if dist.low == dist.high else None
        return round((internal - dist.low) / dist.step)
    return None


def _value(dist: BaseDistribution, k: int) -> Any:
    """The external value at grid position ``k`` of ``dist``."""
    if isinstance(dist, CategoricalDistribution):
        return dist.choices[k]
    if isinstance(dist, IntDistribution):
        return dist.low + k * dist.step
    assert isinstance(dist, FloatDistribution)
    if dist.step is None:
        return dist.low
    # Decimal arithmetic gives the grid point a user would write (0.1 + 2 * 0.1 is 0.3).
    v = float(decimal.Decimal(str(dist.low)) + k * decimal.Decimal(str(dist.step)))
    return min(v, dist.high)


class _Node:
    """A point of the search tree (see the module docstring)."""

    __slots__ = ("children", "dist", "done", "name", "running")

    def __init__(self) -> None:
        self.name: str | None = None
        self.dist: BaseDistribution | None = None
        self.children: dict[int, _Node] = {}
        self.done = False
        self.running = False

    def add(self, path: list[tuple[str, BaseDistribution, int]], finished: bool) -> None:
        node = self
        for name, dist, k in path:
            if node.name is None:
                node.name, node.dist = name, dist
            elif node.name != name or node.dist != dist:
                return  # the search space changed: this trial tells nothing about the tree
            node = node.children.setdefault(k, _Node())
        if finished:
            node.done = True
        else:
            node.running = True

    def is_open(self, exclude_running: bool) -> bool:
        if self.done:
            return False
        if self.name is None:
            return not (exclude_running and self.running)
        assert self.dist is not None
        size = _size(self.dist)
        if size is None or size > len(self.children):
            return True
        return any(c.is_open(exclude_running) for c in self.children.values())


def _path(
    trial: FrozenTrial, prefix: dict[str, int]
) -> list[tuple[str, BaseDistribution, int]] | None:
    """The trial's path below ``prefix`` (``{name: grid position}``); None when the trial
    does not share the prefix or has a value off its grid."""
    path = []
    for name, dist in trial.distributions.items():
        k = _index(dist, trial.params[name])
        if k is None:
            return None
        if name in prefix:
            if prefix[name] != k:
                return None
        else:
            path.append((name, dist, k))
    if any(name not in trial.distributions for name in prefix):
        return None
    return path


class BruteForceSampler(BaseSampler):
    """Tries every combination of a finite search space, then stops the study.

    The search space is discovered as the objective runs (define-by-run), so conditional
    parameters are enumerated correctly: each branch is tried as often as it has leaves. Every
    distribution must be finite: a ``suggest_float`` needs ``step`` (or ``low == high``).
    A parameter's range may depend on the values suggested before it (``suggest_int("b", a,
    3)``), but not change otherwise: that raises ``ValueError`` (as in Optuna).

    Args:
        seed: Fixes the order in which the combinations are tried; None draws a random order.
        avoid_premature_stop: By default a combination a running trial is trying counts as
            tried, so parallel workers stop as soon as nothing is left to start (if a running
            trial then leaves its branch early, e.g. it fails, the rest of that branch is not
            tried). With True the study stops only when every combination has finished,
            at the risk of trying some combinations twice.

    Raises:
        ValueError: (at ``suggest``) the distribution has infinitely many values, or another
            range than in earlier trials with the same values of the parameters before it.

    Example:
        >>> import hyperdial
        >>> def objective(trial):
        ...     if trial.suggest_categorical("kind", ["int", "float"]) == "int":
        ...         return trial.suggest_int("a", 1, 3)
        ...     return trial.suggest_float("x", 0.0, 1.0, step=0.5)
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.BruteForceSampler(seed=0))
        >>> study.optimize(objective)
        >>> sorted((t.params["kind"], t.params.get("a", t.params.get("x"))) for t in study.trials)
        [('float', 0.0), ('float', 0.5), ('float', 1.0), ('int', 1), ('int', 2), ('int', 3)]
    """

    def __init__(self, seed: int | None = None, avoid_premature_stop: bool = False) -> None:
        self._seed = check_seed(seed)
        self._avoid_premature_stop = bool(avoid_premature_stop)

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)

    @staticmethod
    def _grow(root: _Node, study: Study, prefix: dict[str, int], skip: int) -> None:
        """Adds to ``root`` the paths of the study's trials that share ``prefix``, except trial
        number ``skip``."""
        trials = study._storage.get_all_trials(study._study_id, deepcopy=False, states=_VISITED)
        for t in trials:
            if t.number != skip:
                path = _path(t, prefix)
                if path is not None:
                    root.add(path, t.state.is_finished())

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        size = _size(param_distribution)
        if size is None:
            raise ValueError(
                f"BruteForceSampler needs a finite search space: parameter {param_name!r} has "
                f"{param_distribution!r}; give `step` to suggest_float."
            )
        prefix: dict[str, int] = {}
        for name, dist in trial.distributions.items():
            k = _index(dist, trial.params[name])
            if k is not None:
                prefix[name] = k
        root = _Node()
        root.name, root.dist = param_name, param_distribution
        trials = study._storage.get_all_trials(study._study_id, deepcopy=False, states=_VISITED)
        for t in trials:
            path = None if t.number == trial.number else _path(t, prefix)
            if not path:
                continue
            name, dist, _ = path[0]
            if name == param_name and dist != param_distribution:
                raise ValueError(
                    f"BruteForceSampler cannot enumerate a parameter whose range changes: "
                    f"{param_name!r} is {param_distribution!r} here but was {dist!r} in trial "
                    f"{t.number} (with the same values of the parameters before it)."
                )
            root.add(path, t.state.is_finished())
        u = hash_to_unit(self._seed, trial.number, param_name)
        return _value(param_distribution, _choose(root, size, u))

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if study._stop_event is None:  # ask-and-tell: ``reserve`` refuses new trials instead
            return
        root = _Node()
        self._grow(root, study, {}, trial.number)
        path = _path(trial, {})
        if path is not None:
            root.add(path, True)  # as finished: its state is written after this hook
        if not root.is_open(not self._avoid_premature_stop):
            study.stop()

    def reserve(self, study: Study) -> dict[str, Any] | None:
        # Every combination has finished (running trials count as open here, so that asking
        # for a second trial while one runs is never refused).
        root = _Node()
        self._grow(root, study, {}, -1)
        if not root.is_open(exclude_running=False):
            raise StudyExhausted("BruteForceSampler has tried every combination.")
        return None


def _choose(node: _Node, size: int, u: float) -> int:
    """A grid position of ``node`` whose branch is open, preferring branches no running trial
    is in; ``u`` in ``[0, 1)`` picks uniformly among the candidates. When every branch is
    closed (another worker took the last one), any position."""
    for exclude_running in (True, False):
        visited_open = sorted(k for k, c in node.children.items() if c.is_open(exclude_running))
        n_unvisited = size - len(node.children)
        n = len(visited_open) + n_unvisited
        if n == 0:
            continue
        r = min(int(u * n), n - 1)
        if r < len(visited_open):
            return visited_open[r]
        return _nth_missing(sorted(node.children), r - len(visited_open))
    return min(int(u * size), size - 1)


def _nth_missing(taken: list[int], j: int) -> int:
    """The ``j``-th (from 0) non-negative integer not in the sorted list ``taken``."""
    k = j
    for t in taken:
        if t <= k:
            k += 1
        else:
            break
    return k

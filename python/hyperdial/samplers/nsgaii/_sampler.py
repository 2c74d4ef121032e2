"""NSGAIISampler, and the generations and child generation it shares with NSGAIIISampler.

Generations live in the storage, so that threads, processes and machines sharing a study share
one population:

* each trial gets its generation in ``before_trial`` (system attribute
  ``"NSGAIISampler:generation"``, Optuna's spelling): the newest generation while it has fewer
  than ``population_size`` COMPLETE trials, else the next one;
* the parents of generation ``g`` are the survivors among the COMPLETE trials of generation
  ``g - 1`` and the parents of ``g - 1``; the first worker that needs them selects them and
  *claims* them in the storage (``"nsga2:parents:<g>"``, a JSON list of trial numbers); every
  other worker reads that claim, so all agree on the parents even when their views of the
  study differ for a moment;
* a trial of generation ``g >= 1`` is a child of those parents (crossover, then mutation);
  generation 0, parameters left out by mutation and parameters outside the joint search space
  are sampled uniformly (:class:`~hyperdial.samplers.RandomSampler`).

The history is read incrementally into NumPy columns (``get_trials_changed_since``), so a trial
costs work proportional to its own parameters plus, once per generation, the selection on at
most ``2 * population_size`` candidates (``_ranking.py``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from hyperdial._transient import study_key, transient_attrs
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    unit_to_internal,
)
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._constraints import check_constraints_func, record_constraints
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._seeding import blake2b, check_seed
from hyperdial.samplers._trial_columns import TrialColumns, grown
from hyperdial.samplers._unit_cube import to_codes, to_unit
from hyperdial.samplers.nsgaii._crossovers import (
    BaseCrossover,
    UniformCrossover,
    _probability,
)
from hyperdial.samplers.nsgaii._mutations import BaseMutation
from hyperdial.samplers.nsgaii._ranking import select_nsga2
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY, NSGAII_GENERATION_KEY

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["NSGAIISampler"]

_COMPLETE = int(TrialState.COMPLETE)
#: Children drawn outside the unit cube are drawn again from fresh parents at most this often,
#: then clipped (Optuna draws until one is inside, which need not end for a custom crossover).
_MAX_DRAWS = 64

EliteStrategy = Callable[["Study", list["FrozenTrial"]], list["FrozenTrial"]]
ChildStrategy = Callable[
    ["Study", dict[str, BaseDistribution], list["FrozenTrial"]], dict[str, Any]
]
AfterTrialStrategy = Callable[["Study", "FrozenTrial", TrialState, "Sequence[float] | None"], None]


class _Population(TrialColumns):
    """Columns of one study for the GA samplers (``cap`` rows, the first ``n`` used):

    loss: (cap, m) float64 losses (maximised objectives negated), NaN until COMPLETE.
    violation: (cap,) float64 total constraint violation (0: feasible or none recorded).
    generation: (cap,) int64 the trial's generation, -1 when it has none.
    """

    def __init__(self, study: Study, generation_key: str) -> None:
        super().__init__(study)
        self._key = generation_key
        self.loss = np.full((self._cap, len(self.signs)), np.nan)
        self.violation = np.zeros(self._cap)
        self.generation = np.full(self._cap, -1, dtype=np.int64)
        self.has_constraints = False
        #: Parameters every COMPLETE trial has with one distribution (None: no trial yet).
        self.intersection: dict[str, BaseDistribution] | None = None
        self._intersected = np.zeros(self._cap, dtype=bool)
        #: The parents of each generation, as trial numbers (from the claims).
        self.parents: dict[int, np.ndarray] = {}
        #: Their tournament scores (``_GASampler._scores``), per generation.
        self.scores: dict[int, np.ndarray] = {}
        #: Their parameters (``_parent_matrices``) for the search space last asked for.
        self.matrices: dict[int, tuple[dict[str, BaseDistribution], np.ndarray, np.ndarray]] = {}

    def _resize(self, cap: int) -> None:
        super()._resize(cap)
        self.loss = grown(self.loss, cap, np.nan)
        self.violation = grown(self.violation, cap, 0.0)
        self.generation = grown(self.generation, cap, -1)
        self._intersected = grown(self._intersected, cap, False)

    def _write(self, t: FrozenTrial, row: int) -> None:
        super()._write(t, row)
        gen = t.system_attrs.get(self._key)
        if isinstance(gen, int) and not isinstance(gen, bool):
            self.generation[row] = gen
        cons = t.system_attrs.get(CONSTRAINTS_KEY)
        if cons:
            self.has_constraints = True
            self.violation[row] = sum(max(float(c), 0.0) for c in cons.values())
        if t.state == TrialState.COMPLETE and t.values is not None:
            self.loss[row] = np.asarray(t.values, dtype=float) * self.signs
            if not self._intersected.item(row):
                self._intersected[row] = True
                dists = t.distributions
                if self.intersection is None:
                    self.intersection = dict(dists)
                else:
                    self.intersection = {
                        k: d for k, d in self.intersection.items() if dists.get(k) == d
                    }

    def complete_in(self, generation: int) -> np.ndarray:
        """Trial numbers of the COMPLETE trials of ``generation``."""
        n = self.n
        return np.flatnonzero((self.state[:n] == _COMPLETE) & (self.generation[:n] == generation))

    def violations(self, rows: np.ndarray) -> np.ndarray | None:
        return self.violation[rows] if self.has_constraints else None


def _parent_matrices(
    pop: _Population, space: dict[str, BaseDistribution], parents: np.ndarray
) -> tuple[dict[str, BaseDistribution], np.ndarray, np.ndarray]:
    """``(space, units, codes)``: the parents' numeric parameters of ``space`` as unit
    positions (k, dn) and their categorical ones as choice indices (k, dc), in the order of
    ``space``; NaN where a parent's value lies outside ``space``."""
    numeric = [n for n in space if not isinstance(space[n], CategoricalDistribution)]
    categorical = [n for n in space if isinstance(space[n], CategoricalDistribution)]
    units = np.empty((parents.size, len(numeric)))
    for j, name in enumerate(numeric):  # one vectorised conversion per parameter
        units[:, j] = to_unit(space[name], pop.params[name][parents])
    codes = np.empty((parents.size, len(categorical)))
    for j, name in enumerate(categorical):
        dist = space[name]
        assert isinstance(dist, CategoricalDistribution)
        codes[:, j] = to_codes(dist, pop.params[name][parents])
    return dict(space), units, codes


def _check_callable(name: str, value: Any) -> Any:
    if value is not None and not callable(value):
        raise TypeError(f"`{name}` must be None or callable, got {value!r}.")
    return value


class _GASampler(BaseSampler):
    """Generations, parents and children shared by the NSGA samplers; subclasses choose the
    survivors (:meth:`_survivors`) and how a tournament compares parents (:meth:`_scores`).
    The constructor is :class:`NSGAIISampler`'s, whose docstring gives the arguments."""

    _GENERATION_KEY: ClassVar[str]
    _PARENTS_PREFIX: ClassVar[str]
    #: Each study's columns are a cache of its storage, read again after pickling.
    _transient = transient_attrs(BaseSampler, _populations=dict)

    def __init__(
        self,
        *,
        population_size: int = 50,
        mutation: BaseMutation | None = None,
        mutation_prob: float | None = None,
        crossover: BaseCrossover | None = None,
        crossover_prob: float = 0.9,
        swapping_prob: float = 0.5,
        seed: int | None = None,
        constraints_func: Callable[[FrozenTrial], Sequence[float]] | None = None,
        elite_population_selection_strategy: EliteStrategy | None = None,
        child_generation_strategy: ChildStrategy | None = None,
        after_trial_strategy: AfterTrialStrategy | None = None,
    ) -> None:
        if (
            isinstance(population_size, bool)
            or not isinstance(population_size, int)
            or population_size < 2
        ):
            raise ValueError(f"`population_size` must be an int >= 2, got {population_size!r}.")
        self._mutation_prob = (
            None if mutation_prob is None else _probability("mutation_prob", mutation_prob)
        )
        self._crossover_prob = _probability("crossover_prob", crossover_prob)
        self._swapping_prob = _probability("swapping_prob", swapping_prob)
        if crossover is None:
            crossover = UniformCrossover(self._swapping_prob)
        if not isinstance(crossover, BaseCrossover):
            raise ValueError(
                "`crossover` must be None or a hyperdial.samplers.nsgaii.BaseCrossover "
                f"(UniformCrossover, BLXAlphaCrossover, SBXCrossover, ...), got {crossover!r}."
            )
        if population_size < crossover.n_parents:
            raise ValueError(
                f"`population_size` must be at least {crossover.n_parents} (the parents "
                f"{crossover} needs), got {population_size}."
            )
        if mutation is not None and not isinstance(mutation, BaseMutation):
            raise ValueError(
                "`mutation` must be None or a hyperdial.samplers.nsgaii.BaseMutation, got "
                f"{mutation!r}."
            )
        self._population_size = population_size
        self._crossover = crossover
        self._mutation = mutation
        self._seed = check_seed(seed)
        self._random = RandomSampler(seed=self._seed)
        self._constraints_func = check_constraints_func(constraints_func)
        self._elite_strategy = _check_callable(
            "elite_population_selection_strategy", elite_population_selection_strategy
        )
        self._child_strategy = _check_callable(
            "child_generation_strategy", child_generation_strategy
        )
        self._after_strategy = _check_callable("after_trial_strategy", after_trial_strategy)
        self._lock = threading.Lock()
        self._rs = np.random.RandomState(0)
        self._populations: dict[tuple[object, int], _Population] = {}

    @property
    def population_size(self) -> int:
        """Trials per generation."""
        return self._population_size

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)
        self._random = RandomSampler(seed=self._seed)

    # -- randomness --------------------------------------------------------------------------
    def _key(self, number: int, what: bytes) -> int:
        h = blake2b(self._seed.to_bytes(8, "little") + number.to_bytes(8, "little"), digest_size=8)
        h.update(what)
        return int.from_bytes(h.digest(), "little")

    def _trial_rng(self, number: int) -> np.random.RandomState:
        """The trial's generator (Optuna's crossover interface takes a RandomState); it
        depends only on the seed and the trial number. One generator is re-keyed per trial,
        which is cheaper than creating one; called under ``self._lock``."""
        key = self._key(number, b"nsga:child")
        self._rs.seed(np.array([key & 0xFFFFFFFF, key >> 32], dtype=np.uint32))
        return self._rs

    def _generation_rng(self, generation: int) -> np.random.Generator:
        return np.random.Generator(np.random.PCG64(self._key(generation, b"nsga:select")))

    # -- the population ----------------------------------------------------------------------
    def _population(self, study: Study) -> _Population:
        """The study's columns, brought up to date; called under ``self._lock``."""
        key = study_key(study)
        pop = self._populations.get(key)
        if pop is None:
            pop = self._populations[key] = _Population(study, self._GENERATION_KEY)
        pop.update(study)
        return pop

    def _next_generation(self, pop: _Population) -> int:
        n = pop.n
        gens = pop.generation[:n][(pop.state[:n] == _COMPLETE) & (pop.generation[:n] >= 0)]
        if gens.size == 0:
            return 0
        top = int(gens.max())
        return top if int(np.count_nonzero(gens == top)) < self._population_size else top + 1

    def _parents(self, study: Study, pop: _Population, generation: int) -> np.ndarray:
        """Trial numbers of the parents of ``generation`` (claimed once per study)."""
        if generation <= 0:
            return np.empty(0, dtype=np.int64)
        cached = pop.parents.get(generation)
        if cached is not None:
            return cached
        key = f"{self._PARENTS_PREFIX}{generation}"
        held = study._storage.get_claims(study._study_id, key).get(key)
        if held is None:
            previous = self._parents(study, pop, generation - 1)
            candidates = np.union1d(pop.complete_in(generation - 1), previous)
            chosen = self._select(study, pop, candidates, generation)
            held = study._storage.claim(study._study_id, key, json.dumps(chosen.tolist()))
        parents = np.asarray(json.loads(held), dtype=np.int64)
        pop.parents[generation] = parents
        return parents

    def _select(
        self, study: Study, pop: _Population, candidates: np.ndarray, generation: int
    ) -> np.ndarray:
        if candidates.size == 0:
            return candidates
        if self._elite_strategy is not None:
            trials = study._get_trials(deepcopy=False)
            by_number = {t.number: t for t in trials}
            elite = self._elite_strategy(study, [by_number[int(i)] for i in candidates])
            return np.asarray([t.number for t in elite], dtype=np.int64)
        picked = self._survivors(
            pop.loss[candidates],
            pop.violations(candidates),
            self._population_size,
            self._generation_rng(generation),
        )
        out: np.ndarray = candidates[picked]
        return out

    def _survivors(
        self,
        loss: np.ndarray,
        violation: np.ndarray | None,
        k: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Indices of the ``k`` survivors among the candidates ``loss`` (n, m)."""
        raise NotImplementedError

    def _scores(self, loss: np.ndarray, violation: np.ndarray | None) -> np.ndarray:
        """(n,) tournament scores of the parents (lower wins)."""
        raise NotImplementedError

    # -- the protocol ------------------------------------------------------------------------
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        if self._GENERATION_KEY in trial.system_attrs:
            return
        with self._lock:
            generation = self._next_generation(self._population(study))
        study._storage.set_trial_system_attr(trial._trial_id, self._GENERATION_KEY, generation)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock:
            space = self._population(study).intersection or {}
        return {name: space[name] for name in sorted(space) if not space[name].single()}

    def sample_relative(
        self,
        study: Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        with self._lock:
            pop = self._population(study)
            generation = trial.system_attrs.get(self._GENERATION_KEY)
            if not isinstance(generation, int):
                generation = self._next_generation(pop)
            parents = self._parents(study, pop, generation)
            if parents.size == 0:
                return {}
            if self._child_strategy is not None:
                numbers = set(parents.tolist())
                trials = [t for t in study._get_trials(deepcopy=False) if t.number in numbers]
                return dict(self._child_strategy(study, search_space, trials))
            scores = pop.scores.get(generation)
            if scores is None:
                scores = self._scores(pop.loss[parents], pop.violations(parents))
                pop.scores[generation] = scores
            matrices = pop.matrices.get(generation)
            if matrices is None or matrices[0] != search_space:
                matrices = pop.matrices[generation] = _parent_matrices(pop, search_space, parents)
            rng = self._trial_rng(trial.number)
            return self._child(study, search_space, matrices[1], matrices[2], scores, rng)

    def _child(
        self,
        study: Study,
        space: dict[str, BaseDistribution],
        units: np.ndarray,
        codes: np.ndarray,
        scores: np.ndarray,
        rng: np.random.RandomState,
    ) -> dict[str, Any]:
        """Crossover and mutation of the parents (``_parent_matrices``) whose tournament
        scores are ``scores``; parameters left out are sampled uniformly by
        ``sample_independent``."""
        names = list(space)
        numeric = [n for n in names if not isinstance(space[n], CategoricalDistribution)]
        categorical = [n for n in names if isinstance(space[n], CategoricalDistribution)]
        # A parent whose value lies outside the current space (a range that changed) cannot
        # be crossed; without any usable parent the child is sampled uniformly.
        usable = ~np.isnan(units).any(axis=1) & ~np.isnan(codes).any(axis=1)
        if not usable.any():
            return {}
        if not usable.all():
            units, codes, scores = units[usable], codes[usable], scores[usable]
        k = units.shape[0]

        if rng.rand() < self._crossover_prob:
            bounds = np.tile([0.0, 1.0], (len(numeric), 1))
            child_units = units[0]
            chosen = np.zeros(self._crossover.n_parents, dtype=np.int64)
            for _ in range(_MAX_DRAWS):
                chosen = self._tournament(scores, self._crossover.n_parents, rng)
                if not numeric:
                    break
                child_units = np.asarray(
                    self._crossover.crossover(units[chosen], rng, study, bounds), dtype=float
                )
                if np.all((child_units >= 0.0) & (child_units <= 1.0)):
                    break
            else:
                child_units = np.clip(np.nan_to_num(child_units, nan=0.5), 0.0, 1.0)
            second = rng.rand(len(categorical)) < self._swapping_prob
            child_codes = np.where(second, codes[chosen[-1]], codes[chosen[0]])
        else:
            one = int(rng.randint(k))
            child_units, child_codes = units[one], codes[one]

        values: dict[str, Any] = {}
        for j, name in enumerate(numeric):
            values[name] = unit_to_internal(space[name], float(child_units[j]))
        for j, name in enumerate(categorical):
            values[name] = float(child_codes[j])

        prob = self._mutation_prob
        if prob is None:
            prob = 1.0 / max(1, len(names))
        out: dict[str, Any] = {}
        for name in names:
            dist = space[name]
            if rng.rand() >= prob:
                out[name] = dist.to_external_repr(values[name])
            elif self._mutation is not None and name in numeric:
                u = float(child_units[numeric.index(name)])
                mutated = self._mutation.mutation(u, rng, study, np.array([0.0, 1.0]))
                internal = unit_to_internal(dist, min(max(float(mutated), 0.0), 1.0))
                out[name] = dist.to_external_repr(internal)
            # else: left out, so sample_independent draws it uniformly
        return out

    @staticmethod
    def _tournament(scores: np.ndarray, n: int, rng: np.random.RandomState) -> np.ndarray:
        """``n`` distinct parents (indices), each the better of two drawn at random from those
        not chosen yet (binary tournament; fewer parents than ``n``: repeats allowed)."""
        k = scores.size
        available = np.arange(k)
        chosen = np.empty(n, dtype=np.int64)
        for i in range(n):  # n_parents (2 or 3) draws
            if available.size == 0:
                available = np.arange(k)
            a, b = available[rng.randint(available.size, size=2)]
            winner = a if scores[a] < scores[b] else b
            chosen[i] = winner
            available = available[available != winner]
        return chosen

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._random.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        if self._after_strategy is not None:
            self._after_strategy(study, trial, state, values)
        else:
            record_constraints(self._constraints_func, study, trial, state)

    # -- Optuna's BaseGASampler queries --------------------------------------------------------
    def get_trial_generation(self, study: Study, trial: FrozenTrial) -> int:
        """The generation of ``trial`` (assigned in ``before_trial``)."""
        generation = trial.system_attrs.get(self._GENERATION_KEY)
        if isinstance(generation, int):
            return generation
        with self._lock:
            return self._next_generation(self._population(study))

    def get_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The COMPLETE trials of ``generation``."""
        with self._lock:
            numbers = set(self._population(study).complete_in(generation).tolist())
        return [t for t in study._get_trials(deepcopy=False) if t.number in numbers]

    def get_parent_population(self, study: Study, generation: int) -> list[FrozenTrial]:
        """The parents of ``generation`` (none for generation 0)."""
        with self._lock:
            pop = self._population(study)
            numbers = set(self._parents(study, pop, generation).tolist())
        return [t for t in study._get_trials(deepcopy=False) if t.number in numbers]


class NSGAIISampler(_GASampler):
    """NSGA-II (Deb, Pratap, Agarwal and Meyarivan, "A fast and elitist multiobjective genetic
    algorithm: NSGA-II", IEEE TEC 6(2), 2002), with Optuna's interface.

    Each generation of ``population_size`` trials is bred from parents chosen among the
    previous generation and its parents: constrained non-dominated sorting, the last front cut
    by crowding distance (``hyperdial/samplers/nsgaii/_ranking.py``). A child takes two (or
    three) parents by binary tournament under the crowded comparison (lower front first, then
    larger crowding distance); with ``crossover_prob`` they are crossed (numeric parameters by
    ``crossover`` in the unit cube, categorical ones uniformly with ``swapping_prob``), else
    one parent is copied; then each parameter mutates with ``mutation_prob``: ``mutation`` moves
    it, or (None) it is drawn again uniformly. Generations are shared through the storage, so
    several workers breed one population (``hyperdial/samplers/nsgaii/_sampler.py``).

    Constraints (``trial.set_constraint`` or ``constraints_func``) use constrained domination
    (Deb 2002): a feasible trial beats an infeasible one, infeasible ones compare by total
    violation. A trial with no constraint values counts as feasible, as in ``best_trials``.

    Args:
        population_size: Trials per generation, >= 2 and >= the crossover's ``n_parents``.
        mutation: A :class:`~hyperdial.samplers.nsgaii.BaseMutation`, or None to draw a
            mutated parameter again uniformly.
        mutation_prob: Probability that a parameter mutates; None: ``1 / number of params``.
        crossover: A :class:`~hyperdial.samplers.nsgaii.BaseCrossover`; None is
            ``UniformCrossover(swapping_prob)``.
        crossover_prob: Probability that a child is a crossover rather than a copy.
        swapping_prob: Probability that a categorical gene comes from the second parent.
        seed: An integer in ``[0, 2**63)``; None draws one.
        constraints_func: Optuna's ``trial -> constraint values`` (<= 0: feasible), stored as
            the trial's constraints (``hyperdial/samplers/_constraints.py``).
        elite_population_selection_strategy: ``(study, candidates) -> survivors`` in place of
            the NSGA-II selection.
        child_generation_strategy: ``(study, search_space, parents) -> params`` in place of
            crossover and mutation.
        after_trial_strategy: ``(study, trial, state, values) -> None`` in place of the default,
            which records ``constraints_func``.

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.NSGAIISampler(population_size=10, seed=0)
        >>> study = hyperdial.create_study(directions=["minimize", "minimize"], sampler=sampler)
        >>> def objective(trial):
        ...     x = trial.suggest_float("x", 0, 1)
        ...     return x, (1 - x) ** 2
        >>> study.optimize(objective, n_trials=30)
        >>> len(study.best_trials) > 1
        True
    """

    _GENERATION_KEY = NSGAII_GENERATION_KEY
    _PARENTS_PREFIX = "nsga2:parents:"

    def _survivors(
        self,
        loss: np.ndarray,
        violation: np.ndarray | None,
        k: int,
        rng: np.random.Generator,
    ) -> np.ndarray:
        return select_nsga2(loss, violation, k)

    def _scores(self, loss: np.ndarray, violation: np.ndarray | None) -> np.ndarray:
        # The crowded comparison as a score: the position in NSGA-II's own order.
        order = select_nsga2(loss, violation, loss.shape[0])
        scores = np.empty(order.size, dtype=np.int64)
        scores[order] = np.arange(order.size)
        return scores

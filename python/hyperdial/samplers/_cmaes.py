"""CMA-ES sampler: Optuna's ``CmaEsSampler`` interface on the C++ CMA-ES of ``_core.CmaEs``.

The numerics (sampling, the update, restarts, the margin, the warm-start Gaussian) are in
``cpp/include/hyperdial/cmaes.hpp``; this module maps the search space onto the unit cube,
collects finished generations from storage and shares one CMA-ES state between every process
of a study. The scheme is in ``docs/design/cmaes.md``; in short:

* A run is identified by a prefix ``"cma:<variant><digest>:"`` of the relative search space
  (names and distributions) and the variant, so a changed space starts a new run.
* Generation ``g`` of a run is a *claim* ``<prefix>state:<g>:`` holding the serialised C++
  state. Claims are atomic and permanent, so every worker adopts the same state for ``g``.
  The study system attribute ``<prefix>latest`` names the newest claimed generation, so that a
  worker that joins late reads one state, not all of them.
* A trial sampled from generation ``g`` records ``[g, x_1, ..., x_n]`` in its system attribute
  ``<prefix>x`` (not when an enqueued value overrides part of the sample). Once ``popsize``
  trials of ``g`` are finished, the first worker to notice tells the first ``popsize`` of them
  (by trial number) and claims generation ``g + 1``; a worker that loses the race adopts the
  winner's state.
* A trial's sample depends only on the seed, its number and the state it was drawn from.
"""

from __future__ import annotations

import base64
import math
import numbers
import struct
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial import logging as _logging
from hyperdial._direction import StudyDirection
from hyperdial._transient import study_key
from hyperdial.distributions import (
    BaseDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
    internal_to_unit,
    unit_to_internal,
)
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._seeding import blake2b, check_seed
from hyperdial.samplers._unit_cube import n_cells
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import FIXED_PARAMS_KEY

if TYPE_CHECKING:
    from hyperdial import _core
    from hyperdial.search_space import IntersectionSearchSpace
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["CmaEsSampler"]

_logger = _logging.get_logger(__name__)
_PACK = struct.Struct("<QQ")
_RESTARTS = (None, "ipop", "bipop")


def _mix(seed: int, number: int, salt: bytes) -> int:
    """A 64-bit seed that depends only on (seed, number, salt)."""
    h = blake2b(_PACK.pack(seed, number & 0xFFFFFFFFFFFFFFFF), digest_size=8)
    h.update(salt)
    return int.from_bytes(h.digest(), "little")


def _encode(vec: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(vec, dtype="<f8").tobytes()).decode("ascii")


def _decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8").astype(np.float64)


class _Run:
    """One CMA-ES run of one study: its space, its current state and the finished samples."""

    def __init__(self, prefix: str, space: dict[str, BaseDistribution]) -> None:
        self.prefix = prefix
        self.space = space
        self.es: _core.CmaEs | None = None
        # generation -> {trial number: (x, value to minimise)}
        self.finished: dict[int, dict[int, tuple[list[float], float]]] = {}


class _History:
    """The finished trials of a study read so far (incrementally) and their CMA-ES samples."""

    def __init__(self) -> None:
        self.mark = 0
        self.n_finished: set[int] = set()
        # attribute key -> generation -> {trial number: (x, value to minimise)}
        self.samples: dict[str, dict[int, dict[int, tuple[list[float], float]]]] = {}
        self.runs: dict[str, _Run] = {}
        self.prefixes: dict[tuple[tuple[str, BaseDistribution], ...], str] = {}


class CmaEsSampler(BaseSampler):
    """Covariance matrix adaptation evolution strategy (CMA-ES) over float and int parameters.

    The parameters every finished trial shares (the intersection search space; categorical
    and single-valued ones excepted) are sampled jointly from a multivariate normal
    distribution in the unit cube (each distribution in its own scale, as
    :func:`hyperdial.distributions.internal_to_unit` places it), which CMA-ES adapts after
    each generation of ``popsize`` finished trials (Hansen 2016). Other parameters go to
    ``independent_sampler``. The algorithm runs in C++ (``cpp/include/hyperdial/cmaes.hpp``);
    several processes of one study share one CMA-ES state through the storage
    (``docs/design/cmaes.md``). Same constructor as Optuna's ``CmaEsSampler``.

    Args:
        x0: Initial mean, ``{name: value}``; the centre of each range by default (and for
            names it leaves out). Restarts start from a uniform random mean.
        sigma0: Initial step size in the unit cube; ``1/6`` by default.
        n_startup_trials: Finished trials sampled by ``independent_sampler`` before CMA-ES
            starts.
        independent_sampler: Sampler for parameters outside the joint space (and for the
            start-up trials); :class:`~hyperdial.samplers.RandomSampler` with ``seed``
            by default.
        warn_independent_sampling: Log a warning when a parameter is sampled independently
            after the start-up trials.
        seed: Seed of the samples (a trial's sample depends on the seed, its number and the
            CMA-ES state only); None draws one.
        consider_pruned_trials: Count PRUNED trials, with their last intermediate value.
        restart_strategy: ``None``, ``"ipop"`` (Auger & Hansen 2005: restart with ``popsize``
            times ``inc_popsize``) or ``"bipop"`` (Hansen 2009: alternate large and small
            populations), restarting when a stop criterion (tolfun, tolx, conditioncov,
            noeffectaxis, noeffectcoord) holds.
        popsize: Population size; ``4 + floor(3 ln n)`` by default.
        inc_popsize: Population factor of an IPOP / large BIPOP restart; ``-1`` means 2.
        use_separable_cma: Diagonal covariance (sep-CMA-ES, Ros & Hansen 2008).
        with_margin: CMA-ES with margin (Hamano et al. 2022) for int and stepped float
            parameters: keeps every discrete parameter from freezing on one value.
        lr_adapt: Learning-rate adaptation (Nomura, Akimoto & Ono 2023): the rates of the mean
            and covariance updates follow an estimated signal-to-noise ratio, for multimodal
            and noisy objectives at the default ``popsize``.
        source_trials: Finished trials of a similar task for WS-CMA-ES (Nomura et al. 2021):
            the best tenth of those with exactly the joint parameters gives the initial mean,
            step size and covariance.

    Raises:
        ValueError: An argument is out of range, or a combination Optuna also refuses
            (``source_trials`` with ``x0``/``sigma0`` or ``use_separable_cma``;
            ``use_separable_cma`` with ``with_margin``; ``lr_adapt`` with either).

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.CmaEsSampler(seed=0)
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> study.optimize(
        ...     lambda t: t.suggest_float("x", -5, 5) ** 2 + t.suggest_int("y", -3, 3) ** 2,
        ...     n_trials=40,
        ... )
        >>> study.best_value < 1.0
        True
    """

    def __init__(
        self,
        *,
        x0: dict[str, Any] | None = None,
        sigma0: float | None = None,
        n_startup_trials: int = 1,
        independent_sampler: BaseSampler | None = None,
        warn_independent_sampling: bool = True,
        seed: int | None = None,
        consider_pruned_trials: bool = False,
        restart_strategy: str | None = None,
        popsize: int | None = None,
        inc_popsize: int = -1,
        use_separable_cma: bool = False,
        with_margin: bool = False,
        lr_adapt: bool = False,
        source_trials: list[FrozenTrial] | None = None,
    ) -> None:
        if x0 is not None and not isinstance(x0, Mapping):
            raise TypeError(f"`x0` must be None or a dict {{name: value}}, got {x0!r}.")
        if sigma0 is not None and (
            isinstance(sigma0, bool)
            or not isinstance(sigma0, numbers.Real)
            or not (0 < float(sigma0) < math.inf)
        ):
            raise ValueError(f"`sigma0` must be None or a finite number > 0, got {sigma0!r}.")
        if (
            isinstance(n_startup_trials, bool)
            or not isinstance(n_startup_trials, numbers.Integral)
            or n_startup_trials < 0
        ):
            raise ValueError(f"`n_startup_trials` must be an int >= 0, got {n_startup_trials!r}.")
        if independent_sampler is not None and not isinstance(independent_sampler, BaseSampler):
            raise TypeError(
                "`independent_sampler` must be None or a hyperdial sampler, got "
                f"{independent_sampler!r}."
            )
        if restart_strategy not in _RESTARTS:
            raise ValueError(
                f"`restart_strategy` must be None, 'ipop' or 'bipop', got {restart_strategy!r}."
            )
        if popsize is not None and (
            isinstance(popsize, bool) or not isinstance(popsize, numbers.Integral) or popsize < 2
        ):
            raise ValueError(f"`popsize` must be None or an int >= 2, got {popsize!r}.")
        if (
            isinstance(inc_popsize, bool)
            or not isinstance(inc_popsize, numbers.Integral)
            or (inc_popsize != -1 and inc_popsize < 2)
        ):
            raise ValueError(
                f"`inc_popsize` must be -1 (meaning 2) or an int >= 2, got {inc_popsize!r}."
            )
        if source_trials is not None and (x0 is not None or sigma0 is not None):
            raise ValueError("`source_trials` cannot be combined with `x0` or `sigma0`.")
        if source_trials is not None and use_separable_cma:
            raise ValueError("`source_trials` cannot be combined with `use_separable_cma=True`.")
        if use_separable_cma and with_margin:
            raise ValueError(
                "`use_separable_cma=True` cannot be combined with `with_margin=True`."
            )
        if lr_adapt and (use_separable_cma or with_margin):
            raise ValueError(
                "`lr_adapt=True` cannot be combined with `use_separable_cma=True` or "
                "`with_margin=True`."
            )
        self._seed: int = check_seed(seed)
        self._x0: dict[str, Any] | None = dict(x0) if x0 is not None else None
        self._sigma0: float | None = float(sigma0) if sigma0 is not None else None
        self._n_startup_trials: int = int(n_startup_trials)
        self._independent_sampler: BaseSampler = independent_sampler or RandomSampler(seed=seed)
        self._warn_independent_sampling: bool = bool(warn_independent_sampling)
        self._consider_pruned_trials: bool = bool(consider_pruned_trials)
        self._restart_strategy: str | None = restart_strategy
        self._popsize: int | None = int(popsize) if popsize is not None else None
        self._inc_popsize: int = 2 if inc_popsize == -1 else int(inc_popsize)
        self._use_separable_cma: bool = bool(use_separable_cma)
        self._with_margin: bool = bool(with_margin)
        self._lr_adapt: bool = bool(lr_adapt)
        self._source_trials: list[FrozenTrial] | None = (
            list(source_trials) if source_trials is not None else None
        )
        self._variant: str = (
            "s" if use_separable_cma else "m" if with_margin else "l" if lr_adapt else "c"
        )
        # Imported here: `import hyperdial` does not load the search_space module.
        from hyperdial.search_space import IntersectionSearchSpace

        self._search_space: IntersectionSearchSpace = IntersectionSearchSpace(
            include_pruned=consider_pruned_trials
        )
        self._histories: dict[tuple[object, int], _History] = {}
        self._warned_multi_objective: bool = False
        self._lock: threading.Lock = threading.Lock()

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)
        self._independent_sampler.reseed_rng()

    # -- the protocol ------------------------------------------------------------------------
    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        with self._lock:
            space = self._search_space.calculate(study)
        return {
            name: dist
            for name, dist in space.items()
            if isinstance(dist, (FloatDistribution, IntDistribution)) and not dist.single()
        }

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        if len(study.directions) > 1:
            if not self._warned_multi_objective:
                self._warned_multi_objective = True
                _logger.warning(
                    "CmaEsSampler optimises one objective; the parameters of this "
                    "multi-objective study are sampled by %s.",
                    type(self._independent_sampler).__name__,
                )
            return {}
        with self._lock:
            history = self._read(study)
            if len(history.n_finished) < self._n_startup_trials:
                return {}
            run = self._current_run(study, history, search_space)
            es = run.es
            assert es is not None
            sample = es.ask(seed=_mix(self._seed, trial.number, b"ask"))
            generation = es.generation
        fixed = trial.system_attrs.get(FIXED_PARAMS_KEY) or {}
        if not any(name in fixed for name in run.space):
            # An enqueued value is not the sampled one: such a trial is not told.
            study._storage.set_trial_system_attr(
                trial._trial_id, run.prefix + "x", [generation, *sample.x.tolist()]
            )
        return {
            name: dist.to_external_repr(unit_to_internal(dist, float(u)))
            for (name, dist), u in zip(run.space.items(), sample.point, strict=True)
        }

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._warn_independent_sampling and len(study.directions) == 1:
            with self._lock:
                n_finished = len(self._read(study).n_finished)
            if n_finished >= self._n_startup_trials:
                _logger.warning(
                    "Trial %d: parameter %r is sampled by %s, not CmaEsSampler (CMA-ES "
                    "samples the float and int parameters every finished trial has).",
                    trial.number,
                    param_name,
                    type(self._independent_sampler).__name__,
                )
        return self._independent_sampler.sample_independent(
            study, trial, param_name, param_distribution
        )

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent_sampler.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._independent_sampler.after_trial(study, trial, state, values)

    # -- history and runs --------------------------------------------------------------------
    def _value(self, trial: FrozenTrial) -> float | None:
        """The value CMA-ES learns from (COMPLETE, or PRUNED with the option), else None."""
        if trial.state == TrialState.COMPLETE and trial.values:
            return float(trial.values[0])
        if (
            self._consider_pruned_trials
            and trial.state == TrialState.PRUNED
            and trial.intermediate_values
        ):
            value = trial.intermediate_values[max(trial.intermediate_values)]
            return None if value is None or math.isnan(value) else float(value)
        return None

    def _read(self, study: Study) -> _History:
        """Reads the trials changed since the last call into the study's history."""
        key = study_key(study)
        history = self._histories.get(key)
        if history is None:
            history = self._histories[key] = _History()
        changed, history.mark = study._storage.get_trials_changed_since(
            study._study_id, history.mark
        )
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        for t in changed:
            value = self._value(t)
            if value is None:
                continue
            history.n_finished.add(t.number)
            for attr, record in t.system_attrs.items():
                if attr.startswith("cma:") and attr.endswith(":x") and isinstance(record, list):
                    generations = history.samples.setdefault(attr, {})
                    generations.setdefault(int(record[0]), {})[t.number] = (
                        record[1:],
                        sign * value,
                    )
        return history

    def _prefix(self, history: _History, space: dict[str, BaseDistribution]) -> str:
        key = tuple(space.items())
        prefix = history.prefixes.get(key)
        if prefix is None:
            prefix = history.prefixes[key] = self._digest(space)
        return prefix

    def _digest(self, space: dict[str, BaseDistribution]) -> str:
        h = blake2b(digest_size=6)
        for name, dist in space.items():
            h.update(name.encode("utf-8", "surrogatepass") + b"\0")
            h.update(distribution_to_json(dist).encode() + b"\0")
        return f"cma:{self._variant}{h.hexdigest()}:"

    def _current_run(
        self, study: Study, history: _History, space: dict[str, BaseDistribution]
    ) -> _Run:
        """The run of ``space`` at its newest generation (telling finished ones on the way)."""
        from hyperdial import _core

        prefix = self._prefix(history, space)
        run = history.runs.get(prefix)
        if run is None:
            run = history.runs[prefix] = _Run(prefix, dict(space))
        storage, study_id = study._storage, study._study_id
        if run.es is None:
            # The newest generation a worker claimed is a hint in the study's system
            # attributes; reading every state is the fallback.
            hint = storage.get_study_system_attrs(study_id).get(prefix + "latest")
            claims = {}
            if isinstance(hint, int):
                claims = storage.get_claims(study_id, f"{prefix}state:{hint}:")
            if not claims:
                claims = storage.get_claims(study_id, prefix + "state:")
            if claims:
                newest = max(claims, key=lambda k: int(k[len(prefix) + 6 : -1]))
                run.es = _core.CmaEs.from_vector(_decode(claims[newest]))
            else:
                run.es = self._claim(study, prefix, self._initial(study, space))
        es = run.es
        samples = history.samples.setdefault(prefix + "x", {})
        while True:
            g = es.generation
            held = storage.get_claims(study_id, f"{prefix}state:{g + 1}:")
            if held:
                es = _core.CmaEs.from_vector(_decode(next(iter(held.values()))))
                continue
            for told in [k for k in samples if k < g]:
                del samples[told]
            finished = samples.get(g, {})
            if len(finished) < es.popsize:
                break
            numbers_ = sorted(finished)[: es.popsize]
            x = np.array([finished[k][0] for k in numbers_], dtype=float)
            f = np.array([finished[k][1] for k in numbers_], dtype=float)
            reason = es.tell(x, f, seed=_mix(self._seed, g, b"restart"))
            if reason:
                _logger.info(
                    "CMA-ES restart %d after generation %d (%s); popsize %d.",
                    es.n_restarts,
                    g,
                    reason,
                    es.popsize,
                )
            es = self._claim(study, prefix, es)
        run.es = es
        return run

    def _claim(self, study: Study, prefix: str, es: _core.CmaEs) -> _core.CmaEs:
        """Claims ``es`` as its generation's state; returns whichever state holds the claim."""
        from hyperdial import _core

        text = _encode(es.to_vector())
        storage, study_id = study._storage, study._study_id
        held = storage.claim(study_id, f"{prefix}state:{es.generation}:", text)
        if held != text:
            return _core.CmaEs.from_vector(_decode(held))
        storage.set_study_system_attr(study_id, prefix + "latest", es.generation)
        return es

    def _initial(self, study: Study, space: dict[str, BaseDistribution]) -> _core.CmaEs:
        from hyperdial import _core

        n = len(space)
        options = _core.CmaOptions(
            popsize=self._popsize or 0,
            separable=self._use_separable_cma and n > 1,
            lr_adapt=self._lr_adapt,
            restart=getattr(_core.CmaRestart, self._restart_strategy or "none"),
            inc_popsize=float(self._inc_popsize),
        )
        steps = None
        if self._with_margin:
            steps = np.zeros(n)
            for j, dist in enumerate(space.values()):
                cells = n_cells(dist)
                steps[j] = 0.0 if cells is None else 1.0 / cells
        if self._source_trials is not None:
            x, f = self._source_points(study, space)
            ws = _core.cma_warm_start(x, f)
            return _core.CmaEs(ws.mean, max(ws.sigma, 1e-10), ws.cov, steps, options)
        mean = np.full(n, 0.5)
        if self._x0 is not None:
            for j, (name, dist) in enumerate(space.items()):
                if name in self._x0:
                    internal = dist.to_internal_repr(self._x0[name])
                    mean[j] = min(max(internal_to_unit(dist, internal), 0.0), 1.0)
        sigma = self._sigma0 if self._sigma0 is not None else 1.0 / 6.0
        return _core.CmaEs(mean, sigma, None, steps, options)

    def _source_points(
        self, study: Study, space: dict[str, BaseDistribution]
    ) -> tuple[np.ndarray, np.ndarray]:
        assert self._source_trials is not None
        sign = -1.0 if study.directions[0] == StudyDirection.MAXIMIZE else 1.0
        rows, values = [], []
        for t in self._source_trials:
            value = self._value(t)
            if value is None or set(t.params) != set(space):
                continue
            rows.append(
                [
                    min(max(internal_to_unit(d, d.to_internal_repr(t.params[k])), 0.0), 1.0)
                    for k, d in space.items()
                ]
            )
            values.append(sign * value)
        if not rows:
            raise ValueError(
                "`source_trials` has no finished trial with exactly the parameters "
                f"{sorted(space)}; warm starting needs at least one."
            )
        return np.array(rows, dtype=float), np.array(values, dtype=float)

"""hyperdial's samplers as a Ray Tune search algorithm (``pip install "hyperdial[ray]"``).

Example:
    >>> from ray import tune
    >>> from hyperdial.integration.ray import HyperdialSearch
    >>> def trainable(config):
    ...     return {"loss": (config["x"] - 2) ** 2 + config["opt"]["momentum"]}
    >>> tuner = tune.Tuner(
    ...     trainable,
    ...     param_space={"x": tune.uniform(-10, 10),
    ...                  "opt": {"momentum": tune.loguniform(1e-3, 0.9)}},
    ...     tune_config=tune.TuneConfig(search_alg=HyperdialSearch(seed=0), metric="loss",
    ...                                 mode="min", num_samples=30),
    ... )
    >>> results = tuner.fit()  # doctest: +SKIP

Ray Tune runs the trials (on a laptop or a cluster); :class:`HyperdialSearch` decides their
configurations with a hyperdial study in the driver: the default sampler is
:class:`~hyperdial.samplers.GPSampler`, and any hyperdial sampler can be passed. The search
space is Ray's (``tune.uniform``, ``loguniform``, ``quniform``, ``randint``, ``lograndint``,
``qrandint``, ``choice``, nested dicts), a dict of hyperdial distributions, or a
define-by-run function that calls ``trial.suggest_*``. Intermediate results go to the study as
``trial.report`` values (so that samplers which read learning curves see them); stopping
trials early is the job of Ray's schedulers (``ASHAScheduler``, ``HyperBandScheduler``).
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable, Mapping
from typing import Any

from ray.tune.result import DEFAULT_METRIC
from ray.tune.search import Searcher
from ray.tune.search.sample import (
    Categorical,
    Domain,
    Float,
    Integer,
    LogUniform,
    Quantized,
    Uniform,
)
from ray.tune.search.variant_generator import parse_spec_vars

import hyperdial
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.logging import get_logger
from hyperdial.samplers import BaseSampler
from hyperdial.trial import Trial, TrialState, create_trial
from hyperdial.trial._numbers import to_real

__all__ = ["HyperdialSearch"]

_logger = get_logger(__name__)

DefineByRun = Callable[[Trial], "dict[str, Any] | None"]

# The key of a Ray Tune result that counts the trainable's reports (1, 2, …); it is the step
# of the intermediate value.
_TRAINING_ITERATION = "training_iteration"


class HyperdialSearch(Searcher):
    """A Ray Tune ``Searcher`` that proposes configurations with a hyperdial sampler.

    Args:
        space: The search space: a (nested) dict of Ray Tune domains or hyperdial
            distributions, or a define-by-run function ``space(trial) -> dict | None`` that
            suggests with ``trial.suggest_*`` and may return constants to add to the
            configuration. None takes the space from the Tuner's ``param_space``.
        metric: The result key to optimise; a list of keys for several objectives. None
            takes it from the Tuner's ``TuneConfig``.
        mode: ``"min"`` or ``"max"``; a list of them with a list of metrics.
        points_to_evaluate: Configurations to run first (complete or partial dicts, nested
            like the space).
        sampler: The hyperdial sampler; default ``GPSampler(seed=seed)``.
        seed: Seed of the default sampler.
        evaluated_rewards: Results already known for ``points_to_evaluate`` (one per point):
            they are added to the study as complete trials instead of being run.
        study_name: Name of the study (default: one made up by hyperdial).
        storage: hyperdial storage or URL for the study (default in memory), e.g. to inspect
            the search with ``hyperdial report`` afterwards.

    Raises:
        ValueError: a space hyperdial cannot express (``tune.grid_search``, ``tune.randn``,
            ``tune.sample_from``), a mode other than min/max, metrics and modes of different
            lengths, or ``evaluated_rewards`` that do not match ``points_to_evaluate``.
        TypeError: a space that is neither a dict nor a function.
    """

    def __init__(
        self,
        space: Mapping[str, Any] | DefineByRun | None = None,
        metric: str | list[str] | None = None,
        mode: str | list[str] | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        sampler: BaseSampler | None = None,
        seed: int | None = None,
        evaluated_rewards: list[Any] | None = None,
        study_name: str | None = None,
        storage: Any = None,
    ) -> None:
        _check_metric_mode(metric, mode)
        super().__init__(metric=metric, mode=mode)  # type: ignore[arg-type]
        if sampler is not None and not isinstance(sampler, BaseSampler):
            raise TypeError(
                f"`sampler` must be a hyperdial sampler, got {type(sampler).__name__}."
            )
        if space is not None and not callable(space) and not isinstance(space, Mapping):
            raise TypeError(
                "`space` must be a dict of Ray Tune domains or hyperdial distributions, or a "
                f"define-by-run function, got {type(space).__name__}."
            )
        if evaluated_rewards is not None:
            if points_to_evaluate is None or len(evaluated_rewards) != len(points_to_evaluate):
                raise ValueError(
                    "`evaluated_rewards` must hold one result per entry of `points_to_evaluate`."
                )
            if callable(space):
                raise ValueError(
                    "`evaluated_rewards` needs a dict space: a define-by-run function does not "
                    "say which distribution each known point was drawn from."
                )
        self._space: dict[str, BaseDistribution] | DefineByRun | None = (
            space if space is None or callable(space) else convert_search_space(space)
        )
        self._points_to_evaluate = [_flatten(p) for p in points_to_evaluate or []]
        self._evaluated_rewards = list(evaluated_rewards) if evaluated_rewards else None
        self._sampler = sampler
        self._seed = seed
        self._study_name = study_name
        self._storage = storage
        self._study: hyperdial.Study | None = None
        self._trials: dict[str, Trial] = {}
        self._finished: set[str] = set()
        if self._space and self._mode:
            self._setup_study()

    # --- Ray Tune's Searcher interface -------------------------------------------------------

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        if self._space:
            return False
        space = convert_search_space(config)
        if not space:
            return False
        self._space = space
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        _check_metric_mode(self._metric, self._mode)
        self._setup_study()
        return True

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        study = self._ready()
        trial = self._trials.get(trial_id)
        if trial is None:
            if callable(self._space):
                trial = study.ask()
            else:
                trial = study.ask(fixed_distributions=self._space)
            self._trials[trial_id] = trial
        if callable(self._space):
            constants = self._space(trial)
            if constants is not None and (
                not isinstance(constants, dict) or not all(isinstance(k, str) for k in constants)
            ):
                raise TypeError(
                    "The define-by-run `space` function must return None or a dict with str "
                    f"keys, got {type(constants).__name__}."
                )
            params = {**trial.params, **(constants or {})}
        else:
            params = dict(trial.params)
        return _unflatten(params)

    def on_trial_result(self, trial_id: str, result: dict[str, Any]) -> None:
        if isinstance(self._metric, list) or trial_id in self._finished:
            return
        trial = self._trials.get(trial_id)
        value = result.get(self._metric) if isinstance(self._metric, str) else None
        step = result.get(_TRAINING_ITERATION)
        if trial is None or value is None or step is None:
            return
        try:
            number = to_real(value)
        except (TypeError, ValueError):
            return  # a result that is not a number says nothing about the curve
        if not math.isnan(number):
            trial.report(number, int(step))

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        if trial_id in self._finished:
            _logger.warning(f"Ray Tune completed trial {trial_id} twice; the second is ignored.")
            return
        trial = self._trials.get(trial_id)
        if trial is None:
            return
        study = self._ready()
        self._finished.add(trial_id)
        metrics = self._metric if isinstance(self._metric, list) else [self._metric]
        found = [None if result is None or m is None else result.get(m) for m in metrics]
        if error:
            study.tell(trial, state=TrialState.FAIL)
        elif all(v is not None for v in found):
            # As the objective's return value: a NaN or a non-number fails the trial, with the
            # reason in its system attributes.
            study.tell(trial, found if len(found) > 1 else found[0])  # type: ignore[arg-type]
        else:
            # Stopped before it reported the metric (by a scheduler or a stopper): its
            # intermediate values, if any, stay in the study for samplers that read them.
            study.tell(trial, state=TrialState.PRUNED)

    def add_evaluated_point(
        self,
        parameters: dict[str, Any],
        value: float | list[float],
        error: bool = False,
        pruned: bool = False,
        intermediate_values: list[float] | None = None,
    ) -> None:
        study = self._ready()
        if callable(self._space):
            raise TypeError(
                "add_evaluated_point needs a dict space: a define-by-run function does not say "
                "which distribution the point was drawn from."
            )
        assert self._space is not None
        params = _flatten(parameters)
        unknown = sorted(set(params) - set(self._space))
        if unknown:
            raise ValueError(
                f"add_evaluated_point: parameters {unknown} are not in the search space "
                f"({sorted(self._space)})."
            )
        state = TrialState.FAIL if error else TrialState.PRUNED if pruned else TrialState.COMPLETE
        values: list[float] | None = None
        if state == TrialState.COMPLETE:
            values = [float(v) for v in value] if isinstance(value, list) else [float(value)]
        study.add_trial(
            create_trial(
                state=state,
                values=values,
                params=params,
                distributions={name: self._space[name] for name in params},
                intermediate_values=dict(enumerate(intermediate_values or [])) or None,
            )
        )

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.get_state(), f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            self.set_state(pickle.load(f))

    def get_state(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def set_state(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def study(self) -> hyperdial.Study:
        """The hyperdial study behind the search (for importance, plots, reports)."""
        return self._ready()

    # --- the study -------------------------------------------------------------------------

    def _setup_study(self) -> None:
        if self._metric is None:
            if isinstance(self._mode, list):
                raise ValueError("With a list of modes, `metric` must name each objective.")
            self._metric = DEFAULT_METRIC
        modes = self._mode if isinstance(self._mode, list) else [self._mode]
        directions = ["minimize" if m == "min" else "maximize" for m in modes]
        sampler = self._sampler
        if sampler is None:
            sampler = hyperdial.samplers.GPSampler(seed=self._seed)
        self._study = hyperdial.create_study(
            storage=self._storage,
            sampler=sampler,
            study_name=self._study_name,
            directions=directions,
            load_if_exists=self._study_name is not None,
        )
        if self._evaluated_rewards is not None:
            for point, reward in zip(
                self._points_to_evaluate, self._evaluated_rewards, strict=True
            ):
                self.add_evaluated_point(point, reward)
        else:
            for point in self._points_to_evaluate:
                self._study.enqueue_trial(point)

    def _ready(self) -> hyperdial.Study:
        if not self._space:
            raise RuntimeError(
                "HyperdialSearch has no search space: pass `space=` or the Tuner's `param_space`."
            )
        if not self._metric or not self._mode:
            raise RuntimeError(
                "HyperdialSearch needs `metric` and `mode`: pass them to HyperdialSearch or to "
                "tune.TuneConfig."
            )
        if self._study is None:
            self._setup_study()
        assert self._study is not None
        return self._study


def convert_search_space(spec: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    """A Ray Tune ``param_space`` (or a dict of hyperdial distributions) as hyperdial's.

    Nested dicts become names joined by ``/`` (``{"opt": {"lr": ...}}`` → ``"opt/lr"``), as in
    Ray Tune's other searchers; constants stay out of the search space (Ray passes them on
    itself). Ray's ``randint(a, b)`` excludes ``b``; its ``qrandint`` includes it.

    Raises:
        ValueError: a domain with no hyperdial equivalent, named with its key.
    """
    space: dict[str, BaseDistribution] = {
        name: value
        for name, value in _flatten(spec).items()
        if isinstance(value, BaseDistribution)
    }
    _, domains, grid = parse_spec_vars(dict(spec))
    if grid:
        names = ["/".join(path) for path, _ in grid]
        raise ValueError(
            f"tune.grid_search for {names} cannot be combined with HyperdialSearch: a searcher "
            "proposes every value itself. Use tune.choice, or hyperdial's GridSampler as "
            "`sampler=` with tune.choice values."
        )
    for path, domain in domains:
        name = "/".join(path)
        space[name] = _convert_domain(name, domain)
    return space


def _convert_domain(name: str, domain: Domain) -> BaseDistribution:
    sampler = domain.get_sampler()  # type: ignore[no-untyped-call]
    q = None
    if isinstance(sampler, Quantized):
        q = sampler.q
        sampler = sampler.get_sampler()  # type: ignore[no-untyped-call]
    log = isinstance(sampler, LogUniform)
    if isinstance(domain, Categorical):
        return CategoricalDistribution(list(domain.categories))
    if not isinstance(domain, (Float, Integer)):
        raise ValueError(
            f"Parameter {name!r}: Ray Tune's {type(domain).__name__} domain (e.g. "
            "tune.sample_from) has no hyperdial equivalent; use a define-by-run `space` "
            "function instead."
        )
    if not isinstance(sampler, (Uniform, LogUniform)):
        raise ValueError(
            f"Parameter {name!r}: Ray Tune's {type(sampler).__name__} sampling "
            f"({domain.domain_str}) has no hyperdial equivalent; use uniform, loguniform, "
            "quniform, randint, lograndint, qrandint or choice."
        )
    if isinstance(domain, Float):
        if q is None:
            return FloatDistribution(domain.lower, domain.upper, log=log)
        if log:
            raise ValueError(
                f"Parameter {name!r}: tune.qloguniform has no hyperdial equivalent (a log scale "
                "with a step); use tune.loguniform or tune.quniform."
            )
        # Ray rounds to multiples of q; hyperdial's grid starts at the lower bound and must
        # end on the upper one.
        ratio = (domain.upper - domain.lower) / q
        if abs(ratio - round(ratio)) < 1e-9:
            return FloatDistribution(domain.lower, domain.upper, step=q)
        # Rounded to 12 significant digits: 0.1 + 3 * 0.3 is meant as 1.0.
        high = float(f"{domain.lower + math.floor(ratio) * q:.12g}")
        return FloatDistribution(domain.lower, high, step=q)
    if q is None:
        # randint / lograndint exclude the upper bound.
        return IntDistribution(domain.lower, domain.upper - 1, log=log)
    if log:
        raise ValueError(
            f"Parameter {name!r}: tune.qlograndint has no hyperdial equivalent (a log scale "
            "with a step); use tune.lograndint or tune.qrandint."
        )
    n_steps = (domain.upper - domain.lower) // int(q)
    return IntDistribution(domain.lower, domain.lower + n_steps * int(q), step=int(q))


def _check_metric_mode(metric: str | list[str] | None, mode: str | list[str] | None) -> None:
    modes = mode if isinstance(mode, list) else [mode] if mode is not None else []
    bad = [m for m in modes if m not in ("min", "max")]
    if bad:
        raise ValueError(f"`mode` must be 'min' or 'max' (or a list of them), got {mode!r}.")
    if isinstance(metric, list) != isinstance(mode, list) and metric is not None and mode:
        raise ValueError("`metric` and `mode` must both be lists (several objectives) or not.")
    if isinstance(metric, list) and isinstance(mode, list) and len(metric) != len(mode):
        raise ValueError(f"`metric` has {len(metric)} names but `mode` has {len(mode)} entries.")


def _flatten(nested: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts as one dict with keys joined by ``/`` (``{"a": {"b": 1}}`` → ``a/b``)."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        if not isinstance(key, str) or "/" in key:
            raise ValueError(
                f"Search space keys must be str without '/' (it joins nested keys), got {key!r}."
            )
        if isinstance(value, Mapping) and value:
            flat.update(_flatten(value, f"{prefix}{key}/"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _unflatten(flat: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split("/")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return nested

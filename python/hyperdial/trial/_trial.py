from __future__ import annotations

import abc
import datetime
import functools
import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    _magnitude,
)
from hyperdial.trial._checks import check_attr, check_storable_name, json_copy
from hyperdial.trial._intermediate import vector_key
from hyperdial.trial._numbers import NotReal, TooLarge, to_real
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY, FIXED_PARAMS_KEY

if TYPE_CHECKING:
    from hyperdial.study._study import Study

# The system-attribute keys are defined in ``_system_attrs``; re-exported for older imports.
__all__ = ["FIXED_PARAMS_KEY", "BaseTrial", "Trial"]

#: Distribution types known to be immutable (exact types: a subclass might not be).
_IMMUTABLE = frozenset({FloatDistribution, IntDistribution, CategoricalDistribution})


_C = TypeVar("_C", bound=CategoricalChoiceType)


def _make(name: str, cls: type[BaseDistribution], *args: Any, **kwargs: Any) -> Any:
    try:
        return cls(*args, **kwargs)
    except ValueError as e:
        raise ValueError(f"Parameter {name!r}: {e}") from None
    except TypeError as e:
        raise TypeError(f"Parameter {name!r}: {e}") from None


@functools.cache
def _base_before_trial() -> Any:
    """``BaseSampler.before_trial`` (imported late: samplers import this module)."""
    from hyperdial.samplers._base import BaseSampler

    return BaseSampler.before_trial


def _check_name(name: Any) -> str:
    if type(name) is not str and not isinstance(name, str):
        raise TypeError(f"A parameter name must be a str, got {name!r}.")
    if not name.isascii() or "\x00" in name:  # (an ASCII name without NUL is storable)
        check_storable_name("Parameter name", name)
    return name


def _check_json(what: str, key: str, value: Any) -> None:
    check_attr(what, key, value)


def _check_constraint(name: str, value: Any) -> float:
    if not isinstance(name, str):
        raise TypeError(f"A constraint name must be a str, got {name!r}.")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"Constraint {name!r} must be a real number, got {value!r}.")
    try:
        f = float(value)
    except OverflowError:
        raise ValueError(
            f"Constraint {name!r} must fit in a float, got a number of {_magnitude(value)}."
        ) from None
    if math.isnan(f):
        raise ValueError(f"Constraint {name!r} must not be NaN (≤ 0 means feasible).")
    return f


def merged_constraints(
    system_attrs: Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, float]:
    """A trial's ``"constraints"`` system attribute after recording ``values`` ``{name: value}``.

    Each value is checked as by :meth:`Trial.set_constraint`. The one place that builds the
    record: ``set_constraint`` and the samplers' ``constraints_func`` both store what it returns.
    """
    constraints = dict(system_attrs.get(CONSTRAINTS_KEY, {}))
    for name, value in values.items():
        constraints[name] = _check_constraint(name, value)
    return constraints


class BaseTrial(abc.ABC):
    """What an objective function receives: the suggest API shared by every kind of trial."""

    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """Suggests a real value in ``[low, high]``.

        Args:
            name: Parameter name, unique within the trial.
            low: Lower bound (finite; > 0 with ``log``).
            high: Upper bound (finite; >= ``low``).
            step: Grid spacing; values are ``low + k*step``.
            log: Sample on a log scale (not together with ``step``).

        Returns:
            The value; asking again for the same ``name`` returns the same value.

        Raises:
            ValueError: invalid bounds, or ``name`` used with another distribution.

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
            >>> lr = study.ask().suggest_float("lr", 1e-5, 1e-1, log=True)
            >>> 1e-5 <= lr <= 1e-1
            True
        """
        name = _check_name(name)
        dist = _make(name, FloatDistribution, low, high, log, step)
        return float(self._suggest(name, dist))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggests an integer in ``[low, high]`` (on the grid ``low + k*step``).

        Raises:
            ValueError: invalid bounds, or ``name`` used with another distribution.
        """
        name = _check_name(name)
        dist = _make(name, IntDistribution, low, high, log=log, step=step)
        return int(self._suggest(name, dist))

    def suggest_categorical(self, name: str, choices: Sequence[_C]) -> _C:
        """Suggests one of ``choices`` (None, bool, int, float or str values).

        The returned object is the choice itself: ``True`` and ``1`` are different choices.

        Raises:
            ValueError: empty, non-distinct or unsupported choices, or ``name`` used with
                another distribution.
        """
        name = _check_name(name)
        dist = _make(name, CategoricalDistribution, choices)
        return self._suggest(name, dist)  # type: ignore[no-any-return]

    @abc.abstractmethod
    def _suggest(self, name: str, distribution: BaseDistribution) -> Any: ...

    @abc.abstractmethod
    def report(self, value: float, step: int) -> None: ...

    @abc.abstractmethod
    def should_prune(self) -> bool: ...

    @abc.abstractmethod
    def set_user_attr(self, key: str, value: Any) -> None: ...

    @abc.abstractmethod
    def set_constraint(self, name: str, value: float) -> None: ...

    @property
    @abc.abstractmethod
    def number(self) -> int: ...

    @property
    @abc.abstractmethod
    def params(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def distributions(self) -> dict[str, BaseDistribution]: ...

    @property
    @abc.abstractmethod
    def user_attrs(self) -> dict[str, Any]: ...

    @property
    @abc.abstractmethod
    def datetime_start(self) -> datetime.datetime | None: ...


def _check_step(step: Any) -> int:
    if isinstance(step, bool) or not isinstance(step, numbers.Integral) or int(step) < 0:
        raise ValueError(f"`step` must be a non-negative integer, got {step!r}.")
    return int(step)


def _check_intermediate(value: Any) -> float:
    try:
        return to_real(value)
    except NotReal:
        raise TypeError(f"`value` must be a real number, got {value!r}.") from None
    except TooLarge as e:
        raise ValueError(f"`value` must fit in a float, got a number of {e}.") from None


class Trial(BaseTrial):
    """A running trial of a study, handed to the objective.

    Its state lives in the study's storage; the trial object only caches what it wrote.
    Create trials with ``Study.ask()`` or let ``Study.optimize`` do it.
    """

    def __init__(self, study: Study, trial_id: int) -> None:
        self.study = study
        self._trial_id = trial_id
        storage = study._storage
        self._cached = storage.get_trial(trial_id)
        fixed = self._cached.system_attrs.get(FIXED_PARAMS_KEY, {})
        self._fixed_params: dict[str, Any] = dict(fixed)
        sampler = study.sampler
        if type(sampler).before_trial is not _base_before_trial():  # not the base no-op
            sampler.before_trial(study, self._cached)
            self._cached = storage.get_trial(trial_id)  # it may have written attributes
        self.relative_search_space = sampler.infer_relative_search_space(study, self._cached)
        self._relative_params: dict[str, Any] | None = None

    @property
    def relative_params(self) -> dict[str, Any]:
        """Values the sampler chose jointly for the relative search space (computed lazily)."""
        if self._relative_params is None:
            if self.relative_search_space:
                self._relative_params = self.study.sampler.sample_relative(
                    self.study, self._cached, self.relative_search_space
                )
            else:
                self._relative_params = {}
        return self._relative_params

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        cached = self._cached
        dists = cached._distributions
        old = dists.get(name)
        if old is not None:
            if old != distribution:
                raise ValueError(
                    f"Parameter {name!r} was already suggested in trial {cached.number} as "
                    f"{old!r}; it cannot be suggested again as {distribution!r}."
                )
            return cached._params[name]

        internal: float | None = None
        if name in self._fixed_params:
            value = self._fixed_params[name]
            try:
                internal = distribution.to_internal_repr(value)
                if not distribution._contains(internal):
                    raise ValueError(f"{value!r} is outside {distribution!r}")
            except ValueError as e:
                warnings.warn(
                    f"Enqueued value for parameter {name!r} is ignored and a new value is "
                    f"sampled: {e}.",
                    UserWarning,
                    stacklevel=3,
                )
                internal = None
        if internal is None and distribution.single():
            internal = _single_value(distribution)
        if internal is None and name in self.relative_search_space:
            rel_dist = self.relative_search_space[name]
            if rel_dist == distribution:
                if type(rel_dist) in _IMMUTABLE:
                    # Equal and immutable: record the sampler's object, so that samplers and
                    # storages comparing this trial's distributions later find them identical.
                    distribution = rel_dist
                if name in self.relative_params:
                    internal = distribution.to_internal_repr(self.relative_params[name])
        if internal is None:
            value = self.study.sampler.sample_independent(self.study, cached, name, distribution)
            internal = distribution.to_internal_repr(value)
        if not distribution._contains(internal):
            raise RuntimeError(
                f"Sampler {type(self.study.sampler).__name__} proposed "
                f"{distribution.to_external_repr(internal)!r} for parameter {name!r}, which is "
                f"not a value of {distribution!r}."
            )
        self.study._storage.set_trial_param(self._trial_id, name, internal, distribution)
        external = distribution.to_external_repr(internal)
        new = cached.__copy__()
        new._params = {**cached._params, name: external}
        new._distributions = {**dists, name: distribution}
        self._cached = new
        return external

    def report(self, value: float, step: int) -> None:
        """Records an intermediate objective value at ``step`` for pruners.

        In a multi-objective study ``value`` is a sequence with one number per objective, kept
        as a system attribute (``hyperdial.trial._intermediate``) for multi-objective pruners
        such as :class:`~hyperdial.pruners.ParetoPruner`.

        Reporting the same step twice keeps the first value and warns. NaN and ±inf are stored
        as they are; pruners treat NaN as "worse than anything".

        Raises:
            ValueError/TypeError: ``step`` is not a non-negative integer, ``value`` not a
                number, or (several objectives) not a sequence of one number per objective.
        """
        n_obj = len(self.study.directions)
        if n_obj > 1:
            self._report_vector(value, _check_step(step), n_obj)
            return
        step = _check_step(step)
        fvalue = _check_intermediate(value)
        storage = self.study._storage
        if step in storage.get_trial(self._trial_id).intermediate_values:
            warnings.warn(
                f"Trial {self.number} already reported a value at step {step}; the new value "
                f"{fvalue} is ignored.",
                UserWarning,
                stacklevel=2,
            )
            return
        storage.set_trial_intermediate_value(self._trial_id, step, fvalue)

    def _report_vector(self, value: Any, step: int, n_obj: int) -> None:
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise TypeError(
                f"`value` must be a sequence of {n_obj} numbers in a study with {n_obj} "
                f"objectives, got {value!r}."
            )
        if len(value) != n_obj:
            raise ValueError(f"`value` must have {n_obj} numbers, got {len(value)}.")
        vector = [_check_intermediate(v) for v in value]
        storage = self.study._storage
        key = vector_key(step)
        if key in storage.get_trial(self._trial_id).system_attrs:
            warnings.warn(
                f"Trial {self.number} already reported a value at step {step}; the new value "
                f"{vector} is ignored.",
                UserWarning,
                stacklevel=3,
            )
            return
        storage.set_trial_system_attr(self._trial_id, key, vector)

    def should_prune(self) -> bool:
        """Asks the study's pruner whether to stop this trial now.

        Raises:
            NotImplementedError: the study has several objectives and its pruner is a
                single-objective one.
        """
        if len(self.study.directions) > 1 and not self.study.pruner._multi_objective:
            raise NotImplementedError(
                f"{type(self.study.pruner).__name__} does not support multi-objective studies; "
                "use hyperdial.pruners.ParetoPruner."
            )
        frozen = self.study._storage.get_trial(self._trial_id)
        return bool(self.study.pruner.prune(self.study, frozen))

    def set_user_attr(self, key: str, value: Any) -> None:
        """Stores a JSON-serialisable attribute with the trial.

        Raises:
            TypeError: the key is not a str or the value is not JSON-serialisable.
        """
        _check_json("User attribute", key, value)
        self.study._storage.set_trial_user_attr(self._trial_id, key, value)
        self._cached.user_attrs = {**self._cached.user_attrs, key: json_copy(value)}

    def set_system_attr(self, key: str, value: Any) -> None:
        """Stores an attribute for samplers and pruners (not meant for users)."""
        _check_json("System attribute", key, value)
        self.study._storage.set_trial_system_attr(self._trial_id, key, value)
        self._cached.system_attrs = {**self._cached.system_attrs, key: value}

    def set_constraint(self, name: str, value: float) -> None:
        """Records a constraint value: the trial is feasible when every constraint is ≤ 0.

        Raises:
            TypeError: ``value`` is not a real number.
            ValueError: ``value`` is NaN.
        """
        constraints = merged_constraints(self._cached.system_attrs, {name: value})
        self.set_system_attr(CONSTRAINTS_KEY, constraints)

    @property
    def number(self) -> int:
        return self._cached.number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._cached.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._cached.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._cached.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._cached.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._cached.datetime_start

    @property
    def datetime_complete(self) -> datetime.datetime | None:
        """None while the trial runs; read it from the ``FrozenTrial`` once it has finished."""
        return self.study._storage.get_trial(self._trial_id).datetime_complete

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._cached.params})"


def _single_value(dist: BaseDistribution) -> float:
    """The internal value of a distribution that holds exactly one value."""
    if isinstance(dist, CategoricalDistribution):
        return 0.0
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    return float(dist.low)

from __future__ import annotations

import copy
import datetime
import math
import numbers
import warnings
from collections.abc import Sequence
from typing import Any, TypeVar

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
)
from hyperdial.trial._checks import check_attr
from hyperdial.trial._numbers import NotReal, TooLarge, to_real
from hyperdial.trial._state import TrialState
from hyperdial.trial._system_attrs import CONSTRAINTS_KEY, FAIL_REASON_KEY
from hyperdial.trial._trial import _check_name, _make, merged_constraints

# The system-attribute keys are defined in ``_system_attrs``; re-exported for older imports.
__all__ = ["CONSTRAINTS_KEY", "FAIL_REASON_KEY", "FrozenTrial", "create_trial"]


_SCALARS = frozenset({float, int, bool, str, type(None)})

_C = TypeVar("_C", dict[Any, Any], list[Any])
_Choice = TypeVar("_Choice", bound=CategoricalChoiceType)


def _copy_container(c: _C, memo: dict[int, Any]) -> _C:
    """``copy.deepcopy(c, memo)``, done as a shallow copy when ``c`` holds only scalars."""
    scalars = _SCALARS
    if type(c) is dict:
        if not c:
            return {}
        for k, v in c.items():
            if type(v) not in scalars or type(k) not in scalars:
                return copy.deepcopy(c, memo)
        return c.copy()
    if type(c) is list:
        for v in c:
            if type(v) not in scalars:
                return copy.deepcopy(c, memo)
        return c.copy()
    return copy.deepcopy(c, memo)


def _real(field: str, v: Any) -> float:
    if type(v) is float:
        return v
    try:
        return to_real(v)
    except NotReal as e:
        raise TypeError(f"`{field}` must hold real numbers: {e}.") from None
    except TooLarge as e:
        raise ValueError(f"`{field}` must fit in a float, got a number of {e}.") from None


def _reals(values: Sequence[Any]) -> list[float]:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"`values` must be a sequence of real numbers, got {values!r}.")
    return [_real("values", v) for v in values]


def _checked_intermediate(iv: dict[Any, Any]) -> dict[int, float]:
    """``intermediate_values`` as ``Trial.report`` would have stored them."""
    out: dict[int, float] = {}
    for step, v in iv.items():
        if isinstance(step, bool) or not isinstance(step, numbers.Integral) or int(step) < 0:
            raise ValueError(
                f"`intermediate_values`: step {step!r} is not a non-negative integer."
            )
        try:
            out[int(step)] = to_real(v)
        except NotReal as e:
            raise TypeError(f"`intermediate_values`: step {step}: {e}.") from None
        except TooLarge as e:
            raise ValueError(
                f"`intermediate_values`: step {step}: {e} does not fit in a float."
            ) from None
    return out


def _check_attrs(field: str, attrs: dict[Any, Any]) -> None:
    for key, value in attrs.items():
        check_attr(f"`{field}`", key, value)


def _checked_time(field: str, t: Any) -> datetime.datetime | None:
    """``t`` as an aware datetime (naive is UTC, as storages read it), or None."""
    if t is None:
        return None
    if not isinstance(t, datetime.datetime):
        raise TypeError(f"`{field}` must be a datetime.datetime or None, got {t!r}.")
    return t if t.tzinfo is not None else t.replace(tzinfo=datetime.timezone.utc)


class FrozenTrial:
    """The record of a trial as storage holds it.

    Parameters are kept in their external form (what the objective saw) together with their
    distributions. Storages hand these out; samplers must treat them as read-only.

    Attributes:
        number: Position of the trial in its study, 0, 1, 2, … without gaps.
        state: A :class:`TrialState`.
        values: Objective values of a finished COMPLETE trial (one per direction), else None.
        params: ``{name: value}`` as the objective received them.
        distributions: ``{name: distribution}``.
        user_attrs / system_attrs: JSON-compatible attributes.
        intermediate_values: ``{step: value}`` reported with ``Trial.report``.
        datetime_start / datetime_complete: UTC timestamps (None while not started / running).

    Example:
        >>> from hyperdial.distributions import FloatDistribution
        >>> t = FrozenTrial(number=0, state=TrialState.COMPLETE, values=[0.5],
        ...                 params={"x": 0.25}, distributions={"x": FloatDistribution(0, 1)})
        >>> t.value, t.params
        (0.5, {'x': 0.25})
    """

    __slots__ = (
        "_distributions",
        "_params",
        "_trial_id",
        "_values",
        "datetime_complete",
        "datetime_start",
        "intermediate_values",
        "number",
        "state",
        "system_attrs",
        "user_attrs",
    )

    def __init__(
        self,
        number: int = -1,
        state: TrialState = TrialState.RUNNING,
        value: float | None = None,
        datetime_start: datetime.datetime | None = None,
        datetime_complete: datetime.datetime | None = None,
        params: dict[str, Any] | None = None,
        distributions: dict[str, BaseDistribution] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        intermediate_values: dict[int, float] | None = None,
        trial_id: int = -1,
        *,
        values: Sequence[float] | None = None,
    ) -> None:
        if value is not None and values is not None:
            raise ValueError("Give `value` or `values`, not both.")
        self.number = number
        self.state = TrialState(state)
        self._values: list[float] | None = (
            [_real("value", value)]
            if value is not None
            else None
            if values is None
            else _reals(values)
        )
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self._params: dict[str, Any] = dict(params or {})
        self._distributions: dict[str, BaseDistribution] = dict(distributions or {})
        self.user_attrs: dict[str, Any] = dict(user_attrs or {})
        self.system_attrs: dict[str, Any] = dict(system_attrs or {})
        self.intermediate_values: dict[int, float] = dict(intermediate_values or {})
        self._trial_id = trial_id

    # -- values -------------------------------------------------------------------------------
    @property
    def values(self) -> list[float] | None:
        return self._values

    @values.setter
    def values(self, v: Sequence[float] | None) -> None:
        self._values = None if v is None else _reals(v)

    @property
    def value(self) -> float | None:
        """The single objective value; raises for multi-objective trials."""
        if self._values is None:
            return None
        if len(self._values) != 1:
            raise RuntimeError(
                "This trial has several objective values; use `values` instead of `value`."
            )
        return self._values[0]

    @value.setter
    def value(self, v: float | None) -> None:
        self._values = None if v is None else [_real("value", v)]

    # -- parameters ---------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        return self._params

    @params.setter
    def params(self, params: dict[str, Any]) -> None:
        self._params = dict(params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return self._distributions

    @distributions.setter
    def distributions(self, d: dict[str, BaseDistribution]) -> None:
        self._distributions = dict(d)

    @property
    def trial_id(self) -> int:
        return self._trial_id

    @property
    def constraints(self) -> dict[str, float]:
        """``{name: value}`` from ``Trial.set_constraint``; a trial is feasible when all ≤ 0."""
        return dict(self.system_attrs.get(CONSTRAINTS_KEY, {}))

    def is_feasible(self) -> bool:
        """True when every constraint value is ≤ 0 (and not NaN)."""
        return all(v <= 0.0 for v in self.constraints.values())

    @property
    def last_step(self) -> int | None:
        """The largest step reported with ``Trial.report``, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    @property
    def duration(self) -> datetime.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    # -- the trial API, answered from the record ----------------------------------------------
    # A FrozenTrial can stand in for a live trial: an objective run on ``study.best_trial``
    # gets the stored parameters back, which re-trains the best model without a study.
    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """Returns the stored value of ``name`` (see :meth:`suggest_categorical`).

        Example:
            >>> import hyperdial
            >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=0))
            >>> objective = lambda t: (t.suggest_float("x", -5, 5) - 2) ** 2
            >>> study.optimize(objective, n_trials=5)
            >>> objective(study.best_trial) == study.best_value
            True
        """
        name = _check_name(name)
        return float(self._suggest(name, _make(name, FloatDistribution, low, high, log, step)))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Returns the stored value of ``name`` (see :meth:`suggest_categorical`)."""
        name = _check_name(name)
        return int(
            self._suggest(name, _make(name, IntDistribution, low, high, log=log, step=step))
        )

    def suggest_categorical(self, name: str, choices: Sequence[_Choice]) -> _Choice:
        """Returns the stored value of ``name``.

        The distribution the call describes must be compatible with the one stored for
        ``name`` (same kind, same log flag, same choices); it replaces the stored one. A stored
        value outside the new distribution is returned with a ``UserWarning``.

        Raises:
            ValueError: the trial has no value for ``name``, or the distribution is of another
                kind than the stored one.
        """
        name = _check_name(name)
        return self._suggest(name, _make(name, CategoricalDistribution, choices))  # type: ignore[no-any-return]

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"Trial {self.number} has no value for parameter {name!r}; it has "
                f"{sorted(self._params)}. Give it in `params` when creating the trial."
            )
        value = self._params[name]
        try:
            inside = distribution._contains(distribution.to_internal_repr(value))
        except ValueError:
            inside = False
        if not inside:
            warnings.warn(
                f"Parameter {name!r}: the stored value {value!r} is not a value of "
                f"{distribution!r}.",
                UserWarning,
                stacklevel=3,
            )
        old = self._distributions.get(name)
        if old is not None:
            check_distribution_compatibility(old, distribution, name=name)
        if old != distribution:
            # A new dict, not an update in place: records from ``get_trials(deepcopy=False)``
            # share their dicts with the storage.
            self._distributions = {**self._distributions, name: distribution}
        return value

    def report(self, value: float, step: int) -> None:
        """Does nothing: a finished trial keeps the intermediate values it has."""

    def should_prune(self) -> bool:
        """Always False: a finished trial is not pruned again."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        """Sets a user attribute on this record only (storage is not written)."""
        check_attr("User attribute", key, value)
        self.user_attrs = {**self.user_attrs, key: value}

    def set_system_attr(self, key: str, value: Any) -> None:
        """Sets a system attribute on this record only (storage is not written)."""
        check_attr("System attribute", key, value)
        self.system_attrs = {**self.system_attrs, key: value}

    def set_constraint(self, name: str, value: float) -> None:
        """Records a constraint value (feasible when ≤ 0) on this record only."""
        constraints = merged_constraints(self.system_attrs, {name: value})
        self.system_attrs = {**self.system_attrs, CONSTRAINTS_KEY: constraints}

    def _validate(self) -> None:
        """Checks a trial given to ``Study.add_trial`` as a live trial checks what it records;
        raises ValueError or TypeError naming the field and the value.

        Intermediate values need non-negative integer steps and real numbers (as
        ``Trial.report``), attributes str keys and JSON values (as ``set_user_attr``),
        distributions :class:`~hyperdial.distributions.BaseDistribution` objects holding their
        parameter's value, times ``datetime`` objects (naive ones are UTC) with the completion
        not before the start.
        """
        self.intermediate_values = _checked_intermediate(self.intermediate_values)
        for field in ("user_attrs", "system_attrs"):
            _check_attrs(field, getattr(self, field))
        start = _checked_time("datetime_start", self.datetime_start)
        complete = _checked_time("datetime_complete", self.datetime_complete)
        if start is not None and complete is not None and complete < start:
            raise ValueError(
                f"`datetime_complete` ({self.datetime_complete}) is before `datetime_start` "
                f"({self.datetime_start})."
            )
        for name, dist in self._distributions.items():
            if not isinstance(dist, BaseDistribution):
                raise TypeError(
                    f"`distributions`: parameter {name!r} must have a distribution object "
                    f"(e.g. FloatDistribution(0, 1)), got {dist!r}."
                )
        if self.state == TrialState.COMPLETE:
            if self._values is None:
                raise ValueError("A COMPLETE trial needs `values`.")
            if any(math.isnan(v) for v in self._values):
                raise ValueError(f"A COMPLETE trial cannot have NaN values, got {self._values}.")
        elif (
            self.state in (TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING)
            and self._values is not None
        ):
            raise ValueError(f"A {self.state.name} trial cannot have values.")
        if set(self._params) != set(self._distributions):
            raise ValueError(
                "`params` and `distributions` must name the same parameters, got "
                f"{sorted(self._params)} and {sorted(self._distributions)}."
            )
        for name, v in self._params.items():
            dist = self._distributions[name]
            try:
                internal = dist.to_internal_repr(v)
            except ValueError as e:
                raise ValueError(f"`params`: parameter {name!r}: {e}") from None
            if not dist._contains(internal):
                raise ValueError(f"Parameter {name!r}: {v!r} is not a value of {dist!r}.")

    # -- dunder -------------------------------------------------------------------------------
    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, s) for s in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: FrozenTrial) -> bool:
        return self.number < other.number

    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> FrozenTrial:
        new = FrozenTrial.__new__(FrozenTrial)
        new._distributions = self._distributions
        new._params = self._params
        new._trial_id = self._trial_id
        new._values = self._values
        new.datetime_complete = self.datetime_complete
        new.datetime_start = self.datetime_start
        new.intermediate_values = self.intermediate_values
        new.number = self.number
        new.state = self.state
        new.system_attrs = self.system_attrs
        new.user_attrs = self.user_attrs
        return new

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenTrial:
        # Distributions, timestamps and the state are immutable and shared. Containers of
        # plain scalars (params, values, intermediate values, most attributes) are copied
        # shallowly, which is a deep copy for them; anything else goes through deepcopy.
        new = FrozenTrial.__new__(FrozenTrial)
        new._distributions = dict(self._distributions)
        new._params = _copy_container(self._params, memo)
        new._trial_id = self._trial_id
        new._values = None if self._values is None else _copy_container(self._values, memo)
        new.datetime_complete = self.datetime_complete
        new.datetime_start = self.datetime_start
        new.intermediate_values = _copy_container(self.intermediate_values, memo)
        new.number = self.number
        new.state = self.state
        new.system_attrs = _copy_container(self.system_attrs, memo)
        new.user_attrs = _copy_container(self.user_attrs, memo)
        return new

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, values={self._values}, "
            f"params={self._params}, datetime_start={self.datetime_start!r}, "
            f"datetime_complete={self.datetime_complete!r}, user_attrs={self.user_attrs}, "
            f"system_attrs={self.system_attrs}, "
            f"intermediate_values={self.intermediate_values}, trial_id={self._trial_id})"
        )


def create_trial(
    *,
    state: TrialState | None = None,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
    constraints: dict[str, float] | None = None,
) -> FrozenTrial:
    """Makes a checked :class:`FrozenTrial`, e.g. to pass to :meth:`Study.add_trial`.

    The trial gets number and id -1 (the storage numbers it when it is added), a start time of
    now (none for WAITING) and, when finished, the same completion time.

    Args:
        state: Default COMPLETE. A COMPLETE trial needs ``value`` or ``values``.
        value: The objective value (single objective); not together with ``values``.
        values: One value per objective.
        params: ``{name: value}`` as the objective received them.
        distributions: ``{name: distribution}``, the same names as ``params``.
        user_attrs: JSON attributes for users.
        system_attrs: JSON attributes for the library (rarely needed).
        intermediate_values: ``{step: value}``, as ``Trial.report`` would store them.
        constraints: ``{name: value}``; the trial is feasible when every value is ≤ 0.

    Raises:
        ValueError: the fields contradict each other (see :meth:`Study.add_trial`).
        TypeError: a field holds the wrong kind of object.

    Example:
        >>> from hyperdial.distributions import FloatDistribution
        >>> t = create_trial(params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)},
        ...                  value=0.25)
        >>> t.state, t.value, t.params
        (TrialState.COMPLETE, 0.25, {'x': 0.5})
    """
    state = TrialState.COMPLETE if state is None else TrialState(state)
    start = None if state == TrialState.WAITING else datetime.datetime.now(datetime.timezone.utc)
    trial = FrozenTrial(
        number=-1,
        trial_id=-1,
        state=state,
        value=value,
        values=values,
        datetime_start=start,
        datetime_complete=start if state.is_finished() else None,
        params=params,
        distributions=distributions,
        user_attrs=user_attrs,
        system_attrs=system_attrs,
        intermediate_values=intermediate_values,
    )
    for name, c in (constraints or {}).items():
        trial.set_constraint(name, c)
    trial._validate()
    return trial

from __future__ import annotations

import datetime
from typing import Any

from hyperdial.distributions import BaseDistribution
from hyperdial.trial._trial import (
    BaseTrial,
    _check_constraint,
    _check_intermediate,
    _check_json,
    _check_step,
)

__all__ = ["FixedTrial"]


class FixedTrial(BaseTrial):
    """Runs an objective with given parameter values, outside any study.

    Useful to re-train the best model, or to test an objective.

    Args:
        params: ``{name: value}`` for every parameter the objective suggests.
        number: What ``trial.number`` returns.

    Example:
        >>> import hyperdial
        >>> def objective(trial):
        ...     return trial.suggest_float("x", -10, 10) ** 2
        >>> objective(hyperdial.trial.FixedTrial({"x": 3.0}))
        9.0
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        self._params = dict(params)
        self._suggested: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._intermediate_values: dict[int, float] = {}
        self._constraints: dict[str, float] = {}
        self._number = number
        self._datetime_start = datetime.datetime.now(datetime.timezone.utc)

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name in self._distributions:
            if self._distributions[name] != distribution:
                raise ValueError(
                    f"Parameter {name!r} was already suggested as {self._distributions[name]!r}; "
                    f"it cannot be suggested again as {distribution!r}."
                )
            return self._suggested[name]
        if name not in self._params:
            raise ValueError(
                f"FixedTrial has no value for parameter {name!r}; it has {sorted(self._params)}."
            )
        value = self._params[name]
        try:
            internal = distribution.to_internal_repr(value)
        except ValueError as e:
            raise ValueError(f"Parameter {name!r}: {e}") from None
        if not distribution._contains(internal):
            raise ValueError(f"Parameter {name!r}: {value!r} is not a value of {distribution!r}.")
        external = distribution.to_external_repr(internal)
        self._suggested[name] = external
        self._distributions[name] = distribution
        return external

    def report(self, value: float, step: int) -> None:
        self._intermediate_values.setdefault(_check_step(step), _check_intermediate(value))

    def should_prune(self) -> bool:
        """Always False: a fixed trial has no study to compare with."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        _check_json("User attribute", key, value)
        self._user_attrs[key] = value

    def set_constraint(self, name: str, value: float) -> None:
        self._constraints[name] = _check_constraint(name, value)

    @property
    def number(self) -> int:
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._suggested)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._user_attrs)

    @property
    def constraints(self) -> dict[str, float]:
        return dict(self._constraints)

    @property
    def intermediate_values(self) -> dict[int, float]:
        return dict(self._intermediate_values)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        return self._datetime_start

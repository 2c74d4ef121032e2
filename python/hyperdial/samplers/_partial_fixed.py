"""A sampler that holds some parameters at given values and lets another choose the rest."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from hyperdial.distributions import BaseDistribution
from hyperdial.samplers._base import BaseSampler

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial
    from hyperdial.trial._state import TrialState

__all__ = ["PartialFixedSampler"]


class PartialFixedSampler(BaseSampler):
    """Suggests the values of ``fixed_params`` and leaves every other parameter to a base sampler.

    Useful to continue a study with some parameters frozen (e.g. at their best values). The
    fixed parameters are taken out of the base sampler's joint (relative) search space, so a
    model-based base sampler models the others only. A fixed value that is not a value of the
    distribution the objective asks for is ignored with a ``UserWarning`` and the base sampler
    chooses instead, as for an enqueued trial (the trial must record a value of its
    distribution).

    Args:
        fixed_params: ``{name: value}`` of the parameters to hold.
        base_sampler: The sampler for every other parameter; its hooks (``reserve``,
            ``before_trial``, ``after_trial``, ``reseed_rng``) run as usual.

    Example:
        >>> import hyperdial
        >>> from hyperdial.samplers import PartialFixedSampler, RandomSampler
        >>> sampler = PartialFixedSampler({"y": 0}, RandomSampler(seed=0))
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> study.optimize(
        ...     lambda t: t.suggest_float("x", -1, 1) ** 2 + t.suggest_int("y", -3, 3) ** 2,
        ...     n_trials=5,
        ... )
        >>> {t.params["y"] for t in study.trials}
        {0}
    """

    def __init__(self, fixed_params: dict[str, Any], base_sampler: BaseSampler) -> None:
        if not isinstance(fixed_params, dict):
            raise TypeError(f"`fixed_params` must be a dict, got {type(fixed_params).__name__}.")
        if not isinstance(base_sampler, BaseSampler):
            raise TypeError(
                f"`base_sampler` must be a BaseSampler, got {type(base_sampler).__name__}."
            )
        self._fixed_params = dict(fixed_params)
        self._base_sampler = base_sampler

    def reseed_rng(self) -> None:
        self._base_sampler.reseed_rng()

    def reserve(self, study: Study) -> dict[str, Any] | None:
        return self._base_sampler.reserve(study)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._base_sampler.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        space = self._base_sampler.infer_relative_search_space(study, trial)
        return {k: d for k, d in space.items() if k not in self._fixed_params}

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._base_sampler.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if param_name in self._fixed_params:
            value = self._fixed_params[param_name]
            try:
                inside = param_distribution._contains(param_distribution.to_internal_repr(value))
            except ValueError:
                inside = False
            if inside:
                return value
            warnings.warn(
                f"Fixed parameter {param_name!r}: {value!r} is not a value of "
                f"{param_distribution!r}; the base sampler chooses instead.",
                UserWarning,
                stacklevel=2,
            )
        return self._base_sampler.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._base_sampler.after_trial(study, trial, state, values)

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hyperdial.distributions import BaseDistribution, unit_to_internal
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._seeding import check_seed, hash_to_unit

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["RandomSampler"]


class RandomSampler(BaseSampler):
    """Samples every parameter independently and uniformly (in its own scale).

    The value of a parameter is a function of ``(seed, trial number, parameter name)`` only, so
    a seeded study gives the same trials whatever ``n_jobs`` is and whatever order the
    objective suggests its parameters in.

    Args:
        seed: An integer in ``[0, 2**63)``; None draws one at random.

    Example:
        >>> import hyperdial
        >>> study = hyperdial.create_study(sampler=hyperdial.samplers.RandomSampler(seed=1))
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=5)
        >>> len(study.trials)
        5
    """

    def __init__(self, seed: int | None = None) -> None:
        self._seed = check_seed(seed)

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        u = hash_to_unit(self._seed, trial.number, param_name)
        return param_distribution.to_external_repr(unit_to_internal(param_distribution, u))

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from hyperdial._transient import transient_attrs
from hyperdial.distributions import BaseDistribution, unit_to_internal
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._seeding import check_seed

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["QMCSampler"]

_SEED_KEY = "qmc:seed"
_DIM_PREFIX = "qmc:dim:"


def _load_core() -> Any:
    from hyperdial import _core

    return _core


class QMCSampler(BaseSampler):
    """Quasi-random search: trial ``n`` takes point ``n`` of a (scrambled) Sobol sequence.

    Low-discrepancy points cover the space more evenly than random ones, which helps most for
    small budgets. The generator is in C++ (Joe–Kuo direction numbers, up to
    ``hyperdial._core.SOBOL_MAX_DIMS`` parameters). Each parameter name gets its own Sobol
    coordinate the first time any trial of the study suggests it, so define-by-run
    (conditional) spaces work and every worker of a shared study uses one sequence: the
    coordinate assignment and the scramble seed are claimed in storage.

    Points are mapped to each distribution uniformly in its own scale (log, steps, ints,
    categoricals) by :func:`hyperdial.distributions.unit_to_internal`. Balance is best when
    the number of trials is a power of two.

    Args:
        qmc_type: ``"sobol"``.
        scramble: Scramble the sequence (linear matrix scramble + digital shift). Unscrambled,
            trial 0 sits at the lower corner of the space.
        seed: Scramble seed; ``None`` draws one. A study that already has a seed (from an
            earlier run or another worker) keeps it.

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.QMCSampler(seed=0)
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> study.optimize(lambda t: (t.suggest_float("x", 0, 1) - 0.3) ** 2, n_trials=8)
    """

    #: The core module, and each study's seed and coordinates (read again from the claims).
    _transient = transient_attrs(BaseSampler, _core=_load_core, _state=dict)

    def __init__(
        self, *, qmc_type: str = "sobol", scramble: bool = True, seed: int | None = None
    ) -> None:
        if qmc_type != "sobol":
            raise ValueError(f"`qmc_type` must be 'sobol', got {qmc_type!r}.")
        self._core = _load_core()
        self._qmc_type = qmc_type
        self._scramble = bool(scramble)
        self._seed = check_seed(seed)
        self._lock = threading.Lock()
        # (id(storage), study_id) -> (scramble seed, {param name: coordinate})
        self._state: dict[tuple[int, int], tuple[int, dict[str, int]]] = {}

    def reseed_rng(self) -> None:
        self._seed = check_seed(None)

    def _study_state(self, study: Study) -> tuple[int, dict[str, int]]:
        key = (id(study._storage), study._study_id)
        state = self._state.get(key)
        if state is None:
            storage = study._storage
            seed = int(storage.claim(study._study_id, _SEED_KEY, str(self._seed)))
            claims = storage.get_claims(study._study_id, _DIM_PREFIX)
            dims = {name: int(k[len(_DIM_PREFIX) :]) for k, name in claims.items()}
            state = (seed, dims)
            self._state[key] = state
        return state

    def _coordinate(self, study: Study, name: str) -> tuple[int, int]:
        with self._lock:
            seed, dims = self._study_state(study)
            if name not in dims:
                storage, study_id = study._storage, study._study_id
                k = len(dims)
                while True:
                    holder = storage.claim(study_id, f"{_DIM_PREFIX}{k}", name)
                    dims.setdefault(holder, k)
                    if holder == name:
                        break
                    k += 1
                if k >= self._core.SOBOL_MAX_DIMS:
                    raise ValueError(
                        f"QMCSampler supports at most {self._core.SOBOL_MAX_DIMS} parameters "
                        f"per study; {name!r} would be number {k + 1}."
                    )
            return seed, dims[name]

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        seed, k = self._coordinate(study, param_name)
        point = self._core.sobol_sample(
            n_dims=k + 1,
            start_index=trial.number,
            n=1,
            scramble=self._scramble,
            seed=seed,
            n_threads=1,
        )
        u = float(point[0, k])
        return param_distribution.to_external_repr(unit_to_internal(param_distribution, u))

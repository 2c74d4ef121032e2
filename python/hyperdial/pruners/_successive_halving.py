from __future__ import annotations

import math
import numbers
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._utils import check_int, comparable_trials, loss_sign
from hyperdial.trial._state import TrialState

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["SuccessiveHalvingPruner"]


def _rung_loss(trial: FrozenTrial, resource: int, sign: float) -> float | None:
    """The trial's loss when it reached ``resource``: its value at the first reported step
    ≥ ``resource`` (None if it has not got there; NaN counts as the worst loss)."""
    values = trial.intermediate_values
    value = values.get(resource)  # the usual case: a report at every step, one lookup
    if value is None:
        steps = [s for s in values if s >= resource]
        if not steps:
            return None
        value = values[min(steps)]
    v = sign * value
    return math.inf if math.isnan(v) else v


def asha_prune(
    study: Study,
    trial: FrozenTrial,
    min_resource: int,
    reduction_factor: int,
    min_early_stopping_rate: int,
    bootstrap_count: int,
    same_bracket: Callable[[FrozenTrial], bool] | None = None,
    max_resource: int | None = None,
) -> bool:
    """The asynchronous successive-halving decision for ``trial`` at its latest report.

    Rung ``k`` sits at resource ``min_resource * reduction_factor ** (min_early_stopping_rate
    + k)``. A trial is judged once at each rung, at the report that reaches it: it goes on if
    its loss there is among the best ``1/reduction_factor`` of every trial that has reached
    the rung so far (itself included; other workers' running trials count). While fewer than
    ``reduction_factor`` trials have reached a rung, only the best so far goes on. While fewer
    than ``bootstrap_count`` trials have reached it, every trial goes on. When ``max_resource``
    is given, rungs at or beyond it are not judged: a trial there has had its full training,
    and stopping it would save nothing (the top rung of successive halving only picks the
    winner).
    """
    step = trial.last_step
    if step is None:
        return False
    sign = loss_sign(study)
    earlier = [s for s in trial.intermediate_values if s < step]
    previous = max(earlier) if earlier else -1
    others: list[FrozenTrial] | None = None
    k = 0
    while True:
        resource = min_resource * reduction_factor ** (min_early_stopping_rate + k)
        if resource > step or (max_resource is not None and resource >= max_resource):
            return False
        k += 1
        if resource <= previous:
            continue  # judged at an earlier report
        mine = _rung_loss(trial, resource, sign)
        assert mine is not None
        if others is None:
            others = [
                t
                for t in comparable_trials(study, trial)
                if same_bracket is None or same_bracket(t)
            ]
        rung = [mine]
        for t in others:
            loss = _rung_loss(t, resource, sign)
            if loss is not None:
                rung.append(loss)
        if len(rung) < bootstrap_count:
            continue
        if math.isinf(mine) and mine > 0:
            return True
        rung.sort()
        n_promote = len(rung) // reduction_factor
        cutoff = rung[n_promote - 1] if n_promote > 0 else rung[0]
        if mine > cutoff:
            return True


def first_complete_last_step(study: Study) -> int | None:
    """The last step of the lowest-numbered COMPLETE trial that reported, or None."""
    for t in study._get_trials(states=(TrialState.COMPLETE,)):
        if t.last_step is not None:
            return t.last_step
    return None


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (ASHA, Li et al. 2020).

    Resources are steps of ``trial.report``. Rungs sit at ``min_resource * reduction_factor **
    (min_early_stopping_rate + k)``; at each rung a trial continues only if it is among the
    best ``1/reduction_factor`` of the trials that reached that rung so far (see
    :func:`asha_prune` for the exact rule). Decisions use only what is in storage, so every
    worker takes the same decision for the same history.

    This is the *stopping* form of ASHA, the one a pruner can implement: a trial is judged
    once, when it reaches a rung, against the trials that reached the rung before it, and a
    trial that does not make the cut then is stopped for good. ASHA's *promotion* form (Li et
    al. 2020, Algorithm 2) instead leaves it paused in the rung and resumes it later if it
    climbs into the top ``1/η`` as the rung fills up; that needs a scheduler that can resume
    trials from a checkpoint, which ``trial.should_prune()`` cannot.

    ASHA's top rung is the maximum resource ``R`` (Li et al. 2020, Algorithm 2): a trial that
    reaches it has had its full training. With ``max_resource`` given, rungs at or beyond it
    are not judged, so such a trial ends COMPLETE instead of being stopped after its last step
    (which saves nothing). Without it (the default, as in Optuna), every rung is judged.

    Args:
        min_resource: Steps before the first rung, or ``"auto"``: 1/100 of the number of steps of
            the first completed trial (no pruning until a trial completes).
        reduction_factor: η ≥ 2; the fraction kept at each rung is 1/η.
        min_early_stopping_rate: s ≥ 0; the first rung is at ``min_resource * η**s``.
        bootstrap_count: No pruning at a rung until this many trials have reached it.
        max_resource: The number of steps of a full trial (no judgment there or beyond), or
            ``"auto"``: the last step of the first completed trial, or None: no top rung.

    Example:
        >>> import hyperdial
        >>> pruner = hyperdial.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
        >>> study = hyperdial.create_study(pruner=pruner)
    """

    def __init__(
        self,
        min_resource: int | str = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
        max_resource: int | str | None = None,
    ) -> None:
        self._min_resource: int | None = _check_resource("min_resource", min_resource)
        self._auto = self._min_resource is None
        self._eta: int = check_int("reduction_factor", reduction_factor, 2)
        self._rate: int = check_int("min_early_stopping_rate", min_early_stopping_rate, 0)
        self._bootstrap: int = check_int("bootstrap_count", bootstrap_count, 0)
        self._has_max = max_resource is not None
        self._max_resource: int | None = (
            None if max_resource is None else _check_resource("max_resource", max_resource)
        )
        if (
            self._max_resource is not None
            and self._min_resource is not None
            and self._max_resource < self._min_resource
        ):
            raise ValueError(
                f"`max_resource` must be >= min_resource = {min_resource}, got {max_resource!r}."
            )
        self._lock = threading.Lock()

    def _resolve(self, study: Study) -> tuple[int | None, int | None]:
        """``(min_resource, max_resource)``, resolving ``"auto"`` from the first COMPLETE trial
        (``min_resource`` None: not known yet; ``max_resource`` None: no top rung or not known
        yet)."""
        with self._lock:
            if self._min_resource is None or (self._has_max and self._max_resource is None):
                last = first_complete_last_step(study)
                if last is not None:
                    if self._min_resource is None:
                        self._min_resource = max(1, last // 100)
                    if self._has_max and self._max_resource is None:
                        self._max_resource = max(last, self._min_resource)
            return self._min_resource, self._max_resource

    @property
    def max_resource(self) -> int | None:
        """The number of steps of a full trial (None: no top rung, or ``"auto"`` not resolved)."""
        return self._max_resource

    def _rungs(self, up_to: int) -> list[int] | None:
        """Rung resources ≤ ``up_to`` (and ≤ ``max_resource`` when known; None while
        ``min_resource="auto"`` is unresolved)."""
        if self._min_resource is None:
            return None
        if self._max_resource is not None:
            up_to = min(up_to, self._max_resource)
        return _rung_list(self._min_resource * self._eta**self._rate, self._eta, up_to)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        min_resource, max_resource = self._resolve(study)
        if min_resource is None:
            return False
        if self._has_max and max_resource is None:
            return False  # "auto": the full length is not known until a trial completes
        return asha_prune(
            study,
            trial,
            min_resource,
            self._eta,
            self._rate,
            self._bootstrap,
            max_resource=max_resource,
        )


def _rung_list(first: int, reduction_factor: int, up_to: int) -> list[int]:
    out = []
    r = first
    while r <= up_to:
        out.append(r)
        r *= reduction_factor
    return out


def _check_resource(name: str, value: Any) -> int | None:
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"`{name}` must be 'auto' or an integer >= 1, got {value!r}.")
    return int(value)

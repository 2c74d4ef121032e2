from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._utils import check_int, loss_sign

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["PatientPruner"]


class PatientPruner(BasePruner):
    """Waits until a trial has stopped improving before pruning it (or asking another pruner).

    A trial is *stale* when the best of its last ``patience`` reported values does not beat the
    best value before them by more than ``min_delta``. Only a stale trial is pruned: by this
    pruner alone when ``wrapped_pruner`` is None, otherwise when the wrapped pruner also says so.
    NaN values never count as an improvement.

    Args:
        wrapped_pruner: The pruner to consult once the trial is stale, or None.
        patience: Number of reports without improvement to tolerate (≥ 0).
        min_delta: The improvement that counts (≥ 0).

    Example:
        >>> import hyperdial
        >>> pruner = hyperdial.pruners.PatientPruner(hyperdial.pruners.MedianPruner(), patience=3)
    """

    def __init__(
        self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0
    ) -> None:
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise TypeError(
                f"`wrapped_pruner` must be a BasePruner or None, got {wrapped_pruner!r}."
            )
        self._wrapped = wrapped_pruner
        self._patience: int = check_int("patience", patience, 0)
        if (
            isinstance(min_delta, bool)
            or not isinstance(min_delta, numbers.Real)
            or not float(min_delta) >= 0.0
        ):
            raise ValueError(f"`min_delta` must be a number >= 0, got {min_delta!r}.")
        self._min_delta: float = float(min_delta)

    def _stale(self, study: Study, trial: FrozenTrial) -> bool:
        sign = loss_sign(study)
        losses = [sign * trial.intermediate_values[s] for s in sorted(trial.intermediate_values)]
        if len(losses) <= self._patience:
            return False
        before = [v for v in losses[: len(losses) - self._patience] if not math.isnan(v)]
        recent = [v for v in losses[len(losses) - self._patience :] if not math.isnan(v)]
        if not before:
            return False
        if not recent:  # patience 0 (nothing to wait for) or only NaN lately
            return True
        return min(recent) >= min(before) - self._min_delta  # no improvement beyond min_delta

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        if trial.last_step is None or not self._stale(study, trial):
            return False
        return True if self._wrapped is None else self._wrapped.prune(study, trial)

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING, Any

from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._utils import check_int, check_interval

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["ThresholdPruner"]


def _bound(name: str, v: Any) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(float(v)):
        raise ValueError(f"`{name}` must be None or a number, got {v!r}.")
    return float(v)


class ThresholdPruner(BasePruner):
    """Prunes a trial whose latest value leaves ``[lower, upper]`` or is NaN.

    Args:
        lower: Prune below this value (None: no lower bound).
        upper: Prune above this value (None: no upper bound).
        n_warmup_steps: No pruning before this step.
        interval_steps: Decide only every this many steps after the warm-up.

    Example:
        >>> import hyperdial
        >>> pruner = hyperdial.pruners.ThresholdPruner(upper=10.0)  # e.g. a diverging loss
    """

    def __init__(
        self,
        lower: float | None = None,
        upper: float | None = None,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
    ) -> None:
        self._lower = _bound("lower", lower)
        self._upper = _bound("upper", upper)
        if self._lower is None and self._upper is None:
            raise ValueError("Give `lower`, `upper` or both.")
        if self._lower is not None and self._upper is not None and self._lower > self._upper:
            raise ValueError(f"`lower` <= `upper` is required, got {lower!r} > {upper!r}.")
        self._n_warmup_steps: int = check_int("n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps: int = check_int("interval_steps", interval_steps, 1)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or not check_interval(step, self._n_warmup_steps, self._interval_steps):
            return False
        v = trial.intermediate_values[step]
        if math.isnan(v):
            return True
        return (self._lower is not None and v < self._lower) or (
            self._upper is not None and v > self._upper
        )

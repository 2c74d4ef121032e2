"""The objective model: :class:`hyperdial.gp.GaussianProcess` with a settable incumbent.

Kept apart from ``_sampler.py`` so that ``import hyperdial`` does not load ``hyperdial.gp``
(and the compiled core) until a GP sampler first fits a model.
"""

from __future__ import annotations

import numpy as np

from hyperdial.gp import GaussianProcess

__all__ = ["Model"]


class Model(GaussianProcess):
    """:class:`GaussianProcess` whose log-EI incumbent can be set (best *feasible* target).

    The facade takes the incumbent to be the largest target in the model; with constraints
    it must be the best target among feasible trials. ``incumbent`` is in the caller's units
    of ``y``; None keeps the facade's rule.
    """

    incumbent: float | None = None

    def _best(self) -> float:
        if self.incumbent is None:
            return super()._best()
        return float(self._standardise(np.array([self.incumbent], dtype=np.float64))[0])

"""The objective model: :class:`hyperdial.gp.GaussianProcess` with a settable incumbent and
copies conditioned on "lies" for pending points.

Kept apart from ``_sampler.py`` so that ``import hyperdial`` does not load ``hyperdial.gp``
(and the compiled core) until a GP sampler first fits a model.
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import NDArray

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

    def with_lies(
        self, x: NDArray[np.float64], y: NDArray[np.float64], with_mask: bool, n_threads: int
    ) -> Model:
        """A copy conditioned on observations ``y`` at the rows of ``x`` (constant liar),
        with the same hyperparameters and standardisation; ``self`` is unchanged."""
        twin = copy.copy(self)
        twin._gp = self._model().copy()
        ones = np.ones(x.shape[1]) if with_mask else None
        for xi, yi in zip(x, y, strict=True):
            twin.append(xi, float(yi), ones, n_threads=n_threads)
        return twin

"""Mutations of the NSGA samplers: a new value for one numeric parameter, in the unit cube.

The interface (:class:`BaseMutation`: ``mutation(param, rng, study, search_space_bounds)``,
``search_space_bounds`` the ``(2,)`` bounds of the parameter, here ``[0, 1]``) is Optuna's. The
sampler clips the result to the bounds. A categorical parameter chosen for mutation is drawn
again uniformly instead.
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hyperdial.study._study import Study

__all__ = ["BaseMutation", "PolynomialMutation"]


class BaseMutation(abc.ABC):
    """Mutates one numeric parameter; subclass it for a mutation of your own."""

    def __str__(self) -> str:
        return type(self).__name__

    @abc.abstractmethod
    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> float:
        """The mutated value of ``param`` (a unit position) within ``search_space_bounds``."""


class PolynomialMutation(BaseMutation):
    """Polynomial mutation with bounds (Deb and Goyal, "A combined genetic adaptive search
    (GeneAS) for engineering design", Computer Science and Informatics 26(4), 1996; the
    bounded form of NSGA-II's reference code): the value moves by ``delta (high - low)`` with
    ``delta`` from a polynomial density of index ``eta`` that never leaves the bounds.

    Args:
        eta: Distribution index, >= 0 (larger: smaller moves).
    """

    def __init__(self, eta: float = 20.0) -> None:
        if (
            isinstance(eta, bool)
            or not isinstance(eta, (int, float))
            or not math.isfinite(eta)
            or eta < 0
        ):
            raise ValueError(f"`eta` must be a finite number >= 0, got {eta!r}.")
        self._eta = float(eta)

    def mutation(
        self,
        param: float,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> float:
        low, high = float(search_space_bounds[0]), float(search_space_bounds[1])
        span = high - low
        if not span > 0:
            return param
        power = self._eta + 1.0
        u = float(rng.rand())
        if u <= 0.5:
            room = 1.0 - (param - low) / span
            delta = (2.0 * u + (1.0 - 2.0 * u) * room**power) ** (1.0 / power) - 1.0
        else:
            room = 1.0 - (high - param) / span
            delta = 1.0 - (2.0 * (1.0 - u) + 2.0 * (u - 0.5) * room**power) ** (1.0 / power)
        return float(min(max(param + delta * span, low), high))

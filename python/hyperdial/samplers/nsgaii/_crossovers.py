"""Crossovers of the NSGA samplers: one child from ``n_parents`` parents, in the unit cube.

The samplers hand a crossover the numeric parameters of the parents as positions in ``[0, 1]``
(:mod:`hyperdial.samplers._unit_cube`: uniform in each distribution's own scale, log for
``log=True``, one cell per value of an int or stepped grid), with ``search_space_bounds`` the
``(d, 2)`` array of ``[0, 1]`` rows. A child outside the bounds is drawn again by the sampler
from fresh parents (a bounded number of times, then clipped). Categorical parameters never reach
a crossover: the sampler crosses them uniformly between two parents.

The interface (:class:`BaseCrossover`: ``n_parents`` and ``crossover(parents_params, rng, study,
search_space_bounds)``, ``rng`` a ``numpy.random.RandomState``) is Optuna's, so a crossover
written for ``optuna.samplers.nsgaii`` runs here, in the unit cube instead of Optuna's
transformed space.

Arrays: ``parents_params`` (n_parents, d) float64, the result (d,) float64.
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hyperdial.study._study import Study

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]


def _probability(name: str, value: float, *, open_low: bool = False) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0
    if not ok or (open_low and value == 0.0):
        allowed = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"`{name}` must be a number in {allowed}, got {value!r}.")
    return float(value)


def _positive(name: str, value: float | None, *, allow_zero: bool = False) -> float | None:
    if value is None:
        return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        allowed = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be None or a finite number {allowed}, got {value!r}.")
    return float(value)


class BaseCrossover(abc.ABC):
    """Makes one child from ``n_parents`` parents; subclass it for a crossover of your own."""

    def __str__(self) -> str:
        return type(self).__name__

    @property
    @abc.abstractmethod
    def n_parents(self) -> int:
        """How many parents one child needs."""

    @abc.abstractmethod
    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        """The child (d,) of ``parents_params`` (n_parents, d); the bounds are (d, 2)."""


class UniformCrossover(BaseCrossover):
    """Each gene from the first or the second parent (Syswerda, "Uniform crossover in genetic
    algorithms", ICGA 1989).

    Args:
        swapping_prob: Probability of taking a gene from the second parent.

    Example:
        >>> from hyperdial.samplers.nsgaii import UniformCrossover
        >>> parents = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
        >>> child = UniformCrossover().crossover(parents, np.random.RandomState(0), None, None)
        >>> set(child.tolist()) <= {0.0, 1.0}
        True
    """

    def __init__(self, swapping_prob: float = 0.5) -> None:
        self._swapping_prob = _probability("swapping_prob", swapping_prob)

    @property
    def n_parents(self) -> int:
        return 2

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        take_second = rng.rand(parents_params.shape[1]) < self._swapping_prob
        out: np.ndarray = np.where(take_second, parents_params[1], parents_params[0])
        return out


class BLXAlphaCrossover(BaseCrossover):
    """Each gene uniform on the parents' interval widened by ``alpha`` times its length on both
    sides (Eshelman and Schaffer, "Real-coded genetic algorithms and interval-schemata", FOGA
    1992).

    Args:
        alpha: The widening, >= 0 (0: between the parents).
    """

    def __init__(self, alpha: float = 0.5) -> None:
        self._alpha = _positive("alpha", alpha, allow_zero=True)

    @property
    def n_parents(self) -> int:
        return 2

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        low = parents_params.min(axis=0)
        high = parents_params.max(axis=0)
        widen = (self._alpha or 0.0) * (high - low)
        out: np.ndarray = rng.uniform(low - widen, high + widen)
        return out


class SPXCrossover(BaseCrossover):
    """A child uniform in the parents' simplex expanded about its centroid by ``epsilon``
    (Tsutsui, Yamamura and Higuchi, "Multi-parent recombination with simplex crossover in real
    coded genetic algorithms", GECCO 1999; the sampling recursion of their Eq. 2).

    Args:
        epsilon: The expansion; None is ``sqrt(d + 2)`` for ``d`` numeric parameters, which
            keeps the covariance of the parents.
    """

    def __init__(self, epsilon: float | None = None) -> None:
        self._epsilon = _positive("epsilon", epsilon)

    @property
    def n_parents(self) -> int:
        return 3

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        n, d = parents_params.shape
        eps = self._epsilon if self._epsilon is not None else math.sqrt(d + 2)
        centre = parents_params.mean(axis=0)
        y = centre + eps * (parents_params - centre)
        # C_k = r_{k-1} (y_{k-1} - y_k + C_{k-1}), r_{k-1} = u^(1/k): a uniform point of the
        # simplex built one vertex at a time; the child is y_n + C_n.
        r = rng.rand(n - 1) ** (1.0 / np.arange(1, n))
        c = np.zeros(d)
        for k in range(1, n):  # n - 1 steps (n_parents, not trials)
            c = r[k - 1] * (y[k - 1] - y[k] + c)
        out: np.ndarray = y[-1] + c
        return out


def _default_eta(study: Study | None) -> float:
    """Deb's usual distribution index: 2 for one objective, 20 for several."""
    return 20.0 if study is not None and len(study.directions) > 1 else 2.0


class _TwoChildren(BaseCrossover):
    """SBX-style operators: two children per pair, made into one as Optuna does."""

    def __init__(
        self,
        eta: float | None = None,
        uniform_crossover_prob: float = 0.5,
        use_child_gene_prob: float = 0.5,
    ) -> None:
        self._eta = _positive("eta", eta, allow_zero=True)
        self._uniform_prob = _probability("uniform_crossover_prob", uniform_crossover_prob)
        self._child_gene_prob = _probability(
            "use_child_gene_prob", use_child_gene_prob, open_low=True
        )

    @property
    def n_parents(self) -> int:
        return 2

    @abc.abstractmethod
    def _children(
        self, x1: np.ndarray, x2: np.ndarray, eta: float, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray]:
        """The two children of parents ``x1``, ``x2`` (d,)."""

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        eta = self._eta if self._eta is not None else _default_eta(study)
        x1, x2 = parents_params[0], parents_params[1]
        c1, c2 = self._children(x1, x2, eta, rng)
        d = x1.shape[0]
        # Swap genes between the two children, keep one of them, then keep each of its
        # genes with use_child_gene_prob (else the gene of the parent it came from).
        swap = rng.rand(d) < self._uniform_prob
        c1, c2 = np.where(swap, c2, c1), np.where(swap, c1, c2)
        first = rng.rand() < 0.5
        child, parent = (c1, x1) if first else (c2, x2)
        keep = rng.rand(d) < self._child_gene_prob
        out: np.ndarray = np.where(keep, child, parent)
        return out


class SBXCrossover(_TwoChildren):
    """Simulated binary crossover with bounds (Deb and Agrawal, "Simulated binary crossover for
    continuous search space", Complex Systems 9, 1995; the bounded spread of Deb and Goyal
    1996 used in NSGA-II's reference code): children spread about the parents with a
    polynomial density of index ``eta``, truncated to the bounds.

    Two children are made into one as in Optuna: genes swapped between them with
    ``uniform_crossover_prob``, one child kept at random, and each of its genes kept with
    ``use_child_gene_prob`` (else its parent's gene).

    Args:
        eta: Distribution index, >= 0 (larger: children nearer their parents); None: 2 for
            one objective, 20 for several.
        uniform_crossover_prob: In ``[0, 1]``.
        use_child_gene_prob: In ``(0, 1]``.
    """

    def _children(
        self, x1: np.ndarray, x2: np.ndarray, eta: float, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray]:
        low, high = np.minimum(x1, x2), np.maximum(x1, x2)
        diff = high - low
        u = rng.rand(x1.shape[0])
        e = 1.0 / (eta + 1.0)
        safe = np.where(diff > 1e-14, diff, 1.0)

        def spread(beta: np.ndarray) -> np.ndarray:
            # Deb and Goyal's bounded inverse CDF: alpha = 2 - beta^-(eta+1).
            alpha = 2.0 - beta ** -(eta + 1.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = np.where(
                    u <= 1.0 / alpha, (u * alpha) ** e, (1.0 / (2.0 - u * alpha)) ** e
                )
            out: np.ndarray = np.nan_to_num(inner, nan=1.0, posinf=1.0)
            return out

        beta_low = 1.0 + 2.0 * (low - 0.0) / safe
        beta_high = 1.0 + 2.0 * (1.0 - high) / safe
        c_low = 0.5 * (low + high - spread(beta_low) * diff)
        c_high = 0.5 * (low + high + spread(beta_high) * diff)
        c_low = np.clip(np.where(diff > 1e-14, c_low, low), 0.0, 1.0)
        c_high = np.clip(np.where(diff > 1e-14, c_high, high), 0.0, 1.0)
        # c_low belongs to the smaller parent: give each child back to its own parent.
        first_is_low = x1 <= x2
        return np.where(first_is_low, c_low, c_high), np.where(first_is_low, c_high, c_low)


class VSBXCrossover(_TwoChildren):
    """SBX whose children can land anywhere, not only near one of the parents (Ballester and
    Carter, "Real-parameter genetic algorithms for finding multiple optimal solutions in
    multi-modal optimization", GECCO 2003, Eq. 3): for ``u <= 1/2`` a child moves away from
    the other parent, ``c1 = x1 - (beta - 1)/2 (x2 - x1)``, otherwise towards it and possibly
    past it, ``c1 = x1 + (beta - 1)/2 (x2 - x1)``, with ``beta >= 1`` from SBX's expanding
    branch; likewise ``c2`` about ``x2``. Unbounded: the sampler redraws children outside.

    Args: as :class:`SBXCrossover`.
    """

    def _children(
        self, x1: np.ndarray, x2: np.ndarray, eta: float, rng: np.random.RandomState
    ) -> tuple[np.ndarray, np.ndarray]:
        d = x1.shape[0]
        e = 1.0 / (eta + 1.0)

        def step() -> np.ndarray:
            u = rng.rand(d)
            away = u <= 0.5
            tail = np.where(away, 2.0 * u, 2.0 * (1.0 - u))
            with np.errstate(divide="ignore"):
                beta = np.where(tail > 0, (1.0 / np.where(tail > 0, tail, 1.0)) ** e, 1.0)
            out: np.ndarray = np.where(away, -1.0, 1.0) * (beta - 1.0) / 2.0
            return out

        gap = x2 - x1
        return x1 + step() * gap, x2 - step() * gap


class UNDXCrossover(BaseCrossover):
    """Unimodal normal distribution crossover (Ono and Kobayashi, "A real-coded genetic
    algorithm for function optimization using unimodal normal distribution crossover", ICGA
    1997; Kita, Ono and Kobayashi, CEC 1999): a normal child about the midpoint ``m`` of the
    first two parents, ``m + xi (x2 - x1) + D sum_i eta_i e_i``, with ``xi ~ N(0, sigma_xi^2)``
    along the parents' line, ``eta_i ~ N(0, sigma_eta^2)`` along an orthonormal basis ``e_i``
    of its complement, and ``D`` the distance of the third parent from that line.

    Args:
        sigma_xi: Spread along the line of the first two parents, > 0.
        sigma_eta: Spread across it, > 0; None is ``0.35 / sqrt(d)``.
    """

    def __init__(self, sigma_xi: float = 0.5, sigma_eta: float | None = None) -> None:
        self._sigma_xi = _positive("sigma_xi", sigma_xi) or 0.5
        self._sigma_eta = _positive("sigma_eta", sigma_eta)

    @property
    def n_parents(self) -> int:
        return 3

    def crossover(
        self,
        parents_params: np.ndarray,
        rng: np.random.RandomState,
        study: Study,
        search_space_bounds: np.ndarray,
    ) -> np.ndarray:
        x1, x2, x3 = parents_params[0], parents_params[1], parents_params[2]
        d = x1.shape[0]
        mid = (x1 + x2) / 2.0
        line = x2 - x1
        length = float(np.linalg.norm(line))
        sigma_eta = self._sigma_eta if self._sigma_eta is not None else 0.35 / math.sqrt(d)
        if length > 1e-14:
            direction = line / length
            # A basis whose first column is the line's direction; the others span its complement.
            basis = np.linalg.qr(np.column_stack([direction, np.eye(d)]))[0]
            across = basis[:, 1:d]
            offset = x3 - x1
            dist = float(np.linalg.norm(offset - (offset @ direction) * direction))
        else:
            across = np.eye(d)
            dist = float(np.linalg.norm(x3 - x1))
        xi = rng.normal(0.0, self._sigma_xi)
        etas = rng.normal(0.0, sigma_eta, size=across.shape[1])
        out: np.ndarray = mid + xi * line + dist * (across @ etas)
        return out

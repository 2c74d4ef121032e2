from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from hyperdial.pruners._base import BasePruner
from hyperdial.pruners._successive_halving import (
    _check_resource,
    _rung_list,
    asha_prune,
    first_complete_last_step,
)
from hyperdial.pruners._utils import check_int

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["HyperbandPruner"]


class HyperbandPruner(BasePruner):
    """Hyperband (Li et al. 2018) over asynchronous successive halving.

    Brackets ``b = 0 … B-1`` run successive halving with ``min_early_stopping_rate = b``:
    bracket 0 stops trials earliest, bracket ``B-1`` lets every trial reach ``max_resource``.
    With ``s_max = B - 1 = floor(log_η(max_resource / min_resource))`` and ``s = s_max - b``,
    bracket ``b`` receives Hyperband's ``n_s = ceil((s_max + 1) * η**s / (s + 1))`` trials
    (Algorithm 1 of the paper, with ``B = (s_max + 1) R``), so every bracket spends about the
    same training.

    Trials are assigned to brackets by trial number, in cycles of ``sum(n_s)`` trials that hold
    exactly ``n_s`` trials of each bracket, *interleaved*: each trial goes to the bracket
    furthest behind its share of the cycle so far (ties: the more exploratory bracket), so
    every prefix of a cycle holds each bracket's share to within one trial for η = 3 with up to
    7 brackets (1.4 trials at most for any η ≤ 10 with cycles of up to 300 000 trials; checked,
    not proved), and a cycle starts with bracket 0 as the paper's order does. The synchronous
    algorithm runs bracket 0 to its end before bracket 1 starts. In an asynchronous study that
    order would make the first ``n_{s_max}`` trials (81 of 143 for ``R = 81``, η = 3) plain
    aggressive successive halving, without Hyperband's hedge against a misleading first rung
    until late in the cycle, and a study that stops before then never gets it. Other
    asynchronous Hyperbands mix the brackets too, weighted by their sizes: Ray Tune draws each
    trial's bracket at random, Optuna hashes the trial number. The mix here is deterministic,
    so every worker agrees on a trial's bracket without coordination, and the counts per cycle
    are exact. Trials compete only within their bracket. A trial that reaches ``max_resource``
    is never pruned there (it has had its full training).

    Args:
        min_resource: Steps at the first rung of the most aggressive bracket (≥ 1).
        max_resource: The number of steps of a full trial, or ``"auto"``: the last step of the
            first completed trial (no pruning until a trial completes).
        reduction_factor: η ≥ 2.
        bootstrap_count: As in :class:`SuccessiveHalvingPruner`.

    Example:
        >>> import hyperdial
        >>> pruner = hyperdial.pruners.HyperbandPruner(min_resource=1, max_resource=81)
        >>> pruner.n_brackets
        5
        >>> pruner.bracket_sizes()  # the paper's table for R = 81, η = 3
        [81, 34, 15, 8, 5]
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: int | str = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        min_r = _check_resource("min_resource", min_resource)
        if min_r is None:
            raise ValueError("`min_resource` must be an integer >= 1 for HyperbandPruner.")
        self._min_resource = min_r
        self._max_resource = _check_resource("max_resource", max_resource)
        self._eta: int = check_int("reduction_factor", reduction_factor, 2)
        self._bootstrap: int = check_int("bootstrap_count", bootstrap_count, 0)
        if self._max_resource is not None and self._max_resource < self._min_resource:
            raise ValueError(
                f"`max_resource` must be >= min_resource = {min_resource}, got {max_resource!r}."
            )
        self._lock = threading.Lock()
        self._cycle: tuple[int, ...] | None = None

    @property
    def n_brackets(self) -> int | None:
        """Number of brackets, or None while ``max_resource="auto"`` is not known yet."""
        if self._max_resource is None:
            return None
        ratio = self._max_resource / self._min_resource
        # floor(log_eta(ratio)) without floating-point surprises at exact powers
        s_max = 0
        while self._eta ** (s_max + 1) <= ratio:
            s_max += 1
        return s_max + 1

    def bracket_sizes(self) -> list[int] | None:
        """Trials per bracket in one Hyperband cycle, bracket 0 first (None while
        ``max_resource`` is unknown): ``n_s = ceil((s_max + 1) * η**s / (s + 1))``."""
        n = self.n_brackets
        if n is None:
            return None
        s_max = n - 1
        # exact integer ceiling of (s_max + 1) * eta**s / (s + 1)
        return [-(-(s_max + 1) * self._eta ** (s_max - b) // (s_max - b + 1)) for b in range(n)]

    def bracket_of(self, trial_number: int) -> int | None:
        """The bracket of a trial number (None while ``max_resource`` is unknown)."""
        cycle = self._cycle
        if cycle is None:
            sizes = self.bracket_sizes()
            if sizes is None:
                return None
            # max_resource never changes once known: one cycle of bracket ids, computed once
            cycle = self._cycle = _interleaved(sizes)
        return cycle[trial_number % len(cycle)]

    def _rungs(self, up_to: int) -> list[int]:
        """Every bracket's rung resources ≤ ``up_to`` (and ≤ ``max_resource`` when known)."""
        if self._max_resource is not None:
            up_to = min(up_to, self._max_resource)
        return _rung_list(self._min_resource, self._eta, up_to)

    @property
    def max_resource(self) -> int | None:
        """The number of steps of a full trial (None while ``"auto"`` is not resolved)."""
        return self._max_resource

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        with self._lock:
            if self._max_resource is None:
                last = first_complete_last_step(study)
                if last is None:
                    return False
                self._max_resource = max(last, self._min_resource)
        bracket = self.bracket_of(trial.number)
        assert bracket is not None
        return asha_prune(
            study,
            trial,
            self._min_resource,
            self._eta,
            bracket,
            self._bootstrap,
            same_bracket=lambda t: self.bracket_of(t.number) == bracket,
            max_resource=self._max_resource,
        )


def _interleaved(sizes: list[int]) -> tuple[int, ...]:
    """One cycle of ``L = sum(sizes)`` entries holding ``sizes[b]`` entries ``b``, spread
    evenly (smooth weighted round-robin): entry ``i = 1 … L`` goes to the bracket furthest
    behind its share, the largest ``i * sizes[b] / L - count_b`` (ties: the smaller ``b``).
    The cycle holds exactly ``sizes[b]`` of each, and every prefix holds each share to within
    about one entry (see :class:`HyperbandPruner` for the measured bound)."""
    total = sum(sizes)
    counts = [0] * len(sizes)
    cycle = []
    for i in range(1, total + 1):
        # deficits scaled by L to stay in integers
        b = max(range(len(sizes)), key=lambda c: (i * sizes[c] - total * counts[c], -c))
        counts[b] += 1
        cycle.append(b)
    return tuple(cycle)

from __future__ import annotations

import math
import os
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial._transient import transient_attrs
from hyperdial.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
)
from hyperdial.exceptions import StudyExhausted
from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._seeding import blake2b, check_seed, hash_to_unit
from hyperdial.trial._system_attrs import GRID_FINGERPRINT_KEY as GRID_KEY
from hyperdial.trial._system_attrs import GRID_ID_KEY

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["GridSampler"]


# Grids up to this many points are visited in the order of one NumPy permutation (8 bytes a
# point); larger ones in the order of a keyed bijection computed point by point (_LazyOrder).
_EAGER_LIMIT = 1 << 22


class _LazyOrder:
    """A seeded permutation of ``range(n)`` evaluated one position at a time, in O(1) memory.

    A balanced Feistel network on ``2k``-bit integers (``4**k >= n``, four rounds, BLAKE2b as
    the round function) is a bijection on ``[0, 4**k)``; cycle-walking (apply it again until
    the result is below ``n``) restricts it to a bijection on ``[0, n)`` (Black and Rogaway,
    "Ciphers with arbitrary finite domains", CT-RSA 2002). ``4**k < 4 n``, so a position takes
    fewer than four walks on average.
    """

    def __init__(self, n: int, seed: int) -> None:
        self._n = n
        half_bits = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
        self._half_bits = half_bits
        self._mask = (1 << half_bits) - 1
        self._key = seed.to_bytes(8, "little")
        self._width = (half_bits + 7) // 8 + 1

    def _round(self, r: int, x: int) -> int:
        h = blake2b(x.to_bytes(self._width, "little"), digest_size=8, key=self._key)
        h.update(bytes((r,)))
        return int.from_bytes(h.digest(), "little") & self._mask

    def _permute(self, x: int) -> int:
        left, right = x >> self._half_bits, x & self._mask
        for r in range(4):
            left, right = right, left ^ self._round(r, right)
        return (left << self._half_bits) | right

    def __getitem__(self, position: int) -> int:
        x = self._permute(position)
        while x >= self._n:
            x = self._permute(x)
        return x


class _StudyCursor:
    __slots__ = ("position", "taken")

    def __init__(self, taken: set[int]) -> None:
        self.position = 0
        self.taken = taken


def _new_token() -> str:
    return os.urandom(16).hex()


class GridSampler(BaseSampler):
    """Tries every point of a grid exactly once, in a seeded random order.

    Each new trial claims one grid point in storage before it is created, so the guarantee
    holds with ``n_jobs > 1`` and with several processes on a shared storage. When every point
    is taken, ``optimize`` stops and ``Study.ask`` raises
    :class:`~hyperdial.exceptions.StudyExhausted`. A trial that fails keeps its point. The
    order is computed point by point for large grids, so the grid's size costs no memory.

    Args:
        search_space: ``{name: [values…]}``. Values are None/bool/int/float/str, distinct
            within a parameter, and must belong to the distribution the objective suggests.
        seed: Seed of the visiting order (``None``: random).

    Example:
        >>> import hyperdial
        >>> sampler = hyperdial.samplers.GridSampler({"x": [0, 1, 2], "y": ["a", "b"]}, seed=0)
        >>> study = hyperdial.create_study(sampler=sampler)
        >>> def objective(trial):
        ...     y = trial.suggest_categorical("y", ["a", "b"])
        ...     return trial.suggest_int("x", 0, 2) + len(y)
        >>> study.optimize(objective)  # stops by itself after 6 trials
        >>> len(study.trials)
        6
    """

    #: A copy claims points under a token of its own (two holders of one token would both
    #: think they won a point); its cursors are read again from the study's claims.
    _transient = transient_attrs(BaseSampler, _token=_new_token, _cursors=dict)

    def __init__(
        self,
        search_space: Mapping[str, Sequence[CategoricalChoiceType]],
        seed: int | None = None,
    ) -> None:
        if not isinstance(search_space, Mapping) or len(search_space) == 0:
            raise ValueError(
                "`search_space` must be a non-empty mapping {name: [values]}, "
                f"got {search_space!r}."
            )
        for name in search_space:
            if not isinstance(name, str):
                raise ValueError(f"Grid parameter names must be str, got {name!r}.")
        self._names: list[str] = sorted(search_space)
        self._values: list[tuple[CategoricalChoiceType, ...]] = []
        for name in self._names:
            values = search_space[name]
            if not isinstance(values, Sequence) or isinstance(values, (str, bytes)):
                # A str would become a grid of its characters, and a set has no order that
                # every worker process agrees on.
                raise ValueError(
                    f"Grid parameter {name!r}: values must be a list or tuple, got "
                    f"{type(values).__name__}."
                )
            try:
                choices = CategoricalDistribution(values).choices
            except (ValueError, TypeError) as e:
                raise ValueError(f"Grid parameter {name!r}: {e}") from None
            self._values.append(choices)
        self._sizes = [len(v) for v in self._values]
        self._n_points = math.prod(self._sizes)
        import json  # only here: json costs import time

        payload = json.dumps(
            [
                [n, [[type(x).__name__, repr(x)] for x in v]]
                for n, v in zip(self._names, self._values, strict=False)
            ]
        )
        self._fingerprint = blake2b(payload.encode(), digest_size=8).hexdigest()
        self._seed = check_seed(seed)
        self._order: np.ndarray | _LazyOrder
        if self._n_points <= _EAGER_LIMIT:
            self._order = np.random.default_rng(self._seed).permutation(self._n_points)
        else:  # never materialised: a grid of 10**9 points would need 8 GB
            self._order = _LazyOrder(self._n_points, self._seed)
        self._token = _new_token()
        self._lock = threading.Lock()
        self._cursors: dict[tuple[int, int], _StudyCursor] = {}

    @property
    def n_points(self) -> int:
        """Number of points in the grid."""
        return self._n_points

    def _prefix(self) -> str:
        return f"grid:{self._fingerprint}:"

    def reserve(self, study: Study) -> dict[str, Any] | None:
        storage, study_id = study._storage, study._study_id
        prefix = self._prefix()
        with self._lock:
            key = (id(storage), study_id)
            cursor = self._cursors.get(key)
            if cursor is None:
                claims = storage.get_claims(study_id, prefix)
                cursor = _StudyCursor({int(k[len(prefix) :]) for k in claims})
                self._cursors[key] = cursor
            while cursor.position < self._n_points:
                idx = int(self._order[cursor.position])
                cursor.position += 1
                if idx in cursor.taken:
                    continue
                cursor.taken.add(idx)
                if storage.claim(study_id, f"{prefix}{idx}", self._token) == self._token:
                    return {GRID_ID_KEY: idx, GRID_KEY: self._fingerprint}
        raise StudyExhausted(f"All {self._n_points} points of the grid have been taken.")

    def is_exhausted(self, study: Study) -> bool:
        """True when every grid point has been claimed by a trial of ``study``."""
        return len(study._storage.get_claims(study._study_id, self._prefix())) >= self._n_points

    def _point(self, grid_id: int) -> list[int]:
        idx = []
        for size in reversed(self._sizes):
            grid_id, r = divmod(grid_id, size)
            idx.append(r)
        return idx[::-1]

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        try:
            j = self._names.index(param_name)
        except ValueError:
            raise ValueError(
                f"Parameter {param_name!r} is not in the grid; the grid has {self._names}."
            ) from None
        values = self._values[j]
        grid_id = trial.system_attrs.get(GRID_ID_KEY)
        if grid_id is not None and trial.system_attrs.get(GRID_KEY) == self._fingerprint:
            value = values[self._point(int(grid_id))[j]]
        else:  # an enqueued trial that did not claim a point: any grid value
            u = hash_to_unit(self._seed, trial.number, param_name)
            value = values[min(int(u * len(values)), len(values) - 1)]
        try:
            ok = param_distribution._contains(param_distribution.to_internal_repr(value))
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"Grid value {value!r} of parameter {param_name!r} is not a value of "
                f"{param_distribution!r}."
            )
        return value

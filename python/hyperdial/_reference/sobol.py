"""NumPy mirror of ``cpp/src/sobol.cpp``: Sobol' points, plain and scrambled.

The only thing taken from the compiled module is the published data (Joe & Kuo's degrees,
polynomials and initial direction integers, via ``_core._sobol_direction_table``); the recurrence,
the Gray-code ordering, the random number generators and the scramble are re-derived here from
their definitions, so a parity test checks each of them. See ``cpp/include/hyperdial/sobol.hpp``
for the definitions mirrored.

Arrays: ``directions`` is ``(n_dims, BITS)`` uint64 with ``directions[j, k] = m_(k+1) <<
(BITS-1-k)``; point bits are ``(n, n_dims)`` uint64 in ``[0, 2**BITS)``; points are those times
``2**-BITS``.

Example:
    >>> sobol_sample(2, 0, 4, scramble=False).tolist()
    [[0.0, 0.0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

BITS = 53
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

Table = tuple[NDArray[np.uint32], NDArray[np.uint32], NDArray[np.uint32]]


def direction_table(n_dims: int) -> Table:
    """The published (degree, poly, m_init) data of dimensions ``0 .. n_dims - 1``."""
    from hyperdial import _core

    return _core._sobol_direction_table(n_dims)


def direction_numbers(table: Table) -> NDArray[np.uint64]:
    """Direction numbers ``(n_dims, BITS)`` from the published data by the Sobol' recurrence.

    Degree 0 (dimension 0) means every ``m_k = 1``. Otherwise, with polynomial
    ``x^s + a_1 x^(s-1) + ... + a_(s-1) x + 1``,
    ``m_k = m_(k-s) ^ (m_(k-s) << s) ^ XOR_i (a_i * m_(k-i) << i)`` for ``i = 1 .. s-1``.
    """
    degree, poly, m_init = table
    out = np.zeros((len(degree), BITS), dtype=np.uint64)
    for j in range(len(degree)):
        s = int(degree[j])
        a = int(poly[j])
        if s == 0:
            m = [1] * BITS
        else:
            m = [int(v) for v in m_init[j, :s]]
            for k in range(s, BITS):
                value = m[k - s] ^ (m[k - s] << s)
                for i in range(1, s):
                    if (a >> (s - 1 - i)) & 1:
                        value ^= m[k - i] << i
                m.append(value)
        out[j] = [mk << (BITS - 1 - k) for k, mk in enumerate(m)]
    return out


def _mix64(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


class Xoshiro256ss:
    """xoshiro256** seeded from SplitMix64, as ``hyperdial::Xoshiro256ss(seed, stream)``."""

    def __init__(self, seed: int, stream: int = 0) -> None:
        state = (seed ^ _mix64((stream + _GOLDEN) & _MASK64)) & _MASK64
        self._s = []
        for _ in range(4):
            state = (state + _GOLDEN) & _MASK64
            self._s.append(_mix64(state))

    @staticmethod
    def _rotl(x: int, k: int) -> int:
        return ((x << k) | (x >> (64 - k))) & _MASK64

    def next(self) -> int:
        """The next 64-bit output."""
        s = self._s
        result = (self._rotl((s[1] * 5) & _MASK64, 7) * 9) & _MASK64
        t = (s[1] << 17) & _MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = self._rotl(s[3], 45)
        return result

    def uniform(self) -> float:
        """Uniform float in [0, 1): the top 53 bits times 2**-53."""
        return (self.next() >> 11) * 2.0**-53


def scramble_of(seed: int, dim: int) -> tuple[list[int], int]:
    """Rows of the lower-triangular scramble matrix and the digital shift of one dimension."""
    rng = Xoshiro256ss(seed, dim)
    rows = []
    for r in range(BITS):
        w = rng.next()
        row = 1 << (BITS - 1 - r)
        if r > 0:
            row |= (w >> (64 - r)) << (BITS - r)
        rows.append(row)
    shift = rng.next() >> (64 - BITS)
    return rows, shift


def apply_linear_scramble(rows: list[int], x: int) -> int:
    """Output digit r (weight 2**-(r+1)) is the parity of ``x & rows[r]``."""
    y = 0
    for r, row in enumerate(rows):
        y |= ((x & row).bit_count() & 1) << (BITS - 1 - r)
    return y


def point_bits(
    directions: NDArray[np.uint64], shift: NDArray[np.uint64], indices: NDArray[np.uint64]
) -> NDArray[np.uint64]:
    """``shift ^ XOR of directions[:, k]`` over the set bits k of ``gray(i)``, for each index."""
    gray = indices ^ (indices >> np.uint64(1))
    out = np.tile(shift, (len(indices), 1))
    for k in range(BITS):
        selected = ((gray >> np.uint64(k)) & np.uint64(1)).astype(bool)
        out[selected] ^= directions[:, k]
    return out


def sobol_sample(
    n_dims: int,
    start_index: int,
    n: int,
    scramble: bool = True,
    seed: int = 0,
    table: Table | None = None,
) -> NDArray[np.float64]:
    """Reference for ``_core.sobol_sample`` (no argument checking beyond NumPy's own)."""
    if table is None:
        table = direction_table(n_dims)
    directions = direction_numbers(table)
    shift = np.zeros(n_dims, dtype=np.uint64)
    if scramble:
        for j in range(n_dims):
            rows, shift_j = scramble_of(seed, j)
            directions[j] = [apply_linear_scramble(rows, int(v)) for v in directions[j]]
            shift[j] = shift_j
    indices = np.arange(start_index, start_index + n, dtype=np.uint64)
    bits = point_bits(directions, shift, indices)
    return bits.astype(np.float64) * 2.0**-BITS

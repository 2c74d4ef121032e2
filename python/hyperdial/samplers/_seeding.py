"""Seeds of the samplers: validation, and stateless uniforms keyed by (seed, trial, name).

Hashing the key instead of advancing one shared generator makes a trial's values independent of
thread scheduling and of the order in which parameters are suggested.
"""

from __future__ import annotations

import numbers
import os
import struct
from typing import Any

try:  # CPython's own BLAKE2: hashlib would load OpenSSL and slow down `import hyperdial`
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

__all__ = ["blake2b", "check_seed", "hash_to_unit"]

_PACK = struct.Struct("<QQ")


def check_seed(seed: Any) -> int:
    """Returns ``seed`` as an int in ``[0, 2**63)``, or a fresh random one when None."""
    if seed is None:
        return int.from_bytes(os.urandom(8), "little") >> 1
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not (0 <= int(seed) < 2**63)
    ):
        raise ValueError(f"`seed` must be None or an integer in [0, 2**63), got {seed!r}.")
    return int(seed)


def hash_to_unit(seed: int, number: int, name: str) -> float:
    """A uniform float in [0, 1) that depends only on (seed, trial number, parameter name).

    The first 8 bytes of BLAKE2b over the key, as a 53-bit integer times ``2**-53``.
    """
    h = blake2b(_PACK.pack(seed, number & 0xFFFFFFFFFFFFFFFF), digest_size=8)
    h.update(name.encode("utf-8", "surrogatepass"))
    return (int.from_bytes(h.digest(), "little") >> 11) * (1.0 / 9007199254740992.0)

"""Array helpers shared by the samplers' incremental histories."""

from __future__ import annotations

import numpy as np


def grown(a: np.ndarray, rows: int, fill: float) -> np.ndarray:
    """A copy of ``a`` with ``rows`` rows (at least ``len(a)``), new rows set to ``fill``."""
    out = np.full((rows,) + a.shape[1:], fill, dtype=a.dtype)
    out[: a.shape[0]] = a
    return out

"""Samplers choose parameter values; see :class:`BaseSampler` for the protocol."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._bohb import BOHBSampler
from hyperdial.samplers._brute_force import BruteForceSampler
from hyperdial.samplers._gp import GPSampler
from hyperdial.samplers._grid import GridSampler
from hyperdial.samplers._partial_fixed import PartialFixedSampler
from hyperdial.samplers._qmc import QMCSampler
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._tpe import TPESampler

if TYPE_CHECKING:
    from hyperdial.samplers._cmaes import CmaEsSampler
    from hyperdial.samplers._nsgaiii import NSGAIIISampler
    from hyperdial.samplers.nsgaii._sampler import NSGAIISampler

# Imported on first use: few studies use them, and their modules cost `import hyperdial`
# milliseconds (bench/import_time.py).
_LAZY = {
    "CmaEsSampler": "hyperdial.samplers._cmaes",
    "NSGAIISampler": "hyperdial.samplers.nsgaii._sampler",
    "NSGAIIISampler": "hyperdial.samplers._nsgaiii",
    "nsgaii": None,
}

__all__ = [
    "BOHBSampler",
    "BaseSampler",
    "BruteForceSampler",
    "CmaEsSampler",
    "GPSampler",
    "GridSampler",
    "NSGAIIISampler",
    "NSGAIISampler",
    "PartialFixedSampler",
    "QMCSampler",
    "RandomSampler",
    "TPESampler",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module_name = _LAZY[name]
        if module_name is None:
            value: Any = importlib.import_module(f"{__name__}.{name}")
        else:
            value = getattr(importlib.import_module(module_name), name)
        globals()[name] = value
        return value
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

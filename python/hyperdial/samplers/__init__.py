"""Samplers choose parameter values; see :class:`BaseSampler` for the protocol."""

from __future__ import annotations

from typing import Any

from hyperdial.samplers._base import BaseSampler
from hyperdial.samplers._bohb import BOHBSampler
from hyperdial.samplers._brute_force import BruteForceSampler
from hyperdial.samplers._cmaes import CmaEsSampler
from hyperdial.samplers._gp import GPSampler
from hyperdial.samplers._grid import GridSampler
from hyperdial.samplers._nsgaiii import NSGAIIISampler
from hyperdial.samplers._partial_fixed import PartialFixedSampler
from hyperdial.samplers._qmc import QMCSampler
from hyperdial.samplers._random import RandomSampler
from hyperdial.samplers._tpe import TPESampler
from hyperdial.samplers.nsgaii._sampler import NSGAIISampler

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
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

"""NSGA-II's operators: crossovers and mutations for :class:`~hyperdial.samplers.NSGAIISampler`
and :class:`~hyperdial.samplers.NSGAIIISampler` (Optuna's ``optuna.samplers.nsgaii`` names)."""

from __future__ import annotations

from hyperdial.samplers.nsgaii._crossovers import (
    BaseCrossover,
    BLXAlphaCrossover,
    SBXCrossover,
    SPXCrossover,
    UNDXCrossover,
    UniformCrossover,
    VSBXCrossover,
)
from hyperdial.samplers.nsgaii._mutations import BaseMutation, PolynomialMutation

__all__ = [
    "BLXAlphaCrossover",
    "BaseCrossover",
    "BaseMutation",
    "PolynomialMutation",
    "SBXCrossover",
    "SPXCrossover",
    "UNDXCrossover",
    "UniformCrossover",
    "VSBXCrossover",
]

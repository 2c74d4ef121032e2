"""Pruners stop unpromising trials early from their intermediate values.

Every pruner reads only what is in storage, so a decision counts other workers' trials as
soon as they report (the percentile and Pareto rules: as soon as they complete). Pruning
applies to single-objective studies, except :class:`ParetoPruner`, which prunes on the
vectors a multi-objective trial reports.
"""

from __future__ import annotations

from typing import Any

from hyperdial.pruners._base import BasePruner, NopPruner
from hyperdial.pruners._hyperband import HyperbandPruner
from hyperdial.pruners._pareto import ParetoPruner
from hyperdial.pruners._patient import PatientPruner
from hyperdial.pruners._percentile import MedianPruner, PercentilePruner
from hyperdial.pruners._successive_halving import SuccessiveHalvingPruner
from hyperdial.pruners._threshold import ThresholdPruner
from hyperdial.pruners._wilcoxon import WilcoxonPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "ParetoPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
    "WilcoxonPruner",
]


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

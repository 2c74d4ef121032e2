"""Trials: the live ``Trial`` an objective receives and the ``FrozenTrial`` record."""

from __future__ import annotations

from typing import Any

from hyperdial.trial._fixed import FixedTrial
from hyperdial.trial._frozen import FrozenTrial, create_trial
from hyperdial.trial._state import TrialState
from hyperdial.trial._trial import BaseTrial, Trial

__all__ = ["BaseTrial", "FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

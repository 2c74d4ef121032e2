"""Pruners stop unpromising trials early from their intermediate values."""

from __future__ import annotations

from hyperdial.pruners._base import BasePruner, NopPruner

__all__ = ["BasePruner", "NopPruner"]

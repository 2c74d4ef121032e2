"""The tree-structured Parzen estimator sampler (see :class:`TPESampler`)."""

from __future__ import annotations

from hyperdial.samplers._tpe._sampler import TPESampler, default_gamma

__all__ = ["TPESampler", "default_gamma"]

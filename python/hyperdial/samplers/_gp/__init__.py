"""Gaussian-process Bayesian optimisation (:class:`GPSampler`) on the C++ GP core."""

from __future__ import annotations

from hyperdial.samplers._gp._sampler import GPSampler

__all__ = ["GPSampler"]

"""Contract test suites that every storage (and sampler) implementation must pass.

These modules import pytest and hypothesis, so only tests import them; ``import hyperdial``
does not. See :mod:`hyperdial.testing.storage` for how a storage's tests use its suite.
"""

from __future__ import annotations

from hyperdial.testing.sampler import SamplerContract
from hyperdial.testing.storage import StorageContract

__all__ = ["SamplerContract", "StorageContract"]

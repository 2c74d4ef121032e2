"""Fixtures shared by the Python API tests."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import hyperdial
from hyperdial.samplers import RandomSampler


@pytest.fixture
def make_study() -> Callable[..., hyperdial.Study]:
    """``create_study`` with a seeded RandomSampler unless a sampler is given (pure Python,
    reproducible)."""

    def make(**kwargs: Any) -> hyperdial.Study:
        kwargs.setdefault("sampler", RandomSampler(seed=0))
        return hyperdial.create_study(**kwargs)

    return make


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def hyperdial_log() -> Iterator[list[logging.LogRecord]]:
    """Records the ``hyperdial`` logger emits during the test (its level is restored after)."""
    logger = logging.getLogger("hyperdial")
    level = hyperdial.logging.get_verbosity()
    handler = _ListHandler()
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
        hyperdial.logging.set_verbosity(level)

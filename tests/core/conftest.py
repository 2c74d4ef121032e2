"""The core's tests run every parallel code path, however small their inputs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hyperdial import _core


@pytest.fixture(autouse=True)
def _parallel_even_for_small_inputs() -> Iterator[None]:
    old = _core._set_min_parallel_work(0.0)
    yield
    _core._set_min_parallel_work(old)

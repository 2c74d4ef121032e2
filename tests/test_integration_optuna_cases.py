"""Optuna's own sampler test cases, run on hyperdial samplers wrapped by ``to_optuna_sampler``.

``optuna.testing.pytest_samplers`` (in Optuna's wheel) holds the test classes Optuna's
tests/samplers_tests/test_samplers.py runs for its own samplers: each is parametrised by a
``sampler`` fixture returning sampler factories, so subclassing them with a fixture of wrapped
hyperdial samplers runs every case exactly as Optuna runs it. The module-level tests of
test_samplers.py (reproducibility, reseeding, ...) come from Optuna's source distribution and run
in tests/test_optuna_sources.py. Slow lane: hundreds of small Optuna studies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

optuna = pytest.importorskip("optuna")

from optuna.testing.pytest_samplers import (  # noqa: E402
    BasicSamplerTestCase,
    MultiObjectiveSamplerTestCase,
    RelativeSamplerTestCase,
)

from hyperdial import samplers  # noqa: E402
from hyperdial.integration.optuna import to_optuna_sampler  # noqa: E402

pytestmark = pytest.mark.slow


def _wrapped(name: str, **kwargs: Any) -> Any:
    """A pytest param: a factory of the wrapped hyperdial sampler ``name``.

    Samplers other helpers are still adding to hyperdial (CMA-ES, NSGA-II/III) are looked up
    when the factory runs, so that a missing one fails its own cases only.
    """

    def make() -> optuna.samplers.BaseSampler:
        return to_optuna_sampler(getattr(samplers, name)(**kwargs))

    marks = []
    if not hasattr(samplers, name):
        marks.append(pytest.mark.xfail(reason=f"hyperdial.samplers.{name} has not landed"))
    args = ",".join(f"{k}={v}" for k, v in kwargs.items())
    return pytest.param(make, id=f"hyperdial.{name}({args})", marks=marks)


BASIC = [
    _wrapped("RandomSampler"),
    _wrapped("TPESampler", n_startup_trials=0),
    _wrapped("TPESampler", n_startup_trials=0, multivariate=False),
    _wrapped("GPSampler", n_startup_trials=0),
    _wrapped("GPSampler", n_startup_trials=0, deterministic_objective=True),
    _wrapped("QMCSampler"),
    _wrapped("CmaEsSampler", n_startup_trials=0),
    _wrapped("NSGAIISampler"),
    _wrapped("NSGAIIISampler"),
]
# hyperdial's QMCSampler draws each coordinate in sample_independent (it has no relative step),
# so Optuna's relative cases, which call sample_relative directly, do not apply to it.
RELATIVE = [
    _wrapped("TPESampler", n_startup_trials=0),
    _wrapped("GPSampler", n_startup_trials=0),
    _wrapped("CmaEsSampler", n_startup_trials=0),
]
MULTI = [
    _wrapped("TPESampler", n_startup_trials=0),
    _wrapped("GPSampler", deterministic_objective=True),
    _wrapped("RandomSampler"),
    _wrapped("NSGAIISampler"),
    _wrapped("NSGAIIISampler"),
]


class TestWrappedBasic(BasicSamplerTestCase):  # type: ignore[misc]
    @pytest.fixture(params=BASIC)
    def sampler(self, request: pytest.FixtureRequest) -> Callable[[], Any]:
        return request.param  # type: ignore[no-any-return]


class TestWrappedRelative(RelativeSamplerTestCase):  # type: ignore[misc]
    @pytest.fixture(params=RELATIVE)
    def sampler(self, request: pytest.FixtureRequest) -> Callable[[], Any]:
        return request.param  # type: ignore[no-any-return]


class TestWrappedMultiObjective(MultiObjectiveSamplerTestCase):  # type: ignore[misc]
    @pytest.fixture(params=MULTI)
    def sampler(self, request: pytest.FixtureRequest) -> Callable[[], Any]:
        return request.param  # type: ignore[no-any-return]

"""Quality regression guard (``bench/quality_guard.py``): GPSampler's and TPESampler's median
regret on a small fixed suite must not worsen beyond the noise band recorded in
``tests/data/quality_guard.json`` (re-record with ``python bench/quality_guard.py --write
tests/data/quality_guard.json`` after a deliberate change of quality, and say so)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")
REFERENCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "quality_guard.json")


@pytest.fixture(scope="module")
def guard() -> Any:
    sys.path.insert(0, BENCH)
    try:
        import quality_guard
    finally:
        sys.path.remove(BENCH)
    return quality_guard


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    with open(REFERENCE) as f:
        ref: dict[str, Any] = json.load(f)
    return ref


@pytest.mark.slow
@pytest.mark.parametrize("sampler", ["gp", "tpe"])
def test_median_regret_within_the_noise_band(
    guard: Any, reference: dict[str, Any], sampler: str
) -> None:
    measured = guard.measure(sampler)
    assert guard.compare(reference, sampler, measured) == []


def test_a_worse_sampler_is_flagged(guard: Any, reference: dict[str, Any]) -> None:
    """Random search in place of GPSampler, same problems and seeds: every problem flagged."""
    from hyperdial.samplers import RandomSampler

    measured = guard.measure("gp", factory=lambda seed: RandomSampler(seed=seed))
    flagged = guard.compare(reference, "gp", measured)
    assert len(flagged) == len(reference["cases"]["gp"]["problems"]), flagged


def test_the_reference_matches_the_suite(guard: Any, reference: dict[str, Any]) -> None:
    """The recording was made with the suite as it is now, and its bands follow the rule."""
    assert reference["seeds"] == guard.SEEDS
    for sampler, (problems, trials) in guard.CASES.items():
        assert reference["cases"][sampler] == {"problems": problems, "trials": trials}
        for name in problems:
            entry = reference["samplers"][sampler][name]
            assert entry == {**guard.summarise(entry["per_seed"]), "per_seed": entry["per_seed"]}

"""GPSampler: encoding, targets, define-by-run, constraints, parallel workers, seeds, contract."""

from __future__ import annotations

from hyperdial.samplers import BaseSampler, GPSampler
from hyperdial.testing import SamplerContract


class TestGPSamplerContract(SamplerContract):
    n_trials = 16
    max_examples = 10
    trials_per_example = 8

    def make_sampler(self, seed: int | None) -> BaseSampler:
        return GPSampler(seed=seed, n_startup_trials=4)

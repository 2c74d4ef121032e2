"""_core.sobol_indices and _core.sobol_inputs_map against _reference/sensitivity.py."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from hyperdial import _core
from hyperdial._reference import sensitivity as ref

DK = [_core.DimKind.continuous, _core.DimKind.integer, _core.DimKind.categorical]
KINDS = [0, 1, 2]


def _problem(seed: int = 0, n: int = 30, branches: int = 2) -> dict[str, Any]:
    """A fixed GP on one continuous, one integer (4 cells) and one categorical (3 codes) dim,
    with a random activity mask, two coefficient vectors and two branches (in the second
    the integer dim is inactive, the continuous one ranges over [0.2, 0.8] and the
    categorical takes code 2 only)."""
    rng = np.random.default_rng(seed)
    x = np.column_stack(
        [rng.random(n), (rng.integers(0, 4, n) + 0.5) / 4, rng.integers(0, 3, n).astype(float)]
    )
    mask = (rng.random((n, 3)) > 0.2).astype(float)
    x[:, 2] = np.where(mask[:, 2] > 0, x[:, 2], -1.0)
    codes = np.full((branches * 3, 3), np.nan)
    codes[2] = [0, 1, 2]
    if branches == 1:
        cdf, bm = np.array([1.0]), np.ones((1, 3))
        lo, hi = np.zeros((1, 3)), np.ones((1, 3))
    else:
        cdf, bm = np.array([0.4, 1.0]), np.array([[1, 1, 1], [1, 0, 1.0]])
        lo, hi = np.array([[0, 0, 0], [0.2, 0, 0.0]]), np.array([[1, 1, 1], [0.8, 1, 1.0]])
        codes[5, 0] = 2
    return {
        "x": x,
        "mask": mask,
        "theta": np.log(np.array([0.3, 0.5, 0.7, 1.3, 1e-3])),
        "alphas": rng.standard_normal((n, 2)),
        "inputs": {"n_cells": [0, 4, 3], "cdf": cdf, "mask": bm, "lower": lo, "upper": hi,
                   "codes": codes},
    }  # fmt: skip


def _core_indices(pb: dict[str, Any], n_base: int, seed: int, n_threads: int) -> Any:
    return _core.sobol_indices(
        kernel=_core.KernelKind.matern52, dim_kinds=DK, log_params=pb["theta"], x=pb["x"],
        mask=pb["mask"], alphas=pb["alphas"], inputs=_core.SobolInputs(**pb["inputs"]),
        n_base=n_base, seed=seed, n_threads=n_threads,
    )  # fmt: skip


@pytest.mark.parametrize("branches", [1, 2])
def test_indices_match_the_numpy_reference(branches: int) -> None:
    pb = _problem(branches=branches)
    got = _core_indices(pb, 64, 3, 1)
    i = pb["inputs"]
    first, total, var, mean = ref.sobol_indices(
        0, KINDS, pb["theta"], pb["x"], pb["mask"], pb["alphas"], i["n_cells"], i["cdf"],
        i["mask"], i["lower"], i["upper"], i["codes"], 64, 3,
    )  # fmt: skip
    assert got.first.shape == (2, 3 + (branches > 1))
    assert_allclose(got.first, first, rtol=1e-10, atol=1e-12)
    assert_allclose(got.total, total, rtol=1e-10, atol=1e-12)
    assert_allclose(got.variance, var, rtol=1e-10)
    assert_allclose(got.mean, mean, rtol=1e-10, atol=1e-12)


def test_inputs_map_matches_the_reference() -> None:
    pb = _problem()
    i = pb["inputs"]
    u = np.random.default_rng(1).random((200, 4))
    got = _core.sobol_inputs_map(inputs=_core.SobolInputs(**i), dim_kinds=DK, u=u)
    want = ref.inputs_map(
        i["n_cells"], i["cdf"], i["mask"], i["lower"], i["upper"], i["codes"], KINDS, u
    )
    assert_allclose(got, want, rtol=0, atol=0)
    second = u[:, 3] >= 0.4
    assert np.all(got[second, 1] == 0.5)  # inactive: the stand-in
    assert np.all(got[second, 2] == 2.0)  # the one code the branch allows
    assert np.all((got[second, 0] >= 0.2) & (got[second, 0] <= 0.8))
    assert set(np.unique(got[~second, 1])) == {0.125, 0.375, 0.625, 0.875}


def test_the_result_does_not_depend_on_the_thread_count() -> None:
    pb = _problem(n=150)
    one = _core_indices(pb, 256, 5, 1)
    for threads in (2, 3, 0):
        other = _core_indices(pb, 256, 5, threads)
        assert np.array_equal(one.first, other.first)
        assert np.array_equal(one.total, other.total)


def test_a_surface_of_one_input_gets_all_of_the_variance() -> None:
    """A GP on dim 0 only (other lengthscales huge): S_0 = ST_0 = 1, the others 0."""
    rng = np.random.default_rng(2)
    x = rng.random((20, 2))
    theta = np.log(np.array([0.2, 1e6, 1.0, 1e-4]))
    inputs = _core.SobolInputs(
        n_cells=[0, 0], cdf=np.ones(1), mask=np.ones((1, 2)), lower=np.zeros((1, 2)),
        upper=np.ones((1, 2)), codes=np.full((2, 1), np.nan),
    )  # fmt: skip
    r = _core.sobol_indices(
        kernel=_core.KernelKind.matern52, dim_kinds=DK[:1] * 2, log_params=theta, x=x,
        mask=None, alphas=rng.standard_normal((20, 1)), inputs=inputs, n_base=1024,
    )  # fmt: skip
    assert_allclose(r.first[0], [1.0, 0.0], atol=2e-3)
    assert_allclose(r.total[0], [1.0, 0.0], atol=2e-3)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"n_base": 48}, "power of two"),
        ({"n_base": 1}, "power of two"),
        ({"alphas": np.zeros((3, 1))}, "alphas"),
        ({"alphas": np.full((30, 1), np.nan)}, "finite"),
        ({"inputs.cdf": np.array([0.5, 0.9])}, "last entry of cdf"),
        ({"inputs.cdf": np.array([0.7, 0.5, 1.0])}, "non-decreasing"),
        ({"inputs.lower": np.full((2, 3), 0.9)}, "lower"),
        ({"inputs.n_cells": [0, 4]}, "n_cells"),
        ({"n_threads": -1}, "n_threads"),
    ],
)
def test_bad_arguments_are_value_errors(change: dict[str, Any], match: str) -> None:
    pb = _problem()
    kwargs: dict[str, Any] = {"n_base": 64, "seed": 0, "n_threads": 1}
    for key, value in change.items():
        if key.startswith("inputs."):
            pb["inputs"][key[7:]] = value
        elif key in kwargs:
            kwargs[key] = value
        else:
            pb[key] = value
    with pytest.raises(ValueError, match=match):
        _core_indices(pb, **kwargs)

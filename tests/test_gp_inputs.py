"""GaussianProcess reports the real input error (issue 21, items 7 and 8)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from hyperdial.gp import GaussianProcess
from hyperdial.gp._model import MAX_SEARCHED_CATEGORIES

rng = np.random.default_rng(0)
X = rng.random((10, 2))
Y = rng.random(10)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda x: x.__setitem__((0, 0), np.nan), "x must be finite"),
        (lambda x: x.__setitem__((0, 0), np.inf), "x must be finite"),
    ],
)
def test_bad_points_are_named(edit: object, message: str) -> None:
    x = X.copy()
    edit(x)  # type: ignore[operator]
    with pytest.raises(ValueError, match=message):
        GaussianProcess(["continuous"] * 2).fit(x, Y)


def test_a_mask_of_the_wrong_shape_is_named() -> None:
    with pytest.raises(ValueError, match="the mask of x must"):
        GaussianProcess(["continuous"] * 2).fit(X, Y, mask=np.ones((10, 3)))


def test_a_nan_mask_is_named() -> None:
    mask = np.ones((10, 2))
    mask[0, 0] = np.nan
    with pytest.raises(ValueError, match="the mask of x must hold only 0 and 1"):
        GaussianProcess(["continuous"] * 2).fit(X, Y, mask=mask)


@pytest.mark.parametrize("noise", [0, 0.0, -1e-6, float("inf"), float("nan"), "1e-6"])
def test_fixed_noise_must_be_a_positive_variance(noise: object) -> None:
    with pytest.raises(ValueError, match="fixed_noise must be None or a noise variance > 0"):
        GaussianProcess(["continuous"], fixed_noise=noise)  # type: ignore[arg-type]


@pytest.mark.parametrize("c", [2.5, 3.0, "3", True, -1, None])
def test_n_choices_must_be_integers(c: object) -> None:
    with pytest.raises(ValueError, match=r"n_choices\[1\] must be an integer >= 0"):
        GaussianProcess(["continuous", "categorical"], [0, c])  # type: ignore[list-item]


def test_numpy_integers_are_choices() -> None:
    gp = GaussianProcess(["continuous", "categorical"], [np.int64(0), np.int32(3)])
    gp.fit(np.c_[X[:, 0], np.arange(10) % 3], Y)


@pytest.mark.parametrize("code", [3.0, -1.0, 0.5])
def test_categorical_codes_outside_the_choices_are_refused(code: float) -> None:
    x = np.c_[X[:, 0], np.zeros(10)]
    x[4, 1] = code
    with pytest.raises(ValueError, match=r"x\[:, 1\] holds the codes .* 3 categories"):
        GaussianProcess(["continuous", "categorical"], [0, 3]).fit(x, Y)


def test_maximize_refuses_a_categorical_too_large_to_search_before_allocating() -> None:
    c = 2**31 - 1
    assert c > MAX_SEARCHED_CATEGORIES
    gp = GaussianProcess(["continuous", "categorical"], [0, c], fixed_noise=1e-6)
    gp.fit(np.c_[X[:, 0], np.arange(10)], Y)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="supports at most"):
            gp.maximize()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


def test_maximize_searches_a_large_but_supported_categorical() -> None:
    gp = GaussianProcess(["continuous", "categorical"], [0, 5000], fixed_noise=1e-6)
    gp.fit(np.c_[X[:, 0], np.arange(10)], Y)
    x, _ = gp.maximize(seed=1)
    assert 0 <= x[1] < 5000 and x[1] == int(x[1])


def test_an_inactive_categorical_may_hold_any_placeholder() -> None:
    x = np.c_[X[:, 0], np.zeros(10)]
    mask = np.ones((10, 2))
    x[4, 1], mask[4, 1] = -1.0, 0.0  # inactive: the code is not read
    GaussianProcess(["continuous", "categorical"], [0, 3]).fit(x, Y, mask=mask)
    x[5, 1] = -1.0  # active
    with pytest.raises(ValueError, match=r"x\[:, 1\] holds the codes"):
        GaussianProcess(["continuous", "categorical"], [0, 3]).fit(x, Y, mask=mask)

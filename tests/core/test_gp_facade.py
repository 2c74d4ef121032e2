"""The public ``hyperdial.gp`` facade over the compiled GP core."""

from __future__ import annotations

import numpy as np
import pytest

from hyperdial import _core
from hyperdial.gp import GaussianProcess, default_bounds, default_priors


def _data(n: int = 25, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, 3))
    x[:, 1] = (rng.integers(0, 4, n) + 0.5) / 4
    x[:, 2] = rng.integers(0, 3, n)
    y = -((x[:, 0] - 0.6) ** 2) - 0.1 * x[:, 1] + 0.2 * (x[:, 2] == 2)
    return x, y


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e8])
def test_predictions_are_in_the_units_of_y(scale: float) -> None:
    x, y = _data()
    gp = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3]).fit(x, y * scale)
    mean, var = gp.predict(x)
    assert np.abs(mean - y * scale).max() < 0.05 * scale
    assert np.all(var >= 0) and np.all(var < (0.1 * scale) ** 2)
    base = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3]).fit(x, y)
    np.testing.assert_allclose(gp.log_params, base.log_params, rtol=1e-6, atol=1e-6)


def test_constant_y_and_single_point() -> None:
    x, _ = _data(5)
    gp = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3])
    mean, _ = gp.fit(x, np.full(5, 2.0)).predict(x)
    np.testing.assert_allclose(mean, 2.0)
    mean1, _ = gp.fit(x[:1], [3.0], warm_start=False).predict(x[:1])
    np.testing.assert_allclose(mean1, 3.0, atol=0.1)


def test_append_matches_the_core_and_warm_fit() -> None:
    x, y = _data(30)
    gp = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3]).fit(x[:25], y[:25])
    for i in range(25, 30):
        gp.append(x[i], float(y[i]))
    same = _core.ExactGP(
        _core.KernelKind.matern52,
        [_core.DimKind.continuous, _core.DimKind.integer, _core.DimKind.categorical],
        gp.log_params,
        x,
        (y - y[:25].mean()) / y[:25].std(),
    )
    mean, _ = gp.predict(x)
    np.testing.assert_allclose(
        mean, same.predict(x)[0] * y[:25].std() + y[:25].mean(), rtol=1e-9, atol=1e-12
    )


def test_maximize_with_pending_points_moves_away() -> None:
    x, y = _data(20)
    gp = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3]).fit(x, y, seed=1)
    first, value = gp.maximize(seed=2, n_threads=1)
    assert gp.maximize(seed=2, n_threads=2) == (pytest.approx(first, abs=0), value)
    second, _ = gp.maximize(seed=2, pending=first[None, :])
    assert not np.array_equal(first, second)
    # A pending point's variance collapses, so no acquisition rises there and UCB drops (log-EI
    # may stay almost flat when the mean is far above the incumbent: EI ~ mean - best).
    assert gp.acquisition(first[None, :], pending=first[None, :])[0] <= value + 1e-9
    ucb = gp.acquisition(first[None, :], "ucb")[0]
    assert gp.acquisition(first[None, :], "ucb", pending=first[None, :])[0] < ucb - 1e-3
    var_before = gp._model().predict(first[None, :], 1)[1][0]
    var_after = gp._conditioned(first[None, :], 1).predict(first[None, :], 1)[1][0]
    assert var_after < 0.5 * var_before


def test_constrained_maximize_prefers_feasible_points() -> None:
    x, y = _data(30)
    gp = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3]).fit(x, y)
    c = GaussianProcess(["continuous", "integer", "categorical"], [0, 4, 3], center=False)
    c.fit(x, x[:, 0] - 0.3)  # feasible when x0 <= 0.3
    xo, _ = gp.maximize(constraints=[c], seed=0)
    assert xo[0] <= 0.35


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="dim_kinds"):
        GaussianProcess(["real"])
    with pytest.raises(ValueError, match="kernel"):
        GaussianProcess(["continuous"], kernel="rbf")
    with pytest.raises(RuntimeError, match="fit"):
        GaussianProcess(["continuous"]).predict([[0.5]])
    with pytest.raises(ValueError, match="kind"):
        GaussianProcess(["continuous"]).fit([[0.1], [0.2]], [0, 1]).acquisition([[0.5]], "ei")
    mean, std = default_priors(2)
    lower, upper = default_bounds(2, fixed_noise=1e-8)
    assert mean.shape == std.shape == lower.shape == upper.shape == (4,)

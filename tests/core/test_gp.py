"""The compiled GP core (kernels, exact GP, marginal likelihood, acquisitions) against the NumPy
reference in ``hyperdial._reference.gp``, finite differences and its edge cases."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from hyperdial import NumericalError, _core
from hyperdial._reference import gp as ref

RTOL = 1e-10
KK = _core.KernelKind
AK = _core.AcqKind
KIND_SETS = {
    "continuous": [0, 0, 0],
    "mixed": [0, 1, 2, 0],
    "d1": [0],
    "categorical": [2, 2],
}


def dims(kinds: list[int]) -> list[_core.DimKind]:
    """The core's kind of each dimension code (the NumPy reference takes the codes)."""
    return [_core.DimKind(k) for k in kinds]


def codes(kinds: list[_core.DimKind]) -> list[int]:
    return [int(k) for k in kinds]


def make_data(
    kinds: list[int], n: int, seed: int = 0, masked: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    d = len(kinds)
    x = rng.random((n, d))
    for j, kind in enumerate(kinds):
        if kind == 2:
            x[:, j] = rng.integers(0, 3, n)
        elif kind == 1:
            x[:, j] = (rng.integers(0, 5, n) + 0.5) / 5
    y = np.sin(3 * x.sum(1)) + 0.1 * rng.standard_normal(n)
    theta = np.concatenate([rng.normal(-0.5, 0.3, d), [0.2, -4.0]])
    mask = (rng.random((n, d)) > 0.25).astype(float) if masked else None
    return x, y, theta, mask


def queries(kinds: list[int], m: int, seed: int = 1) -> np.ndarray:
    xq, _, _, _ = make_data(kinds, m, seed)
    return xq


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", list(KIND_SETS))
@pytest.mark.parametrize("masked", [False, True])
def test_kernel_matrix_matches_reference(kernel: int, name: str, masked: bool) -> None:
    kinds = KIND_SETS[name]
    x, _, theta, mask = make_data(kinds, 9, masked=masked)
    x2 = queries(kinds, 4)
    got = _core.kernel_matrix(KK(kernel), dims(kinds), theta, x, x2, mask, None)
    want = ref.kernel_matrix(kernel, kinds, theta, x, x2, mask, None)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-15)
    sym = _core.kernel_matrix(KK(kernel), dims(kinds), theta, x, x, mask, mask)
    np.testing.assert_array_equal(sym, sym.T)
    assert np.linalg.eigvalsh(sym).min() > -1e-12  # masks keep the kernel PSD


def test_mask_semantics() -> None:
    # Two points that both lack a dimension do not differ in it.
    kinds = [0, 2]
    theta = np.zeros(4)
    x = np.array([[0.1, 0.0], [0.9, 1.0]])
    mask = np.array([[0.0, 0.0], [0.0, 0.0]])
    k = _core.kernel_matrix(KK(0), dims(kinds), theta, x, x, mask, mask)
    np.testing.assert_allclose(k, np.ones((2, 2)))


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", list(KIND_SETS))
def test_gram_gradient_by_finite_differences(kernel: int, name: str) -> None:
    kinds = KIND_SETS[name]
    x, _, theta, mask = make_data(kinds, 7, masked=True)
    w = np.random.default_rng(5).standard_normal((7, 7))
    w = w + w.T
    got = _core.gram_grad_contract(KK(kernel), dims(kinds), theta, x, w, mask)
    h = 1e-6
    for p in range(len(kinds) + 1):
        tp, tm = theta.copy(), theta.copy()
        tp[p] += h
        tm[p] -= h
        kp = _core.kernel_matrix(KK(kernel), dims(kinds), tp, x, x, mask, mask)
        km = _core.kernel_matrix(KK(kernel), dims(kinds), tm, x, x, mask, mask)
        fd = np.sum(w * (kp - km)) / (2 * h)
        np.testing.assert_allclose(got[p], fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", list(KIND_SETS))
def test_gram_gradient_on_long_columns_matches_reference(kernel: int, name: str) -> None:
    # Columns of 40 pairs go through the eight-lane sums (7 pairs only through their tail), in
    # the contraction and in the likelihood's gradient, which reads the stored kernel factors.
    kinds = KIND_SETS[name]
    x, y, theta, mask = make_data(kinds, 41, seed=3, masked=True)
    w = np.random.default_rng(6).standard_normal((41, 41))
    w = w + w.T
    got = _core.gram_grad_contract(KK(kernel), dims(kinds), theta, x, w, mask)
    want = [np.sum(w * dk) for dk in ref.kernel_theta_grads(kernel, kinds, theta, x, mask)]
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    _, grad, jitter = _core.log_posterior(KK(kernel), dims(kinds), x, y, theta, mask)
    _, want_grad = ref.log_posterior(kernel, kinds, x, y, theta, mask, None, None, jitter)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", list(KIND_SETS))
@pytest.mark.parametrize("masked", [False, True])
def test_log_posterior_matches_reference_and_finite_differences(
    kernel: int, name: str, masked: bool
) -> None:
    kinds = KIND_SETS[name]
    d = len(kinds)
    x, y, theta, mask = make_data(kinds, 15, masked=masked)
    prior_mean = np.concatenate([np.full(d, 0.5), [0.0, -4.0]])
    prior_std = np.concatenate([np.full(d, 1.7), [0.0, 1.0]])
    value, grad, jitter = _core.log_posterior(
        KK(kernel), dims(kinds), x, y, theta, mask, prior_mean, prior_std
    )
    want, want_grad = ref.log_posterior(
        kernel, kinds, x, y, theta, mask, prior_mean, prior_std, jitter
    )
    np.testing.assert_allclose(value, want, rtol=RTOL)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-8, atol=1e-9)
    h = 1e-6
    for p in range(d + 2):
        tp, tm = theta.copy(), theta.copy()
        tp[p] += h
        tm[p] -= h
        fp = _core.log_posterior(KK(kernel), dims(kinds), x, y, tp, mask, prior_mean, prior_std)[0]
        fm = _core.log_posterior(KK(kernel), dims(kinds), x, y, tm, mask, prior_mean, prior_std)[0]
        np.testing.assert_allclose(grad[p], (fp - fm) / (2 * h), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", list(KIND_SETS))
@pytest.mark.parametrize("masked", [False, True])
def test_predict_matches_reference(kernel: int, name: str, masked: bool) -> None:
    kinds = KIND_SETS[name]
    x, y, theta, mask = make_data(kinds, 20, masked=masked)
    gp = _core.ExactGP(KK(kernel), dims(kinds), theta, x, y, mask)
    xq = queries(kinds, 70)  # more than one block of 64 queries
    mean, var = gp.predict(xq)
    want_mean, want_var = ref.predict(kernel, kinds, theta, x, y, xq, mask, gp.jitter)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(var, want_var, rtol=1e-8, atol=1e-12)
    value, _, _ = _core.log_posterior(KK(kernel), dims(kinds), x, y, theta, mask)
    np.testing.assert_allclose(gp.log_marginal_likelihood(), value, rtol=RTOL)


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", ["continuous", "mixed", "d1"])
def test_predict_gradients_by_finite_differences(kernel: int, name: str) -> None:
    kinds = KIND_SETS[name]
    x, y, theta, mask = make_data(kinds, 12, masked=True)
    gp = _core.ExactGP(KK(kernel), dims(kinds), theta, x, y, mask)
    xq = queries(kinds, 5, seed=3)
    mean, _var, dmean, dvar = gp.predict_with_grad(xq)
    np.testing.assert_array_equal(mean, gp.predict(xq)[0])
    h = 1e-6
    for j, kind in enumerate(kinds):
        if kind == 2:
            assert np.all(dmean[:, j] == 0) and np.all(dvar[:, j] == 0)
            continue
        xp, xm = xq.copy(), xq.copy()
        xp[:, j] += h
        xm[:, j] -= h
        (mp, vp), (mm, vm) = gp.predict(xp), gp.predict(xm)
        np.testing.assert_allclose(dmean[:, j], (mp - mm) / (2 * h), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dvar[:, j], (vp - vm) / (2 * h), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n0", [20, 3])
def test_append_equals_refit(n0: int) -> None:
    # From 3 points, the 27 appends outgrow the factor's spare room (16 rows) and move it.
    kinds = KIND_SETS["mixed"]
    x, y, theta, mask = make_data(kinds, 30, masked=True)
    assert mask is not None
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x[:n0], y[:n0], mask[:n0])
    copies = []
    for i in range(n0, 30):
        gp.append(x[i], float(y[i]), mask[i])
        copies.append(gp.copy())
    full = _core.ExactGP(KK(0), dims(kinds), theta, x, y, mask)
    assert gp.n == 30 and gp.cholesky.shape == (30, 30)
    assert [c.n for c in copies] == list(range(n0 + 1, 31))
    np.testing.assert_array_equal(copies[-1].cholesky, gp.cholesky)
    xq = queries(kinds, 10)
    for a, b in zip(gp.predict(xq), full.predict(xq), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gp.cholesky, full.cholesky, rtol=1e-9, atol=1e-12)


def test_append_a_duplicate_without_noise_refactorises_with_jitter() -> None:
    kinds = [0, 0]
    theta = np.array([0.0, 0.0, 0.0, math.log(1e-300)])
    x = np.array([[0.2, 0.3], [0.7, 0.1]])
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x, np.array([1.0, 2.0]))
    assert gp.jitter == 0.0
    gp.append(np.array([0.2, 0.3]), 1.0)
    assert gp.n == 3 and gp.jitter > 0
    assert np.all(np.isfinite(gp.predict(x)[0]))


@pytest.mark.parametrize(
    "case", ["n1", "duplicates", "constant_y", "scaled_up", "scaled_down", "long_lengthscales"]
)
def test_edge_cases_are_finite(case: str) -> None:
    kinds = [0, 1, 2]
    x, y, theta, _ = make_data(kinds, 10)
    if case == "n1":
        x, y = x[:1], y[:1]
    elif case == "duplicates":
        x, y = np.vstack([x, x]), np.concatenate([y, y + 0.01])
        theta[-1] = math.log(1e-12)
    elif case == "constant_y":
        y = np.full_like(y, 3.0)
    elif case == "scaled_up":
        y = y * 1e8
    elif case == "scaled_down":
        y = y * 1e-8
    else:
        theta[:3] = 8.0
        theta[-1] = math.log(1e-12)
    value, grad, jitter = _core.log_posterior(KK(0), dims(kinds), x, y, theta)
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and jitter >= 0
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x, y)
    mean, var, dmean, dvar = gp.predict_with_grad(queries(kinds, 5))
    for a in (mean, var, dmean, dvar):
        assert np.all(np.isfinite(a))
    assert np.all(var >= 0)


def test_inputs_in_any_layout_and_float32() -> None:
    kinds = KIND_SETS["continuous"]
    x, y, theta, _ = make_data(kinds, 10)
    xq = queries(kinds, 6)
    want = _core.ExactGP(KK(0), dims(kinds), theta, x, y).predict(xq)
    for xa, qa in [(np.asfortranarray(x), np.asfortranarray(xq)), (x.astype(np.float32), xq)]:
        got = _core.ExactGP(KK(0), dims(kinds), theta, xa, y).predict(qa)
        tol = 1e-12 if xa.dtype == np.float64 else 1e-3
        np.testing.assert_allclose(got[0], want[0], rtol=tol, atol=tol)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel": KK(3)}, "kernel must be"),
        ({"dim_kinds": dims([0, 5, 0])}, "dim_kinds"),
        ({"log_params": np.zeros(2)}, "log_params"),
        ({"y": np.zeros(3)}, "y must have"),
        ({"y": np.full(10, np.nan)}, "y must be finite"),
        ({"mask": np.full((10, 3), 0.5)}, "only 0 and 1"),
        ({"mask": np.ones((2, 3))}, "mask"),
        ({"n_threads": -1}, "n_threads"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs: dict[str, Any], message: str) -> None:
    kinds = KIND_SETS["continuous"]
    x, y, theta, _ = make_data(kinds, 10)
    args: dict[str, Any] = {
        "kernel": KK(0),
        "dim_kinds": dims(kinds),
        "log_params": theta,
        "x": x,
        "y": y,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        _core.ExactGP(**args)


def test_results_do_not_depend_on_the_thread_count() -> None:
    kinds = KIND_SETS["mixed"]
    x, y, theta, mask = make_data(kinds, 150, masked=True)
    xq = queries(kinds, 300)
    lp1 = _core.log_posterior(KK(0), dims(kinds), x, y, theta, mask, n_threads=1)
    gp1 = _core.ExactGP(KK(0), dims(kinds), theta, x, y, mask, n_threads=1)
    p1 = gp1.predict_with_grad(xq, n_threads=1)
    for threads in (2, 3, 0):
        lp = _core.log_posterior(KK(0), dims(kinds), x, y, theta, mask, n_threads=threads)
        assert lp[0] == lp1[0]
        np.testing.assert_array_equal(lp[1], lp1[1])
        gp = _core.ExactGP(KK(0), dims(kinds), theta, x, y, mask, n_threads=threads)
        for a, b in zip(gp.predict_with_grad(xq, n_threads=threads), p1, strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", [0, 1, 2, 3])
def test_acquisitions_match_reference_and_finite_differences(kind: int) -> None:
    kinds = KIND_SETS["mixed"]
    x, y, theta, mask = make_data(kinds, 20, masked=True)
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x, y, mask)
    xq = queries(kinds, 8, seed=4)
    best = float(y.max())
    values = _core.acquisition(gp, AK(kind), xq, best, 1.5)
    mean, var = gp.predict(xq)
    np.testing.assert_allclose(values, ref.acquisition(kind, mean, var, best, 1.5), rtol=1e-9)
    got, grad = _core.acquisition_with_grad(gp, AK(kind), xq, best, 1.5)
    np.testing.assert_array_equal(got, values)
    h = 1e-6
    for j in (0, 1, 3):
        xp, xm = xq.copy(), xq.copy()
        xp[:, j] += h
        xm[:, j] -= h
        fd = _core.acquisition(gp, AK(kind), xp, best, 1.5) - _core.acquisition(
            gp, AK(kind), xm, best, 1.5
        )
        np.testing.assert_allclose(grad[:, j], fd / (2 * h), rtol=1e-5, atol=1e-6)


def test_constrained_log_ei_adds_log_probability_of_feasibility() -> None:
    kinds = KIND_SETS["continuous"]
    x, y, theta, _ = make_data(kinds, 20)
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x, y)
    c = _core.ExactGP(KK(0), dims(kinds), theta, x, x[:, 0] - 0.5)
    xq = queries(kinds, 6)
    plain = _core.acquisition(gp, AK(0), xq, 0.5)
    cm, cv = c.predict(xq)
    want = plain + ref.acquisition(3, -cm, cv, 0.0)
    np.testing.assert_allclose(
        _core.acquisition(gp, AK(0), xq, 0.5, constraints=[c]), want, rtol=1e-10
    )
    _got, grad = _core.acquisition_with_grad(gp, AK(0), xq, 0.5, constraints=[c])
    h = 1e-6
    xp, xm = xq.copy(), xq.copy()
    xp[:, 0] += h
    xm[:, 0] -= h
    fd = _core.acquisition(gp, AK(0), xp, 0.5, constraints=[c]) - _core.acquisition(
        gp, AK(0), xm, 0.5, constraints=[c]
    )
    np.testing.assert_allclose(grad[:, 0], fd / (2 * h), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="log_ei only"):
        _core.acquisition(gp, AK(1), xq, constraints=[c])


def test_log_h_and_log_ndtr_are_accurate_far_in_the_tail() -> None:
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    z = np.array([-1e4, -1e3, -100.0, -40.0, -20.0, -12.0, -10.0, -8.0, -7.0, -6.0, -5.5, -5.0001,
                  -5.0, -4.9999, -3.0, -1.0, 0.0, 3.0])  # fmt: skip
    value, grad = _core.log_h(z)
    lvalue, lgrad = _core.log_ndtr(z)
    for i, zi in enumerate(z):
        h = mpmath.npdf(zi) + zi * mpmath.ncdf(zi)
        assert abs(value[i] - float(mpmath.log(h))) <= 1e-14 * abs(float(mpmath.log(h))) + 1e-15
        assert abs(grad[i] / float(mpmath.ncdf(zi) / h) - 1) < 1e-13
        lc = mpmath.log(mpmath.ncdf(zi))
        assert abs(lvalue[i] - float(lc)) <= 1e-14 * abs(float(lc)) + 1e-15
        assert abs(lgrad[i] / float(mpmath.npdf(zi) / mpmath.ncdf(zi)) - 1) < 1e-13
    np.testing.assert_allclose(value[6:], ref.log_h(z[6:]), rtol=1e-12)


def test_fantasies_collapse_the_variance_at_pending_points() -> None:
    kinds = KIND_SETS["continuous"]
    x, y, theta, _ = make_data(kinds, 15)
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x, y)
    pending = queries(kinds, 3)
    fantasy = gp.with_fantasies(pending)
    assert gp.n == 15 and fantasy.n == 18
    mean, var = gp.predict(pending)
    fmean, fvar = fantasy.predict(pending)
    np.testing.assert_allclose(fmean, mean, rtol=1e-6, atol=1e-8)  # believer: mean unchanged
    assert np.all(fvar < 0.2 * var)
    assert np.all(fvar <= math.exp(theta[-1]))  # no smaller than a noisy observation allows
    best = float(y.max())
    assert np.all(
        _core.acquisition(fantasy, AK(0), pending, best)
        < _core.acquisition(gp, AK(0), pending, best)
    )


def _mixed_problem() -> tuple[Any, list[int], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    kinds, n_choices = [0, 0, 1, 2], [0, 0, 5, 3]
    n = 40
    x = rng.random((n, 4))
    x[:, 2] = (rng.integers(0, 5, n) + 0.5) / 5
    x[:, 3] = rng.integers(0, 3, n)
    y = -((x[:, 0] - 0.3) ** 2 + (x[:, 1] - 0.7) ** 2) + 0.1 * (x[:, 3] == 1)
    gp = _core.ExactGP(KK(0), dims(kinds), np.array([-1, -1, -1, 0, 0, -6.0]), x, y)
    return gp, n_choices, x, y


@pytest.mark.parametrize("kind", [0, 1, 3])
def test_maximize_acquisition_beats_the_pool_and_respects_the_space(kind: int) -> None:
    gp, n_choices, x, y = _mixed_problem()
    best = float(y.max())
    top = x[np.argsort(-y)[:3]]
    xo, value = _core.maximize_acquisition(gp, AK(kind), n_choices, best=best, x_best=top, seed=3)
    assert value == pytest.approx(float(_core.acquisition(gp, AK(kind), xo[None, :], best)[0]))
    assert np.all((xo >= 0) & (xo <= 1) | (np.arange(4) == 3))
    assert xo[2] * 5 - 0.5 == pytest.approx(round(xo[2] * 5 - 0.5))  # on the integer grid
    assert xo[3] in (0.0, 1.0, 2.0)
    pool = _core.sobol_sample(4, 0, 2048, True, 3)
    pool[:, 2] = (np.floor(pool[:, 2] * 5) + 0.5) / 5
    pool[:, 3] = np.floor(pool[:, 3] * 3)
    assert value >= _core.acquisition(gp, AK(kind), np.vstack([pool, top]), best).max()


def test_maximize_acquisition_is_deterministic_whatever_the_thread_count() -> None:
    gp, n_choices, x, y = _mixed_problem()
    results = [
        _core.maximize_acquisition(
            gp, AK(0), n_choices, best=float(y.max()), x_best=x[:2], seed=9, n_threads=t
        )
        for t in (1, 2, 3, 0)
    ]
    for xo, value in results[1:]:
        np.testing.assert_array_equal(xo, results[0][0])
        assert value == results[0][1]
    other = _core.maximize_acquisition(
        gp, AK(0), n_choices, best=float(y.max()), x_best=x[:2], seed=10
    )
    assert other[1] == pytest.approx(results[0][1], rel=1e-3)  # same optimum from another pool


def test_maximize_acquisition_all_categorical() -> None:
    kinds = KIND_SETS["categorical"]
    x, y, theta, _ = make_data(kinds, 8)
    gp = _core.ExactGP(KK(0), dims(kinds), theta, x, y)
    xo, value = _core.maximize_acquisition(
        gp, AK(1), [3, 3], options=_core.AcqOptimizeOptions(n_pool=16)
    )
    grid = np.array([[a, b] for a in range(3) for b in range(3)], dtype=float)
    assert value == pytest.approx(_core.acquisition(gp, AK(1), grid).max())
    assert set(xo.tolist()) <= {0.0, 1.0, 2.0}


def _fit_args(kinds: list[int], n: int = 40) -> dict[str, Any]:
    d = len(kinds)
    x, y, _, _ = make_data(kinds, n, seed=7)
    return {
        "kernel": KK(0),
        "dim_kinds": dims(kinds),
        "x": x,
        "y": (y - y.mean()) / y.std(),
        "theta0": np.concatenate([np.zeros(d), [0.0, -2.0]]),
        "lower": np.concatenate([np.full(d, -5.0), [-5.0, math.log(1e-6)]]),
        "upper": np.concatenate([np.full(d, 5.0), [5.0, 0.0]]),
        "prior_mean": np.concatenate([np.full(d, math.sqrt(2) + 0.5 * math.log(d)), [0.0, -4.0]]),
        "prior_std": np.concatenate([np.full(d, math.sqrt(3)), [2.0, 1.0]]),
    }


@pytest.mark.parametrize("name", list(KIND_SETS))
def test_fit_finds_a_stationary_point_inside_the_bounds(name: str) -> None:
    args = _fit_args(KIND_SETS[name])
    fit = _core.fit_hyperparameters(**args)
    theta, value, n_iter, n_evals, jitter = (
        fit.log_params,
        fit.value,
        fit.n_iter,
        fit.n_evals,
        fit.jitter,
    )
    assert fit.gp is None and not fit.extended
    assert n_iter >= 1 and n_evals >= n_iter and jitter >= 0
    assert np.all(theta >= args["lower"]) and np.all(theta <= args["upper"])
    v0, _, _ = _core.log_posterior(
        KK(0),
        args["dim_kinds"],
        args["x"],
        args["y"],
        args["theta0"],
        prior_mean=args["prior_mean"],
        prior_std=args["prior_std"],
    )
    v, grad, _ = _core.log_posterior(
        KK(0),
        args["dim_kinds"],
        args["x"],
        args["y"],
        theta,
        prior_mean=args["prior_mean"],
        prior_std=args["prior_std"],
    )
    assert v == pytest.approx(value) and value > v0
    inside = (theta > args["lower"] + 1e-6) & (theta < args["upper"] - 1e-6)
    assert np.all(np.abs(grad[inside]) < 1e-3 * max(1.0, abs(value)))


def test_fit_warm_start_restarts_and_determinism() -> None:
    args = _fit_args(KIND_SETS["mixed"])
    cold = _core.fit_hyperparameters(**args, n_threads=1)
    warm = _core.fit_hyperparameters(**{**args, "theta0": cold.log_params})
    assert warm.n_evals < cold.n_evals  # fewer evaluations from the previous optimum
    assert warm.value >= cold.value - 1e-9
    restarted = [
        _core.fit_hyperparameters(**args, n_restarts=3, seed=5, n_threads=t) for t in (1, 2)
    ]
    np.testing.assert_array_equal(restarted[0].log_params, restarted[1].log_params)
    assert restarted[0].value >= cold.value - 1e-9
    again = _core.fit_hyperparameters(**args, n_threads=2)
    np.testing.assert_array_equal(again.log_params, cold.log_params)


@pytest.mark.parametrize("with_prior", [True, False])
def test_first_restart_starts_at_the_priors_centre(with_prior: bool) -> None:
    """Restart 1 runs from the prior mean (the middle of the bounds where a parameter has no
    prior); later restarts are random draws."""
    args = _fit_args(KIND_SETS["mixed"])
    if not with_prior:
        args = {**args, "prior_mean": None, "prior_std": None}
        centre = 0.5 * (args["lower"] + args["upper"])
    else:
        centre = np.clip(args["prior_mean"], args["lower"], args["upper"])
    far = args["upper"].copy()  # every lengthscale at its upper bound: a poor start
    far[-2:] = args["theta0"][-2:]
    # The restart is the run from the centre: the result is the better of the two runs, bit
    # for bit. Without a prior to pull it back, the warm start stays on the plateau.
    full = _core.fit_hyperparameters(**{**args, "theta0": centre})
    stuck = _core.fit_hyperparameters(**{**args, "theta0": far})
    recovered = _core.fit_hyperparameters(**{**args, "theta0": far}, n_restarts=1, seed=3)
    best = stuck if stuck.value >= full.value else full
    assert recovered.value == best.value
    np.testing.assert_array_equal(recovered.log_params, best.log_params)
    if not with_prior:
        assert stuck.value < full.value - 1.0
        np.testing.assert_array_equal(recovered.log_params, full.log_params)


def test_a_cold_fit_does_not_run_from_the_centre_twice() -> None:
    """A cold fit starts at the prior's centre; restart 1 (the centre) would repeat that run
    step for step, so it is skipped: one restart then costs nothing, and restart 2 is the same
    random draw as before."""
    args = _fit_args(KIND_SETS["mixed"])
    centre = {**args, "theta0": np.clip(args["prior_mean"], args["lower"], args["upper"])}
    alone = _core.fit_hyperparameters(**centre)
    one = _core.fit_hyperparameters(**centre, n_restarts=1, seed=3)
    assert (one.value, one.n_iter, one.n_evals) == (alone.value, alone.n_iter, alone.n_evals)
    np.testing.assert_array_equal(one.log_params, alone.log_params)
    two = _core.fit_hyperparameters(**centre, n_restarts=2, seed=3)
    far = args["upper"].copy()
    far[-2:] = args["theta0"][-2:]
    from_far = {**args, "theta0": far}
    one_from_far = _core.fit_hyperparameters(**from_far, n_restarts=1, seed=3)
    two_from_far = _core.fit_hyperparameters(**from_far, n_restarts=2, seed=3)
    # restart 2 (a random draw) is the same run in both: its evaluations are the difference
    assert two.n_evals - alone.n_evals == two_from_far.n_evals - one_from_far.n_evals > 0
    # with memory (a warm refit), the run from the centre is not a repeat and is not skipped
    assert alone.memory.shape[0] > 0
    warm = _core.fit_hyperparameters(**centre, memory=alone.memory, n_restarts=1, seed=3)
    warm_alone = _core.fit_hyperparameters(**centre, memory=alone.memory)
    assert warm.n_evals > warm_alone.n_evals


@pytest.mark.parametrize("name", list(KIND_SETS))
def test_fit_gp_reuses_the_fits_factorisation(name: str) -> None:
    args = _fit_args(KIND_SETS[name])
    fit = _core.fit_hyperparameters(**args)
    theta = fit.log_params
    result = _core.fit_gp(**args)
    gp = result.gp
    assert gp is not None
    assert not result.extended and gp.has_inverse
    assert (result.value, result.n_iter, result.n_evals) == (fit.value, fit.n_iter, fit.n_evals)
    np.testing.assert_array_equal(gp.log_params, theta)
    np.testing.assert_array_equal(result.log_params, theta)
    np.testing.assert_array_equal(result.memory, fit.memory)
    assert gp.jitter == fit.jitter == result.jitter
    # The factor the fit kept is the one a fresh factorisation at theta gives, bit for bit.
    fresh = _core.ExactGP(KK(0), args["dim_kinds"], theta, args["x"], args["y"])
    np.testing.assert_array_equal(gp.cholesky, fresh.cholesky)
    np.testing.assert_array_equal(gp.alpha, fresh.alpha)
    assert gp.log_marginal_likelihood() == fresh.log_marginal_likelihood()


def _warm_args(kinds: list[int], n: int, masked: bool) -> dict[str, Any]:
    args = _fit_args(kinds, n)
    x, y, _, mask = make_data(kinds, n, seed=11, masked=masked)
    return {**args, "x": x, "y": (y - y.mean()) / y.std(), "mask": mask}


def _rows(args: dict[str, Any], n: int) -> dict[str, Any]:
    mask = args["mask"]
    return {
        **args,
        "x": args["x"][:n],
        "y": args["y"][:n],
        "mask": None if mask is None else mask[:n],
    }


def _reference_inverse_and_factor(args: dict[str, Any], gp: Any) -> tuple[np.ndarray, np.ndarray]:
    theta = gp.log_params
    k = ref.kernel_matrix(
        0, codes(args["dim_kinds"]), theta, args["x"], args["x"], args["mask"], args["mask"]
    )
    k += (math.exp(theta[-1]) + gp.jitter) * np.eye(len(k))
    return np.linalg.inv(k), np.linalg.cholesky(k)


@pytest.mark.parametrize("name", ["continuous", "mixed", "categorical"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("new_rows", [0, 1, 3])
def test_warm_refit_extends_the_previous_factor_and_inverse(
    name: str, masked: bool, new_rows: int
) -> None:
    args = _warm_args(KIND_SETS[name], 60, masked)
    n_old = 60 - new_rows
    first = _core.fit_gp(**_rows(args, n_old))
    old = first.gp
    assert old is not None and old.has_inverse and not first.extended
    warm = {**args, "theta0": old.log_params, "memory": first.memory}
    result = _core.fit_gp(**warm, previous=old)
    fresh_result = _core.fit_gp(**warm)
    gp, fresh = result.gp, fresh_result.gp
    assert gp is not None and fresh is not None
    assert result.extended and not fresh_result.extended
    assert result.value == pytest.approx(fresh_result.value, rel=1e-11)
    np.testing.assert_allclose(gp.log_params, fresh.log_params, rtol=1e-8, atol=1e-10)
    inverse, factor = _reference_inverse_and_factor(args, gp)
    assert gp.inverse is not None
    scale = np.abs(inverse).max()
    np.testing.assert_allclose(gp.inverse, inverse, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(gp.cholesky, factor, rtol=1e-9, atol=1e-12)
    xq = queries(KIND_SETS[name], 20)
    for a, b in zip(gp.predict(xq), fresh.predict(xq), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)
    assert old.n == n_old  # previous is left as it was


def test_chained_extensions_keep_the_inverse_accurate() -> None:
    # Hyperparameters held fixed (lower = upper): every refit after one more point extends the
    # previous inverse, 40 times in a row, and its rounding must not build up.
    kinds = KIND_SETS["mixed"]
    args = _warm_args(kinds, 80, masked=True)
    theta = np.concatenate([np.full(len(kinds), -0.3), [0.0, math.log(1e-4)]])
    args = {**args, "theta0": theta, "lower": theta, "upper": theta}
    gp = _core.fit_gp(**_rows(args, 40)).gp
    for n in range(41, 81):
        result = _core.fit_gp(**_rows(args, n), previous=gp)
        gp = result.gp
        assert result.extended
    inverse, factor = _reference_inverse_and_factor(args, gp)
    assert gp.inverse is not None
    np.testing.assert_allclose(gp.inverse, inverse, rtol=0, atol=1e-9 * np.abs(inverse).max())
    np.testing.assert_allclose(gp.cholesky, factor, rtol=1e-9, atol=1e-12)


def test_warm_refit_does_not_extend_what_it_cannot() -> None:
    kinds = KIND_SETS["mixed"]
    args = _warm_args(kinds, 40, masked=True)
    old = _core.fit_gp(**_rows(args, 39)).gp
    assert old is not None
    warm = {**args, "theta0": old.log_params}
    changed_x = args["x"].copy()
    changed_x[5, 0] = 0.5 * changed_x[5, 0] + 0.25
    appended = old.copy()
    appended.append(args["x"][39], float(args["y"][39]), args["mask"][39])
    assert not appended.has_inverse
    small = _core.fit_gp(**_rows(args, 20)).gp
    assert small is not None
    cases = {
        "another theta0": ({**warm, "theta0": old.log_params + 0.01}, old),
        "a changed row": ({**warm, "x": changed_x}, old),
        "no mask": ({**warm, "mask": None}, old),
        "another kernel": ({**warm, "kernel": KK(1)}, old),
        "appended since": (warm, appended),
        "too many new rows": ({**warm, "theta0": small.log_params}, small),
    }
    for label, (kwargs, previous) in cases.items():
        result = _core.fit_gp(**kwargs, previous=previous)
        fresh = _core.fit_gp(**kwargs)
        assert not result.extended, label
        assert result.value == fresh.value, label
        np.testing.assert_array_equal(result.log_params, fresh.log_params)


def test_warm_refit_on_a_duplicate_without_noise_falls_back_to_a_full_factorisation() -> None:
    kinds = [0, 0]
    theta = np.array([0.0, 0.0, 0.0, math.log(1e-300)])
    x = np.array([[0.2, 0.3], [0.7, 0.1], [0.2, 0.3]])
    args = {
        "kernel": KK(0), "dim_kinds": dims(kinds), "x": x, "y": np.array([1.0, 2.0, 1.0]),
        "theta0": theta, "lower": theta, "upper": theta,
    }  # fmt: skip
    old = _core.fit_gp(**{**args, "x": x[:2], "y": args["y"][:2]}).gp
    assert old is not None and old.jitter == 0.0 and old.has_inverse
    result = _core.fit_gp(**args, previous=old)
    gp = result.gp
    assert gp is not None and not result.extended and gp.jitter > 0
    assert np.all(np.isfinite(gp.predict(x)[0]))


@pytest.mark.parametrize("kernel", [0, 1])
@pytest.mark.parametrize("name", ["continuous", "mixed", "d1"])
@pytest.mark.parametrize("masked", [False, True])
def test_bounds_match_reference_and_bound_predict(kernel: int, name: str, masked: bool) -> None:
    kinds = KIND_SETS[name]
    x, y, theta, mask = make_data(kinds, 50, masked=masked)
    gp = _core.ExactGP(KK(kernel), dims(kinds), theta, x, y, mask)
    xq = np.vstack([queries(kinds, 200, seed=5), x[:3]])  # also the training points themselves
    xq[-3:, :] = np.where(mask[:3] == 0, 0.5, x[:3]) if mask is not None else x[:3]
    mean_ub, var_ub = gp.bounds(xq)
    mean, var = gp.predict(xq)
    assert np.all(mean_ub >= mean) and np.all(var_ub >= var)
    # NumPy: the mean with its rounding margin, and the variance given the two observations
    # most correlated with the query (or the first alone when those two nearly coincide).
    kq = ref.kernel_matrix(kernel, kinds, theta, xq, x, None, mask)  # (m, n)
    s2 = math.exp(theta[len(kinds)])
    diag = s2 + math.exp(theta[-1]) + gp.jitter
    kxx = ref.kernel_matrix(kernel, kinds, theta, x, x, mask, mask)
    terms = kq * gp.alpha[None, :]
    margin = 2 * (len(x) + 2) * 1.12e-16 * np.abs(terms).sum(1)
    np.testing.assert_allclose(mean_ub, terms.sum(1) + margin, rtol=0, atol=1e-12)
    want = np.empty(len(xq))
    for q in range(len(xq)):
        a = int(np.argmax(kq[q]))
        rest = kq[q].copy()
        rest[a] = -np.inf
        c = int(np.argmax(rest))
        v = s2 - kq[q, a] ** 2 / diag
        det = diag**2 - kxx[a, c] ** 2
        if det > 1e-6 * diag**2:
            ks = kq[q, [a, c]]
            m2 = np.array([[diag, kxx[a, c]], [kxx[a, c], diag]])
            v = min(v, s2 - ks @ np.linalg.solve(m2, ks))
        want[q] = max(v, 0.0) + 1e-9 * s2
    np.testing.assert_allclose(var_ub, want, rtol=1e-9, atol=1e-12 * s2)
    for t in (2, 3):
        got = gp.bounds(xq, n_threads=t)
        np.testing.assert_array_equal(got[0], mean_ub)
        np.testing.assert_array_equal(got[1], var_ub)


@pytest.mark.parametrize("kind", [0, 1, 3])
@pytest.mark.parametrize("noise", [-4.0, -14.0])
def test_screened_pool_gives_the_same_optimum_as_scoring_every_row(
    kind: int, noise: float
) -> None:
    # 10-d, 300 points: the pool of 2048 + perturbations is screened by the bounds (log-EI and
    # UCB; log-PI scores every row either way); the starts and so the answer must not change.
    rng = np.random.default_rng(11)
    d, n = 10, 300
    x = rng.random((n, d))
    y = -np.sum((x - 0.3) ** 2, axis=1) + 0.1 * np.sin(10 * x[:, 0])
    y = (y - y.mean()) / y.std()
    theta = np.concatenate([np.full(d, -0.3), [0.0, noise]])
    gp = _core.ExactGP(KK(0), dims([0] * d), theta, x, y)
    top = x[np.argsort(-y)[:5]]
    best = float(y.max())
    every_row = _core.AcqOptimizeOptions(screen=False)
    full = _core.maximize_acquisition(
        gp, AK(kind), [0] * d, best=best, x_best=top, options=every_row, seed=4
    )
    for t in (1, 2):
        got = _core.maximize_acquisition(
            gp, AK(kind), [0] * d, best=best, x_best=top, seed=4, n_threads=t
        )
        np.testing.assert_allclose(got[0], full[0], rtol=0, atol=1e-9)
        assert got[1] == pytest.approx(full[1], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n", [257, 300, 700])
def test_blocked_cholesky_matches_numpy_and_ignores_the_thread_count(n: int) -> None:
    # Above 256 rows the factor is computed by panels of 128 columns in parallel.
    kinds = [0, 0, 1, 2]
    x, y, theta, mask = make_data(kinds, n, seed=3, masked=True)
    theta[-1] = -9.0  # little noise: a badly conditioned matrix
    gps = [_core.ExactGP(KK(0), dims(kinds), theta, x, y, mask, t) for t in (1, 2, 3)]
    k = ref.kernel_matrix(0, kinds, theta, x, x, mask, mask)
    k[np.diag_indices(n)] += math.exp(theta[-1]) + gps[0].jitter
    want = np.linalg.cholesky(k)
    np.testing.assert_allclose(gps[0].cholesky, want, rtol=1e-8, atol=1e-10)
    assert np.all(np.triu(gps[0].cholesky, 1) == 0.0)
    for g in gps[1:]:
        np.testing.assert_array_equal(g.cholesky, gps[0].cholesky)
        assert g.jitter == gps[0].jitter


def test_blocked_cholesky_escalates_jitter_on_duplicates() -> None:
    rng = np.random.default_rng(4)
    base = rng.random((150, 3))
    x = np.vstack([base, base])  # 300 rows, every point twice
    y = np.sin(x.sum(1))
    theta = np.array([-1.0, -1.0, -1.0, 0.0, -40.0])  # noise e^-40: singular without jitter
    gp = _core.ExactGP(KK(0), dims([0, 0, 0]), theta, x, y, None, 2)
    assert gp.jitter > 0
    k = ref.kernel_matrix(0, [0, 0, 0], theta, x, x, None, None)
    k[np.diag_indices(300)] += math.exp(theta[-1]) + gp.jitter
    np.testing.assert_allclose(gp.cholesky @ gp.cholesky.T, k, rtol=0, atol=1e-9)


def test_kinds_are_enums_not_int_codes() -> None:
    kinds = KIND_SETS["mixed"]
    x, y, theta, _ = make_data(kinds, 10)
    assert [int(k) for k in dims(kinds)] == kinds
    assert dict(_core.AcqKind.__members__) == {
        "log_ei": AK.log_ei, "ucb": AK.ucb, "lcb": AK.lcb, "log_pi": AK.log_pi,
    }  # fmt: skip
    with pytest.raises(TypeError):
        _core.ExactGP(0, dims(kinds), theta, x, y)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        _core.ExactGP(KK.matern52, kinds, theta, x, y)  # type: ignore[arg-type]


def test_a_covariance_that_cannot_be_factorised_is_a_numerical_error() -> None:
    kinds = KIND_SETS["continuous"]
    x, y, theta, _ = make_data(kinds, 10)
    theta[len(kinds)] = 800.0  # log signal variance: exp(800) overflows the covariance
    with pytest.raises(NumericalError, match="non-finite"):
        _core.ExactGP(KK.matern52, dims(kinds), theta, x, y)
    with pytest.raises(NumericalError):
        _core.log_posterior(KK.matern52, dims(kinds), x, y, theta)
    assert not issubclass(NumericalError, ValueError)
    assert issubclass(NumericalError, ArithmeticError)


def test_a_fit_with_no_finite_start_is_a_numerical_error() -> None:
    args = _fit_args(KIND_SETS["continuous"])
    pinned = args["theta0"].copy()
    pinned[-2] = 800.0  # the only point the bounds allow overflows the covariance
    with pytest.raises(NumericalError, match="not finite at any start"):
        _core.fit_hyperparameters(**{**args, "theta0": pinned, "lower": pinned, "upper": pinned})
    with pytest.raises(NumericalError):
        _core.fit_gp(**{**args, "theta0": pinned, "lower": pinned, "upper": pinned})


def test_an_argument_error_in_a_fit_is_a_value_error() -> None:
    # Inside the fit's runs only numerical failure counts as a bad point; a bad kind code is
    # reported as such, not as a likelihood that is nowhere finite.
    args = _fit_args(KIND_SETS["continuous"])
    with pytest.raises(ValueError, match="dim_kinds") as info:
        _core.fit_gp(**{**args, "dim_kinds": dims([0, 5, 0])}, n_restarts=2)
    assert not isinstance(info.value, NumericalError)


def test_search_options_defaults_are_the_cores() -> None:
    gp, n_choices, x, y = _mixed_problem()
    defaults = _core.AcqOptimizeOptions()
    assert (defaults.n_pool, defaults.n_perturb, defaults.n_starts) == (2048, 64, 8)
    assert (defaults.n_rounds, defaults.max_iter, defaults.screen) == (3, 50, True)
    args: dict[str, Any] = {"best": float(y.max()), "x_best": x[:3], "seed": 5}
    plain = _core.maximize_acquisition(gp, AK.log_ei, n_choices, **args)
    explicit = _core.maximize_acquisition(gp, AK.log_ei, n_choices, options=defaults, **args)
    np.testing.assert_array_equal(plain[0], explicit[0])
    small = _core.AcqOptimizeOptions(n_pool=16, n_starts=1)
    assert "n_pool=16" in repr(small)
    other = _core.maximize_acquisition(gp, AK.log_ei, n_choices, options=small, **args)
    assert math.isfinite(other[1])
    with pytest.raises(TypeError):  # best and the rest are keyword-only
        _core.maximize_acquisition(gp, AK.log_ei, n_choices, 0.5)  # type: ignore[misc]

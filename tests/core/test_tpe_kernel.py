"""TPE's Parzen estimators in C++ (``_core.tpe_*``) against the NumPy reference in
``hyperdial._reference.tpe`` (run with ``exact_erfc=True``, since the C++ code uses
``std::erfc``, so the two agree to rounding); the C++ draw and the sampler's NumPy fallback
draw (``hyperdial.samplers._tpe._parzen``) against the reference draw, bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperdial import _core
from hyperdial._reference.tpe import ParzenEstimator, bandwidths, sample_mixture
from hyperdial.samplers._tpe._parzen import sample_mixture as fallback_draw

KINDS = ("fine", "coarse", "categorical", "mixed")


class Case:
    """Observations and candidates of a random estimator (numeric dims in [0, 1])."""

    def __init__(
        self,
        rng: np.random.Generator,
        n: int,
        kind: str,
        m: int = 17,
        weighted: bool = False,
        cluster: bool = False,
    ) -> None:
        dn = {"fine": 3, "coarse": 2, "categorical": 0, "mixed": 3}[kind]
        dc = {"fine": 0, "coarse": 0, "categorical": 2, "mixed": 2}[kind]
        self.coarse = np.zeros(dn, dtype=bool)
        if kind == "coarse":
            self.coarse[:] = True
        elif kind == "mixed":
            self.coarse[1] = True
        self.cells = np.where(self.coarse, rng.integers(2, 12, dn), 0)
        self.n_choices = rng.integers(1, 5, dc).astype(np.float64)
        mu = rng.random((n, dn))
        if cluster and n:
            mu[: n // 2] = 0.3 + 1e-4 * rng.random((n // 2, dn))
        if n >= 4:  # duplicates and the ends of the range
            mu[1] = mu[0]
            mu[2, :] = 0.0
            mu[3, :] = 1.0
        for d in np.flatnonzero(self.coarse):  # coarse observations sit at cell centres
            c = self.cells[d]
            mu[:, d] = (np.minimum(np.floor(mu[:, d] * c), c - 1) + 0.5) / c
        self.mu = mu
        self.cat = np.array(
            [rng.integers(0, int(k), n) for k in self.n_choices], dtype=np.int64
        ).T.reshape(n, dc)
        self.weights = rng.random(n) * 3 if weighted else None
        x = rng.random((m, dn))
        x[0] = 0.0
        x[1 % m] = 1.0
        lo, hi = x.copy(), x.copy()
        for d in np.flatnonzero(self.coarse):
            c = self.cells[d]
            k = np.minimum(np.floor(x[:, d] * c), c - 1)
            x[:, d], lo[:, d], hi[:, d] = (k + 0.5) / c, k / c, (k + 1) / c
        self.x, self.lo, self.hi = x, lo, hi
        self.xc = np.array(
            [rng.integers(0, int(k), m) for k in self.n_choices], dtype=np.int64
        ).T.reshape(m, dc)

    def reference(self, prior_weight: float, ends: bool, relative: bool) -> ParzenEstimator:
        return ParzenEstimator(
            self.mu,
            self.cat,
            self.n_choices,
            self.coarse,
            prior_weight,
            self.weights,
            ends,
            relative,
            exact_erfc=True,
        )

    def core_log_pdf(self, prior_weight: float, ends: bool, relative: bool) -> np.ndarray:
        return _core.tpe_log_pdf(
            self.mu,
            self.cat,
            self.weights,
            self.n_choices,
            self.coarse,
            self.x,
            self.lo,
            self.hi,
            self.xc,
            prior_weight,
            ends,
            relative,
        )


def _ref_log_pdf(case: Case, est: ParzenEstimator) -> np.ndarray:
    return est.log_pdf(case.x, case.lo, case.hi, case.xc)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 37, 1000, 2049])
@pytest.mark.parametrize("ends", [False, True])
@pytest.mark.parametrize("cluster", [False, True])
def test_bandwidths_equal_the_reference_bitwise(n: int, ends: bool, cluster: bool) -> None:
    case = Case(np.random.default_rng(n), n, "fine", cluster=cluster)
    ours = _core.tpe_bandwidths(case.mu, ends)
    ref = bandwidths(case.mu, ends)
    assert ours.shape == (n, 3)
    np.testing.assert_array_equal(ours, ref)
    assert np.all(ours >= 1 / min(100, n + 2)) and np.all(ours <= 1)


def test_bandwidths_of_no_observations_and_ties() -> None:
    assert _core.tpe_bandwidths(np.empty((0, 4))).shape == (0, 4)
    same = np.full((6, 1), 0.25)  # all gaps 0 but the outer ones: the clip decides
    np.testing.assert_array_equal(_core.tpe_bandwidths(same), bandwidths(same))
    np.testing.assert_array_equal(_core.tpe_bandwidths(same, True), bandwidths(same, True))
    # -0.0 sorts as 0.0
    mu = np.array([[0.5], [-0.0], [0.2]])
    np.testing.assert_array_equal(_core.tpe_bandwidths(mu), bandwidths(mu))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [0, 1, 2, 9, 150])
@pytest.mark.parametrize(("weighted", "relative"), [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("ends", [False, True])
def test_log_pdf_matches_the_reference(
    kind: str, n: int, weighted: bool, relative: bool, ends: bool
) -> None:
    case = Case(np.random.default_rng(100 + n), n, kind, weighted=weighted)
    pw = 0.7
    ref = _ref_log_pdf(case, case.reference(pw, ends, relative))
    ours = case.core_log_pdf(pw, ends, relative)
    assert ours.shape == (case.x.shape[0],)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
def test_log_pdf_matches_the_approximate_reference_to_its_erfc_error(kind: str) -> None:
    """The reference's fast path (1.2e-7 erfc) stays within a few 1e-6 of the exact one."""
    case = Case(np.random.default_rng(7), 40, kind, weighted=True)
    approx = ParzenEstimator(
        case.mu, case.cat, case.n_choices, case.coarse, 1.0, case.weights, False, True
    )
    np.testing.assert_allclose(
        case.core_log_pdf(1.0, False, True), _ref_log_pdf(case, approx), rtol=0, atol=5e-6
    )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 60),
    kind=st.sampled_from(KINDS),
    weighted=st.booleans(),
    relative=st.booleans(),
    ends=st.booleans(),
    cluster=st.booleans(),
    prior_weight=st.floats(0.01, 10.0),
)
def test_log_pdf_matches_the_reference_on_random_inputs(
    seed: int,
    n: int,
    kind: str,
    weighted: bool,
    relative: bool,
    ends: bool,
    cluster: bool,
    prior_weight: float,
) -> None:
    case = Case(np.random.default_rng(seed), n, kind, weighted=weighted, cluster=cluster)
    ref = _ref_log_pdf(case, case.reference(prior_weight, ends, relative))
    ours = case.core_log_pdf(prior_weight, ends, relative)
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("n_good", "n_bad"), [(1, 0), (1, 1), (5, 80), (25, 700)])
def test_log_ratio_is_log_l_minus_log_g(kind: str, n_good: int, n_bad: int) -> None:
    rng = np.random.default_rng(n_bad)
    case = Case(rng, n_good + n_bad, kind, m=24)
    good_w = rng.random(n_good) + 0.1
    bad_w = np.linspace(0.05, 1.0, n_bad)
    g, b = slice(0, n_good), slice(n_good, None)
    ref_l = ParzenEstimator(
        case.mu[g], case.cat[g], case.n_choices, case.coarse, 1.3, good_w, True, True, True
    )
    ref_g = ParzenEstimator(
        case.mu[b], case.cat[b], case.n_choices, case.coarse, 1.3, bad_w, True, False, True
    )
    ref = _ref_log_pdf(case, ref_l) - _ref_log_pdf(case, ref_g)
    ours = _core.tpe_log_ratio(
        good_mu=case.mu[g],
        good_cat=case.cat[g],
        good_weights=good_w,
        bad_mu=case.mu[b],
        bad_cat=case.cat[b],
        bad_weights=bad_w,
        n_choices=case.n_choices,
        coarse=case.coarse,
        x=case.x,
        lo=case.lo,
        hi=case.hi,
        xc=case.xc,
        prior_weight=1.3,
        consider_endpoints=True,
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("n", [0, 1, 30])
@pytest.mark.parametrize("weighted", [False, True])
def test_mixture_components_and_draws_equal_the_reference(n: int, weighted: bool) -> None:
    case = Case(np.random.default_rng(3 + n), n, "mixed", weighted=weighted)
    ref = case.reference(0.5, False, True)
    p, means, widths = _core.tpe_mixture(case.mu, case.weights, 0.5, False, True)
    np.testing.assert_allclose(p, ref.p, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(means, ref.mu_all)
    np.testing.assert_array_equal(widths, ref.sig_all)
    # The sampler's fallback draws with these components: the same stream gives the same
    # candidates as the reference.
    x_ref, xc_ref = ref.sample(np.random.default_rng(11), 24)
    x, xc = fallback_draw(
        np.random.default_rng(11), 24, p, means, widths, case.cat, case.n_choices, ref.eps
    )
    np.testing.assert_allclose(x, x_ref, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(xc, xc_ref)


def test_far_tail_cells_agree_with_the_reference() -> None:
    """Narrow kernels (200 observations at 0, width 0.01) scored on cells 50 to 99 widths
    away: their masses underflow, the prior's carries the density, as in the reference."""
    mu = np.zeros((200, 1))
    coarse = np.array([True])
    lo = np.array([[0.5], [0.9], [0.01]])
    hi = lo + 1 / 64
    none_m, none_n = np.empty((3, 0), np.int64), np.empty((200, 0), np.int64)
    out = _core.tpe_log_pdf(mu, none_n, None, [], coarse, lo, lo, hi, none_m)
    ref = ParzenEstimator(mu, none_n, np.empty(0), coarse, exact_erfc=True)
    np.testing.assert_allclose(out, ref.log_pdf(lo, lo, hi, none_m), rtol=1e-12)
    assert np.all(np.isfinite(out)) and out[2] > out[0] > -10


def test_inputs_in_other_layouts_and_dtypes() -> None:
    """F-ordered and strided arrays, int32 codes, lists and float32 values are converted."""
    case = Case(np.random.default_rng(5), 30, "mixed")
    ref = case.core_log_pdf(1.0, False, False)
    wide = np.zeros((case.x.shape[0], 2 * case.x.shape[1]))
    wide[:, ::2] = case.lo
    out = _core.tpe_log_pdf(
        np.asfortranarray(case.mu),
        case.cat.astype(np.int32),
        None,
        [int(k) for k in case.n_choices],
        case.coarse.tolist(),
        np.asfortranarray(case.x),
        wide[:, ::2],
        case.hi,
        case.xc,
    )
    np.testing.assert_array_equal(out, ref)
    mu32 = case.mu.astype(np.float32)
    out32 = _core.tpe_log_pdf(
        mu32, case.cat, None, case.n_choices, case.coarse, case.x, case.lo, case.hi, case.xc
    )
    case.mu = mu32.astype(np.float64)
    np.testing.assert_array_equal(out32, case.core_log_pdf(1.0, False, False))


def test_results_do_not_depend_on_the_thread_count() -> None:
    case = Case(np.random.default_rng(9), 300, "mixed", m=40)
    args = (case.mu, case.cat, None, case.n_choices, case.coarse, case.x, case.lo, case.hi)
    one = _core.tpe_log_pdf(*args, case.xc, n_threads=1)
    two = _core.tpe_log_pdf(*args, case.xc, n_threads=2)
    np.testing.assert_array_equal(one, two)


def _log_pdf_call(**changes: object) -> np.ndarray:
    case = Case(np.random.default_rng(1), 6, "mixed", m=4)
    kwargs: dict[str, object] = {
        "mu": case.mu,
        "cat": case.cat,
        "weights": np.ones(6),
        "n_choices": case.n_choices,
        "coarse": case.coarse,
        "x": case.x,
        "lo": case.lo,
        "hi": case.hi,
        "xc": case.xc,
    }
    kwargs.update(changes)
    return _core.tpe_log_pdf(**kwargs)  # type: ignore[arg-type]


def _with(a: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    b = np.array(a, dtype=float, copy=True)
    b[index] = value
    return b


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mu": np.zeros((6, 2))}, "mu must have one column per numeric dimension"),
        (
            {"mu": _with(np.full((6, 3), 0.5), (2, 1), math.nan)},
            r"mu must hold values in \[0, 1\]",
        ),
        ({"mu": _with(np.full((6, 3), 0.5), (0, 0), 1.5)}, r"mu must hold values in \[0, 1\]"),
        ({"cat": np.zeros((5, 2), np.int64)}, "cat must have shape"),
        ({"cat": np.full((6, 2), 7, np.int64)}, "cat must hold choice codes"),
        ({"weights": np.ones(5)}, "weights must have 6 entries"),
        ({"weights": _with(np.ones(6), (3,), -1.0)}, "weights must be finite and >= 0"),
        ({"weights": _with(np.ones(6), (3,), math.nan)}, "weights must be finite and >= 0"),
        ({"n_choices": np.array([3.0, 0.0])}, "n_choices must be >= 1"),
        ({"coarse": np.zeros(2, bool)}, "mu must have one column per numeric dimension"),
        ({"x": np.full((4, 2), 0.5)}, "x must have one column per numeric dimension"),
        ({"x": np.full((4, 3), math.nan)}, "x must be finite"),
        ({"lo": np.zeros((3, 3))}, "lo must have the shape of x"),
        ({"hi": np.zeros((4, 1))}, "hi must have the shape of x"),
        ({"hi": np.zeros((4, 3)) - 1.0}, "lo <= hi on coarse dimensions"),
        ({"xc": np.zeros((4, 1), np.int64)}, "xc must have shape"),
        ({"xc": np.full((4, 2), -1, np.int64)}, "xc must hold choice codes"),
        ({"prior_weight": 0.0}, "prior_weight must be finite and > 0"),
        ({"prior_weight": math.inf}, "prior_weight must be finite and > 0"),
        ({"n_threads": -1}, "n_threads must be >= 0"),
    ],
)
def test_bad_input_names_the_argument(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _log_pdf_call(**changes)


def test_log_ratio_errors_name_the_group() -> None:
    case = Case(np.random.default_rng(2), 8, "fine", m=3)
    empty, xc = np.empty((4, 0), np.int64), np.empty((3, 0), np.int64)
    good, bad = case.mu[:4], case.mu[4:]

    def ratio(good_mu: np.ndarray, bad_weights: np.ndarray) -> np.ndarray:
        return _core.tpe_log_ratio(
            good_mu=good_mu, good_cat=empty, good_weights=None, bad_mu=bad, bad_cat=empty,
            bad_weights=bad_weights, n_choices=[], coarse=case.coarse, x=case.x, lo=case.lo,
            hi=case.hi, xc=xc,
        )  # fmt: skip

    assert ratio(good, np.ones(4)).shape == (3,)
    with pytest.raises(ValueError, match="bad_weights must be finite and >= 0"):
        ratio(good, np.array([1.0, -2.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="good_mu must hold values"):
        ratio(good + 2, np.ones(4))
    with pytest.raises(ValueError, match="mu must hold values"):
        _core.tpe_bandwidths(np.array([[0.5], [math.nan]]))
    with pytest.raises(ValueError, match="weights must have 4 entries"):
        _core.tpe_mixture(good, np.ones(3))


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 30),
    dn=st.integers(0, 5),
    dc=st.integers(0, 2),
    wide=st.floats(1e-3, 3.0),
)
def test_draw_keeps_the_random_stream(seed: int, n: int, dn: int, dc: int, wide: float) -> None:
    """The sampler's NumPy fallback draw redraws rejected entries one by one; the values and
    the stream stay those of the reference's whole-array rejection (wide kernels: many
    rejections)."""
    g = np.random.default_rng(seed)
    mu_all = np.vstack([g.random((n, dn)) ** 3, np.full((1, dn), 0.5)])
    sig_all = np.vstack([g.random((n, dn)) * wide + 1e-3, np.ones((1, dn))])
    p = g.random(n + 1)
    p /= p.sum()
    n_choices = g.integers(1, 5, dc).astype(np.float64)
    cat = np.array([g.integers(0, int(k), n) for k in n_choices], dtype=np.int64).T
    cat = cat.reshape(n, dc)
    args = (24, p, mu_all, sig_all, cat, n_choices, 0.2)
    rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
    x, xc = fallback_draw(rng_a, *args)
    x_ref, xc_ref = sample_mixture(rng_b, *args)
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(xc, xc_ref)
    assert rng_a.random() == rng_b.random()  # the generators are left in the same state
    assert np.all((x >= 0) & (x <= 1))


needs_core_draw = pytest.mark.skipif(
    not hasattr(_core, "tpe_sample"), reason="core built without NumPy's libnpyrandom"
)


@needs_core_draw
@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 40),
    dn=st.integers(0, 4),
    choices=st.lists(st.integers(1, 2**40), max_size=2),
    m=st.integers(0, 40),
    weighted=st.booleans(),
    relative=st.booleans(),
    ends=st.booleans(),
    edge=st.sampled_from([1.0, 4.0, 12.0]),
    prior_weight=st.sampled_from([0.3, 1.0, 4.0]),
)
def test_core_draw_equals_the_reference_bitwise(
    seed: int,
    n: int,
    dn: int,
    choices: list[int],
    m: int,
    weighted: bool,
    relative: bool,
    ends: bool,
    edge: float,
    prior_weight: float,
) -> None:
    """_core.tpe_sample gives the numbers the reference draw gives with a generator in the same
    state, and leaves the generator in the same state (observations crowded at 0 by ``edge``:
    many rejected draws; up to 2**40 choices: Lemire's method on 64-bit ranges)."""
    g = np.random.default_rng(seed)
    mu = g.random((n, dn)) ** edge
    n_choices = np.array(choices, dtype=np.int64)
    cat = np.empty((n, len(choices)), dtype=np.int64)
    for k, kk in enumerate(choices):
        cat[:, k] = g.integers(0, kk, n)
    weights = g.random(n) * 2 if weighted else None
    p, mu_all, sig_all = _core.tpe_mixture(mu, weights, prior_weight, ends, relative)
    eps = prior_weight / (n + 1)
    rng_ref, rng_core = np.random.default_rng(seed ^ 1), np.random.default_rng(seed ^ 1)
    x_ref, xc_ref = sample_mixture(
        rng_ref, m, p, mu_all, sig_all, cat, n_choices.astype(np.float64), eps
    )
    x, xc = _core.tpe_sample(
        rng_core, mu, cat, weights, n_choices, np.zeros(dn, bool), m, prior_weight, ends, relative
    )
    np.testing.assert_array_equal(x, x_ref)
    np.testing.assert_array_equal(np.signbit(x), np.signbit(x_ref))
    np.testing.assert_array_equal(xc, xc_ref)
    assert x.shape == (m, dn) and xc.shape == (m, len(choices))
    assert rng_core.bit_generator.state == rng_ref.bit_generator.state


@needs_core_draw
def test_core_draw_rejects_bad_input() -> None:
    mu, cat, none = np.full((3, 2), 0.5), np.empty((3, 0), np.int64), np.empty(0, np.int64)
    coarse = np.zeros(2, bool)
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match=r"numpy\.random\.Generator"):
        _core.tpe_sample(object(), mu, cat, None, none, coarse, 4)
    with pytest.raises(ValueError, match="m must be >= 0"):
        _core.tpe_sample(rng, mu, cat, None, none, coarse, -1)
    with pytest.raises(ValueError, match=r"mu must hold values in \[0, 1\]"):
        _core.tpe_sample(rng, mu + 1.0, cat, None, none, coarse, 4)
    with pytest.raises(ValueError, match="weights must have 3 entries"):
        _core.tpe_sample(rng, mu, cat, np.ones(2), none, coarse, 4)
    # A failed call draws nothing.
    assert rng.bit_generator.state == np.random.default_rng(0).bit_generator.state

"""The compiled Sobol' generator (``_core.sobol_sample``) against its definition, SciPy and the
NumPy reference in ``hyperdial._reference.sobol``."""

from __future__ import annotations

import itertools
import warnings
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hyperdial import _core
from hyperdial._reference import sobol as ref

MAX_DIMS = _core.SOBOL_MAX_DIMS
MAX_POINTS = 2**_core.SOBOL_BITS


@pytest.fixture(scope="module")
def qmc() -> ModuleType:
    module: ModuleType = pytest.importorskip("scipy.stats.qmc")
    return module


def scipy_unscrambled(qmc: ModuleType, n_dims: int, start: int, n: int) -> np.ndarray:
    engine = qmc.Sobol(n_dims, scramble=False)
    if start > 0:  # SciPy's fast_forward(0) raises
        engine.fast_forward(start)
    with warnings.catch_warnings():
        # SciPy warns when n is not a power of 2; the points are still the sequence's.
        warnings.simplefilter("ignore", UserWarning)
        return np.asarray(engine.random(n), dtype=np.float64)


# --- the published sequence -------------------------------------------------------------------


def test_first_points_follow_the_definition() -> None:
    # Worked by hand from m-values (dim 1: all 1; dim 2: x+1, m=1; dim 3: x^2+x+1, m=1,3;
    # dim 4: x^3+x+1, m=1,3,1) in Gray-code order gray(i) = 0, 1, 3, 2, 6, 7, 5, 4.
    expected = np.array(
        [
            [0.0, 0.5, 0.75, 0.25, 0.375, 0.875, 0.625, 0.125],
            [0.0, 0.5, 0.25, 0.75, 0.375, 0.875, 0.125, 0.625],
            [0.0, 0.5, 0.25, 0.75, 0.625, 0.125, 0.875, 0.375],
            [0.0, 0.5, 0.25, 0.75, 0.875, 0.375, 0.625, 0.125],
        ]
    ).T
    got = _core.sobol_sample(4, 0, 8, scramble=False)
    np.testing.assert_array_equal(got, expected)


def test_direction_table_has_the_published_rows() -> None:
    degree, poly, m_init = _core._sobol_direction_table(10)
    assert degree.dtype == poly.dtype == m_init.dtype == np.uint32
    assert m_init.shape == (10, 18)
    # new-joe-kuo-6.21201, rows d = 2..10 as (s, a, m_1..m_s); dimension 1 is degree 0.
    published = [
        (1, 0, [1]),
        (2, 1, [1, 3]),
        (3, 1, [1, 3, 1]),
        (3, 2, [1, 1, 1]),
        (4, 1, [1, 1, 3, 3]),
        (4, 4, [1, 3, 5, 13]),
        (5, 2, [1, 1, 5, 5, 17]),
        (5, 4, [1, 1, 5, 5, 5]),
        (5, 7, [1, 1, 7, 11, 19]),
    ]
    assert (degree[0], poly[0]) == (0, 0)
    for row, (s, a, m) in enumerate(published, start=1):
        assert (degree[row], poly[row]) == (s, a)
        assert m_init[row, :s].tolist() == m
        assert not m_init[row, s:].any()


def test_last_dimension_of_the_table() -> None:
    degree, _, m_init = _core._sobol_direction_table(MAX_DIMS)
    assert degree.shape == (MAX_DIMS,)
    assert degree.max() == 18
    # Every initial m_k is odd and below 2**k (k = 1..s).
    k = np.arange(1, 19)
    used = k[None, :] <= degree[:, None]
    assert np.all(m_init[used] % 2 == 1)
    assert np.all(m_init < (2**k)[None, :])


def test_unscrambled_first_point_is_zero_and_values_are_dyadic() -> None:
    x = _core.sobol_sample(50, 0, 1024, scramble=False)
    assert not x[0].any()
    np.testing.assert_array_equal(x * 1024, np.floor(x * 1024))  # first 2^10 points: k/1024


@pytest.mark.parametrize(("n_dims", "start", "n"), [(1, 0, 64), (1111, 0, 256), (40, 1000, 37)])
def test_unscrambled_matches_scipy(qmc: ModuleType, n_dims: int, start: int, n: int) -> None:
    got = _core.sobol_sample(n_dims, start, n, scramble=False)
    np.testing.assert_array_equal(got, scipy_unscrambled(qmc, n_dims, start, n))


def test_all_21201_dimensions_match_scipy(qmc: ModuleType) -> None:
    got = _core.sobol_sample(MAX_DIMS, 0, 32, scramble=False)
    np.testing.assert_array_equal(got, scipy_unscrambled(qmc, MAX_DIMS, 0, 32))


@pytest.mark.parametrize(
    "start",
    [
        2**13 + 77,  # exercises m_1..m_14 of every dimension
        # every published m_k (s <= 18) and a recurrence step; SciPy's fast_forward takes ~7 s
        pytest.param(2**18 + 12345, marks=pytest.mark.slow),
    ],
)
def test_high_dimensions_deep_into_the_sequence_match_scipy(qmc: ModuleType, start: int) -> None:
    got = _core.sobol_sample(MAX_DIMS, start, 3, scramble=False)
    want = scipy_unscrambled(qmc, MAX_DIMS, start, 3)
    columns = [0, 1, 2, 999, 1110, 5000, 12345, 21199, 21200]
    np.testing.assert_array_equal(got[:, columns], want[:, columns])
    np.testing.assert_array_equal(got, want)


# --- parity with the NumPy reference ----------------------------------------------------------


@pytest.mark.parametrize("scramble", [False, True])
@pytest.mark.parametrize(
    ("n_dims", "start", "n", "seed"),
    [
        (1, 0, 1, 0),
        (7, 0, 2100, 12345),
        (33, 999, 300, 2**64 - 1),
        (5, MAX_POINTS - 40, 40, 7),
        (3, 2**40 + 3, 5, 2**63),
    ],
)
def test_matches_reference(scramble: bool, n_dims: int, start: int, n: int, seed: int) -> None:
    got = _core.sobol_sample(n_dims, start, n, scramble=scramble, seed=seed)
    want = ref.sobol_sample(n_dims, start, n, scramble=scramble, seed=seed)
    np.testing.assert_array_equal(got, want)


@settings(max_examples=40, deadline=None)
@given(
    n_dims=st.integers(1, 6),
    start=st.integers(0, MAX_POINTS - 1),
    seed=st.integers(0, 2**64 - 1),
    scramble=st.booleans(),
)
def test_any_index_matches_reference(n_dims: int, start: int, seed: int, scramble: bool) -> None:
    n = min(3, MAX_POINTS - start)
    got = _core.sobol_sample(n_dims, start, n, scramble=scramble, seed=seed)
    want = ref.sobol_sample(n_dims, start, n, scramble=scramble, seed=seed)
    np.testing.assert_array_equal(got, want)


def test_reference_uniform_is_in_unit_interval() -> None:
    rng = ref.Xoshiro256ss(3, 4)
    u = [rng.uniform() for _ in range(1000)]
    assert min(u) >= 0.0 and max(u) < 1.0
    assert 0.4 < float(np.mean(u)) < 0.6


# --- scrambled points -------------------------------------------------------------------------


def test_scrambled_points_are_in_unit_interval_and_53_bit() -> None:
    x = _core.sobol_sample(20, 0, 4096, seed=1)
    assert x.dtype == np.float64 and x.flags.c_contiguous and x.shape == (4096, 20)
    assert x.min() >= 0.0 and x.max() < 1.0
    scaled = x * 2.0**53
    np.testing.assert_array_equal(scaled, np.floor(scaled))
    assert x[0].any()  # the digital shift moves point 0 away from the origin


def test_scrambled_points_have_low_discrepancy(qmc: ModuleType) -> None:
    sobol = _core.sobol_sample(5, 0, 256, seed=2024)
    rng = np.random.default_rng(7)
    random = [qmc.discrepancy(rng.random((256, 5))) for _ in range(20)]
    assert qmc.discrepancy(sobol) < np.median(random)


@pytest.mark.parametrize("k", [1, 4, 10])
@pytest.mark.parametrize("block", [0, 3])
def test_one_dimensional_projections_are_stratified(k: int, block: int) -> None:
    # Every aligned block of 2^k points puts exactly one point in each of 2^k equal bins, in
    # every dimension (a (0, k, 1)-net), with or without scrambling.
    x = _core.sobol_sample(64, block * 2**k, 2**k, seed=99)
    bins = np.floor(x * 2**k).astype(np.int64)
    for j in range(x.shape[1]):
        np.testing.assert_array_equal(np.bincount(bins[:, j], minlength=2**k), np.ones(2**k))


def test_first_two_dimensions_form_a_0_m_2_net() -> None:
    # Dimensions 1 and 2 of Sobol' form a (0, 2)-sequence: 2^m points put exactly one point in
    # every elementary box of size 2^-a x 2^-b with a + b = m. Linear scrambling keeps this.
    m = 8
    x = _core.sobol_sample(2, 0, 2**m, seed=5)
    for a in range(m + 1):
        b = m - a
        cell = np.floor(x[:, 0] * 2**a).astype(np.int64) * 2**b + np.floor(x[:, 1] * 2**b)
        np.testing.assert_array_equal(np.bincount(cell.astype(np.int64)), np.ones(2**m))


def test_same_seed_gives_identical_points_and_different_seeds_differ() -> None:
    a = _core.sobol_sample(8, 10, 500, seed=42)
    b = _core.sobol_sample(8, 10, 500, seed=42)
    c = _core.sobol_sample(8, 10, 500, seed=43)
    np.testing.assert_array_equal(a, b)
    assert np.mean(a == c) < 0.01


def test_seed_accepts_the_full_unsigned_64_bit_range() -> None:
    top = _core.sobol_sample(3, 0, 16, seed=2**64 - 1)
    np.testing.assert_array_equal(top, _core.sobol_sample(3, 0, 16, seed=np.uint64(2**64 - 1)))
    assert not np.array_equal(top, _core.sobol_sample(3, 0, 16, seed=2**63 - 1))


@pytest.mark.parametrize("scramble", [False, True])
def test_column_does_not_depend_on_n_dims(scramble: bool) -> None:
    wide = _core.sobol_sample(50, 0, 300, scramble=scramble, seed=11)
    for n_dims in (1, 3, 17):
        narrow = _core.sobol_sample(n_dims, 0, 300, scramble=scramble, seed=11)
        np.testing.assert_array_equal(narrow, wide[:, :n_dims])


def test_column_does_not_depend_on_n_dims_at_the_table_end() -> None:
    full = _core.sobol_sample(MAX_DIMS, 5, 4, seed=3)
    np.testing.assert_array_equal(_core.sobol_sample(8, 5, 4, seed=3), full[:, :8])


@pytest.mark.parametrize("scramble", [False, True])
def test_chunks_concatenate_to_the_whole(scramble: bool) -> None:
    whole = _core.sobol_sample(6, 0, 3000, scramble=scramble, seed=8)
    cuts = [0, 1, 1000, 1023, 2500, 3000]
    parts = [
        _core.sobol_sample(6, lo, hi - lo, scramble=scramble, seed=8)
        for lo, hi in itertools.pairwise(cuts)
    ]
    np.testing.assert_array_equal(np.vstack(parts), whole)


@settings(max_examples=30, deadline=None)
@given(
    start=st.integers(0, 5000),
    n=st.integers(0, 3000),
    cut=st.integers(0, 3000),
    seed=st.integers(0, 2**64 - 1),
)
def test_any_split_of_an_index_range_gives_the_same_points(
    start: int, n: int, cut: int, seed: int
) -> None:
    cut = min(cut, n)
    whole = _core.sobol_sample(4, start, n, seed=seed)
    head = _core.sobol_sample(4, start, cut, seed=seed)
    tail = _core.sobol_sample(4, start + cut, n - cut, seed=seed)
    np.testing.assert_array_equal(np.vstack([head, tail]), whole)


@pytest.mark.parametrize("scramble", [False, True])
def test_thread_count_does_not_change_the_points(scramble: bool) -> None:
    one = _core.sobol_sample(30, 17, 5000, scramble=scramble, seed=4, n_threads=1)
    for n_threads in (2, 3, 0):
        many = _core.sobol_sample(30, 17, 5000, scramble=scramble, seed=4, n_threads=n_threads)
        np.testing.assert_array_equal(many, one)


# --- arguments --------------------------------------------------------------------------------


def test_empty_and_boundary_ranges() -> None:
    assert _core.sobol_sample(3, 0, 0).shape == (0, 3)
    assert _core.sobol_sample(3, MAX_POINTS, 0).shape == (0, 3)
    last = _core.sobol_sample(2, MAX_POINTS - 1, 1, scramble=False)
    assert last.shape == (1, 2) and last.max() < 1.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_dims": 0}, r"n_dims must be in \[1, 21201\], got 0"),
        ({"n_dims": MAX_DIMS + 1}, r"n_dims must be in \[1, 21201\], got 21202"),
        ({"start_index": -1}, r"start_index must be in \[0, 2\*\*53\], got -1"),
        ({"start_index": MAX_POINTS + 1}, r"start_index must be in \[0, 2\*\*53\]"),
        ({"n": -1}, r"n must be in \[0, 2\*\*53 - start_index\]"),
        ({"start_index": MAX_POINTS - 2, "n": 3}, r"n must be in .* = \[0, 2\], got 3"),
        ({"seed": -1}, r"seed must be an int in \[0, 2\*\*64\), got -1"),
        ({"seed": 2**64}, r"seed must be an int in \[0, 2\*\*64\)"),
        ({"n_threads": -1}, r"n_threads must be >= 0"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(kwargs: dict[str, int], match: str) -> None:
    args: dict[str, Any] = {"n_dims": 2, "start_index": 0, "n": 4} | kwargs
    with pytest.raises(ValueError, match=match):
        _core.sobol_sample(**args)


def test_non_integer_seed_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="seed must be an int"):
        _core.sobol_sample(2, 0, 4, seed=1.5)  # type: ignore[arg-type]


def test_direction_table_rejects_bad_n_dims() -> None:
    with pytest.raises(ValueError, match=r"n_dims must be in \[1, 21201\], got 0"):
        _core._sobol_direction_table(0)

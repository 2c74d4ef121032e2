"""Distributions: validation, the internal <-> external mapping, JSON, equality."""

from __future__ import annotations

import json
import math
import warnings
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    check_distribution_compatibility,
    distribution_to_json,
    internal_to_unit,
    json_to_distribution,
    unit_to_internal,
)

NAN = float("nan")
INF = float("inf")


def same_choice(a: Any, b: Any) -> bool:
    """Type and value equal, NaN equal to NaN (what 'the same choice' means)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# -- validation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"low": 2.0, "high": 1.0}, r"`low` <= `high`.*low=2\.0"),
        ({"low": NAN, "high": 1.0}, r"`low` must be finite"),
        ({"low": 0.0, "high": NAN}, r"`high` must be finite"),
        ({"low": -INF, "high": 1.0}, r"`low` must be finite"),
        ({"low": 0.0, "high": INF}, r"`high` must be finite"),
        ({"low": "0", "high": 1.0}, r"`low` must be a real number"),
        ({"low": 0.0, "high": None}, r"`high` must be a real number"),
        ({"low": 0.0, "high": 1.0, "log": True}, r"`low` must be > 0 when log=True"),
        ({"low": -1.0, "high": 1.0, "log": True}, r"`low` must be > 0 when log=True"),
        ({"low": 1.0, "high": 2.0, "log": True, "step": 0.5}, r"`step` and `log`"),
        ({"low": 0.0, "high": 1.0, "step": 0.0}, r"`step` must be > 0"),
        ({"low": 0.0, "high": 1.0, "step": -0.5}, r"`step` must be > 0"),
        ({"low": 0.0, "high": 1.0, "step": NAN}, r"`step` must be finite"),
        ({"low": 0.0, "high": 1.0, "step": 1.5}, r"`step` must be <= high - low"),
        ({"low": 0.0, "high": 1e300, "step": 1e-300}, r"at most 2\*\*53 grid points"),
        ({"low": -1e308, "high": 1e308, "step": 1e307}, r"finite width"),
        # Integers beyond the float64 range are not finite bounds (float() of them overflows).
        ({"low": 0, "high": 10**400}, r"`high` must be finite, got 1000.*\(401 characters\)"),
        ({"low": -(10**400), "high": 0}, r"`low` must be finite"),
        ({"low": 0.0, "high": 1.0, "step": 10**400}, r"`step` must be finite"),
        ({"low": 0.0, "high": Fraction(10**400)}, r"`high` must be finite"),
    ],
)
def test_float_distribution_rejects(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        FloatDistribution(**kwargs)


def test_float_log_with_step_message_shows_the_step() -> None:
    with pytest.raises(ValueError, match=r"step=0\.5") as info:
        FloatDistribution(1.0, 2.0, log=True, step=0.5)
    assert "{" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"low": 5, "high": 1}, r"`low` <= `high`.*low=5"),
        ({"low": NAN, "high": 1}, r"`low` must be finite"),
        ({"low": 0, "high": INF}, r"`high` must be finite"),
        ({"low": -INF, "high": 1}, r"`low` must be finite"),
        ({"low": 0.5, "high": 3}, r"`low` must be an integer"),
        ({"low": 0, "high": 2.5}, r"`high` must be an integer"),
        ({"low": "0", "high": 3}, r"`low` must be an integer"),
        ({"low": True, "high": 3}, r"`low` must be an integer"),
        ({"low": 0, "high": 3, "step": 1.5}, r"`step` must be an integer"),
        ({"low": 0, "high": 10, "log": True}, r"`low` must be >= 1 when log=True"),
        ({"low": -3, "high": 10, "log": True}, r"`low` must be >= 1 when log=True"),
        ({"low": 1, "high": 10, "log": True, "step": 2}, r"`step` and `log`"),
        ({"low": 0, "high": 10, "step": 0}, r"`step` must be a positive integer"),
        ({"low": 0, "high": 10, "step": -2}, r"`step` must be a positive integer"),
        ({"low": 0, "high": 3, "step": 4}, r"`step` must be <= high - low"),
        ({"low": 0, "high": 3 * 2**58, "step": 3}, r"`high` must be in \[-2\*\*53, 2\*\*53\]"),
        ({"low": -(2**53) - 1, "high": 0}, r"`low` must be in \[-2\*\*53, 2\*\*53\]"),
        ({"low": 0, "high": 10**400}, r"`high` must be in \[-2\*\*53, 2\*\*53\]"),
        ({"low": 0, "high": Fraction(10**400, 3)}, r"`high` must be finite"),
    ],
)
def test_int_distribution_rejects(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        IntDistribution(**kwargs)


def test_int_bounds_given_as_integral_floats_are_accepted() -> None:
    d = IntDistribution(1.0, 4.0)  # type: ignore[arg-type]
    assert (d.low, d.high) == (1, 4)
    assert type(d.low) is int and type(d.high) is int


class _Opaque:
    pass


@pytest.mark.parametrize(
    ("choices", "match"),
    [
        ([], r"`choices` must contain at least one element"),
        ((), r"`choices` must contain at least one element"),
        ([[1, 2]], r"`choices` must be hashable.*list"),
        ([{"a": 1}], r"`choices` must be hashable.*dict"),
        ([(1, 2)], r"`choices` may only hold None, bool, int, float or str.*tuple"),
        ([_Opaque()], r"`choices` may only hold .*_Opaque"),
        ([object()], r"`choices` may only hold .*object"),
        ([b"raw"], r"`choices` may only hold .*bytes"),
        ([1j], r"`choices` may only hold .*complex"),
        (["a", "b", "a"], r"`choices` must be distinct.*'a' twice"),
        ([1, 2, 1], r"`choices` must be distinct.*1 twice"),
        ([NAN, NAN], r"`choices` must be distinct.*nan twice"),
        ([0.0, -0.0], r"`choices` must be distinct"),
        ("abc", r"`choices` must be a sequence of choices, not a single string"),
        (b"abc", r"`choices` must be a sequence of choices, not a single string"),
        (42, r"`choices` must be a sequence"),
    ],
)
def test_categorical_distribution_rejects(choices: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        CategoricalDistribution(choices)


def test_categorical_keeps_equal_but_different_choices_apart() -> None:
    d = CategoricalDistribution([1, True, 1.0, None, "1"])
    assert [type(c) for c in d.choices] == [int, bool, float, type(None), str]


def test_categorical_numpy_scalars_become_python_scalars() -> None:
    np = pytest.importorskip("numpy")
    d = CategoricalDistribution([np.int64(3), np.float64(0.5), np.bool_(True)])
    assert [type(c) for c in d.choices] == [int, float, bool]
    assert d.to_internal_repr(np.int64(3)) == 0.0


# -- high snapped onto the step grid -----------------------------------------------------------
@pytest.mark.parametrize(
    ("low", "high", "step", "expected_high"),
    [(0.0, 1.0, 0.3, 0.9), (-1.0, 1.0, 0.75, 0.5), (0.0, 10.0, 4.0, 8.0)],
)
def test_float_step_not_dividing_the_range_snaps_high(
    low: float, high: float, step: float, expected_high: float
) -> None:
    with pytest.warns(UserWarning, match=r"not divisible by step.*replaced by"):
        d = FloatDistribution(low, high, step=step)
    assert d.high == pytest.approx(expected_high, abs=1e-12)
    assert d.low == low and d.step == step


def test_the_snapping_warning_points_at_the_caller() -> None:
    with pytest.warns(UserWarning, match="not divisible") as record:
        FloatDistribution(0.0, 1.0, step=0.3)
    assert record[0].filename == __file__


def test_int_step_not_dividing_the_range_snaps_high() -> None:
    with pytest.warns(UserWarning, match=r"not divisible by step=3.*replaced by 9"):
        d = IntDistribution(0, 10, step=3)
    assert d.high == 9


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [(0.0, 1.0, 0.1), (0.1, 0.3, 0.2), (0.1, 1.2, 1.1), (0.7, 1.0, 0.3), (-0.3, 0.6, 0.3)],
)
def test_float_step_dividing_the_range_in_decimal_is_accepted_silently(
    low: float, high: float, step: float
) -> None:
    # filterwarnings=error turns a spurious "not divisible" warning into a failure.
    d = FloatDistribution(low, high, step=step)
    assert d.high == high


def test_step_equal_to_the_range_is_accepted() -> None:
    low, high = -8.17563833112201, -7.868784783249293
    d = FloatDistribution(low, high, step=high - low)
    assert (d.low, d.high) == (low, high) and not d.single()
    assert d._contains(low) and d._contains(high)


def test_a_fine_step_far_from_zero_contains_its_grid() -> None:
    d = FloatDistribution(524288.0, 524288.001, step=1e-6)
    assert all(d._contains(unit_to_internal(d, i / 1000)) for i in range(1001))
    assert d._contains(524288.0 + 441 * 1e-6)
    assert not d._contains(524288.0 + 441.5 * 1e-6)


def test_step_equal_to_a_zero_width_range_is_accepted() -> None:
    assert FloatDistribution(1.0, 1.0, step=5.0).single()
    assert IntDistribution(3, 3, step=7).single()


# -- the internal <-> external mapping ---------------------------------------------------------
def _quiet(factory: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the step-snapping warning
        return factory(*args, **kwargs)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def float_distributions(draw: st.DrawFn) -> FloatDistribution:
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = draw(st.floats(min_value=1e-8, max_value=1e6))
        high = draw(st.floats(min_value=low, max_value=1e7))
        return FloatDistribution(low, high, log=True)
    low = draw(finite)
    if kind == "plain":
        return FloatDistribution(low, draw(st.floats(min_value=low, max_value=low + 1e5)))
    # A step finer than the spacing of floats near `low` has no representable grid; keep
    # clear of that (the width is at least 1e-3, the spacing at most about 1e-10 here).
    high = low + draw(st.floats(min_value=1e-3, max_value=1e5))
    step = draw(st.floats(min_value=(high - low) / 1000, max_value=high - low))
    assume(step > 0)
    return _quiet(FloatDistribution, low, high, step=step)  # type: ignore[no-any-return]


@st.composite
def int_distributions(draw: st.DrawFn) -> IntDistribution:
    if draw(st.booleans()):
        low = draw(st.integers(1, 10**6))
        return IntDistribution(low, draw(st.integers(low, 2 * 10**6)), log=True)
    low = draw(st.integers(-(10**6), 10**6))
    high = draw(st.integers(low, low + 10**4))
    step = draw(st.integers(1, max(1, high - low)))
    return _quiet(IntDistribution, low, high, step=step)  # type: ignore[no-any-return]


def _choice_key(c: Any) -> Any:
    return (type(c), "nan") if isinstance(c, float) and math.isnan(c) else (type(c), c)


choice_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
categorical_distributions = st.lists(
    choice_values, min_size=1, max_size=8, unique_by=_choice_key
).map(CategoricalDistribution)
any_distribution = st.one_of(float_distributions(), int_distributions(), categorical_distributions)


@settings(max_examples=60, deadline=None)
@given(float_distributions(), st.floats(0.0, 1.0))
def test_float_round_trip(d: FloatDistribution, u: float) -> None:
    if d.step is not None:
        n = round((d.high - d.low) / d.step)
        v = min(d.low + round(u * n) * d.step, d.high)
    else:
        v = min(max(d.low + u * (d.high - d.low), d.low), d.high)
    internal = d.to_internal_repr(v)
    assert d._contains(internal)
    external = d.to_external_repr(internal)
    assert type(external) is float and external == v


@settings(max_examples=60, deadline=None)
@given(int_distributions(), st.integers(0, 10**6))
def test_int_round_trip(d: IntDistribution, k: int) -> None:
    v = d.low + (k % ((d.high - d.low) // d.step + 1)) * d.step
    internal = d.to_internal_repr(v)
    assert type(internal) is float and d._contains(internal)
    external = d.to_external_repr(internal)
    assert type(external) is int and external == v


@settings(max_examples=60, deadline=None)
@given(categorical_distributions)
def test_categorical_round_trip_keeps_each_choice(d: CategoricalDistribution) -> None:
    for i, c in enumerate(d.choices):
        internal = d.to_internal_repr(c)
        assert internal == float(i) and d._contains(internal)
        assert same_choice(d.to_external_repr(internal), c)


@settings(max_examples=100, deadline=None)
@given(any_distribution, st.floats(0.0, 1.0))
def test_unit_to_internal_lands_inside_and_internal_to_unit_inverts_it(
    d: BaseDistribution, u: float
) -> None:
    internal = unit_to_internal(d, u)
    assert d._contains(internal)
    back = internal_to_unit(d, internal)
    assert -1e-9 <= back <= 1 + 1e-9
    # The centre of the cell maps back onto the same value (discrete kinds only).
    if isinstance(d, (IntDistribution, CategoricalDistribution)) or (
        isinstance(d, FloatDistribution) and d.step is not None
    ):
        assert unit_to_internal(d, back) == pytest.approx(internal, rel=1e-9, abs=1e-9)


def test_internal_to_unit_of_a_log_range_with_one_logarithm() -> None:
    d = FloatDistribution(98792.93409486915, 98792.93409486917, log=True)
    assert internal_to_unit(d, d.low) == 0.5


def test_int_to_internal_rejects_non_integers() -> None:
    d = IntDistribution(0, 10)
    for bad in (1.5, NAN, INF, "3", True, None, 10**400, Fraction(10**400)):
        with pytest.raises(ValueError, match="not an integer"):
            d.to_internal_repr(bad)


def test_float_to_internal_rejects_non_numbers() -> None:
    d = FloatDistribution(0.0, 1.0)
    for bad in ("0.5", None, True):
        with pytest.raises(ValueError, match="not a number"):
            d.to_internal_repr(bad)
    with pytest.raises(ValueError, match="NaN"):
        d.to_internal_repr(NAN)
    # An integer beyond float64 is infinitely far out, as float() of 1e400 would be.
    assert d.to_internal_repr(10**400) == INF and not d._contains(INF)
    assert d.to_internal_repr(-(10**400)) == -INF


def test_categorical_to_internal_rejects_unknown_and_confusable_values() -> None:
    d = CategoricalDistribution([1, "a"])
    with pytest.raises(ValueError, match="not one of the choices"):
        d.to_internal_repr(True)
    with pytest.raises(ValueError, match="not one of the choices"):
        d.to_internal_repr(1.0)
    with pytest.raises(ValueError, match="not one of the choices"):
        d.to_internal_repr("b")


@pytest.mark.parametrize(
    ("dist", "inside", "outside"),
    [
        (FloatDistribution(0.0, 1.0), [0.0, 0.5, 1.0], [-1e-9, 1.0000001, NAN, INF]),
        (FloatDistribution(0.0, 1.0, step=0.25), [0.0, 0.25, 0.75, 1.0], [0.1, 1.25, -0.25]),
        (FloatDistribution(1e-3, 1.0, log=True), [1e-3, 0.5, 1.0], [0.0, 1e-4, 2.0]),
        (IntDistribution(0, 10), [0.0, 3.0, 10.0], [0.5, -1.0, 11.0, NAN]),
        (IntDistribution(1, 9, step=2), [1.0, 5.0, 9.0], [2.0, 0.0, 11.0]),
        (IntDistribution(1, 100, log=True), [1.0, 100.0], [0.0, 101.0, 2.5]),
        (CategoricalDistribution(["a", "b", "c"]), [0.0, 1.0, 2.0], [-1.0, 3.0, 0.5, NAN]),
    ],
)
def test_contains(dist: BaseDistribution, inside: list[float], outside: list[float]) -> None:
    assert all(dist._contains(v) for v in inside)
    assert not any(dist._contains(v) for v in outside)


@pytest.mark.parametrize(
    ("dist", "single"),
    [
        (FloatDistribution(1.5, 1.5), True),
        (FloatDistribution(1.5, 1.5, log=True), True),
        (FloatDistribution(0.0, 1.0), False),
        (FloatDistribution(0.0, 1.0, step=1.0), False),
        (IntDistribution(4, 4), True),
        (IntDistribution(4, 5), False),
        (IntDistribution(0, 4, step=4), False),
        (CategoricalDistribution([None]), True),
        (CategoricalDistribution([1, True]), False),
    ],
)
def test_single(dist: BaseDistribution, single: bool) -> None:
    assert dist.single() is single


# -- JSON ----------------------------------------------------------------------------------------
def _assert_same_distribution(a: BaseDistribution, b: BaseDistribution) -> None:
    assert type(a) is type(b)
    assert a == b and hash(a) == hash(b)
    if isinstance(a, CategoricalDistribution):
        assert isinstance(b, CategoricalDistribution)
        assert len(a.choices) == len(b.choices)
        assert all(same_choice(x, y) for x, y in zip(a.choices, b.choices, strict=True))
    else:
        assert a._asdict() == b._asdict()
        assert {k: type(v) for k, v in a._asdict().items()} == {
            k: type(v) for k, v in b._asdict().items()
        }


@settings(max_examples=150, deadline=None)
@given(any_distribution)
def test_json_round_trip(d: BaseDistribution) -> None:
    text = distribution_to_json(d)
    # strict JSON: no NaN/Infinity tokens (a str choice "NaN" or "Infinity" is fine)
    json.loads(text, parse_constant=lambda token: pytest.fail(f"non-strict JSON: {token}"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reading back must not re-snap `high`
        back = json_to_distribution(text)
    _assert_same_distribution(d, back)


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(-2.5, 7.0),
        FloatDistribution(1e-5, 1.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.1),
        IntDistribution(-3, 12),
        IntDistribution(1, 1024, log=True),
        IntDistribution(0, 100, step=5),
        CategoricalDistribution([None, True, False, 0, 1, 1.0, NAN, INF, -INF, "x", ""]),
    ],
)
def test_json_round_trip_examples(dist: BaseDistribution) -> None:
    _assert_same_distribution(dist, json_to_distribution(distribution_to_json(dist)))


@pytest.mark.parametrize(
    ("low", "high", "step"),
    [(-918115.0, -878770.0, 40.18445554349455), (6.100556540260445, 7.75, 1.6465492122029322)],
)
def test_a_snapped_high_is_not_snapped_again(low: float, high: float, step: float) -> None:
    with pytest.warns(UserWarning, match="not divisible"):
        d = FloatDistribution(low, high, step=step)
    again = FloatDistribution(d.low, d.high, step=d.step)  # no warning, no error
    assert again.high == d.high
    _assert_same_distribution(d, json_to_distribution(distribution_to_json(d)))


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        '{"name": "NoSuchDistribution", "attributes": {}}',
        '{"attributes": {"low": 0, "high": 1}}',
        '{"name": "FloatDistribution"}',
        "[1, 2]",
    ],
)
def test_json_to_distribution_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="Not a serialised distribution"):
        json_to_distribution(text)


def test_json_to_distribution_validates_what_it_reads() -> None:
    with pytest.raises(ValueError, match="`low` <= `high`"):
        json_to_distribution('{"name": "FloatDistribution", "attributes": {"low": 2, "high": 1}}')


# -- equality and hashing ------------------------------------------------------------------------
def test_equality_tells_one_one_point_zero_and_true_apart() -> None:
    one, one_f, true = (CategoricalDistribution([c]) for c in (1, 1.0, True))
    assert one != one_f and one != true and one_f != true
    assert len({one, one_f, true}) == 3
    assert CategoricalDistribution([1]) == one and hash(CategoricalDistribution([1])) == hash(one)
    mixed = CategoricalDistribution([1, True, 1.0])
    assert mixed != CategoricalDistribution([True, 1, 1.0])  # order matters
    assert mixed == CategoricalDistribution([1, True, 1.0])


def test_equality_of_numeric_distributions() -> None:
    assert FloatDistribution(0, 1) == FloatDistribution(0.0, 1.0)
    assert hash(FloatDistribution(0, 1)) == hash(FloatDistribution(0.0, 1.0))
    assert FloatDistribution(0.0, 1.0) != FloatDistribution(0.0, 2.0)
    assert FloatDistribution(0.1, 1.0) != FloatDistribution(0.1, 1.0, log=True)
    assert FloatDistribution(0.0, 1.0) != FloatDistribution(0.0, 1.0, step=0.5)
    assert IntDistribution(0, 4) != IntDistribution(0, 4, step=2)
    assert FloatDistribution(0.0, 4.0) != IntDistribution(0, 4)
    assert IntDistribution(0, 4) != "IntDistribution(0, 4)"


def test_nan_choices_compare_equal() -> None:
    a = CategoricalDistribution([NAN, "x"])
    b = CategoricalDistribution([float("nan"), "x"])
    assert a == b and hash(a) == hash(b)


def _reference_key(d: BaseDistribution) -> Any:
    """The equality rule spelled out: same type, and each attribute equal in type and value
    (NaN equal to NaN). Equality and hashing must agree with it."""

    def key(v: Any) -> Any:
        if isinstance(v, (list, tuple)):
            return tuple(key(x) for x in v)
        return _choice_key(v)

    return (type(d), tuple((k, key(v)) for k, v in d._asdict().items()))


small_numeric = st.one_of(
    st.builds(
        FloatDistribution,
        st.sampled_from([-0.0, 0.0, 1.0, 0.5]),
        st.sampled_from([1.0, 2.0]),
        step=st.sampled_from([None, 0.5]),
    ),
    st.builds(FloatDistribution, st.sampled_from([0.5, 1.0]), st.just(2.0), log=st.booleans()),
    st.builds(IntDistribution, st.sampled_from([1, 2]), st.just(4), log=st.booleans()),
    st.builds(IntDistribution, st.sampled_from([0, -0]), st.just(4), step=st.sampled_from([1, 2])),
)
small_categorical = st.lists(
    st.sampled_from([1, 1.0, True, 0, False, 0.0, -0.0, None, NAN, "1"]),
    min_size=1,
    max_size=3,
    unique_by=_choice_key,
).map(CategoricalDistribution)


@settings(max_examples=300, deadline=None)
@given(st.one_of(small_numeric, small_categorical), st.one_of(small_numeric, small_categorical))
def test_equality_and_hash_follow_the_identity_rule(
    a: BaseDistribution, b: BaseDistribution
) -> None:
    same = _reference_key(a) == _reference_key(b)
    assert (a == b) is same and (b == a) is same and (a != b) is not same
    if same:
        assert hash(a) == hash(b)


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(0.0, 1.0),
        IntDistribution(1, 9, log=True),
        CategoricalDistribution([1, True, 1.0, NAN]),
    ],
)
def test_distributions_are_immutable(dist: BaseDistribution) -> None:
    # Storage records and samplers share distribution objects, and equality keys are
    # computed once: a distribution must not change after construction.
    before = dict(dist._asdict())
    for attr in ("low", "choices", "anything"):
        with pytest.raises(AttributeError, match="immutable"):
            setattr(dist, attr, 5)
        with pytest.raises(AttributeError, match="immutable"):
            delattr(dist, attr)
    assert _reference_key(dist) == _reference_key(type(dist)(**before))


@pytest.mark.parametrize(
    "dist",
    [
        FloatDistribution(0.0, 1.0, step=0.25),
        IntDistribution(1, 9, log=True),
        CategoricalDistribution([1, True, 1.0, NAN, None, "a"]),
    ],
)
def test_copies_and_pickles_are_equal(dist: BaseDistribution) -> None:
    import copy
    import pickle

    assert copy.copy(dist) is dist and copy.deepcopy(dist) is dist  # immutable: shared
    back = pickle.loads(pickle.dumps(dist))
    assert back == dist and hash(back) == hash(dist)
    # A record pickled without the cached key (an older hyperdial) still compares right.
    state = {k: v for k, v in vars(dist).items() if k != "_key"}
    old = type(dist).__new__(type(dist))
    old.__setstate__(state)
    assert old == dist and hash(old) == hash(dist)


# -- compatibility across trials ------------------------------------------------------------------
def test_compatibility_allows_a_changing_range() -> None:
    check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(-5, 5), name="x")
    check_distribution_compatibility(
        FloatDistribution(0, 1), FloatDistribution(0, 1, step=0.5), name="x"
    )
    check_distribution_compatibility(IntDistribution(0, 1), IntDistribution(0, 9, step=3))
    check_distribution_compatibility(
        CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "b"])
    )


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (FloatDistribution(0, 1), IntDistribution(0, 1), r"'lr' was defined as FloatDist"),
        (IntDistribution(1, 9), CategoricalDistribution([1, 9]), r"'lr' was defined as IntDist"),
        (FloatDistribution(1, 9), FloatDistribution(1, 9, log=True), r"'lr'.*log=False.*log=True"),
        (IntDistribution(1, 9, log=True), IntDistribution(1, 9), r"'lr'.*log=True.*log=False"),
        (CategoricalDistribution(["a"]), CategoricalDistribution(["a", "b"]), r"'lr'.*choices"),
        (CategoricalDistribution([1]), CategoricalDistribution([True]), r"'lr'.*choices"),
    ],
)
def test_compatibility_rejects(old: BaseDistribution, new: BaseDistribution, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_distribution_compatibility(old, new, name="lr")

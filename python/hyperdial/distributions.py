"""Parameter distributions: what values a hyperparameter may take.

Every distribution maps between the *external* value the objective sees (a float, an int or a
categorical choice) and an *internal* float that storages and samplers work with:

* ``FloatDistribution``: internal = the value itself.
* ``IntDistribution``: internal = ``float(value)``.
* ``CategoricalDistribution``: internal = the index of the choice, as a float.

Samplers that work in the unit cube (random, Sobol, the GP) use :func:`unit_to_internal` and
:func:`internal_to_unit`, which put log scales, steps and categories in one place.

Distributions are immutable (assigning an attribute raises ``AttributeError``): trials,
storage records and samplers share them, and equality is a comparison of a key computed once.

Example:
    >>> from hyperdial.distributions import FloatDistribution
    >>> d = FloatDistribution(1e-5, 1e-1, log=True)
    >>> d.to_external_repr(d.to_internal_repr(1e-3))
    0.001
"""

from __future__ import annotations

import abc
import math
import numbers
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Any, Union, cast

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "internal_to_unit",
    "json_to_distribution",
    "unit_to_internal",
]

CategoricalChoiceType = Union[None, bool, int, float, str]  # noqa: UP007 (runtime alias)

_CHOICE_TYPES = (type(None), bool, int, float, str)
_MAX_EXACT_INT = 2**53  # the largest range of integers float64 holds exactly


class BaseDistribution(abc.ABC):
    """A set of values a parameter may take, with its internal float encoding."""

    @abc.abstractmethod
    def to_external_repr(self, param_value_in_internal_repr: float) -> Any:
        """Returns the value the objective sees for an internal float."""

    @abc.abstractmethod
    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        """Returns the internal float for a value of this distribution.

        Raises:
            ValueError: the value does not belong to the distribution.
        """

    @abc.abstractmethod
    def single(self) -> bool:
        """True when the distribution holds exactly one value."""

    @abc.abstractmethod
    def _contains(self, param_value_in_internal_repr: float) -> bool:
        """True when the internal float is a value of the distribution."""

    @abc.abstractmethod
    def _asdict(self) -> dict[str, Any]:
        """The constructor arguments, JSON-compatible."""

    def _identity(self) -> Any:
        """A hashable key, equal for two distributions of one type exactly when they are equal.

        The concrete distributions compute it once (they are immutable).
        """
        return _identity_key(self._asdict())

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other):  # (so `other` is a BaseDistribution below)
            return NotImplemented
        return bool(self._identity() == other._identity())

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._identity()))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._asdict().items())
        return f"{type(self).__name__}({args})"


def _identity_key(obj: Any) -> Any:
    """A hashable key that tells apart values Python considers equal (1, 1.0 and True)."""
    if isinstance(obj, dict):
        return tuple((k, _identity_key(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return tuple(_identity_key(v) for v in obj)
    if isinstance(obj, float) and math.isnan(obj):
        return (float, "nan")
    return (type(obj), obj)


class _FrozenDistribution(BaseDistribution):
    """A distribution whose attributes cannot change once ``__init__`` has set them.

    Immutability makes it safe to compute the equality key once, to share one object between
    trials and storage records, and to copy by reference. Attributes are set with
    :meth:`_freeze`; assigning or deleting one afterwards raises ``AttributeError``.
    """

    _key: Any

    def _freeze(self, **attrs: Any) -> None:
        self.__dict__.update(attrs)
        self.__dict__["_key"] = self._make_key()

    def _make_key(self) -> Any:
        return _identity_key(self._asdict())

    def _identity(self) -> Any:
        return self._key

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable: cannot set {name!r}; create a new "
            "distribution instead."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(
            f"{type(self).__name__} is immutable: cannot delete {name!r}; create a new "
            "distribution instead."
        )

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Unpickling (and copying) bypasses __init__; recompute the key so that records
        # pickled before the key existed still compare correctly.
        self.__dict__.update(state)
        self.__dict__["_key"] = self._make_key()

    def __copy__(self) -> _FrozenDistribution:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _FrozenDistribution:
        return self


def _short_repr(value: Any) -> str:
    """``repr(value)``, abbreviated for integers of hundreds of digits."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:12]}...{text[-6:]} ({len(text)} characters)"


def _magnitude(value: Any) -> str:
    """``~2**n`` for an integer too large for a float (whose repr may run to thousands of
    digits); used in the messages of every check that meets one."""
    return f"~2**{abs(int(value)).bit_length()}"


def _to_float(value: Any) -> float:
    """``float(value)``, with ``inf`` for an integer beyond the float64 range (which raises)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def _scalar_of_array(value: Any) -> Any:
    """The NumPy scalar a 0-d numeric NumPy array holds (``np.array(0.1)`` stands for
    ``np.float64(0.1)``); anything else as it is."""
    if (
        type(value).__name__ == "ndarray"
        and getattr(value, "ndim", None) == 0
        and value.dtype.kind in "iuf"
    ):
        return value[()]
    return value


def _check_log(log: Any, what: str) -> bool:
    """``log`` as a bool; only True, False and NumPy's bools are taken (``log="False"`` would
    otherwise count as true)."""
    if type(log) is bool:
        return log
    if type(log).__module__ == "numpy" and type(log).__name__ in ("bool", "bool_"):
        return bool(log)
    raise TypeError(f"`log` must be a bool (True or False), got {log!r} ({what}).")


def _check_finite_number(name: str, value: Any, what: str) -> float:
    t = type(value)
    if t is float or t is int:  # the common case, without the slow numbers.Real check
        f = _to_float(value)
        if not math.isfinite(f):
            raise ValueError(f"`{name}` must be finite, got {_short_repr(value)} ({what}).")
        return f
    value = _scalar_of_array(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"`{name}` must be a real number, got {value!r} ({what}).")
    f = _to_float(value)
    if not math.isfinite(f):
        raise ValueError(f"`{name}` must be finite, got {_short_repr(value)} ({what}).")
    return f


def _stacklevel_outside_hyperdial() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside hyperdial."""
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)  # the function that warns
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(package):
        frame = frame.f_back
        level += 1
    return level


def _adjust_high(low: float, high: float, step: float, *, kind: str) -> float:
    """Snaps `high` down onto the grid `low + k*step`, warning when it moves."""
    if kind == "int":
        n = (int(high) - int(low)) // int(step)
        new_high: float = int(low) + n * int(step)
    else:
        # Decimal arithmetic avoids 0.1 + 0.1 + 0.1 != 0.3 style false alarms.
        import decimal  # imported here: it costs import time and is rarely needed

        d_low, d_high, d_step = (decimal.Decimal(str(v)) for v in (low, high, step))
        n_dec = (d_high - d_low) // d_step
        # `high` may lie a rounding error below a grid point: a `high` snapped earlier (and
        # read back, e.g. from JSON), or high - low given as the step. It is on the grid.
        tol = 1e-12 * max(1.0, abs(high))
        if abs(float(d_low + (n_dec + 1) * d_step) - high) <= tol:
            n_dec += 1
        new_high = float(d_low + n_dec * d_step)
        if abs(new_high - high) <= tol:
            new_high = high
    if new_high != high:
        warnings.warn(
            f"The range [{low}, {high}] is not divisible by step={step}; `high` is replaced "
            f"by {new_high}.",
            UserWarning,
            stacklevel=_stacklevel_outside_hyperdial(),
        )
    return new_high


class FloatDistribution(_FrozenDistribution):
    """Real values in ``[low, high]``, optionally on a log scale or on a grid of ``step``.

    Args:
        low: Lower bound, finite; ``> 0`` when ``log`` is true.
        high: Upper bound, finite, ``>= low``.
        log: Sample on a logarithmic scale (a bool). Cannot be combined with ``step``.
        step: Grid spacing: values are ``low + k*step``. ``high`` is snapped down onto the grid
            (with a warning) when the range is not a multiple of ``step``.

    Bounds and steps may be Python or NumPy numbers, or 0-d NumPy arrays of them.

    Raises:
        ValueError: for any of the rules above, naming the argument and the allowed range.
        TypeError: ``log`` is not a bool.

    Example:
        >>> FloatDistribution(0.0, 1.0, step=0.25).to_external_repr(0.5)
        0.5
    """

    low: float
    high: float
    log: bool
    step: float | None

    def __init__(
        self, low: float, high: float, log: bool = False, step: float | None = None
    ) -> None:
        what = "FloatDistribution"
        log = _check_log(log, what)
        low_f = _check_finite_number("low", low, what)
        high_f = _check_finite_number("high", high, what)
        if low_f > high_f:
            raise ValueError(f"`low` <= `high` is required, got low={low!r}, high={high!r}.")
        if log and step is not None:
            raise ValueError(f"`step` and `log` cannot both be set (got log=True, step={step!r}).")
        if log and low_f <= 0.0:
            raise ValueError(f"`low` must be > 0 when log=True, got low={low!r}.")
        step_f: float | None = None
        if step is not None:
            step_f = _check_finite_number("step", step, what)
            if step_f <= 0:
                raise ValueError(f"`step` must be > 0, got step={step!r}.")
            span = high_f - low_f
            if not math.isfinite(span) or span / step_f > _MAX_EXACT_INT:
                raise ValueError(
                    f"A stepped range must have at most 2**53 grid points and a finite width, "
                    f"got low={low!r}, high={high!r}, step={step!r}."
                )
            # The step fits if it does in binary or in decimal arithmetic: 0.3 - 0.1 < 0.2 in
            # binary, and low + (high - low) can round above high in decimal.
            import decimal

            d_low, d_step = (decimal.Decimal(str(v)) for v in (low_f, step_f))
            if high_f > low_f and step_f > high_f - low_f and float(d_low + d_step) > high_f:
                raise ValueError(
                    f"`step` must be <= high - low = {high_f - low_f!r}, got step={step!r}."
                )
            high_f = _adjust_high(low_f, high_f, step_f, kind="float")
        self._freeze(low=low_f, high=high_f, log=bool(log), step=step_f)

    def _make_key(self) -> Any:
        # The types are fixed by __init__ (float, float, bool, float or None) and the bounds
        # are finite, so plain tuple equality is the identity-key equality.
        return (self.low, self.high, self.log, self.step)

    def to_external_repr(self, param_value_in_internal_repr: float) -> float:
        return float(param_value_in_internal_repr)

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        v = param_value_in_external_repr
        if type(v) is float and v == v:  # the common case: a float that is not NaN
            return v
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(f"{v!r} is not a number, so it is not a value of {self!r}.")
        f = _to_float(v)
        if math.isnan(f):
            raise ValueError(f"NaN is not a value of {self!r}.")
        return f

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        return self.high - self.low < self.step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        v = param_value_in_internal_repr
        if not (self.low <= v <= self.high):
            return False
        if self.step is None:
            return True
        k = (v - self.low) / self.step
        # v - low carries the rounding of v (a few ulps of it), which is large next to a fine
        # step far from zero (low=524288, step=1e-6).
        rounding = 4 * math.ulp(max(abs(v), abs(self.low))) / self.step
        return abs(k - round(k)) <= 1e-8 * max(1.0, abs(k)) + rounding

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}


class IntDistribution(_FrozenDistribution):
    """Integers in ``[low, high]`` on a grid of ``step``, optionally on a log scale.

    Args:
        low: Lower bound (an integer; ``>= 1`` when ``log`` is true).
        high: Upper bound (an integer ``>= low``).
        log: Sample on a logarithmic scale (a bool); requires ``step == 1``.
        step: Grid spacing, a positive integer; ``high`` is snapped down onto the grid.

    Example:
        >>> IntDistribution(1, 9, step=2).to_external_repr(5.0)
        5
    """

    low: int
    high: int
    log: bool
    step: int

    def __init__(self, low: int, high: int, log: bool = False, step: int = 1) -> None:
        log = _check_log(log, "IntDistribution")
        low_i = self._check_int("low", low)
        high_i = self._check_int("high", high)
        step_i = self._check_int("step", step)
        if low_i > high_i:
            raise ValueError(f"`low` <= `high` is required, got low={low!r}, high={high!r}.")
        if log and step_i != 1:
            raise ValueError(
                f"`step` and `log` cannot both be set: log=True needs step=1, got step={step!r}."
            )
        if log and low_i < 1:
            raise ValueError(f"`low` must be >= 1 when log=True, got low={low!r}.")
        if step_i <= 0:
            raise ValueError(f"`step` must be a positive integer, got step={step!r}.")
        if high_i > low_i and step_i > high_i - low_i:
            raise ValueError(
                f"`step` must be <= high - low = {high_i - low_i}, got step={step!r}."
            )
        if step_i != 1:
            high_i = int(_adjust_high(low_i, high_i, step_i, kind="int"))
        self._freeze(low=low_i, high=high_i, log=bool(log), step=step_i)

    def _make_key(self) -> Any:
        # Types fixed by __init__ (int, int, bool, int): tuple equality is identity equality.
        return (self.low, self.high, self.log, self.step)

    @staticmethod
    def _check_int(name: str, value: Any) -> int:
        if type(value) is int and -_MAX_EXACT_INT <= value <= _MAX_EXACT_INT:
            return value  # the common case, without the slow numbers.Real check
        value = _scalar_of_array(value)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"`{name}` must be an integer, got {value!r} (IntDistribution).")
        if isinstance(value, numbers.Integral):
            i = int(value)
        else:
            f = _to_float(value)
            if not math.isfinite(f):
                raise ValueError(
                    f"`{name}` must be finite, got {_short_repr(value)} (IntDistribution)."
                )
            if f != int(f):
                raise ValueError(f"`{name}` must be an integer, got {value!r} (IntDistribution).")
            i = int(f)
        # Internal values are float64: beyond 2**53 not every integer has one.
        if abs(i) > _MAX_EXACT_INT:
            raise ValueError(
                f"`{name}` must be in [-2**53, 2**53], got {value!r} (IntDistribution)."
            )
        return i

    def to_external_repr(self, param_value_in_internal_repr: float) -> int:
        return int(round(param_value_in_internal_repr))

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        v = param_value_in_external_repr
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ValueError(f"{v!r} is not an integer, so it is not a value of {self!r}.")
        f = _to_float(v)
        if not math.isfinite(f) or f != round(f):
            raise ValueError(
                f"{_short_repr(v)} is not an integer, so it is not a value of {self!r}."
            )
        return f

    def single(self) -> bool:
        return self.high - self.low < self.step

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        v = param_value_in_internal_repr
        if not (self.low <= v <= self.high) or v != round(v):
            return False
        return (int(v) - self.low) % self.step == 0

    def _asdict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}


def _same_choice(a: Any, b: Any) -> bool:
    """Equality that keeps 1, 1.0 and True apart and treats NaN as equal to NaN."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _normalise_choice(c: Any) -> CategoricalChoiceType:
    # NumPy scalars become the Python scalar they stand for; anything else must already be one.
    if type(c).__module__ == "numpy" and hasattr(c, "item"):
        c = c.item()
    if not isinstance(c, _CHOICE_TYPES):
        raise ValueError(
            f"`choices` may only hold None, bool, int, float or str; got {c!r} "
            f"of type {type(c).__name__}."
        )
    return c


class CategoricalDistribution(_FrozenDistribution):
    """One of a fixed list of choices (None, bool, int, float or str).

    Choices that compare equal in Python but differ in type (``1``, ``1.0``, ``True``) are kept
    apart: the value the objective receives is the very choice that is stored.

    Args:
        choices: A non-empty sequence of distinct choices.

    Example:
        >>> d = CategoricalDistribution([1, True, 1.0])
        >>> d.to_external_repr(d.to_internal_repr(True))
        True
    """

    choices: tuple[CategoricalChoiceType, ...]

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        if isinstance(choices, (str, bytes)):
            raise ValueError(
                f"`choices` must be a sequence of choices, not a single string: {choices!r}."
            )
        if not isinstance(choices, Sequence):
            try:
                choices = list(choices)
            except TypeError:
                raise ValueError(
                    f"`choices` must be a sequence, got {type(choices).__name__}."
                ) from None
        if len(choices) == 0:
            raise ValueError("`choices` must contain at least one element, got an empty sequence.")
        normalised: list[CategoricalChoiceType] = []
        for c in choices:
            try:
                hash(c)
            except TypeError:
                raise ValueError(
                    f"`choices` must be hashable, got {c!r} of type {type(c).__name__}."
                ) from None
            n = _normalise_choice(c)
            if any(_same_choice(n, seen) for seen in normalised):
                raise ValueError(f"`choices` must be distinct, got {n!r} twice.")
            normalised.append(n)
        self._freeze(choices=tuple(normalised))

    def _make_key(self) -> Any:
        return tuple(_identity_key(c) for c in self.choices)

    def to_external_repr(self, param_value_in_internal_repr: float) -> CategoricalChoiceType:
        return self.choices[int(param_value_in_internal_repr)]

    def to_internal_repr(self, param_value_in_external_repr: Any) -> float:
        v = param_value_in_external_repr
        if type(v).__module__ == "numpy" and hasattr(v, "item"):
            v = v.item()
        for i, c in enumerate(self.choices):
            if _same_choice(v, c):
                return float(i)
        raise ValueError(f"{v!r} is not one of the choices of {self!r}.")

    def single(self) -> bool:
        return len(self.choices) == 1

    def _contains(self, param_value_in_internal_repr: float) -> bool:
        v = param_value_in_internal_repr
        return 0 <= v < len(self.choices) and v == int(v)

    def _asdict(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


_DISTRIBUTIONS: dict[str, type[BaseDistribution]] = {
    "FloatDistribution": FloatDistribution,
    "IntDistribution": IntDistribution,
    "CategoricalDistribution": CategoricalDistribution,
}


def _encode_float(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return {"__float__": repr(v)}
    return v


def _decode_float(v: Any) -> Any:
    if isinstance(v, dict) and set(v) == {"__float__"}:
        return float(v["__float__"])
    return v


def distribution_to_json(dist: BaseDistribution) -> str:
    """Serialises a distribution to strict JSON (types of categorical choices preserved).

    Example:
        >>> distribution_to_json(IntDistribution(1, 3))
        '{"name": "IntDistribution", "attributes": {"low": 1, "high": 3, "log": false, "step": 1}}'
    """
    attrs = dist._asdict()
    if "choices" in attrs:
        attrs = {"choices": [_encode_float(c) for c in attrs["choices"]]}
    import json

    return json.dumps({"name": type(dist).__name__, "attributes": attrs}, allow_nan=False)


def json_to_distribution(json_str: str) -> BaseDistribution:
    """Inverse of :func:`distribution_to_json`.

    Raises:
        ValueError: the text is not a serialised distribution.
    """
    import json

    try:
        obj = json.loads(json_str)
        cls = _DISTRIBUTIONS[obj["name"]]
        attrs = dict(obj["attributes"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"Not a serialised distribution: {json_str!r} ({e}).") from None
    if "choices" in attrs:
        attrs["choices"] = [_decode_float(c) for c in attrs["choices"]]
    return cls(**attrs)


def check_distribution_compatibility(
    dist_old: BaseDistribution, dist_new: BaseDistribution, *, name: str = "?"
) -> None:
    """Raises ``ValueError`` when one parameter name is used with two kinds of distribution.

    Across trials the range of a float or int parameter may change (dynamic search spaces), but
    its kind, its log flag and the choices of a categorical may not.
    """
    if dist_old is dist_new:
        return
    kind = type(dist_old)
    if kind is not type(dist_new):
        raise ValueError(
            f"Parameter {name!r} was defined as {dist_old!r} and cannot become {dist_new!r}."
        )
    if (
        kind is FloatDistribution
        or kind is IntDistribution
        or isinstance(dist_old, (FloatDistribution, IntDistribution))
    ):
        # Same type as dist_old (checked above).
        old_log = cast("FloatDistribution | IntDistribution", dist_old).log
        new_log = cast("FloatDistribution | IntDistribution", dist_new).log
        if old_log != new_log:
            raise ValueError(
                f"Parameter {name!r} was defined with log={old_log} and cannot change to "
                f"log={new_log}."
            )
    elif dist_old != dist_new:
        raise ValueError(
            f"Parameter {name!r} was defined as {dist_old!r}; a categorical parameter cannot "
            f"change its choices (got {dist_new!r})."
        )


def unit_to_internal(dist: BaseDistribution, u: float) -> float:
    """Maps ``u`` in ``[0, 1)`` onto an internal value of ``dist``, uniformly in its own scale.

    Floats are uniform (in log space when ``log``); stepped floats and ints are uniform over
    their grid points (log ints: uniform in ``log`` over ``[low - 0.5, high + 0.5]``, rounded);
    categoricals are uniform over choices. Used by the random and quasi-random samplers.
    """
    u = min(max(float(u), 0.0), math.nextafter(1.0, 0.0))
    # Exact types first: isinstance on these ABCMeta classes is several times slower.
    if type(dist) is FloatDistribution:
        return _unit_to_float(dist, u)
    if type(dist) is IntDistribution:
        return _unit_to_int(dist, u)
    if type(dist) is CategoricalDistribution or isinstance(dist, CategoricalDistribution):
        return float(min(int(u * len(dist.choices)), len(dist.choices) - 1))
    if isinstance(dist, FloatDistribution):
        return _unit_to_float(dist, u)
    if isinstance(dist, IntDistribution):
        return _unit_to_int(dist, u)
    raise TypeError(f"Unknown distribution {dist!r}.")


def _unit_to_float(dist: FloatDistribution, u: float) -> float:
    if dist.step is None and not dist.log and math.isinf(dist.high - dist.low):
        # The range is wider than the largest float: work with halves.
        lo, hi = dist.low / 2, dist.high / 2
        return min(max(2.0 * (lo + u * (hi - lo)), dist.low), dist.high)
    if dist.step is not None:
        n = int(round((dist.high - dist.low) / dist.step)) + 1
        k = min(int(u * n), n - 1)
        return min(dist.low + k * dist.step, dist.high)
    if dist.log:
        lo, hi = math.log(dist.low), math.log(dist.high)
        return min(max(math.exp(lo + u * (hi - lo)), dist.low), dist.high)
    return min(dist.low + u * (dist.high - dist.low), dist.high)


def _unit_to_int(dist: IntDistribution, u: float) -> float:
    if dist.log:
        base, width = _int_log_scale(dist)
        v = int(round(base + base * math.expm1(u * width)))
        return float(min(max(v, dist.low), dist.high))
    n = (dist.high - dist.low) // dist.step + 1
    k = min(int(u * n), n - 1)
    return float(dist.low + k * dist.step)


def _int_log_scale(dist: IntDistribution) -> tuple[float, float]:
    """``(low - 0.5, log((high + 0.5) / (low - 0.5)))`` for a log-scaled int distribution.

    Positions are measured from ``low - 0.5`` with log1p/expm1, so that the mapping keeps
    every integer apart up to 2**53 (plain logs of large numbers differ only in their last
    bits).
    """
    base = dist.low - 0.5
    return base, math.log1p((dist.high - dist.low + 1) / base)


def internal_to_unit(dist: BaseDistribution, v: float) -> float:
    """The centre of the cell of ``[0, 1)`` that :func:`unit_to_internal` maps onto ``v``."""
    if type(dist) is FloatDistribution:
        return _float_to_unit(dist, v)
    if type(dist) is IntDistribution:
        return _int_to_unit(dist, v)
    if type(dist) is CategoricalDistribution or isinstance(dist, CategoricalDistribution):
        return (v + 0.5) / len(dist.choices)
    if isinstance(dist, FloatDistribution):
        return _float_to_unit(dist, v)
    if isinstance(dist, IntDistribution):
        return _int_to_unit(dist, v)
    raise TypeError(f"Unknown distribution {dist!r}.")


def _float_to_unit(dist: FloatDistribution, v: float) -> float:
    if dist.step is None and not dist.log and math.isinf(dist.high - dist.low):
        lo, hi = dist.low / 2, dist.high / 2
        return (v / 2 - lo) / (hi - lo)
    if dist.step is not None:
        n = int(round((dist.high - dist.low) / dist.step)) + 1
        return (round((v - dist.low) / dist.step) + 0.5) / n
    if dist.high == dist.low:
        return 0.5
    if dist.log:
        lo, hi = math.log(dist.low), math.log(dist.high)
        if hi == lo:  # adjacent floats can share a logarithm
            return 0.5
        return (math.log(v) - lo) / (hi - lo)
    return (v - dist.low) / (dist.high - dist.low)


def _int_to_unit(dist: IntDistribution, v: float) -> float:
    if dist.log:
        base, width = _int_log_scale(dist)
        a = math.log1p((v - dist.low) / base)  # log((v - 0.5) / base)
        b = math.log1p((v - dist.low + 1) / base)  # log((v + 0.5) / base)
        return (a + b) / 2 / width
    n = (dist.high - dist.low) // dist.step + 1
    return (round((v - dist.low) / dist.step) + 0.5) / n


def __getattr__(name: str) -> Any:
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

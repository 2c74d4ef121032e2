"""What counts as a real number where hyperdial expects one: an objective's result, a reported
intermediate value, the values of a trial given to ``Study.add_trial``."""

from __future__ import annotations

import math
import numbers
from typing import Any

from hyperdial.distributions import _magnitude

__all__ = ["NotReal", "TooLarge", "to_real"]


class NotReal(TypeError):
    """``to_real``'s refusal; the message is the reason."""


class TooLarge(ValueError):
    """``to_real``'s refusal of a number beyond the float64 range; the message describes the
    number (``~2**1329`` for an integer, else its repr)."""


def to_real(value: Any) -> float:
    """The float a value stands for, if it is a real number: the rule shared by what an
    objective returns and what ``Trial.report`` takes.

    Taken: Python and NumPy numbers (bools count as 0 and 1), 0-d NumPy arrays of them, and
    anything else that ``float()`` converts (``Decimal``, ``Fraction``, a 0-d torch tensor, any
    object with ``__float__``). NaN and ±inf are returned as they are; callers decide.

    Raises:
        TypeError: a string, a complex number, an array with dimensions, or a value ``float()``
            refuses (the message says which).
        ValueError: a finite number beyond the float64 range (``10**400``,
            ``Decimal("1e400")``), which ``float()`` would turn into ±inf or refuse.
    """
    if type(value) is float:
        return value
    if isinstance(value, (str, bytes, bytearray)):  # float("1.5") works, but a str is no number
        raise NotReal(f"{value!r} is not a number")
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        raise NotReal(f"{value!r} is a complex number, not a real one")
    ndim = getattr(value, "ndim", None)
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if isinstance(ndim, int) and isinstance(kind, str):  # a NumPy array or scalar
        if ndim != 0:
            raise NotReal(f"{value!r} is an array, not a number")
        if kind == "c":
            raise NotReal(f"{value!r} is a complex number, not a real one")
        if kind not in "biuf":
            raise NotReal(f"{value!r} is not a number")
    try:
        f = float(value)
    except OverflowError:
        raise TooLarge(_magnitude(value)) from None
    except Exception as e:
        raise NotReal(f"{value!r} is not a real number ({type(e).__name__}: {e})") from None
    if math.isinf(f) and not _equals(value, f):
        raise TooLarge(repr(value))
    return f


def _equals(value: Any, f: float) -> bool:
    """``value == f``, False when the comparison fails or is not a truth value."""
    try:
        return bool(value == f)
    except Exception:
        return False

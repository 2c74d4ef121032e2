"""Parameters <-> the GP core's normalised space.

The core (``hyperdial.gp``) works on ``(n, d)`` float64 arrays where dimension ``j`` is

* ``"continuous"``: a position in ``[0, 1]``;
* ``"integer"``: one of the ``c_j`` cell centres ``(k + 0.5) / c_j`` of ``[0, 1]``;
* ``"categorical"``: a category code ``0 .. c_j - 1``.

:class:`ParamCoder` maps one distribution onto one dimension, using the unit cube TPE also
works in (:mod:`hyperdial.samplers._unit_cube`: positions uniform in the distribution's own
scale, log for ``log=True``, one equal cell per grid value for ints and stepped floats):

================================  ==============  ===========================================
distribution                      kind            value -> coordinate
================================  ==============  ===========================================
float, float log                  continuous      position (log scale for ``log``)
int / stepped float, <= 16 values integer         centre of the value's cell
int / stepped float, more values  continuous      centre of the value's cell (a wide grid
                                                  moves better with the continuous L-BFGS
                                                  than one neighbour at a time)
int log                           continuous      centre of the value's cell in log scale
categorical                       categorical     index of the choice
================================  ==============  ===========================================

Decoding maps a coordinate onto the value whose cell holds it
(:func:`~hyperdial.distributions.unit_to_internal`), so *any* coordinate in ``[0, 1]`` (or any
code) decodes to a value inside the distribution, and encoding then decoding a value gives the
value back (exactly for discrete distributions of up to 2**50 values, up to rounding of
``log``/``exp`` for floats; a coordinate in ``[0, 1]`` resolves about 2**53 positions, so a grid
of more values, such as ``IntDistribution(0, 2**53 - 1)``, comes back within a few cells).

A value outside the distribution (the range of a dynamic parameter changed) or a missing value
(a define-by-run trial that did not use the parameter) is *inactive*: its coordinate is a
stand-in and its mask entry 0, which the core's kernels understand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    unit_to_internal,
)
from hyperdial.samplers._unit_cube import n_cells, to_codes, to_unit

if TYPE_CHECKING:
    from numpy.typing import NDArray

    F64 = NDArray[np.float64]

__all__ = ["MAX_INTEGER_CHOICES", "ParamCoder", "SpaceCoder"]


#: A grid of at most this many values is an ``"integer"`` dimension of the core (searched by
#: neighbour steps and scored exhaustively by the pool); wider grids are ``"continuous"``.
MAX_INTEGER_CHOICES = 16


#: :func:`hyperdial.samplers._unit_cube.n_cells` under the name the GP tests import.
_n_cells = n_cells


class ParamCoder:
    """The map between one distribution and one dimension of the core's space.

    Args:
        dist: A distribution with more than one value (single-valued ones are not modelled).

    Example:
        >>> from hyperdial.distributions import IntDistribution
        >>> coder = ParamCoder(IntDistribution(0, 3))
        >>> coder.kind, coder.n_choices
        ('integer', 4)
        >>> x, active = coder.encode(np.array([2.0, np.nan]))
        >>> x.tolist(), active.tolist()
        ([0.625, 0.5], [True, False])
        >>> coder.decode(0.625)
        2
    """

    def __init__(self, dist: BaseDistribution) -> None:
        self.dist = dist
        if isinstance(dist, CategoricalDistribution):
            self.kind = "categorical"
            self.n_choices = len(dist.choices)
            return
        if not isinstance(dist, (FloatDistribution, IntDistribution)):
            raise TypeError(f"GPSampler cannot encode the distribution {dist!r}.")
        cells = n_cells(dist)
        if cells is not None and cells <= MAX_INTEGER_CHOICES:
            self.kind = "integer"
            self.n_choices = cells
        else:
            self.kind = "continuous"
            self.n_choices = 0

    def encode(self, internal: F64) -> tuple[F64, NDArray[np.bool_]]:
        """Coordinates and activity of a column of internal values (NaN: missing).

        Inactive entries (missing, or outside the distribution) get the kernel's stand-ins
        (0.5 for numeric dims, code -1 for categorical dims; see
        ``cpp/include/hyperdial/kernels.hpp``), so that a point written this way means the
        same to the GP with or without its mask (pending points are passed without one).
        """
        v = np.asarray(internal, dtype=np.float64)
        if self.kind == "categorical":
            codes = to_codes(self.dist, v)
            active = ~np.isnan(codes)
            return np.where(active, codes, -1.0), active
        u = to_unit(self.dist, v)
        active = ~np.isnan(u)
        return np.where(active, u, 0.5), active

    def decode(self, x: float) -> Any:
        """The external value whose cell holds coordinate ``x``; always inside the distribution."""
        dist = self.dist
        if self.kind == "categorical":
            code = 0 if not math.isfinite(x) else int(round(x))
            code = min(max(code, 0), self.n_choices - 1)
            return dist.to_external_repr(float(code))
        u = 0.5 if not math.isfinite(x) else x
        return dist.to_external_repr(unit_to_internal(dist, u))


class SpaceCoder:
    """:class:`ParamCoder` for each parameter of a search space, in sorted name order.

    Example:
        >>> from hyperdial.distributions import CategoricalDistribution, FloatDistribution
        >>> space = {"lr": FloatDistribution(1e-4, 1.0, log=True),
        ...          "opt": CategoricalDistribution(["sgd", "adam"])}
        >>> coder = SpaceCoder(space)
        >>> coder.kinds
        ['continuous', 'categorical']
        >>> values = coder.decode(np.array([0.5, 1.0]))
        >>> round(values["lr"], 12), values["opt"]
        (0.01, 'adam')
    """

    def __init__(self, space: Mapping[str, BaseDistribution]) -> None:
        self.names: list[str] = sorted(space)
        self.coders = [ParamCoder(space[n]) for n in self.names]
        self.kinds = [c.kind for c in self.coders]
        self.n_choices = [c.n_choices for c in self.coders]
        self.dists = [space[n] for n in self.names]

    def __len__(self) -> int:
        return len(self.names)

    def same_as(self, names: Sequence[str], dists: Sequence[BaseDistribution]) -> bool:
        """True if this coder was built for exactly these (sorted) names and distributions."""
        return list(names) == self.names and all(
            a is b or a == b for a, b in zip(dists, self.dists, strict=True)
        )

    def decode(self, x: F64) -> dict[str, Any]:
        """External values of one point of the normalised space."""
        out: dict[str, Any] = {}
        for name, coder, xi in zip(self.names, self.coders, x, strict=True):
            out[name] = coder.decode(float(xi))
        return out

"""``param_distributions`` as scikit-learn writes them, turned into hyperdial search spaces.

A parameter has two faces: the *estimator value* (what ``set_params`` receives and
``cv_results_`` shows) and the *study coordinate* (what the study's trials record and the sampler
models). They are equal for hyperdial distributions, scipy's ``uniform``, ``loguniform`` and
``randint``, and lists of plain distinct scalars; lists of anything else are searched by index,
and other scipy distributions by quantile. :class:`HyperSearchCV` documents the rules for users.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperdial.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.trial import Trial

__all__ = ["QUANTILE_TAIL", "SUBSPACE", "Param", "Space", "build_space"]

#: The study parameter that picks one dict of a list of dicts. Not a valid Python identifier,
#: so it cannot clash with an estimator parameter name.
SUBSPACE = "[subspace]"
#: Probability left out at each unbounded end when a scipy distribution is searched by quantile:
#: the study searches its central ``1 - 2 * QUANTILE_TAIL`` mass.
QUANTILE_TAIL = 1e-3

_ALLOWED = (
    "a hyperdial distribution (FloatDistribution, IntDistribution, CategoricalDistribution), "
    "a frozen scipy.stats distribution (e.g. scipy.stats.loguniform(1e-3, 1e2)) or a "
    "non-empty list of values"
)
_PLAIN = (str, int, float, bool, type(None))


class Param:
    """One estimator parameter: its study coordinate and how it maps to the estimator value.

    Attributes:
        name: The estimator parameter (``set_params`` key).
        key: The study parameter name (``name`` unless sub-spaces disagree on it).
        distribution: The study coordinate's distribution.
    """

    def __init__(self, name: str, key: str, distribution: BaseDistribution) -> None:
        self.name = name
        self.key = key
        self.distribution = distribution

    def decode(self, value: Any) -> Any:
        """The estimator value for study coordinate ``value``."""
        return value

    def meaning(self) -> Any:
        """Equal for two parameters exactly when equal study coordinates give equal values."""
        return self.distribution


class _ListParam(Param):
    """A list of values: the study records the value itself, or its index for values a
    :class:`~hyperdial.CategoricalDistribution` cannot hold (estimators, arrays, duplicates).
    The estimator receives the very object of the list in both cases."""

    def __init__(self, name: str, key: str, values: Sequence[Any]) -> None:
        self.values = list(values)
        plain = [v.item() if isinstance(v, np.generic) else v for v in self.values]
        dist: CategoricalDistribution | None = None
        if all(type(v) in _PLAIN for v in plain) and not any(
            isinstance(v, float) and math.isnan(v) for v in plain
        ):
            try:
                dist = CategoricalDistribution(plain)
            except ValueError:  # duplicates: they weight the choice, so search by index
                dist = None
        self.by_index = dist is None
        if dist is None:
            dist = CategoricalDistribution(list(range(len(self.values))))
        super().__init__(name, key, dist)

    def decode(self, value: Any) -> Any:
        return self.values[int(self.distribution.to_internal_repr(value))]

    def meaning(self) -> Any:
        return self if self.by_index else self.distribution


class _QuantileParam(Param):
    """A scipy distribution other than uniform, loguniform and randint: the study searches the
    quantile ``q`` and the estimator gets ``ppf(q)``, so that uniform sampling of ``q`` draws
    from the distribution itself (what ``RandomizedSearchCV`` does) and the sampler works in
    the coordinates the user's prior spreads evenly."""

    def __init__(self, name: str, key: str, frozen: Any, discrete: bool) -> None:
        self.frozen = frozen
        self.discrete = discrete
        lo, hi = (float(b) for b in frozen.support())
        self.low = lo
        q_lo = 0.0 if math.isfinite(lo) else QUANTILE_TAIL
        q_hi = 1.0 if math.isfinite(hi) else 1.0 - QUANTILE_TAIL
        super().__init__(name, key, FloatDistribution(q_lo, q_hi))

    def decode(self, value: Any) -> Any:
        x = float(self.frozen.ppf(value))
        if self.discrete:
            # scipy's discrete ppf(0) is one below the support.
            return int(max(x, self.low))
        return x

    def meaning(self) -> Any:
        return self


def _is_frozen_scipy(v: Any) -> bool:
    return all(hasattr(v, a) for a in ("dist", "ppf", "cdf", "support", "rvs"))


def _from_scipy(name: str, key: str, v: Any) -> Param:
    import scipy.stats

    dist_name = getattr(v.dist, "name", "")
    discrete = isinstance(v.dist, scipy.stats.rv_discrete)
    lo, hi = (float(b) for b in v.support())
    if dist_name == "uniform" and math.isfinite(lo) and math.isfinite(hi):
        return Param(name, key, FloatDistribution(lo, hi))
    # Log-uniform in the value only without a shift (loc = 0); scale keeps it log-uniform.
    if (
        dist_name in ("loguniform", "reciprocal")
        and 0.0 < lo < hi < math.inf
        and abs(float(v.cdf(math.sqrt(lo * hi))) - 0.5) < 1e-9
    ):
        return Param(name, key, FloatDistribution(lo, hi, log=True))
    if dist_name == "randint" and math.isfinite(lo) and math.isfinite(hi):
        return Param(name, key, IntDistribution(int(lo), int(hi)))
    return _QuantileParam(name, key, v, discrete)


def _param(name: str, key: str, v: Any, where: str) -> Param:
    if isinstance(v, BaseDistribution):
        return Param(name, key, v)
    if _is_frozen_scipy(v):
        return _from_scipy(name, key, v)
    if hasattr(v, "rvs"):
        raise TypeError(
            f"param_distributions{where}[{name!r}] has `rvs` but is not a frozen scipy.stats "
            f"distribution ({type(v).__name__}); a sampler needs its support and quantiles. "
            f"Allowed: {_ALLOWED}."
        )
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            raise ValueError(
                f"param_distributions{where}[{name!r}] must be a 1-d array of values, got "
                f"shape {v.shape}."
            )
        v = list(v)
    if isinstance(v, (str, bytes)) or not isinstance(v, Sequence):
        raise TypeError(
            f"param_distributions{where}[{name!r}] is {type(v).__name__} {v!r}; allowed: "
            f"{_ALLOWED}."
        )
    if len(v) == 0:
        raise ValueError(f"param_distributions{where}[{name!r}] is an empty list.")
    return _ListParam(name, key, v)


class Space:
    """A search space: one dict of parameters, or several (a categorical choice of sub-space).

    Attributes:
        subspaces: One list of :class:`Param` per dict of ``param_distributions``.
    """

    def __init__(self, subspaces: list[list[Param]]) -> None:
        self.subspaces = subspaces

    def sample(self, trial: Trial) -> dict[str, Any]:
        """Suggests every parameter of one sub-space in ``trial``; returns estimator values."""
        i = 0
        if len(self.subspaces) > 1:
            i = int(trial._suggest(SUBSPACE, CategoricalDistribution(range(len(self.subspaces)))))
        return {p.name: p.decode(trial._suggest(p.key, p.distribution)) for p in self.subspaces[i]}


def _check_dict(d: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping):
        raise TypeError(
            f"param_distributions{where} must be a dict of parameter names to distributions, "
            f"got {type(d).__name__}."
        )
    for k in d:
        if not isinstance(k, str):
            raise TypeError(f"param_distributions{where} has a key {k!r}; keys must be str.")
    return d


def build_space(param_distributions: Any) -> Space:
    """Turns ``param_distributions`` (a dict, or a non-empty list of dicts) into a :class:`Space`.

    A name that several dicts give different distributions is recorded in the study as
    ``"name[i]"`` for dict ``i``, so that each study parameter keeps one distribution.

    Raises:
        TypeError: not a dict or list of dicts, a key that is no str, or a value of a kind that
            cannot be searched (the message names the parameter and what is allowed).
        ValueError: an empty list of dicts, an empty list of values, or a multi-dimensional
            array of values.
    """
    if isinstance(param_distributions, Mapping):
        dicts = [_check_dict(param_distributions, "")]
        tag = [""]
    elif isinstance(param_distributions, Sequence) and not isinstance(param_distributions, str):
        if len(param_distributions) == 0:
            raise ValueError("param_distributions is an empty list; give at least one dict.")
        dicts = [_check_dict(d, f"[{i}]") for i, d in enumerate(param_distributions)]
        tag = [f"[{i}]" for i in range(len(dicts))]
    else:
        raise TypeError(
            "param_distributions must be a dict of parameter names to distributions or a list "
            f"of such dicts, got {type(param_distributions).__name__}."
        )
    subspaces = [[_param(n, n, v, tag[i]) for n, v in d.items()] for i, d in enumerate(dicts)]
    # A name whose distributions differ between sub-spaces gets one study parameter per dict.
    seen: dict[str, Any] = {}
    clash: set[str] = set()
    for sub in subspaces:
        for p in sub:
            if p.name in seen and seen[p.name] != p.meaning():
                clash.add(p.name)
            seen.setdefault(p.name, p.meaning())
    for i, sub in enumerate(subspaces):
        for p in sub:
            if p.name in clash:
                p.key = f"{p.name}[{i}]"
    return Space(subspaces)

"""A pytest plugin that adds wrapped hyperdial samplers to Optuna's own sampler tests.

Loaded with ``-p _optuna_sampler_plugin`` into a pytest run of Optuna's
tests/samplers_tests/test_samplers.py (fetched from Optuna's source distribution by
tests/test_optuna_sources.py). That module lists its samplers once, in the dict
``sampler_class_with_seed`` ({name: factory taking a seed}), and builds the lists
``param_sampler_with_seed`` and ``param_sampler_name_with_seed`` that its ``parametrize`` marks
hold. Before pytest expands those marks (``pytest_generate_tests``, tried first), this plugin
adds one entry per hyperdial sampler to the dict and both lists, so that every test Optuna runs
over its samplers also runs over ours, with ids starting ``hyperdial`` (select them with
``-k hyperdial``).

``test_reproducible_in_other_process`` looks a sampler up by name in processes it *spawns*,
which import test_samplers afresh without pytest. For them :func:`install` puts an import hook
on ``sys.meta_path`` that adds the same entries when test_samplers is imported; the test that
runs Optuna's tests calls it from a ``sitecustomize`` on the children's ``PYTHONPATH``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

import pytest

#: (id, sampler class name in hyperdial.samplers, keyword arguments besides the seed)
SAMPLERS = [
    ("hyperdial-RandomSampler", "RandomSampler", {}),
    ("hyperdial-TPESampler", "TPESampler", {}),
    ("hyperdial-univariate-TPESampler", "TPESampler", {"multivariate": False}),
    ("hyperdial-GPSampler", "GPSampler", {"n_startup_trials": 0}),
    ("hyperdial-QMCSampler", "QMCSampler", {}),
    ("hyperdial-CmaEsSampler", "CmaEsSampler", {}),
    ("hyperdial-NSGAIISampler", "NSGAIISampler", {}),
    ("hyperdial-NSGAIIISampler", "NSGAIIISampler", {}),
]


def _factory(name: str, kwargs: dict[str, Any]) -> Callable[[int], Any]:
    def make(seed: int) -> Any:
        from hyperdial import samplers
        from hyperdial.integration.optuna import to_optuna_sampler

        return to_optuna_sampler(getattr(samplers, name)(seed=seed, **kwargs))

    return make


def add_hyperdial_samplers(module: types.ModuleType) -> None:
    """Adds the hyperdial samplers to test_samplers' sampler dict and parameter lists, once."""
    table = getattr(module, "sampler_class_with_seed", None)
    if table is None or getattr(module, "_hyperdial_samplers_added", False):
        return
    module._hyperdial_samplers_added = True  # type: ignore[attr-defined]
    from hyperdial import samplers

    for label, name, kwargs in SAMPLERS:
        marks = []
        if not hasattr(samplers, name):
            marks.append(pytest.mark.xfail(reason=f"hyperdial.samplers.{name} has not landed"))
        make = _factory(name, kwargs)
        table[label] = make
        module.param_sampler_with_seed.append(pytest.param(make, id=label, marks=marks))
        module.param_sampler_name_with_seed.append(pytest.param(label, marks=marks))


@pytest.hookimpl(tryfirst=True)
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    add_hyperdial_samplers(metafunc.module)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds test_samplers with the other finders and runs :func:`add_hyperdial_samplers` on
    it right after its code has run."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.rpartition(".")[2] != "test_samplers":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                _add_after_exec(spec.loader)
                return spec
        return None


def _add_after_exec(loader: Any) -> None:
    run = loader.exec_module

    def exec_module(module: types.ModuleType) -> None:
        run(module)
        add_hyperdial_samplers(module)

    loader.exec_module = exec_module


def install() -> None:
    """Puts the import hook on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder())

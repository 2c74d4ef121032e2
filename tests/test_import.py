"""Importing hyperdial is cheap: no optional dependency is loaded until it is used."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version

import pytest

import hyperdial

# Every optional dependency the extras name (pyproject.toml), and the peers of the benchmarks.
OPTIONAL = (
    "pandas",
    "scipy",
    "tqdm",
    "sklearn",
    "optuna",
    "torch",
    "sqlalchemy",
    "psycopg",
    "psycopg2",
    "dask",
    "distributed",
    "lightgbm",
    "xgboost",
    "matplotlib",
    "plotly",
    "hypothesis",
)

_REPORT = """
import json, sys
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _top_level_modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + _REPORT],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_loads_no_optional_dependency() -> None:
    loaded = _top_level_modules_after("import hyperdial")
    assert "hyperdial" in loaded
    assert sorted(loaded.intersection(OPTIONAL)) == []


def test_a_small_study_loads_no_optional_dependency() -> None:
    code = (
        "import hyperdial\n"
        "hyperdial.logging.set_verbosity(30)\n"
        "study = hyperdial.create_study()\n"
        "study.optimize(lambda t: t.suggest_float('x', 0, 1) ** 2, n_trials=5, n_jobs=2)\n"
        "assert len(study.trials) == 5\n"
    )
    assert sorted(_top_level_modules_after(code).intersection(OPTIONAL)) == []


def test_version_is_a_string() -> None:
    v = hyperdial.__version__
    assert isinstance(v, str) and v
    try:
        assert v == version("hyperdial")
    except PackageNotFoundError:  # running from a source tree
        assert v == "0.0.0+unknown"


def test_public_names_exist() -> None:
    for name in hyperdial.__all__:
        assert getattr(hyperdial, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = hyperdial.nope  # type: ignore[attr-defined]


def test_rarely_used_samplers_load_on_first_use() -> None:
    lazy = (
        "hyperdial.samplers._cmaes",
        "hyperdial.samplers._nsgaiii",
        "hyperdial.samplers.nsgaii",
    )
    code = (
        "import sys, hyperdial; before = sorted(m for m in sys.modules if m in "
        f"{lazy!r}); hyperdial.samplers.CmaEsSampler; hyperdial.samplers.NSGAIIISampler; "
        "hyperdial.samplers.nsgaii.SBXCrossover; print(before, "
        f"sorted(m for m in sys.modules if m in {lazy!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"[] {sorted(lazy)!r}"

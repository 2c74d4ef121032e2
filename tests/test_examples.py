"""Every script in examples/ runs to the end, on a small budget, in a fresh process.

The examples are what a newcomer copies first; this checks that they still run against the
current API (each with fewer trials than its default, so the lane stays short). The PyTorch
example needs torch, which is not a test dependency; it runs where torch is installed.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# script -> (arguments for a short run, modules it needs, a line its output must contain)
CASES: dict[str, tuple[list[str], list[str], str]] = {
    "quickstart.py": (["--n-trials", "6"], ["sklearn"], "Best hyperparameters"),
    "sklearn_pipeline.py": (["--n-trials", "4"], ["sklearn"], "best"),
    "mlflow_logging.py": (["--n-trials", "3"], ["sklearn", "mlflow"], "MLflow runs"),
    "ray_tune.py": (["--num-samples", "3"], ["sklearn", "ray"], "hyperdial study behind it"),
    "gallery.py": (["--n-trials", "12"], ["plotly", "matplotlib"], ""),
    "pytorch_pruning.py": (["--n-trials", "3", "--epochs", "2"], ["torch"], ""),
}


def test_every_example_has_a_case() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(CASES)


@pytest.mark.parametrize("script", sorted(CASES))
def test_example_runs(script: str, tmp_path: Path) -> None:
    args, needs, expected = CASES[script]
    missing = [m for m in needs if importlib.util.find_spec(m) is None]
    if missing:
        if os.environ.get("CI") and missing != ["torch"]:
            pytest.fail(f"{script} needs {missing}, which the test group should install")
        pytest.skip(f"{script} needs {missing}")
    if script == "gallery.py":
        args = [*args, "--out", str(tmp_path / "gallery")]
    if script == "mlflow_logging.py":
        args = [*args, "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"]
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert expected in done.stdout

"""The ``hyperdial`` command line, on a SQLite study."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the CLI works on database storages")

import hyperdial
from hyperdial.cli import main

_SPACE = json.dumps(
    {
        "x": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1, "log": False}},
        "c": {"name": "CategoricalDistribution", "attributes": {"choices": ["a", "b"]}},
    }
)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict]:  # type: ignore[type-arg]
    assert main(list(argv)) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_ask_tell_and_inspect(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    s = ("--storage", url, "--study-name", "demo")
    assert run(capsys, "create-study", *s, "--direction", "maximize") == [{"study_name": "demo"}]
    asked = [run(capsys, "ask", *s, "--search-space", _SPACE)[0] for _ in range(3)]
    assert [a["number"] for a in asked] == [0, 1, 2]
    assert all(0 <= a["params"]["x"] <= 1 and a["params"]["c"] in "ab" for a in asked)
    run(capsys, "tell", *s, "--trial-number", "0", "--values", "0.5")
    run(capsys, "tell", *s, "--trial-number", "1", "--values", "2.5")
    run(capsys, "tell", *s, "--trial-number", "2", "--state", "fail")

    studies = run(capsys, "studies", "--storage", url)
    assert studies == [
        {"study_name": "demo", "directions": ["MAXIMIZE"], "n_trials": 3, "n_complete": 2}
    ]
    trials = run(capsys, "trials", *s)
    assert [(t["number"], t["state"], t["values"]) for t in trials] == [
        (0, "COMPLETE", [0.5]),
        (1, "COMPLETE", [2.5]),
        (2, "FAIL", None),
    ]
    assert trials[0]["params"] == asked[0]["params"]
    best = run(capsys, "best", *s)
    assert [(b["number"], b["values"]) for b in best] == [(1, [2.5])]
    # The study is an ordinary persisted study.
    assert hyperdial.load_study(study_name="demo", storage=url).best_value == 2.5

    run(capsys, "delete-study", *s)
    assert run(capsys, "studies", "--storage", url) == []


def test_errors_are_one_line_and_exit_1(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trials", "--storage", url, "--study-name", "missing"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hyperdial trials: error:") and "missing" in err
    assert err.count("\n") == 1
    run(capsys, "create-study", "--storage", url, "--study-name", "s")
    assert main(["ask", "--storage", url, "--study-name", "s", "--search-space", "[1]"]) == 1
    assert "--search-space must be" in capsys.readouterr().err
    assert main(["tell", "--storage", url, "--study-name", "s", "--trial-number", "7"]) == 1
    with pytest.raises(SystemExit) as e:
        main(["tell", "--storage", url])
    assert e.value.code == 2


def test_runs_as_a_module(url: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "hyperdial.cli", "studies", "--storage", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout == ""

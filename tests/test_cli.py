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
    run(capsys, "create-study", "--storage", url, "--study-name", "s")
    assert main(["trials", "--storage", url, "--study-name", "missing"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hyperdial trials: error:") and "missing" in err
    assert err.count("\n") == 1
    assert main(["ask", "--storage", url, "--study-name", "s", "--search-space", "[1]"]) == 1
    assert "--search-space must be" in capsys.readouterr().err
    assert main(["tell", "--storage", url, "--study-name", "s", "--trial-number", "7"]) == 1
    with pytest.raises(SystemExit) as e:
        main(["tell", "--storage", url])
    assert e.value.code == 2


def test_runs_as_a_module(url: str) -> None:
    hyperdial.storages.get_storage(url)  # an empty database
    out = subprocess.run(
        [sys.executable, "-m", "hyperdial.cli", "studies", "--storage", url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert out.stdout == ""


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str], *words: str) -> str:
    assert main(argv) == 1
    captured = capsys.readouterr()
    err = captured.err
    assert captured.out == ""
    assert err.startswith(f"hyperdial {argv[0]}: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for word in words:
        assert word in err, err
    return err


def test_errors_of_storages_are_one_line(
    tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "create-study", "--storage", url, "--study-name", "s")
    _one_line_error(
        capsys, ["create-study", "--storage", url, "--study-name", "s"], "'s' already exists"
    )
    missing_dir = f"sqlite:///{tmp_path / 'no' / 'such.db'}"
    _one_line_error(capsys, ["create-study", "--storage", missing_dir], "directory")
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"garbage" * 1000)
    for command in ("studies", "create-study"):
        _one_line_error(capsys, [command, "--storage", f"sqlite:///{corrupt}"], "corrupted")
    pg = "postgresql+psycopg://me:hunter2@127.0.0.1:1/db"  # nothing listens on port 1
    err = _one_line_error(capsys, ["studies", "--storage", pg], "cannot connect", "***")
    assert "hunter2" not in err
    err = _one_line_error(capsys, ["studies", "--storage", "postgres://me:hunter2@[::1/x"])
    assert "not a database URL" in err and "hunter2" not in err
    _one_line_error(capsys, ["studies", "--storage", "not a url"], "not a database URL")


@pytest.mark.parametrize(
    "argv",
    [
        ["studies"],
        ["trials", "--study-name", "s"],
        ["best", "--study-name", "s"],
        ["ask", "--study-name", "s"],
        ["tell", "--study-name", "s", "--trial-number", "0", "--values", "1"],
        ["delete-study", "--study-name", "s"],
    ],
    ids=lambda argv: argv[0],
)
def test_commands_other_than_create_study_never_create_a_database(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "typo.db"
    _one_line_error(
        capsys, [argv[0], "--storage", f"sqlite:///{path}", *argv[1:]], "no database", "typo.db"
    )
    assert not path.exists()

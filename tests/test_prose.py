"""The code's prose carries no measurement logs (tools/check_prose.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

_TOOL = Path(__file__).resolve().parent.parent / "tools" / "check_prose.py"
_spec = importlib.util.spec_from_file_location("check_prose", _TOOL)
assert _spec is not None and _spec.loader is not None
check_prose = importlib.util.module_from_spec(_spec)
sys.modules["check_prose"] = check_prose
_spec.loader.exec_module(check_prose)


def test_no_measurement_logs_in_python_or_cpp() -> None:
    assert check_prose.scan() == []


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("# 25 trials at load ~6 took longer", "load average"),
        ("    budget of 100 (was 50 before the fix)", "(was ...)"),
        ("// the warm refit of 2316bb2 skips the restart", "commit hash"),
        ('"""Asks are 21.2x faster than Optuna\'s."""', "Nx faster/slower"),
        ("# hyperdial wins on 13/16 problems", "seed counts"),
        ("# one ask costs 2.98 ms at n=100", "timing"),
        ("# measured 2026-11-27", "date"),
    ],
)
def test_each_kind_of_log_is_found(line: str, kind: str) -> None:
    assert [name for _, name, _ in check_prose.findings(line)] == [kind]


@pytest.mark.parametrize(
    "line",
    [
        "constexpr double kLn2Lo = 1.90821492927058770002e-10;",
        "# Algorithm 2.1 of Rasmussen & Williams (2006), eq. (2.25)",
        "seed = 0x9E3779B97F4A7C15",
        "def was_pruned(trial): ...",
    ],
)
def test_code_and_citations_are_not_flagged(line: str) -> None:
    assert check_prose.findings(line) == []

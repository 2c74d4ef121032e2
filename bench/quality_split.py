"""The tuning / judging split of the quality benchmarks, written once (issue 18, point 1).

A sampler's default is chosen on the *tuning* split and judged on the *judging* split, so that
a figure on the judging split was not fitted to it. Every problem of the quality suites
(``tpe_suite.py``, ``gp_suite.py``, and any problem added later) and every seed belongs to
exactly one side, by a fixed rule that needs no list:

* **problems**: by the first byte of the BLAKE2b digest (8 bytes) of the problem's name, odd
  -> judge, even -> tune. A hash rather than a list, so that adding a problem never moves
  another one, and nobody picks which side a problem lands on by its results.
* **seeds**: ``0 <= seed < 1000`` -> tune, ``seed >= 1000`` -> judge. Seeds 0-9 and
  100-109 were the development seeds of the earlier defaults (GPSampler's noise prior,
  TPE's good-group weights), so the judging seeds are ones no default has seen.

A run (problem, seed) counts for a side only when both its problem and its seed are on that
side; the benches' ``--split tune|judge`` take the side's problems and its first seeds
(``seeds(side, n)``: 0 .. n-1, or 1000 .. 1000 + n - 1).

    python bench/quality_split.py            # print the split of the suites' problems
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable

SIDES = ("tune", "judge")
JUDGE_FIRST_SEED = 1000


def problem_side(name: str) -> str:
    """``"tune"`` or ``"judge"`` for the problem called ``name`` (see the module docstring)."""
    return "judge" if hashlib.blake2b(name.encode(), digest_size=8).digest()[0] % 2 else "tune"


def seed_side(seed: int) -> str:
    """``"tune"`` for seeds 0-999, ``"judge"`` from 1000 on."""
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    return "judge" if seed >= JUDGE_FIRST_SEED else "tune"


def check_side(side: str) -> str:
    if side not in SIDES:
        raise ValueError(f"split must be one of {SIDES}, got {side!r}")
    return side


def problems(names: Iterable[str], side: str) -> list[str]:
    """The names on ``side``, in the given order."""
    check_side(side)
    return [n for n in names if problem_side(n) == side]


def seeds(side: str, n: int) -> list[int]:
    """The first ``n`` seeds of ``side``."""
    first = JUDGE_FIRST_SEED if check_side(side) == "judge" else 0
    return list(range(first, first + n))


def check_seeds(given: Iterable[int], side: str) -> list[int]:
    """``given`` if every seed is on ``side``; else ValueError naming the strays."""
    out = list(given)
    stray = [s for s in out if seed_side(s) != check_side(side)]
    if stray:
        raise ValueError(f"seeds {stray} are not on the {side} split ({seed_side(stray[0])})")
    return out


def main() -> None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import gp_suite
    import tpe_suite

    names = list(dict.fromkeys([*tpe_suite.PROBLEMS, *gp_suite.PROBLEMS]))
    for side in SIDES:
        mine = problems(names, side)
        print(f"{side}: seeds {seeds(side, 1)[0]}...; {len(mine)} problems")
        kinds: dict[str, list[str]] = {}
        for n in mine:
            kind = gp_suite.PROBLEMS[n].kind if n in gp_suite.PROBLEMS else "tpe_suite only"
            kinds.setdefault(kind, []).append(n)
        for kind, members in kinds.items():
            print(f"  {kind} ({len(members)}): {', '.join(members)}")


if __name__ == "__main__":
    main()

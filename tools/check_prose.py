"""Finds measurement logs in the code's prose: load averages, "(was ...)", commit hashes,
"Nx faster", seed counts, timings and dates in comments and docstrings under python/ and cpp/.

Docstrings and comments say what the code does, why, and where the idea comes from; figures
belong on the bench page beside the command that measures them (CONTRIBUTING.md, "Style").

    python tools/check_prose.py            # lists each finding; exit status 1 if any
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("python", "cpp")
SUFFIXES = {".py", ".pyi", ".hpp", ".cpp", ".inc"}
SKIP = {"sobol_directions.cpp", "sobol_directions.hpp"}  # generated tables

PATTERNS: dict[str, re.Pattern[str]] = {
    "load average": re.compile(r"\bload (average|avg|~|of \d|\d)", re.IGNORECASE),
    "(was ...)": re.compile(r"\(was\b|\bwas \d|\bused to be \d", re.IGNORECASE),
    "commit hash": re.compile(
        r"(?<![0-9A-Za-z_.x])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}(?![0-9A-Za-z_+-])"
    ),
    "Nx faster/slower": re.compile(
        r"\d+(\.\d+)?\s*x\s+(faster|slower|quicker)|(faster|slower) by \d", re.IGNORECASE
    ),
    "seed counts": re.compile(
        r"\b\d+\s*/\s*\d+\s+(seeds|problems|runs|studies)\b|\b\d+ seeds\b", re.IGNORECASE
    ),
    "timing": re.compile(r"\b\d+(\.\d+)?\s?(ms|µs)\b|\b\d+(\.\d+)? s (per|at|for|on)\b"),
    "date": re.compile(r"\b20\d\d-\d\d-\d\d\b|\b\d{1,2} (Nov|Dec)\w* 20\d\d\b"),
}


def findings(text: str) -> list[tuple[int, str, str]]:
    """``(line number, pattern name, line)`` for each line of ``text`` that matches."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for name, pattern in PATTERNS.items():
            if pattern.search(line):
                out.append((number, name, line.strip()))
    return out


def scan(root: Path = ROOT) -> list[str]:
    """One ``path:line: [pattern] text`` entry per finding under ``root``'s source folders."""
    out = []
    for folder in SOURCES:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in SUFFIXES or path.name in SKIP:
                continue
            for number, name, line in findings(path.read_text(encoding="utf-8")):
                out.append(f"{path.relative_to(root)}:{number}: [{name}] {line[:100]}")
    return out


def main() -> int:
    found = scan()
    print("\n".join(found) if found else "no measurement logs in python/ or cpp/")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

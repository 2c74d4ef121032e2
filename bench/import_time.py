"""How much `import hyperdial` costs on top of `import numpy`.

Runs `python -X importtime -c "import X"` in fresh interpreters, alternating numpy and
hyperdial, and reads the cumulative time of the top-level import from the trace. The target
(issue 2) is hyperdial − numpy ≤ 30 ms, median of the runs.

    python bench/import_time.py [--runs 15]

Run it with the interpreter of a regular (non-editable) install: an editable install's import
hook sits in front of every import, numpy's included.

Writes bench/results/import_time.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from pathlib import Path

_LINE = re.compile(r"import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s*)(\S+)")


def cumulative_us(module: str) -> int:
    """Cumulative import time of `module` (µs) in a fresh interpreter."""
    # Bytecode caching on, as in any installed package: with PYTHONDONTWRITEBYTECODE set (as on
    # our dev machines), an editable install recompiles every module on every import.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stderr
    for line in out.splitlines():
        m = _LINE.match(line)
        if m and not m.group(3).strip(" ") and m.group(4) == module and len(m.group(3)) == 1:
            return int(m.group(2))
    raise RuntimeError(f"no top-level line for {module} in:\n{out[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    for module in ("numpy", "hyperdial"):  # warm the file cache
        cumulative_us(module)
    numpy_us, hyperdial_us = [], []
    for _ in range(args.runs):
        numpy_us.append(cumulative_us("numpy"))
        hyperdial_us.append(cumulative_us("hyperdial"))
    diffs = [h - n for h, n in zip(hyperdial_us, numpy_us, strict=False)]
    result = {
        "benchmark": "import_time",
        "runs": args.runs,
        "numpy_ms_median": statistics.median(numpy_us) / 1e3,
        "hyperdial_ms_median": statistics.median(hyperdial_us) / 1e3,
        "extra_ms_median": statistics.median(diffs) / 1e3,
        "target_extra_ms": 30.0,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
        },
    }
    print(f"import numpy      median {result['numpy_ms_median']:7.1f} ms")
    print(f"import hyperdial  median {result['hyperdial_ms_median']:7.1f} ms (includes numpy)")
    print(f"hyperdial extra   median {result['extra_ms_median']:7.1f} ms  (target <= 30 ms)")
    out = Path(__file__).parent / "results" / "import_time.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()

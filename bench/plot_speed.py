"""Time every plot function of hyperdial.visualization on studies of 1 000 and 10 000 trials.

    python bench/plot_speed.py                 # prints a table
    python bench/plot_speed.py --sizes 1000    # one size only
    python bench/plot_speed.py --json out.json # also writes the figures as JSON

Target: each plot of a 10 000-trial study renders in seconds. A plotly figure is timed up to its
JSON (what a browser or a report receives); a matplotlib figure up to a drawn canvas (Agg).
The studies are built with ``Study.add_trials`` (no objective is run): five parameters (a float,
a log-scale float, an int, a categorical and a conditional float present in half the trials),
five intermediate values per trial, a tenth of the trials pruned; and a two-objective study.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import hyperdial
from hyperdial.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.trial import FrozenTrial, TrialState

DISTS = {
    "x": FloatDistribution(-5.0, 5.0),
    "lr": FloatDistribution(1e-5, 1e-1, log=True),
    "n": IntDistribution(1, 64),
    "kind": CategoricalDistribution(["a", "b", "c"]),
    "extra": FloatDistribution(0.0, 1.0),
}


def build(n: int, n_obj: int, seed: int = 0) -> hyperdial.Study:
    rng = np.random.default_rng(seed)
    directions = ["minimize"] * n_obj
    study = hyperdial.create_study(directions=directions)
    t0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    trials = []
    for i in range(n):
        params: dict[str, Any] = {
            "x": float(rng.uniform(-5, 5)),
            "lr": float(10 ** rng.uniform(-5, -1)),
            "n": int(rng.integers(1, 65)),
            "kind": str(rng.choice(["a", "b", "c"])),
        }
        if params["kind"] == "a":
            params["extra"] = float(rng.random())
        dists = {k: DISTS[k] for k in params}
        base = params["x"] ** 2 + np.log10(params["lr"]) ** 2
        values = [base, float(rng.random() * 10 + 25 - base)][:n_obj]
        pruned = n_obj == 1 and rng.random() < 0.1
        steps = {s: base + 5.0 / (s + 1) for s in range(5 if not pruned else 2)}
        start = t0 + datetime.timedelta(seconds=i)
        trials.append(
            FrozenTrial(
                number=i,
                state=TrialState.PRUNED if pruned else TrialState.COMPLETE,
                values=None if pruned else values,
                params=params,
                distributions=dists,
                intermediate_values=steps if n_obj == 1 else {},
                datetime_start=start,
                datetime_complete=start + datetime.timedelta(seconds=float(rng.random())),
            )
        )
    study.add_trials(trials)
    return study


def cases(mod: Any) -> list[tuple[str, str, Callable[[hyperdial.Study], Any]]]:
    """(name, which study, call)."""
    return [
        ("optimization_history", "single", mod.plot_optimization_history),
        ("slice", "single", mod.plot_slice),
        ("contour", "single", mod.plot_contour),
        ("parallel_coordinate", "single", mod.plot_parallel_coordinate),
        (
            "param_importances",
            "single",
            lambda s: mod.plot_param_importances(s, importances={"x": 0.6, "lr": 0.4}),
        ),
        ("intermediate_values", "single", mod.plot_intermediate_values),
        ("pareto_front", "multi", mod.plot_pareto_front),
        ("edf", "single", mod.plot_edf),
        ("timeline", "single", mod.plot_timeline),
        ("rank", "single", mod.plot_rank),
        ("hypervolume_history", "multi", lambda s: mod.plot_hypervolume_history(s, [60, 40])),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import plotly

    import hyperdial.visualization as vis
    import hyperdial.visualization.matplotlib as mvis

    hyperdial.logging.set_verbosity(hyperdial.logging.get_verbosity())
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        studies = {"single": build(n, 1), "multi": build(n, 2)}
        for flavour, mod in (("plotly", vis), ("matplotlib", mvis)):
            for name, which, call in cases(mod):
                t = time.perf_counter()
                result = call(studies[which])
                if flavour == "plotly":
                    result.to_json()
                else:
                    ax = result.flat[0] if isinstance(result, np.ndarray) else result
                    ax.figure.canvas.draw()
                    plt.close("all")
                rows.append(
                    {"n": n, "flavour": flavour, "plot": name, "s": time.perf_counter() - t}
                )

    sizes = args.sizes
    print(
        f"{'plot':<22}"
        + "".join(f"{f'{fl} {n}':>18}" for fl in ("plotly", "matplotlib") for n in sizes)
    )
    for name, _, _ in cases(vis):
        cells = []
        for fl in ("plotly", "matplotlib"):
            for n in sizes:
                s = next(
                    r["s"] for r in rows if (r["n"], r["flavour"], r["plot"]) == (n, fl, name)
                )
                cells.append(f"{s:>17.2f}s")
        print(f"{name:<22}" + "".join(cells))
    if args.json:
        meta = {
            "machine": platform.platform(),
            "python": platform.python_version(),
            "hyperdial": hyperdial.__version__,
            "plotly": plotly.__version__,
            "matplotlib": matplotlib.__version__,
            "date": datetime.date.today().isoformat(),
        }
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()

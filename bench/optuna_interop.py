"""What ``to_optuna_sampler`` costs per trial: hyperdial's GP inside an Optuna study.

For each history size n, an Optuna study (Optuna's InMemoryStorage) with
``to_optuna_sampler(GPSampler(seed=0))`` and a hyperdial study with the bare ``GPSampler(seed=0)``
are pre-filled with the same n random trials of a 5-d shifted sphere; after one warm-up trial
(the wrapper converts the history once, the GP fits once), ``k`` trials are timed end to end
(ask + objective + tell). Reported per trial (medians):

* ``wrapped`` / ``bare``: the whole trial in the Optuna study / in the hyperdial study;
* ``wrapper``: the time spent in the wrapper itself, i.e. in its hooks minus in the wrapped
  sampler's hooks (converting trials, distributions and values between the libraries);
* ``optuna_study`` / ``hyperdial_study``: a trial with each library's RandomSampler, the cost of
  the study machinery around any sampler.

    python bench/optuna_interop.py           # n = 100, 1000 -> bench/results/optuna_interop.json
    python bench/optuna_interop.py --quick   # n = 100 only
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

D = 5
LOW, HIGH = -5.0, 5.0


def _f(x: np.ndarray) -> float:
    return float(((x - 1.0) ** 2).sum())


def _prefill(n: int) -> np.ndarray:
    return np.random.default_rng(12345).uniform(LOW, HIGH, size=(n, D))


def _objective(trial: Any) -> float:
    return _f(np.array([trial.suggest_float(f"x{i}", LOW, HIGH) for i in range(D)]))


def _time(study: Any, k: int) -> list[float]:
    """Seconds of each of ``k`` ask-objective-tell trials, after one warm-up trial."""
    out = []
    for j in range(k + 1):
        t0 = time.perf_counter()
        trial = study.ask()
        study.tell(trial, _objective(trial))
        if j:
            out.append(time.perf_counter() - t0)
    return out


def hyperdial_study(n: int, sampler: Any) -> Any:
    import hyperdial
    from hyperdial.distributions import FloatDistribution
    from hyperdial.trial import TrialState, create_trial

    hyperdial.logging.set_verbosity(logging.WARNING)
    study = hyperdial.create_study(sampler=sampler)
    dists = {f"x{i}": FloatDistribution(LOW, HIGH) for i in range(D)}
    study.add_trials(
        create_trial(
            state=TrialState.COMPLETE,
            value=_f(x),
            params={f"x{i}": float(v) for i, v in enumerate(x)},
            distributions=dists,
        )
        for x in _prefill(n)
    )
    return study


def optuna_study(n: int, sampler: Any) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=sampler, storage=optuna.storages.InMemoryStorage())
    dists = {f"x{i}": optuna.distributions.FloatDistribution(LOW, HIGH) for i in range(D)}
    study.add_trials(
        optuna.trial.create_trial(
            value=_f(x), params={f"x{i}": float(v) for i, v in enumerate(x)}, distributions=dists
        )
        for x in _prefill(n)
    )
    return study


_HOOKS = (
    "infer_relative_search_space",
    "sample_relative",
    "sample_independent",
    "before_trial",
    "after_trial",
)


def _clocked(obj: Any, names: tuple[str, ...], acc: list[float]) -> None:
    """Replaces ``obj``'s methods ``names`` by versions adding their seconds to ``acc[0]``."""
    for name in names:
        method = getattr(obj, name)

        def timed(*args: Any, _m: Callable[..., Any] = method, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _m(*args, **kwargs)
            finally:
                acc[0] += time.perf_counter() - t0

        setattr(obj, name, timed)


def measure(n: int, k: int) -> dict[str, Any]:
    import optuna

    from hyperdial.integration.optuna import to_optuna_sampler
    from hyperdial.samplers import GPSampler, RandomSampler

    row: dict[str, Any] = {"n": n, "k": k}
    bare = _time(hyperdial_study(n, GPSampler(seed=0)), k)

    inner = GPSampler(seed=0)
    wrapper = to_optuna_sampler(inner)
    outer_s, inner_s = [0.0], [0.0]
    _clocked(inner, _HOOKS, inner_s)
    _clocked(wrapper, _HOOKS, outer_s)
    study = optuna_study(n, wrapper)
    wrapped = _time(study, 0)  # warm-up, not counted
    outer_s[0] = inner_s[0] = 0.0
    wrapped = _time(study, k - 1) + wrapped

    row["bare_s"] = statistics.median(bare)
    row["wrapped_s"] = statistics.median(wrapped)
    row["wrapper_s"] = (outer_s[0] - inner_s[0]) / k
    row["optuna_study_s"] = statistics.median(
        _time(optuna_study(n, optuna.samplers.RandomSampler(seed=0)), k)
    )
    row["hyperdial_study_s"] = statistics.median(_time(hyperdial_study(n, RandomSampler(0)), k))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 100 only")
    parser.add_argument("--k", type=int, default=20, help="timed trials per setting")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results"))
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import optuna

    import hyperdial

    sizes = [100] if args.quick else [100, 1000]
    load_before = os.getloadavg()
    rows = [measure(n, args.k) for n in sizes]
    load_after = os.getloadavg()
    print(f"{'n':>5} {'bare':>9} {'wrapped':>9} {'wrapper':>9} {'optuna st.':>10} {'hd st.':>9}")
    for r in rows:
        print(
            f"{r['n']:>5} {r['bare_s'] * 1e3:8.2f}m {r['wrapped_s'] * 1e3:8.2f}m "
            f"{r['wrapper_s'] * 1e3:8.3f}m {r['optuna_study_s'] * 1e3:9.2f}m "
            f"{r['hyperdial_study_s'] * 1e3:8.2f}m"
        )
    print("(m = milliseconds per trial, medians)")
    result = {
        "benchmark": "optuna_interop",
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        },
        "versions": {"hyperdial": hyperdial.__version__, "optuna": optuna.__version__},
        "d": D,
        "rows": rows,
    }
    if not args.quick:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "optuna_interop.json"), "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()

"""GP quality: regret after 20/25/30/50/100/200 trials, median and interquartile range over
seeds, on the problems of ``gp_suite.py`` (BBOB-style functions at d = 2-20, Branin/Hartmann,
mixed and conditional spaces, deterministic and noisy model tuning), for hyperdial's GPSampler
(and variants of it), TPESampler, RandomSampler and QMCSampler against Optuna 5.0's GPSampler and
TPESampler and, through ``bo_peers.py``, SMAC3's two facades and HEBO, all with their defaults
and the same seeds. The design (problems, split, noise, tie rule) is in
docs/design/quality_benchmark.md.

    python bench/gp_quality.py --split tune --seeds 5                 # tuning side, seeds 0-4
    python bench/gp_quality.py --split judge --seeds 10 --peer-trials 50  # judging, 1000-1009
    python bench/gp_quality.py --split tune --seeds 5 --samplers hyperdial_gp+init6 \\
        --variant 'init6={"kwargs": {"n_startup_trials": 6}}'        # a variant of GPSampler
    python bench/gp_quality.py --split tune --seeds 5 --samplers hyperdial_tpe+cand48 \\
        --variant 'cand48={"kwargs": {"n_ei_candidates": 48}}'       # a variant of TPESampler
    python bench/gp_quality.py --report-only --split judge --seeds 10  # tables from the cache
    python bench/gp_quality.py --estimate --split judge --seeds 10    # time it would take

Each (problem, sampler, seed) run is stored in bench/results/cache/gp_quality/ as soon as it
ends, so a run can be stopped and resumed, or done in pieces (--problems, --samplers, --seeds
with a range such as 5-9). A cached run of a hyperdial GP or TPE sampler is reused only if the
hyperdial code it ran (hyperdial/samplers, hyperdial/gp and the compiled core) is unchanged
(--allow-stale to reuse it anyway), and a variant's run only if the variant's definition is
unchanged; the other samplers' runs are reused whatever changed. Budgets are prefixes of one
run; --peer-trials N runs SMAC3 and HEBO to N trials only (their larger budgets stay blank).
The report uses, per problem, the seeds that every sampler with runs on it has finished (a
sampler with none is listed in the JSON as missing there).

Regret at budget b: for a deterministic problem, the best value among the first b trials minus
the known optimum (or, for the "ml" tasks, the best value of any run); for a noisy task, the
true value (``gp_suite.true_value``) of the trial with the best observed value among the first
b, minus the best true value of any sampler's incumbent. Variants (``VARIANTS`` below, or
``--variant NAME=JSON``, run as ``hyperdial_gp+NAME`` or ``hyperdial_tpe+NAME``) are GPSampler
or TPESampler keyword arguments and module-attribute overrides:
``{"kwargs": {...}, "attrs": {"hyperdial.samplers._gp._incumbent.LENGTHSCALE_PRIOR": [-0.5,
1.0]}}``; an attribute is set in the worker for the run and restored after it (a list replaces a
tuple as a tuple), so it must be the name the sampler reads at run time. Writes
bench/results/<name>.json and .png (median regret against budget; --no-plot for none).
"""

from __future__ import annotations

import os

# One thread per process everywhere (Optuna's GPSampler runs torch; the docs ask for this).
os.environ["OMP_NUM_THREADS"] = "1"
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import hashlib
import importlib
import importlib.util
import json
import logging
import platform
import sys
import time
import warnings
from collections.abc import Callable
from functools import cache
from multiprocessing import Pool
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gp_suite
import quality_split
from gp_suite import PROBLEMS

BUDGETS = [20, 25, 30, 50, 100, 200]
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(HERE, "results", "cache", "gp_quality")
GP_STAND_IN = os.environ.get("HYPERDIAL_BENCH_GP_STAND_IN", "")

VARIANTS: dict[str, dict[str, Any]] = {
    # name -> {"kwargs": sampler keyword arguments, "attrs": {"module.ATTR": value}}; run as
    # sampler "hyperdial_gp+name" (GPSampler) or "hyperdial_tpe+name" (TPESampler).
    # --variant NAME=JSON adds or replaces one for a command.
}

TIE_LOG10 = 0.05
"""Deterministic problems: hyperdial is at least as good as a peer when its median log10 regret
is at most the peer's plus this (the rule of issue 18)."""
FLOOR = 1e-6
"""Regrets are floored at this share of the problem's scale (the median regret of the runs'
first trial, a random configuration), so two samplers that solved a problem tie."""
NOISY_TIE = 0.01
"""Noisy tasks: at least as good when the median regret is at most the peer's plus this share of
the task's scale (a log ratio would make noise-level differences near the reference decide)."""


def _hd_gp(seed: int, **kwargs: Any) -> Any:
    import hyperdial.samplers as hs

    if GP_STAND_IN:  # the harness was developed before GPSampler existed
        return {"tpe": hs.TPESampler, "sobol": hs.QMCSampler}[GP_STAND_IN](seed=seed)
    return hs.GPSampler(seed=seed, **{"n_threads": 1, **kwargs})


def _hd_tpe(seed: int, **kwargs: Any) -> Any:
    from hyperdial.samplers import TPESampler

    return TPESampler(seed=seed, **kwargs)


def _hd_random(seed: int) -> Any:
    from hyperdial.samplers import RandomSampler

    return RandomSampler(seed=seed)


def _hd_sobol(seed: int) -> Any:
    from hyperdial.samplers import QMCSampler

    return QMCSampler(seed=seed)


def _optuna_gp(seed: int) -> Any:
    import optuna

    return optuna.samplers.GPSampler(seed=seed)


def _optuna_tpe(seed: int) -> Any:
    import optuna

    return optuna.samplers.TPESampler(seed=seed)


# name -> (library, factory(seed) -> sampler with default settings); "peer" runs go through
# bo_peers.run_peer(name, problem, seed, n_trials).
SAMPLERS: dict[str, tuple[str, Callable[[int], Any] | None]] = {
    "hyperdial_gp": ("hyperdial", _hd_gp),
    "hyperdial_tpe": ("hyperdial", _hd_tpe),
    "hyperdial_random": ("hyperdial", _hd_random),
    "hyperdial_sobol": ("hyperdial", _hd_sobol),
    "optuna_gp": ("optuna", _optuna_gp),
    "optuna_tpe": ("optuna", _optuna_tpe),
    "smac_bb": ("peer", None),
    "smac_hpo": ("peer", None),
    "smac_bb_50": ("peer", None),
    "smac_hpo_50": ("peer", None),
    "hebo": ("peer", None),
}
PEERS = ("smac_bb", "smac_hpo", "smac_bb_50", "smac_hpo_50", "hebo")
# SMAC3 sizes its initial design by the run's length (a quarter of n_trials at most), so the
# first 25 trials of a 50-trial run are not what SMAC3 does with 25 trials. smac_*_50 are the
# same facades told n_trials = 50 (whatever --trials says), compared at 50 trials instead of
# the 25-trial runs of smac_*.
PLANNED: dict[str, tuple[str, int]] = {
    "smac_bb_50": ("smac_bb", 50),
    "smac_hpo_50": ("smac_hpo", 50),
}
CODE_BOUND = ("hyperdial_gp", "hyperdial_tpe")  # runs reused only while hyperdial's code is


def _base(sampler: str) -> str:
    return sampler.split("+", 1)[0]


def _variant(sampler: str) -> dict[str, Any] | None:
    """The definition of variant ``hyperdial_gp+NAME`` or ``hyperdial_tpe+NAME``, or None for a
    plain sampler."""
    return VARIANTS[sampler.split("+", 1)[1]] if "+" in sampler else None


def hyperdial_code_hash() -> str:
    """Hash of the code GPSampler runs: hyperdial/samplers/**.py, hyperdial/gp/**.py and the
    compiled core (the tree is an editable install shared with other engineers, so a commit id
    would not say what ran)."""
    import hyperdial
    from hyperdial import _core

    root = os.path.dirname(hyperdial.__file__)
    paths = [_core.__file__ or ""]
    for sub in ("samplers", "gp"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, sub)):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            paths += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(os.path.relpath(path, root).encode())
        with open(path, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def _stem(sampler: str) -> str:
    """A variant's file name carries a hash of its definition, so two definitions under one
    name keep their runs apart."""
    variant = _variant(sampler)
    if variant is None:
        return sampler
    digest = hashlib.sha256(json.dumps(variant, sort_keys=True).encode()).hexdigest()[:8]
    return f"{sampler}@{digest}"


def _cache_path(problem: str, sampler: str, seed: int) -> str:
    return os.path.join(CACHE, problem, f"{_stem(sampler)}__seed{seed}.json")


def _load(problem: str, sampler: str, seed: int) -> dict[str, Any] | None:
    try:
        with open(_cache_path(problem, sampler, seed)) as f:
            rec: dict[str, Any] = json.load(f)
            return rec
    except (OSError, ValueError):
        return None


def _store(rec: dict[str, Any]) -> None:
    path = _cache_path(rec["problem"], rec["sampler"], rec["seed"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(rec, f)
    os.replace(path + ".tmp", path)


def _usable(rec: dict[str, Any] | None, n_trials: int, code: str, allow_stale: bool) -> bool:
    if rec is None or len(rec["values"]) < n_trials:
        return False
    sampler = rec["sampler"]
    if PROBLEMS[rec["problem"]].kind == "noisy" and (
        "params" not in rec or rec.get("task_code") != gp_suite.task_code(rec["problem"])
    ):
        return False  # the true value needs each trial's params, and the same task definition
    if _base(sampler) == "hyperdial_gp" and rec.get("stand_in", "") != GP_STAND_IN:
        return False
    if "+" in sampler and rec.get("variant") != _variant(sampler):
        return False
    return allow_stale or _base(sampler) not in CODE_BOUND or rec["hyperdial_code"] == code


class _TimedTrial:
    """Passes a trial to the objective and adds the seconds spent in its ``suggest_*`` calls
    (where define-by-run samplers do their work) to ``spent[0]``."""

    def __init__(self, trial: Any, spent: list[float]) -> None:
        self._trial = trial
        self._spent = spent

    def _timed(self, method: str, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return getattr(self._trial, method)(*args, **kwargs)
        finally:
            self._spent[0] += time.perf_counter() - t0

    def suggest_float(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("suggest_float", *args, **kwargs)

    def suggest_int(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("suggest_int", *args, **kwargs)

    def suggest_categorical(self, *args: Any, **kwargs: Any) -> Any:
        return self._timed("suggest_categorical", *args, **kwargs)

    def set_user_attr(self, key: str, value: Any) -> None:
        """What the objective reports of itself (a noisy task's standard error)."""
        self._trial.set_user_attr(key, value)


def _resolve(dotted: str) -> tuple[Any, str]:
    """(object, attribute name) for ``package.module.Class.ATTR``: the longest importable
    module prefix, then attribute look-ups."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:-1]:
            obj = getattr(obj, name)
        if not hasattr(obj, parts[-1]):
            raise AttributeError(f"{dotted}: no attribute {parts[-1]!r} to override")
        return obj, parts[-1]
    raise ImportError(f"{dotted}: no importable module prefix")


def _apply_attrs(attrs: dict[str, Any]) -> list[tuple[Any, str, Any]]:
    """Sets the overrides; returns what to restore."""
    saved = []
    for dotted, value in attrs.items():
        obj, name = _resolve(dotted)
        old = getattr(obj, name)
        new: Any = tuple(value) if isinstance(old, tuple) and isinstance(value, list) else value
        if isinstance(old, np.ndarray):
            new = np.asarray(value, dtype=old.dtype)
        saved.append((obj, name, old))
        setattr(obj, name, new)
    return saved


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}


def _incumbents(values: list[float], budgets: list[int]) -> list[int]:
    """Index of the trial with the best observed value among the first b, per budget b."""
    v = np.array(values, dtype=float)
    v[np.isnan(v)] = np.inf
    return [int(np.argmin(v[:b])) for b in budgets]


def _true_at(rec: dict[str, Any], budgets: list[int]) -> dict[str, float]:
    """The noisy task's true value of each budget's incumbent (computed if not yet in rec)."""
    out = dict(rec.get("true_at", {}))
    for b, i in zip(budgets, _incumbents(rec["values"], budgets), strict=True):
        if str(b) not in out:
            out[str(b)] = gp_suite.true_value(rec["problem"], rec["params"][i])
    return out


def _run_study(library: str, sampler: Any, objective: Any, n_trials: int) -> list[Any]:
    if library == "hyperdial":
        import hyperdial

        hyperdial.logging.set_verbosity(logging.WARNING)
        study: Any = hyperdial.create_study(sampler=sampler)
    else:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(sampler=sampler)
    study.optimize(objective, n_trials=n_trials)
    return list(study.trials)


def run_one(job: tuple[str, str, int, int, str, dict[str, Any] | None]) -> dict[str, Any]:
    """Runs one study and stores it in the cache; returns the record."""
    problem, sampler, seed, n_trials, code, variant = job
    warnings.simplefilter("ignore")
    if variant is not None:
        VARIANTS[sampler.split("+", 1)[1]] = variant
    library = SAMPLERS[_base(sampler)][0]
    objective = gp_suite.make_objective(problem, seed)
    t0, c0 = time.perf_counter(), time.process_time()
    if library == "peer":
        import bo_peers

        peer = PLANNED[sampler][0] if sampler in PLANNED else sampler
        out = bo_peers.run_peer(peer, problem, seed, n_trials)
        values = [float(v) for v in out["values"]]
        params = [_jsonable(p) for p in out["params"]]
        sampler_seconds = [float(s) for s in out.get("suggest_seconds", [])]
        objective_seconds = float(out.get("objective_seconds", float("nan")))
        peer_version = str(out.get("version", ""))
    else:
        spent = [0.0]  # seconds in suggest_* (sampler work inside the objective)
        per_trial: list[float] = []
        objective_total = [0.0]
        last_end = [time.perf_counter()]

        def timed(trial: Any) -> float:
            start = time.perf_counter()
            spent[0] = 0.0
            try:
                return objective(_TimedTrial(trial, spent))
            finally:
                end = time.perf_counter()
                per_trial.append(start - last_end[0] + spent[0])
                objective_total[0] += end - start - spent[0]
                last_end[0] = end

        factory = SAMPLERS[_base(sampler)][1]
        assert factory is not None
        saved = _apply_attrs(variant.get("attrs", {})) if variant else []
        try:
            kwargs = variant.get("kwargs", {}) if variant else {}
            trials = _run_study(library, factory(seed, **kwargs), timed, n_trials)
        finally:
            for obj, name, old in reversed(saved):
                setattr(obj, name, old)
        values = [float("nan") if t.value is None else float(t.value) for t in trials]
        params = [_jsonable(dict(t.params)) for t in trials]
        sampler_seconds = per_trial
        objective_seconds = objective_total[0]
        peer_version = ""
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    rec: dict[str, Any] = {
        "problem": problem,
        "sampler": sampler,
        "library": library,
        "seed": seed,
        "values": values,
        "params": params,
        "task_code": gp_suite.task_code(problem),
        "sampler_seconds": [round(s, 6) for s in sampler_seconds],
        "wall_seconds": wall,
        "objective_seconds": objective_seconds,
        "cpu_seconds": cpu,
        "hyperdial_code": code if library == "hyperdial" else "",
        "stand_in": GP_STAND_IN if _base(sampler) == "hyperdial_gp" else "",
        "variant": variant,
        "peer_version": peer_version,
        "loadavg": os.getloadavg(),
        "finished_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if PROBLEMS[problem].kind == "noisy":
        t1 = time.perf_counter()
        rec["true_at"] = _true_at(rec, [b for b in BUDGETS if b <= n_trials] + [n_trials])
        rec["true_value_seconds"] = time.perf_counter() - t1
    _store(rec)
    return rec


def _run_safe(job: tuple[str, str, int, int, str, dict[str, Any] | None]) -> dict[str, Any]:
    """``run_one``, with a failure reported as ``{"error": text}`` so one failed run (a peer
    that crashes on a problem) does not stop the others."""
    try:
        return run_one(job)
    except Exception as exc:
        return {"error": f"{job[0]} {job[1]} seed {job[2]} failed: {type(exc).__name__}: {exc}"}


def _parse_seeds(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    if "," in text:
        return [int(s) for s in text.split(",")]
    return list(range(int(text)))


def _names(text: str, known: dict[str, Any], what: str) -> list[str]:
    if not text:
        return list(known)
    names = [s.strip() for s in text.split(",") if s.strip()]
    bad = [s for s in names if s not in known]
    if bad:
        raise SystemExit(f"--{what}: unknown {bad}; known: {', '.join(known)}")
    return names


@cache
def _timings() -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(problem, file stem) -> [(sampler seconds, objective seconds) per trial] of every cached
    run, true-value work counted as objective time."""
    out: dict[tuple[str, str], list[tuple[float, float]]] = {}
    if not os.path.isdir(CACHE):
        return out
    for problem in os.listdir(CACHE):
        folder = os.path.join(CACHE, problem)
        for f in os.listdir(folder) if os.path.isdir(folder) else []:
            if not f.endswith(".json") or "__seed" not in f:
                continue
            try:
                with open(os.path.join(folder, f)) as fh:
                    rec = json.load(fh)
            except (OSError, ValueError):
                continue
            n = len(rec.get("values", []))
            obj = rec.get("objective_seconds", float("nan"))
            if not n or not np.isfinite(obj):
                continue
            obj += rec.get("true_value_seconds", 0.0)
            wall = rec["wall_seconds"] + rec.get("true_value_seconds", 0.0)
            key = (problem, f.split("__seed")[0])
            out.setdefault(key, []).append((max(wall - obj, 0.0) / n, obj / n))
    return out


def _seconds_per_trial(problem: str, sampler: str) -> float | None:
    """Wall seconds per trial of (problem, sampler): the mean over its cached runs; else the
    sampler's median sampler-seconds per trial on other problems (a variant borrows
    its base sampler's) plus the problem's median objective seconds per trial under any sampler
    (taken as 0 for the test functions); None when either part is unknown."""
    timings = _timings()
    own = timings.get((problem, _stem(sampler)))
    if own:
        return float(np.mean([s + o for s, o in own]))
    for name in (_stem(sampler), _base(sampler)):
        mine = [s for (_p, stem), xs in timings.items() if stem == name for s, _o in xs]
        if mine:
            break
    objective = [o for (p, _stem2), xs in timings.items() if p == problem for _s, o in xs]
    if not mine:
        return None
    if objective:
        return float(np.median(mine) + np.median(objective))
    if PROBLEMS[problem].kind in ("ml", "noisy"):
        return None
    return float(np.median(mine))


def estimate_seconds(
    jobs: list[tuple[str, str, int, int, str, Any]],
) -> tuple[float, int, dict[str, float]]:
    """Process-seconds (wall, at the load the cached runs saw) the jobs would take, from the
    cached runs (``_seconds_per_trial``; a job of n trials counts n x the per-trial figure: an
    underestimate for the GPs, whose cost grows with n, when the cached runs were shorter),
    how many jobs had no timing to go on, and the seconds per sampler."""
    total, unknown = 0.0, 0
    per_sampler: dict[str, float] = {}
    for problem, sampler, _seed, n, _code, _variant in jobs:
        m = _seconds_per_trial(problem, sampler)
        if m is None:
            unknown += 1
        else:
            total += m * n
            per_sampler[sampler] = per_sampler.get(sampler, 0.0) + m * n
    return total, unknown, per_sampler


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--problems", default="", help="comma-separated (default: all)")
    ap.add_argument(
        "--samplers",
        default="",
        help="comma-separated, hyperdial_gp+NAME or hyperdial_tpe+NAME for a variant",
    )
    ap.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help='a GPSampler or TPESampler variant: {"kwargs": {...}, "attrs": {"module.ATTR": v}}',
    )
    ap.add_argument(
        "--seeds", default="10", help="N (seeds 0..N-1), a range lo-hi (5-9, 0-0) or a list a,b"
    )
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument(
        "--peer-trials",
        type=int,
        default=None,
        help="run SMAC3 and HEBO to this many trials only (their budgets above it are blank)",
    )
    ap.add_argument(
        "--split",
        choices=quality_split.SIDES,
        default=None,
        help="one side of quality_split.py: its problems; --seeds N is its first N seeds",
    )
    ap.add_argument("--jobs", type=int, default=2, help="worker processes")
    ap.add_argument("--report-only", action="store_true", help="no runs; tables from cache")
    ap.add_argument("--estimate", action="store_true", help="print the time the runs would take")
    ap.add_argument("--allow-stale", action="store_true", help="reuse runs of older hyperdial")
    ap.add_argument("--no-plot", action="store_true", help="do not write <name>.png")
    ap.add_argument("--name", default="gp_quality", help="result file name")
    ap.add_argument("--note", default="", help="free text stored in the results JSON")
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    args = ap.parse_args()
    for text in args.variant:
        name, _, definition = text.partition("=")
        variant = json.loads(definition)
        if not isinstance(variant, dict) or set(variant) - {"kwargs", "attrs"}:
            raise SystemExit(f"--variant {name}: a JSON object with 'kwargs' and/or 'attrs'")
        VARIANTS[name] = variant
    known: dict[str, Any] = {
        **SAMPLERS,
        **{f"{base}+{v}": None for base in CODE_BOUND for v in VARIANTS},
    }
    problems = _names(args.problems, PROBLEMS, "problems")
    samplers = _names(args.samplers, known, "samplers")
    if any(s in PEERS for s in samplers) and importlib.util.find_spec("bo_peers") is None:
        print("bench/bo_peers.py is missing: skipping " + ", ".join(PEERS), flush=True)
        samplers = [s for s in samplers if s not in PEERS]
    seeds = _parse_seeds(args.seeds)
    if args.split is not None:
        problems = quality_split.problems(problems, args.split)
        if args.seeds.isdigit():
            seeds = quality_split.seeds(args.split, int(args.seeds))
        quality_split.check_seeds(seeds, args.split)
    code = hyperdial_code_hash()
    if not GP_STAND_IN and any(_base(s) == "hyperdial_gp" for s in samplers):
        import hyperdial.samplers

        if not hasattr(hyperdial.samplers, "GPSampler"):
            raise SystemExit(
                "hyperdial.samplers.GPSampler does not exist yet; set "
                "HYPERDIAL_BENCH_GP_STAND_IN=tpe|sobol to develop the harness"
            )

    for s in samplers:  # a misspelt variant fails here, not in every run
        variant = _variant(s)
        if variant is not None:
            try:
                for dotted in variant.get("attrs", {}):
                    _resolve(dotted)
                factory = SAMPLERS[_base(s)][1]
                assert factory is not None
                factory(0, **variant.get("kwargs", {}))
            except (AttributeError, ImportError, TypeError, ValueError) as exc:
                raise SystemExit(f"{s}: {exc}") from exc

    todo = [
        (p, s, seed, _trials_for(s, args), code, _variant(s))
        for seed in seeds
        for p in problems
        for s in samplers
        if not _usable(_load(p, s, seed), _trials_for(s, args), code, args.allow_stale)
    ]
    # The slowest samplers first, so the processes end together.
    order = {
        "hebo": 0,
        "optuna_gp": 1,
        "smac_bb_50": 2,
        "smac_bb": 2,
        "hyperdial_gp": 3,
        "smac_hpo": 4,
    }
    todo.sort(key=lambda j: (j[2], order.get(_base(j[1]), 5)))
    est, unknown, per_sampler = estimate_seconds(todo)
    print(
        f"{len(todo)} runs to do; estimated {est / 60:.0f} process-minutes from the cached "
        f"runs' wall times (~{est / 60 / max(args.jobs, 1):.0f} min with {args.jobs} processes)"
        + (f", {unknown} runs with no timing yet" if unknown else ""),
        flush=True,
    )
    if args.estimate:
        for s, secs in sorted(per_sampler.items(), key=lambda kv: -kv[1]):
            print(f"  {s:28} {secs / 60:8.1f} process-minutes", flush=True)
        return
    if todo and not args.report_only:
        started = time.time()
        with Pool(args.jobs, maxtasksperchild=20) as pool:
            for i, rec in enumerate(pool.imap_unordered(_run_safe, todo, chunksize=1), 1):
                if "error" in rec:
                    print(f"[{i}/{len(todo)}] {rec['error']}", flush=True)
                    continue
                best = float(np.nanmin(rec["values"]))
                print(
                    f"[{i}/{len(todo)} {time.time() - started:7.0f}s] {rec['problem']:22} "
                    f"{rec['sampler']:22} seed {rec['seed']:4d}: best {best:.5g}, "
                    f"{rec['wall_seconds']:.1f}s (objective {rec['objective_seconds']:.1f}s)",
                    flush=True,
                )
    report(args, problems, samplers, seeds, code)


# ---- the report ------------------------------------------------------------------------------


def _trials_for(sampler: str, args: argparse.Namespace) -> int:
    if sampler in PLANNED:
        return PLANNED[sampler][1]
    if sampler in PEERS and args.peer_trials is not None:
        return min(int(args.trials), int(args.peer_trials))
    return int(args.trials)


def _budgets(trials: int) -> list[int]:
    budgets = [b for b in BUDGETS if b <= trials]
    return budgets if trials in budgets else [*budgets, trials]


def _seconds_per_suggestion(rec: dict[str, Any], first: int | None = None) -> float | None:
    """Median sampler seconds per trial (over the first ``first`` trials if given); for runs
    recorded without per-trial times, the mean of wall minus objective seconds."""
    if rec.get("sampler_seconds"):
        return float(np.median(rec["sampler_seconds"][:first]))
    if rec.get("values") and np.isfinite(rec.get("objective_seconds", float("nan"))):
        return float(rec["wall_seconds"] - rec["objective_seconds"]) / len(rec["values"])
    return None


def _problem_entry(
    p: str, recs: dict[str, dict[int, dict[str, Any]]], budgets: list[int], trials: dict[str, int]
) -> dict[str, Any]:
    """Regret per (sampler, seed, budget) and its summary for one problem; a sampler run for
    fewer trials than a budget (``trials[sampler]``) gets None there."""
    samplers = list(recs)
    common = sorted(set.intersection(*(set(r) for r in recs.values())))
    noisy = PROBLEMS[p].kind == "noisy"
    score: dict[str, np.ndarray] = {}
    for s in samplers:
        rows = []
        mine = [b for b in budgets if b <= trials[s]]
        for seed in common:
            rec = recs[s][seed]
            if noisy:
                true = _true_at(rec, mine)
                if true != rec.get("true_at"):
                    rec["true_at"] = true
                    _store(rec)
                row = [true[str(b)] for b in mine]
            else:
                best = np.fmin.accumulate(np.array(rec["values"][: trials[s]], dtype=float))
                row = [float(best[b - 1]) for b in mine]
            rows.append(row + [float("nan")] * (len(budgets) - len(mine)))
        score[s] = np.array(rows)
    known = PROBLEMS[p].optimum
    opt = known if known is not None else float(min(np.nanmin(v) for v in score.values()))
    firsts = [recs[s][seed]["values"][0] - opt for s in samplers for seed in common]
    scale = float(np.nanmedian(firsts))
    if not np.isfinite(scale) or scale <= 0:
        scale = 1.0
    dims = [
        max((len(q) for q in r.get("params", [])), default=0)
        for s in recs
        for r in recs[s].values()
    ]
    entry: dict[str, Any] = {
        "kind": PROBLEMS[p].kind,
        "side": quality_split.problem_side(p),
        "dims": max(dims, default=0) or None,
        "seeds": common,
        "optimum": opt,
        "optimum_known": known is not None,
        "scale": scale,
        "floor": FLOOR * scale,
        "samplers": {},
    }

    def listed(a: np.ndarray) -> list[float | None]:
        return [None if np.isnan(x) else float(f"{x:.6g}") for x in a]

    for s in samplers:
        regret = np.maximum(score[s] - opt, 0.0)  # NaN (beyond the run) stays NaN
        secs = [_seconds_per_suggestion(recs[s][seed]) for seed in common]
        known_secs = [x for x in secs if x is not None]
        # Over as many trials as the shortest sampler ran, for a like-for-like speed ratio.
        short = [_seconds_per_suggestion(recs[s][seed], min(trials.values())) for seed in common]
        known_short = [x for x in short if x is not None]
        entry["samplers"][s] = {
            "trials": trials[s],
            "median_regret": listed(np.median(regret, axis=0)),
            "q25_regret": listed(np.percentile(regret, 25, axis=0)),
            "q75_regret": listed(np.percentile(regret, 75, axis=0)),
            "per_seed_regret": [listed(row) for row in regret],
            "seconds_per_suggestion": float(np.median(known_secs)) if known_secs else None,
            "seconds_per_suggestion_common": (
                float(np.median(known_short)) if known_short else None
            ),
        }
    return entry


def regret_as_good(ra: float, rb: float, e: dict[str, Any]) -> bool:
    """The tie rule: is regret ``ra`` at least as good as ``rb`` on problem entry ``e``?"""
    if e["kind"] == "noisy":
        return bool(ra <= rb + NOISY_TIE * e["scale"])
    la, lb = np.log10(max(ra, e["floor"])), np.log10(max(rb, e["floor"]))
    return bool(la <= lb + TIE_LOG10)


def _as_good(e: dict[str, Any], a: str, b: str, j: int) -> bool | None:
    """Is sampler a's median regret at budget index j at least as good as b's (the tie rule)?
    None when either has no run that long."""
    ra = e["samplers"][a]["median_regret"][j]
    rb = e["samplers"][b]["median_regret"][j]
    if ra is None or rb is None:
        return None
    return regret_as_good(ra, rb, e)


def _beyond_2x(e: dict[str, Any], a: str, j: int) -> bool | None:
    """Is a's median regret above 2x the better Optuna sampler's (floored; noisy tasks with the
    noisy tie added)? None when a run is too short."""
    peers = [e["samplers"][s]["median_regret"][j] for s in ("optuna_gp", "optuna_tpe")]
    if e["samplers"][a]["median_regret"][j] is None or None in peers:
        return None
    ra = max(e["samplers"][a]["median_regret"][j], e["floor"])
    slack = NOISY_TIE * e["scale"] if e["kind"] == "noisy" else 0.0
    return bool(ra > 2.0 * max(min(peers), e["floor"]) + slack)


def _comparisons(table: dict[str, Any], samplers: list[str], budgets: list[int]) -> dict[str, Any]:
    """Per hyperdial sampler (GP, its variants, TPE), per budget, per peer: the problems where
    it is at least as good, and where the GP is beyond 2x the better Optuna sampler."""
    ours = [s for s in samplers if _base(s) in ("hyperdial_gp", "hyperdial_tpe")]
    peers = [s for s in samplers if SAMPLERS.get(s, ("hyperdial",))[0] != "hyperdial"]
    out: dict[str, Any] = {}
    for h in ours:
        out[h] = {}
        for j, b in enumerate(budgets):
            row: dict[str, Any] = {}
            for peer in peers:
                have = [
                    p
                    for p, e in table.items()
                    if h in e["samplers"]
                    and peer in e["samplers"]
                    and _as_good(e, h, peer, j) is not None
                ]
                good = [p for p in have if _as_good(table[p], h, peer, j)]
                row[peer] = {
                    "as_good": len(good),
                    "of": len(have),
                    "worse": sorted(set(have) - set(good)),
                }
            have = [
                p
                for p, e in table.items()
                if h in e["samplers"]
                and {"optuna_gp", "optuna_tpe"} <= set(e["samplers"])
                and _beyond_2x(e, h, j) is not None
            ]
            beyond = [p for p in have if _beyond_2x(table[p], h, j)]
            row["beyond_2x_better_optuna"] = {
                "count": len(beyond),
                "of": len(have),
                "problems": beyond,
            }
            out[h][str(b)] = row
    return out


def _share(row: dict[str, Any], peer: str) -> tuple[int, int]:
    c = row.get(peer)
    return (c["as_good"], c["of"]) if c else (0, 0)


def _acceptance(
    table: dict[str, Any], comparisons: dict[str, Any], budgets: list[int]
) -> dict[str, Any]:
    """The acceptance checks of issue 18, per hyperdial sampler and budget: a check is listed
    only when its samplers are in the run; "met" is None when no problem counts."""
    out: dict[str, Any] = {}
    noisy = [p for p, e in table.items() if e["kind"] == "noisy"]

    def check(k: int, n: int, share: float) -> dict[str, Any]:
        return {"count": [k, n], "need": share, "met": (k >= share * n) if n else None}

    for h, per_budget in comparisons.items():
        out[h] = {}
        for j, b in enumerate(budgets):
            if b < 25:
                continue
            row, checks = per_budget[str(b)], {}
            if _base(h) == "hyperdial_tpe":
                if row.get("optuna_tpe"):
                    checks["vs optuna_tpe >= 80%"] = check(*_share(row, "optuna_tpe"), 0.8)
                    worse = row["optuna_tpe"]["worse"]
                    mixed = [p for p in table if table[p]["kind"] == "mixed"]
                    checks["mixed problems as good"] = {
                        "count": [len(set(mixed) - set(worse)), len(mixed)],
                        "met": (not set(mixed) & set(worse)) if mixed else None,
                    }
                out[h][str(b)] = checks
                continue
            if row.get("optuna_gp"):
                checks["vs optuna_gp >= 80%"] = check(*_share(row, "optuna_gp"), 0.8)
            if row.get("optuna_tpe"):
                checks["vs optuna_tpe >= 90%"] = check(*_share(row, "optuna_tpe"), 0.9)
            two = row["beyond_2x_better_optuna"]
            if two["of"]:
                checks["beyond 2x better Optuna (need 0)"] = {
                    "count": [two["count"], two["of"]],
                    "met": two["count"] == 0,
                }
            if b in (30, 100) and row.get("optuna_gp") and row.get("optuna_tpe"):
                have = [
                    p for p in noisy if {h, "optuna_gp", "optuna_tpe"} <= set(table[p]["samplers"])
                ]
                good = [
                    p
                    for p in have
                    if _as_good(table[p], h, "optuna_gp", j)
                    and _as_good(table[p], h, "optuna_tpe", j)
                ]
                checks["noisy: vs both Optuna >= 80%"] = check(len(good), len(have), 0.8)
            if b in (25, 50):
                for peer, share in (("hebo", 0.6), ("smac_bb", 0.8), ("smac_hpo", 0.8)):
                    if f"{peer}_{b}" in PLANNED and row.get(f"{peer}_{b}"):
                        peer = f"{peer}_{b}"  # the runs SMAC3 sized for this budget
                    if row.get(peer):
                        checks[f"vs {peer} >= {share:.0%}"] = check(*_share(row, peer), share)
            out[h][str(b)] = checks
    return out


def _speed(
    table: dict[str, Any], samplers: list[str], key: str = "seconds_per_suggestion"
) -> dict[str, float | None]:
    """Median over problems of the per-problem median seconds per suggestion (``key``:
    ``seconds_per_suggestion_common`` for the first trials only, as many as every sampler
    ran)."""
    out: dict[str, float | None] = {}
    for s in samplers:
        xs = [e["samplers"][s].get(key) for e in table.values() if s in e["samplers"]]
        xs = [x for x in xs if x is not None]
        out[s] = float(np.median(xs)) if xs else None
    return out


def report(
    args: argparse.Namespace,
    problems: list[str],
    samplers: list[str],
    seeds: list[int],
    code: str,
) -> None:
    budgets = _budgets(args.trials)
    table: dict[str, Any] = {}
    for p in problems:
        recs: dict[str, dict[int, dict[str, Any]]] = {}
        for s in samplers:
            got = {}
            for seed in seeds:
                rec = _load(p, s, seed)
                if rec is not None and _usable(rec, _trials_for(s, args), code, args.allow_stale):
                    got[seed] = rec
            if got:
                recs[s] = got
        if not recs or not set.intersection(*(set(r) for r in recs.values())):
            continue
        trials = {s: _trials_for(s, args) for s in recs}
        table[p] = _problem_entry(p, recs, budgets, trials)
        table[p]["missing_samplers"] = [s for s in samplers if s not in recs]
    comparisons = _comparisons(table, samplers, budgets)
    acceptance = _acceptance(table, comparisons, budgets)
    speed = _speed(table, samplers)
    if "hebo" in samplers:
        common = _speed(table, samplers, "seconds_per_suggestion_common")
        for h in acceptance:
            hs, he = common.get(h), common.get("hebo")
            if _base(h) == "hyperdial_gp" and hs and he:
                for b in ("25", "50"):
                    if b in acceptance[h]:
                        acceptance[h][b]["suggests >= 50x faster than hebo"] = {
                            "ratio": he / hs,
                            "met": he / hs >= 50,
                        }
    text = _markdown(table, samplers, budgets, comparisons, acceptance, speed)
    print(text)
    _write(args, table, samplers, budgets, comparisons, acceptance, speed, code)


def _cell(e: dict[str, Any], s: str, j: int) -> str:
    if s not in e["samplers"]:
        return "-"
    x = e["samplers"][s]
    if x["median_regret"][j] is None:
        return "-"
    return f"{x['median_regret'][j]:.3g} [{x['q25_regret'][j]:.3g}, {x['q75_regret'][j]:.3g}]"


def _markdown(
    table: dict[str, Any],
    samplers: list[str],
    budgets: list[int],
    comparisons: dict[str, Any],
    acceptance: dict[str, Any],
    speed: dict[str, float | None],
) -> str:
    lines: list[str] = []
    for j, b in enumerate(budgets):
        lines += [
            f"\n### Regret after {b} trials: median [interquartile range] over seeds\n",
            "| problem | kind | side | d | seeds | " + " | ".join(samplers) + " |",
            "|---" * (5 + len(samplers)) + "|",
        ]
        for p, e in table.items():
            cells = " | ".join(_cell(e, s, j) for s in samplers)
            lines.append(
                f"| {p} | {e['kind']} | {e['side']} | {e['dims'] or '?'} | {len(e['seeds'])} "
                f"| {cells} |"
            )
    lines.append(
        f"\nAt least as good (deterministic: median log10 regret within {TIE_LOG10}, regrets "
        f"floored at {FLOOR:g} x the problem's scale; noisy: median regret within {NOISY_TIE:g} "
        "x the task's scale); the last column counts problems beyond 2x the better Optuna "
        "sampler's regret."
    )
    for h, per_budget in comparisons.items():
        peers = [k for k in next(iter(per_budget.values())) if k != "beyond_2x_better_optuna"]
        lines += [
            f"\n### {h}: problems where it is at least as good\n",
            "| budget | " + " | ".join(f"vs {k}" for k in peers) + " | beyond 2x |",
            "|---" * (len(peers) + 2) + "|",
        ]
        for b, row in per_budget.items():
            cells = " | ".join(f"{row[k]['as_good']}/{row[k]['of']}" for k in peers)
            two = row["beyond_2x_better_optuna"]
            lines.append(f"| {b} | {cells} | {two['count']}/{two['of']} |")
    for h, per_budget in acceptance.items():
        lines += [
            f"\n### {h}: acceptance checks (issue 18)\n",
            "| budget | check | result | met |",
            "|---|---|---|---|",
        ]
        for b, checks in per_budget.items():
            for name, c in checks.items():
                result = (
                    f"{c['ratio']:.0f}x" if "ratio" in c else f"{c['count'][0]}/{c['count'][1]}"
                )
                met = {True: "met", False: "**not met**", None: "-"}[c["met"]]
                lines.append(f"| {b} | {name} | {result} | {met} |")
    lines += [
        "\n### Seconds per suggestion (median over problems)\n",
        "| sampler | seconds |",
        "|---|---|",
    ]
    for s, x in speed.items():
        lines.append(f"| {s} | {'-' if x is None else f'{x:.3g}'} |")
    return "\n".join(lines)


def _write(
    args: argparse.Namespace,
    table: dict[str, Any],
    samplers: list[str],
    budgets: list[int],
    comparisons: dict[str, Any],
    acceptance: dict[str, Any],
    speed: dict[str, float | None],
    code: str,
) -> None:
    import optuna
    import sklearn

    import hyperdial

    result = {
        "benchmark": "gp_quality",
        "what": "regret after each budget, median and quartiles over seeds (see "
        "docs/design/quality_benchmark.md for the true-value and tie rules)",
        "note": args.note,
        "gp_stand_in": GP_STAND_IN,
        "split": args.split,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "python": sys.version.split()[0],
            "processes": args.jobs,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
        },
        "versions": {
            "hyperdial": hyperdial.__version__,
            "hyperdial_code": code,
            "optuna": optuna.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "trials": args.trials,
        "peer_trials": args.peer_trials,
        "budgets": budgets,
        "samplers": samplers,
        "variants": {s: _variant(s) for s in samplers if "+" in s},
        "tie_rule": {"log10": TIE_LOG10, "floor": FLOOR, "noisy": NOISY_TIE},
        "seconds_per_suggestion": speed,
        "problems": table,
        "comparisons": comparisons,
        "acceptance": acceptance,
    }
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, f"{args.name}.json"), "w") as f:
        json.dump(result, f, indent=1)
    if not args.no_plot and table:
        _plot(args, table, samplers, budgets)


def _plot(
    args: argparse.Namespace, table: dict[str, Any], samplers: list[str], budgets: list[int]
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = len(table)
    cols = min(5, k)
    rows = (k + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, (p, e) in zip(axes.ravel(), table.items(), strict=False):
        for s in e["samplers"]:
            r = [
                np.nan if x is None else max(x, e["floor"])
                for x in e["samplers"][s]["median_regret"]
            ]
            ax.loglog(budgets, r, "o-", ms=2, lw=1, label=s)
        ax.set_title(f"{p} ({e['kind']}, {len(e['seeds'])} seeds)", fontsize=7)
        ax.minorticks_off()
        ax.set_xticks(budgets, [str(b) for b in budgets])
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=5)
    fig.suptitle("GP quality: median regret vs budget (floored)", fontsize=9)
    fig.tight_layout()
    fig.savefig(os.path.join(args.out, f"{args.name}.png"), dpi=80)
    plt.close(fig)


if __name__ == "__main__":
    main()

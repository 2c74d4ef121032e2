"""The strong Bayesian-optimisation peers of the GP quality benchmark (issue 18): SMAC3's two
facades and HEBO, each run for one study on one problem of ``gp_suite.py``.

``run_peer(peer, problem, seed, n_trials)`` returns the study as a JSON-ready record. SMAC3 and
HEBO do not install beside hyperdial (HEBO 0.3.6 needs a hand-made set of dependencies), so they
live in their own virtual environment, made by ``bench/peers_env.sh``; when the peer's library is
not importable here, ``run_peer`` runs this file with that environment's interpreter
(``--run PEER PROBLEM SEED N``) and reads the record from its standard output. Every run uses
one thread, like every sampler of the benchmark.

The problems are written define-by-run against Optuna-style trials, while SMAC3 and HEBO need a
static space up front. ``search_space`` finds it by calling the objective with trials that
answer each ``suggest_*`` call with a random value and record it, and takes the union of the
parameters seen. A conditional problem thus gets a flattened space: the peer proposes a value
for every parameter of every branch, and the objective reads only those it asks for; ``params``
in the record holds those, i.e. the configuration that was evaluated.

Each peer runs with its defaults for black-box optimisation, a fixed seed and the run's budget:

- ``smac_bb``: SMAC3's ``BlackBoxFacade`` (a GP with a Matern-5/2 kernel and Hamming kernel for
  categoricals, expected improvement, Sobol initial design), driven by ``ask``/``tell``.
- ``smac_hpo``: SMAC3's ``HyperparameterOptimizationFacade`` (a random forest with log-EI, a
  Sobol initial design and interleaved random configurations), driven the same way.
  For both, the scenario is deterministic unless the problem's kind is "noisy"; for a noisy task
  the intensifier may evaluate a configuration again, which draws fresh noise.
- ``hebo``: HEBO's ``HEBO`` optimiser (Cowen-Rivers et al., JAIR 2022: output power transforms,
  input warping, the MACE acquisition ensemble), one suggestion at a time, seeded through NumPy,
  Python's ``random``, torch and its Sobol scramble seed.

Parameter types map to what each library offers natively: a log-scaled float or integer to
ConfigSpace's ``log=True`` or HEBO's ``pow`` / ``pow_int``; a parameter with a ``step`` to an
integer index on its grid; a categorical to a categorical over its choices' indices (so any
choice value works). The objective receives integers rounded and clipped to the bounds it asks
with, and categoricals by value.

    bash bench/peers_env.sh                                  # once: the peers' environment
    python bench/bo_peers.py --check                         # each peer, 8 trials on branin_2d
    python bench/bo_peers.py --run hebo hartmann_6d 0 30     # one study, the record as JSON
    python bench/bo_peers.py --smoke bench/results/bo_peers.json  # SMOKE, for bench/HISTORY.md
"""

from __future__ import annotations

import os

# One thread per process, as for every sampler of the benchmark.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import importlib.metadata
import importlib.util
import json
import math
import random
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gp_suite

PEERS = {
    "smac_bb": "SMAC3 BlackBoxFacade (GP)",
    "smac_hpo": "SMAC3 HyperparameterOptimizationFacade (random forest)",
    "hebo": "HEBO",
}
_LIBRARY = {"smac_bb": "smac", "smac_hpo": "smac", "hebo": "hebo"}

VENV = os.environ.get("HYPERDIAL_PEERS_VENV", "/work/venvs/peers")
"""The peers' virtual environment (``bench/peers_env.sh``)."""

DISCOVERY_CALLS = 64
"""At most this many recording calls of the objective to find its parameters."""
DISCOVERY_PATIENCE = {"conditional": 16}
"""Discovery stops after this many calls in a row bring no new parameter (1 for the kinds not
listed: their spaces are static, so a second call only confirms the first)."""


# ---- the static search space of a define-by-run objective ---------------------------------


@dataclass
class Param:
    """One parameter as the objective asks for it: ``kind`` is "float", "int" or "cat"."""

    name: str
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    step: float | None = None
    choices: list[Any] = field(default_factory=list)

    @property
    def n_steps(self) -> int:
        """Grid points above ``low`` for a parameter with a step."""
        assert self.step is not None
        return int(math.floor((self.high - self.low) / self.step + 1e-9))

    @property
    def fixed(self) -> bool:
        """Whether the parameter has one value only (then no peer is asked about it)."""
        if self.kind == "cat":
            return len(self.choices) == 1
        if self.step is not None:
            return self.n_steps == 0
        return self.low == self.high

    def decode(self, raw: Any) -> Any:
        """The value the objective should get for a peer's ``raw`` proposal."""
        if self.fixed:
            return self.choices[0] if self.kind == "cat" else self.low
        if self.kind == "cat":
            return self.choices[int(raw)]
        if self.step is not None:
            value = self.low + int(round(float(raw))) * self.step
            return int(round(value)) if self.kind == "int" else float(value)
        if self.kind == "int":
            return int(round(float(raw)))
        return float(raw)


class _RecordingTrial:
    """Answers ``suggest_*`` with random values and records each parameter's definition."""

    def __init__(self, rng: np.random.Generator, space: dict[str, Param]) -> None:
        self._rng = rng
        self._space = space

    def _note(self, param: Param) -> None:
        old = self._space.get(param.name)
        if old is None:
            self._space[param.name] = param
        elif param.kind == "cat":
            old.choices += [c for c in param.choices if c not in old.choices]
        else:
            old.low, old.high = min(old.low, param.low), max(old.high, param.high)

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        self._note(Param(name, "float", float(low), float(high), log, step))
        if log:
            return float(np.exp(self._rng.uniform(np.log(low), np.log(high))))
        return float(self._rng.uniform(low, high))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        self._note(Param(name, "int", low, high, log, None if step == 1 else step))
        if log:
            value = int(round(np.exp(self._rng.uniform(np.log(low), np.log(high)))))
        else:
            value = int(low + step * self._rng.integers(0, (high - low) // step + 1))
        return min(max(value, low), high)

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        choices = list(choices)
        self._note(Param(name, "cat", choices=choices))
        return choices[int(self._rng.integers(len(choices)))]


_SPACES: dict[str, list[Param]] = {}


def search_space(problem: str) -> list[Param]:
    """The union of the parameters the objective of ``problem`` asks for, over recording calls
    with random values (``DISCOVERY_CALLS``, ``DISCOVERY_PATIENCE``); cached per process. The
    calls go to an objective of their own, so a noisy task's run keeps its noise stream."""
    if problem not in _SPACES:
        objective = _objective(problem, seed=0)
        patience = DISCOVERY_PATIENCE.get(gp_suite.PROBLEMS[problem].kind, 1)
        rng = np.random.default_rng(0)
        space: dict[str, Param] = {}
        quiet = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(DISCOVERY_CALLS):
                before = len(space)
                objective(_RecordingTrial(rng, space))
                quiet = quiet + 1 if len(space) == before else 0
                if quiet >= patience:
                    break
        _SPACES[problem] = list(space.values())
    return _SPACES[problem]


def _objective(problem: str, seed: int) -> Callable[[Any], float]:
    make = getattr(gp_suite, "make_objective", None)
    if make is not None:
        return make(problem, seed)  # type: ignore[no-any-return]
    return gp_suite.PROBLEMS[problem].objective


class _ProposalTrial:
    """Answers ``suggest_*`` from a peer's proposal (decoded values by name) and keeps the
    parameters the objective asked for."""

    def __init__(self, proposal: dict[str, Any]) -> None:
        self._proposal = proposal
        self.params: dict[str, Any] = {}

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float:
        value = float(min(max(float(self._proposal[name]), low), high))
        if step is not None:
            value = float(min(low + round((value - low) / step) * step, high))
        self.params[name] = value
        return value

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        value = int(round(float(self._proposal[name])))
        value = low + int(round((value - low) / step)) * step
        value = int(min(max(value, low), high - (high - low) % step))
        self.params[name] = value
        return value

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        wanted = self._proposal[name]
        for choice in choices:
            if choice == wanted:
                self.params[name] = choice
                return choice
        raise ValueError(f"parameter {name!r}: proposed {wanted!r} is not among {choices!r}")


# ---- the peers ----------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Study:
    """One run's bookkeeping: evaluates decoded proposals, times the peer around them."""

    def __init__(self, problem: str, seed: int) -> None:
        self.objective = _objective(problem, seed)
        self.values: list[float] = []
        self.params: list[dict[str, Any]] = []
        self.suggest_seconds: list[float] = []
        self.objective_seconds = 0.0

    def evaluate(self, proposal: dict[str, Any]) -> float:
        trial = _ProposalTrial(proposal)
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = float(self.objective(trial))
        self.objective_seconds += time.perf_counter() - t0
        self.values.append(value)
        self.params.append({k: _json_value(v) for k, v in trial.params.items()})
        return value


def _run_smac(peer: str, problem: str, seed: int, n_trials: int, study: _Study) -> str:
    import logging

    import smac
    from ConfigSpace import Categorical, ConfigurationSpace, Float, Integer
    from smac.runhistory.dataclasses import TrialValue

    logging.getLogger("smac").setLevel(logging.ERROR)
    space = search_space(problem)
    cs = ConfigurationSpace(seed=seed)
    for p in space:
        if p.fixed:
            continue
        if p.kind == "cat":
            cs.add(Categorical(p.name, [str(i) for i in range(len(p.choices))]))
        elif p.step is not None:
            cs.add(Integer(p.name, (0, p.n_steps)))
        elif p.kind == "int":
            cs.add(Integer(p.name, (int(p.low), int(p.high)), log=p.log))
        else:
            cs.add(Float(p.name, (p.low, p.high), log=p.log))
    facade = smac.BlackBoxFacade if peer == "smac_bb" else smac.HyperparameterOptimizationFacade
    with tempfile.TemporaryDirectory(prefix="bo_peers_smac_") as out:
        scenario = smac.Scenario(
            cs,
            deterministic=gp_suite.PROBLEMS[problem].kind != "noisy",
            n_trials=n_trials,
            seed=seed,
            output_directory=Path(out),
        )
        opt = facade(scenario, None, logging_level=False, overwrite=True)
        for _ in range(n_trials):
            t0 = time.perf_counter()
            info = opt.ask()
            config = dict(info.config)
            spent = time.perf_counter() - t0
            value = study.evaluate({p.name: p.decode(config.get(p.name)) for p in space})
            t0 = time.perf_counter()
            opt.tell(info, TrialValue(cost=value), save=False)
            study.suggest_seconds.append(spent + time.perf_counter() - t0)
    return f"smac {smac.version}"


def _run_hebo(problem: str, seed: int, n_trials: int, study: _Study) -> str:
    import pandas as pd
    import torch
    from hebo.design_space.design_space import DesignSpace
    from hebo.optimizers.hebo import HEBO

    torch.set_num_threads(1)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (HEBO draws from NumPy's global generator)
    torch.manual_seed(seed)
    space = search_space(problem)
    rows: list[dict[str, Any]] = []
    for p in space:
        if p.fixed:
            continue
        if p.kind == "cat":
            row = {"type": "cat", "categories": [str(i) for i in range(len(p.choices))]}
        elif p.step is not None:
            row = {"type": "int", "lb": 0, "ub": p.n_steps}
        elif p.kind == "int":
            row = {"type": "pow_int" if p.log else "int", "lb": int(p.low), "ub": int(p.high)}
        else:
            row = {"type": "pow" if p.log else "num", "lb": p.low, "ub": p.high}
        rows.append({"name": p.name, **row})
    opt = HEBO(DesignSpace().parse(rows), scramble_seed=seed)
    for _ in range(n_trials):
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rec = opt.suggest(n_suggestions=1)
        proposal = rec.iloc[0].to_dict()
        spent = time.perf_counter() - t0
        value = study.evaluate({p.name: p.decode(proposal.get(p.name)) for p in space})
        t0 = time.perf_counter()
        opt.observe(pd.DataFrame(rec), np.array([[value]]))
        study.suggest_seconds.append(spent + time.perf_counter() - t0)
    return f"hebo {importlib.metadata.version('hebo')}"


def _run_here(peer: str, problem: str, seed: int, n_trials: int) -> dict[str, Any]:
    search_space(problem)  # outside the timed study
    study = _Study(problem, seed)
    t0, c0 = time.perf_counter(), time.process_time()
    if peer == "hebo":
        version = _run_hebo(problem, seed, n_trials, study)
    else:
        version = _run_smac(peer, problem, seed, n_trials, study)
    return {
        "values": study.values,
        "params": study.params,
        "suggest_seconds": study.suggest_seconds,
        "objective_seconds": study.objective_seconds,
        "wall_seconds": time.perf_counter() - t0,
        "cpu_seconds": time.process_time() - c0,
        "version": version,
    }


def run_peer(peer: str, problem: str, seed: int, n_trials: int) -> dict[str, Any]:
    """Runs one study of ``peer`` (a key of ``PEERS``) on ``problem`` (a key of
    ``gp_suite.PROBLEMS``) with ``seed`` and ``n_trials`` trials.

    Returns ``{"values": [value per trial, in order], "params": [parameters the objective read,
    per trial], "suggest_seconds": [seconds the peer spent choosing each trial: its ask/suggest
    and its tell/observe], "objective_seconds": float, "wall_seconds": float, "cpu_seconds":
    float, "version": "smac 2.4.1" or "hebo 0.3.6"}``. Wall and CPU seconds cover the study,
    not the start of the peers' interpreter. Runs in the peers' environment (``VENV``), with
    ``PYTHONHASHSEED=0``, when the peer's library is not importable here; run in-process, a SMAC3
    study repeats only if the interpreter's hash seed is fixed.
    """
    if peer not in PEERS:
        raise ValueError(f"peer {peer!r} is not one of {sorted(PEERS)}")
    if problem not in gp_suite.PROBLEMS:
        raise ValueError(f"problem {problem!r} is not in gp_suite.PROBLEMS")
    if importlib.util.find_spec(_LIBRARY[peer]) is not None:
        return _run_here(peer, problem, seed, n_trials)
    python = os.path.join(VENV, "bin", "python")
    if not os.path.exists(python):
        raise RuntimeError(f"no peers environment at {VENV}: run bash bench/peers_env.sh")
    # A fixed hash seed: SMAC3's choices depend on the iteration order of sets of strings, so
    # without it the same seed gives different studies in different processes.
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONPATH", None)
    cmd = [python, os.path.abspath(__file__), "--run", peer, problem, str(seed), str(n_trials)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _run_cli(peer: str, problem: str, seed: int, n_trials: int) -> None:
    """``--run``: the record as one JSON line on standard output, whatever the libraries print
    (their output goes to standard error)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        if importlib.util.find_spec(_LIBRARY[peer]) is None:
            raise RuntimeError(f"{_LIBRARY[peer]} is not importable by {sys.executable}")
        rec = _run_here(peer, problem, seed, n_trials)
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
    print(json.dumps(rec))


SMOKE = [
    ("branin_2d", 30),
    ("hartmann_6d", 30),
    ("mixed_int_cat_8d", 20),
    ("conditional_4level", 20),
]
"""``--smoke``: (problem, trials) run by each peer with seed 0."""


def smoke(path: str) -> None:
    """Runs ``SMOKE`` for each peer, prints best values and median seconds per suggestion, and
    writes the records (with the load average after each run) to ``path``."""
    out: dict[str, Any] = {"peers": PEERS, "runs": []}
    for problem, n in SMOKE:
        for peer in PEERS:
            rec = run_peer(peer, problem, 0, n)
            rec.update(peer=peer, problem=problem, seed=0, loadavg=os.getloadavg())
            out["runs"].append(rec)
            print(
                f"{problem:20s} {peer:9s} n={n:3d} best {min(rec['values']):10.4f}  median "
                f"suggest {float(np.median(rec['suggest_seconds'])):.3f} s  "
                f"load {rec['loadavg'][0]:.2f}",
                flush=True,
            )
    out["versions"] = sorted({r["version"] for r in out["runs"]})
    with open(path, "w") as f:
        json.dump(out, f, indent=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", nargs=4, metavar=("PEER", "PROBLEM", "SEED", "N"))
    parser.add_argument("--check", action="store_true", help="each peer, 8 trials, branin_2d")
    parser.add_argument("--smoke", metavar="JSON", help="run SMOKE, write the records here")
    args = parser.parse_args()
    if args.run:
        peer, problem, seed, n = args.run
        _run_cli(peer, problem, int(seed), int(n))
        return
    if args.smoke:
        smoke(args.smoke)
        return
    if args.check:
        for peer in PEERS:
            rec = run_peer(peer, "branin_2d", 0, 8)
            secs = ", ".join(f"{s:.3f}" for s in rec["suggest_seconds"])
            print(
                f"{peer:9s} {rec['version']:12s} best {min(rec['values']):.4f}  suggest s: {secs}"
            )
        return
    parser.print_help()


if __name__ == "__main__":
    main()

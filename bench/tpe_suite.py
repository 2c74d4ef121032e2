"""Test problems for the TPE quality benchmark, written once for any sampler whose trials have
Optuna-style ``suggest_float`` / ``suggest_int`` / ``suggest_categorical`` (hyperdial and
Optuna both do). All are minimised; ``PROBLEMS[name] = (objective, optimum or None)``.

Definitions follow the Virtual Library of Simulation Experiments (Surjanovic & Bingham,
https://www.sfu.ca/~ssurjano/optimization.html), with the usual domains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Objective = Callable[[Any], float]


def _floats(trial: Any, d: int, low: float, high: float) -> np.ndarray:
    return np.array([trial.suggest_float(f"x{i}", low, high) for i in range(d)])


def branin(trial: Any) -> float:
    x1 = trial.suggest_float("x0", -5.0, 10.0)
    x2 = trial.suggest_float("x1", 0.0, 15.0)
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(trial: Any) -> float:
    x = _floats(trial, 6, 0.0, 1.0)
    return float(-(_H_ALPHA * np.exp(-(_H_A * (x - _H_P) ** 2).sum(1))).sum())


def rosenbrock(d: int) -> Objective:
    def f(trial: Any) -> float:
        x = _floats(trial, d, -5.0, 10.0)
        return float((100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum())

    return f


def ackley(d: int) -> Objective:
    def f(trial: Any) -> float:
        x = _floats(trial, d, -32.768, 32.768)
        a = -20 * math.exp(-0.2 * math.sqrt(float((x**2).mean())))
        return a - math.exp(float(np.cos(2 * math.pi * x).mean())) + 20 + math.e

    return f


def levy(d: int) -> Objective:
    def f(trial: Any) -> float:
        w = 1 + (_floats(trial, d, -10.0, 10.0) - 1) / 4
        head = math.sin(math.pi * w[0]) ** 2
        mid = ((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2)).sum()
        tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
        return float(head + mid + tail)

    return f


def styblinski_tang(d: int) -> Objective:
    def f(trial: Any) -> float:
        x = _floats(trial, d, -5.0, 5.0)
        return float(0.5 * (x**4 - 16 * x**2 + 5 * x).sum())

    return f


def rastrigin(d: int) -> Objective:
    def f(trial: Any) -> float:
        x = _floats(trial, d, -5.12, 5.12)
        return float(10 * d + (x**2 - 10 * np.cos(2 * math.pi * x)).sum())

    return f


_OFFSET = {"a": 1.0, "b": 0.0, "c": 0.5, "d": 2.0}


def mixed(trial: Any) -> float:
    """3 floats, 2 ints, 2 categoricals and a log float; optimum 0."""
    x = _floats(trial, 3, -5.0, 5.0)
    i0 = trial.suggest_int("i0", -10, 10)
    i1 = trial.suggest_int("i1", 0, 40, step=4)
    c0 = trial.suggest_categorical("c0", ["a", "b", "c", "d"])
    c1 = trial.suggest_categorical("c1", ["a", "b", "c", "d"])
    lr = trial.suggest_float("lr", 1e-5, 1.0, log=True)
    return float(
        (x**2).sum()
        + (i0 - 3) ** 2 / 10
        + (i1 - 12) ** 2 / 40
        + _OFFSET[c0]
        + _OFFSET[c1] * 0.5
        + (math.log10(lr) + 2.5) ** 2
    )


def conditional(trial: Any) -> float:
    """A 4-level define-by-run space (model -> options -> sub-options -> per-layer values);
    the optimum (0) lies in the deepest branch."""
    model = trial.suggest_categorical("model", ["linear", "tree", "net"])
    if model == "linear":
        reg = trial.suggest_categorical("reg", ["l1", "l2"])
        if reg == "l1":
            alpha = trial.suggest_float("alpha_l1", 1e-6, 1.0, log=True)
            return 2.0 + (math.log10(alpha) + 3) ** 2 / 4
        alpha = trial.suggest_float("alpha_l2", 0.0, 10.0)
        solver = trial.suggest_categorical("solver", ["lbfgs", "sag", "saga"])
        return 1.5 + (alpha - 2.0) ** 2 / 10 + (0.0 if solver == "saga" else 0.3)
    if model == "tree":
        depth = trial.suggest_int("depth", 1, 12)
        value = 1.0 + abs(depth - 8) / 4
        if depth > 5:
            split = trial.suggest_categorical("split", ["gini", "entropy"])
            leaf = trial.suggest_int("min_leaf", 1, 50, log=True)
            value += (0.0 if split == "entropy" else 0.2) + (math.log(leaf) - math.log(5)) ** 2 / 8
        return value
    layers = trial.suggest_int("layers", 1, 3)
    act = trial.suggest_categorical("act", ["relu", "tanh"])
    value = 0.5 * abs(layers - 2)
    for i in range(layers):
        units = trial.suggest_int(f"units{i}", 8, 512, log=True)
        value += (math.log2(units) - 6 + i) ** 2 / 8
    if act == "relu":
        dropout = trial.suggest_float("dropout", 0.0, 0.8)
        value += (dropout - 0.2) ** 2 * 4
    else:
        value += 0.5
    return value


_K1_OFFSET = [1.5, 0.0, 0.7, 1.0, 0.4]


def mixed10(trial: Any) -> float:
    """2 floats, 3 ints (one log, one with a step), 3 categoricals (3, 5 and 6 choices, one
    of numbers) and a log float; optimum 0. A second mixed problem, so that the tuning and
    the judging split (``quality_split.py``) each hold one."""
    x0 = trial.suggest_float("x0", -3.0, 7.0)
    x1 = trial.suggest_float("x1", -3.0, 7.0)
    j0 = trial.suggest_int("j0", 0, 30)
    j1 = trial.suggest_int("j1", 1, 1000, log=True)
    j2 = trial.suggest_int("j2", -20, 20, step=5)
    k0 = trial.suggest_categorical("k0", ["x", "y", "z"])
    k1 = trial.suggest_categorical("k1", ["p", "q", "r", "s", "t"])
    k2 = trial.suggest_categorical("k2", [1, 2, 4, 8, 16, 32])
    wd = trial.suggest_float("wd", 1e-6, 1e-1, log=True)
    return float(
        (x0 - 1.0) ** 2
        + 0.5 * (x1 - 2.0) ** 2
        + (j0 - 21) ** 2 / 15
        + 2 * (math.log10(j1) - math.log10(50)) ** 2
        + (j2 - 5) ** 2 / 50
        + {"x": 0.8, "y": 0.3, "z": 0.0}[k0]
        + _K1_OFFSET["pqrst".index(k1)]
        + 0.25 * (math.log2(k2) - 3) ** 2
        + 0.5 * (math.log10(wd) + 4) ** 2
    )


def conditional3(trial: Any) -> float:
    """A 3-branch define-by-run space (model -> options -> an option's own parameter); the
    optimum (0) lies in the "boost" branch with the "dart" booster. A second conditional
    problem, so that the tuning and the judging split each hold one."""
    kind = trial.suggest_categorical("kind", ["svm", "forest", "boost"])
    if kind == "svm":
        c = trial.suggest_float("C", 1e-3, 1e3, log=True)
        kernel = trial.suggest_categorical("kernel", ["rbf", "poly"])
        value = 0.8 + (math.log10(c) - 1) ** 2 / 4
        if kernel == "poly":
            degree = trial.suggest_int("degree", 2, 5)
            value += 0.2 + (degree - 3) ** 2 / 10
        return value
    if kind == "forest":
        trees = trial.suggest_int("trees", 10, 500, log=True)
        depth = trial.suggest_int("depth", 2, 20)
        return 0.5 + (math.log10(trees) - math.log10(200)) ** 2 + (depth - 12) ** 2 / 40
    lr = trial.suggest_float("lr", 1e-3, 1.0, log=True)
    rounds = trial.suggest_int("rounds", 10, 1000, log=True)
    subsample = trial.suggest_float("subsample", 0.5, 1.0)
    booster = trial.suggest_categorical("booster", ["gbtree", "dart"])
    value = (
        (math.log10(lr) - math.log10(0.05)) ** 2 / 2
        + (math.log10(rounds) - math.log10(300)) ** 2 / 2
        + 4 * (subsample - 0.8) ** 2
    )
    if booster == "dart":
        drop = trial.suggest_float("drop", 0.0, 0.5)
        return value + 4 * (drop - 0.1) ** 2
    return value + 0.3


PROBLEMS: dict[str, tuple[Objective, float | None]] = {
    "branin_2d": (branin, 0.397887),
    "hartmann_6d": (hartmann6, -3.32237),
    "rosenbrock_5d": (rosenbrock(5), 0.0),
    "ackley_10d": (ackley(10), 0.0),
    "levy_10d": (levy(10), 0.0),
    "styblinski_tang_20d": (styblinski_tang(20), -39.16617 * 20),
    "rastrigin_2d": (rastrigin(2), 0.0),
    "rastrigin_20d": (rastrigin(20), 0.0),
    "mixed_int_cat_8d": (mixed, 0.0),
    "conditional_4level": (conditional, 0.0),
    "levy_30d": (levy(30), 0.0),
    "mixed_int_cat_10d": (mixed10, 0.0),
    "conditional_3branch": (conditional3, 0.0),
}


# -- Hyperopt -----------------------------------------------------------------------------------
# Hyperopt is define-and-run: its space is declared before the first evaluation. The flat
# problems' spaces are read off the objective with a recording trial; the conditional one is
# written out as nested ``hp.choice`` (its ``split``/``min_leaf`` are drawn for every tree and
# used only when depth > 5, since Hyperopt cannot condition on a numeric value).


class _Recorder:
    """A trial that records each suggest call and returns a value inside the range."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = []

    def suggest_float(self, name: str, low: float, high: float, **kw: Any) -> float:
        self.calls.append(("float", name, (low, high), kw))
        return (low + high) / 2 if not kw.get("log") else math.sqrt(low * high)

    def suggest_int(self, name: str, low: int, high: int, **kw: Any) -> int:
        self.calls.append(("int", name, (low, high), kw))
        return low

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        self.calls.append(("cat", name, (choices,), {}))
        return choices[0]


class FixedTrial:
    """A trial whose suggest calls return the values of one Hyperopt sample."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def suggest_float(self, name: str, low: float, high: float, **kw: Any) -> float:
        return float(min(max(self.params[name], low), high))

    def suggest_int(self, name: str, low: int, high: int, **kw: Any) -> int:
        return int(min(max(round(self.params[name]), low), high))

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        return self.params[name]


def _hp(label: str, kind: str, args: tuple[Any, ...], kw: dict[str, Any]) -> Any:
    from hyperopt import hp

    if kind == "cat":
        return hp.choice(label, list(args[0]))
    low, high = args
    log, step = kw.get("log", False), kw.get("step")
    if kind == "float":
        if log:
            return hp.loguniform(label, math.log(low), math.log(high))
        if step is not None:
            return hp.quniform(label, low - step / 2, high + step / 2, step)
        return hp.uniform(label, low, high)
    step = step or 1
    if log:
        return hp.qloguniform(label, math.log(low - 0.5), math.log(high + 0.5), 1)
    return hp.quniform(label, low - step / 2, high + step / 2, step)


def _conditional_space() -> Any:
    from hyperopt import hp

    def units(layers: int) -> dict[str, Any]:
        return {
            f"units{i}": _hp(f"units{i}_of_{layers}", "int", (8, 512), {"log": True})
            for i in range(layers)
        }

    return hp.choice(
        "model",
        [
            {
                "model": "linear",
                "sub": hp.choice(
                    "reg",
                    [
                        {
                            "reg": "l1",
                            "alpha_l1": _hp("alpha_l1", "float", (1e-6, 1.0), {"log": True}),
                        },
                        {
                            "reg": "l2",
                            "alpha_l2": _hp("alpha_l2", "float", (0.0, 10.0), {}),
                            "solver": hp.choice("solver", ["lbfgs", "sag", "saga"]),
                        },
                    ],
                ),
            },
            {
                "model": "tree",
                "depth": _hp("depth", "int", (1, 12), {}),
                "split": hp.choice("split", ["gini", "entropy"]),
                "min_leaf": _hp("min_leaf", "int", (1, 50), {"log": True}),
            },
            {
                "model": "net",
                "layers_sub": hp.choice("layers", [{"layers": k, **units(k)} for k in (1, 2, 3)]),
                "act_sub": hp.choice(
                    "act",
                    [
                        {"act": "relu", "dropout": _hp("dropout", "float", (0.0, 0.8), {})},
                        {"act": "tanh"},
                    ],
                ),
            },
        ],
    )


def _conditional3_space() -> Any:
    from hyperopt import hp

    return hp.choice(
        "kind",
        [
            {
                "kind": "svm",
                "C": _hp("C", "float", (1e-3, 1e3), {"log": True}),
                "sub": hp.choice(
                    "kernel",
                    [
                        {"kernel": "rbf"},
                        {"kernel": "poly", "degree": _hp("degree", "int", (2, 5), {})},
                    ],
                ),
            },
            {
                "kind": "forest",
                "trees": _hp("trees", "int", (10, 500), {"log": True}),
                "depth": _hp("depth", "int", (2, 20), {}),
            },
            {
                "kind": "boost",
                "lr": _hp("lr", "float", (1e-3, 1.0), {"log": True}),
                "rounds": _hp("rounds", "int", (10, 1000), {"log": True}),
                "subsample": _hp("subsample", "float", (0.5, 1.0), {}),
                "sub": hp.choice(
                    "booster",
                    [
                        {"booster": "gbtree"},
                        {"booster": "dart", "drop": _hp("drop", "float", (0.0, 0.5), {})},
                    ],
                ),
            },
        ],
    )


def _flatten(sample: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in sample.items():
        if isinstance(v, dict):
            out.update(_flatten(v))
        else:
            out[k] = v
    return out


def hyperopt_space(name: str) -> Any:
    """The Hyperopt space of problem ``name`` (samples are flattened by :func:`fixed_trial`)."""
    if name == "conditional_4level":
        return _conditional_space()
    if name == "conditional_3branch":
        return _conditional3_space()
    rec = _Recorder()
    PROBLEMS[name][0](rec)
    return {label: _hp(label, kind, args, kw) for kind, label, args, kw in rec.calls}


def fixed_trial(sample: Any) -> FixedTrial:
    return FixedTrial(_flatten(sample) if isinstance(sample, dict) else {})

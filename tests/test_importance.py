"""hyperdial.importance: every evaluator against analytic indices, and the API's contract.

Analytic references (all inputs uniform on their ranges):

* Ishigami, a = 7, b = 0.1, x_i ~ U(-pi, pi): first-order S = (0.3139, 0.4424, 0), total
  ST = (0.5576, 0.4424, 0.2437) (Saltelli et al. 2008, "Global Sensitivity Analysis: The
  Primer", section 4.4).
* Sobol's G-function, g = prod_i (|4 u_i - 2| + a_i) / (1 + a_i), u_i ~ U(0, 1): with
  V_i = 1 / (3 (1 + a_i)^2) and V = prod (1 + V_i) - 1, S_i = V_i / V and
  ST_i = V_i prod_{j != i} (1 + V_j) / V.

Tolerances. GP-Sobol's error has two parts: the quasi-Monte Carlo integration, whose error
with N = 2048 scrambled Sobol' points is of order 1/N (well below 0.01 for these smooth
surfaces), and the surrogate's error, which the bootstrap standard deviation measures (about
0.01 at these study sizes). An absolute tolerance of 0.05 is about five of those standard
deviations. fANOVA's main effects are exact for the forest, so its error is the forest's
approximation bias (averaging trees flattens the smaller main effects) rather than a variance;
its tolerance (0.15) is loose and the test checks the ranking too. PED-ANOVA estimates a
Pearson divergence between top-quantile and region densities; the reference is the same
divergence from histograms of two million samples, and the plug-in estimate on a few hundred
top trials with Parzen smoothing is within a relative 30 % of it at the size used.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import hyperdial
from hyperdial.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.importance import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    GPSobolImportanceEvaluator,
    PedAnovaImportanceEvaluator,
    get_param_importances,
)
from hyperdial.trial import FrozenTrial, TrialState

ISHIGAMI_FIRST = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_TOTAL = np.array([0.5576, 0.4424, 0.2437])
G_A = np.array([0.0, 1.0, 4.5, 9.0])


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    level = hyperdial.logging.get_verbosity()
    hyperdial.logging.set_verbosity(logging.WARNING)
    yield
    hyperdial.logging.set_verbosity(level)


def _study_of(
    params: list[dict[str, Any]],
    dists: dict[str, Any],
    values: Any,
    system_attrs: list[dict[str, Any]] | None = None,
    directions: list[str] | None = None,
) -> hyperdial.Study:
    study = hyperdial.create_study(directions=directions)
    trials = []
    for k, p in enumerate(params):
        v = values[k]
        trials.append(
            FrozenTrial(
                state=TrialState.COMPLETE,
                params=p,
                distributions={n: dists[n] for n in p},
                system_attrs=None if system_attrs is None else system_attrs[k],
                **({"values": list(v)} if directions else {"value": float(v)}),
            )
        )
    study.add_trials(trials)
    return study


def _ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def _ishigami_study(n: int, seed: int = 0) -> hyperdial.Study:
    x = np.random.default_rng(seed).uniform(-np.pi, np.pi, (n, 3))
    dists = {f"x{i}": FloatDistribution(-np.pi, np.pi) for i in range(3)}
    return _study_of([{f"x{i}": float(r[i]) for i in range(3)} for r in x], dists, _ishigami(x))


def _g_indices() -> tuple[np.ndarray, np.ndarray]:
    vi = 1 / (3 * (1 + G_A) ** 2)
    v = np.prod(1 + vi) - 1
    return vi / v, vi * np.prod(1 + vi) / (1 + vi) / v


def _g_study(n: int, seed: int = 0) -> hyperdial.Study:
    u = np.random.default_rng(seed).random((n, G_A.size))
    y = np.prod((np.abs(4 * u - 2) + G_A) / (1 + G_A), axis=1)
    dists = {f"x{i}": FloatDistribution(0, 1) for i in range(G_A.size)}
    return _study_of([{f"x{i}": float(r[i]) for i in range(G_A.size)} for r in u], dists, y)


def _vector(d: dict[str, float], n: int) -> np.ndarray:
    return np.array([d[f"x{i}"] for i in range(n)])


# -- GP-Sobol against analytic indices ------------------------------------------------------------
@pytest.mark.parametrize(("index", "want"), [("total", ISHIGAMI_TOTAL), ("first", ISHIGAMI_FIRST)])
def test_gp_sobol_matches_ishigami(index: str, want: np.ndarray) -> None:
    ev = GPSobolImportanceEvaluator(index, seed=0)
    got = ev.evaluate(_ishigami_study(500))
    np.testing.assert_allclose(_vector(got, 3), want, atol=0.05)
    assert ev.last_std is not None and all(0 <= s < 0.05 for s in ev.last_std.values())
    np.testing.assert_allclose(_vector(ev.last_first, 3), ISHIGAMI_FIRST, atol=0.05)
    np.testing.assert_allclose(_vector(ev.last_total, 3), ISHIGAMI_TOTAL, atol=0.05)


def test_gp_sobol_matches_the_g_function() -> None:
    first, total = _g_indices()
    ev = GPSobolImportanceEvaluator(seed=1)
    study = _g_study(300)
    np.testing.assert_allclose(_vector(ev.evaluate(study), 4), total, atol=0.05)
    np.testing.assert_allclose(_vector(ev.last_first, 4), first, atol=0.05)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [10, 11, 12])
def test_gp_sobol_is_within_its_bootstrap_error_on_larger_studies(seed: int) -> None:
    """At 1000 trials the indices lie within 0.03 and within six bootstrap standard deviations
    plus the integration error (0.01) of the analytic ones."""
    ev = GPSobolImportanceEvaluator(seed=seed)
    got = _vector(ev.evaluate(_ishigami_study(1000, seed)), 3)
    assert ev.last_std is not None
    std = _vector(ev.last_std, 3)
    assert np.all(np.abs(got - ISHIGAMI_TOTAL) <= np.minimum(0.03, 6 * std + 0.01) + 1e-12)


def test_gp_sobol_does_not_depend_on_the_thread_count() -> None:
    study = _ishigami_study(120)
    one = GPSobolImportanceEvaluator(seed=3, n_threads=1, n_samples=256)
    two = GPSobolImportanceEvaluator(seed=3, n_threads=2, n_samples=256)
    assert one.evaluate(study) == two.evaluate(study)
    assert one.last_std == two.last_std


def test_gp_sobol_fits_a_subset_of_a_large_study() -> None:
    ev = GPSobolImportanceEvaluator(seed=0, max_fit_points=64, max_model_points=128)
    got = ev.evaluate(_g_study(400))
    assert max(got, key=lambda k: got[k]) == "x0"


# -- integers, log scales, categoricals, conditional spaces ---------------------------------------
def test_gp_sobol_on_log_int_and_categorical_parameters() -> None:
    """y = log10(lr) + 2 [opt == b] + n with lr log-uniform on [1e-4, 1], opt uniform on two
    choices and n uniform on 0..3: variances 16/12, 1 and 5/4 (the unit cube's measure is
    uniform in log lr, per choice and per integer)."""
    rng = np.random.default_rng(0)
    dists = {
        "lr": FloatDistribution(1e-4, 1.0, log=True),
        "opt": CategoricalDistribution(["a", "b"]),
        "n": IntDistribution(0, 3),
    }
    params, y = [], []
    for _ in range(200):
        p = {"lr": float(10 ** rng.uniform(-4, 0)), "opt": str(rng.choice(["a", "b"])),
             "n": int(rng.integers(0, 4))}  # fmt: skip
        params.append(p)
        y.append(np.log10(p["lr"]) + 2 * (p["opt"] == "b") + p["n"])
    var = np.array([16 / 12, 1.0, 1.25])
    got = get_param_importances(
        _study_of(params, dists, y), evaluator=GPSobolImportanceEvaluator(seed=0)
    )
    np.testing.assert_allclose([got["lr"], got["opt"], got["n"]], var / var.sum(), atol=0.05)


def _conditional_study(n: int = 240) -> hyperdial.Study:
    """branch a: y = x (x ~ U(0, 1)); branch b: y = 2 + 0.1 z, half the trials each. Variance
    of the branch means (0.5 vs 2.05) 0.600625, within a 1/12, within b 0.01/12."""
    rng = np.random.default_rng(0)
    dists = {
        "branch": CategoricalDistribution(["a", "b"]),
        "x": FloatDistribution(0, 1),
        "z": FloatDistribution(0, 1),
    }
    params, y = [], []
    for k in range(n):
        if k % 2 == 0:
            x = float(rng.random())
            params.append({"branch": "a", "x": x})
            y.append(x)
        else:
            z = float(rng.random())
            params.append({"branch": "b", "z": z})
            y.append(2 + 0.1 * z)
    return _study_of(params, dists, y)


def test_gp_sobol_gives_conditional_parameters_their_share_within_their_branch() -> None:
    """Total indices: x explains 1/12 of variance in branch a, which has probability 1/2, so
    ST_x = (1/2)(1/12) / V; likewise z. The branch's total index is 1 - Var(E[y | x, z]) / V,
    with E[y | x, z] = x / 2 + (2 + 0.1 z) / 2."""
    total = 0.600625 + 0.5 / 12 + 0.5 * 0.01 / 12
    branch = 1 - (0.25 / 12 + 0.25 * 0.01 / 12) / total
    want = {"branch": branch, "x": 0.5 / 12 / total, "z": 0.5 * 0.01 / 12 / total}
    got = get_param_importances(
        _conditional_study(), evaluator=GPSobolImportanceEvaluator(seed=0), normalize=False
    )
    assert list(got) == ["branch", "x", "z"]
    for name, value in want.items():
        assert got[name] == pytest.approx(value, abs=0.03)


def test_gp_sobol_shares_switching_between_nested_switches() -> None:
    """model in {rf, svm}; rf: y = depth / 10 (depth 1..10); svm: kernel in {lin, rbf}, lin:
    y = 1.5, rbf: y = 1 + gamma (gamma log-uniform on [1e-3, 1]). Total indices from the
    moments of each branch (V = 0.2190): kernel, the nested switch, 0.101 (switching within
    svm: P = 1/2, index 0.775, variance 0.0573); model 0.891 - 0.101 = 0.790; depth 0.188;
    gamma 0.059."""
    rng = np.random.default_rng(0)
    dists = {
        "model": CategoricalDistribution(["rf", "svm"]),
        "depth": IntDistribution(1, 10),
        "kernel": CategoricalDistribution(["lin", "rbf"]),
        "gamma": FloatDistribution(1e-3, 1.0, log=True),
    }
    params: list[dict[str, Any]] = []
    y = []
    for _ in range(400):
        if rng.random() < 0.5:
            p: dict[str, Any] = {"model": "rf", "depth": int(rng.integers(1, 11))}
            y.append(p["depth"] / 10)
        elif rng.random() < 0.5:
            p = {"model": "svm", "kernel": "lin"}
            y.append(1.5)
        else:
            p = {"model": "svm", "kernel": "rbf", "gamma": float(10 ** rng.uniform(-3, 0))}
            y.append(1 + p["gamma"])
        params.append(p)
    got = GPSobolImportanceEvaluator(seed=0).evaluate(_study_of(params, dists, y))
    want = {"model": 0.790, "depth": 0.188, "kernel": 0.101, "gamma": 0.059}
    for name, value in want.items():
        assert got[name] == pytest.approx(value, abs=0.05), name


def test_ped_anova_and_fanova_read_conditional_studies() -> None:
    study = _conditional_study()
    ped = PedAnovaImportanceEvaluator().evaluate(study)
    # Each parameter is judged on the trials that have it: z, though its effect is small, is
    # what decides the top tenth of branch b.
    assert set(ped) == {"branch", "x", "z"} and min(ped.values()) > 0
    fanova = FanovaImportanceEvaluator(n_trees=8, seed=0).evaluate(study)
    assert set(fanova) == {"branch"}  # the parameters every trial has, as Optuna's


# -- fANOVA ---------------------------------------------------------------------------------------
def test_fanova_marginals_are_exact_for_a_tree() -> None:
    """The main effects from the leaves equal those of the tree's predictions on a fine grid
    (up to the grid's resolution)."""
    from sklearn.tree import DecisionTreeRegressor

    from hyperdial.importance._fanova import tree_main_effects

    rng = np.random.default_rng(0)
    x = rng.random((300, 3)) * np.array([1.0, 1.0, 3.0])
    x[:, 2] = np.floor(x[:, 2]) + 0.5
    y = np.sin(6 * x[:, 0]) + x[:, 1] * (x[:, 2] > 1) + 0.1 * rng.standard_normal(300)
    tree = DecisionTreeRegressor(max_depth=6, random_state=0).fit(x, y)
    got = tree_main_effects(tree.tree_, np.array([1.0, 1.0, 3.0]))
    u = (np.arange(100) + 0.5) / 100
    grid = np.stack(np.meshgrid(u, u, 3 * u, indexing="ij"), -1).reshape(-1, 3)
    f = tree.predict(grid).reshape(100, 100, 100)
    want = [f.mean(axis=axes).var() / f.var() for axes in ((1, 2), (0, 2), (0, 1))]
    np.testing.assert_allclose(got, want, atol=5e-3)


def test_fanova_matches_ishigami_main_effects() -> None:
    got = _vector(FanovaImportanceEvaluator(n_trees=32, seed=0).evaluate(_ishigami_study(600)), 3)
    np.testing.assert_allclose(got, ISHIGAMI_FIRST, atol=0.15)
    assert got[1] > got[0] > got[2]


def test_fanova_without_scikit_learn_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.ensemble", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        FanovaImportanceEvaluator()


def test_import_hyperdial_does_not_import_scikit_learn() -> None:
    code = (
        "import sys, hyperdial, hyperdial.importance; "
        "print(any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


# -- PED-ANOVA ------------------------------------------------------------------------------------
def test_ped_anova_matches_the_divergence_of_the_true_densities() -> None:
    rng = np.random.default_rng(1)
    u = rng.random((2_000_000, 3))
    y = _ishigami(u * 2 * np.pi - np.pi)
    top = u[y <= np.quantile(y, 0.1)]
    want = []
    for j in range(3):
        h, _ = np.histogram(top[:, j], bins=50, range=(0, 1))
        want.append(0.1**2 * (np.sum((h / h.sum()) ** 2 * 50) - 1))
    got = _vector(PedAnovaImportanceEvaluator().evaluate(_ishigami_study(3000, seed=2)), 3)
    np.testing.assert_allclose(got, want, rtol=0.3)


def test_ped_anova_ignores_a_parameter_without_effect_and_follows_the_direction() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((400, 2))
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    params = [{"a": float(r[0]), "b": float(r[1])} for r in x]
    for direction, y in (("minimize", x[:, 0]), ("maximize", -x[:, 0])):
        study = hyperdial.create_study(direction=direction)
        study.add_trials(
            FrozenTrial(state=TrialState.COMPLETE, params=p, distributions=dists, value=float(v))
            for p, v in zip(params, y, strict=True)
        )
        got = PedAnovaImportanceEvaluator().evaluate(study)
        assert got["a"] > 10 * got["b"]


# -- the API's contract ---------------------------------------------------------------------------
EVALUATORS: list[Callable[[], BaseImportanceEvaluator]] = [
    lambda: GPSobolImportanceEvaluator(seed=0, n_samples=256, n_bootstrap=2),
    lambda: PedAnovaImportanceEvaluator(),
    lambda: FanovaImportanceEvaluator(n_trees=8, seed=0),
]


@pytest.fixture
def small_study() -> hyperdial.Study:
    rng = np.random.default_rng(0)
    x = rng.random((60, 3))
    dists = {n: FloatDistribution(0, 1) for n in ("a", "b", "c")}
    y = 3 * x[:, 1] + x[:, 0] + 0.1 * x[:, 2]
    return _study_of([{"a": r[0], "b": r[1], "c": r[2]} for r in x], dists, y)


@pytest.mark.parametrize("make", EVALUATORS)
def test_importances_are_sorted_and_normalised(
    make: Callable[[], BaseImportanceEvaluator], small_study: hyperdial.Study
) -> None:
    got = get_param_importances(small_study, evaluator=make())
    assert list(got) == ["b", "a", "c"]
    assert sum(got.values()) == pytest.approx(1.0)
    raw = get_param_importances(small_study, evaluator=make(), normalize=False)
    assert list(raw) == ["b", "a", "c"] and all(v >= 0 for v in raw.values())
    assert raw["a"] / raw["b"] == pytest.approx(got["a"] / got["b"])
    sub = get_param_importances(small_study, evaluator=make(), params=["c", "a"])
    assert set(sub) == {"a", "c"} and list(sub.values()) == sorted(sub.values(), reverse=True)


def test_the_default_evaluator_is_gp_sobol(small_study: hyperdial.Study) -> None:
    got = get_param_importances(small_study)
    assert list(got) == ["b", "a", "c"]


def test_multi_objective_studies_need_a_target(small_study: hyperdial.Study) -> None:
    rng = np.random.default_rng(0)
    x = rng.random((40, 2))
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    study = _study_of(
        [{"a": r[0], "b": r[1]} for r in x], dists, list(zip(x[:, 0], x[:, 1], strict=True)),
        directions=["minimize", "minimize"],
    )  # fmt: skip
    with pytest.raises(ValueError, match="`target`"):
        get_param_importances(study)
    got = get_param_importances(
        study, evaluator=PedAnovaImportanceEvaluator(), target=lambda t: t.values[1]
    )
    assert list(got) == ["b", "a"]


def test_constrained_studies_read_feasible_trials_only() -> None:
    """Feasible trials depend on a only, infeasible ones (constraint value 1) on b only."""
    rng = np.random.default_rng(0)
    x = rng.random((120, 2))
    feasible = np.arange(120) % 2 == 0
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    y = np.where(feasible, x[:, 0], 10 * x[:, 1])
    attrs = [{"constraints": {"c0": 0.0 if f else 1.0}} for f in feasible]
    study = _study_of([{"a": r[0], "b": r[1]} for r in x], dists, y, system_attrs=attrs)
    for make in EVALUATORS:
        got = get_param_importances(study, evaluator=make())
        assert got["a"] > 0.8, make
    ev = PedAnovaImportanceEvaluator()
    assert ev.evaluate(study, feasible_only=False)["b"] > ev.evaluate(study)["b"]


def test_errors_name_what_is_wrong(small_study: hyperdial.Study) -> None:
    empty = hyperdial.create_study()
    with pytest.raises(ValueError, match="no COMPLETE trials"):
        get_param_importances(empty)
    one = _study_of([{"a": 0.5}], {"a": FloatDistribution(0, 1)}, [1.0])
    with pytest.raises(ValueError, match="at least 2"):
        get_param_importances(one)
    with pytest.raises(ValueError, match="'zz'"):
        get_param_importances(small_study, params=["a", "zz"])
    with pytest.raises(TypeError, match="evaluator"):
        get_param_importances(small_study, evaluator="fanova")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="target"):
        get_param_importances(small_study, target=3)  # type: ignore[arg-type]
    assert get_param_importances(small_study, params=[]) == {}


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: GPSobolImportanceEvaluator("second"), "index"),
        (lambda: GPSobolImportanceEvaluator(n_samples=1000), "n_samples"),
        (lambda: GPSobolImportanceEvaluator(n_bootstrap=-1), "n_bootstrap"),
        (lambda: GPSobolImportanceEvaluator(max_fit_points=10, max_model_points=5), "max_"),
        (lambda: PedAnovaImportanceEvaluator(0.5, 0.2), "target_quantile"),
        (lambda: PedAnovaImportanceEvaluator(0.0), "target_quantile"),
        (lambda: PedAnovaImportanceEvaluator(n_steps=1), "n_steps"),
        (lambda: FanovaImportanceEvaluator(n_trees=0), "n_trees"),
    ],
)
def test_bad_evaluator_arguments(make: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make()


def test_a_constant_objective_gives_equal_shares() -> None:
    x = np.random.default_rng(0).random((10, 2))
    dists = {"a": FloatDistribution(0, 1), "b": FloatDistribution(0, 1)}
    study = _study_of([{"a": r[0], "b": r[1]} for r in x], dists, np.ones(10))
    got = get_param_importances(study)
    assert got == {"a": 0.5, "b": 0.5}


def test_hyperdial_importance_is_an_attribute() -> None:
    assert hyperdial.importance.get_param_importances is get_param_importances

"""CmaEsSampler and its C++ core: every kernel against the NumPy reference
(``hyperdial._reference.cmaes``), the sampler's options, its storage-shared state, pickling and
the sampler contract."""

from __future__ import annotations

import copy
import logging
import math
import pickle
import subprocess
import sys
import threading
from typing import Any

import numpy as np
import pytest
from scipy.special import ndtri

import hyperdial
from hyperdial import _core
from hyperdial._reference import cmaes as ref
from hyperdial.distributions import FloatDistribution, IntDistribution
from hyperdial.samplers import BaseSampler, CmaEsSampler, RandomSampler
from hyperdial.samplers._cmaes import _decode
from hyperdial.storages import InMemoryStorage
from hyperdial.testing import SamplerContract
from hyperdial.trial import create_trial

# === the C++ core against the NumPy reference =================================================


def _run_parity(es: _core.CmaEs, generations: int, rng: np.random.Generator) -> None:
    for g in range(generations):
        before = ref.from_core(es)
        x = np.array([es.ask(seed=1000 * g + i).x for i in range(es.popsize)])
        f = rng.standard_normal(es.popsize)
        f[rng.integers(es.popsize)] = math.inf  # a trial with an infinite value ranks last
        expected = ref.tell(before, x, f)
        assert es.tell(x, f, seed=g) == ""
        got = ref.from_core(es)
        for name in ("mean", "p_sigma", "p_c", "cov", "margin_scale", "e_mean", "e_cov"):
            if getattr(expected, name) is None:
                continue
            np.testing.assert_allclose(
                getattr(got, name), getattr(expected, name), rtol=1e-10, atol=1e-13, err_msg=name
            )
        assert got.sigma == pytest.approx(expected.sigma, rel=1e-12)
        assert got.eta_mean == pytest.approx(expected.eta_mean, rel=1e-12)
        assert got.eta_cov == pytest.approx(expected.eta_cov, rel=1e-12)
        assert got.generation == expected.generation == g + 1


@pytest.mark.parametrize("n", [1, 2, 6])
@pytest.mark.parametrize("separable", [False, True])
def test_tell_matches_reference(n: int, separable: bool) -> None:
    rng = np.random.default_rng(n)
    es = _core.CmaEs(rng.random(n), 0.3, options=_core.CmaOptions(separable=separable))
    _run_parity(es, 25, rng)


def test_learning_rate_adaptation_matches_reference() -> None:
    rng = np.random.default_rng(11)
    es = _core.CmaEs(rng.random(4), 0.3, options=_core.CmaOptions(lr_adapt=True))
    _run_parity(es, 30, rng)
    got, want = ref.from_core(es), ref.from_core(_core.CmaEs.from_vector(es.to_vector()))
    assert got.eta_mean == want.eta_mean < 1.0 and got.eta_cov == want.eta_cov
    np.testing.assert_array_equal(got.e_cov, want.e_cov)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lr_adapt"):
        _core.CmaEs(np.full(2, 0.5), 0.1, options=_core.CmaOptions(lr_adapt=True, separable=True))


def test_tell_with_full_initial_covariance_matches_reference() -> None:
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 4))
    es = _core.CmaEs(
        rng.random(4), 0.2, cov=a @ a.T + np.eye(4), options=_core.CmaOptions(popsize=9)
    )
    _run_parity(es, 15, rng)


@pytest.mark.parametrize("separable", [False, True])
def test_margin_matches_reference_and_keeps_discrete_dims_alive(separable: bool) -> None:
    rng = np.random.default_rng(3)
    steps = np.array([0.0, 1 / 4, 1 / 2, 1 / 10, 0.0])
    es = _core.CmaEs(
        rng.random(5), 0.3, steps=steps, options=_core.CmaOptions(separable=separable)
    )
    _run_parity(es, 30, rng)
    # Drive sigma down: the margin must keep each discrete marginal's mass beyond the nearest
    # cell edge at least alpha = 1 / (n popsize).
    for g in range(60):
        x = np.array([es.ask(seed=g * 100 + i).x for i in range(es.popsize)])
        es.tell(x, ((x - 0.37) ** 2).sum(axis=1), seed=g)
    alpha = 1 / (5 * es.popsize)
    cov = np.diag(es.cov)
    for j in (1, 2, 3):
        s = es.sigma * es.margin_scale[j] * math.sqrt(cov[j])
        cells = round(1 / steps[j])
        cell = min(max(math.floor(es.mean[j] * cells), 0), cells - 1)
        tails = []
        if cell > 0:
            tails.append(0.5 * math.erfc((es.mean[j] - cell / cells) / s / math.sqrt(2)))
        if cell < cells - 1:
            tails.append(0.5 * math.erfc(((cell + 1) / cells - es.mean[j]) / s / math.sqrt(2)))
        assert max(tails) >= alpha * (1 - 1e-9)
    assert es.margin_scale[0] == es.margin_scale[4] == 1.0


def test_warm_start_matches_reference() -> None:
    rng = np.random.default_rng(0)
    x, f = rng.random((40, 3)), rng.standard_normal(40)
    ws = _core.cma_warm_start(x, f, gamma=0.2, alpha=0.05)
    mean, sigma, cov = ref.warm_start(x, f, gamma=0.2, alpha=0.05)
    np.testing.assert_allclose(ws.mean, mean, rtol=1e-12)
    assert ws.sigma == pytest.approx(sigma, rel=1e-12)
    np.testing.assert_allclose(ws.cov, cov, rtol=1e-10)
    with pytest.raises(ValueError, match="gamma"):
        _core.cma_warm_start(x, f, gamma=0.0)
    with pytest.raises(ValueError, match="f must"):
        _core.cma_warm_start(x, f[:3])


def test_normal_quantile_matches_scipy() -> None:
    for p in (1e-12, 1e-6, 0.01, 0.3, 0.5, 0.77, 0.999999):
        assert _core._normal_quantile(p) == pytest.approx(ndtri(p), rel=1e-12, abs=1e-15)
    with pytest.raises(ValueError, match="p in"):
        _core._normal_quantile(1.0)


def test_constants_match_reference() -> None:
    for n, lam, sep in ((1, 4, False), (5, 8, False), (10, 13, True), (3, 41, False)):
        es = _core.CmaEs(
            np.full(n, 0.5), 0.1, options=_core.CmaOptions(popsize=lam, separable=sep)
        )
        np.testing.assert_allclose(es.weights, ref.constants(n, lam, sep).weights, rtol=1e-13)


def test_ask_is_deterministic_inside_and_has_the_right_moments() -> None:
    a = np.array([[2.0, 0.6], [0.6, 0.5]])
    es = _core.CmaEs(np.array([0.5, 0.4]), 0.05, cov=a)
    assert np.array_equal(es.ask(seed=5).x, es.ask(seed=5).x)
    xs = np.array([es.ask(seed=s).x for s in range(4000)])
    assert ((xs >= 0) & (xs <= 1)).all()
    np.testing.assert_allclose(xs.mean(axis=0), [0.5, 0.4], atol=0.01)
    np.testing.assert_allclose(np.cov(xs.T), 0.05**2 * a, rtol=0.1)


def test_ask_resamples_then_clips_into_the_cube() -> None:
    es = _core.CmaEs(np.array([0.99, 0.01]), 0.5, options=_core.CmaOptions(max_resampling=1))
    for seed in range(200):
        sample = es.ask(seed=seed)
        assert ((sample.point >= 0) & (sample.point <= 1)).all()
        np.testing.assert_array_equal(sample.x, sample.point)  # A = I without a margin


def test_state_round_trips_pickles_and_deep_copies() -> None:
    rng = np.random.default_rng(1)
    es = _core.CmaEs(rng.random(3), 0.2, steps=np.array([0.0, 0.2, 0.0]))
    for g in range(5):
        x = np.array([es.ask(seed=g * 10 + i).x for i in range(es.popsize)])
        es.tell(x, rng.random(es.popsize), seed=g)
    vec = es.to_vector()
    for clone in (
        _core.CmaEs.from_vector(vec),
        pickle.loads(pickle.dumps(es)),
        copy.deepcopy(es),
    ):
        np.testing.assert_array_equal(clone.to_vector(), vec)
        np.testing.assert_array_equal(clone.ask(seed=9).x, es.ask(seed=9).x)
    with pytest.raises(ValueError, match="state vector"):
        _core.CmaEs.from_vector(vec[:-1])


def test_core_rejects_bad_arguments() -> None:
    es = _core.CmaEs(np.full(2, 0.5), 0.1)
    with pytest.raises(ValueError, match="x must be popsize x n"):
        es.tell(np.zeros((3, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="NaN"):
        es.tell(np.zeros((es.popsize, 2)), np.full(es.popsize, math.nan))
    with pytest.raises(ValueError, match="sigma"):
        _core.CmaEs(np.full(2, 0.5), 0.0)
    with pytest.raises(ValueError, match="steps"):
        _core.CmaEs(np.full(2, 0.5), 0.1, steps=np.array([0.5]))
    with pytest.raises(ValueError, match="positive definite"):
        _core.CmaEs(np.full(2, 0.5), 0.1, cov=-np.eye(2))
    with pytest.raises(ValueError, match="popsize"):
        _core.CmaEs(np.full(2, 0.5), 0.1, options=_core.CmaOptions(popsize=1))


def _runs_beside(call: Any, n_calls: int = 16) -> bool:
    """Whether this thread ran while a worker made ``n_calls`` calls (see
    tests/core/test_gil_release.py: with no forced switches, it can only if they release the
    GIL)."""
    done = threading.Event()

    def work() -> None:
        for _ in range(n_calls):
            call()
        done.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e4)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        ran_beside = not done.is_set()
        worker.join()
    finally:
        sys.setswitchinterval(old)
    return ran_beside


def test_tell_releases_the_gil() -> None:
    # A tell in 300 dimensions decomposes C (milliseconds): long enough for the main thread to
    # take the GIL while it runs. ask goes through the same binding pattern.
    n = 300
    es = _core.CmaEs(np.full(n, 0.5), 0.1)
    x = np.array([es.ask(seed=i).x for i in range(es.popsize)])
    f = np.arange(es.popsize, dtype=float)
    assert _runs_beside(lambda: es.tell(x, f))
    assert not _runs_beside(lambda: sum(i * 0.5 for i in range(50_000)), 2)  # the check can fail


# === the sampler ==============================================================================


def _sphere(d: int, shift: float = 1.0) -> Any:
    def objective(trial: Any) -> float:
        return sum((trial.suggest_float(f"x{i}", -5, 5) - shift) ** 2 for i in range(d))

    return objective


def _run(sampler: BaseSampler, objective: Any, n: int, **kwargs: Any) -> hyperdial.Study:
    study = hyperdial.create_study(sampler=sampler, **kwargs)
    study.optimize(objective, n_trials=n)
    return study


def _only_run(sampler: CmaEsSampler) -> _core.CmaEs:
    (history,) = sampler._histories.values()
    (run,) = history.runs.values()
    assert run.es is not None
    return run.es


def test_converges_on_the_sphere() -> None:
    study = _run(CmaEsSampler(seed=0), _sphere(4), 250)
    assert study.best_value < 1e-2


def test_learning_rate_adaptation_runs_and_lowers_the_rates() -> None:
    sampler = CmaEsSampler(seed=0, lr_adapt=True)
    study = _run(sampler, _sphere(3), 150)
    assert study.best_value < 1.0
    es = _only_run(sampler)
    assert es.options.lr_adapt and es.eta_mean < 1.0


def test_maximize_and_separable() -> None:
    neg = _sphere(3)
    study = _run(
        CmaEsSampler(seed=1, use_separable_cma=True),
        lambda t: -neg(t),
        200,
        direction="maximize",
    )
    assert study.best_value > -1e-2


def test_x0_and_sigma0_are_honoured() -> None:
    sampler = CmaEsSampler(x0={"x0": 2.0, "x1": -3.0}, sigma0=1e-6, seed=0)
    study = _run(sampler, _sphere(2), 6)
    for t in study.trials[1:]:
        assert t.params["x0"] == pytest.approx(2.0, abs=1e-3)
        assert t.params["x1"] == pytest.approx(-3.0, abs=1e-3)


def test_first_trials_are_independent_and_x_is_recorded() -> None:
    sampler = CmaEsSampler(seed=0, n_startup_trials=3)
    study = _run(sampler, _sphere(2), 5)
    records = [[k for k in t.system_attrs if k.startswith("cma:")] for t in study.trials]
    assert records[:3] == [[], [], []]
    assert all(len(r) == 1 for r in records[3:])


def test_enqueued_values_are_not_told_as_samples() -> None:
    study = hyperdial.create_study(sampler=CmaEsSampler(seed=0))
    study.optimize(_sphere(2), n_trials=3)
    study.enqueue_trial({"x0": 4.5})
    study.optimize(_sphere(2), n_trials=2)
    enqueued, sampled = study.trials[3], study.trials[4]
    assert enqueued.params["x0"] == 4.5
    assert not any(k.startswith("cma:") for k in enqueued.system_attrs)
    assert any(k.startswith("cma:") for k in sampled.system_attrs)


def test_integers_with_margin_stay_valid_and_keep_moving() -> None:
    def objective(trial: Any) -> float:
        x = trial.suggest_float("x", -2, 2)
        n = trial.suggest_int("n", 0, 5)
        k = trial.suggest_int("k", 2, 20, step=3)
        return x**2 + (n - 2) ** 2 + (k - 11) ** 2

    study = _run(CmaEsSampler(seed=2, with_margin=True), objective, 200)
    for t in study.trials:
        assert t.params["n"] in range(6) and t.params["k"] in range(2, 21, 3)
    assert study.best_value < 0.05
    late = study.trials[-60:]
    assert len({t.params["n"] for t in late}) >= 2  # the margin keeps a neighbour in reach
    assert len({t.params["k"] for t in late}) >= 2


def test_warm_start_moves_the_initial_mean_towards_the_source_optimum() -> None:
    dist = FloatDistribution(0, 1)
    rng = np.random.default_rng(0)
    sources = []
    for _ in range(100):
        x, y = rng.random(2)
        sources.append(
            create_trial(
                params={"x": x, "y": y},
                distributions={"x": dist, "y": dist},
                value=(x - 0.85) ** 2 + (y - 0.8) ** 2,
            )
        )

    def objective(trial: Any) -> float:
        x, y = trial.suggest_float("x", 0, 1), trial.suggest_float("y", 0, 1)
        return (x - 0.85) ** 2 + (y - 0.8) ** 2

    sampler = CmaEsSampler(seed=0, source_trials=sources)
    _run(sampler, objective, 2)
    es = _only_run(sampler)
    np.testing.assert_allclose(es.mean, [0.85, 0.8], atol=0.1)
    assert es.sigma < 1 / 6
    _run(CmaEsSampler(seed=0, source_trials=sources[:1]), objective, 2)  # one is enough
    unrelated = create_trial(params={"z": 0.1}, distributions={"z": dist}, value=0.0)
    with pytest.raises(ValueError, match="source_trials"):
        _run(CmaEsSampler(source_trials=[unrelated]), objective, 2)


@pytest.mark.parametrize("strategy", ["ipop", "bipop"])
def test_restarts_trigger_on_a_flat_objective(strategy: str) -> None:
    sampler = CmaEsSampler(seed=0, restart_strategy=strategy)

    def flat(trial: Any) -> float:
        trial.suggest_float("a", 0, 1)
        trial.suggest_float("b", 0, 1)
        return 1.0

    _run(sampler, flat, 200)
    es = _only_run(sampler)
    assert es.n_restarts >= 1
    if strategy == "ipop":
        assert es.popsize == 6 * 2**es.n_restarts
        no_restart = CmaEsSampler(seed=0)
        _run(no_restart, flat, 200)
        assert _only_run(no_restart).n_restarts == 0


def test_workers_share_one_state_through_the_storage() -> None:
    storage = InMemoryStorage()
    a = hyperdial.create_study(storage=storage, study_name="s", sampler=CmaEsSampler(seed=1))
    b = hyperdial.load_study(storage=storage, study_name="s", sampler=CmaEsSampler(seed=2))
    for _ in range(60):
        a.optimize(_sphere(3), n_trials=1)
        b.optimize(_sphere(3), n_trials=1)
    claims = storage.get_claims(a._study_id, "cma:")
    generations = sorted(int(k.rsplit(":", 2)[-2]) for k in claims)
    assert generations == list(range(len(generations))) and len(generations) >= 5
    es_a = _only_run(a.sampler)  # type: ignore[arg-type]
    es_b = _only_run(b.sampler)  # type: ignore[arg-type]
    np.testing.assert_array_equal(es_a.to_vector(), es_b.to_vector())
    newest = claims[max(claims, key=lambda k: int(k.rsplit(":", 2)[-2]))]
    np.testing.assert_array_equal(_decode(newest), es_a.to_vector())


def test_a_late_worker_starts_from_the_newest_state() -> None:
    storage = InMemoryStorage()
    first = hyperdial.create_study(storage=storage, study_name="s", sampler=CmaEsSampler(seed=1))
    first.optimize(_sphere(3), n_trials=50)
    g = _only_run(first.sampler).generation  # type: ignore[arg-type]
    attrs = storage.get_study_system_attrs(first._study_id)
    (hint,) = [v for k, v in attrs.items() if k.startswith("cma:")]
    assert hint == g >= 3
    late = hyperdial.load_study(storage=storage, study_name="s", sampler=CmaEsSampler(seed=2))
    late.optimize(_sphere(3), n_trials=1)
    es = _only_run(late.sampler)  # type: ignore[arg-type]
    assert es.generation in (g, g + 1)  # the late worker may tell generation g itself
    claims = storage.get_claims(first._study_id, "cma:")
    (state,) = [v for k, v in claims.items() if k.endswith(f":state:{es.generation}:")]
    np.testing.assert_array_equal(_decode(state), es.to_vector())


@pytest.mark.slow
def test_processes_share_one_state_on_sqlite(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'cma.db'}"
    hyperdial.create_study(storage=url, study_name="cma")
    code = (
        "import sys, hyperdial\n"
        "hyperdial.logging.set_verbosity(30)\n"
        "s = hyperdial.samplers.CmaEsSampler(seed=int(sys.argv[2]))\n"
        "st = hyperdial.load_study(study_name='cma', storage=sys.argv[1], sampler=s)\n"
        "st.optimize(lambda t: sum((t.suggest_float(f'x{i}', -5, 5) - 1) ** 2 "
        "for i in range(4)), n_trials=60)\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, url, str(seed)]) for seed in (1, 2, 3)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0, 0]
    study = hyperdial.load_study(study_name="cma", storage=url)
    assert len(study.trials) == 180
    assert all(t.state == hyperdial.trial.TrialState.COMPLETE for t in study.trials)
    claims = study._storage.get_claims(study._study_id, "cma:")
    generations = sorted(int(k.rsplit(":", 2)[-2]) for k in claims)
    assert generations == list(range(len(generations))) and len(generations) >= 10
    sampled = [t for t in study.trials if any(k.startswith("cma:") for k in t.system_attrs)]
    assert len(sampled) >= 170 and study.best_value < 0.5


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_sampler_continues_the_same_stream(how: str) -> None:
    def make() -> hyperdial.Study:
        return _run(CmaEsSampler(seed=4, with_margin=True), _sphere(3), 23)

    straight, resumed = make(), make()
    sampler = resumed.sampler
    resumed.sampler = (
        pickle.loads(pickle.dumps(sampler)) if how == "pickle" else copy.deepcopy(sampler)
    )
    assert resumed.sampler is not sampler
    straight.optimize(_sphere(3), n_trials=30)
    resumed.optimize(_sphere(3), n_trials=30)
    assert [t.params for t in straight.trials] == [t.params for t in resumed.trials]


def test_pruned_trials_count_only_when_asked() -> None:
    def objective(trial: Any) -> float:
        value = _sphere(2)(trial)
        if trial.number % 2:
            trial.report(value, 0)
            raise hyperdial.TrialPruned()
        return value

    with_pruned = CmaEsSampler(seed=0, consider_pruned_trials=True)
    without = CmaEsSampler(seed=0)
    _run(with_pruned, objective, 60)
    _run(without, objective, 60)
    assert _only_run(with_pruned).generation > _only_run(without).generation


def test_categoricals_go_to_the_independent_sampler_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def objective(trial: Any) -> float:
        c = trial.suggest_categorical("c", ["a", "b"])
        return _sphere(2)(trial) + (c == "b")

    logger = logging.getLogger("hyperdial")
    logger.addHandler(caplog.handler)
    try:
        study = _run(CmaEsSampler(seed=0), objective, 12)
    finally:
        logger.removeHandler(caplog.handler)
    assert any("'c' is sampled by RandomSampler" in r.getMessage() for r in caplog.records)
    assert {t.params["c"] for t in study.trials} == {"a", "b"}
    quiet = CmaEsSampler(seed=0, warn_independent_sampling=False)
    caplog.clear()
    logger.addHandler(caplog.handler)
    try:
        _run(quiet, objective, 4)
    finally:
        logger.removeHandler(caplog.handler)
    assert not any("is sampled by" in r.getMessage() for r in caplog.records)


def test_a_changed_search_space_starts_a_new_run() -> None:
    sampler = CmaEsSampler(seed=0)
    study = _run(sampler, _sphere(3), 20)
    study.optimize(lambda t: t.suggest_float("x0", -5, 5) ** 2, n_trials=20)
    (history,) = sampler._histories.values()
    assert len(history.runs) == 2


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"sigma0": 0.0}, "`sigma0`"),
        ({"sigma0": math.inf}, "`sigma0`"),
        ({"x0": [1.0]}, "`x0`"),
        ({"n_startup_trials": -1}, "`n_startup_trials`"),
        ({"independent_sampler": object()}, "`independent_sampler`"),
        ({"seed": -1}, "`seed`"),
        ({"restart_strategy": "sep"}, "`restart_strategy`"),
        ({"popsize": 1}, "`popsize`"),
        ({"inc_popsize": 1}, "`inc_popsize`"),
        ({"lr_adapt": True, "with_margin": True}, "`lr_adapt"),
        ({"lr_adapt": True, "use_separable_cma": True}, "`lr_adapt"),
        ({"source_trials": [], "x0": {"x": 1.0}}, "`source_trials`"),
        ({"source_trials": [], "use_separable_cma": True}, "`source_trials`"),
        ({"use_separable_cma": True, "with_margin": True}, "`use_separable_cma"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict[str, Any], pattern: str) -> None:
    with pytest.raises((ValueError, TypeError), match=pattern):
        CmaEsSampler(**kwargs)


def test_exported_next_to_the_other_samplers() -> None:
    assert hyperdial.samplers.CmaEsSampler is CmaEsSampler
    assert isinstance(CmaEsSampler()._independent_sampler, RandomSampler)
    IntDistribution(0, 1)  # the int kinds the sampler maps are the package's own


class TestCmaEsSamplerContract(SamplerContract):
    n_trials = 24
    max_examples = 10

    def make_sampler(self, seed: int | None) -> BaseSampler:
        return CmaEsSampler(seed=seed, popsize=4, warn_independent_sampling=False)


# === slow: convergence on harder functions ===================================================


@pytest.mark.slow
@pytest.mark.parametrize("restart", [None, "ipop", "bipop"])
def test_converges_on_ellipsoid_and_rosenbrock(restart: str | None) -> None:
    def ellipsoid(trial: Any) -> float:
        x = [trial.suggest_float(f"x{i}", -5, 5) for i in range(5)]
        return sum(1e3 ** (i / 4) * (v - 1) ** 2 for i, v in enumerate(x))

    def rosenbrock(trial: Any) -> float:
        x = [trial.suggest_float(f"x{i}", -5, 5) for i in range(4)]
        return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))

    assert _run(CmaEsSampler(seed=3, restart_strategy=restart), ellipsoid, 600).best_value < 1e-2
    assert _run(CmaEsSampler(seed=3, restart_strategy=restart), rosenbrock, 900).best_value < 1.0

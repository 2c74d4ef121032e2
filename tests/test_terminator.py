"""hyperdial.terminator and plot_terminator_improvement.

The regret bound is checked against a NumPy reference computed from the fitted GP's posterior
(UCB maximised on a dense grid), the GP quantities EMMR reads against NumPy's linear algebra; the
callback stops a converged problem at ``min_n_trials`` and lets a hard one run on.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from numpy.testing import assert_allclose

import hyperdial
from hyperdial import StudyDirection, TrialState, create_trial
from hyperdial._reference import gp as ref
from hyperdial.distributions import FloatDistribution
from hyperdial.samplers import GPSampler, RandomSampler
from hyperdial.terminator import (
    BaseErrorEvaluator,
    BaseImprovementEvaluator,
    BestValueStagnationEvaluator,
    CrossValidationErrorEvaluator,
    EMMREvaluator,
    MedianErrorEvaluator,
    RegretBoundEvaluator,
    StaticErrorEvaluator,
    Terminator,
    TerminatorCallback,
    _gp,
    report_cross_validation_scores,
)

MIN, MAX = StudyDirection.MINIMIZE, StudyDirection.MAXIMIZE


@pytest.fixture(autouse=True)
def _quiet() -> Iterator[None]:
    level = hyperdial.logging.get_verbosity()
    hyperdial.logging.set_verbosity(30)
    yield
    hyperdial.logging.set_verbosity(level)


def _trials_1d(n: int, sign: float = 1.0, seed: int = 0) -> list[hyperdial.FrozenTrial]:
    rng = np.random.default_rng(seed)
    dist = {"x": FloatDistribution(0.0, 1.0)}
    return [
        create_trial(
            params={"x": float(x)},
            distributions=dist,
            value=sign * float(np.sin(6 * x) + 0.5 * x),
        )
        for x in rng.uniform(0, 1, n)
    ]


# -- regret bound ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "min_n"), [(25, 20), (30, 4)])
def test_regret_bound_matches_a_numpy_reference(n: int, min_n: int) -> None:
    trials = _trials_1d(n)
    evaluator = RegretBoundEvaluator(min_n_trials=min_n, seed=3)
    bound = evaluator.evaluate(trials, MAX)
    model, x_top, _ = evaluator._fitted(trials, MAX)

    y = np.array([t.value for t in trials])
    k = min(max(int(0.5 * n), min_n), n)
    top = y >= np.sort(y)[::-1][k - 1]
    assert_allclose(np.sort(x_top[:, 0]), np.sort([t.params["x"] for t in np.array(trials)[top]]))
    beta = 2 * math.log(1 * k**2 * math.pi**2 / (6 * 0.1)) / 5
    grid = np.concatenate([np.linspace(0, 1, 20001), x_top[:, 0]])[:, None]
    mean, var = model.predict(grid)
    ucb = mean + math.sqrt(beta) * np.sqrt(var)
    lcb_top = mean[-k:] - math.sqrt(beta) * np.sqrt(var[-k:])
    expected = ucb.max() - lcb_top.max()
    assert bound >= 0
    # The core's search may land between grid points (spacing 5e-5), never much below the best.
    assert expected - 1e-8 * abs(expected) <= bound <= expected * (1 + 1e-4)


def test_regret_bound_is_the_same_for_a_maximised_objective_and_its_negation() -> None:
    up = RegretBoundEvaluator(seed=1).evaluate(_trials_1d(24), MAX)
    down = RegretBoundEvaluator(seed=1).evaluate(_trials_1d(24, sign=-1.0), MIN)
    assert_allclose(up, down, rtol=1e-9)


def test_regret_bound_scales_with_the_objective() -> None:
    trials = _trials_1d(24)
    scaled = [
        create_trial(params=t.params, distributions=t.distributions, value=100 * t.value + 7)
        for t in trials
    ]
    a = RegretBoundEvaluator(seed=1).evaluate(trials, MAX)
    b = RegretBoundEvaluator(seed=1).evaluate(scaled, MAX)
    assert_allclose(b, 100 * a, rtol=1e-4)


def test_evaluators_ignore_failed_pruned_and_running_trials() -> None:
    trials = _trials_1d(22)
    noise = [
        create_trial(state=TrialState.FAIL),
        create_trial(state=TrialState.PRUNED, params={"y": 1.0},
                     distributions={"y": FloatDistribution(0, 2)}),
        create_trial(state=TrialState.RUNNING, params={"x": 0.5},
                     distributions=trials[0].distributions),
    ]  # fmt: skip
    mixed = trials[:10] + noise + trials[10:]
    for evaluator in (RegretBoundEvaluator(seed=2), EMMREvaluator(seed=2),
                      BestValueStagnationEvaluator(5)):  # fmt: skip
        assert evaluator.evaluate(mixed, MIN) == evaluator.evaluate(trials, MIN)


# -- the GP quantities EMMR reads -----------------------------------------------------------------
def _fitted_model(n: int = 12) -> tuple[_gp.Model, np.ndarray, np.ndarray]:
    trials = _trials_1d(n, seed=5)
    coder, x = _gp.encode(trials)  # type: ignore[misc]
    y = _gp.targets(trials, MAX)
    return _gp.fit(coder, x, y, deterministic=False, seed=0), x, y


def test_posterior_cov_matches_numpy() -> None:
    model, x, y = _fitted_model()
    q = np.array([[0.05], [0.3], [x[0, 0]], [0.97]])
    cov = _gp.posterior_cov(model, q, q)
    _, var = model.predict(q)
    assert_allclose(np.diag(cov), var, rtol=1e-7, atol=1e-12)
    theta = model.log_params
    kxx = ref.kernel_matrix(0, [0], theta, x, x) + math.exp(theta[-1]) * np.eye(len(x))
    kxq = ref.kernel_matrix(0, [0], theta, x, q)
    expected = ref.kernel_matrix(0, [0], theta, q, q) - kxq.T @ np.linalg.solve(kxx, kxq)
    assert_allclose(cov, expected * float(np.std(y)) ** 2, rtol=1e-6, atol=1e-10)


def test_predict_without_last_is_the_posterior_of_the_first_points() -> None:
    model, x, y = _fitted_model()
    q = np.array([[0.2], [x[-1, 0]]])
    mean, var = _gp.predict_without_last(model, q)
    theta = model.log_params
    shift, scale = float(np.mean(y)), float(np.std(y))  # the standardisation of all n points
    m_ref, v_ref = ref.predict(0, [0], theta, x[:-1], (y[:-1] - shift) / scale, q)
    assert_allclose(mean, m_ref * scale + shift, rtol=1e-7)
    assert_allclose(var, v_ref * scale**2, rtol=1e-6, atol=1e-12)
    assert _gp.noise_variance(model) == pytest.approx(math.exp(theta[-1]) * scale**2)


# -- EMMR -----------------------------------------------------------------------------------------
def test_emmr_waits_for_min_n_trials_then_is_finite_and_non_negative() -> None:
    trials = _trials_1d(30)
    emmr = EMMREvaluator(min_n_trials=5, seed=0)
    assert emmr.evaluate(trials[:4], MIN) == math.inf
    values = [emmr.evaluate(trials[:n], MIN) for n in (5, 15, 30)]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    assert EMMREvaluator(seed=0).evaluate(trials, MIN) == emmr.evaluate(trials, MIN)


def test_emmr_shrinks_as_a_study_converges() -> None:
    study = hyperdial.create_study(sampler=GPSampler(seed=0, n_startup_trials=5))
    study.optimize(lambda t: (t.suggest_float("x", -2, 2) - 0.5) ** 2, n_trials=30)
    emmr = EMMREvaluator(seed=0)
    early = emmr.evaluate(study.trials[:4], study.direction)
    late = emmr.evaluate(study.trials, study.direction)
    assert late < early / 10


def test_emmr_without_a_shared_parameter_warns_and_never_stops() -> None:
    trials = [create_trial(value=float(v)) for v in range(5)]
    with pytest.warns(UserWarning, match="no parameter"):
        assert EMMREvaluator().evaluate(trials, MIN) == math.inf


# -- stagnation, errors ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "direction", "expected"),
    [
        ([3, 1, 2, 2], MIN, 5 - 2),
        ([3, 1, 2, 2], MAX, 5 - 3),
        ([1, 1, 1], MIN, 5 - 2),
        ([2], MAX, 5),
    ],
)
def test_stagnation_counts_complete_trials_since_the_best(
    values: list[float], direction: StudyDirection, expected: int
) -> None:
    trials = [create_trial(value=float(v)) for v in values]
    trials.insert(1, create_trial(state=TrialState.FAIL))
    assert BestValueStagnationEvaluator(5).evaluate(trials, direction) == expected


def test_cross_validation_error_is_the_corrected_standard_error_of_the_best_trial() -> None:
    study = hyperdial.create_study(direction="maximize")
    folds = {0: [0.5, 0.6, 0.7], 1: [0.8, 0.9, 0.95, 1.0]}
    for scores in folds.values():
        trial = study.ask()
        report_cross_validation_scores(trial, np.array(scores))
        study.tell(trial, float(np.mean(scores)))
    error = CrossValidationErrorEvaluator().evaluate(study.trials, study.direction)
    k, scores = 4, folds[1]
    assert error == pytest.approx(math.sqrt((1 / k + 1 / (k - 1)) * np.var(scores)))
    assert study.trials[1].system_attrs["terminator:cv_scores"] == scores
    minimise = CrossValidationErrorEvaluator().evaluate(study.trials, MIN)
    assert minimise == pytest.approx(math.sqrt((1 / 3 + 1 / 2) * np.var(folds[0])))


def test_cross_validation_error_says_how_to_report_scores() -> None:
    study = hyperdial.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        CrossValidationErrorEvaluator().evaluate(study.trials, study.direction)
    with pytest.raises(ValueError, match="No trial is complete"):
        CrossValidationErrorEvaluator().evaluate([], MIN)


@pytest.mark.parametrize("scores", [[1.0], [], [1.0, float("nan")], [1.0, "a"], [[1.0, 2.0]]])
def test_report_cross_validation_scores_refuses_bad_scores(scores: list[object]) -> None:
    study = hyperdial.create_study()
    trial = study.ask()
    with pytest.raises(ValueError, match="`scores`"):
        report_cross_validation_scores(trial, scores)  # type: ignore[arg-type]


def test_median_error_is_set_once_from_the_early_estimates() -> None:
    class Counting(BaseImprovementEvaluator):
        def evaluate(
            self, trials: list[hyperdial.FrozenTrial], study_direction: StudyDirection
        ) -> float:
            return float(len(trials))

    trials = [create_trial(value=float(v)) for v in range(12)]
    median = MedianErrorEvaluator(Counting(), warm_up_trials=2, n_initial_trials=5,
                                  threshold_ratio=0.5)  # fmt: skip
    assert median.evaluate(trials[:6], MIN) < 0  # too few trials: never stop
    assert median.evaluate(trials[:7], MIN) == pytest.approx(0.5 * 3)  # median of 1..5
    assert median.evaluate(trials, MIN) == pytest.approx(1.5)  # kept


def test_static_error() -> None:
    assert StaticErrorEvaluator(0.25).evaluate([], MIN) == 0.25
    assert isinstance(StaticErrorEvaluator(0), BaseErrorEvaluator)


# -- Terminator and the callback ------------------------------------------------------------------
def _cv_quadratic(trial: hyperdial.Trial) -> float:
    x = trial.suggest_float("x", -2, 2)
    scores = [(x - 0.5) ** 2 + e for e in (-0.05, 0.0, 0.05)]
    report_cross_validation_scores(trial, scores)
    return float(np.mean(scores))


def _cv_rastrigin(trial: hyperdial.Trial) -> float:
    x = np.array([trial.suggest_float(f"x{i}", -5.12, 5.12) for i in range(4)])
    value = 40 + float(np.sum(x**2 - 10 * np.cos(2 * np.pi * x)))
    report_cross_validation_scores(trial, [value - 0.1, value, value + 0.1])
    return value


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_callback_stops_a_converged_study_soon_after_min_n_trials(direction: str) -> None:
    sign = 1.0 if direction == "minimize" else -1.0
    study = hyperdial.create_study(direction=direction, sampler=GPSampler(seed=0))
    callback = TerminatorCallback(Terminator(RegretBoundEvaluator(seed=0), min_n_trials=20))
    study.optimize(lambda t: sign * _cv_quadratic(t), n_trials=60, callbacks=[callback])
    assert 20 <= len(study.trials) <= 30  # never before min_n_trials, soon after


def test_callback_lets_a_hard_study_run_on() -> None:
    study = hyperdial.create_study(sampler=RandomSampler(seed=0))
    callback = TerminatorCallback(Terminator(RegretBoundEvaluator(seed=0), min_n_trials=20))
    study.optimize(_cv_rastrigin, n_trials=40, callbacks=[callback])
    assert len(study.trials) == 40


def test_terminator_counts_complete_trials_only() -> None:
    study = hyperdial.create_study()
    terminator = Terminator(BestValueStagnationEvaluator(0), min_n_trials=3)
    for _ in range(5):
        study.tell(study.ask(), state=TrialState.FAIL)
        study.tell(study.ask(), state=TrialState.PRUNED)
    assert not terminator.should_terminate(study)
    for _ in range(3):
        study.tell(study.ask(), 1.0)
        assert terminator.should_terminate(study) == (len(study.get_trials(
            states=(TrialState.COMPLETE,))) >= 3)  # fmt: skip


def test_default_error_evaluator_depends_on_the_improvement_evaluator() -> None:
    study = hyperdial.create_study()
    study.optimize(lambda t: 1.0, n_trials=4)
    # Stagnation pairs with a constant 0; anything else with the CV error (no scores here).
    assert Terminator(BestValueStagnationEvaluator(1), min_n_trials=1).should_terminate(study)
    study2 = hyperdial.create_study()
    study2.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        Terminator(min_n_trials=1).should_terminate(study2)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Terminator(min_n_trials=0), "min_n_trials"),
        (lambda: Terminator(min_n_trials=True), "min_n_trials"),
        (lambda: Terminator(improvement_evaluator=StaticErrorEvaluator(1)),
         "improvement_evaluator"),
        (lambda: Terminator(error_evaluator=RegretBoundEvaluator()), "error_evaluator"),
        (lambda: TerminatorCallback(terminator=object()), "terminator"),
        (lambda: RegretBoundEvaluator(top_trials_ratio=0), "top_trials_ratio"),
        (lambda: RegretBoundEvaluator(min_n_trials=-1), "min_n_trials"),
        (lambda: RegretBoundEvaluator(seed=-1), "seed"),
        (lambda: EMMREvaluator(delta=1.0), "delta"),
        (lambda: EMMREvaluator(min_n_trials=1), "min_n_trials"),
        (lambda: BestValueStagnationEvaluator(-1), "max_stagnation_trials"),
        (lambda: MedianErrorEvaluator(BestValueStagnationEvaluator(), threshold_ratio=0),
         "threshold_ratio"),
        (lambda: MedianErrorEvaluator(BestValueStagnationEvaluator(), warm_up_trials=-1),
         "warm_up_trials"),
        (lambda: MedianErrorEvaluator(StaticErrorEvaluator(1)), "paired_improvement_evaluator"),
        (lambda: StaticErrorEvaluator("0.1"), "constant"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(make: object, match: str) -> None:
    with pytest.raises((ValueError, TypeError), match=match):
        make()  # type: ignore[operator]


def test_bad_inputs_to_evaluate() -> None:
    with pytest.raises(ValueError, match="No trial is complete"):
        RegretBoundEvaluator().evaluate([create_trial(state=TrialState.FAIL)], MIN)
    with pytest.raises(ValueError, match="intersection search space is empty"):
        RegretBoundEvaluator().evaluate([create_trial(value=1.0)], MIN)
    with pytest.raises(ValueError, match="study_direction"):
        RegretBoundEvaluator().evaluate(_trials_1d(3), "minimize")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="No trial is complete"):
        BestValueStagnationEvaluator().evaluate([], MAX)
    infinite = create_trial(
        params={"x": 0.5}, distributions={"x": FloatDistribution(0, 1)}, value=math.inf
    )
    with pytest.warns(RuntimeWarning, match="infinite"):
        bound = RegretBoundEvaluator().evaluate([*_trials_1d(5), infinite], MIN)
    assert math.isfinite(bound)


def test_terminator_refuses_a_multi_objective_study() -> None:
    study = hyperdial.create_study(directions=["minimize", "minimize"])
    with pytest.raises(ValueError, match="single-objective studies only; this study has 2"):
        Terminator().should_terminate(study)


# -- plot_terminator_improvement ------------------------------------------------------------------
def _cv_study(n: int) -> hyperdial.Study:
    study = hyperdial.create_study(sampler=RandomSampler(seed=0))
    study.optimize(_cv_quadratic, n_trials=n)
    study.tell(study.ask(), state=TrialState.FAIL)
    study.optimize(_cv_quadratic, n_trials=2)
    return study


def test_plotly_plot_draws_the_evaluators_values() -> None:
    go = pytest.importorskip("plotly.graph_objects")
    study = _cv_study(6)
    evaluator = RegretBoundEvaluator(seed=0)
    fig = hyperdial.visualization.plot_terminator_improvement(
        study, plot_error=True, improvement_evaluator=evaluator, min_n_trials=4
    )
    assert isinstance(fig, go.Figure)
    light, solid, error = fig.data
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    numbers = [t.number for t in complete]
    assert list(light.x) + list(solid.x[1:]) == numbers
    assert list(light.x) == numbers[:4] and solid.x[0] == numbers[3]
    expected = [evaluator.evaluate(complete[: i + 1], MIN) for i in range(len(complete))]
    assert_allclose(list(light.y) + list(solid.y[1:]), expected)
    cv = CrossValidationErrorEvaluator()
    assert_allclose(error.y, [cv.evaluate(complete[: i + 1], MIN) for i in range(len(complete))])
    assert fig.layout.yaxis.title.text == "Terminator Improvement"


def test_matplotlib_plot_draws_one_line_per_series() -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from hyperdial.visualization.matplotlib import plot_terminator_improvement

    study = _cv_study(5)
    try:
        ax = plot_terminator_improvement(
            study, improvement_evaluator=BestValueStagnationEvaluator(3), plot_error=True,
            min_n_trials=2,
        )  # fmt: skip
        lines = ax.get_lines()
        assert len(lines) == 3
        assert lines[2].get_ydata().tolist() == [0.0] * 7  # StaticErrorEvaluator(0)
        assert ax.get_title() == "Terminator Improvement Plot"
    finally:
        plt.close("all")


def test_plots_of_studies_without_complete_trials_say_so() -> None:
    pytest.importorskip("plotly")
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    from hyperdial.visualization.matplotlib import plot_terminator_improvement

    empty = hyperdial.create_study()
    pruned = hyperdial.create_study()
    pruned.tell(pruned.ask(), state=TrialState.PRUNED)
    try:
        for study, note in ((empty, "no trials"), (pruned, "1 pruned")):
            fig = hyperdial.visualization.plot_terminator_improvement(study)
            assert note in fig.layout.annotations[0].text
            ax = plot_terminator_improvement(study)
            assert note in ax.texts[0].get_text()
    finally:
        plt.close("all")


def test_plot_errors_are_clear() -> None:
    pytest.importorskip("plotly")
    plot = hyperdial.visualization.plot_terminator_improvement
    multi = hyperdial.create_study(directions=["minimize", "maximize"])
    with pytest.raises(ValueError, match="single-objective"):
        plot(multi)
    study = hyperdial.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(ValueError, match="report_cross_validation_scores"):
        plot(study, plot_error=True)
    with pytest.raises(ValueError, match="min_n_trials"):
        plot(study, min_n_trials=0)
    with pytest.raises(TypeError, match="improvement_evaluator"):
        plot(study, improvement_evaluator=StaticErrorEvaluator(0))  # type: ignore[arg-type]

"""hyperdial.sklearn.HyperSearchCV against scikit-learn's own searches and contracts."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
scipy_stats = pytest.importorskip("scipy.stats")

from scipy.stats import expon, loguniform, norm, poisson, randint, uniform  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.exceptions import FitFailedWarning  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    KFold,
    RandomizedSearchCV,
    cross_val_score,
)
from sklearn.pipeline import Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import hyperdial  # noqa: E402
from hyperdial.distributions import (  # noqa: E402
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.pruners import ThresholdPruner, WilcoxonPruner  # noqa: E402
from hyperdial.samplers import RandomSampler  # noqa: E402
from hyperdial.sklearn import HyperSearchCV  # noqa: E402
from hyperdial.sklearn._space import QUANTILE_TAIL, SUBSPACE, build_space  # noqa: E402
from hyperdial.trial import TrialState  # noqa: E402

X, Y = load_iris(return_X_y=True)
X = StandardScaler().fit_transform(X)
EXTRA_COLUMNS = {"trial_number", "pruned"}


def _study(**kwargs: Any) -> hyperdial.Study:
    kwargs.setdefault("sampler", RandomSampler(seed=0))
    return hyperdial.create_study(direction="maximize", **kwargs)


def _assert_same_results(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    assert set(ours) == set(theirs) | EXTRA_COLUMNS
    for key, value in theirs.items():
        if key == "params":
            assert ours[key] == value
        elif key.startswith("param_"):
            assert list(ours[key]) == list(value), key
            assert np.array_equal(np.ma.getmaskarray(ours[key]), np.ma.getmaskarray(value))
        elif "time" not in key:
            np.testing.assert_array_equal(ours[key], value, err_msg=key)


def _same_candidates(search: RandomizedSearchCV) -> hyperdial.Study:
    """A study with ``search``'s candidates enqueued, in its order."""
    study = _study()
    for p in search.cv_results_["params"]:
        study.enqueue_trial(p)
    return study


def test_cv_results_match_randomized_search_on_the_same_candidates() -> None:
    dists = {"C": loguniform(1e-2, 1e2), "kernel": ["rbf", "linear"]}
    est = SVC()
    theirs = RandomizedSearchCV(est, dists, n_iter=5, cv=3, random_state=0).fit(X, Y)
    ours = HyperSearchCV(est, dists, n_trials=5, cv=3, study=_same_candidates(theirs)).fit(X, Y)
    _assert_same_results(ours.cv_results_, theirs.cv_results_)
    for attr in ("best_index_", "best_params_", "best_score_", "n_splits_", "multimetric_"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert ours.refit_time_ >= 0.0
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.score(X, Y) == theirs.score(X, Y)
    assert list(ours.cv_results_["trial_number"]) == [0, 1, 2, 3, 4]
    assert not ours.cv_results_["pruned"].any()
    # The study is told each candidate's mean test score.
    values = [t.value for t in ours.study_.trials]
    np.testing.assert_array_equal(values, ours.cv_results_["mean_test_score"])
    assert ours.study_.best_params["C"] == ours.best_params_["C"]


def test_multimetric_refit_by_name_and_by_callable() -> None:
    dists = {"C": loguniform(1e-3, 1e2)}
    est = SVC()
    scoring = {"acc": "accuracy", "f1": "f1_macro"}
    theirs = RandomizedSearchCV(
        est, dists, n_iter=4, cv=3, scoring=scoring, refit="f1", random_state=1
    ).fit(X, Y)
    ours = HyperSearchCV(
        est, dists, n_trials=4, cv=3, scoring=scoring, refit="f1", study=_same_candidates(theirs)
    ).fit(X, Y)
    _assert_same_results(ours.cv_results_, theirs.cv_results_)
    assert ours.multimetric_ and set(ours.scorer_) == {"acc", "f1"}
    assert ours.best_index_ == theirs.best_index_ and ours.best_score_ == theirs.best_score_
    # The study maximises the refit metric.
    values = [t.value for t in ours.study_.trials]
    np.testing.assert_array_equal(values, ours.cv_results_["mean_test_f1"])

    def worst_accuracy(results: dict[str, Any]) -> int:
        return int(np.argmin(results["mean_test_acc"]))

    ours = HyperSearchCV(
        est,
        dists,
        n_trials=4,
        cv=3,
        scoring=scoring,
        refit=worst_accuracy,
        study=_same_candidates(theirs),
    ).fit(X, Y)
    assert ours.best_index_ == worst_accuracy(ours.cv_results_)
    assert not hasattr(ours, "best_score_")
    # Without a metric name the study maximises the first metric.
    values = [t.value for t in ours.study_.trials]
    np.testing.assert_array_equal(values, ours.cv_results_["mean_test_acc"])
    with pytest.raises(ValueError, match="multi-metric scoring"):
        HyperSearchCV(est, dists, n_trials=2, scoring=scoring).fit(X, Y)


def test_scipy_distributions_map_to_hyperdial_spaces() -> None:
    space = build_space(
        {
            "u": uniform(1, 2),
            "lu": loguniform(1e-3, 1.0),
            "ri": randint(2, 7),
            "n": norm(0, 1),
            "p": poisson(3),
            "e": expon(),
            "shifted": loguniform(1e-3, 1.0, loc=1.0),
        }
    )
    (params,) = space.subspaces
    by = {p.name: p for p in params}
    assert by["u"].distribution == FloatDistribution(1.0, 3.0)
    assert by["lu"].distribution == FloatDistribution(1e-3, 1.0, log=True)
    assert by["ri"].distribution == IntDistribution(2, 6)
    # Other distributions are searched by quantile, within the central mass at unbounded ends.
    assert by["n"].distribution == FloatDistribution(QUANTILE_TAIL, 1 - QUANTILE_TAIL)
    assert by["n"].decode(0.5) == 0.0
    assert by["e"].distribution == FloatDistribution(0.0, 1 - QUANTILE_TAIL)
    assert by["p"].decode(0.0) == 0 and isinstance(by["p"].decode(0.5), int)
    assert by["p"].decode(0.5) == int(poisson(3).ppf(0.5))
    # A shifted loguniform is not log-uniform in the value.
    assert by["shifted"].distribution == FloatDistribution(0.0, 1.0)
    assert by["shifted"].decode(0.0) == pytest.approx(1.001)


def test_scipy_distributions_sample_within_their_support() -> None:
    dists = {"alpha": expon(scale=2.0), "max_iter": randint(50, 60), "tol": uniform(1e-4, 1e-3)}
    search = HyperSearchCV(
        Ridge(), dists, n_trials=6, cv=2, sampler=RandomSampler(seed=3), refit=False
    ).fit(X, Y)
    for p in search.cv_results_["params"]:
        assert 0.0 <= p["alpha"] <= float(expon(scale=2.0).ppf(1 - QUANTILE_TAIL))
        assert isinstance(p["max_iter"], int) and 50 <= p["max_iter"] <= 59
        assert 1e-4 <= p["tol"] <= 1.1e-3
    quantiles = [t.params["alpha"] for t in search.study_.trials]
    alphas = [p["alpha"] for p in search.cv_results_["params"]]
    np.testing.assert_allclose(alphas, expon(scale=2.0).ppf(quantiles))


def test_lists_of_estimators_and_conditional_spaces_in_a_pipeline() -> None:
    scalers = [StandardScaler(), MinMaxScaler(), "passthrough"]
    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    search = HyperSearchCV(
        pipe,
        {"scale": scalers, "clf__C": [0.1, 1.0]},
        n_trials=4,
        cv=2,
        sampler=RandomSampler(seed=0),
    ).fit(X, Y)
    # The study searches estimators by index; the candidates are the objects of the list.
    assert search.study_.trials[0].distributions["scale"] == CategoricalDistribution([0, 1, 2])
    assert search.study_.trials[0].distributions["clf__C"] == CategoricalDistribution([0.1, 1.0])
    for p in search.cv_results_["params"]:
        assert any(p["scale"] is s for s in scalers)

    space = [
        {"clf": [SVC()], "clf__C": loguniform(1e-2, 1e2)},
        {"clf": [DecisionTreeClassifier(random_state=0)], "clf__max_depth": randint(1, 4)},
    ]
    study = _study()
    study.enqueue_trial({SUBSPACE: 0, "clf[0]": 0, "clf__C": 1.0})
    study.enqueue_trial({SUBSPACE: 1, "clf[1]": 0, "clf__max_depth": 2})
    search = HyperSearchCV(pipe, space, n_trials=4, cv=2, study=study).fit(X, Y)
    first, second = search.cv_results_["params"][:2]
    assert isinstance(first["clf"], SVC) and first["clf__C"] == 1.0
    assert isinstance(second["clf"], DecisionTreeClassifier) and second["clf__max_depth"] == 2
    assert np.ma.getmaskarray(search.cv_results_["param_clf__C"])[1]
    assert set(study.trials[1].params) == {SUBSPACE, "clf[1]", "clf__max_depth"}


def test_pruned_candidates_keep_the_folds_they_ran() -> None:
    cv = KFold(5, shuffle=True, random_state=0)
    study = _study(pruner=ThresholdPruner(lower=0.6))
    study.enqueue_trial({"C": 1.0})
    study.enqueue_trial({"C": 1e-4})  # mostly one class: worse on every fold but one
    search = HyperSearchCV(
        SVC(), {"C": loguniform(1e-4, 1e2)}, n_trials=2, cv=cv, study=study
    ).fit(X, Y)
    res = search.cv_results_
    assert list(res["pruned"]) == [False, True]
    assert np.isfinite(res["split0_test_score"][1])
    assert all(np.isnan(res[f"split{k}_test_score"][1]) for k in range(1, 5))
    assert np.isnan(res["mean_test_score"][1]) and res["rank_test_score"][1] == 2
    assert search.best_index_ == 0
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED]
    # Other pruners see the running mean of the folds.
    assert study.trials[0].intermediate_values[4] == pytest.approx(res["mean_test_score"][0])


def test_wilcoxon_pruner_compares_fold_scores() -> None:
    cv = KFold(5, shuffle=True, random_state=0)
    study = _study(pruner=WilcoxonPruner(p_threshold=0.1))
    study.enqueue_trial({"C": 1.0})
    study.enqueue_trial({"C": 1e-4})
    search = HyperSearchCV(
        SVC(), {"C": loguniform(1e-4, 1e2)}, n_trials=2, cv=cv, study=study
    ).fit(X, Y)
    res = search.cv_results_
    # Worse on each of the first four folds: one-sided p = 2**-4 < 0.1 after the fourth.
    assert list(res["pruned"]) == [False, True]
    ran = [k for k in range(5) if np.isfinite(res[f"split{k}_test_score"][1])]
    assert ran == [0, 1, 2, 3]
    for row, trial in enumerate(study.trials):
        for k, v in trial.intermediate_values.items():
            assert v == res[f"split{k}_test_score"][row]


def test_failed_candidates_do_not_end_the_search() -> None:
    study = _study()
    study.enqueue_trial({"alpha": 1.0})
    study.enqueue_trial({"alpha": -1.0})  # Ridge refuses a negative alpha: every fit fails
    search = HyperSearchCV(Ridge(), {"alpha": [1.0, -1.0]}, n_trials=2, cv=2, study=study)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, Y)
    assert {w.category for w in caught} == {FitFailedWarning, UserWarning}  # as sklearn warns
    assert np.isnan(search.cv_results_["mean_test_score"][1]) and search.best_index_ == 0
    assert study.trials[1].state == TrialState.FAIL
    with pytest.raises(ValueError, match="alpha"):
        HyperSearchCV(Ridge(), {"alpha": [-1.0]}, n_trials=1, cv=2, error_score="raise").fit(X, Y)


def test_fitted_search_pickles_with_its_trials() -> None:
    search = HyperSearchCV(
        SVC(), {"C": loguniform(1e-2, 1e2)}, n_trials=4, cv=2, random_state=0
    ).fit(X, Y)
    again = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(again.predict(X), search.predict(X))
    _assert_same_results(
        again.cv_results_, {k: v for k, v in search.cv_results_.items() if k not in EXTRA_COLUMNS}
    )
    assert [t.params for t in again.study_.trials] == [t.params for t in search.study_.trials]
    assert again.study_.best_value == search.study_.best_value


def test_a_search_with_its_own_study_and_sampler_pickles_and_clones() -> None:
    study = _study()
    search = HyperSearchCV(Ridge(), {"alpha": uniform(0, 1)}, n_trials=3, cv=2, study=study)
    again = pickle.loads(pickle.dumps(search.fit(X, Y)))
    assert again.study is again.study_  # one study before pickling, one after
    assert [t.params for t in again.study_.trials] == [t.params for t in study.trials]
    tpe = HyperSearchCV(
        Ridge(),
        {"alpha": uniform(0, 1)},
        n_trials=3,
        cv=2,
        sampler=hyperdial.samplers.TPESampler(seed=0),
    )
    first = clone(tpe).fit(X, Y).cv_results_["params"]
    assert clone(tpe).fit(X, Y).cv_results_["params"] == first


def test_random_state_makes_the_search_reproducible() -> None:
    dists = {"C": loguniform(1e-3, 1e3), "gamma": loguniform(1e-3, 1e1)}

    def params(seed: int) -> list[dict[str, Any]]:
        search = HyperSearchCV(SVC(), dists, n_trials=6, cv=2, random_state=seed, refit=False)
        return list(search.fit(X, Y).cv_results_["params"])

    first = params(0)
    assert params(0) == first  # the GP proposes trials 4-6 (3 random starting trials)
    assert params(1) != first


def test_clone_pipeline_and_nested_cross_validation() -> None:
    search = HyperSearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_trials=3, cv=2, random_state=0)
    copy = clone(search)
    assert copy.get_params(deep=False).keys() == search.get_params(deep=False).keys()
    assert (copy.n_trials, copy.random_state, copy.cv) == (3, 0, 2)
    pipe = make_pipeline(StandardScaler(), search).fit(X, Y)
    assert pipe.score(X, Y) > 0.8
    assert pipe[-1] is search and len(search.study_.trials) == 3
    unfitted = clone(search)
    scores = cross_val_score(unfitted, X, Y, cv=KFold(3, shuffle=True, random_state=0))
    assert scores.shape == (3,) and np.all(scores > 0.8)
    assert not hasattr(unfitted, "study_")  # cross_val_score fitted clones


def test_callbacks_see_each_trial_and_can_stop_the_search() -> None:
    seen: list[int] = []

    def stop_after_two(study: hyperdial.Study, trial: hyperdial.FrozenTrial) -> None:
        seen.append(trial.number)
        if len(seen) == 2:
            study.stop()

    search = HyperSearchCV(
        Ridge(), {"alpha": uniform(0, 1)}, n_trials=5, cv=2, callbacks=[stop_after_two]
    ).fit(X, Y)
    assert seen == [0, 1] and len(search.cv_results_["params"]) == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"param_distributions": {"alpha": "abc"}}, TypeError, r"\['alpha'\].*allowed"),
        ({"param_distributions": {"alpha": []}}, ValueError, r"\['alpha'\] is an empty list"),
        ({"param_distributions": []}, ValueError, "empty list"),
        ({"param_distributions": [{"alpha": [1.0]}, 3]}, TypeError, r"\[1\] must be a dict"),
        ({"param_distributions": {"alpha": np.ones((2, 2))}}, ValueError, "1-d array"),
        ({"param_distributions": 5}, ValueError, "param_distributions"),
        ({"n_trials": 0}, ValueError, "n_trials"),
        ({"timeout": 0}, ValueError, "timeout"),
        ({"sampler": "gp"}, ValueError, "sampler"),
        ({"study": hyperdial.create_study()}, ValueError, "direction='maximize'"),
        ({"study": _study(), "sampler": RandomSampler()}, ValueError, "leave `sampler`"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, Any], error: type, match: str) -> None:
    kwargs.setdefault("param_distributions", {"alpha": [1.0]})
    with pytest.raises(error, match=match):
        HyperSearchCV(Ridge(), **kwargs).fit(X, Y)


def test_an_rvs_object_that_is_not_scipy_is_refused() -> None:
    class Draws:
        def rvs(self, random_state: Any = None) -> float:
            return 0.5

    with pytest.raises(TypeError, match=r"\['alpha'\] has `rvs` but is not a frozen scipy"):
        HyperSearchCV(Ridge(), {"alpha": Draws()}).fit(X, Y)


# The configurations scikit-learn runs its common checks on for RandomizedSearchCV
# (sklearn/utils/_test_common/instance_generator.py).
_CHECK_CONFIGS = [
    (Ridge(), {"alpha": [0.1, 1.0]}),
    (LogisticRegression(), {"C": [0.1, 1.0]}),
    (Pipeline([("pca", PCA()), ("ridge", Ridge())]), {"ridge__alpha": [0.1, 1.0]}),
    (
        Pipeline([("pca", PCA()), ("logisticregression", LogisticRegression())]),
        {"logisticregression__C": [0.1, 1.0]},
    ),
]


def _failed_checks(estimator: Any) -> set[str]:
    from sklearn.utils.estimator_checks import check_estimator
    from threadpoolctl import threadpool_limits

    # One BLAS thread: the checks fit hundreds of tiny models, and BLAS threads that wait for
    # each other at every L-BFGS step cost far more than they save on data this small.
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore")
        results = check_estimator(estimator, on_fail=None, on_skip=None)
    return {r["check_name"] for r in results if r["status"] == "failed"}


@pytest.mark.slow
@pytest.mark.parametrize(("estimator", "dists"), _CHECK_CONFIGS)
def test_check_estimator_passes_what_randomized_search_passes(
    estimator: Any, dists: dict[str, Any]
) -> None:
    kwargs = {"cv": 2, "error_score": "raise", "param_distributions": dists, "random_state": 0}
    ours = _failed_checks(HyperSearchCV(clone(estimator), n_trials=2, **kwargs))
    if ours:  # RandomizedSearchCV's own checks are needed only to excuse a failure of ours
        theirs = _failed_checks(RandomizedSearchCV(clone(estimator), **kwargs))
        assert ours <= theirs

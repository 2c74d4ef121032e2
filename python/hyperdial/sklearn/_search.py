"""HyperSearchCV: scikit-learn's hyperparameter search estimator driven by a hyperdial study."""

from __future__ import annotations

import contextlib
import logging
import numbers
import pickle
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import _fit_context, clone, is_classifier
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection import check_cv
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, indexable

from hyperdial import logging as _hd_logging
from hyperdial._direction import StudyDirection
from hyperdial.exceptions import TrialPruned
from hyperdial.pruners import BasePruner, WilcoxonPruner
from hyperdial.pruners._base import NopPruner
from hyperdial.samplers import BaseSampler, GPSampler
from hyperdial.sklearn._space import build_space
from hyperdial.study import Study, create_study
from hyperdial.trial import FrozenTrial, Trial

__all__ = ["HyperSearchCV"]

_NON_FINITE = r"One or more of the (test|train) scores are non-finite"


def _default_sampler(n_trials: int, random_state: Any) -> BaseSampler:
    """The GP sampler, seeded from ``random_state``, with a quarter of the budget (3 to 10
    trials) as its random start: GPSampler's own default start of 10 would leave nothing to
    the model at scikit-learn's usual budgets of 10-30 candidates. Other starts, a fixed-noise
    GP and UCB are compared in bench/HISTORY.md ("HyperSearchCV's defaults")."""
    if random_state is None:
        seed = None
    elif isinstance(random_state, numbers.Integral):
        seed = int(random_state)
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    n_startup = min(10, max(3, n_trials // 4))
    return GPSampler(seed=seed, n_startup_trials=n_startup, max_trials=1000, max_dims=32)


@contextlib.contextmanager
def _quiet(verbose: int) -> Iterator[None]:
    """With ``verbose=0`` the study logs errors only, as scikit-learn's searches print nothing
    then: a failed candidate already shows as a ``FitFailedWarning`` and in ``cv_results_``,
    and an error with ``error_score="raise"`` reaches the caller."""
    old = _hd_logging.get_verbosity()
    if verbose > 0 or old >= logging.ERROR:
        yield
        return
    _hd_logging.set_verbosity(logging.ERROR)
    try:
        yield
    finally:
        _hd_logging.set_verbosity(old)


def _metric_of(out: list[dict[str, Any]], refit: Any) -> str | None:
    """The metric the study maximises, from a candidate's fold records: None for one metric;
    for several, the ``refit`` metric when it names one, else the first. (A failed fit's
    scores are a bare ``error_score`` even with a callable multi-metric scorer.)"""
    for o in out:
        test_scores = o["test_scores"]
        if isinstance(test_scores, dict):
            if isinstance(refit, str) and refit in test_scores:
                return refit
            return str(next(iter(test_scores)))
    return None


def _fold_score(out: dict[str, Any], metric: str | None) -> float:
    s = out["test_scores"]
    if isinstance(s, dict):
        s = s[metric] if metric is not None else next(iter(s.values()))
    return float(s)


def _unrun_fold(template: dict[str, Any], n_test: int) -> dict[str, Any]:
    """The record of a fold a pruned candidate never ran: NaN scores, zero time."""

    def nan_like(s: Any) -> Any:
        return dict.fromkeys(s, np.nan) if isinstance(s, dict) else np.nan

    out = {
        "fit_error": None,
        "test_scores": nan_like(template["test_scores"]),
        "n_test_samples": n_test,
        "fit_time": 0.0,
        "score_time": 0.0,
    }
    if "train_scores" in template:
        out["train_scores"] = nan_like(template["train_scores"])
    return out


class _StudySnapshot:
    """A study's trials and attributes, for pickling a fitted search whose study cannot be
    pickled itself; unpickling rebuilds it as an in-memory study."""

    def __init__(self, study: Study) -> None:
        self.study_name = study.study_name
        self.trials = study.trials
        self.user_attrs = study.user_attrs
        self.sampler: BaseSampler | None = study.sampler
        self.pruner: BasePruner | None = study.pruner
        for attr in ("sampler", "pruner"):
            try:
                pickle.dumps(getattr(self, attr))
            except (TypeError, AttributeError, pickle.PicklingError):
                setattr(self, attr, None)

    def restore(self) -> Study:
        study = create_study(
            direction="maximize",
            study_name=self.study_name,
            sampler=self.sampler,
            pruner=self.pruner,
        )
        study.add_trials(self.trials)
        for k, v in self.user_attrs.items():
            study.set_user_attr(k, v)
        return study


class HyperSearchCV(BaseSearchCV):  # type: ignore[misc]
    """Hyperparameter search by a hyperdial study (GP by default) with cross-validation.

    A scikit-learn meta-estimator built on scikit-learn's ``BaseSearchCV``: it takes the
    arguments of :class:`~sklearn.model_selection.RandomizedSearchCV` (``n_iter`` is called
    ``n_trials``) and gives the same attributes with the same meaning (``cv_results_``,
    ``best_index_``, ``best_params_``, ``best_score_``, ``best_estimator_``, ``refit_time_``,
    ``multimetric_``, ``n_splits_``, ``scorer_``), plus ``study_``. Each candidate is one trial
    of the study: the sampler proposes it from the results of the earlier ones, its folds run
    in parallel with joblib (``n_jobs``), and the study is told the mean test score.

    **param_distributions** is a dict of parameter names to search spaces, or a list of such
    dicts (a conditional space: each candidate first picks one dict, recorded in the study as
    the categorical ``"[subspace]"``; a name that dicts give different spaces becomes
    ``"name[i]"`` in the study). A space is

    - a hyperdial distribution (:class:`~hyperdial.FloatDistribution`,
      :class:`~hyperdial.IntDistribution`, :class:`~hyperdial.CategoricalDistribution`);
    - a frozen scipy.stats distribution: ``uniform(loc, scale)`` becomes
      ``FloatDistribution(loc, loc + scale)``, ``loguniform(a, b)`` ``FloatDistribution(a, b,
      log=True)``, ``randint(low, high)`` ``IntDistribution(low, high - 1)``; any other is
      searched by its quantile ``q`` (a ``FloatDistribution`` on ``[0, 1]``, or on
      ``[0.001, 0.999]`` at an unbounded end) with the value ``ppf(q)`` (an int for a discrete
      distribution), so that random sampling draws from that distribution, as
      ``RandomizedSearchCV`` does, and the study records the quantile;
    - a list (or 1-d array) of values, each equally likely: plain distinct values (str, int,
      float, bool, None) are recorded in the study as they are, anything else (estimators for
      a pipeline step, tuples, repeated values) by its index in the list. The estimator always
      receives the object from the list.

    **Pruning**: with a pruner (``pruner=`` or the pruner of ``study=``), the folds are its
    steps: a candidate's folds run one after another (``n_jobs`` is then unused) and the trial
    reports after each fold (to :class:`~hyperdial.pruners.WilcoxonPruner` the fold's score,
    as it compares instances, to any other pruner the mean score of the folds so far); a
    pruned candidate stops. It stays in ``cv_results_`` with NaN for the folds it did not run
    (so its mean is NaN and it ranks last), zero ``fit_time``/``score_time`` for them, and
    ``True`` in the ``pruned`` column.

    ``cv_results_`` has two columns beyond ``RandomizedSearchCV``'s: ``trial_number`` (the
    study's trial of each candidate) and ``pruned``. All candidates use the same splits
    (``cv.split`` is called once per ``fit``). A candidate whose mean score is NaN (its fits
    failed, with a numeric ``error_score``) is a FAIL trial of the study; with
    ``error_score="raise"`` the error ends the search.

    Args:
        estimator: The estimator (or pipeline) to tune.
        param_distributions: The search space, as above.
        n_trials: Candidates to evaluate, at least 1 (fewer if ``timeout`` passes first).
        scoring: As in ``RandomizedSearchCV``: None (the estimator's ``score``), a scorer
            name, a callable, or a list/tuple/dict of them for multi-metric scoring. The study
            maximises the ``refit`` metric (the first metric if ``refit`` is not a name).
        cv: Splitter, number of folds, or iterable of splits (as in scikit-learn).
        refit: Refit the best candidate on all data: a bool, a metric name (multi-metric),
            or a callable taking ``cv_results_`` and returning the best index.
        n_jobs: Folds run at once (joblib); None means one.
        sampler: A hyperdial sampler; None means a GPSampler seeded from ``random_state``.
        pruner: A hyperdial pruner (see Pruning); None means no pruning.
        study: A single-objective study with ``direction="maximize"`` to run the trials in
            (its sampler and pruner are used, so ``sampler`` and ``pruner`` must be None).
            ``cv_results_`` holds this fit's candidates only. None: a new in-memory study.
        timeout: Seconds after which no new candidate starts; None means no limit.
        random_state: Seed of the default sampler (int, RandomState or None).
        error_score: Score of a fit that raised, or ``"raise"``.
        return_train_score: Also record training scores.
        verbose: scikit-learn's verbosity; at 0 the study logs errors only (no per-trial lines).
        callbacks: hyperdial study callbacks, ``callback(study, frozen_trial)`` after each
            candidate (e.g. :class:`~hyperdial.study.MaxTrialsCallback`).

    Attributes:
        study_: The study the trials ran in. Pickling a fitted search keeps its trials; if
            the study itself cannot be pickled, unpickling rebuilds it in memory with the
            same trials (and the sampler and pruner if those can be pickled).

    Example:
        >>> from scipy.stats import loguniform
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.svm import SVC
        >>> from hyperdial.sklearn import HyperSearchCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = HyperSearchCV(
        ...     SVC(), {"C": loguniform(1e-2, 1e2), "kernel": ["rbf", "linear"]},
        ...     n_trials=8, cv=3, random_state=0,
        ... ).fit(X, y)
        >>> len(search.cv_results_["params"]), bool(search.best_score_ > 0.9)
        (8, True)
    """

    _parameter_constraints: ClassVar[dict[str, Any]] = {
        **{k: v for k, v in BaseSearchCV._parameter_constraints.items() if k != "pre_dispatch"},
        "param_distributions": [dict, list],
        "n_trials": [Interval(numbers.Integral, 1, None, closed="left")],
        "sampler": [BaseSampler, None],
        "pruner": [BasePruner, None],
        "study": [Study, None],
        "timeout": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "random_state": ["random_state"],
        "callbacks": [list, tuple, None],
    }

    #: joblib's dispatch of fold fits (``BaseSearchCV``'s default; not a parameter here).
    pre_dispatch = "2*n_jobs"

    def __init__(
        self,
        estimator: Any,
        param_distributions: dict[str, Any] | list[dict[str, Any]],
        *,
        n_trials: int = 10,
        scoring: Any = None,
        cv: Any = None,
        refit: bool | str | Callable[[dict[str, Any]], int] = True,
        n_jobs: int | None = None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        study: Study | None = None,
        timeout: float | None = None,
        random_state: Any = None,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
        callbacks: Sequence[Callable[[Study, FrozenTrial], None]] | None = None,
    ) -> None:
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        del self.pre_dispatch  # a class attribute here, not a parameter
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        self.sampler = sampler
        self.pruner = pruner
        self.study = study
        self.timeout = timeout
        self.random_state = random_state
        self.callbacks = callbacks

    def _make_study(self) -> Study:
        if self.study is None:
            sampler = self.sampler
            if sampler is None:
                sampler = _default_sampler(self.n_trials, self.random_state)
            return create_study(direction="maximize", sampler=sampler, pruner=self.pruner)
        if self.study.directions != [StudyDirection.MAXIMIZE]:
            raise ValueError(
                "`study` must be a single-objective study with direction='maximize' "
                "(scikit-learn scores are greater-is-better), got directions "
                f"{[d.name for d in self.study.directions]}."
            )
        if self.sampler is not None or self.pruner is not None:
            raise ValueError(
                "With `study`, the study's own sampler and pruner are used: give them to "
                "`create_study` and leave `sampler` and `pruner` None."
            )
        return self.study

    def _run_search(self, evaluate_candidates: Callable[..., Any]) -> None:
        """Not used: :meth:`fit` runs the study itself (see there why)."""
        raise NotImplementedError("HyperSearchCV.fit drives the search itself.")

    @_fit_context(prefer_skip_nested_validation=False)  # type: ignore[untyped-decorator]
    def fit(self, X: Any, y: Any = None, **params: Any) -> HyperSearchCV:
        """Runs ``n_trials`` candidates, then refits the best one on all of ``X``.

        ``BaseSearchCV.fit`` hands ``_run_search`` a function that evaluates a batch of
        candidates and raises when every fit of the batch fails; a sequential search gives it
        one candidate at a time, so a single failing candidate (e.g. an invalid combination in
        a conditional space) would end the search, and pruning needs the folds one by one. So
        this ``fit`` runs the folds with the same ``_fit_and_score`` and builds the results
        with ``BaseSearchCV._format_results`` and ``_select_best_index``: it raises, as
        ``RandomizedSearchCV`` does, only when every fit of the search failed.

        Args:
            X: Training data.
            y: Targets (None for unsupervised estimators).
            **params: Passed to the estimator's ``fit``, the scorer and the splitter, as in
                ``BaseSearchCV.fit`` (``groups`` goes to the splitter).

        Returns:
            self
        """
        space = build_space(self.param_distributions)
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        n_splits = cv.get_n_splits(X, y, **routed.splitter.split)
        splits = list(cv.split(X, y, **routed.splitter.split))
        if len(splits) != n_splits:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. "
                f"Expected {n_splits} splits, got {len(splits)}"
            )
        self.n_splits_ = n_splits
        study = self._make_study()
        self.study_ = study
        base = clone(self.estimator)
        fit_kwargs = {
            "scorer": scorers,
            "fit_params": routed.estimator.fit,
            "score_params": routed.scorer.score,
            "return_train_score": self.return_train_score,
            "return_n_test_samples": True,
            "return_times": True,
            "return_parameters": False,
            "error_score": self.error_score,
            "verbose": self.verbose,
        }
        candidates: list[dict[str, Any]] = []
        outs: list[list[dict[str, Any]]] = []
        numbers_: list[int] = []
        pruned: list[bool] = []
        pruning = not isinstance(study.pruner, NopPruner)
        per_fold = isinstance(study.pruner, WilcoxonPruner)

        def fold_kwargs(p: dict[str, Any], k: int, idx: int) -> dict[str, Any]:
            train, test = splits[k]
            return {
                "train": train,
                "test": test,
                "parameters": p,
                "split_progress": (k, n_splits),
                "candidate_progress": (idx, self.n_trials),
                **fit_kwargs,
            }

        with Parallel(n_jobs=self.n_jobs, pre_dispatch=self.pre_dispatch) as parallel:

            def objective(trial: Trial) -> float:
                p = space.sample(trial)
                idx = len(candidates)
                out: list[dict[str, Any]] = []
                candidates.append(p)
                outs.append(out)
                numbers_.append(trial.number)
                pruned.append(False)
                if not pruning:
                    out.extend(
                        parallel(
                            delayed(_fit_and_score)(clone(base), X, y, **fold_kwargs(p, k, idx))
                            for k in range(n_splits)
                        )
                    )
                    metric = _metric_of(out, self.refit)
                    return float(np.mean([_fold_score(o, metric) for o in out]))
                scores: list[float] = []
                for k in range(n_splits):
                    out.append(_fit_and_score(clone(base), X, y, **fold_kwargs(p, k, idx)))
                    metric = _metric_of(out, self.refit)
                    scores.append(_fold_score(out[-1], metric))
                    trial.report(scores[-1] if per_fold else float(np.mean(scores)), k)
                    if k < n_splits - 1 and trial.should_prune():
                        pruned[idx] = True
                        raise TrialPruned(f"pruned after fold {k}")
                return float(np.mean(scores))

            with _quiet(self.verbose):
                study.optimize(
                    objective,
                    n_trials=self.n_trials,
                    timeout=self.timeout,
                    callbacks=list(self.callbacks or []),
                )

        real = [o for out in outs for o in out]
        if not real:
            raise ValueError(
                "No fits were performed: the study stopped before the first candidate "
                "(a finished sampler, or a callback that stopped it)."
            )
        _warn_or_raise_about_fit_failures(real, self.error_score)
        if callable(self.scoring):
            _insert_error_scores(real, self.error_score)
        padded: list[dict[str, Any]] = []
        for out in outs:
            padded.extend(out)
            padded.extend(
                _unrun_fold(out[0], len(splits[k][1])) for k in range(len(out), n_splits)
            )
        with warnings.catch_warnings():
            if any(pruned):
                warnings.filterwarnings("ignore", message=_NON_FINITE, category=UserWarning)
            results = self._format_results(
                candidates, n_splits, padded, {"trial_number": numbers_, "pruned": pruned}
            )
        if any(pruned):
            for key in [k for k in results if k.startswith(("mean_test_", "mean_train_"))]:
                kept = results[key][~results["pruned"]]
                if not np.all(np.isfinite(kept)):
                    warnings.warn(
                        f"One or more of the {key.split('_')[1]} scores are non-finite: {kept}",
                        category=UserWarning,
                        stacklevel=2,
                    )

        self.multimetric_ = isinstance(real[0]["test_scores"], dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(real[0]["test_scores"])
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            # Parameters may be estimators (a pipeline step searched over a list): clone them.
            self.best_estimator_ = clone(base).set_params(**clone(self.best_params_, safe=False))
            start = time.time()
            if y is not None:
                self.best_estimator_.fit(X, y, **routed.estimator.fit)
            else:
                self.best_estimator_.fit(X, **routed.estimator.fit)
            self.refit_time_ = time.time() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_
        self.scorer_ = scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers
        self.cv_results_ = results
        return self

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        snapshots: dict[int, _StudySnapshot] = {}
        for key in ("study", "study_"):
            study = state.get(key)
            if study is None or id(study) in snapshots:
                if study is not None:
                    state[key] = snapshots[id(study)]
                continue
            try:
                pickle.dumps(study)
            except (TypeError, AttributeError, pickle.PicklingError):
                snapshots[id(study)] = state[key] = _StudySnapshot(study)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        restored: dict[int, Study] = {}
        for key in ("study", "study_"):
            snap = state.get(key)
            if isinstance(snap, _StudySnapshot):
                if id(snap) not in restored:
                    restored[id(snap)] = snap.restore()
                state[key] = restored[id(snap)]
        super().__setstate__(state)

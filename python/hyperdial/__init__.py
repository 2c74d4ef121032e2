"""hyperdial: fast hyperparameter optimisation with a C++ core.

The API follows the conventions of Optuna, so switching is one import line::

    import hyperdial

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        return (x - 2) ** 2

    study = hyperdial.create_study()
    study.optimize(objective, n_trials=50)
    print(study.best_params)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# numpy first: imported after hyperdial's own modules, numpy's typing module is much slower to
# build, a large share of what `import hyperdial` costs (bench/import_time.py measures it).
import numpy as _numpy  # noqa: F401

from hyperdial import distributions, exceptions, logging, pruners, samplers, storages, trial
from hyperdial.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from hyperdial.exceptions import NumericalError, TrialPruned
from hyperdial.study import (
    Study,
    StudyDirection,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)
from hyperdial.trial import FixedTrial, FrozenTrial, Trial, TrialState, create_trial

if TYPE_CHECKING:
    from hyperdial.study import get_all_study_summaries

__all__ = [
    "CategoricalDistribution",
    "FixedTrial",
    "FloatDistribution",
    "FrozenTrial",
    "IntDistribution",
    "NumericalError",
    "Study",
    "StudyDirection",
    "Trial",
    "TrialPruned",
    "TrialState",
    "__version__",
    "artifacts",
    "copy_study",
    "create_study",
    "create_trial",
    "delete_study",
    "distributions",
    "exceptions",
    "get_all_study_names",
    "get_all_study_summaries",
    "importance",
    "load_study",
    "logging",
    "pruners",
    "samplers",
    "search_space",
    "storages",
    "terminator",
    "trial",
    "visualization",
]


def __getattr__(name: str) -> Any:
    # importlib.metadata costs milliseconds, so the version is looked up on first use only.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("hyperdial")
        except PackageNotFoundError:  # running from a source tree
            v = "0.0.0+unknown"
        globals()["__version__"] = v
        return v
    if name == "get_all_study_summaries":  # imported on first use, as in hyperdial.study
        from hyperdial.study import get_all_study_summaries

        globals()[name] = get_all_study_summaries
        return get_all_study_summaries
    # imported on first use
    if name in (
        "artifacts",
        "importance",
        "integration",
        "search_space",
        "terminator",
        "visualization",
    ):
        import importlib

        module = importlib.import_module(f"hyperdial.{name}")
        globals()[name] = module
        return module
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

"""Run a Ray Tune search whose configurations come from hyperdial's GP sampler.

A small multilayer perceptron on scikit-learn's digits, trained for a few epochs per trial
and reported to Tune after each; Ray's ASHA scheduler stops the unpromising trials early and
HyperdialSearch proposes the next configurations. A local Ray cluster with two CPUs (started
here); under a minute on two idle cores, most of it Ray's own start-up and per-trial overhead:

    pip install ".[examples,ray]" && python examples/ray_tune.py
"""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import ray
from ray import tune
from ray.tune.schedulers import ASHAScheduler

from hyperdial.integration.ray import HyperdialSearch


def train_mlp(config: dict[str, Any]) -> None:
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_valid, y_train, y_valid = train_test_split(X / 16.0, y, random_state=0)
    model = MLPClassifier(
        hidden_layer_sizes=(config["width"],),
        alpha=config["alpha"],
        learning_rate_init=config["optimizer"]["lr"],
        batch_size=64,
        random_state=0,
    )
    classes = np.unique(y)
    for _epoch in range(8):
        model.partial_fit(X_train, y_train, classes=classes)
        tune.report({"accuracy": model.score(X_valid, y_valid)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-samples", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    search = HyperdialSearch(seed=args.seed)
    tuner = tune.Tuner(
        train_mlp,
        param_space={
            "width": tune.lograndint(16, 256),
            "alpha": tune.loguniform(1e-6, 1e-1),
            "optimizer": {"lr": tune.loguniform(1e-4, 1e-1)},
        },
        tune_config=tune.TuneConfig(
            search_alg=search,
            scheduler=ASHAScheduler(max_t=8, grace_period=2),
            metric="accuracy",
            mode="max",
            num_samples=args.num_samples,
        ),
        run_config=tune.RunConfig(verbose=0),
    )
    best = tuner.fit().get_best_result(metric="accuracy", mode="max", scope="all")
    print(f"best accuracy {best.metrics['accuracy']:.4f} with {best.config}")
    study = search.study
    states = [t.state.name for t in study.trials]
    print(
        f"the hyperdial study behind it: {len(states)} trials, "
        f"{states.count('COMPLETE')} complete; best value {study.best_value:.4f}"
    )
    ray.shutdown()


if __name__ == "__main__":
    main()

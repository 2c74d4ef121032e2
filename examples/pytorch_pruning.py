"""Pruning a PyTorch training loop with hyperdial — the pattern for any framework.

A small multilayer perceptron on scikit-learn's digits data, trained for a few epochs per
trial on the CPU. After every epoch the loop reports the validation accuracy and asks the
pruner whether to stop: that is all a framework needs (the same three lines work in a Keras
callback's ``on_epoch_end`` or a hand-written JAX loop). Runs in well under a minute:

    pip install ".[examples]" torch && python examples/pytorch_pruning.py

The pattern::

    for epoch in range(n_epochs):
        train_one_epoch(...)
        score = evaluate(...)
        trial.report(score, epoch)          # 1. report
        if trial.should_prune():            # 2. ask
            raise hyperdial.TrialPruned()   # 3. stop (the trial becomes PRUNED)
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import hyperdial


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)

    X, y = load_digits(return_X_y=True)
    X_tr, X_va, y_tr, y_va = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=args.seed, stratify=y
    )
    X_tr_t, X_va_t = (
        torch.tensor(X_tr, dtype=torch.float32),
        torch.tensor(X_va, dtype=torch.float32),
    )
    y_tr_t, y_va_t = torch.tensor(y_tr), torch.tensor(y_va)

    def objective(trial: hyperdial.Trial) -> float:
        torch.manual_seed(args.seed + trial.number)
        width = trial.suggest_int("width", 16, 256, log=True)
        dropout = trial.suggest_float("dropout", 0.0, 0.5)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        optimizer_name = trial.suggest_categorical("optimizer", ["adam", "sgd"])
        model = torch.nn.Sequential(
            torch.nn.Linear(64, width),
            torch.nn.ReLU(),
            torch.nn.Dropout(dropout),
            torch.nn.Linear(width, 10),
        )
        if optimizer_name == "adam":
            optimizer: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        else:
            momentum = trial.suggest_float("momentum", 0.0, 0.99)
            optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
        loss_fn = torch.nn.CrossEntropyLoss()
        accuracy = 0.0
        for epoch in range(args.epochs):
            model.train()
            for idx in torch.randperm(len(X_tr_t)).split(64):
                optimizer.zero_grad()
                loss_fn(model(X_tr_t[idx]), y_tr_t[idx]).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                accuracy = (model(X_va_t).argmax(dim=1) == y_va_t).float().mean().item()
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise hyperdial.TrialPruned()
        return accuracy

    study = hyperdial.create_study(
        direction="maximize",
        sampler=hyperdial.samplers.QMCSampler(seed=args.seed),
        pruner=hyperdial.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3),
    )
    study.optimize(objective, n_trials=args.n_trials)

    pruned = len(study.get_trials(states=(hyperdial.TrialState.PRUNED,)))
    print(f"\n{pruned} of {len(study.trials)} trials were pruned.")
    print(f"Best validation accuracy: {study.best_value:.4f} with {study.best_params}")


if __name__ == "__main__":
    main()

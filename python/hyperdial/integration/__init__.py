"""Integrations with other libraries; each module imports its library only when imported.

* ``hyperdial.integration.xgboost``: :class:`XGBoostPruningCallback`
* ``hyperdial.integration.lightgbm``: :class:`LightGBMPruningCallback`
* ``hyperdial.integration.dask``: :func:`optimize` runs a study's trials on a Dask cluster
* ``hyperdial.integration.ray``: :class:`HyperdialSearch`, a Ray Tune search algorithm
* ``hyperdial.integration.mlflow``: :class:`MLflowCallback` logs each trial as an MLflow run
* ``hyperdial.integration.wandb``: :class:`WeightsAndBiasesCallback` logs to Weights & Biases
* ``hyperdial.integration.tensorboard``: :class:`TensorBoardCallback` writes TensorBoard runs
"""

from __future__ import annotations

from typing import Any

#: Optuna's ``optuna.integration.<Name>`` spellings, resolved by importing the module on first use.
_LAZY = {
    "XGBoostPruningCallback": "hyperdial.integration.xgboost",
    "LightGBMPruningCallback": "hyperdial.integration.lightgbm",
    "MLflowCallback": "hyperdial.integration.mlflow",
    "WeightsAndBiasesCallback": "hyperdial.integration.wandb",
    "TensorBoardCallback": "hyperdial.integration.tensorboard",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

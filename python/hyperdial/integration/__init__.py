"""Integrations with other libraries; each module imports its library only when imported.

* ``hyperdial.integration.xgboost``: :class:`XGBoostPruningCallback`
* ``hyperdial.integration.lightgbm``: :class:`LightGBMPruningCallback`
* ``hyperdial.integration.dask``: :func:`optimize` runs a study's trials on a Dask cluster
* ``hyperdial.integration.ray``: :class:`HyperdialSearch`, a Ray Tune search algorithm
* ``hyperdial.integration.mlflow``: :class:`MLflowCallback` logs each trial as an MLflow run
* ``hyperdial.integration.wandb``: :class:`WeightsAndBiasesCallback` logs to Weights & Biases
* ``hyperdial.integration.tensorboard``: :class:`TensorBoardCallback` writes TensorBoard runs
"""

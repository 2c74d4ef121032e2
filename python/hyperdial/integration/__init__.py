"""Integrations with other libraries; each module imports its library only when imported.

* ``hyperdial.integration.xgboost``: :class:`XGBoostPruningCallback`
* ``hyperdial.integration.lightgbm``: :class:`LightGBMPruningCallback`
* ``hyperdial.integration.dask``: :func:`optimize` runs a study's trials on a Dask cluster
"""

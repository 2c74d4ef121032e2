"""Integrations with other libraries; each module imports its library only when imported.

* ``hyperdial.integration.xgboost``: :class:`XGBoostPruningCallback`
* ``hyperdial.integration.lightgbm``: :class:`LightGBMPruningCallback`
"""

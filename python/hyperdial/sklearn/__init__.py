"""scikit-learn integration: :class:`HyperSearchCV`, a hyperparameter search estimator.

Importing this module imports scikit-learn; ``import hyperdial`` does not.

Example:
    >>> from hyperdial.sklearn import HyperSearchCV
"""

from __future__ import annotations

from hyperdial.sklearn._search import HyperSearchCV

__all__ = ["HyperSearchCV"]

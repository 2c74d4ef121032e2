"""Exceptions raised by hyperdial."""

from __future__ import annotations

__all__ = [
    "DuplicatedStudyError",
    "HyperdialError",
    "NumericalError",
    "ReadOnlyStorageError",
    "StorageInternalError",
    "StudyExhausted",
    "TrialPruned",
    "UpdateFinishedTrialError",
]


class HyperdialError(Exception):
    """Base class of hyperdial's own exceptions."""


class TrialPruned(HyperdialError):
    """Raise from an objective to stop a trial early; the trial becomes PRUNED.

    Example:
        >>> import hyperdial
        >>> def objective(trial):
        ...     for step in range(10):
        ...         trial.report(1.0 / (step + 1), step)
        ...         if trial.should_prune():
        ...             raise hyperdial.TrialPruned()
        ...     return 0.0
    """


class DuplicatedStudyError(HyperdialError):
    """A study with this name already exists in the storage."""


class UpdateFinishedTrialError(HyperdialError, RuntimeError):
    """A finished (COMPLETE, PRUNED or FAIL) trial cannot be changed."""


class StorageInternalError(HyperdialError):
    """The storage failed in a way that is not the caller's fault (e.g. a lost connection)."""


class ReadOnlyStorageError(StorageInternalError):
    """The database can be read but not written (a read-only file, directory or URI).

    Every read works; a write (a new trial, an attribute, a new study) raises this.
    """


class NumericalError(HyperdialError, ArithmeticError):
    """The compiled core's numerics failed on valid arguments.

    Raised for a covariance matrix that cannot be factorised even with the largest jitter (or
    has non-finite entries), or a hyperparameter fit whose likelihood is not finite at any
    start (``cpp/include/hyperdial/errors.hpp``). Bad arguments raise :class:`ValueError`
    instead, so a caller that falls back on this does not hide a bug. The C++ exception
    ``hyperdial::NumericalError`` is translated to this class.

    Example:
        >>> import numpy as np
        >>> from hyperdial import NumericalError, _core
        >>> kinds = [_core.DimKind.continuous]
        >>> try:  # a signal variance of exp(800) overflows the covariance
        ...     _core.ExactGP(_core.KernelKind.matern52, kinds, [0.0, 800.0, 0.0], [[0.5]], [1.0])
        ... except NumericalError as e:
        ...     print(type(e).__name__)
        NumericalError
    """


class StudyExhausted(HyperdialError):
    """The sampler has nothing left to propose (e.g. every grid point is taken)."""

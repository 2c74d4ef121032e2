"""Exceptions raised by hyperdial."""

from __future__ import annotations

__all__ = [
    "DuplicatedStudyError",
    "HyperdialError",
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


class StudyExhausted(HyperdialError):
    """The sampler has nothing left to propose (e.g. every grid point is taken)."""

"""Studies: create, load and run optimisations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hyperdial._direction import StudyDirection
from hyperdial.study._study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)

if TYPE_CHECKING:
    from hyperdial.study._callbacks import MaxTrialsCallback
    from hyperdial.study._summary import StudySummary, get_all_study_summaries

__all__ = [
    "MaxTrialsCallback",
    "Study",
    "StudyDirection",
    "StudySummary",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "get_all_study_summaries",
    "load_study",
]

# Imported on first use, so that ``import hyperdial`` does not pay for them.
_LAZY = {
    "MaxTrialsCallback": "hyperdial.study._callbacks",
    "StudySummary": "hyperdial.study._summary",
    "get_all_study_summaries": "hyperdial.study._summary",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    from hyperdial._not_offered import not_offered

    raise not_offered(__name__, name)

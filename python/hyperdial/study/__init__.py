"""Studies: create, load and run optimisations."""

from __future__ import annotations

from hyperdial._direction import StudyDirection
from hyperdial.study._callbacks import MaxTrialsCallback
from hyperdial.study._study import (
    Study,
    copy_study,
    create_study,
    delete_study,
    get_all_study_names,
    load_study,
)
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

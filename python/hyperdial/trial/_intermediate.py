"""Intermediate vectors of multi-objective trials, stored as system attributes.

``Trial.report([v1, v2], step)`` in a multi-objective study stores the vector under the system
attribute ``intermediate_vector:<step>`` (``_system_attrs``). Every storage already keeps
system attributes as JSON, so vectors need no new column or record, and older databases and
journals read as they did; ``FrozenTrial.intermediate_values`` stays the single-objective
float mapping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hyperdial.trial._system_attrs import INTERMEDIATE_VECTOR_PREFIX as VECTOR_PREFIX

if TYPE_CHECKING:
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["VECTOR_PREFIX", "intermediate_vectors", "vector_key"]


def vector_key(step: int) -> str:
    return f"{VECTOR_PREFIX}{int(step)}"


def intermediate_vectors(trial: FrozenTrial) -> dict[int, tuple[float, ...]]:
    """The vectors a multi-objective trial reported, by step (ascending)."""
    out = {
        int(k[len(VECTOR_PREFIX) :]): tuple(float(x) for x in v)
        for k, v in trial.system_attrs.items()
        if k.startswith(VECTOR_PREFIX)
    }
    return dict(sorted(out.items()))

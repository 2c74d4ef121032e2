from __future__ import annotations

import enum

__all__ = ["StudyDirection", "parse_direction"]


class StudyDirection(enum.IntEnum):
    """Whether an objective is minimised or maximised."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"


def parse_direction(d: str | StudyDirection) -> StudyDirection:
    """Accepts ``"minimize"``/``"maximize"`` (any case) or a :class:`StudyDirection`."""
    if isinstance(d, StudyDirection) and d != StudyDirection.NOT_SET:
        return d
    if isinstance(d, str) and d.lower() in ("minimize", "maximize"):
        return StudyDirection[d.upper()]
    raise ValueError(f"`direction` must be 'minimize' or 'maximize', got {d!r}.")

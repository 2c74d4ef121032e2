"""Checks of what users name and attach, shared by the live trial, ``add_trial`` and the
storages, so that every storage keeps exactly what it is given.

* Names (studies, parameters) must be text every database can store: a lone surrogate cannot
  be encoded as UTF-8, and PostgreSQL text cannot hold the NUL character.
* Attributes are stored as JSON by the SQL storages, so in every storage they are JSON values:
  ``None``, bool, int, float (NaN and ±inf included, as Python's ``json`` writes them), str,
  lists and str-keyed objects. A tuple is a JSON array and comes back as a list everywhere;
  a non-str key would come back as a str (and ``{1: "x", "1": "y"}`` would lose an entry),
  so it is refused.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["check_attr", "check_storable_name", "json_copy"]


def check_storable_name(what: str, name: str) -> None:
    """Raises ValueError if ``name`` (a str) holds what no database can store."""
    if "\x00" in name:
        raise ValueError(
            f"{what} {name!r} cannot be stored: it holds the NUL character, which PostgreSQL "
            "text cannot hold."
        )
    try:
        name.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(
            f"{what} {name!r} cannot be stored: it holds a lone surrogate "
            f"({name[e.start]!r} at position {e.start}), which is no character and has no "
            "UTF-8 encoding."
        ) from None


def _check_keys(what: str, key: str, value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(
                    f"{what} {key!r}: JSON object keys must be str, got {k!r}; convert the "
                    "keys (e.g. {str(k): v ...}) so that every storage keeps them."
                )
            _check_keys(what, key, v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _check_keys(what, key, v)


def check_attr(what: str, key: Any, value: Any) -> None:
    """Raises TypeError unless ``key`` is a str and ``value`` a JSON value with str keys."""
    if not isinstance(key, str):
        raise TypeError(f"{what} keys must be str, got {key!r}.")
    try:
        json.dumps(value)
    except (TypeError, ValueError) as e:
        raise TypeError(
            f"{what} {key!r}: the value must be JSON-serialisable so that every storage can keep "
            f"it, got {value!r} ({e})."
        ) from None
    _check_keys(what, key, value)


def json_copy(value: Any) -> Any:
    """``value`` as a SQL storage returns it: a copy through JSON (tuples become lists)."""
    return json.loads(json.dumps(value))

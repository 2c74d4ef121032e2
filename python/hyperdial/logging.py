"""hyperdial's logger.

Everything hyperdial logs goes to the ``"hyperdial"`` logger. By default it has its own
handler on stderr at level INFO, so an optimisation prints one line per finished trial; use
:func:`set_verbosity` to change the level, or :func:`disable_default_handler` plus
:func:`enable_propagation` to route records to your application's handlers instead.

Example:
    >>> import logging, hyperdial
    >>> hyperdial.logging.set_verbosity(logging.WARNING)  # silence per-trial lines
    >>> hyperdial.logging.set_verbosity(logging.INFO)
"""

from __future__ import annotations

import logging
import sys
import threading

# Optuna's spellings of the levels: hyperdial.logging.set_verbosity(hyperdial.logging.WARNING)
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

_lock = threading.Lock()
_default_handler: logging.Handler | None = None
_ROOT = "hyperdial"


def _configure() -> logging.Logger:
    global _default_handler
    with _lock:
        root = logging.getLogger(_ROOT)
        if _default_handler is None:
            _default_handler = logging.StreamHandler(sys.stderr)
            _default_handler.setFormatter(
                logging.Formatter("[%(levelname)s %(asctime)s] %(message)s")
            )
            root.addHandler(_default_handler)
            root.setLevel(logging.INFO)
            root.propagate = False
        return root


def get_logger(name: str) -> logging.Logger:
    """A child of the ``hyperdial`` logger (``name`` is usually ``__name__``)."""
    _configure()
    return logging.getLogger(name if name.startswith(_ROOT) else f"{_ROOT}.{name}")


def set_verbosity(level: int) -> None:
    """Sets the level of the ``hyperdial`` logger (``logging.INFO``, ``logging.WARNING``…)."""
    _configure().setLevel(level)


def get_verbosity() -> int:
    return _configure().getEffectiveLevel()


def disable_default_handler() -> None:
    """Removes hyperdial's stderr handler."""
    root = _configure()
    assert _default_handler is not None
    root.removeHandler(_default_handler)


def enable_default_handler() -> None:
    root = _configure()
    assert _default_handler is not None
    if _default_handler not in root.handlers:
        root.addHandler(_default_handler)


def enable_propagation() -> None:
    """Lets records reach the root logger's handlers too."""
    _configure().propagate = True


def disable_propagation() -> None:
    _configure().propagate = False

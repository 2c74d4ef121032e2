"""Pickling and copying of objects that hold locks, caches or handles of one process.

Samplers, pruners, storages and studies keep some attributes that belong to the process (and
the run) they live in: locks, caches that can be read again from storage, modules, handles of
the C++ core. A class names them in ``_transient`` with a function that makes a fresh one;
:class:`Transient` leaves them out of ``pickle`` and ``copy.deepcopy`` and makes fresh ones
when the object is loaded or copied, so that everything else (settings, seeds, fitted models)
travels. ``copy.deepcopy`` goes through the same ``__getstate__`` / ``__setstate__`` pair
(``copyreg.__reduce_ex__``), so a deep copy and an unpickled object are alike.

A sampler that keeps state per study cannot key it by ``id(storage)``: a study pickled with
its storage and sampler comes back with a storage at another address. :func:`study_key` keys
it by a token that the storage carries and that travels with it (pickle and deepcopy keep the
identity of an object within one call), so the copied sampler finds its state for the copied
storage; a storage copied on its own gets a new token, and the state of another storage is
never mistaken for its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from hyperdial.study._study import Study

__all__ = ["STUDY_KEY_ATTR", "Transient", "study_key", "transient_attrs"]


class Transient:
    """Mixin: ``pickle`` and ``copy.deepcopy`` without the attributes named in ``_transient``.

    ``_transient`` maps an attribute name to a function of no arguments that makes a fresh
    value. An attribute the object does not have is ignored, so a base class may list the
    attributes its subclasses usually have (``_lock``). Subclasses extend the mapping:
    ``_transient = transient_attrs(Base, _cache=dict)``.
    """

    _transient: ClassVar[Mapping[str, Callable[[], Any]]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for name in self._transient:
            if name in state:
                state[name] = None  # a placeholder: the name says which ones to re-create
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        for name, make in self._transient.items():
            if name in state:
                self.__dict__[name] = make()


def transient_attrs(
    base: type[Transient], **make: Callable[[], Any]
) -> Mapping[str, Callable[[], Any]]:
    """``base``'s transient attributes and those of ``make``, for a subclass's ``_transient``."""
    return MappingProxyType({**base._transient, **make})


class _StorageToken:
    """Stands for one storage object in the per-study state of samplers (see the module
    docstring); compared by identity."""

    __slots__ = ()


#: The storage attribute that holds its token; a storage with its own ``__getstate__`` keeps it.
STUDY_KEY_ATTR = "_study_key_token"
_token_lock = threading.Lock()


def study_key(study: Study) -> tuple[object, int]:
    """A key for per-study state that survives pickling the study with its sampler."""
    storage = study._storage
    token = storage.__dict__.get(STUDY_KEY_ATTR)
    if token is None:
        with _token_lock:
            token = storage.__dict__.setdefault(STUDY_KEY_ATTR, _StorageToken())
    return (token, study._study_id)

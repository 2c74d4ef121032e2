from __future__ import annotations

import abc
import threading
from typing import TYPE_CHECKING, ClassVar

from hyperdial._transient import Transient, transient_attrs

if TYPE_CHECKING:
    from hyperdial.study._study import Study
    from hyperdial.trial._frozen import FrozenTrial

__all__ = ["BasePruner", "NopPruner"]


class BasePruner(Transient, abc.ABC):
    """Decides whether a running trial should stop early (``Trial.should_prune``).

    Pruners pickle and deep-copy without their ``_lock`` (``hyperdial._transient``).
    """

    _transient = transient_attrs(Transient, _lock=threading.Lock)
    #: True for a pruner that decides in multi-objective studies (``Trial.should_prune``
    #: refuses the others there).
    _multi_objective: ClassVar[bool] = False

    @abc.abstractmethod
    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """True to stop ``trial`` now.

        ``trial`` is a fresh snapshot holding every intermediate value reported so far; the
        other trials of the study are read through ``study``.
        """


class NopPruner(BasePruner):
    """Never prunes. The default pruner of a study."""

    _multi_objective: ClassVar[bool] = True

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False

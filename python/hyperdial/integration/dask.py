"""Run a study's trials on a ``dask.distributed`` cluster.

Each Dask task is a worker loop that pulls trials from the study's shared storage (an
:class:`~hyperdial.storages.RDBStorage`: SQLite for a one-machine cluster, PostgreSQL for
several). ``n_trials`` is honoured across all tasks with one claim per trial slot
(``BaseStorage.claim``), so exactly ``n_trials`` trials start however many tasks run, and a task
Dask re-runs after losing its worker does not run extra trials. ``timeout`` is a deadline shared
by every task (wall clock, so keep the machines' clocks in sync). A trial whose worker died stays
RUNNING until the storage's heartbeat fails it (``RDBStorage(url, heartbeat_interval=...,
max_retry=...)``), which also re-enqueues it when asked; the retry then takes the next slot.

Example:
    >>> from dask.distributed import Client, LocalCluster        # doctest: +SKIP
    >>> import hyperdial
    >>> from hyperdial.integration.dask import optimize
    >>> study = hyperdial.create_study(storage="sqlite:///study.db")   # doctest: +SKIP
    >>> with Client(LocalCluster(n_workers=2)) as client:                # doctest: +SKIP
    ...     optimize(study, objective, n_trials=100, client=client)

Importing this module imports ``dask.distributed`` (``pip install "hyperdial[dask]"``).
"""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Callable, Iterable
from typing import Any

from distributed import Client, get_client, wait

from hyperdial.storages import InMemoryStorage
from hyperdial.study import Study

__all__ = ["optimize"]


def optimize(
    study: Study,
    func: Any,
    *,
    n_trials: int | None = None,
    timeout: float | None = None,
    client: Client | None = None,
    n_tasks: int | None = None,
    catch: Iterable[type[Exception]] | type[Exception] = (),
    sampler_factory: Callable[[], Any] | None = None,
) -> None:
    """Runs trials of ``func`` on a Dask cluster until ``n_trials`` have started in all or
    ``timeout`` seconds have passed; returns when every task has finished.

    Args:
        study: A study in a storage every Dask worker can open (not in memory).
        func: The objective; it is pickled (cloudpickle) to the workers.
        n_trials: Trials to run in all tasks together (None: until the timeout).
        timeout: Seconds after which no task starts a new trial (None: no limit).
        client: The Dask client (default: the current one, ``distributed.get_client()``).
        n_tasks: Concurrent worker loops (default: one per thread of the cluster).
        catch: Exception types that fail a trial without stopping its task.
        sampler_factory: Makes each task's sampler (called in the task). Default: a pickled
            copy of ``study.sampler``, reseeded per task. A sampler that cannot be pickled
            needs a factory.

    Raises:
        ValueError: the study is in memory, neither ``n_trials`` nor ``timeout`` is given, or
            the sampler cannot be pickled and no ``sampler_factory`` is given.
        Exception: the first error an objective raised that is not in ``catch``.
    """
    if isinstance(study._storage, InMemoryStorage):
        raise ValueError(
            "Dask workers cannot see an in-memory study: create it with a database storage, "
            'e.g. storage="sqlite:///study.db" or "postgresql+psycopg://...".'
        )
    if n_trials is None and timeout is None:
        raise ValueError("Give `n_trials` or `timeout` (or both); otherwise the run never ends.")
    if n_trials is not None and n_trials < 0:
        raise ValueError(f"`n_trials` must be >= 0, got {n_trials}.")
    client = client or get_client()
    if n_tasks is None:
        n_tasks = max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))
    if n_tasks < 1:
        raise ValueError(f"`n_tasks` must be >= 1, got {n_tasks}.")
    deadline = None if timeout is None else time.time() + timeout
    run_id = os.urandom(8).hex()
    if sampler_factory is not None:
        sampler_arg: Any = sampler_factory
    else:
        try:
            sampler_arg = pickle.dumps(study.sampler)
        except (TypeError, AttributeError, pickle.PicklingError) as e:
            raise ValueError(
                f"The study's sampler {type(study.sampler).__name__} cannot be pickled to the "
                f"Dask workers ({e}); pass sampler_factory=, e.g. lambda: "
                f"{type(study.sampler).__name__}()."
            ) from None
    catch = tuple(catch) if isinstance(catch, Iterable) else (catch,)
    futures = [
        client.submit(
            _task,
            study._storage,
            study.study_name,
            sampler_arg,
            study.pruner,
            func,
            n_trials,
            deadline,
            run_id,
            catch,
            pure=False,
            key=f"hyperdial-{run_id}-{i}",
        )
        for i in range(n_tasks)
    ]
    # Wait for every task before reporting an error, so that no trial is still RUNNING when
    # the caller sees it (a failing task tells the others to stop after their current trial).
    wait(futures)  # type: ignore[no-untyped-call]
    client.gather(futures)  # type: ignore[no-untyped-call]


def _task(
    storage: Any,
    study_name: str,
    sampler_arg: Any,
    pruner: Any,
    func: Any,
    n_trials: int | None,
    deadline: float | None,
    run_id: str,
    catch: tuple[type[Exception], ...],
) -> int:
    """One worker loop: claims trial slots and runs a trial per slot won; trials it ran."""
    import hyperdial

    if isinstance(sampler_arg, bytes):
        sampler = pickle.loads(sampler_arg)
        sampler.reseed_rng()  # tasks must not all propose the same points
    else:
        sampler = sampler_arg()
    study = hyperdial.load_study(
        study_name=study_name, storage=storage, sampler=sampler, pruner=pruner
    )
    sid = study._study_id
    token = os.urandom(8).hex()
    prefix = f"dask:{run_id}:"
    ran = 0
    slot = 0
    stop_key = f"dask-stop:{run_id}"  # outside `prefix`: not a slot
    while n_trials is None or slot < n_trials:
        if deadline is not None and time.time() >= deadline:
            break
        if storage.get_claims(sid, stop_key):
            break  # another task's objective raised: the run is over
        if n_trials is not None and storage.claim(sid, f"{prefix}{slot}", token) != token:
            # Lost this slot: skip to the first one nobody holds yet.
            slot = max(slot + 1, len(storage.get_claims(sid, prefix)))
            continue
        remaining = None if deadline is None else max(0.0, deadline - time.time())
        try:
            study.optimize(func, n_trials=1, timeout=remaining, catch=catch)
        except BaseException:
            storage.claim(sid, stop_key, token)
            raise
        ran += 1
        slot += 1
    return ran

"""Optuna names that hyperdial deliberately does not offer, and what to use instead.

Every public hyperdial package ends its module ``__getattr__`` (PEP 562) with
``raise not_offered(__name__, name)``: for a name of Optuna's API listed here the
AttributeError says what to use instead; any other name gets Python's usual message. This
table is the one place that says so; README's compatibility table summarises it.

A name is listed only while hyperdial has no attribute of that name: ``__getattr__`` runs only
for attributes a module lacks, so offering a name later needs no change here (remove the line).
"""

from __future__ import annotations

__all__ = ["NOT_OFFERED", "not_offered"]

_REPORT = (
    "call trial.report(value, step) and, if trial.should_prune(), raise hyperdial.TrialPruned "
    "from the framework's own epoch callback"
)

#: {module: {Optuna's name: what to use instead}}
NOT_OFFERED: dict[str, dict[str, str]] = {
    "hyperdial": {
        "version": "hyperdial.__version__ holds the version string",
    },
    "hyperdial.samplers": {
        "BaseGASampler": "subclass hyperdial.samplers.BaseSampler; the NSGA samplers share no "
        "public genetic-algorithm base",
    },
    "hyperdial.storages": {
        "JournalFileStorage": "hyperdial.storages.journal.JournalFileBackend (Optuna's newer "
        "name)",
        "BaseJournalLogStorage": "hyperdial.storages.journal.BaseJournalBackend",
        "JournalFileSymlinkLock": "hyperdial.storages.journal.JournalFileSymlinkLock",
        "JournalFileOpenLock": "hyperdial.storages.journal.JournalFileOpenLock",
        "JournalRedisStorage": "JournalStorage(JournalFileBackend(path)) on a shared file "
        "system, or RDBStorage; there is no Redis backend",
        "RetryFailedTrialCallback": "RDBStorage(url, heartbeat_interval=..., max_retry=n) "
        "re-runs the trials of dead workers itself",
        "RetryHeartbeatStaleTrialCallback": "RDBStorage(url, heartbeat_interval=..., "
        "max_retry=n) re-runs the trials of dead workers itself",
        "fail_stale_trials": "RDBStorage(url, heartbeat_interval=...) fails stale trials itself",
        "GrpcStorageProxy": "RDBStorage (PostgreSQL) or JournalStorage on a shared file system "
        "serves many machines without a proxy",
        "run_grpc_proxy_server": "RDBStorage (PostgreSQL) or JournalStorage on a shared file "
        "system serves many machines without a proxy",
    },
    "hyperdial.artifacts": {
        "GCSArtifactStore": "Boto3ArtifactStore with a client whose endpoint_url is "
        "https://storage.googleapis.com (GCS's S3-compatible API, with HMAC keys), or "
        "FileSystemArtifactStore on a mounted bucket",
        "Backoff": "the retries of the store's client, e.g. boto3's "
        "botocore.config.Config(retries=...)",
    },
    "hyperdial.storages.journal": {
        "JournalRedisBackend": "JournalFileBackend on a shared file system, or RDBStorage; "
        "there is no Redis backend",
    },
    "hyperdial.importance": {
        "MeanDecreaseImpurityImportanceEvaluator": "FanovaImportanceEvaluator (a random forest "
        "too) or PedAnovaImportanceEvaluator",
    },
    "hyperdial.distributions": {
        "UniformDistribution": "FloatDistribution(low, high)",
        "LogUniformDistribution": "FloatDistribution(low, high, log=True)",
        "DiscreteUniformDistribution": "FloatDistribution(low, high, step=q)",
        "IntUniformDistribution": "IntDistribution(low, high, step=step)",
        "IntLogUniformDistribution": "IntDistribution(low, high, log=True)",
    },
    "hyperdial.integration": {
        "BoTorchSampler": "hyperdial.samplers.GPSampler, a GP sampler with its core in C++",
        "PyCmaSampler": "hyperdial.samplers.CmaEsSampler",
        "DaskStorage": "hyperdial.integration.dask.optimize, or an RDBStorage that the Dask "
        "workers share",
        "LightGBMTuner": "a study whose objective trains LightGBM, with "
        "hyperdial.integration.LightGBMPruningCallback",
        "LightGBMTunerCV": "a study whose objective runs lightgbm.cv, with "
        "hyperdial.integration.LightGBMPruningCallback",
        "ShapleyImportanceEvaluator": "hyperdial.importance's evaluators",
        "OptunaSearchCV": "hyperdial.sklearn.HyperSearchCV",
        "TorchDistributedTrial": "one study shared by the ranks through an RDBStorage or "
        "JournalStorage",
        "CatBoostPruningCallback": _REPORT,
        "KerasPruningCallback": _REPORT,
        "TFKerasPruningCallback": _REPORT,
        "TensorFlowPruningHook": _REPORT,
        "PyTorchIgnitePruningHandler": _REPORT,
        "PyTorchLightningPruningCallback": _REPORT,
        "SkorchPruningCallback": _REPORT,
        "FastAIV2PruningCallback": _REPORT,
        "FastAIPruningCallback": _REPORT,
    },
}


def not_offered(module: str, name: str) -> AttributeError:
    """The AttributeError for ``module.name``, naming the alternative if Optuna has the name."""
    hint = NOT_OFFERED.get(module, {}).get(name)
    if hint is None:
        return AttributeError(f"module {module!r} has no attribute {name!r}")
    return AttributeError(
        f"module {module!r} has no attribute {name!r}: hyperdial does not offer Optuna's "
        f"{name}; use {hint}."
    )

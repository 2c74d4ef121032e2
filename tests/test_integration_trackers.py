"""The experiment-tracker callbacks against the real trackers.

TensorBoard's event files are read back record by record; MLflow logs to a SQLite tracking
store and is read back through its client; W&B logs offline and its run files are read back
with its own protobuf records. MLflow and W&B start slowly (a database migration, a service
process), so their tests are in the slow lane.
"""

from __future__ import annotations

import glob
import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any

import pytest

import hyperdial
from hyperdial.integration import _tracking
from hyperdial.samplers import RandomSampler


def _objective(trial: hyperdial.Trial) -> float:
    x = trial.suggest_float("x", -1.0, 1.0)
    kind = trial.suggest_categorical("kind", ["a", "b"])
    for step in range(3):
        trial.report(x * (3 - step), step)
    if trial.number == 1:
        raise hyperdial.TrialPruned()
    if trial.number == 2:
        raise ValueError("boom")
    return x * x + (kind == "b")


def _run(study_name: str, callback: Any, *, n_trials: int = 4, **kwargs: Any) -> hyperdial.Study:
    study = hyperdial.create_study(study_name=study_name, sampler=RandomSampler(seed=0), **kwargs)
    study.optimize(_objective, n_trials=n_trials, callbacks=[callback], catch=(ValueError,))
    return study


# --- the shared description of a trial -----------------------------------------------------


def test_metric_names_follow_objectives_and_study_names() -> None:
    single = hyperdial.create_study()
    multi = hyperdial.create_study(directions=["minimize", "maximize"])
    assert _tracking.metric_names("value", single) == ["value"]
    assert _tracking.metric_names("loss", multi) == ["loss_0", "loss_1"]
    assert _tracking.metric_names(("a", "b"), multi) == ["a", "b"]
    with pytest.raises(ValueError, match="2 objective"):
        _tracking.metric_names(("a",), multi)
    multi.set_metric_names(["err", "acc"])
    assert _tracking.metric_names("value", multi) == ["err", "acc"]
    assert _tracking.metric_names("m", multi) == ["m_0", "m_1"]


@pytest.mark.parametrize(
    ("bad", "error"),
    [(3, TypeError), ([], ValueError), (["a", "a"], ValueError), ([1], TypeError)],
)
def test_bad_metric_name_is_refused(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="metric_name"):
        _tracking.check_metric_name(bad)


def test_tags_and_params_are_text_a_tracker_stores() -> None:
    study = hyperdial.create_study(study_name="s")
    study.set_user_attr("owner", "x" * 10_000)
    trial = study.ask()
    trial.suggest_categorical("c", [None, True, 2.5])
    trial.set_user_attr("note", {"k": 1})
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    params = _tracking.scalar_params(frozen)
    assert params["c"] in ("None", True, 2.5)
    tags = _tracking.trial_tags(study, frozen, study_user_attrs=True, trial_user_attrs=True)
    assert tags["state"] == "COMPLETE" and tags["number"] == "0" and tags["study_name"] == "s"
    assert tags["trial_user_attr:note"] == "{'k': 1}"
    assert (
        len(tags["study_user_attr:owner"]) == 5000 and tags["study_user_attr:owner"][-3:] == "..."
    )
    assert "distribution:c" in tags
    no_attrs = _tracking.trial_tags(study, frozen, study_user_attrs=False, trial_user_attrs=False)
    assert not any(k.startswith(("trial_user_attr", "study_user_attr")) for k in no_attrs)


# --- TensorBoard ---------------------------------------------------------------------------


def _events(directory: Path) -> list[Any]:
    """Every Event in the TFRecord files under ``directory`` (length, CRC, payload, CRC)."""
    from tensorboardX.proto.event_pb2 import Event

    events = []
    for path in sorted(directory.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            payload = data[pos + 12 : pos + 12 + length]
            pos += 12 + length + 4
            event = Event()
            event.ParseFromString(payload)
            events.append(event)
    return events


def _scalars(directory: Path) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for event in _events(directory):
        for value in event.summary.value:
            if value.HasField("simple_value"):
                out.setdefault(value.tag, []).append((event.step, value.simple_value))
    return out


def _hparams(directory: Path) -> tuple[dict[str, Any], list[str]]:
    """The session-start hparams of a run and the categorical domains of its experiment."""
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData

    values: dict[str, Any] = {}
    domains: list[str] = []
    for event in _events(directory):
        for value in event.summary.value:
            if value.metadata.plugin_data.plugin_name != "hparams":
                continue
            plugin = HParamsPluginData()
            plugin.ParseFromString(value.metadata.plugin_data.content)
            if plugin.HasField("session_start_info"):
                for name, v in plugin.session_start_info.hparams.items():
                    values[name] = getattr(v, v.WhichOneof("kind"))
            if plugin.HasField("experiment"):
                for info in plugin.experiment.hparam_infos:
                    domains.extend(
                        f"{info.name}={d.string_value}" for d in info.domain_discrete.values
                    )
    return values, domains


def test_tensorboard_writes_one_run_per_trial(tmp_path: Path) -> None:
    from hyperdial.integration.tensorboard import TensorBoardCallback

    callback = TensorBoardCallback(tmp_path, metric_name="loss")
    study = _run("tb", callback)
    assert sorted(os.listdir(tmp_path)) == [f"trial-{n}" for n in range(4)]
    for trial in study.trials:
        run = tmp_path / f"trial-{trial.number}"
        scalars = _scalars(run)
        values, domains = _hparams(run)
        assert values["state"] == trial.state.name
        assert values["x"] == pytest.approx(trial.params["x"])
        assert sorted(domains) == ["kind=a", "kind=b"]
        assert scalars["intermediate_value"] == [
            (step, pytest.approx(v)) for step, v in sorted(trial.intermediate_values.items())
        ]
        if trial.state == hyperdial.TrialState.COMPLETE:
            assert scalars["loss"] == [(0, pytest.approx(trial.value))]
        else:
            assert "loss" not in scalars


def test_tensorboard_multi_objective_and_pickle(tmp_path: Path) -> None:
    from hyperdial.integration.tensorboard import TensorBoardCallback

    callback = pickle.loads(pickle.dumps(TensorBoardCallback(tmp_path)))
    study = hyperdial.create_study(directions=["minimize", "maximize"])
    study.set_metric_names(["err", "acc"])
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), 1.0), n_trials=2, callbacks=[callback])
    assert set(_scalars(tmp_path / "trial-1")) == {"err", "acc"}
    with pytest.raises(TypeError, match="dirname"):
        TensorBoardCallback(3)  # type: ignore[arg-type]


# --- MLflow --------------------------------------------------------------------------------


# MLflow's own use of SQLAlchemy warns under SQLAlchemy 2.1; not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.slow
def test_mlflow_logs_each_trial_as_a_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mlflow = pytest.importorskip("mlflow")
    from hyperdial.integration.mlflow import MLflowCallback

    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    callback = MLflowCallback(tracking_uri=uri, metric_name="loss", tag_study_user_attrs=True)

    @callback.track_in_mlflow()
    def objective(trial: hyperdial.Trial) -> float:
        mlflow.log_metric("inside", 7.0)
        return _objective(trial)

    study = hyperdial.create_study(study_name="ml", sampler=RandomSampler(seed=0))
    study.set_user_attr("team", "dials")
    study.optimize(objective, n_trials=4, callbacks=[callback], catch=(ValueError,))

    client = mlflow.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("ml")
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert sorted(runs) == ["0", "1", "2", "3"]
    status = {"COMPLETE": "FINISHED", "PRUNED": "KILLED", "FAIL": "FAILED"}
    for trial in study.trials:
        run = runs[str(trial.number)]
        assert run.info.status == status[trial.state.name]
        assert run.data.tags["state"] == trial.state.name
        assert run.data.tags["study_name"] == "ml"
        assert run.data.tags["study_user_attr:team"] == "dials"
        assert float(run.data.params["x"]) == pytest.approx(trial.params["x"])
        assert run.data.metrics["inside"] == 7.0  # the objective's own logging, same run
        history = client.get_metric_history(run.info.run_id, "intermediate_value")
        assert [(m.step, m.value) for m in history] == [
            (s, pytest.approx(v)) for s, v in sorted(trial.intermediate_values.items())
        ]
        if trial.state == hyperdial.TrialState.COMPLETE:
            assert run.data.metrics["loss"] == pytest.approx(trial.value)
        else:
            assert "loss" not in run.data.metrics

    # Nested runs under a parent the caller started.
    nested = MLflowCallback(tracking_uri=uri, mlflow_kwargs={"nested": True})
    with mlflow.start_run(run_name="parent") as parent:
        _run("nested", nested, n_trials=1)
    child = client.search_runs([client.get_experiment_by_name("nested").experiment_id])[0]
    assert child.data.tags["mlflow.parentRunId"] == parent.info.run_id


# MLflow's own use of SQLAlchemy warns under SQLAlchemy 2.1; not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.slow
def test_mlflow_errors_name_the_trial(tmp_path: Path) -> None:
    pytest.importorskip("mlflow")
    from hyperdial.integration.mlflow import MLflowCallback

    with pytest.raises(ValueError, match="run_name"):
        MLflowCallback(mlflow_kwargs={"run_name": "x"})
    with pytest.raises(TypeError, match="mlflow_kwargs"):
        MLflowCallback(mlflow_kwargs=["nested"])  # type: ignore[arg-type]
    callback = MLflowCallback(tracking_uri=f"sqlite:///{tmp_path / 'm.db'}")
    study = hyperdial.create_study(study_name="gone")
    client_uri = f"sqlite:///{tmp_path / 'm.db'}"
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=client_uri)
    client.delete_experiment(client.create_experiment("gone"))
    with pytest.raises(RuntimeError, match="trial 0 of study 'gone'"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1, callbacks=[callback])
    assert pickle.loads(pickle.dumps(callback))._tracking_uri == client_uri


# --- Weights & Biases ----------------------------------------------------------------------


def _wandb_runs(directory: Path) -> list[dict[str, Any]]:
    """The runs W&B wrote offline under ``directory``, read from its record files.

    A ``.wandb`` file is a sequence of 32 KiB blocks of chunks (CRC, length, type) after a
    7-byte header; the chunks of a record concatenate into one protobuf ``Record``.
    """
    from wandb.proto import wandb_internal_pb2 as pb

    runs = []
    for path in sorted(glob.glob(str(directory / "wandb" / "offline-run-*" / "run-*.wandb"))):
        data = Path(path).read_bytes()
        assert data[:4] == b":W&B"
        pos, block, buf = 7, 32768, b""
        run: dict[str, Any] = {"history": [], "summary": {}, "config": {}}
        while pos + 7 <= len(data):
            if block - pos % block < 7:
                pos += block - pos % block
                continue
            _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
            if kind == 0 and length == 0:
                break
            buf += data[pos + 7 : pos + 7 + length]
            pos += 7 + length
            if kind not in (1, 4):  # FULL or LAST chunk ends a record
                continue
            record = pb.Record()
            record.ParseFromString(buf)
            buf = b""
            which = record.WhichOneof("record_type")
            if which == "run":
                run["name"], run["group"] = record.run.display_name, record.run.run_group
                for item in record.run.config.update:
                    run["config"][item.key] = json.loads(item.value_json)
            elif which == "history":
                row = {_key(i): json.loads(i.value_json) for i in record.history.item}
                run["history"].append({k: v for k, v in row.items() if not k.startswith("_")})
            elif which == "summary":
                for item in record.summary.update:
                    run["summary"][_key(item)] = json.loads(item.value_json)
            elif which == "config":
                for item in record.config.update:
                    run["config"][item.key] = json.loads(item.value_json)
        runs.append(run)
    return runs


def _key(item: Any) -> str:
    return str(item.key or "/".join(item.nested_key))


@pytest.mark.slow
def test_wandb_study_run_and_multirun(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wandb = pytest.importorskip("wandb")
    from hyperdial.integration.wandb import WeightsAndBiasesCallback

    monkeypatch.setenv("WANDB_SILENT", "true")
    kwargs = {"mode": "offline", "dir": str(tmp_path), "project": "hyperdial-test"}
    callback = WeightsAndBiasesCallback(metric_name="loss", wandb_kwargs=kwargs)
    study = _run("wb", callback)
    callback.finish()
    wandb.teardown()  # the service writes the run files out when it stops
    (study_run,) = _wandb_runs(tmp_path)
    assert study_run["name"] == "wb"
    assert [row["trial_number"] for row in study_run["history"]] == [0, 1, 2, 3]
    for row, trial in zip(study_run["history"], study.trials, strict=True):
        assert row["state"] == trial.state.name
        assert row["x"] == pytest.approx(trial.params["x"])
        complete = trial.state == hyperdial.TrialState.COMPLETE
        assert row.get("loss") == (pytest.approx(trial.value) if complete else None)

    multi_dir = tmp_path / "multi"
    multi_dir.mkdir()
    multirun = WeightsAndBiasesCallback(
        wandb_kwargs={**kwargs, "dir": str(multi_dir)}, as_multirun=True
    )

    @multirun.track_in_wandb()
    def objective(trial: hyperdial.Trial) -> float:
        wandb.log({"inside": 1.0})
        return _objective(trial)

    study = hyperdial.create_study(study_name="wbm", sampler=RandomSampler(seed=1))
    study.optimize(objective, n_trials=2, callbacks=[multirun])
    wandb.teardown()
    runs = {r["name"]: r for r in _wandb_runs(multi_dir)}
    assert sorted(runs) == ["trial-0", "trial-1"]
    for trial in study.trials:
        run = runs[f"trial-{trial.number}"]
        assert run["group"] == "wbm"
        assert run["config"]["x"] == pytest.approx(trial.params["x"])
        assert run["summary"]["state"] == trial.state.name
        assert {"inside": 1.0} in run["history"]
        steps = [r["trial_step"] for r in run["history"] if "intermediate_value" in r]
        assert steps == sorted(trial.intermediate_values)
    with pytest.raises(ValueError, match="as_multirun"):
        WeightsAndBiasesCallback(wandb_kwargs={"name": "x"}, as_multirun=True)

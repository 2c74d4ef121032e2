"""``hyperdial``: a small command line for studies kept in a database.

Every command takes ``--storage URL`` (e.g. ``sqlite:///study.db``) and prints JSON, one
object per line, so its output can be piped into ``jq`` or read by a script::

    hyperdial create-study --storage sqlite:///s.db --study-name demo --direction minimize
    hyperdial ask --storage sqlite:///s.db --study-name demo \\
        --search-space '{"x": {"name": "FloatDistribution",
                               "attributes": {"low": 0, "high": 1, "log": false, "step": null}}}'
    hyperdial tell --storage sqlite:///s.db --study-name demo --trial-number 0 --values 0.25
    hyperdial studies --storage sqlite:///s.db
    hyperdial trials --storage sqlite:///s.db --study-name demo
    hyperdial best --storage sqlite:///s.db --study-name demo
    hyperdial report --storage sqlite:///s.db --study-name demo --output report.html

Errors are printed as one line on stderr with exit status 1 (2 for a wrong command line), with
any password in a URL shown as ``***``. Only ``create-study`` creates a SQLite database file;
the other commands report a missing one.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _float(v: float) -> Any:
    """Floats as JSON allows them: ±inf and NaN as strings."""
    return v if math.isfinite(v) else repr(v)


def _trial_json(t: Any) -> dict[str, Any]:
    return {
        "number": t.number,
        "state": t.state.name,
        "values": None if t.values is None else [_float(v) for v in t.values],
        "params": t.params,
        "user_attrs": t.user_attrs,
        "datetime_start": None if t.datetime_start is None else t.datetime_start.isoformat(),
        "datetime_complete": (
            None if t.datetime_complete is None else t.datetime_complete.isoformat()
        ),
    }


def _print(obj: Any) -> None:
    print(json.dumps(obj, default=str))


def _cmd_studies(args: argparse.Namespace) -> None:
    import hyperdial
    from hyperdial.trial import TrialState

    storage = hyperdial.storages.get_storage(args.storage)
    for info in storage.get_all_studies():
        n = storage.get_n_trials(info.study_id)
        n_complete = storage.get_n_trials(info.study_id, states=(TrialState.COMPLETE,))
        _print(
            {
                "study_name": info.study_name,
                "directions": [d.name for d in info.directions],
                "n_trials": n,
                "n_complete": n_complete,
            }
        )


def _cmd_create_study(args: argparse.Namespace) -> None:
    import hyperdial

    study = hyperdial.create_study(
        storage=args.storage,
        study_name=args.study_name,
        directions=args.direction or ["minimize"],
        load_if_exists=args.skip_if_exists,
    )
    _print({"study_name": study.study_name})


def _cmd_delete_study(args: argparse.Namespace) -> None:
    import hyperdial

    hyperdial.delete_study(study_name=args.study_name, storage=args.storage)


def _cmd_trials(args: argparse.Namespace) -> None:
    import hyperdial

    study = hyperdial.load_study(study_name=args.study_name, storage=args.storage)
    for t in study.get_trials(deepcopy=False):
        _print(_trial_json(t))


def _cmd_best(args: argparse.Namespace) -> None:
    import hyperdial

    study = hyperdial.load_study(study_name=args.study_name, storage=args.storage)
    if len(study.directions) > 1:
        for t in study.best_trials:
            _print(_trial_json(t))
    else:
        _print(_trial_json(study.best_trial))


def _cmd_ask(args: argparse.Namespace) -> None:
    import hyperdial
    from hyperdial.distributions import distribution_to_json, json_to_distribution

    try:
        space = json.loads(args.search_space or "{}")
        if not isinstance(space, dict):
            raise ValueError("not a JSON object")
        fixed = {name: json_to_distribution(json.dumps(d)) for name, d in space.items()}
    except ValueError as e:
        raise ValueError(
            f"--search-space must be a JSON object of serialised distributions ({e}); e.g. "
            + json.dumps({"x": json.loads(distribution_to_json(_example()))})
        ) from None
    study = hyperdial.load_study(study_name=args.study_name, storage=args.storage)
    trial = study.ask(fixed)
    _print({"number": trial.number, "params": trial.params})


def _example() -> Any:
    from hyperdial.distributions import FloatDistribution

    return FloatDistribution(0.0, 1.0)


def _cmd_tell(args: argparse.Namespace) -> None:
    import hyperdial
    from hyperdial.trial import TrialState

    study = hyperdial.load_study(study_name=args.study_name, storage=args.storage)
    state = None if args.state is None else TrialState[args.state.upper()]
    frozen = study.tell(
        args.trial_number,
        values=args.values,
        state=state,
        skip_if_finished=args.skip_if_finished,
    )
    _print(_trial_json(frozen))


def _cmd_report(args: argparse.Namespace) -> None:
    import hyperdial
    from hyperdial.visualization import report

    study = hyperdial.load_study(study_name=args.study_name, storage=args.storage)
    try:
        # The loaded study's sampler and pruner are the loader's defaults, not the ones that
        # ran, so the report does not name them.
        path = report(study, args.output, engine=args.engine, describe_sampler=False)
    except OSError as e:
        raise ValueError(f"cannot write {args.output!r}: {e.strerror or e}") from None
    _print({"output": str(path), "n_trials": len(study.get_trials(deepcopy=False))})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hyperdial", description="Inspect and drive hyperdial studies kept in a database."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help: str, *, study: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.add_argument("--storage", required=True, help="database URL, e.g. sqlite:///study.db")
        if study:
            p.add_argument("--study-name", required=True)
        return p

    command("studies", "List the studies with their trial counts.", study=False).set_defaults(
        fn=_cmd_studies
    )
    p = command("create-study", "Create a study.", study=False)
    p.add_argument("--study-name", default=None)
    p.add_argument(
        "--direction",
        action="append",
        choices=["minimize", "maximize"],
        help="once per objective (default: one, minimize)",
    )
    p.add_argument("--skip-if-exists", action="store_true", help="load it if it exists")
    p.set_defaults(fn=_cmd_create_study)
    command("delete-study", "Delete a study and its trials.").set_defaults(fn=_cmd_delete_study)
    command("trials", "Print every trial of a study.").set_defaults(fn=_cmd_trials)
    command("best", "Print the best trial (the Pareto front if multi-objective).").set_defaults(
        fn=_cmd_best
    )
    p = command("ask", "Start a trial; print its number and parameters.")
    p.add_argument(
        "--search-space",
        default=None,
        help="JSON {name: distribution}, as distribution_to_json writes them",
    )
    p.set_defaults(fn=_cmd_ask)
    p = command("tell", "Finish a trial started with ask.")
    p.add_argument("--trial-number", type=int, required=True)
    p.add_argument("--values", type=float, nargs="+", default=None)
    p.add_argument("--state", choices=["complete", "pruned", "fail"], default=None)
    p.add_argument("--skip-if-finished", action="store_true")
    p.set_defaults(fn=_cmd_tell)
    p = command(
        "report",
        "Write a self-contained HTML report: summary, best trials, importances, figures.",
    )
    p.add_argument("--output", required=True, help="the HTML file to write, e.g. report.html")
    p.add_argument(
        "--engine",
        choices=["auto", "plotly", "matplotlib"],
        default="auto",
        help="interactive plotly figures or static matplotlib PNGs (default: plotly if installed)",
    )
    p.set_defaults(fn=_cmd_report)
    return parser


def _require_existing_sqlite_file(url: str) -> None:
    """Refuses a SQLite URL whose file does not exist: opening it would create it, and a
    command that reads a study should not leave an empty database behind a typo."""
    if not url.startswith("sqlite"):
        return
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:  # the storage reports an unparsable URL
        return
    path = parsed.database
    if not path or path == ":memory:" or parsed.query.get("uri") or path.startswith("file:"):
        return
    if not os.path.exists(path):
        raise ValueError(
            f"no database at {path!r} (only create-study creates one; check the path)."
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    from hyperdial.exceptions import HyperdialError
    from hyperdial.storages._url import redact

    try:
        if args.command != "create-study":
            _require_existing_sqlite_file(args.storage)
        args.fn(args)
    except (HyperdialError, KeyError, ValueError, TypeError, RuntimeError, ImportError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        text = " ".join(str(message).split())  # one line, whatever the message holds
        print(f"hyperdial {args.command}: error: {redact(text)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

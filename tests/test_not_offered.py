"""Optuna's public API: every name is offered by hyperdial, or refused with an alternative.

``hyperdial._not_offered.NOT_OFFERED`` lists the names hyperdial deliberately does not offer;
each package's ``__getattr__`` turns them into an AttributeError that names what to use instead.
The slow lane keeps that table true in both directions against the installed Optuna (importing
Optuna's visualization and importance packages takes seconds).
"""

from __future__ import annotations

import importlib
import warnings

import pytest

from hyperdial._not_offered import NOT_OFFERED


def _optuna() -> None:
    pytest.importorskip("optuna")


#: Packages whose ``__all__`` hyperdial follows (optuna.X -> hyperdial.X).
PACKAGES = [
    "",
    ".samplers",
    ".pruners",
    ".storages",
    ".study",
    ".trial",
    ".integration",
    ".visualization",
    ".importance",
    ".logging",
    ".search_space",
    ".storages.journal",
    ".terminator",
    ".artifacts",
    ".visualization.matplotlib",
]


def _optuna_names(suffix: str) -> list[str]:
    _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        module = importlib.import_module("optuna" + suffix)
    return [n for n in module.__all__ if not n.startswith("_")]


@pytest.mark.slow
@pytest.mark.parametrize("suffix", PACKAGES, ids=lambda s: "optuna" + s)
def test_every_public_optuna_name_is_offered_or_refused_with_a_hint(suffix: str) -> None:
    module = importlib.import_module("hyperdial" + suffix)
    listed = NOT_OFFERED.get("hyperdial" + suffix, {})
    lazy = getattr(module, "_LAZY", {})  # offered, imported on first use (not here: slow)
    unexplained = [
        n
        for n in _optuna_names(suffix)
        if n not in listed and n not in lazy and not hasattr(module, n)
    ]
    assert unexplained == []


@pytest.mark.parametrize(
    ("module_name", "name"),
    [(m, n) for m, names in NOT_OFFERED.items() for n in names],
)
def test_a_name_not_offered_raises_attribute_error_naming_the_alternative(
    module_name: str, name: str
) -> None:
    module = importlib.import_module(module_name)
    with pytest.raises(AttributeError, match=f"does not offer Optuna's {name}; use "):
        getattr(module, name)


@pytest.mark.slow
@pytest.mark.parametrize("module_name", sorted(NOT_OFFERED))
def test_the_table_lists_only_optuna_names(module_name: str) -> None:
    _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna_module = importlib.import_module(module_name.replace("hyperdial", "optuna", 1))
    public = set(dir(optuna_module)) | set(getattr(optuna_module, "__all__", ()))
    assert sorted(set(NOT_OFFERED[module_name]) - public) == []


def test_other_missing_names_get_the_usual_message() -> None:
    import hyperdial

    with pytest.raises(AttributeError, match=r"^module 'hyperdial.samplers' has no attribute "):
        hyperdial.samplers.NoSuchSampler  # noqa: B018
    assert not hasattr(hyperdial, "no_such_name")


def test_lazy_attributes_still_resolve() -> None:
    import hyperdial

    assert hyperdial.storages.RDBStorage.__name__ == "RDBStorage"
    assert hyperdial.study.get_all_study_summaries.__name__ == "get_all_study_summaries"
    assert isinstance(hyperdial.__version__, str)


@pytest.mark.slow  # imports xgboost
def test_optuna_integration_spellings_resolve_lazily() -> None:
    pytest.importorskip("xgboost")
    import hyperdial

    assert hyperdial.integration.XGBoostPruningCallback.__name__ == "XGBoostPruningCallback"

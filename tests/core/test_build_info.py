"""Build facts reported by the compiled module, and the hand-written stubs in ``_core.pyi``."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import pathlib
import re

import pytest

from hyperdial import _core


def test_version_is_the_package_version() -> None:
    assert _core.__version__ == _core.version() == importlib.metadata.version("hyperdial")


def test_openmp_facts_are_consistent() -> None:
    assert isinstance(_core.openmp_enabled(), bool)
    assert _core.max_threads() >= 1
    if not _core.openmp_enabled():
        assert _core.max_threads() == 1


@pytest.mark.parametrize(("value", "enabled"), [("ON", True), ("OFF", False)])
def test_openmp_matches_the_build_request(value: str, enabled: bool) -> None:
    # HYPERDIAL_OPENMP is read at build time; when it is set in the test environment too, the
    # module must have been built accordingly (AUTO or unset: either is fine).
    if os.environ.get("HYPERDIAL_OPENMP", "AUTO").upper() != value:
        pytest.skip(f"HYPERDIAL_OPENMP is not {value}")
    assert _core.openmp_enabled() is enabled


def test_dependency_versions_look_like_versions() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", _core.eigen_version())
    assert re.match(r"\d+\.\d+\.", _core.pybind11_version())
    assert _core.compiler() and _core.compiler() != "unknown"
    assert _core.build_type in {"Release", "Debug", "RelWithDebInfo", "MinSizeRel"}


def test_constants() -> None:
    assert _core.SOBOL_MAX_DIMS == 21201
    assert _core.SOBOL_BITS == 53


def _stub_tree() -> ast.Module:
    path = pathlib.Path(_core.__file__).with_name("_core.pyi")
    if not path.exists():  # editable installs keep the stub in the source tree
        import hyperdial

        path = pathlib.Path(hyperdial.__file__).with_name("_core.pyi")
    return ast.parse(path.read_text())


def _parameters(function: ast.FunctionDef) -> list[tuple[str, object]]:
    """(name, default) of each parameter, keyword-only ones marked with a leading ``*``;
    defaults as Python values, None where absent. A stub default of ``...`` stands for "the
    core's default" (written once, in C++) and is compared as such."""
    args = function.args.posonlyargs + function.args.args
    defaults = [None] * (len(args) - len(function.args.defaults)) + [
        ast.literal_eval(d) for d in function.args.defaults
    ]
    kwonly = [
        ("*" + a.arg, None if d is None else ast.literal_eval(d))
        for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults, strict=True)
    ]
    return [(a.arg, d) for a, d in zip(args, defaults, strict=True)] + kwonly


def _same_parameters(stub: ast.FunctionDef, runtime: ast.FunctionDef) -> bool:
    pairs = list(zip(_parameters(stub), _parameters(runtime), strict=False))
    return len(_parameters(stub)) == len(_parameters(runtime)) and all(
        s[0] == r[0] and (s[1] is Ellipsis or s[1] == r[1]) for s, r in pairs
    )


def test_stubs_name_exactly_the_module_contents() -> None:
    names = set()
    for node in _stub_tree().body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and not (isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias")
        ):
            names.add(node.target.id)  # type aliases exist only in the stub
    runtime = {name for name in vars(_core) if not name.startswith("__")} | {"__version__"}
    assert names == runtime


def test_stub_signatures_match_the_bindings() -> None:
    # stubtest cannot see pybind11 signatures (no __text_signature__); pybind11 writes them as
    # the first docstring line instead, so compare parameter names and defaults with that.
    for node in _stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            first_line = getattr(_core, node.name).__doc__.splitlines()[0]
            runtime = ast.parse(f"def {first_line}: ...").body[0]
            assert isinstance(runtime, ast.FunctionDef)
            assert _same_parameters(node, runtime), node.name
        elif isinstance(node, ast.ClassDef):
            for method in node.body:
                is_property = isinstance(method, ast.FunctionDef) and any(
                    isinstance(dec, ast.Name) and dec.id == "property"
                    for dec in method.decorator_list
                )
                if not isinstance(method, ast.FunctionDef) or is_property:
                    continue
                doc = getattr(getattr(_core, node.name), method.name).__doc__
                runtime = ast.parse(f"def {doc.lstrip().splitlines()[0]}: ...").body[0]
                assert isinstance(runtime, ast.FunctionDef)
                assert _same_parameters(method, runtime), f"{node.name}.{method.name}"


@pytest.mark.slow  # runs mypy over the package: seconds, not milliseconds
def test_stubtest_agrees_with_the_module() -> None:
    pytest.importorskip("mypy")
    import subprocess
    import sys

    allowlist = pathlib.Path(__file__).with_name("stubtest_allowlist.txt")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "hyperdial._core", "--allowlist", str(allowlist)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

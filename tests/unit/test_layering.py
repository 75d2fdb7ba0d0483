"""Imports point one way, and only hallway.ui touches Qt (DESIGN.md, "Layers").

The headless node must run where PySide6 is not installed, so importing the core, the engine and
the CLI must not load it. The static check walks every module's imports so a violation is caught
even on a code path the import test does not reach.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import hallway

PACKAGE = Path(hallway.__file__).resolve().parent
SOURCES = sorted(PACKAGE.rglob("*.py"))

# What hallway.core may never import: I/O, threads, Qt and the outside world.
CORE_FORBIDDEN = {"zmq", "zeroconf", "keyring", "sqlite3", "socket", "threading", "PySide6"}
QT = {"PySide6", "shiboken6"}
# Which hallway packages each layer may import (besides itself). None: not restricted here.
LAYERS: dict[str, set[str] | None] = {
    "core": set(),
    "net": {"core"},
    "store": {"core"},
    "identity": {"core"},
    "engine": {"core", "net", "store", "identity"},
}

LOADS_NO_QT = """
import importlib, json, pkgutil, sys
import {target} as module
names = [{target!r}]
if hasattr(module, "__path__"):
    for info in pkgutil.walk_packages(module.__path__, {target!r} + "."):
        importlib.import_module(info.name)
        names.append(info.name)
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {{"PySide6", "shiboken6"}})
print(json.dumps({{"imported": names, "qt": loaded}}))
"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[tuple[int, str]]:
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()
    return imports_in(path.read_text(encoding="utf-8"), package)


def imports_in(source: str, package: list[str]) -> list[tuple[int, str]]:
    """Absolute names of every module `source` imports, relative to `package` where relative."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            # `from hallway import engine` imports hallway.engine
            if name == "hallway":
                found += [(node.lineno, f"hallway.{alias.name}") for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def layer_of(path: Path) -> str | None:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else None


def test_sources_are_found() -> None:
    assert PACKAGE / "core" / "wire.py" in SOURCES


@pytest.mark.parametrize("target", ["hallway.core", "hallway.engine", "hallway.cli.main"])
def test_headless_imports_do_not_load_qt(target: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LOADS_NO_QT.format(target=target))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"importing {target} failed:\n{result.stderr}"
    report = result.stdout.strip().splitlines()[-1]
    assert '"qt": []' in report, f"importing {target} loaded Qt: {report}"


def test_core_loads_no_outside_world_at_runtime() -> None:
    code = textwrap.dedent(LOADS_NO_QT.format(target="hallway.core")) + textwrap.dedent("""
        bad = sorted(
            m for m in sys.modules
            if m.split(".")[0] in {"zmq", "zeroconf", "keyring", "sqlite3", "PySide6"}
            or (m.startswith("hallway.") and not m.startswith("hallway.core"))
        )
        print(json.dumps(bad))
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_only_the_ui_imports_qt() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {name}"
        for path in SOURCES
        if layer_of(path) != "ui"
        for line, name in imports_of(path)
        if name.split(".")[0] in QT
    ]
    assert offenders == []


def test_core_imports_nothing_from_outside() -> None:
    offenders = []
    for path in SOURCES:
        if layer_of(path) != "core":
            continue
        for line, name in imports_of(path):
            top = name.split(".")[0]
            inner = name.split(".")[1] if top == "hallway" and "." in name else None
            if top in CORE_FORBIDDEN or (top == "hallway" and inner != "core"):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert offenders == []


def test_imports_point_one_way() -> None:
    offenders = []
    for path in SOURCES:
        layer = layer_of(path)
        allowed = LAYERS.get(layer) if layer else None
        if allowed is None:
            continue
        for line, name in imports_of(path):
            parts = name.split(".")
            if parts[0] != "hallway" or len(parts) < 2 or parts[1] in (layer, "__version__"):
                continue
            if parts[1] not in allowed:
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
    assert offenders == []


def test_the_static_check_sees_what_it_should() -> None:
    """The import walker itself: relative, nested and dynamic imports are all seen."""
    source = textwrap.dedent("""
        import PySide6.QtCore
        from ..engine import Node
        from . import wire
        from hallway import ui
        import importlib
        importlib.import_module("zmq")
        def f():
            import sqlite3
    """)
    names = [name for _, name in imports_in(source, ["hallway", "core"])]
    assert names == [
        "PySide6.QtCore",
        "hallway.engine",
        "hallway.core",
        "hallway",
        "hallway.ui",
        "importlib",
        "zmq",
        "sqlite3",
    ]

"""The wheel `pip install .` builds: icons, the autostart entry and the two commands are in it,
and an installed copy finds its resources inside itself, not in the checkout.

Built offline (`pip wheel --no-deps --no-build-isolation --no-index`, with the hatchling already
in the venv) in well under a second.
"""

from __future__ import annotations

import ast
import configparser
import email.parser
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from hallway.assets import AUTOSTART_FILENAME, TRAY_PRESENCES

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ROOT / "desktop" / "hallway"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--quiet", "--wheel-dir", str(out), str(ROOT)],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("hallway-*-py3-none-any.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    (member,) = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(member).decode()


def test_icons_are_in_the_package(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    expected = {"hallway/resources/icons/hallway.svg"} | {
        f"hallway/resources/icons/tray-{presence}-{panel}.svg"
        for presence in TRAY_PRESENCES
        for panel in ("light", "dark")
    }
    assert expected <= names, sorted(expected - names)
    shipped = {n for n in names if n.startswith("hallway/resources/icons/")}
    checkout = {f"hallway/resources/icons/{p.name}" for p in (ROOT / "resources/icons").iterdir()}
    assert shipped == checkout


def test_autostart_template_is_the_packaged_one(wheel: zipfile.ZipFile) -> None:
    inside = wheel.read(f"hallway/resources/autostart/{AUTOSTART_FILENAME}")
    assert inside == (ROOT / "packaging" / "linux" / AUTOSTART_FILENAME).read_bytes()


def test_every_module_and_nothing_else(wheel: zipfile.ZipFile) -> None:
    modules = {n for n in wheel.namelist() if n.endswith(".py")}
    expected = {
        f"hallway/{p.relative_to(SOURCES).as_posix()}"
        for p in SOURCES.rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert modules == expected
    assert not [n for n in wheel.namelist() if "__pycache__" in n or n.endswith(".pyc")]


def test_entry_points_name_existing_functions(wheel: zipfile.ZipFile) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_dist_info(wheel, "entry_points.txt"))
    assert dict(entry_points["console_scripts"]) == {"hallway": "hallway.entry:main"}
    assert dict(entry_points["gui_scripts"]) == {"hallway-tray": "hallway.entry:tray_main"}
    for target in ("hallway.entry:main", "hallway.entry:tray_main"):
        module, function = target.split(":")
        tree = ast.parse(wheel.read(module.replace(".", "/") + ".py"))
        assert function in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}


def test_depends_on_pyside6_essentials_only(wheel: zipfile.ZipFile) -> None:
    metadata = email.parser.Parser().parsestr(_dist_info(wheel, "METADATA"))
    requires = [r.split(";")[0].replace(" ", "") for r in metadata.get_all("Requires-Dist") or []]
    qt = [r for r in requires if r.lower().startswith("pyside6")]
    assert qt, requires
    assert all(r.lower().startswith("pyside6-essentials") for r in qt), qt


def test_installed_copy_finds_resources_inside_itself(
    wheel: zipfile.ZipFile, tmp_path: Path
) -> None:
    site = tmp_path / "site-packages"
    wheel.extractall(site)
    probe = (
        "import hallway; from hallway.assets import icon_path, autostart_template_path\n"
        "print(hallway.__file__); print(icon_path('hallway'))\n"
        "print(icon_path('tray-busy-dark')); print(autostart_template_path())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    found = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env,
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    paths = [Path(line) for line in found.stdout.splitlines()]
    assert len(paths) == 4
    for path in paths:
        assert path.is_relative_to(site / "hallway"), path
        assert path.is_file()

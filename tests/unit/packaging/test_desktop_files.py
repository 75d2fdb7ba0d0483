"""Desktop entries, AppStream metainfo and icons: valid for the tools that read them."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import hallway
from hallway.assets import TRAY_PRESENCES

ROOT = Path(__file__).resolve().parents[3]
LINUX = ROOT / "packaging" / "linux"
ICONS = ROOT / "resources" / "icons"
APP_ID = "io.github.hallway.Hallway"
DESKTOP = LINUX / f"{APP_ID}.desktop"
AUTOSTART = LINUX / "hallway-autostart.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
SVG = "{http://www.w3.org/2000/svg}"
# What QtSvg (SVG Tiny 1.2) draws reliably: no masks, filters or clip paths in our icons.
TINY_ELEMENTS = {
    "svg",
    "title",
    "desc",
    "defs",
    "g",
    "circle",
    "ellipse",
    "rect",
    "path",
    "polygon",
    "polyline",
    "line",
    "linearGradient",
    "radialGradient",
    "stop",
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian: desktop-file-utils / appstream)")
    return path


def _desktop_entry(path: Path) -> dict[str, str]:
    """The [Desktop Entry] group's keys; desktop-file-validate checks the syntax."""
    entry: dict[str, str] = {}
    group = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            group = line.strip("[]")
        elif group == "Desktop Entry" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            entry[key.strip()] = value.strip()
    return entry


@pytest.mark.parametrize("path", [DESKTOP, AUTOSTART], ids=lambda p: p.name)
def test_desktop_file_validates(path: Path) -> None:
    result = subprocess.run(
        [_tool("desktop-file-validate"), str(path)], capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "error:" not in output
    assert "warning:" not in output


def test_metainfo_validates_pedantic() -> None:
    result = subprocess.run(
        [_tool("appstreamcli"), "validate", "--pedantic", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not [line for line in output.splitlines() if line.startswith(("E:", "W:"))], output


def test_desktop_entry_launches_the_tray_script() -> None:
    entry = _desktop_entry(DESKTOP)
    assert entry["Exec"] == "hallway-tray"
    assert entry["Icon"] == APP_ID
    assert set(entry["Categories"].rstrip(";").split(";")) >= {"Network", "Office"}
    gui_scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    assert "hallway-tray" in gui_scripts


def test_autostart_entry_starts_minimized() -> None:
    entry = _desktop_entry(AUTOSTART)
    assert entry["Exec"] == "hallway-tray --minimized"
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    assert entry["Icon"] == APP_ID


def test_autostart_template_ships_in_the_wheel() -> None:
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"
    ]["wheel"]
    assert wheel["force-include"]["resources"] == "hallway/resources"
    shipped = wheel["force-include"]["packaging/linux/hallway-autostart.desktop"]
    assert shipped == "hallway/resources/autostart/hallway-autostart.desktop"


def test_metainfo_matches_package() -> None:
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    launchable = component.find("launchable")
    assert launchable is not None
    assert launchable.text == DESKTOP.name
    releases = component.findall("releases/release")
    assert releases, "metainfo lists no release"
    assert releases[0].get("version") == hallway.__version__, "newest release goes first"


def test_every_presence_has_both_tray_variants() -> None:
    names = {path.stem for path in ICONS.glob("tray-*.svg")}
    expected = {f"tray-{p}-{v}" for p in TRAY_PRESENCES for v in ("light", "dark")}
    assert names >= expected, f"missing: {sorted(expected - names)}"


@pytest.mark.parametrize("path", sorted(ICONS.glob("*.svg")), ids=lambda p: p.name)
def test_svg_parses_with_a_viewbox(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    view_box = root.get("viewBox")
    assert view_box is not None
    x, y, width, height = (float(n) for n in view_box.replace(",", " ").split())
    assert (x, y) == (0, 0)
    assert width == height > 0
    used = {element.tag.removeprefix(SVG) for element in root.iter()}
    assert used <= TINY_ELEMENTS, f"not safe for QtSvg: {sorted(used - TINY_ELEMENTS)}"


@pytest.mark.parametrize("path", sorted(ICONS.glob("tray-*.svg")), ids=lambda p: p.name)
def test_tray_icons_sit_on_a_16px_grid(path: Path) -> None:
    assert ET.parse(path).getroot().get("viewBox") == "0 0 16 16"

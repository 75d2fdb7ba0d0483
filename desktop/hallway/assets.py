"""Find Hallway's bundled files (icons, translations, the autostart entry) on disk.

Pure Python, no Qt: the headless node and the CLI may import it.

Resources ship inside the package as ``hallway/resources/`` (the wheel force-includes the
checkout's top-level ``resources/`` there, and the PyInstaller spec does the same). An editable
install has no such directory, so the checkout's own ``resources/`` is used instead. Both are real
directories: Qt loads icons from paths, so zipped installs are not supported.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path, PurePosixPath
from typing import Final

from hallway.core.errors import HallwayError

__all__ = [
    "AUTOSTART_FILENAME",
    "TRAY_PRESENCES",
    "AssetError",
    "InvalidResourceNameError",
    "ResourceNotFoundError",
    "UnknownPresenceError",
    "autostart_template_path",
    "icon_path",
    "resource_path",
    "resources_dir",
    "tray_icon_name",
]

#: Every state the tray icon can show: the four presences plus "offline" (no node running).
TRAY_PRESENCES: Final = ("available", "away", "busy", "dnd", "offline")

#: The XDG autostart entry that "start at login" copies to ``~/.config/autostart``.
AUTOSTART_FILENAME: Final = "hallway-autostart.desktop"

_PACKAGE: Final = "hallway"
# desktop/hallway/assets.py -> the checkout's root, for editable installs.
_CHECKOUT: Final = Path(__file__).resolve().parent.parent.parent


class AssetError(HallwayError):
    """A bundled resource could not be found or was asked for by an invalid name."""


class ResourceNotFoundError(AssetError, FileNotFoundError):
    """A resource is missing from the installation: a packaging bug, not a user error."""

    def __init__(self, relative: str, searched: tuple[Path, ...]) -> None:
        places = ", ".join(str(p) for p in searched) or "(no resource directory found)"
        super().__init__(f"Hallway resource {relative!r} is missing; looked in: {places}")
        self.relative = relative
        self.searched = searched


class InvalidResourceNameError(AssetError, ValueError):
    """A resource name was absolute, climbed out with '..', or was empty."""


class UnknownPresenceError(AssetError, ValueError):
    """A tray icon was asked for a presence that has none."""


def _package_resources() -> Path | None:
    """``hallway/resources`` inside the installed package, if it is a real directory."""
    candidate = importlib.resources.files(_PACKAGE) / "resources"
    return candidate if isinstance(candidate, Path) else None


def _candidate_dirs() -> tuple[Path, ...]:
    installed = _package_resources()
    checkout = _CHECKOUT / "resources"
    return (installed, checkout) if installed is not None else (checkout,)


def resources_dir() -> Path:
    """The directory that holds Hallway's resources (installed package first, then checkout)."""
    candidates = _candidate_dirs()
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise ResourceNotFoundError(".", candidates)


def _checked_relative(relative: str) -> PurePosixPath:
    path = PurePosixPath(relative)
    if not relative or path.is_absolute() or ".." in path.parts or path == PurePosixPath("."):
        raise InvalidResourceNameError(
            f"Resource names are relative paths inside resources/, got {relative!r}"
        )
    return path


def resource_path(relative: str) -> Path:
    """The file ``relative`` (a '/'-separated path such as ``icons/hallway.svg``) on disk.

    Raises ResourceNotFoundError if the installation lacks it, InvalidResourceNameError if the
    name could point outside the resource directory.
    """
    checked = _checked_relative(relative)
    root = resources_dir()
    path = root.joinpath(*checked.parts)
    if not path.is_file():
        raise ResourceNotFoundError(relative, (root,))
    return path


def icon_path(name: str) -> Path:
    """The SVG icon ``name`` (without extension), e.g. ``icon_path("hallway")``."""
    if not name or "/" in name or "\\" in name or name.endswith(".svg"):
        raise InvalidResourceNameError(
            f"Icon names are bare names without '.svg' or directories, got {name!r}"
        )
    return resource_path(f"icons/{name}.svg")


def tray_icon_name(presence: str, dark: bool) -> str:
    """The icon name for ``presence`` on a dark (``dark=True``) or a light panel.

    ``presence`` is one of TRAY_PRESENCES; a ``hallway.core.model.Presence`` works too.
    """
    value = str(presence)
    if value not in TRAY_PRESENCES:
        raise UnknownPresenceError(
            f"No tray icon for presence {value!r}; expected one of {', '.join(TRAY_PRESENCES)}"
        )
    return f"tray-{value}-{'dark' if dark else 'light'}"


def autostart_template_path() -> Path:
    """The XDG autostart entry to copy to ``~/.config/autostart`` for "start at login".

    Installed builds carry it as ``resources/autostart/``; a checkout keeps it in
    ``packaging/linux/``.
    """
    relative = f"autostart/{AUTOSTART_FILENAME}"
    try:
        return resource_path(relative)
    except ResourceNotFoundError as missing:
        checkout = _CHECKOUT / "packaging" / "linux" / AUTOSTART_FILENAME
        if checkout.is_file():
            return checkout
        raise ResourceNotFoundError(relative, (*missing.searched, checkout.parent)) from None

"""hallway.assets: finding icons and other resources in a checkout and in an installed package."""

from __future__ import annotations

from pathlib import Path

import pytest

from hallway import assets
from hallway.core.model import Presence


def test_resources_dir_in_checkout_is_top_level_resources() -> None:
    root = assets.resources_dir()
    assert (root / "icons" / "hallway.svg").is_file()


def test_icon_path_finds_app_icon() -> None:
    path = assets.icon_path("hallway")
    assert path.is_file()
    assert path.suffix == ".svg"
    assert path.parent == assets.resources_dir() / "icons"


@pytest.mark.parametrize("presence", assets.TRAY_PRESENCES)
@pytest.mark.parametrize("dark", [False, True])
def test_every_tray_icon_exists(presence: str, dark: bool) -> None:
    name = assets.tray_icon_name(presence, dark=dark)
    assert name == f"tray-{presence}-{'dark' if dark else 'light'}"
    assert assets.icon_path(name).is_file()


def test_tray_icon_name_accepts_every_presence_enum_member() -> None:
    for presence in Presence:
        assert assets.tray_icon_name(presence, dark=False) == f"tray-{presence.value}-light"


def test_tray_icon_name_rejects_unknown_presence() -> None:
    with pytest.raises(assets.UnknownPresenceError, match="'sleepy'") as caught:
        assets.tray_icon_name("sleepy", dark=True)
    assert isinstance(caught.value, assets.AssetError)
    assert isinstance(caught.value, ValueError)


def test_missing_resource_raises_with_name_and_places() -> None:
    with pytest.raises(assets.ResourceNotFoundError, match=r"icons/nope\.svg") as caught:
        assets.resource_path("icons/nope.svg")
    assert isinstance(caught.value, assets.AssetError)
    assert caught.value.searched == (assets.resources_dir(),)
    with pytest.raises(assets.ResourceNotFoundError):
        assets.icon_path("no-such-icon")


def test_a_directory_is_not_a_resource_file() -> None:
    with pytest.raises(assets.ResourceNotFoundError):
        assets.resource_path("icons")


@pytest.mark.parametrize(
    "relative", ["", ".", "/etc/passwd", "../pyproject.toml", "icons/../../pyproject.toml"]
)
def test_resource_names_cannot_escape(relative: str) -> None:
    with pytest.raises(assets.InvalidResourceNameError):
        assets.resource_path(relative)


@pytest.mark.parametrize("name", ["", "hallway.svg", "icons/hallway", "..\\hallway"])
def test_icon_names_are_bare(name: str) -> None:
    with pytest.raises(assets.InvalidResourceNameError):
        assets.icon_path(name)


def test_installed_package_resources_win_over_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "resources"
    (installed / "icons").mkdir(parents=True)
    (installed / "icons" / "hallway.svg").write_text("<svg/>")
    monkeypatch.setattr(assets, "_package_resources", lambda: installed)
    assert assets.resources_dir() == installed
    assert assets.icon_path("hallway") == installed / "icons" / "hallway.svg"


def test_no_resource_directory_at_all(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assets, "_package_resources", lambda: tmp_path / "absent")
    monkeypatch.setattr(assets, "_CHECKOUT", tmp_path / "checkout")
    with pytest.raises(assets.ResourceNotFoundError) as caught:
        assets.icon_path("hallway")
    assert caught.value.searched == (tmp_path / "absent", tmp_path / "checkout" / "resources")


def test_autostart_template_in_checkout() -> None:
    path = assets.autostart_template_path()
    assert path.name == assets.AUTOSTART_FILENAME
    assert "Exec=hallway-tray --minimized\n" in path.read_text(encoding="utf-8")


def test_autostart_template_in_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "resources"
    (installed / "autostart").mkdir(parents=True)
    template = installed / "autostart" / assets.AUTOSTART_FILENAME
    template.write_text("[Desktop Entry]\n")
    monkeypatch.setattr(assets, "_package_resources", lambda: installed)
    assert assets.autostart_template_path() == template


def test_autostart_template_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    installed = tmp_path / "resources"
    installed.mkdir()
    monkeypatch.setattr(assets, "_package_resources", lambda: installed)
    monkeypatch.setattr(assets, "_CHECKOUT", tmp_path / "checkout")
    with pytest.raises(assets.ResourceNotFoundError, match=assets.AUTOSTART_FILENAME):
        assets.autostart_template_path()

"""packaging/linux/install-icons: icons, desktop entry and metainfo land where XDG looks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hallway.assets import TRAY_PRESENCES

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "packaging" / "linux" / "install-icons"
APP_ID = "io.github.hallway.Hallway"


def _run(*args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {"PATH": os.environ["PATH"], "HOME": str(home), **env}
    return subprocess.run(
        [str(SCRIPT), *args], capture_output=True, text=True, env=environ, check=False, timeout=30
    )


def _expected(share: Path) -> set[Path]:
    hicolor = share / "icons" / "hicolor" / "scalable"
    files = {
        hicolor / "apps" / f"{APP_ID}.svg",
        share / "applications" / f"{APP_ID}.desktop",
        share / "metainfo" / f"{APP_ID}.metainfo.xml",
    }
    files |= {
        hicolor / "status" / f"{APP_ID}-tray-{presence}-{panel}.svg"
        for presence in TRAY_PRESENCES
        for panel in ("light", "dark")
    }
    return files


def test_default_prefix_is_the_users_local_share(tmp_path: Path) -> None:
    result = _run(home=tmp_path)
    assert result.returncode == 0, result.stderr
    share = tmp_path / ".local" / "share"
    for path in _expected(share):
        assert path.is_file(), path
    assert (share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == (
        ROOT / "resources" / "icons" / "hallway.svg"
    ).read_bytes()


def test_prefix_and_destdir(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    result = _run("--prefix", "/app", home=tmp_path, DESTDIR=str(stage))
    assert result.returncode == 0, result.stderr
    installed = {p for p in stage.rglob("*") if p.is_file()}
    assert installed == _expected(stage / "app" / "share"), "a staged install writes no caches"


def test_usage_errors(tmp_path: Path) -> None:
    assert _run("--help", home=tmp_path).returncode == 0
    result = _run("--frobnicate", home=tmp_path)
    assert result.returncode == 2
    assert "unknown argument: --frobnicate" in result.stderr
    assert not (tmp_path / ".local").exists()

"""Start at login: an XDG autostart entry on Linux, a LaunchAgent on macOS, a Run key on Windows.

Pure Python (no Qt). The XDG entry goes to `$XDG_CONFIG_HOME/autostart` (default `~/.config`),
named after the app id so desktop environments match it with the installed launcher. The macOS
and Windows forms are written here but can only be checked on those systems (see the README of
packaging/pyinstaller).
"""

from __future__ import annotations

import contextlib
import os
import plistlib
import sys
from collections.abc import Mapping
from pathlib import Path

from hallway import assets

APP_ID = "io.github.hallway.Hallway"
ENTRY_NAME = f"{APP_ID}.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

_FALLBACK_ENTRY = """\
[Desktop Entry]
Type=Application
Name=Hallway
Comment=Office presence in the system tray
Exec=hallway-tray --minimized
Icon=io.github.hallway.Hallway
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
X-GNOME-Autostart-Delay=2
X-KDE-autostart-after=panel
"""


def autostart_supported(platform: str = sys.platform) -> bool:
    return platform.startswith("linux") or "bsd" in platform or platform in ("darwin", "win32")


def autostart_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".config")
    return Path(base) / "autostart" / ENTRY_NAME


def _entry_text(home: Path | None) -> str:
    try:
        text = assets.autostart_template_path().read_text(encoding="utf-8")
    except (assets.AssetError, OSError):
        text = _FALLBACK_ENTRY
    if home is not None:
        # A non-default home must come back at login too; quote for the Exec key's rules.
        quoted = '"' + str(home).replace("\\", "\\\\").replace('"', '\\"') + '"'
        text = text.replace("Exec=hallway-tray", f"Exec=hallway-tray --home {quoted}", 1)
    return text


def launch_command(home: Path | None, platform: str = sys.platform) -> list[str]:
    """How the system should start the tray app at login, minimized to the tray."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: its executable is the app
        command = [sys.executable]
    else:
        python = Path(sys.executable)
        if platform == "win32" and (python.parent / "pythonw.exe").exists():
            python = python.parent / "pythonw.exe"  # no console window at login
        command = [str(python), "-m", "hallway.ui.app", "--minimized"]
    if home is not None:
        command += ["--home", str(home)]
    return command


def set_autostart(
    enabled: bool,
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
) -> Path | None:
    """Write or remove the login item; returns where it lives (None for the Windows registry,
    or where start at login is not supported)."""
    if not autostart_supported(platform):
        return None
    if platform == "win32":
        _set_run_key(enabled, home)
        return None
    if platform == "darwin":
        path = launch_agent_path(env)
        content = plistlib.dumps(
            {"Label": APP_ID, "ProgramArguments": launch_command(home, platform), "RunAtLoad": True}
        ).decode()
    else:
        path = autostart_path(env)
        content = _entry_text(home)
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    else:
        path.unlink(missing_ok=True)
    return path


def launch_agent_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("HOME", "~")).expanduser() / "Library" / "LaunchAgents" / f"{APP_ID}.plist"


def _set_run_key(enabled: bool, home: Path | None) -> None:
    if sys.platform == "win32":  # checked on Windows only
        import subprocess
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            if enabled:
                command = subprocess.list2cmdline(launch_command(home, "win32"))
                winreg.SetValueEx(key, "Hallway", 0, winreg.REG_SZ, command)
            else:
                with contextlib.suppress(FileNotFoundError):
                    winreg.DeleteValue(key, "Hallway")
    else:
        raise OSError("the Windows registry exists only on Windows")

"""Start at login: an XDG autostart entry on Linux; elsewhere only the config flag is kept.

Pure Python (no Qt). The entry goes to `$XDG_CONFIG_HOME/autostart` (default `~/.config`), named
after the app id so desktop environments match it with the installed launcher.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from hallway import assets

ENTRY_NAME = "io.github.hallway.Hallway.desktop"

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
    return platform.startswith("linux") or "bsd" in platform


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


def set_autostart(
    enabled: bool,
    *,
    home: Path | None = None,
    env: Mapping[str, str] | None = None,
    platform: str = sys.platform,
) -> Path | None:
    """Write or remove the autostart entry; returns its path, or None where unsupported."""
    if not autostart_supported(platform):
        return None
    path = autostart_path(env)
    if enabled:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(_entry_text(home), encoding="utf-8")
        tmp.replace(path)
    else:
        path.unlink(missing_ok=True)
    return path


def autostart_enabled(env: Mapping[str, str] | None = None) -> bool:
    return autostart_path(env).is_file()

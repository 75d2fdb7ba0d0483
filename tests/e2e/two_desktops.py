"""Two desktops in one office, for the end-to-end tests of two people: each a lab host with its
own X server, session bus, trayer and dunst, and the tray app of its person (Ann on one, Ben on
the other), up and online to each other. Also the helpers those tests share: a person's view of
the office from the command line, the main window opened from the tray menu, dunst's pop-ups.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.conftest import TrayApp, Window
from tests.e2e.desktop import Desktop, require_tools
from tests.net.conftest import PASSPHRASE, node_env
from tests.support.netlab import Lab, require_netns
from tests.support.waiting import wait_until

MAIN = "Hallway"
NAMES = ("Ann", "Ben")


@dataclass
class Pair:
    lab: Lab
    ann: TrayApp
    ben: TrayApp
    tmp: Path

    def keep(self, screenshot: Path) -> Path:
        """A copy in the module's tmp dir too: artifacts/ holds only the last run's."""
        shutil.copy(screenshot, self.tmp / screenshot.name)
        return screenshot


@contextlib.contextmanager
def two_desktops(
    tmp: Path,
    *,
    prepare: Callable[[TrayApp, str], None] | None = None,
    probe: bool = False,
) -> Iterator[Pair]:
    """Ann's and Ben's desktops and apps, once each app sees the other online.

    `prepare(app, name)` runs after `hallway init`, before the app starts (its config, its
    desktop's environment). `probe`: the apps answer `TrayApp.probe()` (tests/e2e/app_probe.py).
    """
    require_netns()
    require_tools("Xvfb", "dbus-daemon", "dunst", "dunstctl", "trayer", "xdotool", "xwininfo",
                  "xprop", "import", "convert", "compare")  # fmt: skip
    passfile = tmp / "passphrase"
    passfile.write_text(PASSPHRASE + "\n")
    passfile.chmod(0o600)
    with Lab() as lab:
        apps: list[TrayApp] = []
        try:
            for host, name in zip(lab.add_hosts(2), NAMES, strict=True):
                own = tmp / f"desktop-{name.lower()}"
                own.mkdir()
                desktop = Desktop(host, own)
                app = TrayApp(desktop, host, tmp / f"home-{name.lower()}", own / "app.log")
                if probe:
                    app.probe_socket = own / "probe"
                apps.append(app)
                desktop.start(dunst=True, trayer=True)
                app.init(passfile, name)
                if prepare is not None:
                    prepare(app, name)
                app.start()
            ann, ben = apps
            wait_until(
                lambda: sees(ann, "Ben") and sees(ben, "Ann"),
                30,
                f"Ann and Ben online to each other; Ann's log:\n{ann.log_tail()}\n"
                f"Ben's log:\n{ben.log_tail()}",
            )
            yield Pair(lab, ann, ben, tmp)
        finally:
            for app in apps:
                app.stop()
                app.desktop.close()


def peers(app: TrayApp) -> list[dict[str, Any]]:
    """`peers --json` of a running app; empty while its control socket is not up yet."""
    result = subprocess.run(
        [sys.executable, "-m", "hallway", "--home", str(app.home), "peers", "--json"],
        env=node_env(), capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    return list(json.loads(result.stdout)) if result.returncode == 0 else []


def sees(app: TrayApp, name: str) -> bool:
    return any(p["name"] == name and p["online"] and not p["own"] for p in peers(app))


def own_id(app: TrayApp) -> str:
    return str(next(p["id"] for p in peers(app) if p["own"]))


def open_window(app: TrayApp) -> Window:
    """ "Open Hallway" in the tray menu: the window, in front and focused."""
    app.open_menu()
    # From the bottom: Quit, Settings…, Pause notifications, Open Hallway.
    app.keys("Up", "Up", "Up", "Up", "Return")
    app.no_menu()
    window = app.window(MAIN)
    app.focused(window)
    return window


def popups(desktop: Desktop) -> list[Window]:
    """dunst's mapped pop-up windows."""
    listing = desktop.run(["xwininfo", "-root", "-children"]).stdout
    found = []
    for line in listing.splitlines():
        if '"Dunst"' in line:
            wid = line.split()[0]
            x, y, width, height = desktop.geometry(wid)
            info = desktop.run(["xwininfo", "-id", wid], check=False).stdout
            if height > 1 and "Map State: IsViewable" in info:
                found.append(Window(wid, "Dunst", x, y, width, height))
    return found


def around(windows: list[Window], margin: int = 8) -> str:
    """A crop (WxH+X+Y) holding all `windows`."""
    left = max(0, min(w.x for w in windows) - margin)
    top = max(0, min(w.y for w in windows) - margin)
    right = max(w.x + w.width for w in windows) + margin
    bottom = max(w.y + w.height for w in windows) + margin
    return f"{right - left}x{bottom - top}+{left}+{top}"

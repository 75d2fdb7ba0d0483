"""`hallway demo`: the tray app in a private office on 127.0.0.1, with simulated colleagues.

The demo binds loopback in this test's own process namespace, which tests/run makes private.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hallway.demo import NAMES
from tests.e2e.conftest import TrayApp
from tests.e2e.desktop import Desktop, LocalHost, require_tools, stop_process
from tests.support.netlab import require_private_loopback
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

TITLE = "Demo office — Hallway"


def _colleagues_with_status(app: TrayApp) -> list[dict[str, object]]:
    result = subprocess.run(
        [sys.executable, "-m", "hallway", "--home", str(app.home), "peers", "--json"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        return []
    peers = json.loads(result.stdout)
    return [p for p in peers if not p["own"] and p["online"] and p["text"]]


def _popups(desktop: Desktop) -> list[tuple[str, str]]:
    """(urgency, summary) of every pop-up the demo showed so far."""
    return list(desktop.dunst_urgencies().values())


def test_demo_shows_a_live_office(tmp_path: Path) -> None:
    require_private_loopback()
    require_tools("Xvfb", "dbus-daemon", "dunst", "trayer", "xdotool", "xwininfo", "import")
    local = LocalHost()
    desktop = Desktop(local, tmp_path)
    home = tmp_path / "you"
    log = tmp_path / "demo.log"
    app = TrayApp(desktop, local, home, log)  # type: ignore[arg-type]  # LocalHost is a Host here
    try:
        desktop.start(dunst=True, trayer=True)
        with log.open("a") as out:
            app.proc = local.popen(
                [sys.executable, "-m", "hallway", "--home", str(home), "demo", "--colleagues", "3"],
                env=TrayApp.env(desktop), stdout=out, stderr=out,
            )  # fmt: skip
        app.tray_icon(timeout=30)
        # A showcase: unlike the everyday app, the demo opens its window at start.
        window = app.window(TITLE, timeout=15)
        colleagues = wait_until(
            lambda: (found := _colleagues_with_status(app)) and len(found) >= 3 and found,
            60,
            f"three simulated colleagues online with a status; demo log:\n{app.log_tail()}",
        )
        assert {p["name"] for p in colleagues} <= set(NAMES)
        # Within its first half minute the demo shows a post and an urgent post (pop-ups).
        wait_until(
            lambda: {"NORMAL", "CRITICAL"} <= {level for level, _ in _popups(desktop)},
            60,
            f"a post and an urgent post from the colleagues; demo log:\n{app.log_tail()}",
        )
        # Closed, it waits in the tray; a second launch brings the running demo's window back.
        app.close_window(window)
        app.no_window(TITLE)
        assert app.alive()
        again = local.run(
            [sys.executable, "-m", "hallway", "--home", str(home)], env=TrayApp.env(desktop)
        )
        assert again.returncode == 0
        window = app.window(TITLE, timeout=15)
        desktop.screenshot("demo-main-people", crop=window.crop)
        desktop.screenshot("demo-desktop")
        # Quit in the tray menu (its last entry) ends the demo, and its colleagues with it.
        app.open_menu()
        app.keys("Up", "Return")
        code = app.wait_exit(15)
    finally:
        app.stop()
        desktop.close()
        for proc in local.procs:
            stop_process(proc)
    assert code == 0, app.log_tail()
    # The demo's colleagues stopped with it: nothing of this home runs any more.
    left = subprocess.run(["pgrep", "-f", str(home)], capture_output=True, text=True, check=False)
    assert left.stdout.strip() == "", f"processes left behind: {left.stdout}"

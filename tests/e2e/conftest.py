"""The tray app for real: Xvfb, trayer, dunst and a private session bus on lab host 1, the app
started as `python -m hallway`, and a colleague (`hallway node --json`) on lab host 2.

One scene per module: starting it costs a few seconds, and the tests walk through one working
day with it in order (status from the command line, from the tray menu, the popup, the window,
a pop-up, quitting).
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.desktop import Desktop, require_tools, stop_process
from tests.net.conftest import OFFICE, PASSPHRASE, RunningNode, is_type, node_env
from tests.support.netlab import Host, Lab, require_netns
from tests.support.waiting import wait_until

WM_CLOSE = Path(__file__).with_name("wm_close.py")
APP_PROBE = Path(__file__).with_name("app_probe.py")
POPUP_MENU = "_NET_WM_WINDOW_TYPE_POPUP_MENU"


@dataclass(frozen=True)
class Window:
    """A top-level X window, as `xwininfo -root -children` lists it."""

    id: str
    name: str
    x: int
    y: int
    width: int
    height: int

    @property
    def center(self) -> tuple[int, int]:
        return self.x + self.width // 2, self.y + self.height // 2

    @property
    def crop(self) -> str:
        """This window's area, for `Desktop.screenshot(crop=...)`."""
        return f"{self.width}x{self.height}+{self.x}+{self.y}"


# `xwininfo -children`/`-tree` lines: 0x60000e "Hallway": ("cls" "Cls")  22x26+0+0  +1253+1
_CHILD = re.compile(
    r'^\s*(0x[0-9a-f]+) (?:"([^"]*)"|\(has no name\))'  # id, name
    r".*?(\d+)x(\d+)[+-]\S+\s+\+(-?\d+)\+(-?\d+)"  # size, then absolute position
)


class TrayApp:
    """The app under test, running in `host` on `desktop` for `home`."""

    def __init__(self, desktop: Desktop, host: Host, home: Path, log: Path) -> None:
        self.desktop = desktop
        self.host = host
        self.home = home
        self.log = log
        self.proc: subprocess.Popen[str] | None = None
        #: Set before `start`: the app runs under tests/e2e/app_probe.py, which answers `probe`.
        self.probe_socket: Path | None = None

    @staticmethod
    def env(desktop: Desktop) -> dict[str, str]:
        # faulthandler: a hung app shows its threads' stacks on SIGABRT (see wait_exit).
        return {**node_env(), **desktop.env, "QT_QPA_PLATFORM": "xcb", "PYTHONFAULTHANDLER": "1"}

    def init(self, passfile: Path, name: str = "Ann") -> None:
        self.host.run(
            [sys.executable, "-m", "hallway", "--home", str(self.home), "init", "--name", name,
             "--office", OFFICE, "--passphrase-file", str(passfile),
             "--interface", self.host.address],
            env=self.env(self.desktop),
        )  # fmt: skip

    def start(self) -> TrayApp:
        command = [sys.executable, "-m", "hallway"]
        if self.probe_socket is not None:
            command = [sys.executable, str(APP_PROBE), str(self.probe_socket)]
        with self.log.open("a") as log:
            self.proc = self.host.popen(
                [*command, "--home", str(self.home)],
                env=self.env(self.desktop),
                stdout=log,
                stderr=log,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A client command against the running app, from outside the lab (a socket path)."""
        result = subprocess.run(
            [sys.executable, "-m", "hallway", "--home", str(self.home), *args],
            env=node_env(), capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert result.returncode == 0, f"hallway {' '.join(args)}: {result.stderr}"
        return result

    def wait_exit(self, timeout: float) -> int:
        """Wait for the app to end; if it hangs, fail with every thread's stack (faulthandler)."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGABRT)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
            raise AssertionError(
                f"the app did not end within {timeout:.0f} s:\n{self.log_tail(80)}"
            ) from None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        stop_process(self.proc, timeout=10)
        return self.proc.returncode

    def probe(self) -> dict[str, Any]:
        """What the app's main window shows now (tests/e2e/app_probe.py), {} while the app is
        not answering yet."""
        assert self.probe_socket is not None, "start the app with a probe_socket"
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(15)
            try:
                client.connect(str(self.probe_socket))
            except (FileNotFoundError, ConnectionRefusedError):
                return {}
            client.sendall(b"state\n")
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = client.recv(65536)
                if not chunk:
                    break
                reply += chunk
        state: dict[str, Any] = json.loads(reply)
        assert "error" not in state, f"the app's probe failed: {state['error']}"
        return state

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    # -- its windows -----------------------------------------------------------------------------

    def windows(self) -> list[Window]:
        """The app's mapped top-level windows (on this desktop only the app makes "Hallway"s)."""
        listing = self.desktop.run(["xwininfo", "-root", "-children"]).stdout
        found = []
        for line in listing.splitlines():
            match = _CHILD.match(line)
            if match is None or "Hallway" not in (match.group(2) or ""):
                continue
            wid, name, width, height, x, y = match.groups()
            if int(width) > 1 and int(height) > 1 and self.viewable(wid):
                found.append(Window(wid, name, int(x), int(y), int(width), int(height)))
        return found

    def listing(self) -> str:
        """Every mapped top-level window with its type and the pointer's place, for a failure's
        message: what was where when something did not appear."""
        lines = []
        for line in self.desktop.run(["xwininfo", "-root", "-children"]).stdout.splitlines():
            wid = line.split()[0] if line.strip().startswith("0x") else ""
            if wid and self.viewable(wid):
                kind = self.window_type(wid).rpartition("_NET_WM_WINDOW_TYPE_")[2].strip()
                lines.append(f"{line.strip()} [{kind}]")
        pointer = self.desktop.run(["xdotool", "getmouselocation"], check=False).stdout.strip()
        return "\n".join([*lines, f"pointer: {pointer}"])

    def viewable(self, window: str) -> bool:
        info = self.desktop.run(["xwininfo", "-id", window], check=False).stdout
        return "Map State: IsViewable" in info

    def window_type(self, window: str) -> str:
        return self.desktop.run(["xprop", "-id", window, "_NET_WM_WINDOW_TYPE"]).stdout

    def titled(self, title: str) -> list[Window]:
        """Mapped windows titled exactly `title`, menus left out (they are titled "Hallway")."""
        return [
            w
            for w in self.windows()
            if w.name == title and POPUP_MENU not in self.window_type(w.id)
        ]

    def window(self, title: str, timeout: float = 10.0) -> Window:
        """Wait for the mapped window titled exactly `title`."""
        return wait_until(
            lambda: next(iter(self.titled(title)), None),
            timeout,
            lambda: f"a window titled {title!r}; app log:\n{self.log_tail()}",
        )

    def no_window(self, title: str, timeout: float = 10.0) -> None:
        wait_until(
            lambda: not self.titled(title),
            timeout,
            f"the window {title!r} to go",
        )

    def menu(self, timeout: float = 10.0) -> Window:
        """Wait for an open popup menu."""
        return wait_until(
            lambda: next((w for w in self.windows() if POPUP_MENU in self.window_type(w.id)), None),
            timeout,
            lambda: (
                f"the tray menu to open; windows:\n{self.listing()}\napp log:\n{self.log_tail()}"
            ),
        )

    def no_menu(self, timeout: float = 10.0) -> None:
        wait_until(
            lambda: not any(POPUP_MENU in self.window_type(w.id) for w in self.windows()),
            timeout,
            "the tray menu to close",
        )

    def tray_icon(self, timeout: float = 10.0) -> Window:
        """Wait for the app's icon embedded in trayer's panel (XEmbed)."""

        def embedded() -> Window | None:
            panel = self.desktop.tray_window()
            if panel is None:
                return None
            px, py, pwidth, pheight = self.desktop.geometry(panel)
            tree = self.desktop.run(["xwininfo", "-tree", "-id", panel]).stdout
            for line in tree.splitlines():
                match = _CHILD.match(line)
                if match is None or match.group(2) != "Hallway":
                    continue
                wid, name, width, height, x, y = match.groups()
                icon = Window(wid, name, int(x), int(y), int(width), int(height))
                inside = px <= icon.x and icon.x + icon.width <= px + pwidth
                inside = inside and py <= icon.y and icon.y + icon.height <= py + pheight
                # Embedding first, then the tray lays the icon out: wait until it is in place.
                if inside and icon.height >= 16 and self.viewable(wid):
                    return icon
            return None

        return wait_until(
            embedded, timeout, lambda: f"the tray icon inside trayer; app log:\n{self.log_tail()}"
        )

    def close_window(self, window: Window) -> None:
        """Close it as a window manager's close button would (there is no window manager)."""
        self.desktop.run([sys.executable, str(WM_CLOSE), window.id])

    def click(self, x: int, y: int, button: int = 1) -> None:
        self.desktop.xdotool("mousemove", str(x), str(y), "click", str(button))

    def open_menu(self) -> Window:
        """Right-click the tray icon and wait for its menu.

        Keys pressed next reach the menu even before its keyboard grab: the server gives them
        to the focused window or the one under the pointer (the icon, the menu), all the app's,
        and Qt hands every key to its open popup."""
        self.click(*self.tray_icon().center, button=3)
        return self.menu()

    def keys(self, *keys: str) -> None:
        self.desktop.xdotool("key", "--delay", "40", *keys)

    def type_text(self, text: str) -> None:
        """Type ASCII `text` as a person would. Anything else is pasted (`Desktop.clipboard`):
        xdotool types a character missing from the keymap by remapping a spare key for a
        moment, and under load the app reads the keymap too late and drops it."""
        assert text.isascii(), f"paste {text!r} through Desktop.clipboard instead"
        self.desktop.xdotool("type", "--delay", "20", text)

    def unfocused(self, timeout: float = 10.0) -> None:
        """Wait until the app has let the keyboard focus go, after its focused window went.

        Qt's xcb backend takes a focus-out as the app's own only 100 ms later, once no FocusIn
        to another of its windows has come, and then closes any popup open: a tray menu opened
        in those 100 ms shuts as it opens. No person's click follows a closing window that
        closely; a test's does. Needs a `probe_socket`."""
        wait_until(
            lambda: self.probe().get("focus", "") is None,
            timeout,
            lambda: f"the app to let the focus go; app log:\n{self.log_tail()}",
        )

    def focused(self, window: Window, timeout: float = 10.0) -> None:
        """Wait until `window` has the keyboard focus: mapped is not yet focused (the app sets
        the focus when the server reports the window mapped), and keys go where the focus is."""
        wait_until(
            lambda: self.desktop.focus() == int(window.id, 16),
            timeout,
            lambda: (
                f"the keyboard focus on {window.name!r} ({window.id}), which is on "
                f"{self.desktop.focus():#x}; windows:\n{self.listing()}\n"
                f"app log:\n{self.log_tail()}"
            ),
        )


@dataclass
class Scene:
    lab: Lab
    desktop: Desktop
    app: TrayApp
    colleague: RunningNode
    passfile: Path
    tmp: Path

    @property
    def ann(self) -> str:
        """Ann's (the app's) peer id, as the colleague knows it."""
        event = self.colleague.find(is_type("peer_online", name="Ann"))
        assert event is not None
        return str(event["peer"])


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    require_netns()
    require_tools("Xvfb", "dbus-daemon", "dunst", "dunstctl", "trayer", "xdotool", "xwininfo",
                  "xprop", "import", "convert")  # fmt: skip
    tmp = tmp_path_factory.mktemp("e2e")
    passfile = tmp / "passphrase"
    passfile.write_text(PASSPHRASE + "\n")
    passfile.chmod(0o600)
    with Lab() as lab:
        ann_host, ben_host = lab.add_hosts(2)
        desktop = Desktop(ann_host, tmp)
        app = TrayApp(desktop, ann_host, tmp / "home-ann", tmp / "app.log")
        app.probe_socket = tmp / "probe"
        colleague = RunningNode(
            ben_host,
            tmp / "home-ben",
            "Ben",
            ["--office", OFFICE, "--passphrase-file", str(passfile)],
        )
        try:
            desktop.start(dunst=True, trayer=True)
            app.init(passfile)
            app.start()
            colleague.start()
            colleague.wait(is_type("peer_online", name="Ann"), timeout=20)
            yield Scene(lab, desktop, app, colleague, passfile, tmp)
        finally:
            app.stop()
            if colleague.proc is not None:
                colleague.stop()
            desktop.close()

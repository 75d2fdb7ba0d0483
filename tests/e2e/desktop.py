"""A private Linux desktop for end-to-end tests: Xvfb, a D-Bus session bus, dunst and trayer.

Everything runs through a *launcher*: a lab `Host` (so the X server, the bus, the daemons and the
app share one network namespace; abstract unix sockets are per namespace) or `LocalHost` for
tests that need no lab. The bus listens on a socket *path* of our own, with a configuration that
activates nothing: no daemon starts behind a test's back (dunst ships a D-Bus service file).

Waiting is done with deadlines (`wait_until`), never with bare sleeps.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import selectors
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

import pytest

from tests.support.waiting import wait_until

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CLIPBOARD_OWNER = Path(__file__).with_name("clipboard_owner.py")
SELECTION_OWNER = Path(__file__).with_name("selection_owner.py")
DUNST_MENU = Path(__file__).with_name("dunst_menu.py")

#: Tool -> the Debian package that has it (packaging/bootstrap --test installs them all).
TOOLS = {
    "Xvfb": "xvfb",
    "dbus-daemon": "dbus",
    "dunst": "dunst",
    "dunstctl": "dunst",
    "trayer": "trayer",
    "xdotool": "xdotool",
    "xwininfo": "x11-utils",
    "xprop": "x11-utils",
    "import": "imagemagick",
    "convert": "imagemagick",
    "compare": "imagemagick",
}


def require_tools(*tools: str) -> None:
    """Fail (never skip: CI must run these tests) when a tool is missing, saying what to do."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        packages = sorted({TOOLS.get(tool, tool) for tool in missing})
        pytest.fail(
            f"missing tools for the desktop tests: {', '.join(missing)}; install the Debian "
            f"packages {' '.join(packages)} (as root, `packaging/bootstrap --test` does it)",
            pytrace=False,
        )


class Launcher(Protocol):
    """Where the desktop's processes run: a `tests.support.netlab.Host`, or `LocalHost`."""

    def popen(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
        stdout: int | IO[Any] | None = None,
        stderr: int | IO[Any] | None = None,
        text: bool = True,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.Popen[str]: ...

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = 30.0,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]: ...


class LocalHost:
    """A launcher for this machine (this process's network namespace)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[str]] = []

    def popen(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        stdin: int | IO[Any] | None = subprocess.DEVNULL,
        stdout: int | IO[Any] | None = None,
        stderr: int | IO[Any] | None = None,
        text: bool = True,
        cwd: str | os.PathLike[str] | None = None,
    ) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            list(argv),
            env=None if env is None else dict(env),
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            text=text,
            cwd=cwd,
            start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def run(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        check: bool = True,
        timeout: float = 30.0,
        input_text: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv),
            env=None if env is None else dict(env),
            input=input_text,
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )


def stop_process(proc: subprocess.Popen[Any], timeout: float = 5.0) -> None:
    """SIGTERM the process group `proc` leads, then SIGKILL it if it lingers; reap it."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.close()


def _first_line(proc: subprocess.Popen[str], timeout: float, what: str) -> str:
    """The first line `proc` prints, within `timeout` seconds."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise AssertionError(f"{what} printed nothing within {timeout:.0f} s")
    line = proc.stdout.readline().strip()
    if not line:
        raise AssertionError(f"{what} exited ({proc.wait()}) before it was ready")
    return line


class ClipboardOwner:
    """The process that holds the clipboard (tests/e2e/clipboard_owner.py)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc

    def expect(self, word: str, timeout: float) -> None:
        line = _first_line(self.proc, timeout, "the clipboard owner")
        assert line == word, f"the clipboard owner said {line!r}, expected {word!r}"

    def pasted(self, timeout: float = 10.0) -> None:
        """Wait until a program took the text: the app has handled the keys up to the paste."""
        self.expect("pasted", timeout)


_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""

# Readable pop-ups of a fixed size at the top right, under the tray. Distinct timeouts per
# urgency show in dunst's history (it does not list the urgency itself), and the script records
# the urgency dunst saw for each of our pop-ups. The context menu (`Desktop.dunst_choose`) runs
# tests/e2e/dunst_menu.py as its dmenu. A new event's pop-up, and a post's asking to be
# acknowledged, stay until answered or closed, so a loaded machine cannot let them expire before
# the test chooses one of their actions.
_DUNSTRC = """[global]
    monitor = 0
    follow = none
    width = 380
    height = 140
    origin = top-right
    offset = 10x40
    notification_limit = 5
    font = DejaVu Sans 10
    format = "<b>%s</b>\\n%b"
    markup = full
    show_indicators = false
    icon_position = left
    min_icon_size = 32
    max_icon_size = 40
    padding = 10
    horizontal_padding = 12
    frame_width = 1
    separator_height = 1
    corner_radius = 6
    history_length = 50
    sticky_history = yes
    idle_threshold = 0
    mouse_left_click = do_action, close_current
    dmenu = "{dmenu}"

[urgency_low]
    background = "#2b303b"
    foreground = "#c0c5ce"
    frame_color = "#4f5b66"
    timeout = 5

[urgency_normal]
    background = "#2b303b"
    foreground = "#eff1f5"
    frame_color = "#65737e"
    timeout = 10

[urgency_critical]
    background = "#8f1d21"
    foreground = "#ffffff"
    frame_color = "#ff5555"
    timeout = 0

[hallway_new_event]
    appname = Hallway
    summary = "New event: *"
    timeout = 0

[hallway_acknowledge]
    appname = Hallway
    summary = "* asks you to acknowledge"
    timeout = 0

[record_hallway]
    appname = Hallway
    script = {script}
"""

_RECORD_SCRIPT = """#!/bin/sh
printf '%s\\t%s\\t%s\\n' "$DUNST_ID" "$DUNST_URGENCY" "$DUNST_SUMMARY" >> {record}
"""


@dataclass(frozen=True)
class Notification:
    """One entry of dunst's history."""

    id: int
    appname: str
    summary: str
    body: str
    timeout_us: int
    default_action: str
    icon_path: str


class Desktop:
    """Xvfb, a session bus, and optionally dunst and trayer, all started through `launcher`.

    `env` is what a client of this desktop needs (DISPLAY, DBUS_SESSION_BUS_ADDRESS, a private
    XDG_RUNTIME_DIR). `close()` stops everything it started, in reverse order.
    """

    def __init__(self, launcher: Launcher, tmp: Path, *, size: str = "1280x800x24") -> None:
        self.launcher = launcher
        self.tmp = tmp
        self.size = size
        self.procs: list[subprocess.Popen[str]] = []
        self.logs: dict[str, Path] = {}
        self.env: dict[str, str] = {}
        self.display = ""
        self.bus_address = ""
        self.record = tmp / "dunst-record.tsv"
        self.menu_choice = tmp / "dunst-menu-choice.json"
        self.menu_offered = tmp / "dunst-menu-offered.txt"
        self._grabs = itertools.count()

    # -- starting ------------------------------------------------------------------------------

    def start(self, *, dunst: bool = True, trayer: bool = False) -> Desktop:
        try:
            self.start_x()
            self.start_bus()
            if trayer:
                self.start_trayer()
            if dunst:
                self.start_dunst()
        except BaseException:
            self.close()
            raise
        return self

    def _log(self, name: str) -> IO[str]:
        path = self.tmp / f"{name}.log"
        self.logs[name] = path
        return path.open("a")

    def _popen(
        self, name: str, argv: Sequence[str], *, pipe: bool = False
    ) -> subprocess.Popen[str]:
        with self._log(name) as log:
            proc = self.launcher.popen(
                argv,
                env=self.env or dict(os.environ),
                stdout=subprocess.PIPE if pipe else log,
                stderr=log,
            )
        self.procs.append(proc)
        return proc

    def start_x(self) -> None:
        # -displayfd: Xvfb picks a free display itself and prints its number once it is ready.
        proc = self._popen(
            "xvfb",
            ["Xvfb", "-displayfd", "1", "-nolisten", "tcp", "-screen", "0", self.size, "-noreset"],
            pipe=True,
        )
        self.display = ":" + _first_line(proc, 15, "Xvfb")
        runtime = self.tmp / "xdg-runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.env = {
            **os.environ,
            "DISPLAY": self.display,
            "XDG_RUNTIME_DIR": str(runtime),
            "NO_AT_BRIDGE": "1",
        }
        self.env.pop("WAYLAND_DISPLAY", None)

    def start_bus(self) -> None:
        self.env = self.env or dict(os.environ)
        config = self.tmp / "session-bus.conf"
        config.write_text(_BUS_CONFIG.format(socket=self.tmp / "bus"))
        proc = self._popen(
            "dbus",
            ["dbus-daemon", "--nofork", "--print-address=1", f"--config-file={config}"],
            pipe=True,
        )
        self.bus_address = _first_line(proc, 10, "dbus-daemon")
        self.env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address

    def start_dunst(self) -> None:
        script = self.tmp / "dunst-record.sh"
        script.write_text(_RECORD_SCRIPT.format(record=self.record))
        script.chmod(0o755)
        config = self.tmp / "dunstrc"
        dmenu = shlex.join([sys.executable, str(DUNST_MENU), str(self.menu_choice),
                            str(self.menu_offered)])  # fmt: skip
        config.write_text(_DUNSTRC.format(script=script, dmenu=dmenu))
        self._popen("dunst", ["dunst", "-config", str(config)])
        wait_until(
            lambda: self.run(["dunstctl", "is-paused"], check=False).returncode == 0,
            10,
            "dunst to own org.freedesktop.Notifications",
        )

    def start_trayer(self) -> None:
        self._popen(
            "trayer",
            ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
             "--width", "200", "--height", "28", "--transparent", "true", "--alpha", "0",
             "--tint", "0x303030", "--SetDockType", "true", "--SetPartialStrut", "true",
             "--expand", "false", "--padding", "4", "--iconspacing", "4"],
        )  # fmt: skip
        wait_until(self.tray_window, 10, "trayer's window")
        # Mapped is not yet a tray: an app started before trayer owns the tray selection finds
        # none, and shows its window instead.
        wait_until(
            lambda: self.selection_owner("_NET_SYSTEM_TRAY_S0"),
            10,
            "trayer to own the system tray selection",
        )

    # -- looking ---------------------------------------------------------------------------------

    def run(
        self, argv: Sequence[str], *, check: bool = True, timeout: float = 15.0
    ) -> subprocess.CompletedProcess[str]:
        """Run a client of this desktop (xdotool, dunstctl, ...) where the desktop runs."""
        return self.launcher.run(argv, env=self.env, check=check, timeout=timeout)

    def tray_window(self) -> str | None:
        """The id of trayer's panel window, once it is mapped."""
        found = self.run(
            ["xdotool", "search", "--onlyvisible", "--classname", "panel"], check=False
        )
        ids = found.stdout.split()
        return ids[0] if ids else None

    def selection_owner(self, selection: str) -> int:
        """The window owning `selection` on this display, or 0."""
        found = self.run([sys.executable, str(SELECTION_OWNER), selection])
        return int(found.stdout.strip())

    def tray_clients(self) -> list[str]:
        """The windows embedded in the tray (XEmbed): children of trayer's panel, with a size."""
        panel = self.tray_window()
        if panel is None:
            return []
        tree = self.run(["xwininfo", "-children", "-id", panel]).stdout
        return [line.strip() for line in tree.splitlines() if line.strip().startswith("0x")]

    def geometry(self, window: str) -> tuple[int, int, int, int]:
        """x, y, width, height of `window` on the screen."""
        info = self.run(["xdotool", "getwindowgeometry", "--shell", window]).stdout
        values = dict(line.split("=", 1) for line in info.split() if "=" in line)
        return int(values["X"]), int(values["Y"]), int(values["WIDTH"]), int(values["HEIGHT"])

    def visible_windows(self, name: str) -> list[str]:
        """Ids of mapped windows whose title matches `name` (a regular expression)."""
        found = self.run(["xdotool", "search", "--onlyvisible", "--name", name], check=False)
        return found.stdout.split()

    def xdotool(self, *args: str) -> None:
        self.run(["xdotool", *args])

    def focus(self) -> int:
        """The window that has the keyboard focus (what typed keys go to), as a number."""
        return int(self.run(["xdotool", "getwindowfocus", "-f"]).stdout.strip() or 0)

    @contextlib.contextmanager
    def clipboard(self, text: str) -> Iterator[ClipboardOwner]:
        """Inside the block, the CLIPBOARD selection holds `text`, ready for a paste (ctrl+v).

        Its owner serves the paste when the app asks for it, so it stays until the block ends.
        """
        with self._log("clipboard") as log:
            proc = self.launcher.popen(
                [sys.executable, str(CLIPBOARD_OWNER), text],
                env={**self.env, "QT_QPA_PLATFORM": "xcb"},
                stdout=subprocess.PIPE,
                stderr=log,
            )
        try:
            owner = ClipboardOwner(proc)
            owner.expect("ready", 15)
            yield owner
        finally:
            stop_process(proc)

    def screenshot(self, name: str, *, crop: str | None = None, zoom: int = 1) -> Path:
        """Save the whole screen (or `crop`, as WxH+X+Y) to artifacts/screenshots/NAME.png,
        magnified `zoom` times without smoothing (to judge a 22 px tray icon)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        # Written aside, then renamed: two runs at once never leave a half-written PNG.
        part = SCREENSHOTS / f".{name}.{os.getpid()}.png"
        argv = ["import", "-window", "root"]
        if crop is not None:
            argv += ["-crop", crop, "+repage"]
        self.run([*argv, str(part)])
        if zoom > 1:
            self.run(["convert", str(part), "-sample", f"{zoom * 100}%", str(part)])
        assert part.stat().st_size > 0, f"empty screenshot {path}"
        part.replace(path)
        return path

    def grab(self, crop: str) -> Path:
        """The pixels of `crop` (WxH+X+Y) now, as a PPM in tmp: no metadata, so equal pixels
        make equal files (`differing_pixels`)."""
        path = self.tmp / f"grab-{next(self._grabs)}.ppm"
        self.run(["import", "-window", "root", "-crop", crop, "+repage", f"ppm:{path}"])
        return path

    def differing_pixels(self, a: Path, b: Path) -> int:
        # compare exits 0 (same), 1 (different) or 2 (trouble), and prints the count on stderr.
        result = self.run(["compare", "-metric", "AE", str(a), str(b), "null:"], check=False)
        assert result.returncode in (0, 1), f"compare {a} {b}: {result.stderr}"
        return int(float(result.stderr.split()[0]))

    def settled(self, crop: str, timeout: float = 15.0, *, still: int = 100) -> Path:
        """Wait until `crop` stops changing: two grabs in a row differ in at most `still` pixels
        (a blinking text cursor is a few dozen). Returns the last grab."""
        last = [self.grab(crop)]

        def steady() -> Path | None:
            now = self.grab(crop)
            before, last[0] = last[0], now
            same = self.differing_pixels(before, now) <= still
            before.unlink()
            return now if same else None

        return wait_until(steady, timeout, f"the screen at {crop} to settle")

    def changed(self, crop: str, reference: Path, *, pixels: int, timeout: float = 10.0) -> None:
        """Wait until `crop` differs from the `reference` grab in at least `pixels` pixels."""

        def differs() -> bool:
            now = self.grab(crop)
            count = self.differing_pixels(reference, now)
            now.unlink()
            return count >= pixels

        wait_until(differs, timeout, f"the screen at {crop} to change")

    # -- dunst -----------------------------------------------------------------------------------

    def dunst_history(self) -> list[Notification]:
        """Closed and expired pop-ups, newest first (`dunstctl history`)."""
        data = json.loads(self.run(["dunstctl", "history"]).stdout)
        entries = data["data"][0] if data.get("data") else []
        return [
            Notification(
                id=int(entry["id"]["data"]),
                appname=entry["appname"]["data"],
                summary=entry["summary"]["data"],
                body=entry["body"]["data"],
                timeout_us=int(entry["timeout"]["data"]),
                default_action=entry.get("default_action_name", {}).get("data", ""),
                icon_path=entry.get("icon_path", {}).get("data", ""),
            )
            for entry in entries
        ]

    def dunst_choose(self, label: str, notification: int, timeout: float = 10.0) -> list[str]:
        """Choose the action `label` of the pop-up with dunst id `notification` in dunst's context
        menu (`dunstctl context`, which runs tests/e2e/dunst_menu.py). Returns the menu's lines,
        once the choice is made; dunst then invokes the action."""
        self.menu_offered.unlink(missing_ok=True)
        self.menu_choice.write_text(json.dumps({"label": label, "id": notification}))
        self.run(["dunstctl", "context"])

        def offered() -> tuple[list[str]] | None:
            if not self.menu_offered.exists():
                return None
            return (self.menu_offered.read_text().splitlines(),)  # a tuple: an empty menu counts

        return wait_until(offered, timeout, "dunst's context menu")[0]

    def dunst_displayed(self) -> int:
        return int(self.run(["dunstctl", "count", "displayed"]).stdout.strip() or 0)

    def dunst_urgencies(self) -> dict[int, tuple[str, str]]:
        """Notification id -> (urgency as dunst saw it, summary), from the recording script."""
        if not self.record.exists():
            return {}
        rows = (line.split("\t", 2) for line in self.record.read_text().splitlines())
        return {int(row[0]): (row[1], row[2]) for row in rows if len(row) == 3}

    # -- stopping --------------------------------------------------------------------------------

    def close(self) -> None:
        for proc in reversed(self.procs):
            stop_process(proc)
        self.procs.clear()

    def log_tail(self, lines: int = 15) -> str:
        parts = []
        for name, path in self.logs.items():
            with contextlib.suppress(OSError):
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                if tail:
                    parts.append(f"--- {name}\n" + "\n".join(tail))
        return "\n".join(parts)

"""`hallway demo`: a private office on this machine, with simulated colleagues.

Each colleague is a real headless node (`hallway node`) in a subprocess with its own home, so the
demo exercises the real engine. A driver thread makes one of them change status or post now and
then, through that colleague's control socket. Everything is pinned to 127.0.0.1 under the demo
office's key: nothing reaches the LAN, and no other office can see it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

from hallway.control.client import ControlClient
from hallway.control.protocol import ControlError
from hallway.core.errors import HallwayError
from hallway.store.home import control_socket_path

__all__ = ["DEMO_INTERFACE", "NAMES", "DemoOffice"]

log = logging.getLogger(__name__)

DEMO_INTERFACE: Final = "127.0.0.1"
#: The demo's private office. It is pinned to 127.0.0.1; the passphrase only keeps it apart from
#: other offices on the same machine.
DEMO_OFFICE: Final = "Hallway demo"
DEMO_PASSPHRASE: Final = "demo"  # noqa: S105 -- not a secret, see above

NAMES: Final = ("Ann", "Ben", "Chloé", "Dev", "Emma", "Femi", "Grace", "Hiro")
# The demo's throwaway keys stay out of the person's real keyring: the null backend makes each
# colleague keep its keys in an owner-only file in its own (temporary) home.
KEYRING_ENV: Final = {"PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


@dataclass(frozen=True, slots=True)
class _Status:
    presence: str
    text: str
    emoji: str = ""
    minutes: int | None = None  # clears after this long; "{until}" in the text shows when


_STATUSES: Final = (
    _Status("busy", "In a call until {until}", "📞", 45),
    _Status("busy", "Interviewing a candidate", "🤝", 60),
    _Status("away", "Lunch", "🍜", 40),
    _Status("away", "Coffee run, back in 10", "☕", 10),
    _Status("away", "At the dentist", "🦷", 90),
    _Status("dnd", "Focus time: finishing the quarterly report", "🎧", 60),
    _Status("dnd", "Deep work until {until}", "🔕", 30),
    _Status("available", "Back at my desk"),
    _Status("available", "Working from home today", "🏠"),
    _Status("available", "Happy to pair on anything", "👋"),
    _Status("busy", "Client workshop in room 2", "📋", 120),
    _Status("away", "Picking up the kids, online later", "🚗", 60),
)
_POSTS: Final = (
    "Cake in the kitchen #treats",
    "Standup moved to 10:15 today #standup",
    "Who took the blue stapler? It has my name on it.",
    "The printer on the 2nd floor is jammed again, use the one by reception #office",
    "Pizza Friday: add your order to the sheet by 11 #food",
    "Reminder: timesheets are due tonight",
    "Parcel for Grace at reception 📦",
    "Meeting room 3 is free after all, grab it if you need it",
    "Welcome Femi, who joins the design team today! #welcome",
    "Fresh coffee beans arrived ☕ #treats",
)
_URGENT: Final = (
    "Fire drill at 11:00, please leave by the stairs",
    "The car park gate is stuck: park on the street this morning",
    "Server room is too hot, please nobody start big builds for an hour",
)


class DemoOffice:
    """`count` simulated colleagues under `base_dir` (one home each), and their driver.

    `start()` launches them and returns at once; they join over the next seconds. `close()` stops
    them cleanly (SIGTERM, so they say goodbye) and joins the driver; it is idempotent.
    """

    def __init__(
        self,
        base_dir: Path,
        count: int = 4,
        *,
        interval: tuple[float, float] = (20.0, 60.0),
        seed: int | None = None,
        python: str = sys.executable,
    ) -> None:
        if not 1 <= count <= len(NAMES):
            raise ValueError(f"count must be between 1 and {len(NAMES)}")
        self.base_dir = Path(base_dir)
        self.names = NAMES[:count]
        self.homes = {name: self.base_dir / name for name in self.names}
        self.passphrase_file = self.base_dir / "demo-passphrase"
        self._interval = interval
        self._rng = random.Random(seed)  # noqa: S311 -- picks demo content, nothing secret
        self._python = python
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self._stop = threading.Event()
        self._driver: threading.Thread | None = None
        self._closed = False

    def __enter__(self) -> DemoOffice:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        if self._driver is not None or self._closed:
            return
        self.base_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.passphrase_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(DEMO_PASSPHRASE + "\n")
        try:
            for name in self.names:
                self._spawn(name)
        except BaseException:
            self.close()
            raise
        self._driver = threading.Thread(target=self._drive, name="hallway-demo", daemon=True)
        self._driver.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._driver is not None:
            self._driver.join()
        for process in self._processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for name, process in self._processes.items():
            try:
                process.wait(timeout=10.0)
            except subprocess.TimeoutExpired:
                log.warning("demo colleague %s did not stop; killing it", name)
                process.kill()
                process.wait()
        for file in self._logs:
            file.close()

    def _spawn(self, name: str) -> None:
        home = self.homes[name]
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        command = [
            self._python,
            "-m",
            "hallway",
            "--home",
            os.fspath(home),
            "node",
            "--name",
            name,
            "--office",
            DEMO_OFFICE,
            "--passphrase-file",
            os.fspath(self.passphrase_file),
            "--interface",
            DEMO_INTERFACE,
            "--json",
        ]
        logfile = (home / "node.log").open("ab")
        self._logs.append(logfile)
        self._processes[name] = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=logfile,
            stderr=logfile,
            env={**os.environ, **KEYRING_ENV},
            start_new_session=True,  # the terminal's Ctrl-C is ours to handle, then we stop them
        )

    # the driver ----------------------------------------------------------------------------

    def client(self, name: str) -> ControlClient:
        return ControlClient(control_socket_path(self.homes[name]), timeout=5.0)

    def _drive(self) -> None:
        ready = self._wait_ready(timeout=60.0)
        for name, status in zip(ready, self._rng.sample(_STATUSES, len(ready)), strict=True):
            if self._stop.is_set():
                return
            self._act(name, status)
        while not self._stop.wait(self._rng.uniform(*self._interval)):
            self.step()

    def _wait_ready(self, timeout: float) -> list[str]:
        """The colleagues that answer within `timeout`, asking each until it does."""
        deadline = time.monotonic() + timeout
        waiting = list(self.names)
        ready: list[str] = []
        while waiting and time.monotonic() < deadline and not self._stop.is_set():
            for name in list(waiting):
                if self.client(name).ping():
                    waiting.remove(name)
                    ready.append(name)
                elif self._processes[name].poll() is not None:
                    log.warning("demo colleague %s stopped; see %s", name, self.homes[name])
                    waiting.remove(name)
            if waiting:
                self._stop.wait(0.25)  # a startup poll: the nodes take a moment to come up
        return ready

    def step(self) -> None:
        """One colleague changes status or posts something."""
        name = self._rng.choice(self.names)
        roll = self._rng.random()
        if roll < 0.62:
            self._act(name, self._rng.choice(_STATUSES))
        elif roll < 0.95:
            self._send(name, "post", text=self._rng.choice(_POSTS), urgent=False)
        else:
            self._send(name, "post", text=self._rng.choice(_URGENT), urgent=True)

    def _act(self, name: str, status: _Status) -> None:
        until: float | None = None
        text = status.text
        if status.minutes is not None:
            moment = _quarter(datetime.now().astimezone() + timedelta(minutes=status.minutes))
            until = moment.timestamp()
            text = text.format(until=_spoken_time(moment))
        self._send(
            name, "status_set", presence=status.presence, text=text, emoji=status.emoji, until=until
        )

    def _send(self, name: str, cmd: str, **args: Any) -> None:
        try:
            self.client(name).request(cmd, **args)
        except (ControlError, HallwayError) as exc:
            log.debug("demo colleague %s: %s failed: %s", name, cmd, exc)


def _quarter(moment: datetime) -> datetime:
    """Rounded up to the next quarter hour, as people plan."""
    extra = (15 - moment.minute % 15) % 15
    rounded = moment.replace(second=0, microsecond=0) + timedelta(minutes=extra)
    return rounded if rounded >= moment else rounded + timedelta(minutes=15)


def _spoken_time(moment: datetime) -> str:
    """ "3", "3:30": how a colleague would write the time in a status."""
    hour = moment.hour % 12 or 12
    return f"{hour}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}"

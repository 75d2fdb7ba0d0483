"""`hallway demo`: a private office on this machine, with simulated colleagues.

Each colleague is a real headless node (`hallway node`) in a subprocess with its own home, so the
demo exercises the real engine. A driver thread plays a `Script` through the colleagues' control
sockets: once everyone is there, half a minute that shows every kind of thing Hallway does, then
a calmer rhythm. Everything is pinned to 127.0.0.1 under the demo office's key: nothing reaches
the LAN, and no other office can see it.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final

import msgspec

from hallway.control.client import ControlClient
from hallway.control.protocol import ControlError
from hallway.core.errors import HallwayError
from hallway.store.home import control_socket_path

__all__ = ["DEMO_INTERFACE", "NAMES", "Beat", "DemoOffice", "Kind", "Script", "play"]

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
#: How long the script waits for everyone to be there before it starts anyway.
#: Everyone links within a second or two; the bound only matters on a machine so loaded that
#: joining takes longer, where starting early would play the opening to nobody.
WELCOME_TIMEOUT: Final = 60.0


class _Status(msgspec.Struct, frozen=True):
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


class Kind(enum.Enum):
    """A kind of thing a colleague does. Events and questions, once Hallway has them, become
    kinds here, with a moment in `OPENING`, a weight in `CALM` and a case in `Script.beat`."""

    STATUS = "status"
    POST = "post"
    URGENT = "urgent"


#: Seconds between the colleagues' first statuses, once everyone is there.
GREETING_GAP: Final = 0.5
#: Then each kind of thing once, a few seconds apart (seconds after everyone is there): the
#: first half minute of the demo shows all Hallway does.
OPENING: Final = (
    (5.0, Kind.POST),
    (9.0, Kind.STATUS),
    (13.0, Kind.URGENT),
    (17.0, Kind.STATUS),
)
#: Afterwards, the calmer rhythm: one thing every 20 to 60 s, mostly status changes.
CALM: Final = ((Kind.STATUS, 62), (Kind.POST, 33), (Kind.URGENT, 5))
CALM_INTERVAL: Final = (20.0, 60.0)


class Beat(msgspec.Struct, frozen=True):
    """One thing one colleague does, `at` seconds after everyone is there."""

    at: float
    name: str
    kind: Kind
    status: _Status | None = None  # Kind.STATUS
    text: str = ""  # Kind.POST, Kind.URGENT


class Script:
    """What the colleagues `names` do and when: pure data, its randomness drawn from `rng`.

    `beats()` is endless: every colleague's first status, then `OPENING`, then one `calm` beat
    every `interval` seconds.
    """

    def __init__(
        self,
        names: Sequence[str],
        rng: random.Random,
        *,
        interval: tuple[float, float] = CALM_INTERVAL,
    ) -> None:
        if not names:
            raise ValueError("a script needs at least one colleague")
        self.names = tuple(names)
        self._rng = rng
        self.interval = interval
        self._current: dict[str, _Status] = {}
        self._last_text = ""

    def beats(self) -> Iterator[Beat]:
        firsts = self._rng.sample(_STATUSES, min(len(self.names), len(_STATUSES)))
        for index, (name, status) in enumerate(zip(self.names, firsts, strict=False)):
            self._current[name] = status
            yield Beat(index * GREETING_GAP, name, Kind.STATUS, status=status)
        for at, kind in OPENING:
            yield self.beat(at, kind)
        at = OPENING[-1][0]
        while True:
            at += self._rng.uniform(*self.interval)
            yield self.calm(at)

    def calm(self, at: float = 0.0) -> Beat:
        """A beat of the calm rhythm: a kind drawn by `CALM`'s weights."""
        kinds = [kind for kind, _ in CALM]
        weights = [weight for _, weight in CALM]
        return self.beat(at, self._rng.choices(kinds, weights)[0])

    def beat(self, at: float, kind: Kind) -> Beat:
        name = self._rng.choice(self.names)
        match kind:
            case Kind.STATUS:
                # A change that changes nothing would show nothing.
                before = self._current.get(name)
                status = self._rng.choice([s for s in _STATUSES if s != before])
                self._current[name] = status
                return Beat(at, name, kind, status=status)
            case Kind.POST:
                return Beat(at, name, kind, text=self._fresh(_POSTS))
            case Kind.URGENT:
                return Beat(at, name, kind, text=self._fresh(_URGENT))

    def _fresh(self, texts: Sequence[str]) -> str:
        text = self._rng.choice([t for t in texts if t != self._last_text])
        self._last_text = text
        return text


def play(
    beats: Iterable[Beat],
    perform: Callable[[Beat], None],
    *,
    clock: Callable[[], float],
    pause: Callable[[float], bool],
) -> None:
    """Perform each beat at its moment, counted from now on `clock`. `pause(seconds)` waits and
    says whether to stop instead (`threading.Event.wait` does both)."""
    start = clock()
    for beat in beats:
        if pause(max(0.0, start + beat.at - clock())):
            return
        perform(beat)


class DemoOffice:
    """`count` simulated colleagues under `base_dir` (one home each), and their driver.

    `start()` launches them and returns at once; they join over the next seconds, and the script
    starts once they see each other and, with `with_you`, one more node (yours: the demo's own
    instance), or after `WELCOME_TIMEOUT` seconds. `close()` stops them cleanly (SIGTERM, so they
    say goodbye) and joins the driver; it is idempotent.
    """

    def __init__(
        self,
        base_dir: Path,
        count: int = 4,
        *,
        interval: tuple[float, float] = CALM_INTERVAL,
        seed: int | None = None,
        python: str = sys.executable,
        with_you: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= count <= len(NAMES):
            raise ValueError(f"count must be between 1 and {len(NAMES)}")
        self.base_dir = Path(base_dir)
        self.names = NAMES[:count]
        self.homes = {name: self.base_dir / name for name in self.names}
        self.passphrase_file = self.base_dir / "demo-passphrase"
        self._rng = random.Random(seed)  # noqa: S311 -- picks demo content, nothing secret
        self.script = Script(self.names, self._rng, interval=interval)
        self._python = python
        self._with_you = with_you
        self._clock = clock
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
        if not ready or self._stop.is_set():
            return
        self._wait_for_everyone(ready[0], len(ready) - 1 + self._with_you)
        script = Script(ready, self._rng, interval=self.script.interval)
        play(script.beats(), self.perform, clock=self._clock, pause=self._stop.wait)

    def _wait_ready(self, timeout: float) -> list[str]:
        """The colleagues that answer within `timeout`, asking each until it does."""
        deadline = self._clock() + timeout
        waiting = list(self.names)
        ready: list[str] = []
        while waiting and self._clock() < deadline and not self._stop.is_set():
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

    def _wait_for_everyone(self, name: str, others: int) -> None:
        """Until `name` sees `others` peers online, for at most `WELCOME_TIMEOUT` seconds: what
        happens before someone is there is not seen live (no pop-up)."""
        deadline = self._clock() + WELCOME_TIMEOUT
        while self._clock() < deadline and not self._stop.is_set():
            try:
                peers = self.client(name).request("peers")
            except (ControlError, HallwayError):
                peers = []
            online = [p for p in peers if isinstance(p, dict) and p.get("online")]
            if len([p for p in online if not p.get("own")]) >= others:
                return
            self._stop.wait(0.25)  # discovery has no event to wait on from out here
        log.info("demo: starting without everyone after %.0f s", WELCOME_TIMEOUT)

    def step(self) -> None:
        """One colleague changes status or posts something, now."""
        self.perform(self.script.calm())

    def perform(self, beat: Beat) -> None:
        match beat.kind:
            case Kind.STATUS:
                assert beat.status is not None
                self._act(beat.name, beat.status)
            case Kind.POST | Kind.URGENT:
                self._send(beat.name, "post", text=beat.text, urgent=beat.kind is Kind.URGENT)

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

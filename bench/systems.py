"""The two systems under test, behind one small interface.

Both print the event stream of docs/PROTOCOL.md ("The local interface") as NDJSON on stdout;
the harness reads it with `EventStream` and measures from the events' own timestamps (one
machine, one clock).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from tests.support.netlab import Event, EventStream, Host, netns_available, sweep_stale

REPO = Path(__file__).resolve().parents[1]
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
READY_TIMEOUT = 60.0


class Unsupported(Exception):  # noqa: N818 - reads better as "raise Unsupported(...)"
    """The system has no counterpart for this operation."""


def ts(event: Event, key: str = "at") -> float:
    """An event timestamp (ISO 8601 with offset) as seconds since the epoch."""
    return datetime.fromisoformat(str(event[key])).timestamp()


@dataclass
class Node:
    system: str
    name: str
    host: Host
    proc: subprocess.Popen[str]
    events: EventStream
    started_at: float
    """Wall time just before Popen."""
    home: Path | None = None
    log: IO[str] | None = None
    ready: Event = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.ready["peer"])

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> Event:
        self.ready = self.events.wait_for(lambda e: e.get("type") == "ready", timeout)
        return self.ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> float:
        """SIGKILL the node's process group; return the wall time just before the signal."""
        at = time.time()
        os.killpg(self.proc.pid, signal.SIGKILL)
        return at

    def reap(self, timeout: float = 10.0) -> None:
        """Wait for the process to end (killing it past `timeout`) and stop reading it."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10.0)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        self.events.close()
        if self.log is not None:
            self.log.close()


class System(Protocol):
    key: str
    has_status: bool

    def start(self, host: Host, name: str) -> Node: ...

    def post(self, node: Node, text: str, post_id: str) -> None: ...

    def set_status(self, node: Node, text: str) -> None: ...

    def quit(self, node: Node) -> float:
        """Ask the node to stop cleanly; return the wall time just before asking."""
        ...


def _spawn(
    system: str, host: Host, name: str, argv: list[str], log_dir: Path, home: Path | None,
    *, stdin: bool, env: dict[str, str] | None = None,
) -> Node:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = (log_dir / f"{system}-{name}.stderr.log").open("a")
    started_at = time.time()
    proc = host.popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                      stdout=subprocess.PIPE, stderr=log, env=env)
    assert proc.stdout is not None
    events = EventStream(proc.stdout, label=f"{system}:{name}@{host.address}")
    return Node(system, name, host, proc, events, started_at, home=home, log=log)


class PyreSystem:
    """Pyre through bench/pyre_driver.py: SHOUTs stand in for posts; Pyre has no statuses."""

    key = "pyre"
    has_status = False

    def __init__(self, log_dir: Path, python: Path = VENV_PYTHON) -> None:
        self.log_dir = log_dir
        self.python = python
        self.driver = REPO / "bench" / "pyre_driver.py"

    def start(self, host: Host, name: str) -> Node:
        argv = [str(self.python), str(self.driver), "--name", name]
        return _spawn(self.key, host, name, argv, self.log_dir, None, stdin=True)

    def _send(self, node: Node, cmd: dict[str, Any]) -> None:
        assert node.proc.stdin is not None
        node.proc.stdin.write(json.dumps(cmd) + "\n")
        node.proc.stdin.flush()

    def post(self, node: Node, text: str, post_id: str) -> None:
        self._send(node, {"cmd": "shout", "text": text, "id": post_id})

    def set_status(self, node: Node, text: str) -> None:  # noqa: ARG002
        raise Unsupported("Pyre has no statuses")

    def quit(self, node: Node) -> float:
        at = time.time()
        self._send(node, {"cmd": "quit"})
        return at


class HallwaySystem:
    """Real `hallway node --json` processes, one home each.

    Driven, by default, the way Pyre is: through the control socket of the running node, from
    this already-running process (`driver="control"`); `driver="cli"` runs `hallway status set`
    and `hallway post` processes instead, whose Python start-up then competes for the CPU while
    the update propagates.

    Each home is set up with `hallway init` before the node's start is timed
    (`init="before"`), as a node that is started again is; `init="node"` passes init's options
    to `hallway node` instead, so every start is a first start (new identity, keyring lookup).

    `home_root` is emptied first. Homes are named by host and count, so a home an earlier run
    left there would be started again: a node that knows the others' keys and their old ports,
    and dials those, not a new install.
    """

    key = "hallway"
    has_status = True

    def __init__(
        self, log_dir: Path, home_root: Path, hallway: Path, *, driver: str = "control",
        init: str = "before", closed: bool = False,
    ) -> None:
        self.log_dir = log_dir
        self.home_root = home_root
        shutil.rmtree(home_root, ignore_errors=True)
        self.office = ["--office", "Bench", "--passphrase-file", str(home_root / "passphrase")]
        if closed:
            home_root.mkdir(parents=True, exist_ok=True)
            (home_root / "passphrase").write_text("bench passphrase\n")
        else:
            self.office = ["--open"]
        self.hallway = hallway
        self.driver = driver
        self.init = init
        self._homes = 0
        self._clients: dict[Path, Any] = {}

    def start(self, host: Host, name: str) -> Node:
        # A fresh home per start: a late joiner or a restarted victim is a new install.
        self._homes += 1
        home = self.home_root / f"{name}-{self._homes}"
        home.mkdir(parents=True, exist_ok=True)
        setup = ["--name", name, *self.office, "--interface", host.address]
        if self.init == "before":
            self._run(host, home, "init", *setup)
            argv = [str(self.hallway), "--home", str(home), "node", "--json"]
        else:
            argv = [str(self.hallway), "--home", str(home), "node", *setup, "--json"]
        return _spawn(self.key, host, name, argv, self.log_dir, home, stdin=False,
                      env=self._env())

    def restart(self, host: Host, name: str, home: Path) -> Node:
        """Start a node again on a home it has run in, with everything that home holds."""
        argv = [str(self.hallway), "--home", str(home), "node", "--json"]
        return _spawn(self.key, host, name, argv, self.log_dir, home, stdin=False,
                      env=self._env())

    def control(self, node: Node, cmd: str, **args: Any) -> Any:
        """One request on the node's control socket; its result."""
        return self._request(node, cmd, **args)

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("HALLWAY_HOME", None)
        return env

    def _run(self, host: Host, home: Path, *args: str) -> None:
        res = host.run([str(self.hallway), "--home", str(home), *args],
                       env=self._env(), check=False, timeout=60)
        if res.returncode != 0:
            raise RuntimeError(f"hallway {' '.join(args[:2])} failed ({res.returncode}): "
                               f"{res.stderr.strip()[-300:]}")

    def _request(self, node: Node, cmd: str, **args: Any) -> Any:
        from hallway.control.client import ControlClient
        from hallway.store.home import control_socket_path

        assert node.home is not None
        client = self._clients.get(node.home)
        if client is None:
            client = self._clients[node.home] = ControlClient(
                control_socket_path(node.home), timeout=30.0)
        return client.request(cmd, **args)

    def post(self, node: Node, text: str, post_id: str) -> None:  # noqa: ARG002
        if self.driver == "cli":
            assert node.home is not None
            self._run(node.host, node.home, "post", text)
        else:
            self._request(node, "post", text=text, urgent=False)

    def set_status(self, node: Node, text: str) -> None:
        if self.driver == "cli":
            assert node.home is not None
            self._run(node.host, node.home, "status", "set", "busy", text)
        else:
            self._request(node, "status_set", presence="busy", text=text, emoji="", until=None)

    def quit(self, node: Node) -> float:
        # WORKAROUND until the CLI has a stop command: SIGTERM is the node's clean shutdown.
        at = time.time()
        node.proc.send_signal(signal.SIGTERM)
        return at


def lab_problem(prog: str) -> str | None:
    """Why `prog` cannot build its private network of namespaces (not root, no `ip netns`), or
    None once the leftovers of runs killed before they could clean up are swept away."""
    if os.geteuid() != 0:
        return f"{prog} needs root: it builds network namespaces"
    ok, why = netns_available()
    if not ok:
        return f"cannot build the private network: {why}"
    sweep_stale()
    return None


def one_system(kind: str, out: Path) -> System:
    """`kind` ("hallway" or "pyre"), driven as bench/run drives it, its logs under `out`."""
    if kind == "pyre":
        return PyreSystem(out / "logs")
    return HallwaySystem(out / "logs", out / "homes", REPO / ".venv" / "bin" / "hallway")

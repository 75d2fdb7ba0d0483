"""Real Hallway nodes, run through the CLI as subprocesses on namespace hosts of a private lab."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.netlab import Event, EventStream, Host, Lab, require_netns

OFFICE = "Acme"
PASSPHRASE = "correct horse battery staple"


def node_env() -> dict[str, str]:
    env = dict(os.environ)
    # No keyring daemon runs in the lab: nodes keep their keys in an owner-only file.
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("HALLWAY_HOME", None)
    return env


class RunningNode:
    """One `hallway node --json` process on a lab host, with its event stream and its home."""

    def __init__(self, host: Host, home: Path, name: str, office_args: list[str]) -> None:
        self.host = host
        self.home = home
        self.name = name
        self.office_args = office_args
        self.proc: subprocess.Popen[str] | None = None
        self.events: EventStream | None = None
        self.started_at = 0.0
        self.ready: Event = {}

    @property
    def id(self) -> str:
        return str(self.ready["peer"])

    def start(self, timeout: float = 20.0) -> RunningNode:
        argv = [
            sys.executable, "-m", "hallway", "--home", str(self.home), "node",
            "--name", self.name, *self.office_args, "--interface", self.host.address, "--json",
        ]  # fmt: skip
        self.started_at = time.time()
        self.proc = self.host.popen(
            argv, env=node_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        self.events = EventStream(self.proc.stdout, label=self.name)
        self.ready = self.events.wait_for(lambda e: e["type"] == "ready", timeout)
        return self

    def wait(self, predicate: Callable[[Event], bool], timeout: float = 15.0) -> Event:
        assert self.events is not None
        return self.events.wait_for(predicate, timeout)

    def find(self, predicate: Callable[[Event], bool]) -> Event | None:
        assert self.events is not None
        return self.events.find(predicate)

    def mark(self) -> int:
        """An index into the event list: wait for events that come after it."""
        assert self.events is not None
        return len(self.events.snapshot())

    def wait_after(
        self, mark: int, predicate: Callable[[Event], bool], timeout: float = 15.0
    ) -> Event:
        assert self.events is not None
        return self.events.wait_for(predicate, timeout, start=mark)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "hallway", "--home", str(self.home), *args],
            env=node_env(), capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise AssertionError(f"hallway {' '.join(args)} failed: {result.stderr}")
        return result

    def send(self, sig: signal.Signals) -> float:
        assert self.proc is not None
        at = time.time()
        self.proc.send_signal(sig)
        return at

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 10.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self.events is not None:
            self.events.close()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code

    def stderr(self) -> str:
        assert self.proc is not None
        assert self.proc.stderr is not None
        return self.proc.stderr.read()


class Office:
    """Factory fixture: hosts on one lab, and nodes on them."""

    def __init__(self, lab: Lab, tmp: Path) -> None:
        self.lab = lab
        self.tmp = tmp
        self.nodes: list[RunningNode] = []
        self.passfile = tmp / "passphrase"
        self.passfile.write_text(PASSPHRASE + "\n")
        self.passfile.chmod(0o600)

    def office_args(self, passphrase: str | None = None) -> list[str]:
        passfile = self.passfile
        if passphrase is not None:
            passfile = self.tmp / f"pass-{len(self.nodes)}"
            passfile.write_text(passphrase)
        return ["--office", OFFICE, "--passphrase-file", str(passfile)]

    def node(
        self,
        name: str,
        *,
        host: Host | None = None,
        home: Path | None = None,
        office_args: list[str] | None = None,
        start: bool = True,
    ) -> RunningNode:
        node = RunningNode(
            host or self.lab.add_host(),
            home or self.tmp / f"home-{name}-{len(self.nodes)}",
            name,
            office_args if office_args is not None else self.office_args(),
        )
        self.nodes.append(node)
        if start:
            node.start()
        return node

    def close(self) -> None:
        for node in self.nodes:
            if node.proc is not None:
                node.stop(signal.SIGKILL)


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    require_netns()
    with Lab() as lab:
        office = Office(lab, tmp_path)
        try:
            yield office
        finally:
            office.close()


def is_type(kind: str, **fields: Any) -> Callable[[Event], bool]:
    """A predicate for events of `kind` whose fields equal the given values."""

    def match(event: Event) -> bool:
        return event.get("type") == kind and all(event.get(k) == v for k, v in fields.items())

    return match

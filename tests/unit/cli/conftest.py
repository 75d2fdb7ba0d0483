"""Fixtures for the CLI tests: a short home, a fake instance on its control socket, and a runner.

No test here runs a real Node, and none may reach the real system keyring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hallway.cli.main import main
from hallway.control import ControlServer
from hallway.store.home import control_socket_path
from tests.unit.cli.fake_meetups import FakeMeetupNode
from tests.unit.control.fake_node import FakeNode


@dataclass
class Result:
    code: int
    out: str
    err: str


Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def _plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALLWAY_HOME", raising=False)
    monkeypatch.delenv("HALLWAY_DEBUG", raising=False)


@pytest.fixture
def home(short_tmp: Path) -> Path:
    return short_tmp


@pytest.fixture
def node() -> FakeNode:
    return FakeMeetupNode()  # a FakeNode that also holds events (issue 10)


@pytest.fixture
def running(home: Path, node: FakeNode) -> Iterator[FakeNode]:
    """A fake instance serving the home's control socket, as `hallway node` would."""
    with ControlServer(control_socket_path(home), node):
        yield node


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """Run `hallway ARGS...` in-process; argparse's exits become a status like any other."""

    def runner(*argv: str) -> Result:
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return runner

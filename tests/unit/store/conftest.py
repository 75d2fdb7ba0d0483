"""Store test fixtures: a fresh database, and child processes that cannot outlive a test."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hallway.store import Store

Spawn = Callable[..., "subprocess.Popen[str]"]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "hallway.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path) as opened:
        yield opened


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Run `python -c script args...` with pipes for stdin and stdout.

    A child still running at the end of the test is killed, and the test fails: every test must
    end its own processes, and none may leak into the next.
    """
    children: list[subprocess.Popen[str]] = []

    def start(script: str, *args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", script, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        children.append(proc)
        return proc

    yield start

    leaked = []
    for proc in children:
        if proc.poll() is None:
            leaked.append(proc.pid)
            proc.kill()
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a dead child's stdin may be broken
                    pipe.close()
    assert not leaked, f"child processes still running at the end of the test: {leaked}"

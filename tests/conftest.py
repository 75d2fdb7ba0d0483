"""Suite-wide rules: no test may leave threads behind, and the full run may skip nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest

from hallway.identity.memory import MemoryKeyring

#: Set by tests/run (and so by CI): a skipped test fails the session, since CI must run them all.
NO_SKIPS = os.environ.get("HALLWAY_NO_SKIPS") == "1"

_skipped: list[str] = []


def _wait_for_threads(before: set[threading.Thread], timeout: float) -> list[threading.Thread]:
    deadline = time.monotonic() + timeout
    while True:
        extra = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(("QDBus", "Dummy"))
        ]
        if not extra or time.monotonic() > deadline:
            return extra
        extra[0].join(0.05)


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    leaked = _wait_for_threads(before, timeout=5.0)
    assert not leaked, f"the test left threads running: {[t.name for t in leaked]}"


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets its own empty in-memory keyring: no test may touch the real one.

    The previous backend is read from keyring.core rather than keyring.get_keyring(): the latter
    would run keyring's backend detection, which probes the real keyring over D-Bus.
    """
    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A private directory with a short path: pytest's tmp_path can outgrow the 107 bytes an
    AF_UNIX socket path may have."""
    path = Path(tempfile.mkdtemp(prefix="hw-", dir="/tmp"))
    path.chmod(0o700)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _skipped.append(f"{report.nodeid}: {reason}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if NO_SKIPS and _skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if NO_SKIPS and _skipped:
        terminalreporter.section("skipped tests that must run", sep="!", red=True)
        for line in _skipped:
            terminalreporter.write_line(line)
        terminalreporter.write_line(
            "HALLWAY_NO_SKIPS=1: every test must run here (network namespaces, Xvfb, tray host, "
            "notification daemon). Run tests/run as root so it can install what they need."
        )

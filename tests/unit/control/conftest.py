"""Fixtures for the control tests: a short socket directory, a fake node and a server on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hallway.control import ControlClient, ControlServer
from tests.unit.control.fake_node import FakeNode


@pytest.fixture
def sock_dir(short_tmp: Path) -> Path:
    return short_tmp


@pytest.fixture
def node() -> FakeNode:
    return FakeNode()


@pytest.fixture
def server(sock_dir: Path, node: FakeNode) -> Iterator[ControlServer]:
    with ControlServer(sock_dir / "control.sock", node, send_timeout=0.5) as srv:
        yield srv


@pytest.fixture
def client(server: ControlServer) -> ControlClient:
    return ControlClient(server.path, timeout=5.0)

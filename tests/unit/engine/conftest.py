"""The engine's actor on fake sockets (fake_actor.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hallway.engine.links import Link
from tests.unit.engine.fake_actor import FakeActor, fake_open, fake_subscribe


@pytest.fixture
def actor(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeActor]:
    monkeypatch.setattr(Link, "open", classmethod(fake_open))
    monkeypatch.setattr(Link, "subscribe", fake_subscribe)
    made = FakeActor(max_links=4)
    yield made
    made.close()

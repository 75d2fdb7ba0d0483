"""`hallway node`'s outbox: the printer takes every event waiting at once (one write for a
burst), oldest first, and a reader too slow loses the oldest, counted."""

from __future__ import annotations

import queue

import pytest

from hallway.cli.node import Outbox
from hallway.engine import events as ev


def test_the_printer_takes_every_waiting_event_at_once_in_order() -> None:
    box = Outbox()
    for at in (1.0, 2.0, 3.0):
        box.put(ev.Stopped(at=at))
    assert [event.at for event in box.get()] == [1.0, 2.0, 3.0]
    with pytest.raises(queue.Empty):
        box.get_nowait()
    box.put(ev.Stopped(at=4.0))
    assert [event.at for event in box.get_nowait()] == [4.0]


def test_a_full_outbox_drops_the_oldest_and_counts_them() -> None:
    box = Outbox(limit=2)
    for at in (1.0, 2.0, 3.0):
        box.put(ev.Stopped(at=at))
    assert box.dropped == 1
    assert [event.at for event in box.get()] == [2.0, 3.0]

"""The demo's content and driver, against fake colleagues (no real nodes here)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path

import pytest

from hallway import demo
from hallway.control import ControlServer
from hallway.control.protocol import decode_request as decode
from hallway.control.protocol import encode_request
from hallway.store.home import control_socket_path
from tests.unit.control.fake_node import FakeNode


def test_every_status_and_post_is_a_valid_request() -> None:
    for status in demo._STATUSES:
        text = status.text.format(until="12:45")
        decode(
            encode_request(
                "status_set", {"presence": status.presence, "text": text, "emoji": status.emoji}
            )
        )
    for text in (*demo._POSTS, *demo._URGENT):
        decode(encode_request("post", {"text": text, "urgent": False}))


def test_times_as_people_write_them() -> None:
    moment = datetime(2026, 11, 26, 14, 52).astimezone()
    assert demo._quarter(moment).strftime("%H:%M") == "15:00"
    assert demo._spoken_time(demo._quarter(moment)) == "3"
    assert demo._spoken_time(datetime(2026, 11, 26, 9, 15).astimezone()) == "9:15"
    assert demo._quarter(datetime(2026, 11, 26, 9, 15).astimezone()).strftime("%H:%M") == "09:15"


def test_the_driver_changes_statuses_and_posts(home: Path) -> None:
    office = demo.DemoOffice(home, count=2, seed=7)
    nodes = {name: FakeNode() for name in office.names}
    with contextlib.ExitStack() as stack:
        for name, node in nodes.items():
            office.homes[name].mkdir()
            stack.enter_context(ControlServer(control_socket_path(office.homes[name]), node))
        for _ in range(40):
            office.step()
    calls = [call for node in nodes.values() for call in node.calls]
    assert "set_status" in calls
    assert "post" in calls
    office.close()  # never started: harmless


def test_a_silent_colleague_is_only_logged(home: Path) -> None:
    office = demo.DemoOffice(home, count=1, seed=1)
    office.step()  # nobody listens: no exception


def test_count_is_checked(home: Path) -> None:
    with pytest.raises(ValueError, match="between 1 and 8"):
        demo.DemoOffice(home, count=9)

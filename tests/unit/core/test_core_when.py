"""Event times as people type them (hallway/core/durations.py `parse_when`)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.durations import WHEN_HELP, local_datetime, parse_when
from hallway.core.errors import DurationError

TZ = timezone(timedelta(hours=1), "CET")
# Friday 4 December 2026
FRI_MORNING = datetime(2026, 12, 4, 9, 0, tzinfo=TZ)
FRI_NOON = datetime(2026, 12, 4, 12, 0, tzinfo=TZ)


def local(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        # a weekday: today while the time is ahead, else the same day next week
        ("fri 10:00", FRI_MORNING, local(2026, 12, 4, 10, 0)),
        ("fri 10:00", FRI_NOON, local(2026, 12, 11, 10, 0)),
        ("Friday 10:00", FRI_MORNING, local(2026, 12, 4, 10, 0)),
        ("fri 9:00", FRI_MORNING, local(2026, 12, 11, 9, 0)),  # exactly now is not ahead
        ("mon 3pm", FRI_NOON, local(2026, 12, 7, 15, 0)),
        ("thu 8:15", FRI_NOON, local(2026, 12, 10, 8, 15)),
        ("Sunday 10:30 am", FRI_NOON, local(2026, 12, 6, 10, 30)),
        # a date
        ("2026-12-03 15:00", FRI_NOON, local(2026, 12, 3, 15, 0)),  # past: check_event refuses
        ("2026-12-24 15:00", FRI_NOON, local(2026, 12, 24, 15, 0)),
        ("2026-12-24T15:00", FRI_NOON, local(2026, 12, 24, 15, 0)),
        ("2026-12-24 3pm", FRI_NOON, local(2026, 12, 24, 15, 0)),
        ("2027-1-5  9:30", FRI_NOON, local(2027, 1, 5, 9, 30)),
        ("2026-12-24T15:00:30", FRI_NOON, local(2026, 12, 24, 15, 0, 30)),
        ("2026-12-24T14:00:00Z", FRI_NOON, local(2026, 12, 24, 15, 0)),
        ("2026-12-24T17:00+03:00", FRI_NOON, local(2026, 12, 24, 15, 0)),
        # today and tomorrow
        ("tomorrow 15:00", FRI_NOON, local(2026, 12, 5, 15, 0)),
        ("tomorrow 9", FRI_NOON, local(2026, 12, 5, 9, 0)),
        ("today 15:00", FRI_NOON, local(2026, 12, 4, 15, 0)),
        ("today 8:00", FRI_NOON, local(2026, 12, 4, 8, 0)),  # past: check_event refuses
        ("  TODAY   3:30 PM ", FRI_NOON, local(2026, 12, 4, 15, 30)),
        # a time alone: the next such time
        ("15:00", FRI_NOON, local(2026, 12, 4, 15, 0)),
        ("3pm", FRI_NOON, local(2026, 12, 4, 15, 0)),
        ("11:00", FRI_NOON, local(2026, 12, 5, 11, 0)),
        ("12:00", FRI_NOON, local(2026, 12, 5, 12, 0)),
        # from now
        ("in 2h", FRI_NOON, local(2026, 12, 4, 14, 0)),
        ("in 1h30m", FRI_NOON, local(2026, 12, 4, 13, 30)),
        ("in 45", FRI_NOON, local(2026, 12, 4, 12, 45)),
    ],
)
def test_parse_when(text: str, now: datetime, expected: datetime) -> None:
    result = parse_when(text, now)
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty time"),
        ("   ", "empty time"),
        ("garbage", "cannot read 'garbage' as a time"),
        ("next week", "cannot read 'next week'"),
        ("fri", "'fri' needs a time of day, e.g. fri 15:00"),
        ("tomorrow", "needs a time of day"),
        ("tomorrow noonish", "cannot read 'noonish' as a time"),
        ("fri 25:00", "'25:00' is not a valid time"),
        ("25:00", "cannot read '25:00' as a time"),
        ("2026-12-03", "needs a time of day, e.g. 2026-12-03 15:00"),
        ("2026-13-03 15:00", "'2026-13-03' is not a date"),
        ("2026-02-30 15:00", "'2026-02-30' is not a date"),
        ("2026-12-03 whenever", "cannot read '2026-12-03 whenever' as a time"),
        ("2026-12-03T15:00+99:00", "cannot read"),
        ("in", "cannot read 'in' as a time"),
        ("in soon", "cannot read 'soon' as a duration"),
        ("in 0m", "longer than zero"),
        ("in 40d", "30 days at most"),
        ("-1h", "cannot read"),
    ],
)
def test_parse_when_refuses(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        parse_when(text, FRI_NOON)


def test_the_help_names_the_forms() -> None:
    examples = re.split(r", | or ", WHEN_HELP)
    assert len(examples) == 6
    for example in examples:
        parse_when(example, FRI_NOON)


@given(
    text=st.text(max_size=40),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1),  # noqa: DTZ001 -- hypothesis adds the zone itself
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(TZ),
    ),
)
def test_parse_when_never_raises_anything_else(text: str, now: datetime) -> None:
    try:
        result = parse_when(text, now)
    except DurationError:
        return
    assert result.tzinfo is not None


BERLIN = ZoneInfo("Europe/Berlin")


def test_a_zone_carries_daylight_saving() -> None:
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=BERLIN)
    winter = parse_when("2026-12-03 15:00", summer)
    assert winter.astimezone(UTC) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    # "in 2h" is two real hours, also across the change (25 October 2026, 03:00 -> 02:00)
    night = datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN)
    assert parse_when("in 2h", night).timestamp() == night.timestamp() + 7200


@pytest.fixture
def berlin_process() -> Iterator[None]:
    """The process's own local zone is Berlin, as `datetime.now().astimezone()` then sees it."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.usefixtures("berlin_process")
def test_a_fixed_local_offset_follows_the_system_rules_on_another_date() -> None:
    # datetime.now().astimezone() in July: a fixed +02:00, wrong for December
    summer = datetime(2026, 7, 1, 12, 0).astimezone()
    assert summer.utcoffset() == timedelta(hours=2)
    winter = parse_when("2026-12-03 15:00", summer)
    assert winter.astimezone(UTC) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)
    assert (winter.hour, winter.utcoffset()) == (15, timedelta(hours=1))
    assert local_datetime(winter.timestamp(), summer).hour == 15


@pytest.mark.usefixtures("berlin_process")
def test_a_fixed_offset_that_is_not_the_system_zone_stays_fixed() -> None:
    other = timezone(timedelta(hours=5, minutes=45))
    now = datetime(2026, 7, 1, 12, 0, tzinfo=other)
    assert parse_when("2026-12-03 15:00", now) == datetime(2026, 12, 3, 15, 0, tzinfo=other)
    assert local_datetime(0, now) == datetime(1970, 1, 1, 5, 45, tzinfo=other)

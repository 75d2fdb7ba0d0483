"""Durations and times of day (hallway/core/durations.py), as people type them."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.durations import (
    END_OF_DAY,
    MORNING,
    UNTIL_WORDS_HELP,
    format_remaining,
    parse_duration,
    parse_time_of_day,
    until_time,
)
from hallway.core.errors import DurationError

TZ = timezone(timedelta(hours=1), "CET")
NOW = datetime(2025, 3, 14, 10, 0, tzinfo=TZ)  # a Friday, 10:00


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45m", timedelta(minutes=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("2h", timedelta(hours=2)),
        ("2H", timedelta(hours=2)),
        ("90s", timedelta(seconds=90)),
        ("1d", timedelta(days=1)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("45", timedelta(minutes=45)),
        (" 45 ", timedelta(minutes=45)),
        ("045", timedelta(minutes=45)),
        ("30d", timedelta(days=30)),
        ("720h", timedelta(days=30)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "cannot read 'abc' as a duration; try 45m"),
        ("5x", "cannot read '5x'"),
        ("h", "cannot read"),
        ("1h30", "cannot read"),
        ("-5m", "must be positive, e.g. 45m or 2h"),
        ("-5", "must be positive"),
        (" -1h30m", "must be positive"),
        ("-0", "must be positive"),
        ("1.5h", "cannot read"),
        ("²", "cannot read"),
        ("0m", "longer than zero"),
        ("0", "longer than zero"),
        ("0h0m", "longer than zero"),
        ("31d", "30 days at most"),
        ("30d1s", "30 days at most"),
        ("43201", "30 days at most"),
        ("9" * 30, "30 days at most"),
        ("9" * 5000, "30 days at most"),
        ("9999d" * 200_000, "30 days at most"),
    ],
)
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(DurationError, match=message):
        parse_duration(text)


def test_duration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        parse_duration("")


@given(st.integers(0, 720), st.integers(0, 59))
def test_hours_and_minutes(hours: int, minutes: int) -> None:
    expected = timedelta(hours=hours, minutes=minutes)
    if timedelta(0) < expected <= timedelta(days=30):
        assert parse_duration(f"{hours}h{minutes}m") == expected
    else:
        with pytest.raises(DurationError):
            parse_duration(f"{hours}h{minutes}m")


@given(st.text(max_size=30))
def test_parse_duration_only_raises_duration_error(text: str) -> None:
    try:
        result = parse_duration(text)
    except DurationError:
        return
    assert timedelta(0) < result <= timedelta(days=30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:30", time(15, 30)),
        ("9", time(9)),
        ("9:05", time(9, 5)),
        ("09:05", time(9, 5)),
        ("0:00", time(0)),
        ("23:59", time(23, 59)),
        ("3pm", time(15)),
        ("3 PM", time(15)),
        ("3:30 pm", time(15, 30)),
        ("3:30am", time(3, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("12:15 am", time(0, 15)),
    ],
)
def test_parse_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "noon", "24:00", "23:60", "9:5", "0am", "13pm", "15:30pm", "1:2:3", "-1", "123", "9h"],
)
def test_parse_time_of_day_errors(text: str) -> None:
    with pytest.raises(DurationError, match="time"):
        parse_time_of_day(text)


@given(st.text(max_size=12))
def test_parse_time_of_day_only_raises_duration_error(text: str) -> None:
    with contextlib.suppress(DurationError):
        parse_time_of_day(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15:30", datetime(2025, 3, 14, 15, 30, tzinfo=TZ)),
        ("3pm", datetime(2025, 3, 14, 15, 0, tzinfo=TZ)),
        ("10:01", datetime(2025, 3, 14, 10, 1, tzinfo=TZ)),
        ("10:00", datetime(2025, 3, 15, 10, 0, tzinfo=TZ)),  # now itself is past: tomorrow
        ("9:00", datetime(2025, 3, 15, 9, 0, tzinfo=TZ)),  # earlier today: tomorrow
        ("today", datetime(2025, 3, 14, 23, 59, tzinfo=TZ)),  # the last minute of today
        ("EOD", datetime(2025, 3, 14, 23, 59, tzinfo=TZ)),
        ("tonight", datetime(2025, 3, 14, 23, 59, tzinfo=TZ)),
        ("tomorrow", datetime(2025, 3, 15, 9, 0, tzinfo=TZ)),  # tomorrow morning
        (" Tomorrow ", datetime(2025, 3, 15, 9, 0, tzinfo=TZ)),
    ],
)
def test_until_time(text: str, expected: datetime) -> None:
    result = until_time(text, NOW)
    assert result == expected
    assert result.tzinfo is TZ
    assert result > NOW


def test_until_time_across_month_and_year() -> None:
    late = datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert until_time("8:00", late) == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    assert until_time("today", late) == datetime(2025, 12, 31, 23, 59, tzinfo=UTC)
    assert until_time("tomorrow", late) == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def test_today_and_tomorrow_read_as_people_mean_them() -> None:
    # Set just after midnight, "tomorrow" is still the next calendar day's morning, and "today"
    # the coming evening, never a moment already past.
    night = datetime(2025, 3, 14, 0, 30, tzinfo=TZ)
    assert until_time("today", night) == datetime(2025, 3, 14, 23, 59, tzinfo=TZ)
    assert until_time("tomorrow", night) == datetime(2025, 3, 15, 9, 0, tzinfo=TZ)
    # In today's last minute, "today" would already be over: the next day's end instead.
    last = datetime(2025, 3, 14, 23, 59, 30, tzinfo=TZ)
    assert until_time("today", last) == datetime(2025, 3, 15, 23, 59, tzinfo=TZ)


# hypothesis takes naive bounds and adds the zone itself
@given(st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1), timezones=st.just(TZ)))  # noqa: DTZ001
def test_until_words_are_always_ahead(now: datetime) -> None:
    for word in ("today", "tomorrow"):
        assert until_time(word, now) > now
    assert until_time("tomorrow", now).date() == now.date() + timedelta(days=1)


def test_the_help_says_what_the_words_mean() -> None:
    assert f"today (or tonight, eod) = {END_OF_DAY:%H:%M} today" in UNTIL_WORDS_HELP
    assert f"tomorrow = {MORNING:%H:%M} tomorrow" in UNTIL_WORDS_HELP


def test_until_time_keeps_wall_clock_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before_change = datetime(2025, 3, 29, 20, 0, tzinfo=berlin)  # clocks go forward that night
    result = until_time("9:00", before_change)
    assert (result.date().isoformat(), result.hour, result.minute) == ("2025-03-30", 9, 0)
    assert result.utcoffset() == timedelta(hours=2)


def test_until_time_rejects_nonsense() -> None:
    with pytest.raises(DurationError):
        until_time("someday", NOW)
    with pytest.raises(DurationError):
        until_time("25:00", NOW)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-5, "<1m"),
        (0, "<1m"),
        (29, "<1m"),
        (30, "1m"),
        (59.6, "1m"),
        (45 * 60, "45m"),
        (45 * 60 + 29, "45m"),
        (3600, "1h"),
        (3599.6, "1h"),
        (2 * 3600 + 5 * 60, "2h 5m"),
        (86400, "1d"),
        (3 * 86400, "3d"),
        (86400 + 2 * 3600, "1d 2h"),
        (86400 + 30 * 60, "1d"),
        (30 * 86400, "30d"),
    ],
)
def test_format_remaining(seconds: float, expected: str) -> None:
    assert format_remaining(seconds) == expected


@given(st.integers(1, 30 * 24 * 60))
def test_format_remaining_reads_back_roughly(minutes: int) -> None:
    shown = format_remaining(minutes * 60).replace(" ", "")
    assert timedelta(0) < parse_duration(shown) <= timedelta(minutes=minutes)

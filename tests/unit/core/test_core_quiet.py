"""Quiet hours (core/quiet.py): when the window holds and when it ends, across midnight and
weekends; properties over any window and any moment, and the cases people meet."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core.errors import DurationError
from hallway.core.quiet import QuietHours, parse_quiet

# 2026-11-27 is a Friday.
FRIDAY = dt.date(2026, 11, 27)
EVENINGS = QuietHours(start=dt.time(18), end=dt.time(8))
EVENINGS_AND_WEEKENDS = QuietHours(start=dt.time(18), end=dt.time(8), weekends=True)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute))


def days(n: int) -> dt.date:
    return FRIDAY + dt.timedelta(days=n)


clocks = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 59]))
windows = st.builds(QuietHours, clocks, clocks, st.booleans()).filter(lambda q: q.start != q.end)
# Local wall-clock times: naive on purpose, as `QuietHours` judges them.
moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2027, 12, 31),  # noqa: DTZ001
)


@given(windows, moments)
def test_ends_after_is_the_first_moment_the_window_no_longer_holds(
    quiet: QuietHours, local: dt.datetime
) -> None:
    ends = quiet.ends_after(local)
    if not quiet.active(local):
        assert ends is None
        return
    assert ends is not None
    assert ends > local
    assert not quiet.active(ends)
    assert quiet.active(ends - dt.timedelta(microseconds=1))
    # Held all the way: at every hour boundary in between, and at the minutes around them.
    step = local
    while step < ends:
        assert quiet.active(step), step
        step += dt.timedelta(minutes=15)
    assert ends - local <= dt.timedelta(days=3, hours=1)  # Friday evening to Monday morning


@given(windows, moments)
def test_a_window_holds_on_weekends_when_asked_whatever_the_hour(
    quiet: QuietHours, local: dt.datetime
) -> None:
    if local.weekday() >= 5 and quiet.weekends:
        assert quiet.active(local)
        assert quiet.ends_after(local) == dt.datetime.combine(
            local.date() + dt.timedelta(days=7 - local.weekday()),
            # Monday's first moment, unless the daily window holds then too (it crosses
            # midnight, or starts at it).
            quiet.end if quiet.start > quiet.end or quiet.start == dt.time(0) else dt.time(0),
        )


@given(windows, moments)
def test_the_daily_window_is_the_same_every_weekday(quiet: QuietHours, local: dt.datetime) -> None:
    weekdays = QuietHours(start=quiet.start, end=quiet.end)
    later = local + dt.timedelta(days=7)
    assert weekdays.active(local) == weekdays.active(later)


def test_a_window_across_midnight() -> None:
    assert EVENINGS.active(at(FRIDAY, 18))
    assert EVENINGS.active(at(FRIDAY, 23, 59))
    assert EVENINGS.active(at(days(1), 0))
    assert EVENINGS.active(at(days(1), 7, 59))
    assert not EVENINGS.active(at(days(1), 8))  # the end is not part of it
    assert not EVENINGS.active(at(FRIDAY, 12))
    assert not EVENINGS.active(at(FRIDAY, 17, 59))
    assert EVENINGS.ends_after(at(FRIDAY, 22)) == at(days(1), 8)
    assert EVENINGS.ends_after(at(days(1), 3)) == at(days(1), 8)
    assert EVENINGS.ends_after(at(FRIDAY, 12)) is None


def test_a_window_within_one_day() -> None:
    lunch = QuietHours(start=dt.time(12), end=dt.time(13, 30))
    assert lunch.active(at(FRIDAY, 12))
    assert not lunch.active(at(FRIDAY, 13, 30))
    assert not lunch.active(at(FRIDAY, 11, 59))
    assert lunch.ends_after(at(FRIDAY, 12, 45)) == at(FRIDAY, 13, 30)


def test_weekends_join_the_nights_around_them() -> None:
    quiet = EVENINGS_AND_WEEKENDS
    # Friday evening runs into Saturday, Sunday and Monday's early hours: one stretch.
    assert quiet.ends_after(at(FRIDAY, 19)) == at(days(3), 8)
    assert quiet.active(at(days(1), 12))  # Saturday noon
    assert quiet.active(at(days(2), 15))  # Sunday afternoon
    assert quiet.ends_after(at(days(2), 15)) == at(days(3), 8)
    assert not quiet.active(at(days(3), 9))  # Monday morning
    # Without weekends, Saturday's daytime is not quiet.
    assert not EVENINGS.active(at(days(1), 12))


def test_a_daytime_window_with_weekends_ends_on_monday() -> None:
    quiet = QuietHours(start=dt.time(12), end=dt.time(13), weekends=True)
    assert quiet.ends_after(at(days(1), 9)) == at(days(3), 0)  # Saturday: until Monday 00:00
    assert quiet.ends_after(at(days(3), 12, 10)) == at(days(3), 13)


def test_time_zone_aware_moments_keep_their_zone() -> None:
    zone = dt.timezone(dt.timedelta(hours=2))
    local = dt.datetime.combine(FRIDAY, dt.time(22), tzinfo=zone)
    ends = EVENINGS.ends_after(local)
    assert ends == dt.datetime.combine(days(1), dt.time(8), tzinfo=zone)


def test_describe() -> None:
    assert EVENINGS.describe() == "18:00\u201308:00"
    assert EVENINGS_AND_WEEKENDS.describe() == "18:00\u201308:00 and weekends"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("18:00-08:00", dt.time(18), dt.time(8)),
        ("18:00 - 8:30", dt.time(18), dt.time(8, 30)),
        ("6pm-8am", dt.time(18), dt.time(8)),
        ("12:00\u201313:00", dt.time(12), dt.time(13)),
        ("22 to 7", dt.time(22), dt.time(7)),
    ],
)
def test_parse_quiet(text: str, start: dt.time, end: dt.time) -> None:
    assert parse_quiet(text) == QuietHours(start=start, end=end)
    assert parse_quiet(text, weekends=True).weekends


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("18:00", "18:00-08:00"),
        ("", "18:00-08:00"),
        ("18:00-", "18:00-08:00"),
        ("25:00-08:00", "not a valid time"),
        ("evening-morning", "cannot read"),
        ("08:00-08:00", "same time"),
    ],
)
def test_parse_quiet_refuses_with_a_clear_message(text: str, says: str) -> None:
    with pytest.raises(DurationError, match=says):
        parse_quiet(text)

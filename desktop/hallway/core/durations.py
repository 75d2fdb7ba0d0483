"""Durations and times of day as people type them: "45m", "1h30m", "until 15:30", "today"."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from hallway.core.errors import DurationError

__all__ = [
    "END_OF_DAY",
    "MORNING",
    "UNTIL_WORDS_HELP",
    "format_remaining",
    "parse_duration",
    "parse_time_of_day",
    "until_time",
]

_PART = re.compile(r"(\d{1,4})\s*(d|h|m|s)")
_UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_MAX = timedelta(days=30)


def parse_duration(text: str) -> timedelta:
    """Parse "45m", "2h", "1h30m", "90s", "1d" or a bare number of minutes."""
    cleaned = text.strip().lower().replace(" ", "")
    if not cleaned:
        raise DurationError("empty duration")
    if cleaned.startswith("-"):
        raise DurationError("a duration must be positive, e.g. 45m or 2h")
    if cleaned.isdecimal():  # not isdigit(): "²" is a digit that int() refuses
        minutes = cleaned.lstrip("0") or "0"
        if len(minutes) > 9:  # keeps int() and timedelta() from raising their own errors
            raise DurationError("a duration can be 30 days at most")
        seconds = int(minutes) * 60
    else:
        pos = 0
        seconds = 0
        for match in _PART.finditer(cleaned):
            if match.start() != pos:
                break
            seconds += int(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if pos != len(cleaned):
            raise DurationError(f"cannot read {text!r} as a duration; try 45m, 2h or 1h30m")
    if seconds <= 0:
        raise DurationError("a duration must be longer than zero")
    if seconds > _MAX.total_seconds():  # checked before timedelta(), which overflows
        raise DurationError("a duration can be 30 days at most")
    return timedelta(seconds=seconds)


_CLOCK = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")


def parse_time_of_day(text: str) -> time:
    """Parse "15:30", "9", "9:05", "3pm" or "3:30 pm"."""
    match = _CLOCK.match(text.strip().lower())
    if not match:
        raise DurationError(f"cannot read {text!r} as a time; try 15:30 or 3pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    meridiem = match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            raise DurationError(f"{text!r} is not a valid time")
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise DurationError(f"{text!r} is not a valid time")
    return time(hour, minute)


#: "today": the last minute of today, so a status "until today" reads "until 23:59" and is gone
#: by the next morning, however late it was set.
END_OF_DAY = time(23, 59)
#: "tomorrow": the start of tomorrow's working day, when "back tomorrow" means back.
MORNING = time(9, 0)
UNTIL_WORDS_HELP = (
    f"today (or tonight, eod) = {END_OF_DAY:%H:%M} today, tomorrow = {MORNING:%H:%M} tomorrow"
)


def until_time(text: str, now: datetime) -> datetime:
    """The next moment matching a time of day, "today" (`END_OF_DAY`) or "tomorrow" (`MORNING`).

    `now` must be timezone-aware local time; the result has the same tzinfo and is after `now`.
    """
    word = text.strip().lower()
    if word in {"today", "tonight", "eod"}:
        target = datetime.combine(now.date(), END_OF_DAY, now.tzinfo)
    elif word == "tomorrow":
        return datetime.combine(now.date() + timedelta(days=1), MORNING, now.tzinfo)
    else:
        target = datetime.combine(now.date(), parse_time_of_day(word), now.tzinfo)
    if target <= now:  # a time already past today means tomorrow's
        target += timedelta(days=1)
    return target


def format_remaining(seconds: float) -> str:
    """A short human form: "45m", "2h 5m", "3d"."""
    total = max(0, int(seconds + 0.5))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{max(minutes, 1)}m" if total >= 30 else "<1m"

"""Durations and times as people type them: "45m", "1h30m", "until 15:30", "fri 10:00"."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from hallway.core.errors import DurationError

__all__ = [
    "END_OF_DAY",
    "MORNING",
    "UNTIL_WORDS_HELP",
    "WHEN_HELP",
    "format_remaining",
    "local_datetime",
    "parse_duration",
    "parse_time_of_day",
    "parse_when",
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


WHEN_HELP = "2026-12-03 15:00, tomorrow 15:00, fri 10:00, 15:00, 3pm or in 2h"
_DATE = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})(?:[ t]+(.+))?$")
_WEEKDAYS = {
    name: day
    for day, names in enumerate(
        (
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        )
    )
    for name in names
}


def _system_local(now: datetime) -> bool:
    """Whether `now` carries the fixed offset that `datetime.now().astimezone()` gives.

    Such an offset is right for today only: a date across a daylight-saving change needs the
    system's own rules, which `astimezone()` applies. A real zone (ZoneInfo) has its own rules.
    """
    return isinstance(now.tzinfo, timezone) and now.astimezone().utcoffset() == now.utcoffset()


def local_datetime(ts: float, now: datetime) -> datetime:
    """POSIX time `ts` as local time in the zone of `now` (timezone-aware)."""
    if _system_local(now):
        return datetime.fromtimestamp(ts).astimezone()
    return datetime.fromtimestamp(ts, now.tzinfo)


def _localize(day: date, clock: time, now: datetime) -> datetime:
    if _system_local(now):
        return datetime.combine(day, clock).astimezone()
    return datetime.combine(day, clock, now.tzinfo)


def parse_when(text: str, now: datetime) -> datetime:
    """The moment meant by "2026-12-03 15:00", "tomorrow 15:00", "fri 10:00", "15:00" or "in 2h".

    `now` must be timezone-aware local time; so is the result. A weekday is the next such day
    (today while the time is still ahead) and a bare time the next such time, so both are after
    `now`; an explicit date or "today" may be in the past, for the caller to refuse.
    """
    words = " ".join(text.lower().split())
    first, _, rest = words.partition(" ")
    if not words:
        raise DurationError(f"empty time; try {WHEN_HELP}")
    if first == "in" and rest:
        return local_datetime(now.timestamp() + parse_duration(rest).total_seconds(), now)
    if first in {"today", "tomorrow"} or first in _WEEKDAYS:
        if not rest:
            raise DurationError(f"{text.strip()!r} needs a time of day, e.g. {first} 15:00")
        clock = parse_time_of_day(rest)
        if first in _WEEKDAYS:
            ahead = (_WEEKDAYS[first] - now.weekday()) % 7
            target = _localize(now.date() + timedelta(days=ahead), clock, now)
            if target <= now:
                target = _localize(now.date() + timedelta(days=ahead + 7), clock, now)
            return target
        return _localize(now.date() + timedelta(days=first == "tomorrow"), clock, now)
    match = _DATE.match(words)
    if match:
        return _on_date(text, match.group(1), match.group(2), now)
    if "-" in words or "t" in words or "+" in words:
        return _iso(text, now)
    clock = _clock(text, words)
    target = _localize(now.date(), clock, now)
    if target <= now:
        target = _localize(now.date() + timedelta(days=1), clock, now)
    return target


def _clock(text: str, words: str) -> time:
    try:
        return parse_time_of_day(words)
    except DurationError:
        raise DurationError(f"cannot read {text.strip()!r} as a time; try {WHEN_HELP}") from None


def _on_date(text: str, day_text: str, clock_text: str | None, now: datetime) -> datetime:
    year, month, day_of_month = (int(part) for part in day_text.split("-"))
    try:
        day = date(year, month, day_of_month)
    except ValueError:
        raise DurationError(f"{day_text!r} is not a date; try {WHEN_HELP}") from None
    if clock_text is None:
        raise DurationError(f"{text.strip()!r} needs a time of day, e.g. {day_text} 15:00")
    try:
        clock = parse_time_of_day(clock_text)
    except DurationError:
        # "2026-12-03T15:00:00+01:00": ISO 8601 with seconds or an offset
        return _iso(text, now)
    return _localize(day, clock, now)


def _iso(text: str, now: datetime) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.strip().upper())
    except ValueError:
        raise DurationError(f"cannot read {text.strip()!r} as a time; try {WHEN_HELP}") from None
    if parsed.tzinfo is None:
        return _localize(parsed.date(), parsed.time(), now)
    return local_datetime(parsed.timestamp(), now)

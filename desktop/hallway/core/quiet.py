"""Quiet hours: a daily window (and, if chosen, all of Saturday and Sunday) when this machine holds
pop-ups and knocks. Pure: every function takes the local time it should judge.

The window may cross midnight (18:00-08:00): it is then active from `start` to midnight and
from midnight to `end`. The end is exclusive, so at 08:00 sharp the window is over.
"""

from __future__ import annotations

import datetime as dt
import re

import msgspec

from hallway.core.durations import parse_time_of_day
from hallway.core.errors import DurationError

__all__ = ["QuietHours", "clock_text", "parse_quiet"]

# A stretch of quiet lasts at most from Friday's start to Monday's end: a handful of steps.
_MAX_STEPS = 16


class QuietHours(msgspec.Struct, frozen=True):
    """The window of quiet hours; `start` == `end` is never made (`parse_quiet` refuses it)."""

    start: dt.time
    end: dt.time
    weekends: bool = False

    def active(self, local: dt.datetime) -> bool:
        """Whether the window holds at `local` (a local wall-clock time)."""
        if self.weekends and local.weekday() >= 5:
            return True
        now = local.time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end

    def ends_after(self, local: dt.datetime) -> dt.datetime | None:
        """When the stretch of quiet that holds at `local` ends (None when none holds): the
        next moment it does not hold, a weekend and the nights around it counted as one."""
        if not self.active(local):
            return None
        moment = local
        for _ in range(_MAX_STEPS):
            moment = self._next_change(moment)
            if not self.active(moment):
                return moment
        return None  # never ends (no such window can be made); callers treat it as off

    def _next_change(self, local: dt.datetime) -> dt.datetime:
        """The first moment after `local` at which `active` may change: a start, an end, or a
        midnight (where a weekend begins or ends)."""
        day = local.date()
        candidates = []
        for offset in (0, 1):
            date = day + dt.timedelta(days=offset)
            for clock in (self.start, self.end, dt.time(0)):
                moment = dt.datetime.combine(date, clock, tzinfo=local.tzinfo)
                if moment > local:
                    candidates.append(moment)
        return min(candidates)

    def describe(self) -> str:
        """ "18:00\u201308:00", or "18:00\u201308:00 and weekends" (an en dash)."""
        window = f"{clock_text(self.start)}{_EN_DASH}{clock_text(self.end)}"
        return f"{window} and weekends" if self.weekends else window


def clock_text(clock: dt.time) -> str:
    return f"{clock.hour:02d}:{clock.minute:02d}"


_EN_DASH = "\u2013"
_SPLIT = re.compile("\\s*(?:-|\u2013|\u2014|to)\\s*")


def parse_quiet(text: str, *, weekends: bool = False) -> QuietHours:
    """ "18:00-08:00" (or "6pm-8am") into quiet hours; DurationError says what is wrong."""
    parts = _SPLIT.split(text.strip(), maxsplit=1)
    if len(parts) != 2 or not all(parts):
        raise DurationError(f"cannot read {text!r} as quiet hours; write them as 18:00-08:00")
    start, end = (parse_time_of_day(part) for part in parts)
    if start == end:
        raise DurationError(f"quiet hours {text!r} start and end at the same time")
    return QuietHours(start=start, end=end, weekends=weekends)

"""Events as RFC 5545 iCalendar, for `hallway event ics` and "Add to calendar"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from hallway.core.meetups import EventView

__all__ = ["PRODID", "events_to_ics", "uid"]

PRODID = "-//Hallway//Meetups//EN"


def uid(event_id: str) -> str:
    """The same UID for every export of one event, so a calendar updates it in place."""
    return f"{event_id}@hallway"


def _utc(ts: float) -> datetime:
    # Whole seconds: iCalendar's DATE-TIME has no fraction.
    return datetime.fromtimestamp(int(ts), UTC)


def events_to_ics(events: Sequence[EventView], *, now: float) -> str:
    """A VCALENDAR (METHOD:PUBLISH) with one VEVENT per event, times in UTC, CRLF line ends.

    SEQUENCE is the organiser's edit count, so a calendar that imported an earlier version
    takes the new time or the cancellation (STATUS:CANCELLED) over it.
    """
    # icalendar takes ~110 ms to import; only the export needs it.
    from icalendar import Calendar, Event, vCalAddress

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    stamp = _utc(now)
    for view in events:
        event = Event()
        event.add("uid", uid(view.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(view.start))
        event.add("dtend", _utc(view.end))
        event.add("last-modified", _utc(view.updated_at))
        event.add("sequence", view.sequence)
        event.add("status", "CANCELLED" if view.cancelled else "CONFIRMED")
        event.add("summary", view.title)
        if view.where:
            event.add("location", view.where)
        if view.note:
            event.add("description", view.note)
        # RFC 5546 wants an ORGANIZER on a published event; members have no mail address, so
        # it names the peer id, which is what the event id starts with.
        organiser = vCalAddress(f"urn:hallway:peer:{view.organiser}")
        if view.organiser_name:
            organiser.params["cn"] = view.organiser_name
        event.add("organizer", organiser)
        calendar.add_component(event)
    text: str = calendar.to_ical().decode("utf-8")
    return text

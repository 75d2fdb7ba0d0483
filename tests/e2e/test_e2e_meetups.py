"""End to end for meetups: two desktops in one office, each a lab host with its own X server,
session bus, trayer and dunst, and the tray app of its person (Ann on one, Ben on the other).

Ann creates an event from her tray menu; Ben answers Going from the event's pop-up, through
dunst's context menu; both nodes agree, and both Events tabs are screenshotted (to look at:
artifacts/screenshots/e2e-events-*.png, also in the module's tmp dir). The tests run in file
order on one office, each starting where the previous one left off.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import TrayApp
from tests.e2e.desktop import Notification
from tests.e2e.two_desktops import around, open_window, own_id, popups, two_desktops
from tests.support.netlab import Lab
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

NEW_EVENT = "New event — Hallway"
TITLE = "Design review"
#: The month names the date field takes, in the C locale the apps run in here.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# dunst's context menu lines: "#LABEL (SUMMARY) [ID,KEY]".
_MENU_LINE = re.compile(r"^#(?P<label>.*) \((?P<summary>.*)\) \[(?P<id>\d+),(?P<key>[^]]*)\]$")


@dataclass
class Office:
    lab: Lab
    ann: TrayApp
    ben: TrayApp
    tmp: Path
    #: The event Ann created (its id), once the first test has run.
    event_id: str = ""


def _event(app: TrayApp, event_id: str) -> dict[str, Any]:
    return dict(json.loads(app.cli("event", "show", event_id, "--json").stdout))


def _tomorrow() -> date:
    # The apps run on this machine, in its time zone: "tomorrow" is the same day for both.
    return (datetime.now().astimezone() + timedelta(days=1)).date()


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    def prepare(app: TrayApp, name: str) -> None:
        # Fixed month names for the date field (typed), whatever this machine's locale.
        app.desktop.env["LC_ALL"] = "C.UTF-8"

    with two_desktops(tmp_path_factory.mktemp("e2e-meetups"), prepare=prepare) as pair:
        # Open long before the Events tab is looked at (it is found by its pixels changing).
        for app in (pair.ann, pair.ben):
            open_window(app)
        yield Office(pair.lab, pair.ann, pair.ben, pair.tmp)


def test_an_event_is_created_from_the_tray_menu(office: Office) -> None:
    ann = office.ann
    tomorrow = _tomorrow()
    ann.open_menu()
    # From the bottom: Quit, Settings…, Pause notifications, Open Hallway, New event….
    ann.keys("Up", "Up", "Up", "Up", "Up", "Return")
    ann.no_menu()
    dialog = ann.window(NEW_EVENT)
    ann.focused(dialog)
    ann.type_text(TITLE)
    # "Starts": Tab steps through the date's parts (weekday, day, month, year), then the time's
    # (hours, minutes); a part typed in full moves on to the next by itself.
    ann.keys("Tab", "Tab")
    ann.type_text(f"{tomorrow.day:02d}{MONTHS[tomorrow.month - 1]}{tomorrow.year}")
    ann.keys("Tab")
    ann.type_text("1500")
    ann.keys("Tab")
    ann.type_text("45")  # Duration, in minutes
    ann.keys("Tab")
    ann.type_text("Room 4")  # Where
    ann.keys("Tab", "space", "Tab")  # "Limit seats to"…
    ann.type_text("5")  # …5 people
    ann.desktop.settled(dialog.crop).unlink()
    _keep(ann.desktop.screenshot("e2e-event-dialog", crop=dialog.crop), office)
    ann.keys("Return")  # "Create event", the dialog's default button
    ann.no_window(NEW_EVENT)

    events = json.loads(ann.cli("event", "list", "--json").stdout)
    [event] = [e for e in events if e["title"] == TITLE]
    start = datetime.fromisoformat(event["start"])
    assert start == datetime.combine(tomorrow, time(15, 0)).astimezone()
    assert datetime.fromisoformat(event["end"]) - start == timedelta(minutes=45)
    assert (event["where"], event["capacity"], event["organiser_name"]) == ("Room 4", 5, "Ann")
    assert (event["going"], event["mine"]) == ([], None)
    office.event_id = str(event["id"])


def test_going_is_chosen_on_the_pop_up_on_another_desktop(office: Office) -> None:
    assert office.event_id, "needs the event of the previous test"
    ann, ben = office.ann, office.ben
    desktop = ben.desktop
    summary = f"New event: {TITLE}"
    popup = wait_until(
        lambda: next((i for i, (_, s) in desktop.dunst_urgencies().items() if s == summary), None),
        20,
        f"the new event's pop-up on Ben's desktop; Ben's log:\n{ben.log_tail()}",
    )
    shown = wait_until(lambda: popups(desktop), 5, "dunst's pop-up window")
    _keep(desktop.screenshot("e2e-event-notification", crop=around(shown)), office)

    menu = desktop.dunst_choose("Going", popup)
    lines = [m for m in map(_MENU_LINE.match, menu) if m and int(m["id"]) == popup]
    offered = {(m["label"], m["key"]) for m in lines}
    assert {("Going", "going"), ("Maybe", "maybe"), ("Not going", "no")} <= offered, menu

    ben_id = own_id(ben)
    going = [{"peer": ben_id, "name": "Ben"}]
    wait_until(
        lambda: _event(ann, office.event_id)["going"] == going,
        20,
        f"Ben going, on Ann's node; Ben's log:\n{ben.log_tail()}",
    )
    mine = _event(ben, office.event_id)
    assert (mine["going"], mine["mine"]) == (going, "going")
    # Answered, the pop-up has done its work: out of the way of the screenshots.
    desktop.run(["dunstctl", "close-all"])

    def in_history() -> Notification | None:
        if desktop.dunst_displayed():
            return None
        return next((n for n in desktop.dunst_history() if n.id == popup), None)

    closed = wait_until(in_history, 5, "the pop-up to close")
    assert closed.timeout_us == 0, "a new event's pop-up waits for an answer (test dunstrc)"


def test_the_events_tab_shows_the_event_on_both_desktops(office: Office) -> None:
    assert office.event_id, "needs the event of the first test"
    for app, who in ((office.ann, "ann"), (office.ben, "ben")):
        window = open_window(app)
        # Ctrl+Tab reaches the tabs only from a widget inside them (the focus may be on the
        # banner's ✕): click the empty bottom of the People list first.
        app.click(window.x + window.width // 3, window.y + window.height - 30)
        people = app.desktop.settled(window.crop)
        app.keys("ctrl+shift+Tab")  # People → (backwards, round) Events
        # Nothing outside says which tab shows: a whole tab's worth of pixels changing does.
        app.desktop.changed(window.crop, people, pixels=window.width * window.height // 20)
        app.desktop.settled(window.crop).unlink()
        people.unlink()
        _keep(app.desktop.screenshot(f"e2e-events-{who}", crop=window.crop), office)


def _keep(screenshot: Path, office: Office) -> None:
    """A copy in the module's tmp dir too: artifacts/ holds only the last run's."""
    shutil.copy(screenshot, office.tmp / screenshot.name)

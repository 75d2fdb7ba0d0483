"""End to end for issue 12's desktop side.

The idle sources on their own: the X11 idle time of an Xvfb driven with xdotool, and a stand-in
org.freedesktop.ScreenSaver on a private session bus whose lock signal arrives at once.

Then two desktops in one office, Ann's and Ben's, each with its X server, session bus, trayer,
dunst and tray app. Ann's automatic away is on (1 minute in config.toml, shortened to 20 s for
the test with HALLWAY_TEST_IDLE_SECONDS): Ben's node sees her "Away (idle)" once her X server
has had no input for that long, and her old status back as soon as xdotool moves her mouse.
Ann knocks (`hallway knock`); Ben answers "In 5 min" from the knock's pop-up, through dunst's
context menu; Ann's node has the reply and Ann gets a pop-up with it.
Screenshots: artifacts/screenshots/e2e-knock-*.png and e2e-idle-*.png.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    message_bus,
    new_method_return,
    new_signal,
)
from jeepney.io.blocking import open_dbus_connection

from hallway.store.config import load_config, save_config
from hallway.ui.idle import IDLE_SECONDS_ENV
from hallway.ui.idle_dbus import SCREENSAVER
from hallway.ui.idle_sources import find_idle_source
from tests.e2e.conftest import TrayApp
from tests.e2e.desktop import Desktop, LocalHost, require_tools
from tests.e2e.two_desktops import around, open_window, peers, popups, two_desktops
from tests.support.netlab import Lab
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


# -- the sources alone ---------------------------------------------------------------------------


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    require_tools("Xvfb", "dbus-daemon", "xdotool")
    made = Desktop(LocalHost(), tmp_path, size="640x480x24").start(dunst=False)
    yield made
    made.close()


def test_the_x11_idle_time_follows_input(desktop: Desktop, monkeypatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # no bus: X11 is next
    source = find_idle_source({"DISPLAY": desktop.display})
    assert source is not None
    try:
        assert source.name == "the X11 screen saver extension (libXss)"
        wait_until(lambda: source.idle_seconds() >= 1.0, 10, "a second without input")
        desktop.xdotool("mousemove", "20", "20")
        assert source.idle_seconds() < 1.0
        assert not source.locked()
    finally:
        source.close()


class FakeScreenSaver:
    """org.freedesktop.ScreenSaver on the desktop's bus: GetActive, ActiveChanged, and
    GetSessionIdleTime in milliseconds (as KDE answers)."""

    def __init__(self, address: str) -> None:
        self.conn = open_dbus_connection(address)
        self.active = False
        self.idle_ms = 4200
        reply = self.conn.send_and_get_reply(message_bus.RequestName(SCREENSAVER.bus_name))
        assert reply.body[0] == 1, "could not own org.freedesktop.ScreenSaver"
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self.conn.receive(timeout=0.2)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type is not MessageType.method_call:
                continue
            member = message.header.fields.get(HeaderFields.member)
            if member == "GetActive":
                self.conn.send(new_method_return(message, "b", (self.active,)))
            elif member == "GetSessionIdleTime":
                self.conn.send(new_method_return(message, "u", (self.idle_ms,)))

    def lock(self, active: bool) -> None:
        self.active = active
        emitter = DBusAddress(SCREENSAVER.object_path, interface=SCREENSAVER.interface)
        self.conn.send(new_signal(emitter, "ActiveChanged", "b", (active,)))

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.conn.close()


def test_the_screen_savers_lock_signal_arrives_at_once(desktop: Desktop, monkeypatch) -> None:
    saver = FakeScreenSaver(desktop.bus_address)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", desktop.bus_address)  # jeepney reads it
    source = find_idle_source({})
    assert source is not None
    changed = threading.Event()
    source.on_lock_change = changed.set
    try:
        assert source.name == "the screen saver (org.freedesktop.ScreenSaver)"
        assert source.idle_seconds() == 4.2
        assert not source.locked()
        saver.lock(True)
        assert changed.wait(5), "no ActiveChanged"
        assert source.locked()
    finally:
        source.close()
        saver.close()


# -- two desktops ----------------------------------------------------------------------------------


@dataclass
class Office:
    lab: Lab
    ann: TrayApp
    ben: TrayApp
    tmp: Path


def _person(app: TrayApp, name: str) -> dict[str, Any]:
    return next((p for p in peers(app) if p["name"] == name), {})


def _knocks(app: TrayApp) -> list[dict[str, Any]]:
    return list(json.loads(app.cli("knocks", "--json").stdout))


#: Seconds without input before Ann shows as away (HALLWAY_TEST_IDLE_SECONDS).
IDLE_SECONDS = 20  # more than the 15 s the test may take to see Ann available first


def _keep(screenshot: Path, office: Office) -> None:
    shutil.copy(screenshot, office.tmp / screenshot.name)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    minutes = {"Ann": 1, "Ben": 0}

    def prepare(app: TrayApp, name: str) -> None:
        config = load_config(app.home)
        assert config is not None
        save_config(app.home, msgspec.structs.replace(config, idle_minutes=minutes[name]))

    # Ann's app goes away after IDLE_SECONDS of no input rather than her configured minute
    # (Ben's automatic away is off, so the setting is Ann's alone): the real X11 idle time and
    # the whole path to Ben's window, without sitting idle for a minute.
    with pytest.MonkeyPatch.context() as env:
        env.setenv(IDLE_SECONDS_ENV, str(IDLE_SECONDS))
        with two_desktops(tmp_path_factory.mktemp("e2e-idle-knocks"), prepare=prepare) as pair:
            yield Office(pair.lab, pair.ann, pair.ben, pair.tmp)


def test_automatic_away_after_the_idle_time_and_back_on_input(office: Office) -> None:
    ann, ben = office.ann, office.ben
    ann.desktop.xdotool("mousemove", "200", "200")  # idle from now, not from Xvfb's start
    wait_until(
        lambda: (
            (_person(ben, "Ann").get("presence"), _person(ben, "Ann").get("text"))
            == ("available", "")
        ),
        15,
        f"Ann available, as Ben sees her; Ann's log:\n{ann.log_tail()}",
    )
    wait_until(
        lambda: (
            (_person(ben, "Ann").get("presence"), _person(ben, "Ann").get("text"))
            == ("away", "Away (idle)")
        ),
        100,
        f"Ann away when idle, as Ben sees her; Ann's log:\n{ann.log_tail()}",
    )
    window = open_window(ben)
    ben.desktop.settled(window.crop).unlink()
    _keep(ben.desktop.screenshot("e2e-idle-away-seen-by-ben", crop=window.crop), office)
    ann.desktop.xdotool("mousemove", "300", "300")
    wait_until(
        lambda: (
            (_person(ben, "Ann").get("presence"), _person(ben, "Ann").get("text"))
            == ("available", "")
        ),
        10,
        f"Ann's old status back on input; Ann's log:\n{ann.log_tail()}",
    )


def test_a_knock_is_answered_from_its_pop_up(office: Office) -> None:
    ann, ben = office.ann, office.ben
    ann.cli("knock", "Ben", "Got a minute for the release notes?")
    summary = "Ann is knocking"
    popup = wait_until(
        lambda: next(
            (i for i, (_, s) in ben.desktop.dunst_urgencies().items() if s == summary), None
        ),
        20,
        f"the knock's pop-up on Ben's desktop; Ben's log:\n{ben.log_tail()}",
    )
    shown = wait_until(lambda: popups(ben.desktop), 5, "dunst's pop-up window")
    _keep(ben.desktop.screenshot("e2e-knock-notification", crop=around(shown)), office)
    menu = ben.desktop.dunst_choose("In 5 min", popup)
    assert any("In 5 min" in line and ",later]" in line for line in menu), menu
    wait_until(
        lambda: any(k["outgoing"] and k["reply"] == "In 5 min" for k in _knocks(ann)),
        20,
        f"the reply on Ann's node; Ben's log:\n{ben.log_tail()}",
    )
    answered = "Ben answered your knock"
    wait_until(
        lambda: any(s == answered for _, s in ann.desktop.dunst_urgencies().values()),
        20,
        f"the reply's pop-up on Ann's desktop; Ann's log:\n{ann.log_tail()}",
    )
    shown = wait_until(lambda: popups(ann.desktop), 5, "dunst's pop-up window on Ann's")
    _keep(ann.desktop.screenshot("e2e-knock-reply-notification", crop=around(shown)), office)

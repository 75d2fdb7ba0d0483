"""The People list: one painted entry per person, a stable layout, the filter, the details."""

from __future__ import annotations

import time

import msgspec
import pytest
from hallway_ui_fakes import ANN, BEN, CY, OWN, peer, status_event
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics

from hallway.core.model import Presence, Status
from hallway.ui.models import PeopleModel
from hallway.ui.people_delegate import fit_name_and_presence, star_rect
from hallway.ui.people_tab import PeopleTab

RICH = "<b>Ann</b><img src=x>"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def people(bridge) -> PeopleModel:
    model = PeopleModel()
    bridge.status_changed.connect(model.on_status_changed)
    model.reset(bridge.peers())
    return model


@pytest.fixture
def tab(qtbot, people) -> PeopleTab:
    widget = PeopleTab(people)
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_do_not_disturb_is_never_cut_and_a_long_name_gives_way():
    name_font, body_font = QFont(), QFont()
    dee = peer(CY, "Dee", status=Status(Presence.DND))
    name, tail = fit_name_and_presence(name_font, body_font, dee, 400)
    assert (name, tail.strip()) == ("Dee", "·  Do not disturb")
    # A long name is elided so that the presence still shows in full.
    long = msgspec.structs.replace(dee, name="Evangelina Lindqvist-Montgomery-Fairweather")
    room = QFontMetrics(body_font).horizontalAdvance("  ·  Do not disturb") + 120
    name, tail = fit_name_and_presence(name_font, body_font, long, room)
    assert name.endswith("…")
    assert tail.endswith("Do not disturb")
    assert (
        QFontMetrics(name_font).horizontalAdvance(name)
        + QFontMetrics(body_font).horizontalAdvance(tail)
        <= room
    )


def test_every_entry_has_the_same_height_whatever_it_shows(qtbot, tab, node):
    heights = {tab.list.visualRect(tab.index_of(pid)).height() for pid in (OWN, ANN, BEN, CY)}
    assert len(heights) == 1

    def rows():
        return [tab.list.visualRect(tab.index_of(pid)) for pid in (OWN, ANN, CY)]

    before = [(r.top(), r.height()) for r in rows()]
    node.emit(status_event(ANN, "Ann", Presence.DND, "Dentist " * 20, emoji="🦷"))
    qtbot.waitUntil(lambda: tab.model.peer(ANN).status.emoji == "🦷")
    assert [(r.top(), r.height()) for r in rows()] == before


def test_entries_follow_the_width_of_the_list_both_ways(qtbot, tab):
    # "online now" and "until 15:30" sit at the right edge: a row wider than the list cuts them.
    def fits() -> bool:
        width = tab.list.viewport().width()
        return all(tab.list.visualRect(tab.index_of(pid)).width() == width for pid in (OWN, ANN))

    for width in (420, 900):
        tab.resize(width, 500)
        qtbot.waitUntil(lambda w=width: tab.width() == w and fits())


def test_the_filter_narrows_the_list_and_selection_shows_details(qtbot, tab):
    assert tab.proxy.rowCount() == 4
    qtbot.keyClicks(tab.filter, "cy")
    assert tab.proxy.rowCount() == 1
    assert tab.select_peer(ANN)  # filtered out: the filter is cleared to show her
    assert tab.filter.text() == ""
    assert tab.selected_peer().id == ANN
    assert tab.details.name.text() == "Ann"
    assert not tab.details.avatar.pixmap().isNull()


def test_the_star_follows_and_its_tooltip_says_so(qtbot, tab):
    rect = tab.list.visualRect(tab.index_of(ANN))
    ann = tab.model.peer(ANN)
    on_star = star_rect(rect).center()
    assert "Follow" in tab.delegate.tooltip(ann, False, rect, on_star)
    with qtbot.waitSignal(tab.following_changed) as blocker:
        qtbot.mouseClick(tab.list.viewport(), LEFT, pos=on_star)
    assert blocker.args == [ANN, True]
    assert tab.model.followed() == {ANN}
    assert tab.delegate.tooltip(ann, True, rect, on_star) == "Stop following"
    # Our own entry has no star to click.
    own = tab.list.visualRect(tab.index_of(OWN))
    qtbot.mouseClick(tab.list.viewport(), LEFT, pos=star_rect(own).center())
    assert tab.model.followed() == {ANN}


def test_the_entry_tooltip_is_the_whole_entry_as_plain_text(tab):
    someone = peer(
        ANN, RICH, status=Status(Presence.BUSY, "<i>x</i>", "📅", time.time() + 600, time.time())
    )
    text = tab.delegate.tooltip(someone, False, QRect(0, 0, 600, 60), QPoint(300, 30))
    assert text.startswith("<qt>&lt;b&gt;Ann&lt;/b&gt;")
    assert "Busy — 📅 &lt;i&gt;x&lt;/i&gt;" in text
    assert "until" in text


def test_every_change_reports_the_rows_the_list_draws(qtbot, people):
    # One painted entry per row: a change that reported fewer rows would leave an entry stale
    # (a star that does not fill, an old "until").
    everyone = (0, people.rowCount() - 1)
    changes = (
        (lambda: people.set_following(ANN, True), (people.row_of(ANN),) * 2),
        (lambda: people.set_followed([CY]), everyone),
        (people.refresh_times, everyone),
    )
    for change, rows in changes:
        with qtbot.waitSignal(people.dataChanged) as blocker:
            change()
        first, last = blocker.args[0], blocker.args[1]
        assert (first.row(), last.row()) == rows
        assert first.column() == last.column() == 0
    assert not people.index(0, 1).isValid()  # one column: the entry

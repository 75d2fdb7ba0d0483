"""Office events on the replicated-record layer, with real nodes on namespace hosts.

Every node computes seats and the waitlist from the RSVP records it holds; these tests check that
they all come to the same answer whatever reaches them in which order: several hosts answering
at once, a late joiner, a partition, a kill -9 right after `event rsvp` returned. Waits are on
events or on a node's own answer to `event show`; the bounds only catch a broken mechanism.
"""

from __future__ import annotations

import json
import signal
from typing import Any

import pytest

from tests.net.conftest import Office, RunningNode, is_type
from tests.net.faults_support import all_meet
from tests.support.waiting import wait_until

pytestmark = pytest.mark.net


def _create(node: RunningNode, title: str, *extra: str) -> str:
    result = node.cli("event", "create", title, "--at", "tomorrow 15:00", *extra)
    event_id = result.stdout.strip()
    assert event_id.startswith(node.id + ":"), result.stdout
    return event_id


def _show(node: RunningNode, event_id: str) -> dict[str, Any] | None:
    result = node.cli("event", "show", event_id, "--json", check=False)
    if result.returncode != 0:
        return None
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def _seats(event: dict[str, Any]) -> tuple[list[str], list[str], list[str], list[str]]:
    def ids(field: str) -> list[str]:
        return [person["peer"] for person in event[field]]

    return ids("going"), ids("waitlist"), ids("maybe"), ids("declined")


def _converged(nodes: list[RunningNode], event_id: str, **expected: object) -> dict[str, Any]:
    """Wait until every node shows the event the same way (and with `expected` fields)."""

    def same() -> dict[str, Any] | None:
        shown = [_show(node, event_id) for node in nodes]
        if any(s is None for s in shown):
            return None
        views = [s for s in shown if s is not None]
        if any(_seats(v) != _seats(views[0]) for v in views):
            return None
        if any(v[k] != want for v in views for k, want in expected.items()):
            return None
        return views[0]

    return wait_until(same, 20, f"every node to show {event_id} alike with {expected}")


def test_rsvps_from_several_hosts_converge_and_the_waitlist_moves_up(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat", "Dan")]
    ann, ben, cat, dan = nodes
    all_meet(nodes)
    event_id = _create(ann, "Brainstorm", "--capacity", "2", "--where", "Room 2")
    for node in (ben, cat, dan):
        node.wait(is_type("event", change="created"))

    # Three answer "going" for two seats, from three hosts; the order they were made decides.
    for node in (ben, cat, dan):
        node.cli("event", "rsvp", event_id, "going")
    ann.cli("event", "rsvp", event_id, "maybe")
    view = _converged(nodes, event_id)
    going, waitlist, maybe, _ = _seats(view)
    assert going == [ben.id, cat.id]
    assert waitlist == [dan.id]
    assert maybe == [ann.id]
    assert view["capacity"] == 2

    # A seat frees: the first on the waitlist moves up, and every node says so.
    marks = {node: node.mark() for node in nodes}
    ben.cli("event", "rsvp", event_id, "no")
    for node in nodes:
        seat = node.wait_after(marks[node], is_type("seat", peer=dan.id, event=event_id))
        assert seat["own"] is (node is dan)
    view = _converged(nodes, event_id)
    assert _seats(view) == ([cat.id, dan.id], [], [ann.id], [ben.id])


def test_a_late_joiner_receives_events_with_their_rsvps(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    first = _create(ann, "Mentoring", "--capacity", "1")
    second = _create(ben, "Book club", "--where", "Library")
    ben.wait(is_type("event", change="created", own=False))
    ann.wait(is_type("event", change="created", own=False))
    ben.cli("event", "rsvp", first, "going")
    ann.cli("event", "rsvp", first, "going")  # the organiser waits: one seat
    ann.cli("event", "rsvp", second, "maybe")
    _converged([ann, ben], first)

    cat = office.node("Cat")
    view = _converged([ann, ben, cat], first)
    assert _seats(view) == ([ben.id], [ann.id], [], [])
    view = _converged([ann, ben, cat], second, where="Library")
    assert _seats(view) == ([], [], [ann.id], [])
    listed = json.loads(cat.cli("event", "list", "--json").stdout)
    assert {e["id"] for e in listed} == {first, second}


def test_an_edit_and_a_cancellation_reach_everyone(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    event_id = _create(ann, "Planning", "--duration", "45m")
    ben.cli("event", "rsvp", event_id, "going")
    _converged(nodes, event_id)

    ann.cli("event", "edit", event_id, "--title", "Quarterly planning", "--where", "Big room")
    view = _converged(nodes, event_id, title="Quarterly planning", where="Big room")
    assert view["sequence"] == 1
    assert _seats(view)[0] == [ben.id], "an edit keeps the answers"

    marks = {node: node.mark() for node in nodes}
    ann.cli("event", "cancel", event_id)
    for node in (ben, cat):
        node.wait_after(marks[node], is_type("event", change="cancelled"))
    view = _converged(nodes, event_id, cancelled=True)
    assert view["sequence"] == 2
    refused = cat.cli("event", "rsvp", event_id, "going", check=False)
    assert refused.returncode == 1
    assert "cancelled" in refused.stderr
    for node in nodes:  # no longer upcoming
        assert json.loads(node.cli("event", "list", "--json").stdout) == []


def test_rsvps_made_on_both_sides_of_a_partition_converge(office: Office) -> None:
    nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    ann, ben, cat = nodes
    all_meet(nodes)
    event_id = _create(ann, "Hack day", "--capacity", "2")
    _converged(nodes, event_id)

    cat.host.link_down()
    for node in (ann, ben):
        node.wait(is_type("peer_offline", peer=cat.id), timeout=10)
    cat.wait(is_type("peer_offline", peer=ann.id), timeout=10)
    cat.cli("event", "rsvp", event_id, "going")  # made first, on the minority side
    ben.cli("event", "rsvp", event_id, "going")
    ann.cli("event", "rsvp", event_id, "going")
    ann.cli("event", "edit", event_id, "--where", "Atrium")

    cat.host.link_up()
    view = _converged(nodes, event_id, where="Atrium")
    assert _seats(view)[:2] == ([cat.id, ben.id], [ann.id])


def test_kill_9_right_after_an_rsvp_loses_nothing(office: Office) -> None:
    ann, ben = office.node("Ann"), office.node("Ben")
    all_meet([ann, ben])
    event_id = _create(ann, "Lunch and learn")
    ben.wait(is_type("event", change="created"))
    host, home = ben.host, ben.home

    ben.cli("event", "rsvp", event_id, "going")
    ben.stop(signal.SIGKILL)  # the answer was confirmed: it must survive
    ben = office.node("Ben", host=host, home=home)
    view = _converged([ann, ben], event_id)
    assert _seats(view)[0] == [ben.id]
    own = _show(ben, event_id)
    assert own is not None
    assert own["mine"] == "going"

    # And the organiser's own writes survive its kill -9 too, edits included.
    host, home = ann.host, ann.home
    ann.cli("event", "edit", event_id, "--title", "Lunch and learn: SQLite")
    ann.stop(signal.SIGKILL)
    ann = office.node("Ann", host=host, home=home)
    view = _converged([ann, ben], event_id, title="Lunch and learn: SQLite")
    assert view["sequence"] == 1
    assert _seats(view)[0] == [ben.id]


def test_a_reminder_comes_before_the_start_for_those_going(office: Office) -> None:
    ann, ben, cat = nodes = [office.node(n) for n in ("Ann", "Ben", "Cat")]
    all_meet(nodes)
    # The reminder is due two seconds from now: 118 s before a start two minutes away.
    event_id = ann.cli("event", "create", "Standup", "--at", "in 2m", "--remind", "118s")
    event_id = event_id.stdout.strip()
    ben.wait(is_type("event", change="created"))
    ben.cli("event", "rsvp", event_id, "going")
    cat.cli("event", "rsvp", event_id, "no")
    for node in (ann, ben):  # the organiser and those going
        reminder = node.wait(is_type("reminder"), timeout=15)
        assert reminder["event"]["id"] == event_id
        assert reminder["event"]["title"] == "Standup"
    # Cat said no: its node holds the same event and answers, and stays quiet. Its own answer
    # reached Ann and Ben before their reminders, so Cat's timers had run past the moment too.
    view = _converged(nodes, event_id)
    assert cat.id in _seats(view)[3]
    assert cat.find(is_type("reminder")) is None

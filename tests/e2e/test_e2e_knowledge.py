"""End to end for knowledge sharing (issue 11): two desktops in one office (tests/e2e/two_desktops),
Ann's and Ben's, each with its X server, session bus, trayer, dunst and tray app.

Ann posts from her window's compose box, asking to be acknowledged; Ben acknowledges from the
post's pop-up, through dunst's context menu; Ann's window shows "1/1 acknowledged", and its
Acknowledgements dialog who did. Then Ann asks a question in her compose box, Ben replies twice
in the thread beside his Feed, and Ann marks his second reply as the answer in hers.

The apps run under tests/e2e/app_probe.py, which reads what their windows show (the Feed's rows
as painted, the thread, the dialog) and where their painted buttons are, for xdotool to click.
Screenshots (to look at): artifacts/screenshots/e2e-knowledge-*.png, also in the module's tmp
dir. The tests run in file order on one office, each starting where the previous one left off.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.conftest import TrayApp, Window
from tests.e2e.desktop import Desktop
from tests.e2e.two_desktops import MAIN, Pair, around, open_window, own_id, popups, two_desktops
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

FIRE_DRILL = "Fire drill at 15:00. Please confirm you read this."
QUESTION = "Who knows how to reset the badge printer?"
GUESS = "No idea, maybe ask the front desk?"
ANSWER = "Hold its reset button for 5 seconds, then switch it on again."
ACKS = "Acknowledgements — Hallway"
WIDTH, HEIGHT = 1180, 740
# dunst's context menu lines: "#LABEL (SUMMARY) [ID,KEY]".
_MENU_LINE = re.compile(r"^#(?P<label>.*) \((?P<summary>.*)\) \[(?P<id>\d+),(?P<key>[^]]*)\]$")


@dataclass
class Office:
    pair: Pair
    #: Ann's post asking to be acknowledged, and her question (their ids), once posted.
    drill: str = ""
    question: str = ""

    @property
    def ann(self) -> TrayApp:
        return self.pair.ann

    @property
    def ben(self) -> TrayApp:
        return self.pair.ben


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Office]:
    def prepare(app: TrayApp, name: str) -> None:
        app.desktop.env["LC_ALL"] = "C.UTF-8"  # the words the probe reads, whatever the locale

    tmp = tmp_path_factory.mktemp("e2e-knowledge")
    with two_desktops(tmp, prepare=prepare, probe=True) as pair:
        for app in (pair.ann, pair.ben):
            window = open_window(app)
            # Room for a question and its two replies beside the Feed, as a person would make.
            app.desktop.xdotool("windowsize", window.id, str(WIDTH), str(HEIGHT))
            wait_until(
                lambda a=app: (w := a.window(MAIN)).width == WIDTH and w.height == HEIGHT,
                10,
                "the window resized",
            )
            app.keys("alt+f")  # the Feed tab
            _state(app, lambda s: s["tab"] == "&Feed", "the Feed tab")
        yield Office(pair)


# -- reading and driving the apps ------------------------------------------------------------


def _state(app: TrayApp, condition: Any, what: str, timeout: float = 20.0) -> dict[str, Any]:
    """Wait until the app's window state (tests/e2e/app_probe.py) meets `condition`."""

    def met() -> dict[str, Any] | None:
        state = app.probe()
        return state if state and condition(state) else None

    try:
        return wait_until(met, timeout, f"{what} in {app.home.name}'s window")
    except AssertionError as failure:
        raise AssertionError(
            f"{failure}\nlast state: {json.dumps(app.probe())[:4000]}\napp log:\n{app.log_tail()}"
        ) from None


def _row(state: dict[str, Any], item_id: str) -> dict[str, Any] | None:
    return next((r for r in state["feed"] if r["id"] == item_id), None)


def _inside(rect: list[int], area: list[int]) -> bool:
    x, y, width, height = rect
    left, top, area_width, area_height = area
    inside_x = left <= x and x + width <= left + area_width
    return inside_x and top <= y and y + height <= top + area_height


def _click(app: TrayApp, rect: list[int]) -> None:
    """Click the middle of `rect` (x, y, width, height on the screen), then move the pointer
    off the window: no hover highlight or tooltip in the screenshots."""
    x, y, width, height = rect
    app.click(x + width // 2, y + height // 2)
    app.desktop.xdotool("mousemove", "1279", "799")


def _feed(app: TrayApp) -> list[dict[str, Any]]:
    return list(json.loads(app.cli("feed", "--json").stdout))


def _posted(app: TrayApp, text: str) -> dict[str, Any]:
    """Ann's post with `text`, from her node, once it is there."""
    return wait_until(
        lambda: next((i for i in _feed(app) if i.get("text") == text), None),
        20,
        f"the post {text!r} on the node; app log:\n{app.log_tail()}",
    )


def _compose(app: TrayApp, text: str, mark: str) -> None:
    """Write `text` in the window's compose box with the checkbox `mark` ticked, and send it."""
    state = _state(app, lambda s: s["compose"][mark]["visible"], "the compose box")
    _click(app, state["compose"][mark]["rect"])
    _state(app, lambda s: s["compose"][mark]["checked"], f"{mark!r} ticked")
    _click(app, state["compose"]["editor"])
    app.type_text(text)
    _state(app, lambda s: s["compose"]["text"] == text, "the post written")
    app.keys("ctrl+Return")
    _state(app, lambda s: s["compose"]["text"] == "", "the compose box emptied (sent)")


@contextlib.contextmanager
def _no_popups(desktop: Desktop) -> Iterator[None]:
    """dunst paused: its pop-ups out of the way of a window's screenshot (they come back)."""
    desktop.run(["dunstctl", "set-paused", "true"])
    try:
        wait_until(lambda: not popups(desktop), 10, "dunst's pop-ups to go while paused")
        yield
    finally:
        desktop.run(["dunstctl", "set-paused", "false"])


def _screenshot(office: Office, app: TrayApp, name: str, window: Window) -> None:
    with _no_popups(app.desktop):
        app.desktop.settled(window.crop).unlink()
        office.pair.keep(app.desktop.screenshot(name, crop=window.crop))


# -- acknowledgements --------------------------------------------------------------------------


def test_a_post_asking_to_be_acknowledged_is_sent_from_the_window(office: Office) -> None:
    ann = office.ann
    _compose(ann, FIRE_DRILL, "ack")
    post = _posted(ann, FIRE_DRILL)
    assert (post["ack"], post["acks"], post["question"]) == (True, {"n": 0, "of": 1}, False)
    office.drill = str(post["id"])
    state = _state(ann, lambda s: _row(s, office.drill) is not None, "the post in the Feed")
    row = _row(state, office.drill)
    assert row is not None
    assert (row["ack_label"], row["acks"]) == ("0/1 acknowledged", [0, 1])


def test_ben_acknowledges_from_the_pop_up(office: Office) -> None:
    assert office.drill, "needs the post of the previous test"
    ann, ben = office.ann, office.ben
    desktop = ben.desktop
    summary = "Ann asks you to acknowledge"
    popup = wait_until(
        lambda: next((i for i, (_, s) in desktop.dunst_urgencies().items() if s == summary), None),
        20,
        f"the post's pop-up on Ben's desktop; Ben's log:\n{ben.log_tail()}",
    )
    shown = wait_until(lambda: popups(desktop), 5, "dunst's pop-up window")
    office.pair.keep(desktop.screenshot("e2e-knowledge-ack-notification", crop=around(shown)))

    menu = desktop.dunst_choose("Acknowledge", popup)
    lines = [m for m in map(_MENU_LINE.match, menu) if m and int(m["id"]) == popup]
    assert ("Acknowledge", "acknowledge") in {(m["label"], m["key"]) for m in lines}, menu

    wait_until(
        lambda: any(i["id"] == office.drill and i["acked"] for i in _feed(ben)),
        20,
        f"the post acknowledged on Ben's node; Ben's log:\n{ben.log_tail()}",
    )
    _state(
        ben,
        lambda s: (r := _row(s, office.drill)) is not None and r["ack_label"] == "✓ Acknowledged",
        '"✓ Acknowledged" on the post in Ben\'s Feed',
    )
    ben_id = own_id(ben)

    def acks() -> dict[str, Any]:
        return dict(json.loads(ann.cli("acks", office.drill, "--json").stdout))

    view = wait_until(
        lambda: (v := acks())["acknowledged"] and v,
        20,
        f"Ben's acknowledgement on Ann's node; Ann's log:\n{ann.log_tail()}",
    )
    assert [(p["peer"], p["name"]) for p in view["acknowledged"]] == [(ben_id, "Ben")]
    assert view["missing"] == []
    # dunst leaves a pop-up up after its context menu's action: it has done its work.
    desktop.run(["dunstctl", "close-all"])
    wait_until(lambda: not popups(desktop), 10, "the pop-up to close")


def test_anns_window_shows_the_count_change(office: Office) -> None:
    assert office.drill, "needs the acknowledged post"
    ann = office.ann

    def counted(state: dict[str, Any]) -> bool:
        row = _row(state, office.drill)
        return row is not None and row["ack_label"] == "1/1 acknowledged"

    state = _state(ann, counted, '"1/1 acknowledged" on the post')
    row = _row(state, office.drill)
    assert row is not None
    assert row["shown"]
    assert row["acks"] == [1, 1]
    [button] = [b for b in row["buttons"] if b["key"] == "acks"]
    assert button["label"] == "1/1 acknowledged", "painted in full, not elided"
    window = ann.window(MAIN)
    _screenshot(office, ann, "e2e-knowledge-acknowledged-ann", window)

    _click(ann, button["rect"])  # the painted "1/1 acknowledged": who did, who is missing
    dialog = ann.window(ACKS)
    state = _state(ann, lambda s: s["acks"] is not None, "the Acknowledgements dialog")
    acks = state["acks"]
    assert acks["count"] == "1/1 acknowledged"
    assert [entry.split(" — ")[0] for entry in acks["acknowledged"]] == ["Ben"]
    assert acks["missing"] == []
    assert (acks["remind"]["text"], acks["remind"]["enabled"]) == ("Remind", False)
    _screenshot(office, ann, "e2e-knowledge-acks-view", dialog)
    ann.close_window(dialog)
    ann.no_window(ACKS)


# -- a question, its thread and its answer -----------------------------------------------------


def test_ben_replies_in_the_thread_of_anns_question(office: Office) -> None:
    ann, ben = office.ann, office.ben
    _compose(ann, QUESTION, "question")
    post = _posted(ann, QUESTION)
    assert (post["question"], post["answer"], post["ack"]) == (True, None, False)
    office.question = question = str(post["id"])

    state = _state(ben, lambda s: _row(s, question) is not None, "Ann's question in Ben's Feed")
    row = _row(state, question)
    assert row is not None
    assert (row["badge"], row["thread_label"]) == ("Question", "Reply")
    [thread] = [b for b in row["buttons"] if b["key"] == "thread"]
    _click(ben, thread["rect"])
    state = _state(ben, lambda s: s["thread"]["post"] == question, "the question's thread")
    for text in (GUESS, ANSWER):
        _click(ben, state["thread"]["editor"])
        ben.type_text(text)
        ben.keys("ctrl+Return")
        _state(ben, lambda s, t=text: t in [c["text"] for c in s["thread"]["cards"]],
               f"the reply {text!r} in the thread")  # fmt: skip
    state = _state(ben, lambda s: s["thread"]["count"] == "2 replies", "2 replies")
    assert [c["text"] for c in state["thread"]["cards"]] == [QUESTION, GUESS, ANSWER]
    assert not any(c["buttons"]["markAnswer"]["visible"] for c in state["thread"]["cards"]), (
        "only the question's author marks an answer"
    )
    _screenshot(office, ben, "e2e-knowledge-thread-ben", ben.window(MAIN))


def test_ann_marks_the_answer_in_her_window(office: Office) -> None:
    assert office.question, "needs the question of the previous test"
    ann, ben = office.ann, office.ben
    question = office.question

    def replied(state: dict[str, Any]) -> bool:
        row = _row(state, question)
        return row is not None and row["thread_label"] == "2 replies · latest Ben"

    row = _row(_state(ann, replied, "2 replies on the question's row"), question)
    assert row is not None
    [thread] = [b for b in row["buttons"] if b["key"] == "thread"]
    _click(ann, thread["rect"])
    state = _state(
        ann,
        lambda s: s["thread"]["post"] == question and len(s["thread"]["cards"]) == 3,
        "the question's thread with both replies",
    )
    guess, answer = state["thread"]["cards"][1:]
    assert (guess["text"], answer["text"]) == (GUESS, ANSWER)
    mark = answer["buttons"]["markAnswer"]
    assert mark["visible"]
    assert mark["text"] == "Mark as answer"
    assert _inside(mark["rect"], state["thread"]["viewport"]), "not scrolled away"
    _click(ann, mark["rect"])

    def answered(state: dict[str, Any]) -> bool:
        cards = state["thread"]["cards"]
        return [c["id"] for c in cards[1:]] == [answer["id"], guess["id"]] and cards[1]["chosen"]

    state = _state(ann, answered, "the answer first in the thread")
    cards = state["thread"]["cards"]
    assert (cards[0]["badge"], cards[1]["badge"], cards[2]["badge"]) == ("Answered", "✓ Answer", "")
    row = _row(state, question)
    assert row is not None
    assert (row["badge"], row["answer"]) == ("Answered", answer["id"])
    on_bens = json.loads(ben.cli("thread", question, "--json").stdout)
    assert on_bens["post"]["answer"] == answer["id"]
    _screenshot(office, ann, "e2e-knowledge-answered-question-ann", ann.window(MAIN))
    # Ben's reply chosen: he is told so, and his thread shows it first too.
    summary = "Ann marked your reply as the answer"
    wait_until(
        lambda: any(s == summary for _, s in ben.desktop.dunst_urgencies().values()),
        20,
        f"the answer's pop-up on Ben's desktop; Ben's log:\n{ben.log_tail()}",
    )
    _state(ben, answered, "the answer first in Ben's thread")
    _screenshot(office, ben, "e2e-knowledge-answered-question-ben", ben.window(MAIN))

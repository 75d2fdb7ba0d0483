"""The other-office hint's timing, and how `hallway node` prints it; no sockets."""

from __future__ import annotations

import io

from hallway.cli.output import Style, event_line
from hallway.engine import actor
from hallway.engine.actor import OTHER_OFFICE_DELAY, OTHER_OFFICE_REPEAT, OtherOfficeHint
from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared


def test_no_hint_before_the_delay_and_one_after_it() -> None:
    hint = OtherOfficeHint(foreign=3)
    assert hint.update(100.0) is None
    assert hint.deadline() == 100.0 + OTHER_OFFICE_DELAY
    assert hint.update(100.0 + OTHER_OFFICE_DELAY - 0.1) is None
    warning = hint.update(100.0 + OTHER_OFFICE_DELAY)
    assert isinstance(warning, NodeWarning)
    assert warning.code == OTHER_OFFICE
    assert warning.peer is None
    assert warning.message == (
        "3 Hallway users nearby are in another office or typed a different passphrase."
    )
    assert hint.update(200.0) is None  # said once
    assert hint.deadline() is None


def test_a_member_found_in_time_means_no_hint() -> None:
    hint = OtherOfficeHint(foreign=2)
    assert hint.update(0.0) is None
    hint.member_seen = True
    assert hint.update(1.0) is None
    assert hint.update(1000.0) is None
    assert hint.deadline() is None


def test_a_member_clears_the_hint_for_good() -> None:
    hint = OtherOfficeHint(foreign=1)
    hint.update(0.0)
    assert isinstance(hint.update(OTHER_OFFICE_DELAY), NodeWarning)
    hint.member_seen = True
    cleared = hint.update(OTHER_OFFICE_DELAY + 1)
    assert cleared == WarningCleared(at=OTHER_OFFICE_DELAY + 1, code=OTHER_OFFICE)
    hint.foreign = 40
    assert hint.update(10_000.0) is None


def test_the_others_leaving_clears_it_and_coming_back_waits_again() -> None:
    hint = OtherOfficeHint(foreign=1)
    hint.update(0.0)
    hint.update(OTHER_OFFICE_DELAY)
    hint.foreign = 0
    assert isinstance(hint.update(10.0), WarningCleared)
    hint.foreign = 1
    assert hint.update(11.0) is None
    assert isinstance(hint.update(11.0 + OTHER_OFFICE_DELAY), NodeWarning)


def test_a_changing_count_is_said_again_at_most_once_a_period() -> None:
    hint = OtherOfficeHint(foreign=1)
    hint.update(0.0)
    first = hint.update(OTHER_OFFICE_DELAY)
    assert isinstance(first, NodeWarning)
    for count in range(2, 40):  # a flood, one name at a time
        hint.foreign = count
        assert hint.update(OTHER_OFFICE_DELAY + count / 100) is None
    assert hint.deadline() == OTHER_OFFICE_DELAY + OTHER_OFFICE_REPEAT
    again = hint.update(OTHER_OFFICE_DELAY + OTHER_OFFICE_REPEAT)
    assert isinstance(again, NodeWarning)
    assert again.message.startswith("39 Hallway users")


def test_one_user_is_singular() -> None:
    assert actor.other_office_message(1) == (
        "1 Hallway user nearby is in another office or typed a different passphrase."
    )


def test_node_prints_the_hint_and_its_end_as_sentences() -> None:
    style = Style(io.StringIO())
    warning = NodeWarning(at=0.0, message=actor.other_office_message(2), code=OTHER_OFFICE)
    line = event_line(warning.to_json(), style)
    assert line.endswith("warning: 2 Hallway users nearby are in another office or typed a "
                         "different passphrase.")  # fmt: skip
    cleared = event_line(WarningCleared(at=0.0, code=OTHER_OFFICE).to_json(), style)
    assert "{" not in cleared
    assert cleared.endswith("The warning about Hallway users in other offices no longer applies.")
    assert WarningCleared(at=0.0, code=OTHER_OFFICE).to_json()["code"] == OTHER_OFFICE
    assert warning.to_json()["code"] == OTHER_OFFICE


def test_a_count_at_discoverys_bound_says_at_least() -> None:
    from hallway.net.discovery import MAX_FOREIGN

    assert actor.other_office_message(MAX_FOREIGN).startswith(f"At least {MAX_FOREIGN} Hallway")
    assert actor.other_office_message(MAX_FOREIGN - 1).startswith(f"{MAX_FOREIGN - 1} Hallway")

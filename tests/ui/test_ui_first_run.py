"""First run: fill in the dialog, accept, get the values back."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox

from hallway.ui import first_run
from hallway.ui.first_run import FirstRunDialog, default_display_name


@pytest.fixture
def dialog(qtbot):
    widget = FirstRunDialog(default_name="Ann Example")
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_join_an_office(qtbot, dialog):
    assert dialog.name.text() == "Ann Example"
    assert not dialog.ok.isEnabled()  # no office yet
    qtbot.keyClicks(dialog.office.office, "Acme Leeds")
    qtbot.keyClicks(dialog.office.passphrase, "correct horse")
    assert dialog.ok.isEnabled()
    dialog.start_at_login.setChecked(False)
    with qtbot.waitSignal(dialog.accepted):
        dialog.ok.click()
    values = dialog.values()
    assert values.name == "Ann Example"
    assert values.office.open_office is False
    assert values.office.office == "Acme Leeds"
    assert values.office.passphrase == "correct horse"
    assert values.start_at_login is False


def test_open_office_says_everyone_can_see_it(qtbot, dialog):
    dialog.office.open.click()
    assert "Everyone on this network can see" in dialog.office.open_note.text()
    assert dialog.ok.isEnabled()
    dialog.name.clear()
    assert not dialog.ok.isEnabled()
    assert dialog.problem.text() == "Type your name."
    qtbot.keyClicks(dialog.name, "  Ben  ")
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    values = dialog.values()
    assert (values.name, values.office.open_office, values.office.office) == ("Ben", True, None)
    assert values.start_at_login is True


def test_default_name_is_the_account_full_name(monkeypatch):
    class Entry:
        pw_gecos = "Ann Example,Room 4,,"
        pw_name = "ann"

    import pwd

    monkeypatch.setattr(pwd, "getpwuid", lambda uid: Entry)
    assert default_display_name() == "Ann Example"
    Entry.pw_gecos = ""
    assert default_display_name() == "ann"
    assert first_run.default_display_name is default_display_name

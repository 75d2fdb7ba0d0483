"""Settings: name, office (changing it re-initialises the home), notifications by kind, network
interface and start at login. The dialog edits a copy of the config; the app saves and applies.

A name that reads like another member's is allowed (two people may be called Sam), but the dialog
says so: colleagues will see the start of your fingerprint next to it.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from hallway.core.model import NAME_MAX
from hallway.core.names import NamesUnavailableError, confusable
from hallway.engine.events import PeerView
from hallway.net.interfaces import list_interface_names
from hallway.store.config import Config, Notifications
from hallway.ui.autostart import autostart_supported
from hallway.ui.office_choice import OfficeChoice, OfficeChooser


@dataclass(frozen=True, slots=True)
class SettingsResult:
    config: Config
    #: A new office to join: the app re-initialises the home and restarts the node.
    office_change: OfficeChoice | None

    def needs_restart(self, before: Config) -> bool:
        return self.office_change is not None or self.config.interface != before.interface


def interface_names() -> list[str]:
    """Non-loopback interfaces with an IPv4 address (what discovery can use).

    Plain Python (ifaddr, as `--interface` resolves names), not QNetworkInterface: QtNetwork and
    its plugins stay out of the bundle.
    """
    return list_interface_names()


class SettingsDialog(QDialog):
    def __init__(
        self,
        config: Config,
        parent: QWidget | None = None,
        *,
        platform: str = sys.platform,
        members: Sequence[PeerView] = (),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Hallway settings"))
        self._config = config
        self._members = list(members)

        self.name = QLineEdit(config.name)
        self.name.setMaxLength(NAME_MAX)
        current_office = (
            self.tr("Open office (everyone on this network)")
            if config.open or not config.office
            else config.office
        )
        self.office_label = QLabel(current_office)
        self.office_label.setTextFormat(Qt.TextFormat.PlainText)
        self.change_office = QGroupBox(self.tr("Change office"))
        self.change_office.setCheckable(True)
        self.change_office.setChecked(False)
        self.office = OfficeChooser()
        QVBoxLayout(self.change_office).addWidget(self.office)

        self._build(config, platform)

    def _build(self, config: Config, platform: str) -> None:
        notes = config.notifications
        self.notify_posts = QCheckBox(self.tr("Posts"))
        self.notify_posts.setChecked(notes.posts)
        self.notify_urgent = QCheckBox(self.tr("Urgent posts (even when busy or paused)"))
        self.notify_urgent.setChecked(notes.urgent)
        self.notify_followed = QCheckBox(self.tr("Status changes of people I follow (★)"))
        self.notify_followed.setChecked(notes.followed_status)
        self.notify_online = QCheckBox(self.tr("Colleagues coming online"))
        self.notify_online.setChecked(notes.online)
        notify_box = QGroupBox(self.tr("Pop up for"))
        notify_layout = QVBoxLayout(notify_box)
        for box in (
            self.notify_posts,
            self.notify_urgent,
            self.notify_followed,
            self.notify_online,
        ):
            notify_layout.addWidget(box)

        self.interface = QComboBox()
        self.interface.addItem(self.tr("All suitable interfaces"), None)
        names = interface_names()
        if config.interface and config.interface not in names:
            names.append(config.interface)
        for name in names:
            self.interface.addItem(name, name)
        self.interface.setCurrentIndex(max(0, self.interface.findData(config.interface)))

        self.start_at_login = QCheckBox(self.tr("Start Hallway when I log in"))
        self.start_at_login.setChecked(config.start_at_login)
        if not autostart_supported(platform):
            self.start_at_login.setToolTip(self.tr("Saved, but only acted on under Linux yet"))
        self._lay_out(notify_box)

    def _lay_out(self, notify_box: QGroupBox) -> None:

        self.look_alike = QLabel()  # a hint, not a problem: saving stays possible
        self.look_alike.setTextFormat(Qt.TextFormat.PlainText)
        self.look_alike.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Your name"), self.name)
        form.addRow("", self.look_alike)
        form.addRow(self.tr("Office"), self.office_label)
        form.addRow(self.tr("Network"), self.interface)

        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setEnabled(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.change_office)
        layout.addWidget(notify_box)
        layout.addWidget(self.start_at_login)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

        self.name.textChanged.connect(self._check)
        self.change_office.toggled.connect(self._check)
        self.office.changed.connect(self._check)
        self._check()

    @Slot()
    def _check(self) -> None:
        problem = None if self.name.text().strip() else self.tr("Type your name.")
        if problem is None and self.change_office.isChecked():
            problem = self.office.problem()
        self.problem.setText(problem or "")
        self.save.setEnabled(problem is None)
        alike = look_alikes(self.name.text().strip(), self._members)
        self.look_alike.setText(
            self.tr(
                "⚠ Looks like {names}: colleagues will see your fingerprint next to it."
            ).format(names=", ".join(alike))
            if alike
            else ""
        )
        self.look_alike.setVisible(bool(alike))

    @Slot()
    def accept(self) -> None:
        if self.save.isEnabled():
            super().accept()

    def result_values(self) -> SettingsResult:
        change = self.office.choice() if self.change_office.isChecked() else None
        office, is_open = self._config.office, self._config.open
        if change is not None:
            office, is_open = change.office, change.open_office
        config = msgspec.structs.replace(
            self._config,
            name=self.name.text().strip(),
            office=office,
            open=is_open,
            interface=self.interface.currentData(),
            start_at_login=self.start_at_login.isChecked(),
            notifications=Notifications(
                posts=self.notify_posts.isChecked(),
                urgent=self.notify_urgent.isChecked(),
                followed_status=self.notify_followed.isChecked(),
                online=self.notify_online.isChecked(),
            ),
        )
        return SettingsResult(config=config, office_change=change)


def look_alikes(name: str, members: Sequence[PeerView], shown: int = 3) -> list[str]:
    """The labels of up to `shown` members whose names read like `name` (none without ICU: the
    engine says that once already)."""
    if not name:
        return []
    try:
        return [m.label for m in members if confusable(name, m.name)][:shown]
    except NamesUnavailableError:
        return []

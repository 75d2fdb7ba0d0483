"""Settings: name, office (changing it re-initialises the home), notifications by kind, quiet
hours, automatic away, network interface, colleagues on other networks (seeds, issue 14) with
our own address to hand out, and start at login. The dialog edits a copy of the config; the app
saves and applies.

A name that reads like another member's is allowed (two people may be called Sam), but the dialog
says so: colleagues will see the start of your fingerprint next to it.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec
from PySide6.QtCore import Qt, QTime, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from hallway.core.model import NAME_MAX
from hallway.core.names import NamesUnavailableError, confusable
from hallway.core.quiet import QuietHours
from hallway.core.seeds import SEEDS_MAX, SeedError, parse_seed
from hallway.engine.events import PeerView
from hallway.net.interfaces import list_interface_names, list_ipv4
from hallway.store.config import Config, Notifications
from hallway.ui.autostart import autostart_supported
from hallway.ui.office_choice import OfficeChoice, OfficeChooser


@dataclass(frozen=True, slots=True)
class SettingsResult:
    config: Config
    #: A new office to join: the app re-initialises the home and restarts the node.
    office_change: OfficeChoice | None

    def needs_restart(self, before: Config) -> bool:
        return (
            self.office_change is not None
            or self.config.interface != before.interface
            or self.config.peers != before.peers  # the node asks its seeds when it starts
        )


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
        idle_source: str | None = None,
        idle_looking: bool = False,
        own_addresses: Sequence[str] | None = None,
        own_port: int = 0,
    ) -> None:
        super().__init__(parent)
        self._idle_source, self._idle_looking = idle_source, idle_looking
        # Where colleagues on other networks reach us: the running node's addresses and ROUTER
        # port when the app knows them, else this machine's addresses.
        self._own_addresses = list(own_addresses) if own_addresses is not None else list_ipv4()
        self._own_port = own_port
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

    def _quiet_box(self, quiet: QuietHours | None) -> QGroupBox:
        box = QGroupBox(self.tr("Quiet hours"))
        box.setObjectName("quietHours")
        box.setCheckable(True)
        box.setChecked(quiet is not None)
        self.quiet = box
        self.quiet_start = QTimeEdit(_qtime(quiet.start if quiet else dt.time(18)))
        self.quiet_end = QTimeEdit(_qtime(quiet.end if quiet else dt.time(8)))
        for edit in (self.quiet_start, self.quiet_end):
            edit.setDisplayFormat("HH:mm")
        self.quiet_weekends = QCheckBox(self.tr("All of Saturday and Sunday too"))
        self.quiet_weekends.setChecked(quiet.weekends if quiet else True)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("From")))
        row.addWidget(self.quiet_start)
        row.addWidget(QLabel(self.tr("to")))
        row.addWidget(self.quiet_end)
        row.addStretch(1)
        hint = QLabel(self.tr(
            "Pop-ups and knocks wait; urgent posts still show. A summary shows when they end."
        ))  # fmt: skip
        hint.setToolTip(self.tr("Colleagues only see that their knock will show later."))
        hint.setWordWrap(True)
        hint.setEnabled(False)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.quiet_weekends)
        layout.addWidget(hint)
        self.quiet_start.timeChanged.connect(self._check)
        self.quiet_end.timeChanged.connect(self._check)
        box.toggled.connect(self._check)
        return box

    def _away_box(self, minutes: int) -> QGroupBox:
        box = QGroupBox(self.tr("Automatic away"))
        box.setObjectName("automaticAway")
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setRange(0, 1440)
        self.idle_minutes.setValue(minutes)
        self.idle_minutes.setSpecialValueText(self.tr("Never"))
        self.idle_minutes.setSuffix(self.tr(" min"))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Away after")))
        row.addWidget(self.idle_minutes)
        row.addWidget(QLabel(self.tr("without input, or when the screen locks")), 1)
        self.idle_source = QLabel()
        self.idle_source.setObjectName("idleSource")
        self.idle_source.setTextFormat(Qt.TextFormat.PlainText)
        self.idle_source.setWordWrap(True)
        self.idle_source.setEnabled(False)
        self.show_idle_source(self._idle_source, looking=self._idle_looking)
        layout = QVBoxLayout(box)
        layout.addLayout(row)
        layout.addWidget(self.idle_source)
        return box

    def _seeds_box(self, seeds: list[str]) -> QGroupBox:
        """Seeds: colleagues on other networks who introduce us to the office, and our own
        address for them to use as theirs."""
        box = QGroupBox(self.tr("Colleagues on other networks"))
        box.setObjectName("seeds")
        self.seeds = QListWidget()
        self.seeds.addItems(seeds)
        self.seeds.setMaximumHeight(self.fontMetrics().height() * 4 + 8)
        self.seed_entry = QLineEdit()
        self.seed_entry.setPlaceholderText(self.tr("Address or name, and :port if not yours"))
        self.add_seed = QPushButton(self.tr("Add"))
        self.remove_seed = QPushButton(self.tr("Remove"))
        self.seed_problem = QLabel()
        self.seed_problem.setTextFormat(Qt.TextFormat.PlainText)
        self.seed_problem.setWordWrap(True)
        self.seed_problem.setEnabled(False)
        self.seed_problem.setVisible(False)
        mine = ", ".join(
            f"{address}:{self._own_port}" if self._own_port else address
            for address in self._own_addresses
        )
        self.own_place = QLabel(
            self.tr("Yours, for colleagues elsewhere: {place}").format(place=mine or "—")
        )
        self.own_place.setObjectName("ownPlace")
        self.own_place.setTextFormat(Qt.TextFormat.PlainText)
        self.own_place.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.own_place.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_seed)
        buttons.addWidget(self.remove_seed)
        buttons.addStretch(1)
        controls = QVBoxLayout()
        controls.addWidget(self.seed_entry)
        controls.addLayout(buttons)
        controls.addWidget(self.seed_problem)
        controls.addStretch(1)
        controls.addWidget(self.own_place)
        layout = QHBoxLayout(box)
        layout.addWidget(self.seeds, 1)
        layout.addLayout(controls, 1)
        self.add_seed.clicked.connect(self._add_seed)
        self.seed_entry.returnPressed.connect(self._add_seed)
        self.remove_seed.clicked.connect(self._remove_seed)
        self.seeds.currentRowChanged.connect(self._seed_buttons)
        self.seed_entry.textChanged.connect(self._seed_buttons)
        self._seed_buttons()
        return box

    @Slot()
    def _seed_buttons(self) -> None:
        self.add_seed.setEnabled(bool(self.seed_entry.text().strip()))
        self.remove_seed.setEnabled(self.seeds.currentRow() >= 0)

    @Slot()
    def _add_seed(self) -> None:
        text = self.seed_entry.text().strip()
        if not text:
            return
        problem = None
        try:
            parse_seed(text)
        except SeedError as exc:
            problem = str(exc)
        if problem is None and text in self.seed_list():
            problem = self.tr("{seed} is in the list already.").format(seed=text)
        if problem is None and len(self.seed_list()) >= SEEDS_MAX:
            problem = self.tr("At most {n}: one colleague is enough.").format(n=SEEDS_MAX)
        self.seed_problem.setText(problem or "")
        self.seed_problem.setVisible(problem is not None)
        if problem is None:
            self.seeds.addItem(text)
            self.seed_entry.clear()

    @Slot()
    def _remove_seed(self) -> None:
        row = self.seeds.currentRow()
        if row >= 0:
            self.seeds.takeItem(row)

    def seed_list(self) -> list[str]:
        return [self.seeds.item(i).text() for i in range(self.seeds.count())]

    def show_idle_source(self, name: str | None, *, looking: bool = False) -> None:
        """Say which source gives the idle time, or that none does (the option is then off)."""
        if name is not None:
            text = self.tr(
                "Idle time from {source}. Do not disturb, Busy and any status you "
                "set yourself are never changed."
            ).format(source=name)
        elif looking:
            text = self.tr("Looking for the idle time on this desktop…")
        else:
            text = self.tr("This desktop does not tell Hallway the idle time, so automatic "
                           "away stays off.")  # fmt: skip
        self.idle_source.setText(text)
        self.idle_minutes.setEnabled(name is not None or looking)

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
        side_by_side = QHBoxLayout()
        side_by_side.addWidget(notify_box, 1)
        side_by_side.addWidget(self._quiet_box(self._config.quiet), 1)
        layout.addLayout(side_by_side)
        layout.addWidget(self._away_box(self._config.idle_minutes))
        layout.addWidget(self._seeds_box(self._config.peers))
        layout.addWidget(self.start_at_login)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(640)
        # With the sections side by side the dialog's minimum height undercounts the office
        # chooser's wrapped text, and Qt then squeezed its fields to slivers.
        self.change_office.setMinimumHeight(self.change_office.sizeHint().height())

        self.name.textChanged.connect(self._check)
        self.change_office.toggled.connect(self._check)
        self.office.changed.connect(self._check)
        self._check()

    @Slot()
    def _check(self) -> None:
        problem = None if self.name.text().strip() else self.tr("Type your name.")
        if problem is None and self.change_office.isChecked():
            problem = self.office.problem()
        if problem is None and self.quiet_hours() is None and self.quiet.isChecked():
            problem = self.tr("Quiet hours need different start and end times.")
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
            quiet=self.quiet_hours(),
            idle_minutes=self.idle_minutes.value(),
            peers=self.seed_list(),
            notifications=Notifications(
                posts=self.notify_posts.isChecked(),
                urgent=self.notify_urgent.isChecked(),
                followed_status=self.notify_followed.isChecked(),
                online=self.notify_online.isChecked(),
            ),
        )
        return SettingsResult(config=config, office_change=change)

    def quiet_hours(self) -> QuietHours | None:
        """The quiet hours chosen (None: off, or start and end the same)."""
        start, end = _time(self.quiet_start.time()), _time(self.quiet_end.time())
        if not self.quiet.isChecked() or start == end:
            return None
        return QuietHours(start=start, end=end, weekends=self.quiet_weekends.isChecked())


def _qtime(clock: dt.time) -> QTime:
    return QTime(clock.hour, clock.minute)


def _time(clock: QTime) -> dt.time:
    return dt.time(clock.hour(), clock.minute())


def look_alikes(name: str, members: Sequence[PeerView], shown: int = 3) -> list[str]:
    """The labels of up to `shown` members whose names read like `name` (none without ICU: the
    engine says that once already)."""
    if not name:
        return []
    try:
        return [m.label for m in members if confusable(name, m.name)][:shown]
    except NamesUnavailableError:
        return []

""" "New event…" and the organiser's "Edit…": title, start, duration, place, seats, note and
reminder, checked by `hallway.core.meetups.check_event` before the node sees them.

A problem is said under the form and the dialog stays open with everything typed in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec
from PySide6.QtCore import QDate, QDateTime, QTime, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from hallway.core.meetups import (
    CAPACITY_MAX,
    DEFAULT_DURATION,
    DEFAULT_REMIND,
    DURATION_MAX,
    EventSpec,
    EventView,
    MeetupError,
    check_event,
)
from hallway.ui.bridge import EngineBridge
from hallway.ui.event_card import alert_colour
from hallway.ui.ports import EventEdit

Clock = Callable[[], float]

DEFAULT_CAPACITY = 8
#: The reminder's choices: (seconds before the start, words).
REMIND_CHOICES = (
    (0.0, "No reminder"),
    (5 * 60.0, "5 minutes before"),
    (10 * 60.0, "10 minutes before"),
    (15 * 60.0, "15 minutes before"),
    (30 * 60.0, "30 minutes before"),
    (3600.0, "1 hour before"),
    (86400.0, "1 day before"),
)


def next_slot(now: float) -> datetime:
    """A sensible default start: the next whole hour at least 30 minutes away."""
    moment = datetime.fromtimestamp(now).astimezone() + timedelta(minutes=30)
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def sentence(message: str) -> str:
    """The core's message ("a title needs…") as a sentence for the form."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def _row(*parts: tuple[QWidget | None, int]) -> QWidget:
    """Widgets side by side in one form row (None: stretch)."""
    holder = QWidget()
    layout = QHBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget, stretch in parts:
        if widget is None:
            layout.addStretch(stretch)
        else:
            layout.addWidget(widget, stretch)
    return holder


class EventDialog(QDialog):
    """Creates an event, or edits `view` (ours) when given.

    Signals:
        saved(EventView): the node took the event (created or changed) and the dialog closed.
    """

    saved = Signal(object)

    def __init__(
        self,
        bridge: EngineBridge,
        view: EventView | None = None,
        parent: QWidget | None = None,
        *,
        clock: Clock = time.time,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._view = view
        self._clock = clock
        self.setWindowTitle(self.tr("Edit event") if view else self.tr("New event"))
        self.setObjectName("eventDialog")

        self._make_fields()
        self.message = QLabel()
        self.message.setObjectName("eventProblem")
        self.message.setWordWrap(True)
        colour = alert_colour(QApplication.palette()).name()
        self.message.setStyleSheet(f"color: {colour};")
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Save changes") if view else self.tr("Create event"))
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow(self.tr("Title"), self.title)
        form.addRow(self.tr("Starts"), _row((self.date, 2), (self.time, 1)))
        form.addRow(self.tr("Duration"), self.duration)
        form.addRow(self.tr("Where"), self.where)
        form.addRow(self.tr("Seats"), _row((self.limit, 0), (self.capacity, 0), (None, 1)))
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.tr("Reminder"), self.remind)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

        self._fill(view)
        for edit in (self.title, self.where):
            edit.textChanged.connect(self._hide_message)
        self.note.textChanged.connect(self._hide_message)
        self.date.dateChanged.connect(self._hide_message)
        self.time.timeChanged.connect(self._hide_message)
        self.resize(460, self.sizeHint().height())
        self.title.setFocus()

    def _make_fields(self) -> None:
        self.title = QLineEdit()
        self.title.setPlaceholderText(self.tr("What: “Mentoring lunch”, “Design review”…"))
        self.date = QDateEdit()
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd d MMM yyyy")
        self.time = QTimeEdit()
        self.time.setDisplayFormat("HH:mm")
        self.duration = QSpinBox()
        self.duration.setRange(5, int(DURATION_MAX // 60))
        self.duration.setSingleStep(15)
        self.duration.setSuffix(self.tr(" min"))
        self.where = QLineEdit()
        self.where.setPlaceholderText(self.tr("Room, floor or link (optional)"))
        self.limit = QCheckBox(self.tr("Limit seats to"))
        self.capacity = QSpinBox()
        self.capacity.setRange(1, CAPACITY_MAX)
        self.capacity.setSuffix(self.tr(" people"))
        self.limit.toggled.connect(self.capacity.setEnabled)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(self.tr("Anything to know or bring (optional)"))
        self.note.setTabChangesFocus(True)
        self.note.setMinimumHeight(self.note.fontMetrics().lineSpacing() * 3 + 14)
        self.remind = QComboBox()
        for seconds, words in REMIND_CHOICES:
            self.remind.addItem(self.tr(words), seconds)

    def _fill(self, view: EventView | None) -> None:
        if view is None:
            self.set_start(next_slot(self._clock()).timestamp())
            self.duration.setValue(round(DEFAULT_DURATION / 60))
            self.capacity.setValue(DEFAULT_CAPACITY)
            self.limit.setChecked(False)
            self.capacity.setEnabled(False)
            self._set_remind(DEFAULT_REMIND)
            return
        self.title.setText(view.title)
        self.set_start(view.start)
        self.duration.setValue(max(1, round(view.duration / 60)))
        self.where.setText(view.where)
        self.limit.setChecked(view.capacity is not None)
        self.capacity.setEnabled(view.capacity is not None)
        self.capacity.setValue(view.capacity or DEFAULT_CAPACITY)
        self.note.setPlainText(view.note)
        self._set_remind(view.remind)

    def _set_remind(self, seconds: float) -> None:
        index = self.remind.findData(seconds)
        if index < 0:  # set elsewhere (the command line): keep it as a choice
            self.remind.addItem(self.tr("{minutes} minutes before").format(
                minutes=round(seconds / 60)), seconds)  # fmt: skip
            index = self.remind.count() - 1
        self.remind.setCurrentIndex(index)

    def set_start(self, ts: float) -> None:
        moment = QDateTime.fromSecsSinceEpoch(int(ts))
        self.date.setDate(moment.date())
        self.time.setTime(moment.time())

    def start(self) -> float:
        """The start typed in, in the local time zone, as POSIX time."""
        date: QDate = self.date.date()
        clock: QTime = self.time.time()
        typed = float(QDateTime(date, QTime(clock.hour(), clock.minute())).toSecsSinceEpoch())
        view = self._view
        # The form shows whole minutes: an unchanged start keeps its seconds (set elsewhere),
        # so an edit of an event that has begun is not taken for a move into the past.
        if view is not None and typed == view.start // 60 * 60:
            return view.start
        return typed

    def spec(self) -> EventSpec:
        """What the form says, unchecked."""
        return EventSpec(
            title=self.title.text(),
            start=self.start(),
            duration=self.duration.value() * 60.0,
            where=self.where.text(),
            capacity=self.capacity.value() if self.limit.isChecked() else None,
            note=self.note.toPlainText(),
            remind=float(self.remind.currentData()),
        )

    @Slot()
    def _hide_message(self) -> None:
        self.message.hide()

    def say(self, message: str) -> None:
        self.message.setText(sentence(message))
        self.message.show()

    @Slot()
    def _submit(self) -> None:
        # A slot must not return a value: PySide6 6.12 mishandles a returned bool's refcount.
        self.submit()

    def submit(self) -> bool:
        """Check the form and hand it to the node; on a problem, say it and keep everything."""
        spec = self.spec()
        view = self._view
        moved = view is None or spec.start != view.start
        try:
            spec = check_event(spec, now=self._clock(), creating=moved)
        except MeetupError as error:
            self.say(str(error))
            return False
        if view is None:
            result = self._bridge.create_event(spec)
        else:
            changes = edit_changes(view, spec)
            result = self._bridge.edit_event(view.id, changes) if changes else view
        if result is None:
            self.say(self._bridge.last_error)
            return False
        self.saved.emit(result)
        self.accept()
        return True


def edit_changes(view: EventView, spec: EventSpec) -> EventEdit:
    """Only what the organiser changed, as `Node.edit_event`'s keywords."""
    changes: EventEdit = {}
    now = msgspec.structs.asdict(spec)
    before = {
        "title": view.title,
        "start": view.start,
        "duration": view.duration,
        "where": view.where,
        "note": view.note,
        "remind": view.remind,
    }
    for key, old in before.items():
        if now[key] != old:
            changes[key] = now[key]  # type: ignore[literal-required]
    if spec.capacity != view.capacity:
        if spec.capacity is None:
            changes["clear_capacity"] = True
        else:
            changes["capacity"] = spec.capacity
    return changes

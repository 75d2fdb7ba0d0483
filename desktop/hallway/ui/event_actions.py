"""What the buttons of an event do, wherever the event shows (Events tab, Feed, a pop-up's
actions): answer it, add it to the calendar, ask to edit it, cancel it."""

from __future__ import annotations

import logging
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox

from hallway.core.ics import events_to_ics
from hallway.core.meetups import Answer, EventView
from hallway.ui.bridge import EngineBridge
from hallway.ui.event_card import CALENDAR, CANCEL, EDIT, RSVP_KEYS
from hallway.ui.events_model import EventsModel
from hallway.ui.text import tr

log = logging.getLogger(__name__)

Confirm = Callable[[EventView], bool]
OpenUrl = Callable[[QUrl], bool]


def calendar_dir() -> Path:
    """Where "Add to calendar" puts its .ics files: the app's cache, else the temp dir."""
    cache = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)
    return Path(cache or tempfile.gettempdir()) / "calendar"


def ics_name(view: EventView) -> str:
    """A file name from the event's title, safe on every file system, unique by its id."""
    words = re.sub(r"[^\w-]+", "-", view.title, flags=re.UNICODE).strip("-")[:40] or "event"
    tail = re.sub(r"[^0-9a-zA-Z]+", "-", view.id)[-16:]
    return f"{words}-{tail}.ics"


def ask_to_cancel(view: EventView) -> bool:
    answer = QMessageBox.question(
        None,
        tr("Cancel event"),
        tr("Cancel “{title}” for everyone? Those who answered see it cancelled.").format(
            title=view.title
        ),
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class EventActions(QObject):
    """Signals:
    edit_requested(str): the organiser asked to edit this event (open the dialog).
    problem(str): something failed that people should know (shown in the window's banner).
        Refusals by the node arrive through the bridge's `command_failed` instead.
    """

    edit_requested = Signal(str)
    problem = Signal(str)

    def __init__(
        self,
        bridge: EngineBridge,
        model: EventsModel,
        parent: QObject | None = None,
        *,
        confirm: Confirm = ask_to_cancel,
        open_url: OpenUrl = QDesktopServices.openUrl,
        folder: Callable[[], Path] = calendar_dir,
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._model = model
        self.confirm = confirm
        self.open_url = open_url
        self._folder = folder
        self.last_ics: Path | None = None

    @Slot(str, str)
    def run(self, event_id: str, key: str) -> None:
        """Do what the button `key` of the event's card means."""
        if key in RSVP_KEYS:
            self.rsvp(event_id, Answer(key))
        elif key == CALENDAR:
            self.add_to_calendar(event_id)
        elif key == EDIT:
            self.edit_requested.emit(event_id)
        elif key == CANCEL:
            self.cancel(event_id)

    def rsvp(self, event_id: str, answer: Answer) -> bool:
        view = self._bridge.rsvp(event_id, answer)
        if view is None:
            return False
        self._model.upsert(view)
        return True

    def cancel(self, event_id: str) -> bool:
        view = self._model.view(event_id)
        if view is None or not self.confirm(view):
            return False
        cancelled = self._bridge.cancel_event(event_id)
        if cancelled is None:
            return False
        self._model.upsert(cancelled)
        return True

    def add_to_calendar(self, event_id: str) -> Path | None:
        """Save the event as an .ics file and open it with the desktop's calendar."""
        view = self._model.view(event_id)
        if view is None:
            return None
        path = self._folder() / ics_name(view)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Bytes: the text has iCalendar's CRLFs, which text mode would double on Windows.
            path.write_bytes(events_to_ics([view], now=time.time()).encode("utf-8"))
        except OSError as error:
            self.problem.emit(tr("Could not save the calendar file: {error}").format(error=error))
            return None
        self.last_ics = path
        if not self.open_url(QUrl.fromLocalFile(str(path))):
            self.problem.emit(
                tr("No calendar app opened {path}; import it by hand.").format(path=path)
            )
        return path

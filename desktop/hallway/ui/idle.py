"""Automatic away: after `Config.idle_minutes` without input, or while the screen is locked, our
status becomes Away, "Away (idle)"; activity or unlocking brings back exactly the status we had.

It never overrides a status chosen by hand: only a plain Available (no text, no emoji) is
replaced, so Do not disturb, Busy, Away and any custom status stay. And if the person changes
their status while we hold it as away, theirs stays: nothing is restored over it.

`AutoAway` holds the rules (pure); `IdleWatcher` asks an idle source (`idle_sources`) on a
single timer: every few seconds while present (sooner when the limit is near), every second
while away so activity is noticed at once, and at once when the screen saver says the lock
changed. The source is looked for off the GUI thread (D-Bus may take a moment).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from hallway.core.model import Presence, Status
from hallway.engine.events import StatusChanged, StatusExpired
from hallway.ui.bridge import EngineBridge
from hallway.ui.idle_sources import IdleSource, IdleSourceError, find_idle_source
from hallway.ui.text import tr

log = logging.getLogger(__name__)

#: How often the idle time is read while present, at most (sooner when the limit is near).
POLL_MS = 10_000
#: How often it is read while we hold the status as away: activity shows within a second.
AWAY_POLL_MS = 1_000
MIN_POLL_MS = 1_000


def idle_text() -> str:
    return tr("Away (idle)")


def _same(a: Status, b: Status) -> bool:
    return (a.presence, a.text, a.emoji) == (b.presence, b.text, b.emoji)


#: For tests only: automatic away after this many seconds instead of the configured minutes
#: (when it is on at all), so an end-to-end test need not sit idle for a whole minute.
IDLE_SECONDS_ENV = "HALLWAY_TEST_IDLE_SECONDS"


def idle_minutes(configured: int) -> float:
    """The minutes of no input before automatic away: the config's, or the tests' seconds."""
    text = os.environ.get(IDLE_SECONDS_ENV, "")
    try:
        seconds = float(text) if text else 0.0
    except ValueError:
        seconds = 0.0
    return seconds / 60 if configured > 0 and 0 < seconds < configured * 60 else configured


class AutoAway:
    """The rules. Feed it our own status as it changes and the idle readings; it says which
    status to set, if any."""

    def __init__(self, minutes: float, current: Status, *, away_text: str = "Away (idle)") -> None:
        self.minutes = minutes
        self.current = current
        self._away_text = away_text
        self._saved: Status | None = None  # what we replaced
        self._ours: Status | None = None  # what we set

    @property
    def away(self) -> bool:
        """Whether we hold the status as away now."""
        return self._ours is not None

    @staticmethod
    def replaceable(status: Status) -> bool:
        """Plain Available: no Do not disturb, Busy or Away, no text or emoji chosen by hand."""
        return status.presence is Presence.AVAILABLE and not status.is_custom

    def status_changed(self, status: Status) -> None:
        self.current = status
        if self._ours is not None and not _same(status, self._ours):
            self._saved = self._ours = None  # changed by hand meanwhile: theirs stays

    def step(self, idle_seconds: float, locked: bool, now: float) -> Status | None:
        """The status to set now (away, or the one to bring back), or None."""
        idle = locked or (self.minutes > 0 and idle_seconds >= self.minutes * 60)
        if self._ours is not None:
            if idle and self.minutes > 0:
                return None
            saved = self._saved or Status()
            self._saved = self._ours = None
            until = saved.until if saved.until is not None and saved.until > now else None
            return Status(saved.presence, saved.text, saved.emoji, until)
        if self.minutes > 0 and idle and self.replaceable(self.current):
            self._saved = self.current
            self._ours = Status(Presence.AWAY, self._away_text)
            return self._ours
        return None

    def next_poll_ms(self, idle_seconds: float) -> int:
        if self._ours is not None:
            return AWAY_POLL_MS
        left = int((self.minutes * 60 - idle_seconds) * 1000)
        return max(MIN_POLL_MS, min(POLL_MS, left))


class IdleWatcher(QObject):
    """Drives `AutoAway` from an idle source, and sets the status through the bridge.

    Signals:
        source_changed(): a source was found (or none was, or it stopped working); see
            `source_name` and `looking`.
    """

    source_changed = Signal()
    _found = Signal()  # the probe thread is done (queued to the GUI thread)
    _lock_changed = Signal()  # the screen saver's thread says the lock changed

    def __init__(
        self,
        bridge: EngineBridge,
        minutes: float,
        current: Status,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float],
    ) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._clock = clock
        self.rules = AutoAway(minutes, current, away_text=idle_text())
        self._source: IdleSource | None = None
        self._probed: IdleSource | None = None
        self._probe: threading.Thread | None = None
        self._probe_lock = threading.Lock()
        self._closed = False
        self.looking = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._timer.timeout.connect(self.poll)
        self._found.connect(self._use_probed)
        self._lock_changed.connect(self.poll)
        bridge.status_changed.connect(self._on_status)
        bridge.status_expired.connect(self._on_expired)

    @property
    def source_name(self) -> str | None:
        """Which source is in use, for people; None when none is."""
        return self._source.name if self._source is not None else None

    def find_source(self, find: Callable[[], IdleSource | None] = find_idle_source) -> None:
        """Look for a source on a thread of its own; use it once found."""
        self.looking = True

        def probe() -> None:
            source = find()
            with self._probe_lock:
                closed = self._closed
                if not closed:
                    self._probed = source
            if closed:
                if source is not None:
                    source.close()
            else:
                self._found.emit()

        self._probe = threading.Thread(target=probe, name="idle-probe", daemon=True)
        self._probe.start()

    @Slot()
    def _use_probed(self) -> None:
        with self._probe_lock:
            source, self._probed = self._probed, None
        self.looking = False
        self.use_source(source)

    def use_source(self, source: IdleSource | None) -> None:
        if self._source is not None:
            self._source.close()
        self._source = source
        if source is not None:
            log.info("automatic away: idle time from %s", source.name)
            source.on_lock_change = self._lock_changed.emit
        else:
            log.info("automatic away: no idle source on this desktop, so it stays off")
        self.source_changed.emit()
        self.poll()

    def set_minutes(self, minutes: float) -> None:
        self.rules.minutes = minutes
        self.poll()

    @Slot(object)
    def _on_status(self, event: StatusChanged) -> None:
        if event.own:
            self.rules.status_changed(event.status)

    @Slot(object)
    def _on_expired(self, event: StatusExpired) -> None:
        if event.own:
            self.rules.status_changed(Status(set_at=event.at))

    @Slot()
    def poll(self) -> None:
        """Read the idle time and apply the rules; schedule the next reading."""
        self._timer.stop()
        source = self._source
        if self._closed:
            return
        if source is None or self.rules.minutes <= 0:
            self._apply(self.rules.step(0.0, False, self._clock()))  # off: bring ours back
            return
        try:
            idle, locked = source.idle_seconds(), source.locked()
        except IdleSourceError as error:
            log.warning("automatic away: %s stopped answering (%s)", source.name, error)
            self.use_source(None)
            return
        self._apply(self.rules.step(idle, locked, self._clock()))
        self._timer.start(self.rules.next_poll_ms(idle))

    def _apply(self, status: Status | None) -> None:
        if status is not None:
            self._bridge.set_status(status.presence, status.text, emoji=status.emoji,
                                    until=status.until)  # fmt: skip

    def close(self) -> None:
        """Stop, and bring back the status we replaced (quitting while away must not leave
        "Away (idle)" behind)."""
        with self._probe_lock:
            self._closed = True
        if self._probe is not None:
            self._probe.join()
        self._timer.stop()
        if self.rules.away:
            self.rules.minutes = 0
            self._apply(self.rules.step(0.0, False, self._clock()))
        if self._source is not None:
            self._source.on_lock_change = None
            self._source.close()
            self._source = None

"""The tray icon: own presence at a glance, a menu rebuilt each time it opens, and the popup.

The menu is rebuilt on `aboutToShow` (as Vorta does) so it always reflects the current presence,
recent statuses and pause state without being kept in sync.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QRect, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from hallway.core.durations import until_time
from hallway.core.model import Presence, Status
from hallway.engine.events import OTHER_OFFICE, NodeWarning, WarningCleared
from hallway.ui.avatar import avatar_icon
from hallway.ui.bridge import EngineBridge
from hallway.ui.icons import OFFLINE, presence_icon
from hallway.ui.knocks import KnockBook, unanswered_line, waiting_line
from hallway.ui.models import PeopleModel
from hallway.ui.notify_policy import NotifyPolicy
from hallway.ui.quick_status import local_now
from hallway.ui.text import format_clock, presence_label, status_line

RECENT_STATUSES = 5
#: Colleagues offered in the "Knock…" submenu: those online, most recently changed first.
RECENT_PEOPLE = 6
#: Knock lines (ours waiting, theirs to answer) shown at most.
KNOCK_LINES = 3


def menu_text(text: str) -> str:
    """Text for a menu entry, shown literally: '&' would otherwise mark a shortcut key."""
    return text.replace("&", "&&")


class TrayController(QObject):
    """Owns the tray icon and its menu.

    Signals:
        quick_status_requested(QRect): the icon was activated; open the popup near this
            geometry (empty when the platform does not say where the icon is).
        status_dialog_requested(): "Set status…" (the popup, near the cursor).
        post_requested(): "Post to office…".
        new_event_requested(): "New event…".
        open_requested(): "Open Hallway".
        settings_requested(): "Settings…".
        quit_requested(): "Quit".
        knock_requested(str): "Knock…" on this peer id.
        knock_reply_requested(str): a knock to answer (its id) was chosen.
        pause_changed(): notifications were paused or resumed.
    """

    quick_status_requested = Signal(QRect)
    status_dialog_requested = Signal()
    post_requested = Signal()
    new_event_requested = Signal()
    open_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()
    knock_requested = Signal(str)
    knock_reply_requested = Signal(str)
    pause_changed = Signal()

    def __init__(
        self,
        bridge: EngineBridge,
        people: PeopleModel,
        policy: NotifyPolicy,
        parent: QObject | None = None,
        *,
        clock: Callable[[], datetime] = local_now,
        knocks: KnockBook | None = None,
    ) -> None:
        super().__init__(parent)
        self._knocks = knocks if knocks is not None else KnockBook(self)
        self._bridge = bridge
        self._people = people
        self._policy = policy
        self._clock = clock
        self.icon = QSystemTrayIcon(self)
        self.menu = QMenu()
        self.menu.setObjectName("trayMenu")
        self.pause_menu = QMenu(self.tr("Pause notifications"), self.menu)
        self.knock_menu = QMenu(self.tr("Knock…"), self.menu)
        self.knock_menu.setObjectName("knock-menu")
        self.icon.setContextMenu(self.menu)
        self.menu.aboutToShow.connect(self.rebuild_menu)
        self.icon.activated.connect(self._activated)
        #: A lasting condition to mention in the tooltip (the wrong-office hint), if any.
        self.notice: str | None = None
        bridge.warning.connect(self._on_warning)
        bridge.warning_cleared.connect(self._on_warning_cleared)
        for change in (
            people.dataChanged,
            people.rowsInserted,
            people.layoutChanged,
            people.modelReset,
        ):
            change.connect(self.refresh)
        self.refresh()
        self.rebuild_menu()

    def close(self) -> None:
        self.icon.hide()
        self.icon.setContextMenu(None)  # type: ignore[arg-type]
        self.menu.deleteLater()

    # -- icon and tooltip ------------------------------------------------------------------

    def _own_status(self) -> Status | None:
        own = self._people.own()
        return own.status if own is not None else None

    @Slot()
    def refresh(self) -> None:
        status = self._own_status()
        self.icon.setIcon(presence_icon(status.presence.value if status else OFFLINE))
        self.icon.setToolTip(self.tooltip())

    def tooltip(self) -> str:
        """ "Available — In a meeting · 5 online", in plain text, and the notice below it."""
        line = self._status_tooltip()
        return f"{line}\n{self.notice}" if self.notice else line

    def _status_tooltip(self) -> str:
        status = self._own_status()
        online = self._people.online_count()
        count = self.tr("{count} online").format(count=online)
        if status is None:
            return self.tr("Hallway: starting…")
        words = " ".join(p for p in (status.emoji, status.text) if p)
        line = presence_label(status.presence)
        if words:
            line = self.tr("{presence} — {words}").format(presence=line, words=words)
        return f"{line} · {count}"

    @Slot(object)
    def _on_warning(self, event: NodeWarning) -> None:
        if event.code == OTHER_OFFICE:
            self.notice = event.message
            self.refresh()

    @Slot(object)
    def _on_warning_cleared(self, event: WarningCleared) -> None:
        if event.code == OTHER_OFFICE:
            self.notice = None
            self.refresh()

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.quick_status_requested.emit(self.icon.geometry())

    # -- menu ------------------------------------------------------------------------------

    @Slot()
    def rebuild_menu(self) -> None:
        menu = self.menu
        menu.clear()
        status = self._own_status()
        current = status.presence if status else None
        for presence in Presence:
            action = menu.addAction(presence_icon(presence.value), presence_label(presence))
            action.setCheckable(True)
            action.setChecked(presence is current)
            action.setObjectName(f"presence-{presence.value}")
            action.triggered.connect(self._presence_setter(presence))

        recent = [s for s in self._bridge.recent_statuses(RECENT_STATUSES) if s.is_custom]
        own = self._people.own()
        if recent:
            menu.addSeparator()
            heading = menu.addAction(self.tr("Recent"))
            heading.setEnabled(False)
            for old in recent:
                text = menu_text(status_line(old.presence, old.text, old.emoji))
                # Our own avatar with that status's presence badge, as colleagues will see it.
                icon = (
                    avatar_icon(own.id, own.name, old.presence.value)
                    if own is not None
                    else presence_icon(old.presence.value)
                )
                action = menu.addAction(icon, text)
                action.setObjectName("recent-status")
                action.triggered.connect(self._reuser(old))

        self._add_knock_lines()
        menu.addSeparator()
        self._add(self.tr("Set status…"), "set-status", self.status_dialog_requested)
        self._rebuild_knock_menu()
        menu.addMenu(self.knock_menu)
        self._add(self.tr("Post to office…"), "post", self.post_requested)
        self._add(self.tr("New event…"), "new-event", self.new_event_requested)
        self._add(self.tr("Open Hallway"), "open", self.open_requested)
        menu.addSeparator()
        self._rebuild_pause_menu()
        menu.addMenu(self.pause_menu)
        self._add(self.tr("Settings…"), "settings", self.settings_requested)
        menu.addSeparator()
        self._add(self.tr("Quit"), "quit", self.quit_requested)

    def _add_knock_lines(self) -> None:
        """ "Knock to Ben: waiting" for ours, "Knock from Ann: Got a minute?" to answer."""
        waiting = self._knocks.waiting()[:KNOCK_LINES]
        unanswered = self._knocks.unanswered()[:KNOCK_LINES]
        if not waiting and not unanswered:
            return
        self.menu.addSeparator()
        for view in unanswered:
            action = self.menu.addAction(avatar_icon(view.peer, view.name, None),
                                         menu_text(unanswered_line(view)))  # fmt: skip
            action.setObjectName("knock-unanswered")
            action.triggered.connect(self._knock_replier(view.id))
        for view in waiting:
            action = self.menu.addAction(avatar_icon(view.peer, view.name, None),
                                         menu_text(waiting_line(view)))  # fmt: skip
            action.setObjectName("knock-waiting")
            action.setEnabled(False)

    def _rebuild_knock_menu(self) -> None:
        knock = self.knock_menu
        knock.clear()
        people = [p for p in self._people.others() if p.online]
        people.sort(key=lambda p: p.status.set_at, reverse=True)
        for person in people[:RECENT_PEOPLE]:
            action = knock.addAction(avatar_icon(person.id, person.name, person.presence.value),
                                     menu_text(person.label))  # fmt: skip
            action.setObjectName(f"knock-{person.id}")
            action.triggered.connect(self._knocker(person.id))
        if not people:
            nobody = knock.addAction(self.tr("Nobody is online"))
            nobody.setEnabled(False)
        knock.menuAction().setObjectName("knock")

    def _knocker(self, peer: str) -> Callable[[], None]:
        return lambda: self.knock_requested.emit(peer)

    def _knock_replier(self, knock_id: str) -> Callable[[], None]:
        return lambda: self.knock_reply_requested.emit(knock_id)

    def _rebuild_pause_menu(self) -> None:
        pause = self.pause_menu
        pause.clear()
        paused_until = self._policy.paused_until
        quiet_until = self._policy.quiet_until()
        if quiet_until is not None:
            quiet = pause.addAction(
                self.tr("Quiet hours until {clock}").format(clock=format_clock(quiet_until))
            )
            quiet.setObjectName("quiet-note")
            quiet.setEnabled(False)
            if paused_until is None:
                pause.addSeparator()
        if paused_until is not None:
            note = pause.addAction(
                self.tr("Paused until {clock}").format(clock=format_clock(paused_until))
            )
            note.setEnabled(False)
            resume = pause.addAction(self.tr("Resume notifications"))
            resume.setObjectName("resume")
            resume.triggered.connect(self._resume)
            pause.addSeparator()
        for label, name, until in (
            (self.tr("For 30 minutes"), "pause-30m", lambda now: now + timedelta(minutes=30)),
            (self.tr("For 1 hour"), "pause-1h", lambda now: now + timedelta(hours=1)),
            (self.tr("Until tomorrow"), "pause-tomorrow", lambda now: until_time("tomorrow", now)),
        ):
            action = pause.addAction(label)
            action.setObjectName(name)
            action.triggered.connect(self._pauser(until))
        pause.setTitle(
            self.tr("Notifications paused") if paused_until else self.tr("Pause notifications")
        )

    def _add(self, text: str, name: str, signal: SignalInstance) -> QAction:
        action = self.menu.addAction(text)
        action.setObjectName(name)
        action.triggered.connect(signal)
        return action

    def action(self, name: str) -> QAction | None:
        """The menu entry with this object name (after the last rebuild)."""
        for menu in (self.menu, self.pause_menu, self.knock_menu):
            for action in menu.actions():
                if action.objectName() == name:
                    return action
        return None

    def _presence_setter(self, presence: Presence) -> Callable[[], None]:
        return lambda: self._set_presence(presence)

    def _set_presence(self, presence: Presence) -> None:
        self._bridge.set_presence(presence)

    def _reuser(self, status: Status) -> Callable[[], None]:
        return lambda: self._reuse(status)

    def _reuse(self, status: Status) -> None:
        self._bridge.reuse_status(status)

    def _pauser(self, until: Callable[[datetime], datetime]) -> Callable[[], None]:
        return lambda: self._pause(until(self._clock()).timestamp())

    def _pause(self, until: float) -> None:
        self._policy.pause_until(until)
        self.pause_changed.emit()

    def _resume(self) -> None:
        self._policy.resume()
        self.pause_changed.emit()

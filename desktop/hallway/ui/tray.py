"""The tray icon: own presence at a glance, a menu rebuilt each time it opens, and the popup.

The menu is rebuilt on `aboutToShow` (as Vorta does) so it always reflects the current presence,
recent statuses and pause state without being kept in sync. What needs our attention (open
questions, posts to acknowledge) and our recent statuses are asked of the node when something
that changes them happens, once per burst, and kept for the menu: opening the menu does not
wait on the node (a busy engine would keep it from opening for as long).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QRect, Qt, QTimer, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QStyle, QSystemTrayIcon

from hallway.core.durations import until_time
from hallway.core.model import Presence, Status
from hallway.engine.events import (
    OTHER_OFFICE,
    NodeWarning,
    PostReceived,
    ReplyReceived,
    StatusChanged,
    WarningCleared,
)
from hallway.engine.views import Attention
from hallway.ui.avatar import avatar_icon
from hallway.ui.bridge import EngineBridge
from hallway.ui.icons import OFFLINE, presence_icon
from hallway.ui.knocks import KnockBook, unanswered_line, waiting_line
from hallway.ui.knowledge_words import ack_line, more_acks_line, questions_line
from hallway.ui.models import PeopleModel
from hallway.ui.notify_policy import NotifyPolicy
from hallway.ui.quick_status import local_now
from hallway.ui.text import format_clock, presence_label, status_line

RECENT_STATUSES = 5
#: Colleagues offered in the "Knock…" submenu: those online, most recently changed first.
RECENT_PEOPLE = 6
#: Knock lines (ours waiting, theirs to answer) shown at most.
KNOCK_LINES = 3
#: Posts to acknowledge listed at most (one more line opens the Feed for the rest).
ACK_LINES = 5


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
        questions_requested(): "2 open questions" (the Feed, on its open questions).
        feed_requested(): the line for more posts to acknowledge than are listed (the Feed).
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
    questions_requested = Signal()
    feed_requested = Signal()
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
        icon: QSystemTrayIcon | None = None,
    ) -> None:
        """`icon`: one already in the panel (the app's "starting" icon) to keep, not a new one."""
        super().__init__(parent)
        self._knocks = knocks if knocks is not None else KnockBook(self)
        self._bridge = bridge
        self._people = people
        self._policy = policy
        self._clock = clock
        self.icon = icon if icon is not None else QSystemTrayIcon()
        self.icon.setParent(self)
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
        #: Open questions and posts to acknowledge, as the node last said.
        self.attention = Attention()
        self._attention_timer = QTimer(self)
        self._attention_timer.setSingleShot(True)
        self._attention_timer.setInterval(0)  # after the events queued now: once per burst
        self._attention_timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._attention_timer.timeout.connect(self.refresh_attention)
        #: Our recent custom statuses, newest first, as the node last said.
        self.recent: list[Status] = []
        self._recent_timer = QTimer(self)
        self._recent_timer.setSingleShot(True)
        self._recent_timer.setInterval(0)  # as the attention's: once per burst
        self._recent_timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._recent_timer.timeout.connect(self.refresh_recent)
        bridge.status_changed.connect(self._on_status)
        bridge.post_received.connect(self._on_post)
        bridge.reply_received.connect(self._on_reply)
        for changed in (bridge.ack_received, bridge.answer_chosen, bridge.item_edited,
                        bridge.item_deleted):  # fmt: skip
            changed.connect(self._attention_stale)
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
        self.refresh_attention()
        self.refresh_recent()
        self.rebuild_menu()

    def close(self) -> None:
        self._attention_timer.stop()
        self._recent_timer.stop()
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

    # -- attention -------------------------------------------------------------------------

    @Slot()
    def refresh_attention(self) -> None:
        """Ask the node now what needs our attention (kept as it was when it cannot say)."""
        self._attention_timer.stop()
        attention = self._bridge.attention()
        if attention is not None:
            self.attention = attention

    @Slot()
    def refresh_recent(self) -> None:
        """Ask the node now for our recent statuses (an empty list when it cannot say)."""
        self._recent_timer.stop()
        self.recent = [s for s in self._bridge.recent_statuses(RECENT_STATUSES) if s.is_custom]

    @Slot(object)
    def _on_status(self, event: StatusChanged) -> None:
        if event.own and not self._recent_timer.isActive():
            self._recent_timer.start()

    @Slot(object)
    def _on_post(self, event: PostReceived) -> None:
        if event.post.question or event.post.ack:
            self._attention_stale()

    @Slot(object)
    def _on_reply(self, event: ReplyReceived) -> None:
        if event.question:
            self._attention_stale()

    @Slot()
    @Slot(object)
    def _attention_stale(self, _event: object = None) -> None:
        if not self._attention_timer.isActive():
            self._attention_timer.start()

    def acknowledge(self, post_id: str) -> bool:
        """Acknowledge a post (from this menu, or its pop-up's action); False when refused
        (the bridge said why). Its line goes at once; the node's answer follows."""
        if not self._bridge.ack(post_id):
            return False
        unacked = tuple(item for item in self.attention.unacked if item.id != post_id)
        self.attention = Attention(self.attention.open_questions, unacked)
        self._attention_stale()
        return True

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

        recent = self.recent
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
        self._add_attention_lines()
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

    def _add_attention_lines(self) -> None:
        """ "2 open questions", and "Acknowledge: Fire drill at 15:00…" for each post that asks
        us and that we have not acknowledged yet."""
        questions = self.attention.open_questions
        unacked = self.attention.unacked
        if not questions and not unacked:
            return
        self.menu.addSeparator()
        if questions:
            line = self._add(menu_text(questions_line(questions)), "open-questions",
                             self.questions_requested)  # fmt: skip
            question = QStyle.StandardPixmap.SP_MessageBoxQuestion
            line.setIcon(self.menu.style().standardIcon(question))
        for item in unacked[:ACK_LINES]:
            action = self.menu.addAction(avatar_icon(item.peer, item.name, None),
                                         menu_text(ack_line(item)))  # fmt: skip
            action.setObjectName(f"ack-{item.id}")
            action.setToolTip(item.name)
            action.triggered.connect(self._acknowledger(item.id))
        if len(unacked) > ACK_LINES:
            self._add(more_acks_line(len(unacked) - ACK_LINES), "more-acks", self.feed_requested)

    def _acknowledger(self, post_id: str) -> Callable[[], object]:
        return lambda: self.acknowledge(post_id)

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

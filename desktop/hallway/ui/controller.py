"""One running session of the app: a runtime's node wired to the bridge, models, tray, window
and notifications. `app.run` makes one; tests make one around a fake runtime.

The window is built the first time it is needed (opened from the tray, a pop-up clicked, no
tray to live in): an app that idles in the tray, as it mostly does, never pays its ~13 MB and
~130 ms (docs/benchmarks.md). Until then the controller keeps what its banners would show.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from PySide6.QtCore import QObject, QRect, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QDialog, QSystemTrayIcon, QWidget

from hallway.core.errors import HallwayError
from hallway.core.knocks import KnockView
from hallway.core.meetups import Answer, EventView
from hallway.core.model import Status
from hallway.engine.events import NodeWarning, PeerView, QuietChanged, WarningCleared
from hallway.store.config import Config
from hallway.ui.autostart import set_autostart
from hallway.ui.bridge import EngineBridge
from hallway.ui.event_actions import EventActions
from hallway.ui.events_model import EventsModel, EventsRefresher
from hallway.ui.idle import IdleWatcher, idle_minutes
from hallway.ui.idle_sources import IdleSource
from hallway.ui.knocks import KnockBook, KnockDialog, KnockReplyDialog
from hallway.ui.knowledge_popups import thread_of
from hallway.ui.models import FeedModel, PeopleModel
from hallway.ui.notifications import NotificationCenter, TrayNotifier
from hallway.ui.notify_policy import KNOCK_PREFIX, Notifier, NotifyPolicy, NotifyPrefs
from hallway.ui.ports import RuntimePort
from hallway.ui.tray import TrayController

if TYPE_CHECKING:
    from hallway.ui.main_window import MainWindow
    from hallway.ui.quick_status import QuickStatusPopup
    from hallway.ui.settings import SettingsResult

log = logging.getLogger(__name__)

#: How often to look again for a system tray that was missing at start (one-shot, re-armed).
TRAY_RECHECK_MS = 5000
#: Look-alike flags are fetched again this long after a change is seen: once for a burst, and
#: at most once a second during a flood of renames.
LOOK_ALIKES_REFRESH_MS = 1000
#: How long closing waits for a fetch in flight (the node answers or fails within 10 s).
FETCH_DRAIN_MS = 15_000

ConfigSaver = Callable[[Config], None]
IdleFinder = Callable[[], IdleSource | None]


def prefs_from(config: Config) -> NotifyPrefs:
    notes = config.notifications
    return NotifyPrefs(
        posts=notes.posts,
        urgent=notes.urgent,
        followed_status=notes.followed_status,
        online=notes.online,
        followed=frozenset(config.followed),
    )


class AppController(QObject):
    """Signals:
    quit_requested(): the person chose Quit (or closed the window with no tray to return to).
    restart_requested(object): settings changed the office or interface; the argument is the
        `SettingsResult`. The app stops this session, re-initialises and starts a new one.
    """

    quit_requested = Signal()
    restart_requested = Signal(object)
    # Emitted on the fetch's worker thread; queued to `_look_alikes_fetched` on the GUI thread.
    _look_alikes_ready = Signal(object)

    def __init__(
        self,
        runtime: RuntimePort,
        config: Config,
        *,
        save_config: ConfigSaver,
        home: Path | None = None,
        demo: bool = False,
        notifier: Notifier | None = None,
        find_idle: IdleFinder | None = None,
        clock: Callable[[], float] = time.time,
        tray_icon: QSystemTrayIcon | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self.config = config
        self._save_config = save_config
        self._home = home
        self._demo = demo
        self.bridge = EngineBridge(runtime.node, self)
        self.people = PeopleModel(self)
        self.feed = FeedModel(self)
        self.events = EventsModel(self)
        self.event_actions = EventActions(self.bridge, self.events, self)
        self._events_refresher = EventsRefresher(self.bridge, self.events, self)
        self.policy = NotifyPolicy(prefs_from(config), clock=clock)
        self.policy.set_quiet(config.quiet)
        self.knocks = KnockBook(self, clock=clock)
        self.idle = IdleWatcher(
            self.bridge, idle_minutes(config.idle_minutes), Status(), self, clock=clock
        )
        self._find_idle = find_idle
        self._window: MainWindow | None = None
        self._hide_on_close = False
        # What the window's banners would show, kept until it is built.
        self._missed_warnings: dict[str | None, NodeWarning] = {}
        self._missed_text: str | None = None
        self.tray = TrayController(
            self.bridge, self.people, self.policy, self, knocks=self.knocks, icon=tray_icon
        )
        self.notifications = NotificationCenter(
            self.policy, notifier or TrayNotifier(self.tray.icon), self, clock=clock
        )
        self._find_notifier = notifier is None
        self._popup: QuickStatusPopup | None = None
        self._dialogs: list[QDialog] = []
        self._tray_timer = QTimer(self)
        self._tray_timer.setSingleShot(True)
        self._tray_timer.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self._tray_timer.timeout.connect(self._check_tray)
        self._names_timer = QTimer(self)
        self._names_timer.setSingleShot(True)
        self._names_timer.setInterval(LOOK_ALIKES_REFRESH_MS)
        self._names_timer.timeout.connect(self._refresh_look_alikes)
        # `peers()` waits on the engine (up to 10 s when it is busy): never on the GUI thread.
        self._fetcher = QThreadPool(self)
        self._fetcher.setMaxThreadCount(1)
        self._fetching = False
        self._stale_while_fetching = False
        self._look_alikes_ready.connect(self._look_alikes_fetched)
        self._closed = False
        self._wire()

    def _wire(self) -> None:
        bridge, people, feed = self.bridge, self.people, self.feed
        bridge.peer_online.connect(people.on_peer_online)
        bridge.peer_offline.connect(people.on_peer_offline)
        bridge.peer_renamed.connect(people.on_peer_renamed)
        bridge.status_changed.connect(people.on_status_changed)
        bridge.status_expired.connect(people.on_status_expired)
        bridge.status_changed.connect(feed.on_status_changed)
        bridge.post_received.connect(feed.on_post_received)
        feed.follow(bridge)  # before any window: its tab would, but it may never be built
        bridge.event_changed.connect(self.events.on_event_changed)
        bridge.event_changed.connect(feed.on_event_changed)
        self.events.view_changed.connect(feed.update_event)
        bridge.any_event.connect(self.notifications.on_event)
        self.notifications.answered.connect(self.answer_event)
        self.notifications.knock_answered.connect(self.reply_knock)
        self.notifications.acknowledge_requested.connect(self.acknowledge)
        for knock_signal in (bridge.knock_received, bridge.knock_delivered, bridge.knock_replied,
                             bridge.knock_expired):  # fmt: skip
            knock_signal.connect(self.knocks.on_event)
        self.event_actions.edit_requested.connect(self.show_edit_event)
        # Who else a look-alike looks like only the engine knows (its peers' flags change with
        # no event of theirs): fetch them again after a change, once per burst.
        people.look_alikes_changed.connect(self._look_alikes_stale)
        bridge.warning.connect(self._on_warning)
        bridge.warning_cleared.connect(self._on_warning_cleared)
        bridge.command_failed.connect(self._keep_text)
        self.event_actions.problem.connect(self._keep_text)
        bridge.quiet_changed.connect(self._on_quiet_changed)
        self.notifications.activated.connect(self.popup_clicked)
        tray = self.tray
        tray.quick_status_requested.connect(self.show_quick_status)
        tray.status_dialog_requested.connect(self.show_quick_status)
        tray.post_requested.connect(self.show_compose)
        tray.new_event_requested.connect(self.show_new_event)
        tray.open_requested.connect(self.bring_forward)
        tray.settings_requested.connect(self.show_settings)
        tray.quit_requested.connect(self.quit_requested)
        tray.knock_requested.connect(self.show_knock)
        tray.knock_reply_requested.connect(self.show_knock_reply)
        tray.questions_requested.connect(self.show_questions)
        tray.feed_requested.connect(self.show_feed)
        tray.pause_changed.connect(self.notifications.refresh)

    # -- the window ------------------------------------------------------------------------

    @property
    def window(self) -> MainWindow:
        """The main window, built on first use."""
        if self._window is None:
            self._window = self._build_window()
        return self._window

    def _build_window(self) -> MainWindow:
        from hallway.ui.main_window import MainWindow  # late: most sessions never open it

        window = MainWindow(
            self.bridge,
            self.people,
            self.feed,
            events=self.events,
            actions=self.event_actions,
            knocks=self.knocks,
            open_office=self.config.open,
            demo=self._demo,
        )
        window.hide_on_close = self._hide_on_close
        window.people_tab.knock_requested.connect(self.show_knock)
        window.people_tab.knock_reply_requested.connect(self.show_knock_reply)
        window.new_event_requested.connect(self.show_new_event)
        window.following_changed.connect(self.set_following)
        window.settings_requested.connect(self.show_settings)
        window.closed.connect(self.quit_requested)
        for warning in self._missed_warnings.values():
            window.on_warning(warning)
        if self._missed_text is not None:
            window.warning_banner.show_text(self._missed_text)
        self._missed_warnings.clear()
        self._missed_text = None
        return window

    @Slot()
    def bring_forward(self) -> None:
        self.window.bring_forward()

    def window_visible(self) -> bool:
        return self._window is not None and self._window.isVisible()

    def _set_hide_on_close(self, hide: bool) -> None:
        self._hide_on_close = hide
        if self._window is not None:
            self._window.hide_on_close = hide

    def _banner(self, text: str) -> None:
        """A message for the window's warning banner, now or when the window is built."""
        if self._window is not None:
            self._window.warning_banner.show_text(text)
        else:
            self._missed_text = text

    @Slot(str)
    def _keep_text(self, text: str) -> None:
        if self._window is None:  # once built, the window hears these itself
            self._missed_text = text

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, *, open_window: bool = False, minimized: bool = False) -> None:
        """Subscribe, load the current state, and show the tray icon (or the window).

        With a system tray the app starts in the tray, and the window opens only when
        `open_window` (the first run, the demo) and not `minimized`; the tray menu's "Open
        Hallway" or a click on a pop-up opens it later. Without a tray the window is the only
        way in: it is shown, minimized if asked.
        """
        # Subscribe before the snapshot: an event racing it is applied twice, which the models
        # tolerate, whereas the other order could lose it.
        self.bridge.attach()
        if not self._demo:  # the demo keeps its throwaway keys in a file on purpose
            for warning in self.runtime.warnings:
                self._banner(warning)
        me = self.bridge.me()
        self.policy.set_own_presence(me.presence)
        self.idle.rules.status_changed(me.status)
        self.knocks.reset(self.bridge.knocks())
        self.people.reset(self.bridge.peers())
        self.people.set_followed(self.config.followed)
        self.feed.reset(self.bridge.feed())
        events = self.bridge.events() or []
        self.events.reset(events)
        self.feed.add_events(events, time.time())
        self.policy.remember_events(events)
        self.tray.refresh()
        self.tray.refresh_attention()
        if QSystemTrayIcon.isSystemTrayAvailable():
            self._use_tray()
            if open_window and not minimized:
                self.window.bring_forward()
        else:
            log.info("no system tray: showing the window, looking again every few seconds")
            self._set_hide_on_close(False)
            if minimized:
                self.window.showMinimized()
            else:
                self.window.bring_forward()
            self._tray_timer.start(TRAY_RECHECK_MS)
        log.info("started, %s", "in the tray" if self.uses_tray() else "in a window")
        if self._find_notifier:
            # Desktop notifications where the platform has them; the tray balloon until then.
            self.notifications.find_desktop_notifier()
        if self._find_idle is not None:
            self.idle.find_source(self._find_idle)

    def _use_tray(self) -> None:
        self.tray.icon.show()
        self._set_hide_on_close(True)

    @Slot()
    def _check_tray(self) -> None:
        if QSystemTrayIcon.isSystemTrayAvailable():
            log.info("a system tray appeared: moving to it")
            self._use_tray()
            if self._window is not None and self._window.isMinimized():
                self._window.hide()
        else:
            self._tray_timer.start(TRAY_RECHECK_MS)

    @Slot(object)
    def _on_warning(self, event: NodeWarning) -> None:
        if self._window is None:  # once built, the window hears these itself
            self._missed_warnings[event.code] = event
        if event.peer is not None:
            self._look_alikes_stale()

    @Slot(object)
    def _on_warning_cleared(self, event: WarningCleared) -> None:
        self._missed_warnings.pop(event.code, None)

    @Slot()
    def _look_alikes_stale(self) -> None:
        if self._fetching:  # what is being fetched may predate this change: fetch once more
            self._stale_while_fetching = True
        elif not self._names_timer.isActive():  # not restarted: a flood must not postpone it
            self._names_timer.start()

    @Slot()
    def _refresh_look_alikes(self) -> None:
        if self._closed or self._fetching:
            return
        self._fetching = True
        self._stale_while_fetching = False
        self._fetcher.start(self._fetch_look_alikes)

    def _fetch_look_alikes(self) -> None:
        """On the pool's thread: ask the node, hand the answer (None on failure) to the GUI."""
        try:
            peers: list[PeerView] | None = self.bridge.peers()
        except HallwayError:
            peers = None  # the node is stopping; the next session starts from a fresh snapshot
        # RuntimeError: the controller was deleted after close() gave up waiting for us.
        with contextlib.suppress(RuntimeError):
            self._look_alikes_ready.emit(peers)

    @Slot(object)
    def _look_alikes_fetched(self, peers: list[PeerView] | None) -> None:
        self._fetching = False
        if self._closed:
            return
        if peers is not None:
            self.people.update_look_alikes(peers)
        if self._stale_while_fetching:
            self._look_alikes_stale()

    def uses_tray(self) -> bool:
        return self.tray.icon.isVisible()

    def close(self) -> None:
        """Stop this session: pop-ups, events, windows, then the runtime (BYE to colleagues)."""
        if self._closed:
            return
        self._closed = True
        self.idle.close()  # brings back a status it replaced, while the node still runs
        self._tray_timer.stop()
        self._names_timer.stop()
        self.bridge.close()
        self.notifications.close()
        for dialog in [*self._dialogs, self._popup]:
            if dialog is not None:
                dialog.close()
                dialog.deleteLater()
        self.tray.close()
        if self._window is not None:
            self._window.hide_on_close = False
            self._window.hide()
            self._window.deleteLater()
        try:
            self.runtime.close()
        except HallwayError:
            log.exception("stopping the node failed")
        # After the node stopped, which ends a `peers()` or `events()` call in flight.
        self._events_refresher.close()
        if not self._fetcher.waitForDone(FETCH_DRAIN_MS):
            log.warning("a look-alike fetch is still waiting on the stopped node")

    # -- actions ---------------------------------------------------------------------------

    @Slot()
    @Slot(QRect)
    def show_quick_status(self, anchor: QRect | None = None) -> None:
        if self._popup is not None:
            self._popup.close()
            self._popup.deleteLater()
        from hallway.ui.quick_status import QuickStatusPopup  # late, as the window's modules

        self._popup = QuickStatusPopup(self.bridge)
        self._popup.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._popup.destroyed.connect(self._popup_gone)
        self._popup.show_near(anchor)

    @Slot()
    def _popup_gone(self) -> None:
        self._popup = None

    @Slot()
    def show_compose(self) -> None:
        from hallway.ui.compose import ComposeDialog  # late, as the window's modules

        self._open_dialog(ComposeDialog(self.bridge))

    @Slot()
    def show_new_event(self) -> None:
        from hallway.ui.event_dialog import EventDialog  # late, as the window's modules

        dialog = EventDialog(self.bridge)
        dialog.saved.connect(self._event_done)
        self._open_dialog(dialog)

    @Slot(str)
    def show_edit_event(self, event_id: str) -> None:
        view = self.events.view(event_id)
        if view is None or not view.own:
            return
        from hallway.ui.event_dialog import EventDialog  # late, as the window's modules

        dialog = EventDialog(self.bridge, view)
        dialog.saved.connect(self._event_done)
        self._open_dialog(dialog)

    @Slot(object)
    def _event_done(self, view: EventView) -> None:
        self.events.upsert(view)

    @Slot(str, str)
    def answer_event(self, event_id: str, answer: str) -> None:
        """An answer chosen on a pop-up: as if its button on the card was clicked."""
        self.event_actions.rsvp(event_id, Answer(answer))

    @Slot(object)
    def popup_clicked(self, item_id: str | None) -> None:
        """A click on a pop-up: the window on its item; a knock's opens its reply dialog too,
        and a reply's (or an answer's) its thread."""
        thread = thread_of(item_id)
        if thread is not None:
            self.show_thread(*thread)
            return
        if item_id is not None and item_id.startswith(KNOCK_PREFIX):
            view = self.knocks.get(item_id.removeprefix(KNOCK_PREFIX))
            self.window.show_item(view.peer if view is not None else None)
            if view is not None:
                self.show_knock_reply(view.id)
            return
        self.window.show_item(item_id)

    # -- threads, questions and acknowledgements ----------------------------------------------

    def show_thread(self, post_id: str, reply_id: str = "") -> None:
        """The window on the Feed, with a post's thread open at the reply `reply_id`."""
        self.window.show_item(post_id)
        self.window.feed_tab.open_thread(post_id, reply_id or None)

    @Slot()
    def show_questions(self) -> None:
        """The window on the Feed, filtered to its open questions."""
        self.window.show_item(None)
        self.window.feed_tab.show_open_questions(True)

    @Slot()
    def show_feed(self) -> None:
        """The window on the whole Feed (where the posts to acknowledge are)."""
        self.window.show_item(None)
        self.window.feed_tab.show_open_questions(False)

    @Slot(str)
    def acknowledge(self, post_id: str) -> None:
        """Acknowledge chosen on a pop-up: as from the tray menu (which then drops the post)."""
        self.tray.acknowledge(post_id)

    # -- knocks ----------------------------------------------------------------------------

    @Slot(str)
    def show_knock(self, peer_id: str) -> None:
        peer = self.people.peer(peer_id)
        if peer is None or peer.own:
            return
        dialog = KnockDialog(self.bridge, peer.id, peer.label)
        dialog.sent.connect(self._knock_changed)
        self._open_dialog(dialog)

    @Slot(str)
    def show_knock_reply(self, knock_id: str) -> None:
        view = self.knocks.get(knock_id)
        if view is None or view.outgoing or view.state != "shown":
            return  # answered already (from its pop-up, say): the window shows the person
        dialog = KnockReplyDialog(self.bridge, view)
        dialog.replied.connect(self._knock_changed)
        self._open_dialog(dialog)

    @Slot(str, str)
    def reply_knock(self, knock_id: str, reply: str) -> None:
        """A quick reply chosen on a knock's pop-up."""
        view = self.bridge.reply_knock(knock_id, reply)
        if view is not None:
            self.knocks.upsert(view)

    @Slot(object)
    def _knock_changed(self, view: KnockView) -> None:
        self.knocks.upsert(view)

    @Slot()
    def show_settings(self) -> None:
        from hallway.ui.settings import SettingsDialog  # late, as the window's modules

        info = self.bridge.info()
        dialog = SettingsDialog(self.config, members=self.people.others(),
                                idle_source=self.idle.source_name,
                                idle_looking=self.idle.looking,
                                own_addresses=info.addresses,
                                own_port=info.router_port)  # fmt: skip

        def found() -> None:
            dialog.show_idle_source(self.idle.source_name, looking=self.idle.looking)

        self.idle.source_changed.connect(found)
        dialog.destroyed.connect(lambda: self.idle.source_changed.disconnect(found))
        dialog.accepted.connect(lambda: self.apply_settings(dialog.result_values()))
        self._open_dialog(dialog)

    def _open_dialog(self, dialog: QDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._dialogs.append(dialog)
        dialog.destroyed.connect(lambda: self._dialogs.remove(dialog))
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def dialogs(self) -> list[QWidget]:
        return list(self._dialogs)

    # -- settings --------------------------------------------------------------------------

    @Slot(str, bool)
    def set_following(self, peer_id: str, follow: bool) -> None:
        followed = [p for p in self.config.followed if p != peer_id]
        if follow:
            followed.append(peer_id)
        self._save(msgspec.structs.replace(self.config, followed=followed))

    def apply_settings(self, result: SettingsResult) -> None:
        before = self.config
        new = result.config
        if new.name != before.name:
            self.bridge.set_name(new.name)
        if new.start_at_login != before.start_at_login:
            try:
                set_autostart(new.start_at_login, home=self._home)
            except OSError as error:
                self._banner(
                    self.tr("Could not change start at login: {error}").format(error=error)
                )
        if result.needs_restart(before):
            self.restart_requested.emit(result)
            return
        self._save(new)

    def _on_quiet_changed(self, event: QuietChanged) -> None:
        """Quiet hours set with `hallway quiet` while the app runs: that command saved them in
        config.toml; follow them, and keep them in the copy the app saves from."""
        if event.quiet == self.config.quiet:
            return  # our own change, come back
        self.config = msgspec.structs.replace(self.config, quiet=event.quiet)
        self.policy.set_quiet(event.quiet)
        self.notifications.refresh()  # they may have just ended: the digest

    def _save(self, config: Config) -> None:
        try:
            self._save_config(config)
        except HallwayError as error:
            self._banner(str(error))
            self.people.set_followed(self.config.followed)
            return
        before, self.config = self.config, config
        self.policy.set_prefs(prefs_from(config))
        self.people.set_followed(config.followed)
        if config.quiet != before.quiet:
            self.bridge.set_quiet_hours(config.quiet)  # the node holds knocks in them
            self.policy.set_quiet(config.quiet)
            self.notifications.refresh()  # they may have just ended: the digest
        if config.idle_minutes != before.idle_minutes:
            self.idle.set_minutes(idle_minutes(config.idle_minutes))

"""Pop-ups on the Qt side: words for the policy's decisions, a timer for merged ones, the choice
of notifier, and the tray-balloon notifier used where no better notifier exists.

`NotificationCenter` listens to the bridge, asks `NotifyPolicy` what to show, and hands worded
pop-ups to a `Notifier`. It keeps at most one single-shot timer, armed only while a merged pop-up
is waiting, so an idle app is never woken.

Which notifier: on Linux (and other freedesktop systems) real desktop notifications over D-Bus
(`hallway.ui.dbus_notify`) when org.freedesktop.Notifications answers, else the tray balloon.
On Windows and macOS the tray balloon is the native route: `QSystemTrayIcon.showMessage` makes a
Windows toast (Shell_NotifyIcon) and a macOS Notification Center entry.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import cast

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon

from hallway import assets
from hallway.core.knocks import QUICK_REPLIES
from hallway.core.meetups import Answer, EventView, describe_when
from hallway.engine.events import Event
from hallway.ui.avatar import avatar_image
from hallway.ui.knowledge_popups import ACK_KEY
from hallway.ui.knowledge_words import KNOWLEDGE_KINDS, acknowledge_label, knowledge_words
from hallway.ui.notify_policy import (
    KNOCK_PREFIX,
    Held,
    Kind,
    Notifier,
    NotifyPolicy,
    Popup,
    PopupImage,
    Urgency,
)
from hallway.ui.text import presence_label, tr

log = logging.getLogger(__name__)

#: Pixels of a pop-up's avatar: servers scale it down (dunst to 32-64 px), and 96 stays sharp.
POPUP_AVATAR = 96
_BODY_ITEMS = 4
MAX_TIMER_MS = 300_000
_BODY_CHARS = 200
ANSWER_KEYS = frozenset(answer.value for answer in Answer)
EVENT_KINDS = frozenset(
    {Kind.EVENT, Kind.SEAT, Kind.EVENT_MOVED, Kind.EVENT_CANCELLED, Kind.REMINDER}
)
KNOCK_KINDS = frozenset({Kind.KNOCK, Kind.KNOCK_REPLY, Kind.KNOCK_HELD, Kind.KNOCK_EXPIRED})
#: A knock's quick replies, as `Node.reply_knock` takes them.
KNOCK_KEYS = ("yes", "later", "no")


def _shorten(text: str, limit: int = _BODY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _names(names: tuple[str, ...], shown: int = 2) -> str:
    head = ", ".join(names[:shown])
    return head + "…" if len(names) > shown else head


class NotificationCenter(QObject):
    """Turns engine events into pop-ups through the policy and a notifier.

    Signals:
        activated(object): a pop-up was clicked; the argument is its item id (a feed item id or
            a peer id) or None. Emitted on the GUI thread whatever thread the notifier uses.
        shown(str, str, str, object): a pop-up went out (title, body, urgency, item id); for
            tests and logs.
        answered(str, str): an action of a new event's pop-up was chosen: the event id and the
            answer ("going", "maybe" or "no"). Emitted on the GUI thread.
        knock_answered(str, str): an action of a knock's pop-up was chosen: the knock's id and
            "yes", "later" or "no". Emitted on the GUI thread.
        acknowledge_requested(str): Acknowledge was chosen on the pop-up of a post asking for
            it: the post's id. Emitted on the GUI thread.
    """

    activated = Signal(object)
    shown = Signal(str, str, str, object)
    answered = Signal(str, str)
    knock_answered = Signal(str, str)
    acknowledge_requested = Signal(str)
    _found = Signal()  # the probe thread has a desktop notifier ready (queued to the GUI thread)

    def __init__(
        self,
        policy: NotifyPolicy,
        notifier: Notifier,
        parent: QObject | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self._policy = policy
        self._notifier = notifier
        self._clock = clock
        self._attach(notifier)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.CoarseTimer)
        self._timer.timeout.connect(self._release_due)
        self._probe: threading.Thread | None = None
        self._probe_lock = threading.Lock()
        self._probed: Notifier | None = None
        self._closed = False
        self._found.connect(self._use_probed)

    @property
    def policy(self) -> NotifyPolicy:
        return self._policy

    def set_notifier(self, notifier: Notifier) -> None:
        """Switch to another notifier (the D-Bus one, once it is up)."""
        self._detach(self._notifier)
        self._notifier = notifier
        self._attach(notifier)

    def _attach(self, notifier: Notifier) -> None:
        notifier.on_activated = self._emit_activated
        notifier.on_action = self._emit_action

    @staticmethod
    def _detach(notifier: Notifier) -> None:
        notifier.on_activated = None
        notifier.on_action = None

    def find_desktop_notifier(self, find: Callable[[], Notifier | None] | None = None) -> None:
        """Look for the desktop's own notifier off the GUI thread (connecting to D-Bus may take
        a moment) and switch to it once it answers. Until then, and where none answers, pop-ups
        go to the current notifier."""
        find = find or desktop_notifier

        def probe() -> None:
            notifier = find()
            if notifier is None:
                return
            with self._probe_lock:
                closed = self._closed
                if not closed:
                    self._probed = notifier
            if closed:
                notifier.close()
            else:
                self._found.emit()

        self._probe = threading.Thread(target=probe, name="notifier-probe", daemon=True)
        self._probe.start()

    @Slot()
    def _use_probed(self) -> None:
        with self._probe_lock:
            notifier, self._probed = self._probed, None
        if notifier is not None:
            previous = self._notifier
            self.set_notifier(notifier)
            previous.close()
            log.info("pop-ups go out as desktop notifications now")

    def close(self) -> None:
        with self._probe_lock:
            self._closed = True
        if self._probe is not None:
            self._probe.join()
        with self._probe_lock:
            probed, self._probed = self._probed, None
        if probed is not None:
            probed.close()
        self._timer.stop()
        self._detach(self._notifier)
        self._notifier.close()

    def _emit_activated(self, item_id: str | None) -> None:
        # May run on a notifier's own thread: a signal is the safe way back to the GUI thread.
        self.activated.emit(item_id)

    def _emit_action(self, item_id: str | None, key: str) -> None:
        if item_id is None:
            return
        if item_id.startswith(KNOCK_PREFIX):
            if key in KNOCK_KEYS:
                self.knock_answered.emit(item_id.removeprefix(KNOCK_PREFIX), key)
        elif key == ACK_KEY:
            self.acknowledge_requested.emit(item_id)
        elif key in ANSWER_KEYS:
            self.answered.emit(item_id, key)

    @Slot(object)
    def on_event(self, event: Event) -> None:
        self._show(self._policy.on_event(event))
        self._arm()

    @Slot()
    def refresh(self) -> None:
        """Show what is due now: after the pause or quiet hours changed (it may have ended)."""
        self._release_due()

    @Slot()
    def _release_due(self) -> None:
        self._show(self._policy.due())
        self._arm()

    def _arm(self) -> None:
        # Re-armed for the policy's deadline each time (a change may bring it forward); the
        # deadline comes from the policy's state, so a flood of events does not postpone it.
        # Looked at again at least every few minutes: a wall-clock deadline (the end of quiet
        # hours) drifts from Qt's monotonic timer across a suspend.
        deadline = self._policy.next_deadline()
        if deadline is None:
            self._timer.stop()
        else:
            delay = max(0, int((deadline - self._clock()) * 1000) + 50)
            self._timer.start(min(delay, MAX_TIMER_MS))

    def _show(self, popups: list[Popup]) -> None:
        for popup in popups:
            title, body = self.words(popup)
            self._notifier.notify(title, body, popup.urgency, popup.item_id, popup_image(popup),
                                  actions=self.actions(popup))  # fmt: skip
            self.shown.emit(title, body, popup.urgency, popup.item_id)

    def actions(self, popup: Popup) -> Sequence[tuple[str, str]]:
        """Going / Maybe / Not going on one new event's pop-up, Yes / In 5 min / Not now on one
        knock's, Acknowledge on one post asking for it, where the notifier has buttons
        (elsewhere a click opens the event, the knock's reply dialog, or the post; the tray menu
        keeps a post to acknowledge)."""
        if len(popup.items) != 1 or not self._notifier.supports_actions:
            return ()
        if popup.items[0].ack:
            return ((ACK_KEY, acknowledge_label()),)
        if popup.kind is Kind.KNOCK:
            return tuple(zip(KNOCK_KEYS, knock_reply_labels(), strict=True))
        if popup.kind is not Kind.EVENT:
            return ()
        view = popup.items[0].event
        if view is None or view.cancelled or self._clock() >= view.start:
            return ()
        return (
            (Answer.GOING.value, self.tr("Going")),
            (Answer.MAYBE.value, self.tr("Maybe")),
            (Answer.NO.value, self.tr("Not going")),
        )

    def words(self, popup: Popup) -> tuple[str, str]:
        """The title and body of a pop-up, in the person's language."""
        special = {**dict.fromkeys(EVENT_KINDS, self._event_words),
                   **dict.fromkeys((*KNOCK_KINDS, Kind.DIGEST), self._knock_words),
                   **dict.fromkeys(KNOWLEDGE_KINDS, self._knowledge_words)}  # fmt: skip
        if popup.kind in special:
            return special[popup.kind](popup)
        if popup.kind is Kind.URGENT:
            first = popup.items[0]
            return self.tr("Urgent from {name}").format(name=first.shown), _shorten(first.text)
        if popup.kind is Kind.POST:
            return self._post_words(popup)
        if popup.kind is Kind.STATUS:
            return self._status_words(popup)
        if len(popup.items) == 1:
            return self.tr("{name} is online").format(name=popup.items[0].shown), ""
        title = self.tr("{count} colleagues came online").format(count=len(popup.items))
        return title, ", ".join(popup.names)

    def _knowledge_words(self, popup: Popup) -> tuple[str, str]:
        return knowledge_words(popup, self._digest)

    def _post_words(self, popup: Popup) -> tuple[str, str]:
        if len(popup.items) == 1:
            first = popup.items[0]
            title = self.tr("Question from {name}").format(name=first.shown)
            return title if first.question else first.shown, _shorten(first.text)
        title = self.tr("{count} new posts from {names}").format(
            count=len(popup.items), names=_names(popup.names)
        )
        return title, self._digest(popup)

    def _status_words(self, popup: Popup) -> tuple[str, str]:
        first = popup.items[0]
        if len(popup.items) == 1:
            presence = presence_label(first.presence) if first.presence else ""
            title = self.tr("{name} is now {presence}").format(name=first.shown, presence=presence)
            return title, _shorten(" ".join(p for p in (first.emoji, first.text) if p))
        title = self.tr("{count} status changes from {names}").format(
            count=len(popup.items), names=_names(popup.names)
        )
        return title, self._digest(popup)

    def _event_words(self, popup: Popup) -> tuple[str, str]:
        items = popup.items
        first = items[0]
        if len(items) > 1:
            titles = {
                Kind.EVENT: self.tr("{count} new events"),
                Kind.SEAT: self.tr("You have a seat at {count} events"),
                Kind.EVENT_MOVED: self.tr("{count} events you go to have moved"),
                Kind.EVENT_CANCELLED: self.tr("{count} events you go to are cancelled"),
                Kind.REMINDER: self.tr("{count} events start soon"),
            }
            lines = [_shorten(item.text, 80) for item in items[-_BODY_ITEMS:]]
            if len(items) > _BODY_ITEMS:
                lines.append(self.tr("and {count} more").format(count=len(items) - _BODY_ITEMS))
            return titles[popup.kind].format(count=len(items)), "\n".join(lines)
        title = _shorten(first.text, 80)
        when = self._when(first.event)
        if popup.kind is Kind.EVENT:
            by = self.tr("Organised by {name}").format(name=first.shown)
            return self.tr("New event: {title}").format(title=title), f"{when}\n{by}"
        if popup.kind is Kind.SEAT:
            return (self.tr("You have a seat at {title}").format(title=title),
                    self.tr("Someone gave up theirs: you moved up from the waitlist."))  # fmt: skip
        if popup.kind is Kind.EVENT_MOVED:
            return self.tr("{title} has moved").format(title=title), self.tr(
                "Now {when}").format(when=when)  # fmt: skip
        if popup.kind is Kind.EVENT_CANCELLED:
            return self.tr("{title} is cancelled").format(title=title), self.tr(
                "{name} cancelled it.").format(name=first.shown)  # fmt: skip
        return self.tr("Soon: {title}").format(title=title), when

    def held_words(self, held: Held) -> str:
        """ "3 posts, 2 replies, 1 event, 5 status changes": only the parts that are not zero."""
        parts = [
            (held.posts, self.tr("1 post"), self.tr("{count} posts")),
            (held.replies, self.tr("1 reply"), self.tr("{count} replies")),
            (held.acks, self.tr("1 post to acknowledge"), self.tr("{count} posts to acknowledge")),
            (
                held.answers,
                self.tr("1 of your replies marked as the answer"),
                self.tr("{count} of your replies marked as answers"),
            ),
            (held.events, self.tr("1 event"), self.tr("{count} events")),
            (held.knocks, self.tr("1 knock"), self.tr("{count} knocks")),
            (held.statuses, self.tr("1 status change"), self.tr("{count} status changes")),
        ]
        return ", ".join(
            (one if count == 1 else many.format(count=count)) for count, one, many in parts if count
        )

    def _knock_words(self, popup: Popup) -> tuple[str, str]:
        """A knock's pop-ups, and the digest of what silence held (which may count knocks)."""
        if popup.kind is Kind.DIGEST:
            return self.tr("While you were away"), self.held_words(popup.held or Held())
        items = popup.items
        first = items[0]
        name = first.shown
        if len(items) > 1:
            titles = {
                Kind.KNOCK: self.tr("{count} knocks from {names}"),
                Kind.KNOCK_REPLY: self.tr("{count} answers to your knocks from {names}"),
                Kind.KNOCK_HELD: self.tr("{count} of your knocks will show later"),
                Kind.KNOCK_EXPIRED: self.tr("{count} of your knocks expired"),
            }
            title = titles[popup.kind].format(count=len(items), names=_names(popup.names))
            return title, self._digest(popup)
        if popup.kind is Kind.KNOCK:
            title = (self.tr("Urgent knock from {name}") if first.urgent
                     else self.tr("{name} is knocking")).format(name=name)  # fmt: skip
            return title, _shorten(first.text)
        if popup.kind is Kind.KNOCK_REPLY:
            return (self.tr("{name} answered your knock").format(name=name),
                    _shorten(knock_reply_text(first.text)))  # fmt: skip
        if popup.kind is Kind.KNOCK_HELD:
            # Quiet hours are the recipient's own business: only "later" is said of them.
            body = (self.tr("{name} is in Do not disturb; your knock will show when that ends.")
                    if first.held == "dnd" else
                    self.tr("{name} is not taking knocks right now; yours will show when they "
                            "are back."))  # fmt: skip
            return (self.tr("Your knock to {name} will show later").format(name=name),
                    body.format(name=name))  # fmt: skip
        return (self.tr("Your knock to {name} expired").format(name=name),
                self.tr("It could not be delivered within 12 hours."))  # fmt: skip

    def _when(self, view: EventView | None) -> str:
        if view is None:
            return ""
        now = datetime.fromtimestamp(self._clock()).astimezone()
        when = describe_when(view.start, view.duration, now)
        return f"{when} · {view.where}" if view.where else when

    def _digest(self, popup: Popup) -> str:
        lines = []
        for item in popup.items[-_BODY_ITEMS:]:
            words = " ".join(p for p in (item.emoji, item.text) if p)
            if popup.kind is Kind.KNOCK_REPLY:
                words = knock_reply_text(item.text)
            if popup.kind is Kind.STATUS and item.presence is not None:
                words = " ".join(p for p in (presence_label(item.presence), words) if p)
            lines.append(f"{item.shown}: {_shorten(words, 80)}")
        if len(popup.items) > _BODY_ITEMS:
            lines.append(self.tr("and {count} more").format(count=len(popup.items) - _BODY_ITEMS))
        return "\n".join(lines)


def knock_reply_labels() -> tuple[str, str, str]:
    """The quick replies' words, in `KNOCK_KEYS` order."""
    return (tr("Yes"), tr("In 5 min"), tr("Not now"))


def knock_reply_text(reply: str) -> str:
    """A reply as people read it: a quick reply's words (by key, or as the engine words it), in
    the person's language, or the text typed."""
    labels = knock_reply_labels()
    quick = dict(zip(KNOCK_KEYS, labels, strict=True))
    quick.update(zip((QUICK_REPLIES[key] for key in KNOCK_KEYS), labels, strict=True))
    return quick.get(reply, reply)


def popup_image(popup: Popup, size: int = POPUP_AVATAR) -> PopupImage | None:
    """The avatar of the one person a pop-up is about, else None (the app's icon shows).

    A status change carries a badge for the new presence; other pop-ups carry none, since
    they do not say what the person's presence is.
    """
    peers = {item.peer for item in popup.items}
    if len(peers) != 1 or popup.kind is Kind.SEAT:  # a seat's pop-up is about us, not a person
        return None
    last = popup.items[-1]
    badge = last.presence.value if popup.kind is Kind.STATUS and last.presence else None
    image = avatar_image(last.peer, last.name, badge, size).convertToFormat(
        QImage.Format.Format_RGBA8888
    )
    # RGBA8888 rows are whole 32-bit words already, so the buffer has no padding to strip.
    data = bytes(cast(memoryview, image.constBits()))[: image.width() * image.height() * 4]
    return PopupImage(image.width(), image.height(), data)


def image_icon(image: PopupImage) -> QIcon:
    """A `PopupImage` as a QIcon (for the tray balloon)."""
    qimage = QImage(image.rgba, image.width, image.height, QImage.Format.Format_RGBA8888)
    return QIcon(QPixmap.fromImage(qimage.copy()))  # copy: the bytes are not ours to keep


def desktop_notifier() -> Notifier | None:
    """The desktop's own notifier where it is better than the tray balloon, else None.

    Linux and the BSDs: D-Bus notifications, when a notification server answers on the session
    bus. Windows and macOS: None, since the tray balloon is native there (see the module's
    docstring).
    """
    if sys.platform in ("win32", "darwin"):
        return None
    try:
        from hallway.ui.dbus_notify import DBusNotifier, NotificationServiceError
    except ImportError as error:  # jeepney comes with keyring on Linux; still, never fail here
        log.info("no D-Bus notifications (%s): using the tray balloon", error)
        return None
    try:
        icon = assets.icon_path("hallway").as_uri()
    except assets.AssetError:
        icon = ""
    try:
        return DBusNotifier(app_icon=icon)
    except NotificationServiceError as error:
        log.info("%s: using the tray balloon for pop-ups", error)
        return None


class TrayNotifier:
    """The fallback notifier: the tray icon's balloon (`QSystemTrayIcon.showMessage`).

    On Linux this sends low-urgency messages that GNOME hides, and on an XEmbed tray it draws
    Qt's own balloon, so it is used only where no D-Bus notification service exists. Qt reports
    a click without saying which message, so the last message's item is opened.
    """

    def __init__(self, tray: QSystemTrayIcon, *, timeout_ms: int = 8000) -> None:
        self._tray = tray
        self._timeout_ms = timeout_ms
        self._last_item: str | None = None
        self.on_activated: Callable[[str | None], None] | None = None
        self.on_action: Callable[[str | None, str], None] | None = None
        tray.messageClicked.connect(self._clicked)

    @property
    def supports_actions(self) -> bool:
        return False  # a balloon has no buttons: a click opens the item

    def notify(
        self,
        title: str,
        body: str,
        urgency: Urgency,
        item_id: str | None,
        image: PopupImage | None = None,
        *,
        actions: Sequence[tuple[str, str]] = (),
    ) -> None:
        del actions  # a balloon has no buttons (`supports_actions`)
        self._last_item = item_id
        timeout = 0 if urgency == "critical" else self._timeout_ms
        if image is not None:
            self._tray.showMessage(title, body, image_icon(image), timeout)
            return
        icon = (
            QSystemTrayIcon.MessageIcon.Critical
            if urgency == "critical"
            else QSystemTrayIcon.MessageIcon.Information
        )
        self._tray.showMessage(title, body, icon, timeout)

    def close(self) -> None:
        self.on_activated = None

    def _clicked(self) -> None:
        if self.on_activated is not None:
            self.on_activated(self._last_item)

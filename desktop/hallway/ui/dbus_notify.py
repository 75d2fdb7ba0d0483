"""Desktop notifications on Linux: org.freedesktop.Notifications over the session bus.

Qt's `QSystemTrayIcon.showMessage` is not enough here: it sends Information messages at low
urgency, which GNOME does not show, and on an XEmbed tray it draws Qt's own balloon. PySide6's
QtDBus cannot make the call either (a Python int goes out as `i`, and `Notify` wants `u` for
`replaces_id`), so this module speaks D-Bus with jeepney, which keyring already brings.

No Qt here: `DBusNotifier` can be tested without a display. One connection per notifier; one
thread of its own receives the replies (notification ids) and the `ActionInvoked` and
`NotificationClosed` signals. `notify()` only sends, so it never blocks the GUI thread on a slow
notification server.

Buttons: a pop-up may carry actions besides the click ("default"); they go out only to a server
that lists the "actions" capability (dunst, GNOME, KDE do), and its `ActionInvoked` for one of
ours calls `on_action(item_id, key)`.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jeepney import (
    DBusAddress,
    DBusErrorResponse,
    HeaderFields,
    MatchRule,
    Message,
    MessageType,
    message_bus,
    new_method_call,
)
from jeepney.auth import AuthenticationError
from jeepney.io.threading import DBusConnection, ReceiveStopped, open_dbus_connection

from hallway.core.errors import HallwayError
from hallway.ui.notify_policy import PopupImage, Urgency

__all__ = [
    "APP_NAME",
    "DESKTOP_ENTRY",
    "IMAGE_SIGNATURE",
    "DBusNotifier",
    "NotificationServiceError",
    "ServerInfo",
    "available",
    "image_data",
    "server_information",
]

log = logging.getLogger(__name__)

SERVICE: Final = "org.freedesktop.Notifications"
OBJECT_PATH: Final = "/org/freedesktop/Notifications"
APP_NAME: Final = "Hallway"
DESKTOP_ENTRY: Final = "io.github.hallway.Hallway"
DEFAULT_ACTION: Final = "default"
NOTIFY_SIGNATURE: Final = "susssasa{sv}i"
#: width, height, rowstride, has alpha, bits per sample, channels, data
IMAGE_SIGNATURE: Final = "(iiibiiay)"
#: The server's default: it decides how long an ordinary pop-up stays (critical ones stay).
EXPIRE_DEFAULT: Final = -1

_URGENCY: Final[dict[Urgency, int]] = {"normal": 1, "critical": 2}
_NOTIFICATIONS: Final = DBusAddress(OBJECT_PATH, bus_name=SERVICE, interface=SERVICE)
_UNKNOWN: Final[Any] = object()
#: Ids of pop-ups still open that we remember; a server that never says "closed" cannot make
#: the table grow without bound.
_REMEMBERED: Final = 256

_ConnectErrors: Final = (
    OSError,  # no socket, refused, reset, timeouts
    KeyError,  # no DBUS_SESSION_BUS_ADDRESS
    ValueError,  # an address jeepney cannot use
    AuthenticationError,
    DBusErrorResponse,  # e.g. ServiceUnknown: nobody owns org.freedesktop.Notifications
    ReceiveStopped,
)


def image_data(image: PopupImage) -> tuple[int, int, int, bool, int, int, bytes]:
    """The `image-data` hint's value for `image` (RGBA, 8 bits a sample, unpadded rows)."""
    if len(image.rgba) != image.width * image.height * 4:
        raise ValueError("image data does not match its size")
    return (image.width, image.height, image.width * 4, True, 8, 4, image.rgba)


class NotificationServiceError(HallwayError):
    """No notification service answers on the bus (or there is no session bus at all)."""


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What `GetServerInformation` and `GetCapabilities` say about the notification server."""

    name: str
    vendor: str
    version: str
    spec_version: str
    capabilities: frozenset[str]

    @property
    def body_markup(self) -> bool:
        """Whether the server reads the body as markup (so literal text must be escaped)."""
        return "body-markup" in self.capabilities

    @property
    def actions(self) -> bool:
        """Whether the server shows a pop-up's actions (buttons, or a menu of them)."""
        return "actions" in self.capabilities


def _call(conn: DBusConnection, message: Message, timeout: float) -> tuple[Any, ...]:
    """Send a method call and wait for its reply. Only before the receiving thread starts."""
    serial = next(conn.outgoing_serial)
    conn.send(message, serial=serial)
    deadline = _Deadline(timeout)
    while True:
        reply = conn.receive(timeout=deadline.remaining())
        if reply.header.fields.get(HeaderFields.reply_serial) != serial:
            continue  # a signal, or the bus's greeting: nothing we wait for
        if reply.header.message_type is MessageType.error:
            raise DBusErrorResponse(reply)
        return tuple(reply.body)


class _Deadline:
    def __init__(self, timeout: float) -> None:
        self._end = time.monotonic() + timeout

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise TimeoutError("the notification service did not answer in time")
        return left


def _ask_server(conn: DBusConnection, timeout: float) -> ServerInfo:
    name, vendor, version, spec = _call(
        conn, new_method_call(_NOTIFICATIONS, "GetServerInformation"), timeout
    )
    (capabilities,) = _call(conn, new_method_call(_NOTIFICATIONS, "GetCapabilities"), timeout)
    return ServerInfo(name, vendor, version, spec, frozenset(capabilities))


def _open(bus: str, timeout: float) -> DBusConnection:
    try:
        return open_dbus_connection(bus=bus, auth_timeout=timeout)
    except _ConnectErrors as error:
        raise NotificationServiceError(f"no session bus to reach: {error!r}") from error


def _close_connection(conn: DBusConnection) -> None:
    conn.close()
    # WORKAROUND: jeepney 0.8/0.9's threading connection never closes its interrupt pipe.
    for fd in (getattr(conn, "_stop_r", None), getattr(conn, "_stop_w", None)):
        if isinstance(fd, int):
            with contextlib.suppress(OSError):
                os.close(fd)


def server_information(bus: str = "SESSION", *, timeout: float = 1.0) -> ServerInfo:
    """Ask the notification server who it is. Raises `NotificationServiceError`."""
    conn = _open(bus, timeout)
    try:
        return _ask_server(conn, timeout)
    except _ConnectErrors as error:
        raise NotificationServiceError(f"no notification service: {error}") from error
    finally:
        _close_connection(conn)


def available(bus: str = "SESSION", *, timeout: float = 1.0) -> bool:
    """Whether a notification server answers on `bus` within `timeout` seconds."""
    try:
        server_information(bus, timeout=timeout)
    except NotificationServiceError:
        return False
    return True


class DBusNotifier:
    """A `Notifier` that sends real desktop notifications (the freedesktop Notifications spec).

    Urgency goes out as the `urgency` hint (1 normal, 2 critical), every pop-up has a "default"
    action (a click on it), and `on_activated(item_id)` is called from this notifier's thread
    when the person clicks one of ours; `on_action(item_id, key)` when they choose one of its
    other actions. Constructing it connects and asks the server who it is: it raises
    `NotificationServiceError` where no service answers within `timeout`.
    """

    def __init__(self, *, bus: str = "SESSION", app_icon: str = "", timeout: float = 1.0) -> None:
        self.on_activated: Callable[[str | None], None] | None = None
        self.on_action: Callable[[str | None, str], None] | None = None
        self._app_icon = app_icon
        self._lock = threading.Lock()
        # One message on the wire at a time: the GUI thread sends pop-ups, the receiving thread
        # closes those whose action was chosen.
        self._send_lock = threading.Lock()
        self._sent: dict[int, str | None] = {}  # serial of a Notify call -> item id
        self._shown: dict[int, str | None] = {}  # notification id -> item id
        self._closed = False
        self._failed = False
        self._conn = _open(bus, timeout)
        try:
            self.server = _ask_server(self._conn, timeout)
            rule = MatchRule(type="signal", sender=SERVICE, interface=SERVICE, path=OBJECT_PATH)
            _call(self._conn, message_bus.AddMatch(rule), timeout)
        except _ConnectErrors as error:
            _close_connection(self._conn)
            raise NotificationServiceError(f"no notification service: {error}") from error
        except BaseException:
            _close_connection(self._conn)
            raise
        self._thread = threading.Thread(target=self._receive, name="dbus-notify", daemon=True)
        self._thread.start()

    @property
    def supports_actions(self) -> bool:
        return self.server.actions

    def __enter__(self) -> DBusNotifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        if self.server.body_markup:
            body = html.escape(body, quote=False)  # peers' words must show literally
        hints: dict[str, tuple[str, Any]] = {
            "urgency": ("y", _URGENCY[urgency]),
            "desktop-entry": ("s", DESKTOP_ENTRY),
        }
        if image is not None:
            # Spec 1.2's name; it wins over app_icon, which stays the fallback for old servers.
            hints["image-data"] = (IMAGE_SIGNATURE, image_data(image))
        # The spec's flat list: key, label, key, label…; "default" is the click on the pop-up.
        pairs = [DEFAULT_ACTION, "Open"]
        if self.server.actions:
            for key, label in actions:
                if key != DEFAULT_ACTION:
                    pairs += [key, label]
        message = new_method_call(
            _NOTIFICATIONS,
            "Notify",
            NOTIFY_SIGNATURE,
            (APP_NAME, 0, self._app_icon, title, body, pairs, hints, EXPIRE_DEFAULT),
        )
        with self._send_lock:
            with self._lock:
                if self._closed:
                    return
                serial = next(self._conn.outgoing_serial)
                self._sent[serial] = item_id  # before sending: the reply may come at once
            try:
                self._conn.send(message, serial=serial)
            except OSError as error:
                with self._lock:
                    self._sent.pop(serial, None)
                self._fail(f"could not send a notification: {error}")

    def _withdraw(self, notification: int) -> None:
        """Close a pop-up whose action was chosen: it has done its job (the spec leaves that to
        the server unless a pop-up is resident, and dunst's menu leaves it up)."""
        message = new_method_call(_NOTIFICATIONS, "CloseNotification", "u", (notification,))
        with self._send_lock:
            try:
                self._conn.send(message)
            except OSError as error:
                self._fail(f"could not close a notification: {error}")

    def close(self) -> None:
        """Stop listening and disconnect. Idempotent; pop-ups already shown stay on screen."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.on_activated = None
        self.on_action = None
        self._conn.interrupt()
        self._thread.join()
        _close_connection(self._conn)

    # -- the receiving thread ------------------------------------------------------------------

    def _receive(self) -> None:
        while True:
            try:
                message = self._conn.receive()
            except ReceiveStopped:
                return
            except (OSError, ValueError) as error:
                if not self._closed:
                    self._fail(f"lost the session bus: {error}")
                return
            self._dispatch(message)

    def _dispatch(self, message: Message) -> None:
        fields = message.header.fields
        kind = message.header.message_type
        if kind in (MessageType.method_return, MessageType.error):
            with self._lock:
                item_id = self._sent.pop(fields.get(HeaderFields.reply_serial, 0), _UNKNOWN)
                if item_id is _UNKNOWN:
                    return
                if kind is MessageType.method_return:
                    self._remember(int(message.body[0]), item_id)
            if kind is MessageType.error:
                self._fail(f"the notification service refused a pop-up: {message.body}")
            return
        if kind is not MessageType.signal:
            return
        member = fields.get(HeaderFields.member)
        if member == "ActionInvoked":
            notification, action = message.body
            with self._lock:
                ours = notification in self._shown
                item_id = self._shown.get(notification)
            if not ours:
                return
            if action == DEFAULT_ACTION:
                clicked = self.on_activated
                if clicked is not None:
                    clicked(item_id)
            else:
                chosen = self.on_action
                if chosen is not None:
                    chosen(item_id, str(action))
                self._withdraw(int(notification))
        elif member == "NotificationClosed":
            with self._lock:
                self._shown.pop(message.body[0], None)

    def _remember(self, notification: int, item_id: str | None) -> None:
        self._shown[notification] = item_id
        while len(self._shown) > _REMEMBERED:
            del self._shown[next(iter(self._shown))]

    def _fail(self, why: str) -> None:
        # Said once: a broken service would otherwise log on every pop-up.
        if not self._failed:
            self._failed = True
            log.warning("desktop notifications: %s", why)
        else:
            log.debug("desktop notifications: %s", why)

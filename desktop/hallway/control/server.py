"""The control server: the owner-only socket through which the CLI drives a running instance.

One thread accepts; each connection gets its own short-lived thread (at most `max_clients`).
Requests call only the Node's thread-safe public API. A `watch` subscribes to the node's events:
the engine thread only appends to the watcher's bounded queue and pokes a pipe, so a slow or
stuck watcher can never block the node; it is dropped instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from hallway import __version__
from hallway.control.accept import Acceptor
from hallway.control.office import OFFICE_ONLINE, office_online
from hallway.control.protocol import (
    BAD_REQUEST,
    INTERNAL,
    MAX_REQUEST,
    NODE_ERROR,
    UNSUPPORTED,
    AckRequest,
    Acks,
    AnswerRequest,
    AttentionRequest,
    ControlError,
    DeleteRequest,
    EditRequest,
    EventCancel,
    EventCreate,
    EventEdit,
    EventIcs,
    EventRsvp,
    Events,
    EventShow,
    Feed,
    KnockReplyRequest,
    KnockRequest,
    Knocks,
    Peers,
    Ping,
    PostRequest,
    QuietOff,
    QuietSet,
    RemindAcks,
    ReplyRequest,
    Request,
    RequestError,
    Search,
    Show,
    StatusClear,
    StatusGet,
    StatusSet,
    Thread,
    Watch,
    decode_request,
    encode_error,
    encode_event,
    encode_ok,
    quiet_of,
)
from hallway.control.transport import LineTooLongError, check_socket_path, read_line, same_user
from hallway.control.watcher import Watcher
from hallway.core.errors import HallwayError
from hallway.core.ics import events_to_ics
from hallway.core.knocks import KnockView
from hallway.core.meetups import Answer, EventSpec, EventView, MeetupError
from hallway.core.model import Post, Presence
from hallway.core.quiet import QuietHours
from hallway.engine.events import Event, FeedItem, PeerView, iso
from hallway.engine.views import AckView, Attention, SearchHit, ThreadView

__all__ = ["ControlServer", "NodeAPI"]

log = logging.getLogger(__name__)

_DROPPED = "this watcher fell too far behind and was disconnected"
# Posts, the feed, threads, answers, acknowledgements and search (issue 11).
_KNOWLEDGE = (
    PostRequest,
    Feed,
    ReplyRequest,
    AnswerRequest,
    AckRequest,
    Acks,
    RemindAcks,
    Thread,
    EditRequest,
    DeleteRequest,
    Search,
    AttentionRequest,
)


class NodeAPI(Protocol):
    """The part of `hallway.engine.Node`'s public API that the control server uses."""

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]: ...

    def set_status(
        self, presence: Presence, text: str = "", *, emoji: str = "", until: float | None = None
    ) -> object: ...

    def clear_status(self) -> object: ...

    def post(
        self, text: str, *, urgent: bool = False, question: bool = False, ack: bool = False
    ) -> Post: ...

    def peers(self) -> list[PeerView]: ...

    def me(self) -> PeerView: ...

    def feed(self, limit: int = 50, *, questions: bool = False) -> list[FeedItem]: ...

    def reply(self, post_id: str, text: str) -> Post: ...

    def answer(self, reply_id: str) -> FeedItem: ...

    def ack(self, post_id: str) -> FeedItem: ...

    def acks(self, post_id: str) -> AckView: ...

    def remind_acks(self, post_id: str) -> AckView: ...

    def thread(self, item_id: str) -> ThreadView: ...

    def edit(self, item_id: str, text: str) -> FeedItem: ...

    def delete(self, item_id: str) -> None: ...

    def search(self, words: str, limit: int = 50) -> list[SearchHit]: ...

    def attention(self) -> Attention: ...

    def create_event(self, spec: EventSpec) -> EventView: ...

    def events(self, *, include_past: bool = False) -> list[EventView]: ...

    def event(self, event_id: str) -> EventView: ...

    def rsvp(self, event_id: str, answer: Answer) -> EventView: ...

    def edit_event(
        self,
        event_id: str,
        *,
        title: str | None = None,
        start: float | None = None,
        duration: float | None = None,
        where: str | None = None,
        capacity: int | None = None,
        note: str | None = None,
        remind: float | None = None,
        clear_capacity: bool = False,
    ) -> EventView: ...

    def cancel_event(self, event_id: str) -> EventView: ...

    def knock(self, peer: str, text: str = "", *, urgent: bool = False) -> KnockView: ...

    def knocks(self) -> list[KnockView]: ...

    def reply_knock(self, knock_id: str, reply: str) -> KnockView: ...

    def set_quiet_hours(self, quiet: QuietHours | None) -> None: ...

    def resolve_peer(self, text: str) -> str: ...


class _Connection:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.watcher: Watcher | None = None
        self.thread: threading.Thread | None = None


class ControlServer:
    """Serves the control protocol on `path` for `node` until `close()`.

    `on_show`, when given, is called (on a server thread) for a `show` request: the tray app
    passes a callback that brings its window forward, marshalled to the GUI thread.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        node: NodeAPI,
        on_show: Callable[[], None] | None = None,
        *,
        max_clients: int = 32,
        watch_queue: int = 1000,
        idle_timeout: float = 60.0,
        send_timeout: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self._node = node
        self._on_show = on_show
        self._max_clients = max_clients
        self._watch_queue = watch_queue
        self._idle_timeout = idle_timeout
        self._send_timeout = send_timeout
        self._lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._listener: socket.socket | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of our socket file
        self._accept_thread: threading.Thread | None = None
        self._wake_r = -1
        self._wake_w = -1
        self._closing = False
        self._started = False

    # lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Bind the socket (owner-only) and start serving. Raises `ControlError`."""
        if self._started:
            return
        if self._closing:
            raise ControlError("this control server was closed; make a new one")
        check_socket_path(self.path)
        self._refuse_live_or_foreign()
        listener = self._bind()
        # The selector and the spare descriptors are made here rather than on the accept thread:
        # by the time it runs, the process may have no descriptor left for them.
        with contextlib.ExitStack() as undo:
            undo.callback(self._unlink)
            undo.callback(listener.close)
            try:
                selector = undo.enter_context(selectors.DefaultSelector())
                wake_r, wake_w = os.pipe()
                undo.callback(os.close, wake_r)
                undo.callback(os.close, wake_w)
            except OSError as exc:
                raise ControlError(f"cannot start the control server: {exc.strerror}") from exc
            undo.pop_all()
        acceptor = Acceptor(listener)
        selector.register(wake_r, selectors.EVENT_READ)
        selector.register(listener, selectors.EVENT_READ)
        self._listener = listener
        self._wake_r, self._wake_w = wake_r, wake_w
        self._started = True
        self._accept_thread = threading.Thread(
            target=self._accept_loop, args=(selector, acceptor), name="hallway-control", daemon=True
        )
        self._accept_thread.start()

    def close(self) -> None:
        """Stop accepting, end every connection, join every thread, remove the socket."""
        with self._lock:
            if self._closing or not self._started:
                self._closing = True
                return
            self._closing = True
            connections = list(self._connections)
        with contextlib.suppress(OSError):
            os.write(self._wake_w, b"\0")
        if self._accept_thread is not None:
            self._accept_thread.join()
        for conn in connections:
            if conn.watcher is not None:
                conn.watcher.stop()  # let it flush what it already holds
            else:
                with contextlib.suppress(OSError):
                    conn.sock.shutdown(socket.SHUT_RD)
        for conn in connections:
            if conn.thread is not None:
                conn.thread.join(self._send_timeout + 1.0)
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)
            if conn.thread is not None:
                conn.thread.join()
        self._unlink()
        if self._listener is not None:
            self._listener.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    def __enter__(self) -> ControlServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # binding -------------------------------------------------------------------------------

    def _refuse_live_or_foreign(self) -> None:
        try:
            mode = self.path.lstat().st_mode
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ControlError(f"cannot use {self.path}: {exc.strerror}") from exc
        if not stat.S_ISSOCK(mode):
            raise ControlError(f"{self.path} exists and is not a socket; move it out of the way")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.settimeout(1.0)
            probe.connect(os.fspath(self.path))
            ours = same_user(probe)
        except OSError:
            log.debug("replacing the stale control socket %s", self.path)
            return
        finally:
            probe.close()
        if not ours:
            raise ControlError(
                f"a program of another user is listening on {self.path}; remove it "
                "and check who can write to its directory"
            )
        raise ControlError(f"another Hallway is already listening on {self.path}")

    def _bind(self) -> socket.socket:
        # Bind under a temporary name, make it owner-only, then rename it into place: nobody can
        # ever connect while it has the umask's mode, and a stale socket is replaced atomically.
        temp = self.path.with_name(f".cs-{secrets.token_hex(3)}")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(os.fspath(temp))
            try:
                temp.chmod(0o600)
                temp.replace(self.path)
            except OSError:
                with contextlib.suppress(OSError):
                    temp.unlink()
                raise
            info = self.path.lstat()
            self._identity = (info.st_dev, info.st_ino)
            listener.listen(16)
            # A client that gives up between select and accept must not block the loop.
            listener.setblocking(False)
        except OSError as exc:
            listener.close()
            raise ControlError(
                f"cannot open the control socket {self.path}: {exc.strerror or exc}"
            ) from exc
        return listener

    def _unlink(self) -> None:
        # Remove the file only if it is still ours: a successor may already have replaced it.
        with contextlib.suppress(OSError):
            info = self.path.lstat()
            if (info.st_dev, info.st_ino) == self._identity:
                self.path.unlink()

    # accepting -----------------------------------------------------------------------------

    def _accept_loop(self, selector: selectors.BaseSelector, acceptor: Acceptor) -> None:
        with selector, contextlib.closing(acceptor):
            while True:
                ready = {key.fd for key, _ in selector.select()}
                if self._wake_r in ready:
                    return
                sock = acceptor.accept()
                if sock is not None:
                    self._admit(sock)
                elif acceptor.delay and self._back_off(selector, acceptor.delay):
                    return

    def _back_off(self, selector: selectors.BaseSelector, delay: float) -> bool:
        """Wait `delay` seconds for the wake pipe alone; True if the server is closing.

        The listener stays readable while connections wait in its queue, so watching it now would
        spin: it is left out of the wait.
        """
        assert self._listener is not None
        selector.unregister(self._listener)
        try:
            return bool(selector.select(delay))
        finally:
            selector.register(self._listener, selectors.EVENT_READ)

    def _admit(self, sock: socket.socket) -> None:
        if not same_user(sock):
            log.warning("control socket: refused a connection from another user")
            sock.close()
            return
        conn = _Connection(sock)
        with self._lock:
            full = len(self._connections) >= self._max_clients
            if not full and not self._closing:
                self._connections.add(conn)
        if full or self._closing:
            with contextlib.suppress(OSError):
                sock.settimeout(0.5)
                sock.sendall(encode_error("too many control connections", BAD_REQUEST))
            sock.close()
            return
        conn.thread = threading.Thread(
            target=self._serve, args=(conn,), name="hallway-control-conn", daemon=True
        )
        conn.thread.start()

    # serving -------------------------------------------------------------------------------

    def _serve(self, conn: _Connection) -> None:
        sock = conn.sock
        buffer = bytearray()
        try:
            sock.settimeout(self._idle_timeout)
            while True:
                try:
                    line = read_line(sock, buffer, MAX_REQUEST)
                except LineTooLongError as exc:
                    sock.sendall(encode_error(str(exc), exc.code))
                    _discard_rest(sock)  # no way to find the next request in the rest of it
                    return
                if line is None:
                    return
                if not line.strip():
                    continue
                try:
                    request = decode_request(line)
                except RequestError as exc:
                    sock.sendall(encode_error(str(exc), exc.code))
                    continue
                if isinstance(request, Watch):
                    self._watch(conn)
                    return
                sock.sendall(self._dispatch(request))
        except OSError:
            return  # timed out, reset or shut down: the connection simply ends
        finally:
            with self._lock:
                self._connections.discard(conn)
            sock.close()

    def _dispatch(self, request: Request) -> bytes:
        try:
            return encode_ok(self._result(request))
        except ControlError as exc:
            return encode_error(str(exc), exc.code)
        except (HallwayError, MeetupError) as exc:
            return encode_error(str(exc), NODE_ERROR)
        except Exception as exc:
            log.exception("control socket: %s failed", type(request).__name__)
            return encode_error(f"internal error: {type(exc).__name__}: {exc}", INTERNAL)

    def _result(self, request: Request) -> Any:  # noqa: PLR0911 -- one case per command
        node = self._node
        match request:
            case StatusGet():
                mine = node.me().to_json()
                # So that `hallway status` needs neither a second request nor ifaddr.
                peers = [peer.to_json() for peer in node.peers()]
                return {**mine, OFFICE_ONLINE: office_online(mine, peers)}
            case StatusSet(args=args):
                node.set_status(args.presence, args.text, emoji=args.emoji, until=args.until)
                return node.me().to_json()
            case StatusClear():
                node.clear_status()
                return node.me().to_json()
            case Peers():
                return [peer.to_json() for peer in node.peers()]
            case Ping():
                return {"version": __version__, "pid": os.getpid(), "app": self._app_kind()}
            case Show():
                if self._on_show is None:
                    raise ControlError(
                        "this home runs a headless node (`hallway node`), which has no window",
                        UNSUPPORTED,
                    )
                self._on_show()
                return {"shown": True}
            case Watch():  # handled by _serve; kept so the match stays exhaustive
                raise ControlError("watch cannot be dispatched", BAD_REQUEST)
            case KnockRequest() | Knocks() | KnockReplyRequest() | QuietSet() | QuietOff():
                return _knock_result(node, request)
            case _ if isinstance(request, _KNOWLEDGE):
                return _knowledge_result(node, request)
            case _:
                return _event_result(node, request)

    def _app_kind(self) -> str:
        return "tray" if self._on_show is not None else "node"

    def _watch(self, conn: _Connection) -> None:
        with contextlib.ExitStack() as stack:
            try:
                watcher = Watcher(self._watch_queue)
                stack.callback(watcher.close)
                selector = stack.enter_context(selectors.DefaultSelector())
            except OSError as exc:  # a pipe and an epoll descriptor: there may be none left
                error = f"cannot watch right now: {exc.strerror or exc}"
                conn.sock.sendall(encode_error(error, INTERNAL))
                return
            with self._lock:
                if self._closing:
                    return
                conn.watcher = watcher
            stack.callback(self._node.subscribe(watcher.offer))  # unsubscribes first
            try:
                conn.sock.settimeout(self._send_timeout)
                conn.sock.sendall(encode_ok(None))
                self._stream(conn.sock, watcher, selector)
            except OSError:
                pass  # gone, or too slow to take a line within send_timeout: dropped

    def _stream(
        self, sock: socket.socket, watcher: Watcher, selector: selectors.BaseSelector
    ) -> None:
        selector.register(sock, selectors.EVENT_READ)
        selector.register(watcher.wake_r, selectors.EVENT_READ)
        while True:
            ready = {key.fd for key, _ in selector.select()}
            if sock.fileno() in ready and not sock.recv(4096):
                return  # the client hung up; anything it sends is ignored
            if watcher.wake_r not in ready:
                continue
            for event in watcher.take():
                sock.sendall(encode_event(event.to_json()))
                if event.type == "stopped":
                    return
            if watcher.dropped:
                log.info("control socket: dropped a slow watcher")
                warning = {"type": "warning", "at": iso(time.time()), "message": _DROPPED}
                sock.sendall(encode_event(warning))
                return
            if watcher.stopping:
                return


def _event_result(node: NodeAPI, request: Request) -> Any:  # noqa: PLR0911 -- one per command
    match request:
        case EventCreate(args=a):
            spec = EventSpec(
                title=a.title,
                start=a.start,
                duration=a.duration,
                where=a.where,
                capacity=a.capacity,
                note=a.note,
                remind=a.remind,
            )
            return node.create_event(spec).to_json()
        case Events(args=a):
            return [view.to_json() for view in node.events(include_past=a.include_past)]
        case EventShow(args=a):
            return node.event(a.id).to_json()
        case EventRsvp(args=a):
            return node.rsvp(a.id, a.answer).to_json()
        case EventEdit(args=a):
            return node.edit_event(
                a.id,
                title=a.title,
                start=a.start,
                duration=a.duration,
                where=a.where,
                capacity=a.capacity,
                note=a.note,
                remind=a.remind,
                clear_capacity=a.clear_capacity,
            ).to_json()
        case EventCancel(args=a):
            return node.cancel_event(a.id).to_json()
        case EventIcs(args=a):
            now = time.time()
            if a.id is not None:
                views = [node.event(a.id)]
            else:  # cancelled ones too, so a calendar that has one learns it is off
                views = [v for v in node.events(include_past=True) if not v.past(now)]
            return events_to_ics(views, now=now)
    raise ControlError(f"unknown command {type(request).__name__}", BAD_REQUEST)


def _knock_result(node: NodeAPI, request: Request) -> Any:
    match request:
        case KnockRequest(args=a):
            peer = node.resolve_peer(a.peer)
            return node.knock(peer, a.text, urgent=a.urgent).to_json()
        case Knocks():
            return [view.to_json() for view in node.knocks()]
        case KnockReplyRequest(args=a):
            return node.reply_knock(a.id, a.reply).to_json()
        case QuietSet(args=a):
            node.set_quiet_hours(quiet_of(a))
            return {"quiet": True}
        case QuietOff():
            node.set_quiet_hours(None)
            return {"quiet": False}
    raise ControlError(f"unknown command {type(request).__name__}", BAD_REQUEST)


def _knowledge_result(node: NodeAPI, request: Request) -> Any:  # noqa: PLR0911 -- one per command
    match request:
        case PostRequest(args=a):
            post = node.post(a.text, urgent=a.urgent, question=a.question, ack=a.ack)
            return _item_json(node, post)
        case Feed(args=a):
            return [item.to_json() for item in node.feed(limit=a.limit, questions=a.questions)]
        case ReplyRequest(args=a):
            return _item_json(node, node.reply(a.id, a.text))
        case AnswerRequest(args=a):
            return node.answer(a.id).to_json()
        case AckRequest(args=a):
            return node.ack(a.id).to_json()
        case Acks(args=a):
            return node.acks(a.id).to_json()
        case RemindAcks(args=a):
            return node.remind_acks(a.id).to_json()
        case Thread(args=a):
            return node.thread(a.id).to_json()
        case EditRequest(args=a):
            return node.edit(a.id, a.text).to_json()
        case DeleteRequest(args=a):
            node.delete(a.id)
            return {"deleted": a.id}
        case Search(args=a):
            return [hit.to_json() for hit in node.search(a.words, limit=a.limit)]
        case AttentionRequest():
            return node.attention().to_json()
    raise ControlError(f"unknown command {type(request).__name__}", BAD_REQUEST)


def _item_json(node: NodeAPI, post: Post) -> dict[str, Any]:
    """A post or reply just made, as the feed shows it (`FeedItem.to_json()`, plus `sent_at`).

    It is sent already: should the node fail to show it, the item is made from the post
    rather than the command reported failed (and sent again).
    """
    item: FeedItem | None = None
    try:
        thread = node.thread(post.id)
    except HallwayError as exc:
        log.warning("control socket: cannot show the new item %s: %s", post.id, exc)
    else:
        item = next((i for i in (thread.post, *thread.replies) if i.id == post.id), None)
    if item is None:
        item = FeedItem(
            id=post.id,
            type="reply" if post.reply_to else "post",
            peer=post.peer,
            name=node.me().name,
            at=post.sent_at,
            text=post.text,
            urgent=post.urgent,
            tags=post.tags,
            own=True,
            reply_to=post.reply_to,
            question=post.question,
            ack=post.ack,
            edited=post.edits > 0,
        )
    return {**item.to_json(), "sent_at": iso(post.sent_at)}


def _discard_rest(sock: socket.socket, budget: int = 4 * MAX_REQUEST) -> None:
    # Closing with unread input resets the connection, and the client could lose our error
    # reply. So stop sending, then read and drop a bounded amount of what it is still sending.
    sock.shutdown(socket.SHUT_WR)
    sock.settimeout(1.0)
    while budget > 0:
        chunk = sock.recv(MAX_REQUEST)
        if not chunk:
            return
        budget -= len(chunk)

"""The control server against a fake node: round trips, watch, hostile input, the socket file."""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from hallway.control import ControlClient, ControlError, ControlServer, NotRunning
from hallway.control.protocol import MAX_REQUEST
from hallway.engine.events import NodeWarning, PeerOnline, Stopped
from tests.unit.control.fake_node import BEN, ME, FakeNode


def raw_exchange(path: Path, *lines: bytes) -> list[dict[str, Any]]:
    """Send raw lines on one connection and read one reply per line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5.0)
        sock.connect(os.fspath(path))
        reader = sock.makefile("rb")
        try:
            replies = []
            for line in lines:
                sock.sendall(line)
                replies.append(json.loads(reader.readline()))
            return replies
        finally:
            reader.close()


def test_ping(client: ControlClient) -> None:
    result = client.request("ping")
    assert result["pid"] == os.getpid()
    assert result["app"] == "node"


def test_status_set_and_get(client: ControlClient, node: FakeNode) -> None:
    result = client.request(
        "status_set", presence="busy", text="In a meeting", emoji="📅", until=1_700_003_600.0
    )
    assert result["presence"] == "busy"
    assert result["text"] == "In a meeting"
    assert result["until"] == "2023-11-14T23:13:20.000000+00:00"
    mine = client.request("status_get")
    assert mine["id"] == ME
    assert mine["own"] is True
    assert mine["emoji"] == "📅"
    cleared = client.request("status_clear")
    assert cleared["presence"] == "available"
    assert node.calls == ["set_status", "clear_status"]


def test_post_peers_feed(client: ControlClient) -> None:
    posted = client.request("post", text="Cake in the kitchen #treats", urgent=True)
    assert posted["urgent"] is True
    assert posted["tags"] == ["treats"]
    peers = client.request("peers")
    assert [p["id"] for p in peers] == [ME, BEN]
    assert {"id", "name", "online", "presence", "text", "emoji", "until", "last_seen"} <= set(
        peers[1]
    )
    feed = client.request("feed", limit=1)
    assert len(feed) == 1
    assert feed[0]["id"] == posted["id"]
    assert {"id", "type", "peer", "name", "at", "text", "urgent"} <= set(feed[0])


def test_node_error_is_an_error_reply(client: ControlClient) -> None:
    with pytest.raises(ControlError, match="boom") as info:
        client.request("status_set", presence="away", text="boom")
    assert info.value.code == "node_error"
    assert client.request("ping")  # still serving


def test_invalid_arguments_are_refused_before_the_node(
    client: ControlClient, node: FakeNode
) -> None:
    with pytest.raises(ControlError, match=r"args\.text") as info:
        client.request("status_set", presence="away", text="x" * 141)
    assert info.value.code == "bad_request"
    with pytest.raises(ControlError, match="presence"):
        client.request("status_set", presence="sleeping")
    with pytest.raises(ControlError, match="limit"):
        client.request("feed", limit=0)
    with pytest.raises(ControlError, match="unknown field"):
        client.request("ping", extra=1)
    assert node.calls == []


def test_garbage_gets_error_replies_and_the_connection_goes_on(server: ControlServer) -> None:
    replies = raw_exchange(
        server.path,
        b"\xff\xfe garbage\n",
        b"[1, 2, 3]\n",
        b'{"v": 1, "cmd": "launch_missiles"}\n',
        b'{"v": 2, "cmd": "ping"}\n',
        b'{"v": 1, "cmd": "feed", "args": {"limit": 1e999}}\n',
        b'{"v": 1, "cmd": "ping"}\n',
    )
    assert [r["ok"] for r in replies] == [False, False, False, False, False, True]
    assert [r.get("code") for r in replies[:5]] == [
        "bad_request",
        "bad_request",
        "bad_request",
        "unsupported_version",
        "bad_request",
    ]
    assert all(r["error"] for r in replies[:5])


def test_oversized_request_is_refused_and_the_server_keeps_serving(
    server: ControlServer, client: ControlClient
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5.0)
        sock.connect(os.fspath(server.path))
        sock.sendall(b'{"v": 1, "cmd": "post", "args": {"text": "' + b"x" * MAX_REQUEST)
        with sock.makefile("rb") as reader:
            reply = json.loads(reader.readline())
            assert reader.readline() == b""  # and the connection is closed
    assert reply == {"ok": False, "error": reply["error"], "code": "too_large"}
    assert client.request("ping")


def test_a_request_without_newline_before_eof_is_answered(server: ControlServer) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5.0)
        sock.connect(os.fspath(server.path))
        sock.sendall(b'{"v": 1, "cmd": "ping"}')
        sock.shutdown(socket.SHUT_WR)
        with sock.makefile("rb") as reader:
            assert json.loads(reader.readline())["ok"] is True


def test_watch_streams_events(client: ControlClient, node: FakeNode) -> None:
    with client.watch() as events:
        assert node.subscribed.wait(5.0)
        node.emit(PeerOnline(at=1_700_000_000.0, peer=BEN, name="Ben", address="127.0.0.2"))
        client.request("status_set", presence="dnd", text="Focus")
        first, second = next(events), next(events)
        assert first == {
            "type": "peer_online",
            "at": "2023-11-14T22:13:20.000000+00:00",
            "peer": BEN,
            "name": "Ben",
            "address": "127.0.0.2",
            "look_alike": False,
            "short_fingerprint": "bbbb",
        }
        assert second["type"] == "status"
        assert second["presence"] == "dnd"
        assert second["own"] is True
    assert node.unsubscribed.wait(5.0)


def test_watch_ends_after_stopped(client: ControlClient, node: FakeNode) -> None:
    with client.watch() as events:
        assert node.subscribed.wait(5.0)
        node.emit(Stopped(at=1_700_000_000.0))
        assert [e["type"] for e in events] == ["stopped"]


def test_a_slow_watcher_is_dropped_without_blocking_the_node(sock_dir: Path) -> None:
    node = FakeNode()
    path = sock_dir / "control.sock"
    with ControlServer(path, node, watch_queue=8, send_timeout=0.2) as server:
        events = ControlClient(server.path).watch()
        try:
            assert node.subscribed.wait(5.0)
            big = "x" * 60_000
            done = threading.Event()

            def flood() -> None:
                # The client never reads: the node must still never block on it.
                while not node.unsubscribed.is_set():
                    node.emit(NodeWarning(at=0.0, message=big))
                done.set()

            flooder = threading.Thread(target=flood)
            flooder.start()
            assert node.unsubscribed.wait(10.0)
            assert done.wait(5.0)
            flooder.join()
        finally:
            events.close()


def test_server_close_ends_watch_streams(sock_dir: Path) -> None:
    node = FakeNode()
    server = ControlServer(sock_dir / "control.sock", node)
    server.start()
    events = ControlClient(server.path).watch()
    with events:
        assert node.subscribed.wait(5.0)
        server.close()
        assert list(events) == []
    server.close()  # idempotent
    assert not server.path.exists()


def test_show_calls_back_or_says_unsupported(sock_dir: Path, client: ControlClient) -> None:
    with pytest.raises(ControlError, match="headless") as info:
        client.request("show")
    assert info.value.code == "unsupported"
    shown = threading.Event()
    with ControlServer(sock_dir / "tray.sock", FakeNode(), on_show=shown.set) as tray:
        tray_client = ControlClient(tray.path)
        assert tray_client.request("show") == {"shown": True}
        assert tray_client.request("ping")["app"] == "tray"
    assert shown.is_set()


def test_socket_is_owner_only(server: ControlServer) -> None:
    mode = server.path.stat().st_mode
    assert stat.S_ISSOCK(mode)
    assert stat.S_IMODE(mode) == 0o600
    assert [p.name for p in server.path.parent.iterdir()] == ["control.sock"]


def test_not_running_without_a_socket(sock_dir: Path) -> None:
    with pytest.raises(NotRunning):
        ControlClient(sock_dir / "control.sock").request("ping")
    with pytest.raises(NotRunning):
        ControlClient(sock_dir / "missing" / "control.sock").watch()
    assert not ControlClient(sock_dir / "control.sock").ping()


def stale_socket(path: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(os.fspath(path))


def test_stale_socket_means_not_running_and_is_replaced(sock_dir: Path) -> None:
    path = sock_dir / "control.sock"
    stale_socket(path)
    with pytest.raises(NotRunning):
        ControlClient(path).request("ping")
    with ControlServer(path, FakeNode()):
        assert ControlClient(path).ping()


def test_refuses_to_replace_a_live_socket_or_another_file(
    server: ControlServer, sock_dir: Path
) -> None:
    with pytest.raises(ControlError, match="already listening"):
        ControlServer(server.path, FakeNode()).start()
    assert ControlClient(server.path).ping()
    other = sock_dir / "notes.txt"
    other.write_text("mine")
    with pytest.raises(ControlError, match="not a socket"):
        ControlServer(other, FakeNode()).start()
    assert other.read_text() == "mine"


def test_a_path_too_long_is_a_clear_error(sock_dir: Path) -> None:
    path = sock_dir / ("d" * 120) / "control.sock"
    with pytest.raises(ControlError, match="shorter path"):
        ControlServer(path, FakeNode()).start()
    with pytest.raises(ControlError, match="shorter path"):
        ControlClient(path).request("ping")


def test_close_before_start_is_harmless(sock_dir: Path) -> None:
    server = ControlServer(sock_dir / "control.sock", FakeNode())
    server.close()
    server.close()
    with pytest.raises(ControlError, match="closed"):
        server.start()


def test_too_many_connections_are_refused(sock_dir: Path) -> None:
    with ControlServer(sock_dir / "control.sock", FakeNode(), max_clients=1) as server:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as held:
            held.connect(os.fspath(server.path))
            held.sendall(b'{"v": 1, "cmd": "ping"}\n')
            with held.makefile("rb") as reader:
                assert json.loads(reader.readline())["ok"] is True  # its thread is serving it
            with pytest.raises(ControlError, match="too many"):
                ControlClient(server.path).request("ping")
        # Once the held connection is gone, its slot frees up.
        for _ in range(100):
            try:
                ControlClient(server.path).request("ping")
                break
            except ControlError:
                threading.Event().wait(0.02)
        else:
            pytest.fail("the connection slot was never freed")

"""Helpers for the fault-injection tests: fast posting, feed checks, nodes with extra arguments.

Packet loss and jitter come from the lab itself (`Lab.impair`, tests/support/impair.py).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hallway.control.client import ControlClient
from hallway.store.home import control_socket_path
from tests.net.conftest import Office, RunningNode, node_env
from tests.support.netlab import Event, EventStream, Host

# -- nodes -----------------------------------------------------------------------------------


class PortNode(RunningNode):
    """A `RunningNode` started with extra `hallway node` arguments (such as ``--port P``)."""

    def __init__(self, *args: Any, extra: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra = extra

    def start(self, timeout: float = 20.0) -> RunningNode:
        argv = [
            sys.executable, "-m", "hallway", "--home", str(self.home), "node",
            "--name", self.name, *self.office_args, "--interface", self.host.address,
            *self.extra, "--json",
        ]  # fmt: skip
        self.started_at = time.time()
        self.proc = self.host.popen(
            argv, env=node_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.proc.stdout is not None
        self.events = EventStream(self.proc.stdout, label=self.name)
        try:
            self.ready = self.events.wait_for(lambda e: e["type"] == "ready", timeout)
        except TimeoutError:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                f"{self.name} did not start ({' '.join(self.extra)}): {self.stderr()}"
            ) from None
        return self


def node_with(office: Office, name: str, extra: list[str], *, host: Host) -> PortNode:
    """Start a node on `host` with extra `hallway node` arguments; the office cleans it up."""
    node = PortNode(
        host, office.tmp / f"home-{name}-{len(office.nodes)}", name, office.office_args(),
        extra=extra,
    )  # fmt: skip
    office.nodes.append(node)
    node.start()
    return node


def control(node: RunningNode) -> ControlClient:
    """A client for the node's control socket (a file in its home: reachable from any netns)."""
    return ControlClient(control_socket_path(node.home), timeout=30.0)


def events_of(node: RunningNode) -> list[Event]:
    assert node.events is not None
    return node.events.snapshot()


def all_meet(nodes: Iterable[RunningNode], timeout: float = 20.0) -> None:
    """Wait until every node has seen every other one come online."""
    nodes = list(nodes)
    for node in nodes:
        for other in nodes:
            if other is not node:
                node.wait(
                    lambda e, o=other: e["type"] == "peer_online" and e["peer"] == o.id, timeout
                )


def wait_keys(
    node: RunningNode,
    predicate: Callable[[Event], bool],
    key: Callable[[Event], Any],
    expected: Iterable[Any],
    timeout: float,
    *,
    start: int = 0,
) -> set[Any]:
    """Wait until events matching `predicate` (from index `start`) cover every `expected` key.

    Returns the keys seen. On timeout, fails with what is still missing.
    """
    want = set(expected)
    seen: set[Any] = set()

    def covered(event: Event) -> bool:
        if predicate(event):
            seen.add(key(event))
        return want <= seen

    assert node.events is not None
    if want:
        try:
            node.events.wait_for(covered, timeout, start=start)
        except TimeoutError as exc:
            missing = sorted(want - seen, key=str)
            raise AssertionError(
                f"{node.name}: {len(missing)} of {len(want)} expected items missing after "
                f"{timeout:g} s, e.g. {missing[:5]}\n{exc}"
            ) from None
    return seen


def feed(node: RunningNode, limit: int = 1000) -> list[dict[str, Any]]:
    """`hallway feed --json` of a node."""
    return list(json.loads(node.cli("feed", "--json", "--limit", str(limit)).stdout))


def feed_posts(node: RunningNode, limit: int = 1000) -> dict[str, dict[str, Any]]:
    """The posts of a node's feed, by id; fails if an id is listed twice."""
    posts = [item for item in feed(node, limit) if item["type"] == "post"]
    by_id = {item["id"]: item for item in posts}
    assert len(by_id) == len(posts), f"{node.name}: a post is listed twice in the feed"
    return by_id


def peers(node: RunningNode) -> dict[str, dict[str, Any]]:
    """`hallway peers --json` of a node, by peer id."""
    return {p["id"]: p for p in json.loads(node.cli("peers", "--json").stdout)}


def post_events(node: RunningNode, *, start: int = 0) -> list[Event]:
    return [e for e in events_of(node)[start:] if e.get("type") == "post"]


def assert_no_duplicate_posts(node: RunningNode) -> None:
    """No post was announced twice by this node (as it happened, from a snapshot, or replayed)."""
    ids = [e["id"] for e in post_events(node)]
    repeats = sorted({i for i in ids if ids.count(i) > 1}) if len(set(ids)) != len(ids) else []
    assert not repeats, f"{node.name}: posts announced more than once: {repeats[:5]}"


def post_quickly(
    node: RunningNode, texts: Iterable[str], *, threads: int = 4
) -> list[dict[str, Any]]:
    """Post each text through the node's control socket: one request per post, no CLI start-up.

    Requests go out on a few threads at once (the node orders them on its engine thread), so the
    posts' order is the order of their replies' sequence numbers, not of `texts`. Returns the
    replies (each has the post's ``id``) sorted by that order: oldest first.
    """
    client = control(node)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        replies = list(pool.map(lambda text: client.request("post", text=text), texts))
    return sorted(replies, key=lambda reply: int(reply["id"].rsplit(":", 1)[1]))


def set_status_quickly(node: RunningNode, presence: str, text: str) -> dict[str, Any]:
    reply: dict[str, Any] = control(node).request("status_set", presence=presence, text=text)
    return reply


@contextlib.contextmanager
def stopped(node: RunningNode) -> Any:
    """SIGSTOP the node's process for the block: it neither reads its sockets nor runs timers."""
    import signal

    node.send(signal.SIGSTOP)
    try:
        yield node
    finally:
        node.send(signal.SIGCONT)

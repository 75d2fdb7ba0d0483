"""ZeroMQ sockets with Hallway's options: CURVE, bounded queues, no lingering, capped backoff."""

from __future__ import annotations

import contextlib
import resource
import secrets
from typing import Final

import zmq

from hallway.core.model import FRAME_MAX, LIVENESS_PING, LIVENESS_TIMEOUT
from hallway.net.poller import TrackingContext

HANDSHAKE_IVL_MS: Final = 3000
RECONNECT_IVL_MS: Final = 100
# A DEALER carries only HELLO and snapshot requests, which wait in its queue for a reconnect; a
# slower one means records naming a dead or hostile address cannot make us hammer it.
DEALER_RECONNECT_IVL_MS: Final = 1000
RECONNECT_IVL_MAX_MS: Final = 2000
PUB_SNDHWM: Final = 2000
PEER_SNDHWM: Final = 200
CONNECT_TIMEOUT_MS: Final = 2000
# What one link costs (measured with two linked nodes in one process: 16 descriptors): our
# DEALER, SUB and the two ends of the SUB's monitor are four zmq sockets, each with a mailbox
# descriptor; our two connections and the peer's two to us (its DEALER to our ROUTER, its SUB to
# our PUB) are four more.
SOCKETS_PER_LINK: Final = 4
FDS_PER_LINK: Final = 8
FIXED_SOCKETS: Final = 16  # ROUTER, PUB, ZAP handler, the gate's monitor pair, with room
FIXED_FDS: Final = 256  # database, zeroconf, the control socket, pipes, libzmq's own, with room


def open_context(max_links: int, reserve: int) -> tuple[zmq.Context[zmq.Socket[bytes]], int]:
    """A context, and a process descriptor limit, with room for `max_links` links and `reserve`
    other connections; fewer links when the hard descriptor limit is too low for that many.

    Returns the context and the number of links it has room for. zmq's default of 1,023 sockets
    and a desktop's soft limit of 1,024 descriptors are both far below what `max_links` needs.
    """
    limit = raise_fd_limit(FIXED_FDS + reserve + max_links * FDS_PER_LINK)
    links = max(1, min(max_links, (limit - FIXED_FDS - reserve) // FDS_PER_LINK))
    # Its sockets tell the engine's poller which of them to ask again (net/poller.py).
    ctx: zmq.Context[zmq.Socket[bytes]] = TrackingContext()
    ctx.set(zmq.MAX_SOCKETS, FIXED_SOCKETS + links * SOCKETS_PER_LINK)  # before any socket
    return ctx, links


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards `wanted`, up to the hard limit; return the result."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target <= soft:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        return soft
    return target


def _liveness(sock: zmq.Socket[bytes]) -> None:
    """The kernel keeps watch: TCP keepalive probes a connection silent for LIVENESS_PING, once
    every LIVENESS_PING, and TCP_USER_TIMEOUT (ZMQ_TCP_MAXRT) drops one on which nothing was
    acknowledged for that long, whether data waits or not. The kernel looks at each probe, so
    a timeout half a probe short of LIVENESS_PING + LIVENESS_TIMEOUT gives up at the third: a
    pulled cable is seen ~3 s later, as with ZMTP's PING and PONG, through the same socket
    monitor; but no thread of ours wakes for it. Those PINGs, encrypted, woke libzmq's I/O
    thread ~100 times a second at 25 peers (0.8 % of a core, four fifths of an idle node's
    CPU). A peer whose process is frozen while its kernel answers is left to the application
    heartbeat's silence timeout. Failed connects are retried instead of waiting for TCP."""
    probe = max(1, round(LIVENESS_PING))  # libzmq takes whole seconds
    sock.setsockopt(zmq.TCP_KEEPALIVE, 1)
    sock.setsockopt(zmq.TCP_KEEPALIVE_IDLE, probe)
    sock.setsockopt(zmq.TCP_KEEPALIVE_INTVL, probe)
    sock.setsockopt(zmq.TCP_KEEPALIVE_CNT, max(1, round(LIVENESS_TIMEOUT / LIVENESS_PING)))
    sock.setsockopt(zmq.TCP_MAXRT, round((LIVENESS_TIMEOUT + LIVENESS_PING / 2) * 1000))
    sock.setsockopt(zmq.CONNECT_TIMEOUT, CONNECT_TIMEOUT_MS)


def _common(sock: zmq.Socket[bytes]) -> None:
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.MAXMSGSIZE, FRAME_MAX)
    sock.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_IVL_MS)
    sock.setsockopt(zmq.RECONNECT_IVL, RECONNECT_IVL_MS)
    sock.setsockopt(zmq.RECONNECT_IVL_MAX, RECONNECT_IVL_MAX_MS)


def curve_server(
    ctx: zmq.Context[zmq.Socket[bytes]],
    kind: int,
    public: bytes,
    secret: bytes,
    domain: bytes,
) -> zmq.Socket[bytes]:
    """A CURVE server socket whose connections go through ZAP under `domain`."""
    sock = ctx.socket(kind)
    _common(sock)
    sock.setsockopt(zmq.CURVE_SERVER, 1)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
    sock.setsockopt(zmq.ZAP_DOMAIN, domain)
    if kind == zmq.PUB:
        sock.setsockopt(zmq.SNDHWM, PUB_SNDHWM)
    elif kind == zmq.ROUTER:
        sock.setsockopt(zmq.SNDHWM, PEER_SNDHWM)
        sock.setsockopt(zmq.SNDTIMEO, 0)
    return sock


def curve_client(
    ctx: zmq.Context[zmq.Socket[bytes]],
    kind: int,
    public: bytes,
    secret: bytes,
    server_key: bytes,
) -> zmq.Socket[bytes]:
    """A CURVE client that will only talk to the holder of `server_key`."""
    sock = ctx.socket(kind)
    _common(sock)
    sock.setsockopt(zmq.CURVE_SERVERKEY, server_key)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
    _liveness(sock)
    if kind == zmq.DEALER:
        sock.setsockopt(zmq.SNDHWM, PEER_SNDHWM)
        sock.setsockopt(zmq.SNDTIMEO, 0)
        sock.setsockopt(zmq.RECONNECT_IVL, DEALER_RECONNECT_IVL_MS)
    return sock


def one_shot_client(
    ctx: zmq.Context[zmq.Socket[bytes]],
    public: bytes,
    secret: bytes,
    server_key: bytes,
    connect_timeout_ms: int,
) -> zmq.Socket[bytes]:
    """A CURVE DEALER that connects once and never again: whoever uses it retries on its own
    schedule (a seed that does not answer must not be hammered every second by libzmq)."""
    sock = ctx.socket(zmq.DEALER)
    _common(sock)
    sock.setsockopt(zmq.RECONNECT_IVL, -1)
    sock.setsockopt(zmq.CONNECT_TIMEOUT, connect_timeout_ms)
    sock.setsockopt(zmq.SNDTIMEO, 0)
    sock.setsockopt(zmq.CURVE_SERVERKEY, server_key)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
    return sock


BIND_TRIES: Final = 32
# Random bases below Linux's ephemeral range (32768-60999), where outgoing connections take
# theirs: three consecutive free ports are then found at once.
_PORT_LOW: Final = 20000
_PORT_HIGH: Final = 32768


def bind_consecutive(
    socks: list[zmq.Socket[bytes]], addresses: tuple[str, ...], port: int = 0
) -> int:
    """Bind `socks` on every address at `port`, `port` + 1, ... (the ROUTER, the PUB and the
    rendezvous: a peer needs to be told only the first). With `port` 0, a free base is looked
    for among random ones. Returns the base; zmq.ZMQError when it cannot bind."""
    if port:
        _bind_run(socks, addresses, port)
        return port
    error: zmq.ZMQError | None = None
    for _ in range(BIND_TRIES):
        base = _PORT_LOW + secrets.randbelow(_PORT_HIGH - _PORT_LOW - len(socks))
        try:
            _bind_run(socks, addresses, base)
        except zmq.ZMQError as exc:
            error = exc
            continue
        return base
    assert error is not None
    raise error


def _bind_run(socks: list[zmq.Socket[bytes]], addresses: tuple[str, ...], base: int) -> None:
    """Bind all or nothing."""
    done: list[tuple[zmq.Socket[bytes], str]] = []
    try:
        for offset, sock in enumerate(socks):
            for address in addresses:
                sock.bind(endpoint(address, base + offset))
                done.append((sock, endpoint(address, base + offset)))
    except zmq.ZMQError:
        for sock, where in done:
            with contextlib.suppress(zmq.ZMQError):
                sock.unbind(where)
        raise


def bind_all(sock: zmq.Socket[bytes], addresses: tuple[str, ...], port: int = 0) -> int:
    """Bind on every address with one port (a free one when `port` is 0); return the port."""
    first, *rest = addresses
    if port:
        sock.bind(f"tcp://{first}:{port}")
    else:
        port = sock.bind_to_random_port(f"tcp://{first}")
    for address in rest:
        sock.bind(f"tcp://{address}:{port}")
    return port


def bind_more(sock: zmq.Socket[bytes], addresses: list[str], port: int) -> dict[str, str]:
    """Bind on more addresses with the port the socket already has; what failed, and why."""
    failed: dict[str, str] = {}
    for address in addresses:
        try:
            sock.bind(endpoint(address, port))
        except zmq.ZMQError as exc:  # the port is taken on that address, or it just went
            failed[address] = str(exc)
    return failed


def unbind_from(sock: zmq.Socket[bytes], addresses: list[str], port: int) -> None:
    """Stop listening on addresses that are gone (or could not be bound on every socket)."""
    for address in addresses:
        with contextlib.suppress(zmq.ZMQError):  # never bound there, or already unbound
            sock.unbind(endpoint(address, port))


def endpoint(address: str, port: int) -> str:
    return f"tcp://{address}:{port}"

"""Seeds: colleagues on other networks, given as HOST[:PORT], and how often they are tried.

mDNS does not cross a router, so a node may be given seeds (`--peer`, the `peers` list of
config.toml, Settings; parsed in `hallway.core.seeds`). A seed is asked on the office's
rendezvous socket, at its ROUTER port + 2, whose CURVE keypair every member derives from the
office key (`rendezvous_keys`): only a member can complete that handshake, so an outsider given
the address learns nothing. A try is one DEALER connection with no reconnects
(`rendezvous_client`); the engine's timer makes the next one, with `core.seeds.Backoff`. Names
are resolved on a short-lived thread (`resolve`), never on the engine's.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Final

import zmq

from hallway.core import z85
from hallway.core.office import Office
from hallway.core.seeds import RENDEZVOUS_OFFSET
from hallway.net.errors import NetError
from hallway.net.sockets import one_shot_client

__all__ = ["SEED_TIMEOUT", "rendezvous_client", "rendezvous_keys", "resolve"]

SEED_TIMEOUT: Final = 3.0  # a try with no answer by then failed (a LAN answers in ms)
SEED_CONNECT_TIMEOUT_MS: Final = 3000


def rendezvous_keys(office: Office) -> tuple[bytes, bytes]:
    """The office rendezvous's CURVE keypair (Z85 public, Z85 secret), alike for every member:
    any 32 bytes are a Curve25519 secret key."""
    secret = z85.encode(office.rendezvous_secret())
    return zmq.curve_public(secret), secret


def rendezvous_client(
    ctx: zmq.Context[zmq.Socket[bytes]],
    *,
    own_public: bytes,
    own_secret: bytes,
    office: Office,
    address: str,
    router_port: int,
) -> zmq.Socket[bytes]:
    """A one-shot DEALER to a seed's rendezvous: it never reconnects (a dead seed is tried
    again by the engine's timer, with back-off, never by libzmq every second)."""
    public = rendezvous_keys(office)[0]
    sock = one_shot_client(ctx, own_public, own_secret, public, SEED_CONNECT_TIMEOUT_MS)
    # The handshake may take longer than the try: a listener that accepts and says nothing
    # is then "no answer" (SEED_TIMEOUT), while a CURVE server refusing the office's key fails
    # within milliseconds, "another office".
    sock.setsockopt(zmq.HANDSHAKE_IVL, int(2 * SEED_TIMEOUT * 1000))
    try:
        sock.connect(f"tcp://{address}:{router_port + RENDEZVOUS_OFFSET}")
    except zmq.ZMQError:
        sock.close(linger=0)
        raise
    return sock


def resolve(host: str) -> list[str]:
    """The IPv4 addresses of `host` (itself when it is one). Blocks: call it off the engine
    thread. NetError when the name does not resolve."""
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return [host]
    try:
        infos = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise NetError(f"cannot resolve {host}: {exc}") from exc
    found: dict[str, None] = {}
    for *_, sockaddr in infos:
        found.setdefault(str(sockaddr[0]))
    if not found:
        raise NetError(f"{host} has no IPv4 address")
    return list(found)

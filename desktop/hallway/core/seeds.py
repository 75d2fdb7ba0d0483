"""Seeds: colleagues on other networks, given as HOST[:PORT], and how often they are tried.

Pure: parsing (for the command line, config.toml and Settings alike) and the back-off. The
sockets and name resolution are `hallway.net.seeds`'.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final

import msgspec

from hallway.core.errors import HallwayError

__all__ = [
    "BACKOFF_FIRST",
    "BACKOFF_MAX",
    "RENDEZVOUS_OFFSET",
    "SEEDS_MAX",
    "Backoff",
    "Seed",
    "SeedError",
    "parse_seed",
    "parse_seeds",
]

#: The rendezvous listens at the ROUTER's port + 2 (the PUB is at + 1): a seed is one port.
RENDEZVOUS_OFFSET: Final = 2
BACKOFF_FIRST: Final = 2.0
BACKOFF_MAX: Final = 60.0  # "at most one try a minute once it has given up for now"
SEEDS_MAX: Final = 64
_HOST_MAX: Final = 253
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


class SeedError(HallwayError, ValueError):
    """A seed that is not HOST[:PORT]; the message is for people."""


class Seed(msgspec.Struct, frozen=True):
    """A seed as given. `port` 0: the office's well-known port (this node's `--port`)."""

    host: str
    port: int = 0

    def text(self, default_port: int = 0) -> str:
        port = self.port or default_port
        return f"{self.host}:{port}" if port else self.host

    def router_port(self, default_port: int) -> int:
        return self.port or default_port


def parse_seed(text: str) -> Seed:
    """HOST[:PORT]: an IPv4 address or a host name, and the seed's ROUTER port. SeedError with a
    message for people when it is not one."""
    raw = text.strip()
    if not raw:
        raise SeedError("a seed is HOST or HOST:PORT; this one is empty")
    host, sep, port_text = raw.rpartition(":")
    if not sep:
        host, port_text = raw, ""
    elif not port_text.isdigit():
        raise SeedError(f"seed {raw!r}: the port after ':' must be a number")
    port = int(port_text) if port_text else 0
    # The rendezvous is at PORT + 2, so the ROUTER's port leaves room for it.
    if port_text and not 1 <= port <= 65535 - RENDEZVOUS_OFFSET:
        raise SeedError(f"seed {raw!r}: the port must be from 1 to {65535 - RENDEZVOUS_OFFSET}")
    if not _valid_host(host):
        raise SeedError(f"seed {raw!r}: {host!r} is neither an IPv4 address nor a host name")
    return Seed(host=host.lower(), port=port)


def parse_seeds(texts: list[str] | tuple[str, ...]) -> tuple[Seed, ...]:
    """Several seeds, once each, in order; SeedError for the first that is not one."""
    seeds: dict[Seed, None] = {}
    for text in texts:
        seeds.setdefault(parse_seed(text))
    if len(seeds) > SEEDS_MAX:
        raise SeedError(f"at most {SEEDS_MAX} seeds; one of the office's members is enough")
    return tuple(seeds)


def _valid_host(host: str) -> bool:
    if not host or len(host) > _HOST_MAX:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return address.version == 4 and not address.is_unspecified and not address.is_multicast
    if host.replace(".", "").isdigit():
        return False  # digits and dots that are no address: a typo, not a name
    return all(_LABEL.fullmatch(label) for label in host.rstrip(".").split("."))


class Backoff:
    """The delay before a seed's next try: 2, 4, 8... seconds, then one a minute; reset when
    the seed answers. Pure (the engine's clock decides when)."""

    def __init__(self, first: float = BACKOFF_FIRST, most: float = BACKOFF_MAX) -> None:
        self.first = first
        self.most = most
        self.failures = 0

    def failed(self) -> float:
        """A try failed: the delay until the next one."""
        self.failures += 1
        return self.delay()

    def delay(self) -> float:
        if not self.failures:
            return 0.0
        return float(min(self.most, self.first * 2 ** min(self.failures - 1, 16)))

    def reset(self) -> None:
        self.failures = 0

    @property
    def given_up(self) -> bool:
        """Whether tries are now a minute apart: the node says so, once."""
        return self.delay() >= self.most

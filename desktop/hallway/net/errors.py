"""The exception base of the network adapters."""

from __future__ import annotations

from hallway.core.errors import HallwayError


class NetError(HallwayError):
    """A network adapter could not do its job (no interface, a socket that would not bind...)."""

"""Adapters around the outside world: mDNS discovery, interface selection (and ZeroMQ).

The names below are loaded when first used (PEP 562), as in `hallway.store`: a client that needs
only `net.networks` (`hallway status` counts networks) does not pay for zeroconf and asyncio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hallway.core.lazy import lazy_names

if TYPE_CHECKING:
    from hallway.net.discovery import Discovery, Found
    from hallway.net.errors import NetError
    from hallway.net.interfaces import list_ipv4, resolve_interfaces

_WHERE = {
    "Discovery": "discovery",
    "Found": "discovery",
    "NetError": "errors",
    "list_ipv4": "interfaces",
    "resolve_interfaces": "interfaces",
}

__all__ = ["Discovery", "Found", "NetError", "list_ipv4", "resolve_interfaces"]

__getattr__ = lazy_names(__name__, _WHERE)

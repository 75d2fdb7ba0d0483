"""Adapters around the outside world: mDNS discovery, interface selection (and ZeroMQ)."""

from hallway.net.discovery import Discovery, Found
from hallway.net.errors import NetError
from hallway.net.interfaces import list_ipv4, resolve_interfaces

__all__ = ["Discovery", "Found", "NetError", "list_ipv4", "resolve_interfaces"]

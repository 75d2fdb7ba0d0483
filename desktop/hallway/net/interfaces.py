"""Which local IPv4 addresses Hallway announces and listens on (`--interface`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import ifaddr

from hallway.net.errors import NetError

__all__ = ["list_interface_names", "list_ipv4", "resolve_interfaces"]

NO_INTERFACE = "no network interface found; use --interface 127.0.0.1 for a local-only office"


def _adapters() -> Sequence[ifaddr.Adapter]:
    """The machine's adapters. A seam for the unit tests, which replace it."""
    return list(ifaddr.get_adapters())


def _ipv4_of(adapter: ifaddr.Adapter) -> list[str]:
    # ifaddr gives IPv4 addresses as str and IPv6 ones as (address, flowinfo, scope_id) tuples.
    return [ip.ip for ip in adapter.ips if isinstance(ip.ip, str)]


def _is_loopback(address: str) -> bool:
    return ipaddress.IPv4Address(address).is_loopback


def list_ipv4(include_loopback: bool = False) -> list[str]:
    """Every IPv4 address of this machine, once each, in adapter order."""
    seen: dict[str, None] = {}
    for adapter in _adapters():
        for address in _ipv4_of(adapter):
            if include_loopback or not _is_loopback(address):
                seen.setdefault(address)
    return list(seen)


def list_interface_names(include_loopback: bool = False) -> list[str]:
    """The names of the interfaces that have an IPv4 address (what `--interface` accepts)."""
    names: dict[str, None] = {}
    for adapter in _adapters():
        addresses = _ipv4_of(adapter)
        if any(include_loopback or not _is_loopback(address) for address in addresses):
            names.setdefault(adapter.name)
    return list(names)


def resolve_interfaces(arg: str | None) -> tuple[str, ...]:
    """Turn the `--interface` option into the IPv4 addresses to bind and announce.

    - None: every non-loopback IPv4 address; NetError when there is none.
    - An IPv4 address: it must belong to this machine. Loopback is allowed here, because it was
      asked for by name: that is how a local-only office (and the demo) runs.
    - An interface name such as ``eth0``: its IPv4 addresses.
    - Several of these, separated by commas.
    """
    if arg is None:
        found = list_ipv4()
        if not found:
            raise NetError(NO_INTERFACE)
        return tuple(found)
    items = [item.strip() for item in arg.split(",")]
    if not all(items):
        raise NetError(f"--interface {arg!r} has an empty entry")
    resolved: dict[str, None] = {}
    for item in items:
        for address in _resolve_one(item):
            resolved.setdefault(address)
    return tuple(resolved)


def _resolve_one(item: str) -> list[str]:
    try:
        parsed = ipaddress.ip_address(item)
    except ValueError:
        return _addresses_of_interface(item)
    if parsed.version != 4:
        raise NetError(f"{item} is an IPv6 address; Hallway announces over IPv4 only")
    address = str(parsed)
    if address not in list_ipv4(include_loopback=True):
        raise NetError(
            f"{address} is not an address of this machine; "
            f"its IPv4 addresses are: {_describe(list_ipv4(include_loopback=True))}"
        )
    return [address]


def _addresses_of_interface(name: str) -> list[str]:
    adapters = _adapters()
    for adapter in adapters:
        if name in (adapter.name, adapter.nice_name):
            addresses = list(dict.fromkeys(_ipv4_of(adapter)))
            if not addresses:
                raise NetError(f"interface {name!r} has no IPv4 address")
            return addresses
    names = sorted({adapter.name for adapter in adapters})
    raise NetError(
        f"{name!r} is neither an IPv4 address nor a network interface of this machine; "
        f"its interfaces are: {_describe(names)}"
    )


def _describe(items: Sequence[str]) -> str:
    return ", ".join(items) if items else "(none)"

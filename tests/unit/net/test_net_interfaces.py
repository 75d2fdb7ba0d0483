"""Interface selection (`--interface`) against a fake list of adapters: no traffic."""

from __future__ import annotations

import ifaddr
import pytest

from hallway.net import NetError, list_ipv4, resolve_interfaces
from hallway.net import interfaces as interfaces_module
from hallway.net.interfaces import list_interface_names


def _adapter(name: str, *ips: str | tuple[str, int, int]) -> ifaddr.Adapter:
    return ifaddr.Adapter(name, name, [ifaddr.IP(ip, 24, name) for ip in ips])


LO = _adapter("lo", "127.0.0.1", ("::1", 0, 0))
ETH0 = _adapter("eth0", "192.0.2.2", ("fe80::1", 0, 2))
WLAN0 = _adapter("wlan0", "198.51.100.7", "198.51.100.8")
DOWN = _adapter("tun0", ("fd00::5", 0, 0))


@pytest.fixture
def adapters(monkeypatch: pytest.MonkeyPatch) -> list[ifaddr.Adapter]:
    fake = [LO, ETH0, WLAN0, DOWN]
    monkeypatch.setattr(interfaces_module, "_adapters", lambda: fake)
    return fake


def test_list_ipv4_skips_loopback_and_ipv6(adapters: list[ifaddr.Adapter]) -> None:
    assert list_ipv4() == ["192.0.2.2", "198.51.100.7", "198.51.100.8"]


def test_list_ipv4_with_loopback(adapters: list[ifaddr.Adapter]) -> None:
    assert list_ipv4(include_loopback=True)[0] == "127.0.0.1"


def test_list_ipv4_deduplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    twice = [_adapter("eth0", "192.0.2.2"), _adapter("eth0:1", "192.0.2.2")]
    monkeypatch.setattr(interfaces_module, "_adapters", lambda: twice)
    assert list_ipv4() == ["192.0.2.2"]


def test_default_is_every_non_loopback_address(adapters: list[ifaddr.Adapter]) -> None:
    assert resolve_interfaces(None) == ("192.0.2.2", "198.51.100.7", "198.51.100.8")


def test_default_without_a_network_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(interfaces_module, "_adapters", lambda: [LO, DOWN])
    with pytest.raises(NetError, match=r"no network interface found.*--interface 127\.0\.0\.1"):
        resolve_interfaces(None)


def test_an_own_address(adapters: list[ifaddr.Adapter]) -> None:
    assert resolve_interfaces("198.51.100.8") == ("198.51.100.8",)


def test_loopback_when_asked_for(adapters: list[ifaddr.Adapter]) -> None:
    assert resolve_interfaces("127.0.0.1") == ("127.0.0.1",)


def test_a_foreign_address_is_refused(adapters: list[ifaddr.Adapter]) -> None:
    with pytest.raises(
        NetError,
        match=r"203\.0\.113\.9 is not an address of this machine.*"
        r"192\.0\.2\.2",
    ):
        resolve_interfaces("203.0.113.9")


def test_ipv6_is_refused(adapters: list[ifaddr.Adapter]) -> None:
    with pytest.raises(NetError, match="IPv6"):
        resolve_interfaces("fe80::1")


def test_an_interface_name(adapters: list[ifaddr.Adapter]) -> None:
    assert resolve_interfaces("wlan0") == ("198.51.100.7", "198.51.100.8")
    assert resolve_interfaces("lo") == ("127.0.0.1",)


def test_an_interface_without_ipv4(adapters: list[ifaddr.Adapter]) -> None:
    with pytest.raises(NetError, match="'tun0' has no IPv4 address"):
        resolve_interfaces("tun0")


def test_an_unknown_name_lists_the_interfaces(adapters: list[ifaddr.Adapter]) -> None:
    with pytest.raises(NetError, match=r"'eth9' is neither.*eth0, lo, tun0, wlan0"):
        resolve_interfaces("eth9")


def test_a_list_of_addresses_and_names(adapters: list[ifaddr.Adapter]) -> None:
    assert resolve_interfaces("eth0, 127.0.0.1,192.0.2.2") == ("192.0.2.2", "127.0.0.1")


@pytest.mark.parametrize("arg", ["", "eth0,", " , "])
def test_empty_entries_are_refused(adapters: list[ifaddr.Adapter], arg: str) -> None:
    with pytest.raises(NetError, match="empty entry"):
        resolve_interfaces(arg)


def test_the_real_machine_lists_without_error() -> None:
    # Reads the kernel's interface table; sends nothing.
    assert all(address.count(".") == 3 for address in list_ipv4(include_loopback=True))


def test_interface_names_have_an_ipv4_address(adapters: list[ifaddr.Adapter]) -> None:
    assert list_interface_names() == ["eth0", "wlan0"]
    assert list_interface_names(include_loopback=True) == ["lo", "eth0", "wlan0"]

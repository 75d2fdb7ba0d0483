"""The network watches (hallway/net/netwatch.py): rtnetlink messages, built by hand and captured
from a real kernel, and logind's PrepareForSleep signal from a fake system bus."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from jeepney import DBusAddress, HeaderFields, new_signal

from hallway.net import netwatch
from hallway.net.netwatch import (
    IFF_LOOPBACK,
    IFF_RUNNING,
    IFF_UP,
    LOGIND_MANAGER,
    LOGIND_PATH,
    RTM_DELADDR,
    RTM_NEWADDR,
    RTM_NEWLINK,
    AddressWatch,
    NetChange,
    SleepWatch,
    parse_rtnetlink,
)
from tests.support.netlab import require_netns

# rtnetlink, as <linux/rtnetlink.h> lays it out -------------------------------------------------


def _message(kind: int, body: bytes) -> bytes:
    length = 16 + len(body)
    padded = body + b"\0" * (-length % 4)
    return struct.pack("=IHHII", length, kind, 0, 0, 0) + padded


def _attr(kind: int, value: bytes) -> bytes:
    length = 4 + len(value)
    return struct.pack("=HH", length, kind) + value + b"\0" * (-length % 4)


def address_message(kind: int, address: str, index: int = 2, *, label: bytes = b"eth0") -> bytes:
    raw = socket.inet_aton(address)
    ifaddr = struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, index)
    attrs = _attr(1, raw) + _attr(2, raw) + _attr(3, label + b"\0")  # ADDRESS, LOCAL, LABEL
    return _message(kind, ifaddr + attrs)


def link_message(index: int, flags: int) -> bytes:
    ifinfo = struct.pack("=BxHiII", socket.AF_UNSPEC, 1, index, flags, 0xFFFFFFFF)
    return _message(RTM_NEWLINK, ifinfo + _attr(3, b"eth0\0"))  # IFLA_IFNAME


RUNNING = IFF_UP | IFF_RUNNING


def test_address_messages_are_parsed() -> None:
    data = address_message(RTM_NEWADDR, "198.18.0.7") + address_message(
        RTM_DELADDR, "198.18.0.3", index=5
    )
    assert parse_rtnetlink(data) == [
        NetChange("address_added", 2, "198.18.0.7"),
        NetChange("address_removed", 5, "198.18.0.3"),
    ]


def test_loopback_and_link_messages_are_parsed() -> None:
    data = (
        address_message(RTM_NEWADDR, "127.0.0.1", index=1, label=b"lo")
        + link_message(1, RUNNING | IFF_LOOPBACK)
        + link_message(2, IFF_UP)  # up, but no carrier
        + link_message(2, RUNNING)
    )
    assert parse_rtnetlink(data) == [
        NetChange("address_added", 1, "127.0.0.1", loopback=True),
        NetChange("link_up", 1, loopback=True),
        NetChange("link_down", 2),
        NetChange("link_up", 2),
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01\x02",
        address_message(RTM_NEWADDR, "198.18.0.7")[:-6],  # cut short
        struct.pack("=IHHII", 8, RTM_NEWADDR, 0, 0, 0),  # a length below the header's
        _message(
            RTM_NEWADDR,
            struct.pack("=BBBBI", socket.AF_INET, 24, 0, 0, 2) + struct.pack("=HH", 200, 2),
        ),
        _message(
            RTM_NEWADDR,
            struct.pack("=BBBBI", socket.AF_INET6, 64, 0, 0, 2)
            + _attr(1, b"\xfe\x80" + b"\0" * 14),
        ),
    ],
)
def test_malformed_or_foreign_messages_are_skipped_without_raising(data: bytes) -> None:
    assert parse_rtnetlink(data) == []


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    yield ours, theirs
    theirs.close()


def test_the_address_watch_counts_addresses_and_carrier_coming_back(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, kernel = pair
    watch = AddressWatch(ours)
    try:
        assert not watch.read()
        kernel.send(address_message(RTM_NEWADDR, "127.0.0.2", index=1))
        assert not watch.read()  # loopback: never announced
        kernel.send(link_message(2, RUNNING))
        assert not watch.read()  # first heard of as running: nothing came back
        kernel.send(link_message(2, IFF_UP))
        assert not watch.read()  # the carrier went: the peers' heartbeats notice that
        kernel.send(link_message(2, RUNNING))
        kernel.send(link_message(2, RUNNING))  # the same flags again
        assert watch.read()  # both read at once: one change
        kernel.send(link_message(2, RUNNING))
        assert not watch.read()
        kernel.send(address_message(RTM_DELADDR, "198.18.0.2"))
        assert watch.read()
        kernel.send(_message(netwatch.NLMSG_OVERRUN, b""))
        assert watch.read()  # messages were lost: anything may have changed
    finally:
        watch.close()


_CAPTURE = textwrap.dedent(
    """
    import select, subprocess, sys
    from hallway.net.netwatch import AddressWatch
    watch = AddressWatch.open()
    assert watch is not None
    subprocess.run(
        "ip link add w0 type veth peer name w1 && ip link set w1 up && ip link set w0 up"
        " && ip addr add 198.18.9.1/24 dev w0 && ip addr add 198.18.10.2/24 dev w0"
        " && ip addr del 198.18.9.1/24 dev w0",
        shell=True, check=True,
    )
    while select.select([watch.fileno()], [], [], 0.5)[0]:
        sys.stdout.write(watch._sock.recv(65536).hex() + "\\n")
    """
)


def test_real_kernel_messages_are_read() -> None:
    """What a kernel sends when a link comes up and addresses come and go, captured in a
    network namespace of its own (so no interface of this test run changes)."""
    require_netns()
    done = subprocess.run(
        ["unshare", "--net", "--", sys.executable, "-c", _CAPTURE],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    changes = [c for line in done.stdout.split() for c in parse_rtnetlink(bytes.fromhex(line))]
    addresses = [(c.kind, c.address) for c in changes if c.address]
    assert addresses == [
        ("address_added", "198.18.9.1"),
        ("address_added", "198.18.10.2"),
        ("address_removed", "198.18.9.1"),
    ]
    w0 = {c.index for c in changes if c.address}
    assert [c.kind for c in changes if c.index in w0 and not c.address][-1] == "link_up"


# logind -----------------------------------------------------------------------------------------


def sleep_signal(going: bool, *, to: str | None = None, serial: int = 1) -> bytes:
    message = new_signal(
        DBusAddress(LOGIND_PATH, interface=LOGIND_MANAGER), "PrepareForSleep", "b", (going,)
    )
    if to is not None:
        message.header.fields[HeaderFields.destination] = to
    data: bytes = message.serialise(serial=serial)
    return data


@pytest.fixture
def bus() -> Iterator[tuple[SleepWatch, socket.socket]]:
    ours, theirs = socket.socketpair()
    watch = SleepWatch(ours)
    yield watch, theirs
    watch.close()
    theirs.close()


def test_prepare_for_sleep_is_read_as_it_comes(bus: tuple[SleepWatch, socket.socket]) -> None:
    watch, logind = bus
    assert watch.read() == []
    logind.sendall(sleep_signal(True, serial=1) + sleep_signal(False, serial=2))
    assert watch.read() == [True, False]
    assert not watch.closed


def test_a_signal_split_across_reads_is_read_once_whole(
    bus: tuple[SleepWatch, socket.socket],
) -> None:
    watch, logind = bus
    data = sleep_signal(False)
    logind.sendall(data[:10])
    assert watch.read() == []
    logind.sendall(data[10:])
    assert watch.read() == [False]


def test_other_messages_and_signals_sent_to_us_alone_are_ignored(
    bus: tuple[SleepWatch, socket.socket],
) -> None:
    watch, logind = bus
    other = new_signal(DBusAddress(LOGIND_PATH, interface=LOGIND_MANAGER), "PrepareForShutdown",
                       "b", (True,))  # fmt: skip
    # Anyone on the system bus can send a signal to our unique name; logind broadcasts.
    logind.sendall(other.serialise(serial=1) + sleep_signal(False, to=":1.42", serial=2))
    assert watch.read() == []


def test_a_closed_or_broken_bus_marks_the_watch_closed(
    bus: tuple[SleepWatch, socket.socket],
) -> None:
    watch, logind = bus
    logind.sendall(sleep_signal(False))
    logind.close()
    assert watch.read() == [False]
    assert watch.closed
    ours, theirs = socket.socketpair()
    broken = SleepWatch(ours)
    theirs.sendall(b"X" * 64)  # not D-Bus
    assert broken.read() == []
    assert broken.closed
    broken.close()
    theirs.close()


def test_no_system_bus_is_skipped_quietly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-such-socket")
    caplog.set_level("DEBUG", logger="hallway.net.netwatch")
    assert SleepWatch.connect(timeout=0.5) is None
    assert [r.levelname for r in caplog.records] == ["DEBUG"]


def test_without_a_system_bus_jeepney_is_not_imported(tmp_path: Path) -> None:
    """No DBUS_SYSTEM_BUS_ADDRESS and no socket where the system bus would be (a container, a
    server without D-Bus): nothing to connect to, so nothing is loaded to try (a fresh
    interpreter: this one has jeepney loaded by the tests above)."""
    code = (
        "import logging, sys\n"
        "from hallway.net import netwatch\n"
        f"netwatch.SYSTEM_BUS_SOCKET = {str(tmp_path / 'no-such-socket')!r}\n"
        "logging.basicConfig(level=logging.DEBUG, format='%(message)s')\n"
        "assert netwatch.SleepWatch.connect(timeout=0.5) is None\n"
        "print(sorted(name for name in sys.modules if name.startswith('jeepney')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SYSTEM_BUS_ADDRESS"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"
    assert "no system bus" in done.stderr

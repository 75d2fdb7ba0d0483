"""`status_get` carries "N online across M networks", counted by the node (issue 13)."""

from __future__ import annotations

from pathlib import Path

import msgspec

from hallway.control import ControlClient, ControlServer
from hallway.control.office import OFFICE_ONLINE
from hallway.engine.events import PeerView
from tests.unit.control.fake_node import FakeNode


class _OfficeNode(FakeNode):
    """Ben online on another network, Cy online on ours (127.0.0.0/8, lo's), Dee offline."""

    def peers(self) -> list[PeerView]:
        mine, ben = super().peers()
        ben = msgspec.structs.replace(ben, online=True, address="10.9.8.7")
        cy = msgspec.structs.replace(ben, id="c" * 32, name="Cy", address="127.0.0.9")
        dee = msgspec.structs.replace(
            ben, id="d" * 32, name="Dee", online=False, address="192.0.2.1"
        )
        return [mine, ben, cy, dee]


def test_the_status_reply_counts_who_is_online_on_how_many_networks(client: ControlClient) -> None:
    mine = client.request("status_get")
    assert mine[OFFICE_ONLINE] == {"online": 1, "networks": 1}  # Ben is offline


def test_the_count_is_the_nodes_own(short_tmp: Path) -> None:
    with ControlServer(short_tmp / "control.sock", _OfficeNode()) as server:
        mine = ControlClient(server.path, timeout=5.0).request("status_get")
    assert mine[OFFICE_ONLINE] == {"online": 3, "networks": 2}
    assert mine["own"] is True  # otherwise our own entry, as before

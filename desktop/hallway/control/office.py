"""Issue 14's "7 online across 2 networks", counted where the node's networks are known.

The node counts it for the `status_get` reply (`office_online`): there the interfaces'
prefixes come at no cost, while a client would import ifaddr for them (with ctypes.util, which
imports subprocess, shutil and tempfile: ~45 ms of `hallway status`). A client counts it itself
only for a node too old to send it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Any

__all__ = ["OFFICE_ONLINE", "office_online"]

#: The key of the counts in the `status_get` reply; `hallway status --json` leaves it out.
OFFICE_ONLINE = "office_online"


def office_online(mine: dict[str, Any], peers: list[dict[str, Any]]) -> dict[str, int]:
    """`{"online": N, "networks": M}`: who is online, ourselves included, and on how many
    networks (see net/networks.py), from the JSON forms of our own entry and of the peers."""
    from hallway.net.networks import count_networks, own_networks

    own = [a.strip() for a in str(mine.get("address", "")).split(",") if a.strip()]
    online = [str(p.get("address", "")) for p in peers if p.get("online") and not p.get("own")]
    return {"online": len(online) + 1, "networks": count_networks(own, online, own_networks(own))}

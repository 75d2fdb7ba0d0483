"""The engine: one actor thread that owns every socket and the database (see `Node`)."""

from hallway.engine.events import (
    Event,
    FeedItem,
    NodeWarning,
    PeerOffline,
    PeerOnline,
    PeerRenamed,
    PeerView,
    PostReceived,
    Ready,
    StatusChanged,
    StatusExpired,
    Stopped,
    WarningCleared,
)
from hallway.engine.node import Node, NodeConfig, NodeError

__all__ = [
    "Event",
    "FeedItem",
    "Node",
    "NodeConfig",
    "NodeError",
    "NodeWarning",
    "PeerOffline",
    "PeerOnline",
    "PeerRenamed",
    "PeerView",
    "PostReceived",
    "Ready",
    "StatusChanged",
    "StatusExpired",
    "Stopped",
    "WarningCleared",
]

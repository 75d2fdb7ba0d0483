"""The ISO 8601 times in a node's events, as seconds since the epoch (to compare with time.time)."""

from __future__ import annotations

from datetime import datetime


def epoch_seconds(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()

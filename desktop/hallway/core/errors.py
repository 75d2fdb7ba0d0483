"""The exception base for everything Hallway raises on purpose."""

from __future__ import annotations


class HallwayError(Exception):
    """Base class of Hallway's own errors. Messages are written for the person reading them."""


class DecodeError(HallwayError):
    """Bytes from outside did not decode into a valid message (malformed, oversized, wrong kind)."""


class DurationError(HallwayError, ValueError):
    """A duration or time of day could not be parsed."""


class SetupError(HallwayError):
    """The home cannot be set up or started as asked."""


class UsageError(SetupError):
    """The options given do not fit together (the CLI exits with status 2 for these).

    Here rather than in `hallway.runtime` (which re-exports both) so that a client command can
    catch it without loading what runs an instance."""

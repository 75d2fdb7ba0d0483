"""The one exception this package raises on purpose."""

from __future__ import annotations

from hallway.core.errors import HallwayError


class IdentityError(HallwayError):
    """A key, secret or passphrase could not be made, stored or read. The message is for people."""

"""Playing another local user in tests: files and processes of uid 65534 (nobody).

Changing a file's owner and dropping to another uid need root. CI runs the suite as root; a run
without root cannot perform these attacks, and says so (a failure under HALLWAY_NO_SKIPS=1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import pytest

NOBODY: Final = 65534


def require_root() -> None:
    if os.geteuid() == 0:
        return
    reason = "playing another local user (uid 65534) needs root; run the suite as root, as CI does"
    if os.environ.get("HALLWAY_NO_SKIPS") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def give_to_nobody(*paths: Path) -> None:
    """Make `paths` another user's, as if that user had made them first."""
    require_root()
    for path in paths:
        os.chown(path, NOBODY, NOBODY, follow_symlinks=False)

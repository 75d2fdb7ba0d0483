"""The desktop app: tray, popups, windows, notifications and item models.

This is the only package that imports PySide6. It talks to the engine through the public `Node`
API and its event stream only (see `hallway.ui.bridge`). Start it with `hallway.ui.app.run`.
"""

from __future__ import annotations

import sys

import PySide6  # noqa: F401 -- first, so that its import hook is tamed before anything else


def _keep_pyside_from_reading_sources() -> None:
    """Stop PySide6 from reading, and keeping, the source of every module imported after it.

    Its import hook asks of each new module whether it uses PySide (for
    `from __feature__ import snake_case`) by reading its whole source with `inspect.getsource`,
    which linecache then keeps for the life of the process: ~250 files and ~9 MB of the tray
    app's memory, for a feature Hallway does not use (docs/benchmarks.md). "No" is what every
    module without `from __feature__` gets anyway, so the answer changes nothing else. Should
    a PySide version not have the function, nothing is changed.
    """
    feature = sys.modules.get("PySide6.support.feature")
    if feature is not None and callable(getattr(feature, "_mod_uses_pyside", None)):
        vars(feature)["_mod_uses_pyside"] = _uses_no_features


def _uses_no_features(_module: object) -> bool:
    return False


_keep_pyside_from_reading_sources()

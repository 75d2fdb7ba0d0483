"""Own the X clipboard with some text, as a program a person copied from would.

The end-to-end tests put non-ASCII text (emoji) into the app by pasting it: `xdotool type` of a
character missing from the keymap remaps a spare keycode on the fly and maps it back, and a
client that reads the keymap in between gets the wrong key or none (the emoji went missing
under load). A paste is one request answered by this process: nothing to race.

Usage: python clipboard_owner.py TEXT (with DISPLAY set). It prints "ready" once it owns the
CLIPBOARD selection, then "pasted" each time a program takes the text, until it is terminated.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QMetaType, QMimeData  # noqa: TID251 -- a program beside the app
from PySide6.QtGui import QClipboard, QGuiApplication  # noqa: TID251


class _Reporting(QMimeData):
    """Says when the text is handed out: the app has then handled every key before the paste."""

    def retrieveData(self, mimetype: str, preferred: QMetaType) -> Any:
        data = super().retrieveData(mimetype, preferred)
        if mimetype.startswith("text/"):
            print("pasted", flush=True)
        return data


def main(text: str) -> int:
    app = QGuiApplication([sys.argv[0], "-platform", "xcb"])
    clipboard = app.clipboard()
    data = _Reporting()
    data.setText(text)
    clipboard.setMimeData(data, QClipboard.Mode.Clipboard)
    # Claiming the selection takes a round trip to the X server: owned now, or never.
    if not clipboard.ownsClipboard():
        print("could not own the clipboard", file=sys.stderr)
        return 1
    print("ready", flush=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))

"""The test desktop's dmenu: it chooses an action in dunst's context menu as a person would.

`dunstctl context` makes dunst run the `dmenu` command of its dunstrc with one line per action
of the pop-ups on screen, "#LABEL (SUMMARY) [ID,KEY]", and invoke the action of the line printed
back (nothing printed: nothing chosen). dunst offers no other way to choose an action that is not
the default one (`dunstctl action` only clicks).

Usage: python dunst_menu.py CHOICE OFFERED. CHOICE is a JSON file {"label": ..., "id": ...}
naming the action's label and the pop-up's dunst id; the lines dunst offered are written to
OFFERED once the choice is made, so the test can wait for the menu and read it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def pick(lines: list[str], label: str, notification: int) -> str | None:
    """The line of `label`'s action on pop-up `notification`."""
    prefix, tag = f"#{label} (", f"[{notification},"
    return next((line for line in lines if line.startswith(prefix) and tag in line), None)


def main(choice_file: Path, offered_file: Path) -> None:
    lines = sys.stdin.read().splitlines()
    choice = json.loads(choice_file.read_text())
    picked = pick(lines, str(choice["label"]), int(choice["id"]))
    if picked is not None:
        # One write: dunst reads once, then closes the pipe (print() may write the line and its
        # newline apart, with PYTHONUNBUFFERED set).
        os.write(sys.stdout.fileno(), f"{picked}\n".encode())
    # Aside, then renamed: the test never reads half a menu.
    part = offered_file.with_name(f".{offered_file.name}.part")
    part.write_text("".join(f"{line}\n" for line in lines))
    part.replace(offered_file)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))

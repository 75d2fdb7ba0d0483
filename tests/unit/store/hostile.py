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

# Binds where the victim's socket should be, then becomes another user before listen(): the
# kernel records the listener's credentials at listen(), so SO_PEERCRED shows that user. It
# answers at once with a made-up peer, as the attack did, and reports what it captured.
HOSTILE_LISTENER: Final = """
import os, socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sys.argv[1])
os.setgroups([])
os.setgid(int(sys.argv[2]))
os.setuid(int(sys.argv[2]))
listener.listen(1)
print("listening", flush=True)
conn, _ = listener.accept()
captured = b""
try:  # the victim may hang up first
    conn.sendall(b'{"ok": true, "result": [{"id": "f", "name": "Fake Boss", "online": true}]}\\n')
    while chunk := conn.recv(4096):
        captured += chunk
except (BrokenPipeError, ConnectionResetError):
    pass
print(f"captured {len(captured)} bytes", flush=True)
"""


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

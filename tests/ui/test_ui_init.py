"""`hallway.ui` keeps PySide6 from reading and keeping the source of every module imported
after it (~9 MB of the tray app's memory before)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import hallway

PACKAGE = Path(hallway.__file__).parent

_PROBE = """
import json, linecache, sys
import hallway.ui.app, hallway.ui.controller, hallway.ui.main_window
feature = sys.modules["PySide6.support.feature"]
print(json.dumps({"cached": list(linecache.cache),
                  "answer": feature._mod_uses_pyside.__module__}))
"""


def test_the_app_s_modules_are_imported_without_their_sources_being_kept():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                          timeout=60, check=True)  # fmt: skip
    seen = json.loads(done.stdout)
    assert seen["answer"] == "hallway.ui"  # PySide's hook is there, and asks us
    ours = [path for path in seen["cached"] if Path(path).is_relative_to(PACKAGE)]
    assert ours == []
    assert len(seen["cached"]) < 10  # before: every module imported after PySide6 (~250)

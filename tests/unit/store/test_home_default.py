"""The default home (no --home, no HALLWAY_HOME) is platformdirs' answer, found without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import platformdirs
import pytest

from hallway.store.home import _user_data_dir

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the XDG rule is Linux's")

CASES = [
    {"HOME": "/home/ann", "XDG_DATA_HOME": None},
    {"HOME": "/home/ann/", "XDG_DATA_HOME": ""},
    {"HOME": "/", "XDG_DATA_HOME": "   "},
    {"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann"},
    {"HOME": "/home/ann", "XDG_DATA_HOME": "/data/ann/"},
    {"HOME": "/home/ann", "XDG_DATA_HOME": "relative/share"},  # not absolute: ignored
    {"HOME": "relative", "XDG_DATA_HOME": None},  # platformdirs' own answer (the user database)
    {"HOME": None, "XDG_DATA_HOME": None},
    {"HOME": None, "XDG_DATA_HOME": "/data/ann"},
]


@pytest.mark.parametrize("env", CASES, ids=repr)
def test_the_default_home_is_platformdirs_answer(
    env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert _user_data_dir() == platformdirs.user_data_dir("hallway")


def test_finding_the_default_home_does_not_import_platformdirs(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from hallway.store.home import resolve_home\n"
        "print(resolve_home(None))\n"
        "print('platformdirs' in sys.modules)\n"
    )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out == [str(tmp_path / ".local" / "share" / "hallway"), "False"]

"""Homes: where they are, their paths, and the one-instance lock across processes."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hallway.store import (
    HomeBusy,
    HomeLock,
    StoreError,
    config_path,
    control_socket_path,
    database_path,
    resolve_home,
    secrets_path,
)
from hallway.store.home import create_home

# The `spawn` fixture (conftest.py) starts `python -c script args...`.
Spawn = Callable[..., subprocess.Popen[str]]

HOLD_LOCK = """
import sys
from pathlib import Path
from hallway.store import HomeLock

lock = HomeLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin
"""


def test_argument_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLWAY_HOME", str(tmp_path / "env"))
    assert resolve_home(tmp_path / "arg") == str(tmp_path / "arg")
    assert resolve_home(str(tmp_path / "arg2")) == str(tmp_path / "arg2")


def test_environment_wins_over_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HALLWAY_HOME", str(tmp_path / "env"))
    assert resolve_home(None) == str(tmp_path / "env")


def test_default_is_the_platform_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HALLWAY_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert resolve_home(None) == str(tmp_path / "share" / "hallway")


def test_resolving_a_home_creates_nothing(tmp_path: Path) -> None:
    # A client command resolves the home too; for a home where nothing runs it must leave no trace.
    home = resolve_home(tmp_path / "deep" / "home")
    assert home == str(tmp_path / "deep" / "home")
    assert not (tmp_path / "deep").exists()


def test_new_home_is_owner_only_and_existing_one_is_kept(tmp_path: Path) -> None:
    home = tmp_path / "deep" / "home"
    create_home(home)
    assert home.is_dir()
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    existing = tmp_path / "mine"
    existing.mkdir(mode=0o750)
    existing.chmod(0o750)
    (existing / "keep").write_text("x")
    create_home(existing)
    assert resolve_home(existing) == str(existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o750
    assert (existing / "keep").read_text() == "x"


def test_taking_the_lock_creates_the_home(tmp_path: Path) -> None:
    home = tmp_path / "new" / "home"
    with HomeLock(home):
        assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_relative_home_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_home("rel") == str(tmp_path / "rel")


# A client command names its home without pathlib (its imports cost ~a third of Python's start):
# the text must be pathlib's all the same, `..` kept (the kernel goes up from a link's target).
NAMED = ["a//b/./c/", "../x/..", "~", "~/x", "~root/y", "./~/x", ".", "//x/y", "///x", "/a/../b"]


@pytest.mark.parametrize("arg", NAMED)
def test_a_home_is_named_as_pathlib_names_it(
    arg: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", f"{tmp_path}/me/")  # with a trailing slash, which pathlib drops
    (tmp_path / "me").mkdir()
    monkeypatch.chdir(tmp_path / "me")
    assert resolve_home(arg) == str(Path(arg).expanduser().absolute())


def test_an_unknown_user_home_is_refused_with_a_message() -> None:
    with pytest.raises(StoreError, match="~no-such-user-here names no user's home directory"):
        resolve_home("~no-such-user-here/x")


def test_home_that_cannot_be_created_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreError, match="cannot create the home"):
        create_home(tmp_path / "file" / "home")


def test_paths_live_in_the_home(tmp_path: Path) -> None:
    assert control_socket_path(tmp_path) == str(tmp_path / "control.sock")
    assert database_path(tmp_path) == tmp_path / "hallway.db"
    assert config_path(tmp_path) == tmp_path / "config.toml"
    assert secrets_path(tmp_path) == tmp_path / "secrets.json"


def test_lock_writes_pid_and_releases(tmp_path: Path) -> None:
    lock = HomeLock(tmp_path)
    with lock:
        assert (tmp_path / "lock").read_text() == f"{os.getpid()}\n"
        lock.acquire()  # re-acquiring a held lock is a no-op
    assert not lock.held
    assert (tmp_path / "lock").read_text() == ""
    lock.release()  # idempotent
    with HomeLock(tmp_path):  # free again
        pass


def test_second_lock_in_this_process_is_refused(tmp_path: Path) -> None:
    with HomeLock(tmp_path), pytest.raises(HomeBusy):
        HomeLock(tmp_path).acquire()


def test_other_homes_are_independent(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with HomeLock(tmp_path / "a"), HomeLock(tmp_path / "b"):
        pass


def test_lock_held_by_another_process_names_its_pid(tmp_path: Path, spawn: Spawn) -> None:
    child = spawn(HOLD_LOCK, str(tmp_path))
    assert child.stdout is not None
    assert child.stdin is not None
    assert child.stdout.readline() == "locked\n"

    with pytest.raises(HomeBusy) as info:
        HomeLock(tmp_path).acquire()
    assert info.value.pid == child.pid
    assert info.value.home == tmp_path
    assert str(info.value) == (f"Hallway is already running for home {tmp_path} (pid {child.pid})")

    child.stdin.close()  # a clean exit releases it too
    assert child.wait() == 0
    with HomeLock(tmp_path):
        pass


def test_lock_is_released_when_the_holder_is_killed(tmp_path: Path, spawn: Spawn) -> None:
    child = spawn(HOLD_LOCK, str(tmp_path))
    assert child.stdout is not None
    assert child.stdout.readline() == "locked\n"
    with pytest.raises(HomeBusy):
        HomeLock(tmp_path).acquire()

    child.kill()  # SIGKILL: no cleanup code runs; the kernel drops the flock
    child.wait()
    with HomeLock(tmp_path) as lock:
        assert lock.held

"""A hostile local user: homes, databases and lock files that someone else made or can change.

Each test performs an attack of issue 9 (item 9) and checks that Hallway refuses it, says how to
fix it, and leaves the attacker's files and the files they pointed at as they were.
"""

from __future__ import annotations

import grp
import os
import re
import stat
import tempfile
from pathlib import Path

import pytest

from hallway.store.db import Store
from hallway.store.errors import StoreError, UnsafeHome
from hallway.store.home import HomeLock, check_home, create_home, database_path, resolve_home
from hallway.store.private import check_ancestors
from tests.unit.store.hostile import NOBODY, give_to_nobody, require_root


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    create_home(path)
    return path


def test_a_home_another_user_made_first_is_refused(tmp_path: Path) -> None:
    # The attack: another user makes the victim's home before the victim does, open to all,
    # with a WAL file everyone can read in it.
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o777)
    wal = home / "hallway.db-wal"
    wal.write_bytes(b"")
    wal.chmod(0o666)
    give_to_nobody(home, wal)

    for attempt in (resolve_home, create_home, lambda h: HomeLock(h).acquire()):
        with pytest.raises(UnsafeHome) as info:
            attempt(home)
        message = str(info.value)
        assert f"{home} belongs to nobody (uid {NOBODY}), not to you" in message
        assert f"`mv {home} {home}.untrusted`" in message
    assert sorted(p.name for p in home.iterdir()) == ["hallway.db-wal"]  # no lock, no database
    assert wal.read_bytes() == b""


@pytest.mark.parametrize("loose", [0o777, 0o770, 0o702])
def test_a_home_others_can_write_is_refused_until_fixed(home: Path, loose: int) -> None:
    home.chmod(loose)
    with pytest.raises(UnsafeHome, match=f"can be written by other users \\(mode 0{loose:o}\\)"):
        resolve_home(home)
    with pytest.raises(UnsafeHome, match=f"`chmod go-w {home}`"):
        HomeLock(home).acquire()
    assert not (home / "lock").exists()

    home.chmod(loose & ~0o022)  # what the message says to do
    with HomeLock(home):
        pass


def test_a_wal_file_another_user_planted_is_refused(home: Path) -> None:
    # What is left after the victim made the home private again: the attacker's 0666 WAL file.
    wal = home / "hallway.db-wal"
    wal.write_bytes(b"")
    wal.chmod(0o666)
    give_to_nobody(wal)

    escaped = re.escape(str(wal))
    with pytest.raises(UnsafeHome, match=f"{escaped} belongs to nobody .*`rm {escaped}`"):
        resolve_home(home)
    with pytest.raises(UnsafeHome, match="belongs to nobody"):
        Store.open(database_path(home))
    assert wal.read_bytes() == b""
    assert mode(wal) == 0o666
    assert wal.stat().st_uid == NOBODY

    wal.unlink()
    with Store.open(database_path(home)) as store:
        store.set_meta("k", "v")
        assert mode(home / "hallway.db-wal") == 0o600


def test_shm_of_another_user_is_refused_by_the_store_alone(tmp_path: Path) -> None:
    # Store.open checks its own files, whoever calls it.
    shm = tmp_path / "hallway.db-shm"
    shm.write_bytes(b"")
    give_to_nobody(shm)
    with pytest.raises(UnsafeHome, match=r"hallway\.db-shm belongs to nobody"):
        Store.open(tmp_path / "hallway.db")


def test_a_database_of_another_user_is_refused(home: Path) -> None:
    db = database_path(home)
    db.write_bytes(b"")
    give_to_nobody(db)
    with pytest.raises(UnsafeHome, match=r"hallway\.db belongs to nobody"):
        Store.open(db)
    assert db.stat().st_uid == NOBODY


def test_loose_modes_of_our_own_files_are_made_owner_only(home: Path) -> None:
    with Store.open(database_path(home)) as store:
        store.set_meta("k", "v")
    for name in ("hallway.db", "hallway.db-wal", "hallway.db-shm"):
        path = home / name
        path.touch()
        path.chmod(0o666)
    with Store.open(database_path(home)) as store:
        assert store.get_meta("k") == "v"
        for name in ("hallway.db", "hallway.db-wal", "hallway.db-shm"):
            assert mode(home / name) == 0o600, name


@pytest.mark.parametrize("name", ["hallway.db", "hallway.db-wal", "hallway.db-shm"])
def test_a_symlinked_database_file_is_refused_and_its_target_untouched(
    home: Path, tmp_path: Path, name: str
) -> None:
    # The attack: a link at hallway.db made the store chmod (and write) the file it named.
    target = tmp_path / "precious"
    target.write_text("keep me")
    target.chmod(0o644)
    (home / name).symlink_to(target)

    link = re.escape(str(home / name))
    with pytest.raises(UnsafeHome, match=f"{link} is a symbolic link"):
        Store.open(database_path(home))
    with pytest.raises(UnsafeHome, match=f"`rm {link}`"):
        check_home(home)
    assert mode(target) == 0o644
    assert target.read_text() == "keep me"


def test_a_symlinked_lock_is_refused_and_its_target_not_truncated(
    home: Path, tmp_path: Path
) -> None:
    target = tmp_path / "precious"
    target.write_text("keep me")
    (home / "lock").symlink_to(target)
    with pytest.raises(UnsafeHome, match="lock is a symbolic link"):
        HomeLock(home).acquire()
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("name", ["config.toml", "secrets.json", "control.sock", "lock"])
def test_any_file_of_another_user_in_the_home_is_refused(home: Path, name: str) -> None:
    planted = home / name
    planted.write_text("")
    give_to_nobody(planted)
    with pytest.raises(UnsafeHome, match=f"{planted} belongs to nobody"):
        resolve_home(home)


def test_a_home_under_a_directory_everyone_can_write_is_refused(tmp_path: Path) -> None:
    # Whoever can write to the parent can rename the home away and put their own in its place.
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(UnsafeHome, match=f"{shared}, which holds .* every user"):
        create_home(shared / "home")

    shared.chmod(0o1777)  # sticky, like /tmp: only the owner of an entry may rename it
    create_home(shared / "home")
    assert mode(shared / "home") == 0o700


def test_a_home_under_another_users_directory_is_refused(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    (theirs / "home").mkdir(parents=True)
    (theirs / "home").chmod(0o700)
    give_to_nobody(theirs)
    with pytest.raises(UnsafeHome, match=f"{theirs}, which holds .* nobody \\(uid {NOBODY}\\)"):
        resolve_home(theirs / "home")


def test_a_home_reached_through_a_link_in_a_directory_everyone_can_write_is_refused(
    tmp_path: Path,
) -> None:
    # The link is ours and its target safe, but anyone could replace the link with one of theirs.
    create_home(tmp_path / "ours" / "home")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "link").symlink_to(tmp_path / "ours")
    home = shared / "link" / "home"
    for attempt in (resolve_home, create_home, lambda h: HomeLock(h).acquire()):
        with pytest.raises(UnsafeHome, match=f"{shared}, which holds {home}, .* every user"):
            attempt(home)
    assert not (tmp_path / "ours" / "home" / "lock").exists()


@pytest.mark.parametrize("relative", [False, True])
def test_a_link_another_user_planted_on_the_way_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    # In a sticky directory only the link's owner can replace it: that owner must be us or root.
    create_home(tmp_path / "ours" / "home")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    link = shared / "link"
    link.symlink_to("../ours" if relative else tmp_path / "ours")
    give_to_nobody(link)
    monkeypatch.chdir(tmp_path)
    home = Path("shared/link/home") if relative else link / "home"
    with pytest.raises(UnsafeHome, match=f"{link}, on the way to .* belongs to nobody"):
        check_home(home)

    os.chown(link, os.getuid(), os.getgid(), follow_symlinks=False)
    check_home(home)


def test_ordinary_homes_pass(tmp_path: Path) -> None:
    # Under /tmp itself (sticky), and under directories of ours that a umask of 002 made
    # group-writable, reached directly or through a link of ours.
    assert stat.S_IMODE(os.stat("/tmp").st_mode) == 0o1777
    with tempfile.TemporaryDirectory(dir="/tmp") as scratch:
        create_home(Path(scratch) / "home")
        check_home(Path(scratch) / "home")
    mine = tmp_path / "mine"
    (mine / "real").mkdir(parents=True)
    for directory in (mine, mine / "real"):
        directory.chmod(0o775)
    create_home(mine / "real" / "home")
    (mine / "link").symlink_to("real")
    with HomeLock(mine / "link" / "home"):
        pass


def test_a_group_writable_directory_is_trusted_only_if_ours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Played as nobody: a group-writable directory of root's lets its group swap the home.
    require_root()
    for name in ("roots", "mine"):
        (tmp_path / name / "home").mkdir(parents=True)
        (tmp_path / name).chmod(0o775)
    give_to_nobody(tmp_path / "mine", tmp_path / "mine" / "home", tmp_path / "roots" / "home")
    monkeypatch.setattr(os, "getuid", lambda: NOBODY)
    group = f"group {grp.getgrgid(0).gr_name} \\(gid 0\\)"
    with pytest.raises(UnsafeHome, match=f"{tmp_path / 'roots'}, which holds .* {group}"):
        check_ancestors(tmp_path / "roots" / "home")
    check_ancestors(tmp_path / "mine" / "home")


def test_a_home_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(StoreError, match="is not a directory"):
        resolve_home(tmp_path / "file")
    assert not os.path.isdir(tmp_path / "file")

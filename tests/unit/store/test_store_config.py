"""config.toml: round trips, clear errors for bad files, and atomic owner-only saves."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import msgspec
import pytest

from hallway.store import (
    Config,
    ConfigError,
    Notifications,
    config_path,
    load_config,
    new_instance_id,
    save_config,
)

PEER = "0123456789abcdef" * 2


def config(**changes: object) -> Config:
    base = Config(name="Ann", office=None, open=True, interface=None, instance="ab" * 8)
    return msgspec.structs.replace(base, **changes)


def test_absent_config_loads_as_none(tmp_path: Path) -> None:
    assert load_config(tmp_path) is None


def test_round_trip_with_every_field_set(tmp_path: Path) -> None:
    cfg = Config(
        name="Ann Example",
        office="Acme, 2nd floor",
        open=False,
        interface="eth0",
        instance=new_instance_id(),
        start_at_login=True,
        notifications=Notifications(posts=False, urgent=True, followed_status=False, online=True),
        followed=[PEER, "f" * 32],
        retention_days=90,
    )
    save_config(tmp_path, cfg)
    assert load_config(tmp_path) == cfg


def test_defaults_and_none_round_trip(tmp_path: Path) -> None:
    cfg = config()
    save_config(tmp_path, cfg)
    text = config_path(tmp_path).read_text()
    assert "office" not in text  # TOML has no null: None is written as an absent key
    assert "retention_days = 30" in text  # defaults are written out, for people editing it
    loaded = load_config(tmp_path)
    assert loaded == cfg
    assert loaded.notifications == Notifications(
        posts=True, urgent=True, followed_status=True, online=False
    )
    assert loaded.followed == []


def test_a_hand_written_minimal_file_loads(tmp_path: Path) -> None:
    config_path(tmp_path).write_text('name = "Bob"\nopen = true\ninstance = "0011223344556677"\n')
    assert load_config(tmp_path) == Config(
        name="Bob", open=True, instance="0011223344556677", office=None, interface=None
    )


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path: Path) -> None:
    config_path(tmp_path).write_text(
        'name = "Bob"\nopen = true\ninstance = "0011223344556677"\ntheme = "dark"\n'
        "[notifications]\nposts = false\nsound = true\n"
    )
    loaded = load_config(tmp_path)
    assert loaded is not None
    assert loaded.notifications.posts is False


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('name = "Ann"\nopen = tru', "not valid TOML"),
        ('name = "Ann"\ninstance = "0011223344556677"\n', "open"),  # missing required field
        ('name = 3\nopen = true\ninstance = "0011223344556677"\n', r"\$\.name"),
        (f'name = "{"x" * 65}"\nopen = true\ninstance = "0011223344556677"\n', r"\$\.name"),
        ('name = "A"\nopen = true\ninstance = "zz"\n', r"\$\.instance"),
        ('name = "A"\nopen = true\ninstance = "0011223344556677"\nretention_days = 0\n', "retent"),
        ('name = "A"\nopen = true\ninstance = "0011223344556677"\nfollowed = ["Ann"]\n', "foll"),
        ('name = "A"\nopen = true\ninstance = "0011223344556677"\noffice = "Acme"\n', "office"),
        (
            'name = "A"\nopen = false\ninstance = "0011223344556677"\n[notifications]\nposts = 1\n',
            r"notifications\.posts",
        ),
    ],
)
def test_bad_config_raises_config_error_and_is_left_alone(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = config_path(tmp_path)
    path.write_text(content)
    with pytest.raises(ConfigError, match=problem) as info:
        load_config(tmp_path)
    assert str(path) in str(info.value)
    assert info.value.path == path
    assert path.read_text() == content


def test_non_utf8_config_raises_config_error(tmp_path: Path) -> None:
    config_path(tmp_path).write_bytes(b'name = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(tmp_path)


def test_unreadable_config_raises_config_error(tmp_path: Path) -> None:
    config_path(tmp_path).mkdir()  # reading a directory fails even for root
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)


def test_save_is_owner_only_and_leaves_no_temp_files(tmp_path: Path) -> None:
    save_config(tmp_path, config())
    save_config(tmp_path, config(name="Ann B."))
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
    assert stat.S_IMODE(config_path(tmp_path).stat().st_mode) == 0o600
    loaded = load_config(tmp_path)
    assert loaded is not None
    assert loaded.name == "Ann B."


def test_save_replaces_rather_than_rewrites_in_place(tmp_path: Path) -> None:
    save_config(tmp_path, config())
    before = os.stat(config_path(tmp_path)).st_ino
    save_config(tmp_path, config(name="Zed"))
    assert os.stat(config_path(tmp_path)).st_ino != before  # a new file, renamed over the old


def test_invalid_values_are_not_saved(tmp_path: Path) -> None:
    save_config(tmp_path, config())
    bad = config()
    bad.name = "x" * 65  # mutation is not validated; saving is
    with pytest.raises(ConfigError, match="not saving"):
        save_config(tmp_path, bad)
    assert load_config(tmp_path) == config()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_save_into_a_missing_home_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot write"):
        save_config(tmp_path / "gone", config())


def test_save_failure_removes_the_temp_file(tmp_path: Path) -> None:
    config_path(tmp_path).mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(ConfigError, match="cannot write"):
        save_config(tmp_path, config())
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_instance_ids_are_hex_and_distinct() -> None:
    ids = {new_instance_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) == 16 and int(i, 16) >= 0 for i in ids)

"""config.toml's quiet hours and idle minutes (issue 12): round trips and clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import msgspec
import pytest

from hallway.core.quiet import QuietHours, parse_quiet
from hallway.store import Config, ConfigError, config_path, load_config, save_config


def config(**changes: object) -> Config:
    base = Config(name="Ann", office=None, open=True, interface=None, instance="ab" * 8)
    return msgspec.structs.replace(base, **changes)


def test_quiet_hours_round_trip_as_people_write_them(tmp_path: Path) -> None:
    cfg = config(quiet=parse_quiet("18:00-08:30", weekends=True), idle_minutes=25)
    save_config(tmp_path, cfg)
    text = config_path(tmp_path).read_text()
    assert '[quiet]\nstart = "18:00"\nend = "08:30"\nweekends = true' in text
    assert "idle_minutes = 25" in text
    assert load_config(tmp_path) == cfg


def test_defaults_no_quiet_hours_and_ten_idle_minutes(tmp_path: Path) -> None:
    save_config(tmp_path, config())
    text = config_path(tmp_path).read_text()
    assert "[quiet]" not in text  # absent: off
    loaded = load_config(tmp_path)
    assert loaded is not None
    assert loaded.quiet is None
    assert loaded.idle_minutes == 10
    save_config(tmp_path, config(idle_minutes=0))  # 0: automatic away off
    assert load_config(tmp_path) == config(idle_minutes=0)


@pytest.mark.parametrize(
    ("table", "quiet"),
    [
        ('start = "22:00"\nend = "7:00"', QuietHours(dt.time(22), dt.time(7))),
        (
            "start = 22:00:00\nend = 07:00:00\nweekends = true",
            QuietHours(dt.time(22), dt.time(7), True),
        ),
        ('start = "9am"\nend = "5pm"', QuietHours(dt.time(9), dt.time(17))),
    ],
)
def test_hand_written_quiet_hours_load(tmp_path: Path, table: str, quiet: QuietHours) -> None:
    config_path(tmp_path).write_text(
        f'name = "Ann"\nopen = true\ninstance = "{"ab" * 8}"\n\n[quiet]\n{table}\n'
    )
    loaded = load_config(tmp_path)
    assert loaded is not None
    assert loaded.quiet == quiet


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('start = "25:00"\nend = "07:00"', "quiet.start"),
        ('start = "18:00"', "end"),
        ('start = "18:00"\nend = "18:00"', "same time"),
        ('start = "18:00"\nend = "07:00"\nweekends = "yes"', "weekends"),
    ],
)
def test_bad_quiet_hours_name_the_problem(tmp_path: Path, table: str, says: str) -> None:
    path = config_path(tmp_path)
    path.write_text(f'name = "Ann"\nopen = true\ninstance = "{"ab" * 8}"\n\n[quiet]\n{table}\n')
    with pytest.raises(ConfigError, match=says) as caught:
        load_config(tmp_path)
    assert str(path) in str(caught.value)


def test_idle_minutes_are_bounded(tmp_path: Path) -> None:
    path = config_path(tmp_path)
    path.write_text(f'name = "Ann"\nopen = true\ninstance = "{"ab" * 8}"\nidle_minutes = -1\n')
    with pytest.raises(ConfigError, match="idle_minutes"):
        load_config(tmp_path)

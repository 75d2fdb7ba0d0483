"""config.toml: the settings a person chooses, typed and validated with msgspec.

The file is meant to be readable and hand-editable, so a bad edit must produce a message that
names the file and the problem, and must never be overwritten by the app.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import Annotated

import msgspec

from hallway.core.durations import parse_time_of_day
from hallway.core.errors import DurationError
from hallway.core.model import NAME_MAX
from hallway.core.quiet import QuietHours, clock_text
from hallway.core.seeds import SEEDS_MAX, parse_seeds
from hallway.store.errors import ConfigError
from hallway.store.home import config_path

PeerId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{32}$")]
InstanceId = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{16,64}$")]
Name = Annotated[str, msgspec.Meta(max_length=NAME_MAX)]
OfficeName = Annotated[str, msgspec.Meta(min_length=1, max_length=NAME_MAX)]
Interface = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
RetentionDays = Annotated[int, msgspec.Meta(ge=1, le=3650)]
IdleMinutes = Annotated[int, msgspec.Meta(ge=0, le=1440)]
SeedText = Annotated[str, msgspec.Meta(min_length=1, max_length=260)]
Port = Annotated[int, msgspec.Meta(ge=1, le=65533)]


class Notifications(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """Which events raise a desktop pop-up."""

    posts: bool = True
    urgent: bool = True
    followed_status: bool = True
    online: bool = False


class Config(msgspec.Struct, kw_only=True):
    """One instance's settings.

    - `office`: the office name, or None for an open office (no passphrase, anyone on the LAN).
    - `open`: the person chose an open office. It cannot be true while `office` is set.
    - `interface`: the network interface to use, or None for every suitable one.
    - `instance`: a random id made once (`new_instance_id`), the keyring account prefix, so that
      several homes on one machine keep their secrets apart.
    - `followed`: ids of the peers whose status changes raise a pop-up.
    - `quiet`: quiet hours (`[quiet] start = "18:00", end = "08:00", weekends = true`), or None
      when there are none (the table is absent).
    - `idle_minutes`: minutes idle before automatic away; 0 turns it off.
    - `peers`: seeds, "HOST" or "HOST:PORT": colleagues on other networks (issue 14) whom the
      node asks to introduce it to the office; `--peer` adds to them for one run.
    - `port`: the tray app's ROUTER port (PUB and rendezvous on the next two), chosen free on
      its first run and kept, so the "HOST:PORT" colleagues elsewhere were given stays right;
      another one is chosen (and kept) when it is taken.

    Unknown keys are ignored, so a file written by a newer Hallway still loads.
    """

    name: Name
    office: OfficeName | None = None
    open: bool
    interface: Interface | None = None
    instance: InstanceId
    start_at_login: bool = False
    notifications: Notifications = msgspec.field(default_factory=Notifications)
    followed: list[PeerId] = msgspec.field(default_factory=list)
    retention_days: RetentionDays = 30
    quiet: QuietHours | None = None
    idle_minutes: IdleMinutes = 10
    peers: Annotated[list[SeedText], msgspec.Meta(max_length=SEEDS_MAX)] = msgspec.field(
        default_factory=list
    )
    port: Port | None = None

    def __post_init__(self) -> None:
        # msgspec turns this ValueError into a ValidationError when decoding.
        if self.open and self.office is not None:
            raise ValueError(f"open is true but office is set to {self.office!r}")
        if self.quiet is not None and self.quiet.start == self.quiet.end:
            raise ValueError("quiet hours start and end at the same time")
        parse_seeds(self.peers)  # a SeedError is a ValueError: the message names the seed


def new_instance_id() -> str:
    """64 random bits as hex: plenty to keep the homes of one machine apart."""
    return secrets.token_hex(8)


def load_config(home: Path) -> Config | None:
    """The home's config, or None when there is none yet. Raises `ConfigError` if unusable."""
    path = config_path(home)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", path) from exc
    try:
        # Decoded here, not by msgspec: its versions differ in how they report bad UTF-8.
        return _decode(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not valid UTF-8 text ({exc.reason})", path) from exc
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path} has an invalid setting: {exc}", path) from exc
    except msgspec.DecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", path) from exc


def _decode(raw: str | bytes) -> Config:
    """config.toml into a Config. Quiet hours are written "18:00" for people; TOML's own
    times (18:00:00, unquoted) are taken too."""
    data = msgspec.toml.decode(raw)
    if isinstance(data, dict) and isinstance(data.get("quiet"), dict):
        quiet = dict(data["quiet"])
        for key in ("start", "end"):
            if isinstance(quiet.get(key), str):
                try:
                    quiet[key] = parse_time_of_day(quiet[key])
                except DurationError as exc:
                    raise msgspec.ValidationError(f"{exc} - at `$.quiet.{key}`") from None
        data["quiet"] = quiet
    return msgspec.convert(data, type=Config)


def _encode(cfg: Config) -> bytes:
    data = _drop_none(msgspec.to_builtins(cfg))
    if cfg.quiet is not None and isinstance(data, dict):
        data["quiet"] = {
            "start": clock_text(cfg.quiet.start),
            "end": clock_text(cfg.quiet.end),
            "weekends": cfg.quiet.weekends,
        }
    return msgspec.toml.encode(data)


def save_config(home: Path, cfg: Config) -> None:
    """Write config.toml atomically and owner-only: a crash leaves the old file or the new one."""
    path = config_path(home)
    data = _encode(cfg)
    # Fields can be changed after loading without validation; refuse to write a file that
    # would not load again.
    try:
        _decode(data)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"not saving {path}: invalid setting: {exc}", path) from exc
    # mkstemp creates the file 0600, in the same directory so os.replace stays on one filesystem.
    try:
        fd, tmp_name = tempfile.mkstemp(dir=home, prefix=".config.", suffix=".toml.tmp")
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}", path) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ConfigError(f"cannot write {path}: {exc.strerror}", path) from exc
    _fsync_dir(home)


def _drop_none(value: object) -> object:
    # TOML has no null; a missing key decodes to the field's default of None.
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    return value


def _fsync_dir(directory: Path) -> None:
    # Make the rename itself durable. Best effort: some filesystems refuse to fsync a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

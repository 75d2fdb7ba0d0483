"""Local persistence of one home: the SQLite store, config.toml, and the home with its lock.

Imports hallway.core only. The engine's thread is the only user of a `Store`.
"""

from hallway.store.config import Config, Notifications, load_config, new_instance_id, save_config
from hallway.store.db import Store
from hallway.store.errors import ConfigError, HomeBusy, StoreError
from hallway.store.home import (
    HomeLock,
    config_path,
    control_socket_path,
    database_path,
    resolve_home,
    secrets_path,
)
from hallway.store.records import StoredItem, StoredKnock, StoredPeer, StoredRecord
from hallway.store.schema import SCHEMA_VERSION

__all__ = [
    "SCHEMA_VERSION",
    "Config",
    "ConfigError",
    "HomeBusy",
    "HomeLock",
    "Notifications",
    "Store",
    "StoreError",
    "StoredItem",
    "StoredKnock",
    "StoredPeer",
    "StoredRecord",
    "config_path",
    "control_socket_path",
    "database_path",
    "load_config",
    "new_instance_id",
    "resolve_home",
    "save_config",
    "secrets_path",
]

"""Local persistence of one home: the SQLite store, config.toml, and the home with its lock.

Imports hallway.core only. The engine's thread is the only user of a `Store`.

The names below are loaded when first used (PEP 562): a command-line client that needs only
`store.private` or `store.home` does not pay for SQLite and the schema (~50 ms of imports).
"""

from __future__ import annotations

from hallway.core.lazy import lazy_names

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from hallway.store.config import (
        Config,
        Notifications,
        load_config,
        new_instance_id,
        save_config,
    )
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

_WHERE = {
    "SCHEMA_VERSION": "schema",
    "Config": "config",
    "ConfigError": "errors",
    "HomeBusy": "errors",
    "HomeLock": "home",
    "Notifications": "config",
    "Store": "db",
    "StoreError": "errors",
    "StoredItem": "records",
    "StoredKnock": "records",
    "StoredPeer": "records",
    "StoredRecord": "records",
    "config_path": "home",
    "control_socket_path": "home",
    "database_path": "home",
    "load_config": "config",
    "new_instance_id": "config",
    "resolve_home": "home",
    "save_config": "config",
    "secrets_path": "home",
}

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

__getattr__ = lazy_names(__name__, _WHERE)

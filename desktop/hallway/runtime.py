"""The composition shared by `hallway node`, the tray app and the demo.

`init_home` is what `hallway init` does: it writes the config, makes the identity, and derives and
stores the office key. `Runtime.start` takes the home's lock, loads all of that (setting the home up
in the same step when it is given the same flags as `init`), starts the Node and the control
server, and `Runtime.close` stops them again.

No Qt here: the headless node must run where PySide6 is not installed.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Final

import msgspec

from hallway.core import z85
from hallway.core.errors import HallwayError, SetupError, UsageError
from hallway.core.model import NAME_MAX, clean_text, one_line
from hallway.core.office import Office
from hallway.store.config import Config, load_config, new_instance_id, save_config
from hallway.store.home import HomeLock, control_socket_path, secrets_path

if TYPE_CHECKING:
    # Loaded when an instance starts, not on import: `hallway status` and friends import this
    # module for its errors and should not pay for the engine, zmq and the keyring.
    from hallway.control.server import ControlServer
    from hallway.core.seeds import Seed
    from hallway.engine.events import Event
    from hallway.engine.node import Node, NodeConfig
    from hallway.identity import Identity, SecretStore

__all__ = [
    "NotSetUp",
    "Runtime",
    "SetupError",
    "UsageError",
    "init_home",
    "public_key_path",
]

log = logging.getLogger(__name__)

INIT_HINT: Final = "hallway init --name NAME --open"
# For tests only: how long an undelivered knock waits, in seconds, instead of 12 hours.
KNOCK_EXPIRY_ENV: Final = "HALLWAY_TEST_KNOCK_EXPIRY"


class NotSetUp(SetupError):  # noqa: N818 -- reads as a state, like HomeBusy
    """The home has no config yet, and nothing was given to make one."""

    def __init__(self, home: Path) -> None:
        super().__init__(
            f"Hallway is not set up in {home} yet; run `{INIT_HINT}` (or --office NAME) first, "
            "or give `hallway node` the same options"
        )
        self.home = home


def public_key_path(home: Path) -> Path:
    """The home's public key, recorded at first start so a lost secret is noticed, not replaced."""
    return home / "identity.pub"


class _Setup(msgspec.Struct, frozen=True):
    """What `init` (or `node` with init's flags) asks for; None leaves the current value."""

    name: str | None = None
    office: str | None = None
    passphrase: str | None = None
    open_office: bool = False
    interface: str | None = None
    set_interface: bool = False
    peers: tuple[str, ...] = ()  # seeds `init --peer` adds to the config

    @property
    def given(self) -> bool:
        return self.name is not None or self.office is not None or self.open_office


def init_home(
    home: Path,
    *,
    name: str,
    office: str | None,
    passphrase: str | None,
    open_office: bool,
    interface: str | None,
    peers: Sequence[str] = (),
) -> Config:
    """Set up `home`: config, identity and office key. Raises `SetupError`, `HomeBusy`...
    `peers` (seeds, HOST[:PORT]) are added to the config's."""
    if open_office == (office is not None):
        raise UsageError("choose either --open or --office NAME")
    _seeds(list(peers))  # a bad seed is a usage error before anything is written
    setup = _Setup(
        name, office, passphrase, open_office, interface, set_interface=True, peers=tuple(peers)
    )
    with HomeLock(home):
        return _apply(home, load_config(home), setup)


def _apply(home: Path, current: Config | None, setup: _Setup) -> Config:
    """Write the home's setup from `setup` over `current`. The caller holds the home's lock."""
    name = _clean_name(setup.name) if setup.name is not None else None
    if current is None:
        if name is None:
            raise UsageError("a new home needs a name: --name NAME")
        if setup.office is None and not setup.open_office:
            raise UsageError("a new home needs an office: --open, or --office NAME")
    from hallway.identity import (
        SecretStore,
        derive_office_key,
        forget_office_key,
        load_office_key,
        save_office_key,
    )

    instance = current.instance if current is not None else new_instance_id()
    secrets = SecretStore(instance, secrets_path(home))
    try:
        _identity(home, secrets)
        if setup.open_office:
            office: str | None = None
            if current is not None:  # a new home's fresh instance id has no key anywhere yet
                forget_office_key(secrets)
        elif setup.office is not None:
            office = _clean_office(setup.office)
            if setup.passphrase is not None:
                save_office_key(secrets, derive_office_key(office, setup.passphrase))
            elif current is None or current.office != office or load_office_key(secrets) is None:
                raise UsageError(f"joining the office {office!r} needs its passphrase")
        else:
            assert current is not None
            office = current.office
    finally:
        secrets.release()  # the keyring's helper process, if one was needed

    if current is None:
        config = Config(
            name=name or "",
            office=office,
            open=office is None,
            interface=setup.interface,
            instance=instance,
            peers=_merged([], setup.peers),
        )
    else:
        config = Config(
            name=name if name is not None else current.name,
            office=office,
            open=office is None,
            interface=setup.interface if setup.set_interface else current.interface,
            instance=instance,
            start_at_login=current.start_at_login,
            notifications=current.notifications,
            followed=list(current.followed),
            retention_days=current.retention_days,
            quiet=current.quiet,
            idle_minutes=current.idle_minutes,
            peers=_merged(current.peers, setup.peers),
        )
    save_config(home, config)
    return config


def _clean_name(name: str) -> str:
    try:
        cleaned = clean_text(one_line(name), NAME_MAX)  # names are one line, ours too
    except ValueError as exc:
        raise UsageError(f"the name is too long: {exc}") from None
    if not cleaned:
        raise UsageError("the name cannot be empty")
    return cleaned


def _clean_office(office: str) -> str:
    try:
        cleaned = clean_text(office, NAME_MAX)
    except ValueError as exc:
        raise UsageError(f"the office name is too long: {exc}") from None
    if not cleaned or "\n" in cleaned:
        raise UsageError("the office needs a name on one line")
    return cleaned


def _identity(home: Path, secrets: SecretStore) -> Identity:
    """Load the identity (made on first start), checked against the recorded public key."""
    from hallway.identity import load_or_create_identity

    path = public_key_path(home)
    try:
        recorded: bytes | None = path.read_bytes().strip()
    except FileNotFoundError:
        recorded = None
    except OSError as exc:
        raise SetupError(f"cannot read {path}: {exc.strerror}") from exc
    if recorded is not None and not z85.is_key(recorded):
        raise SetupError(f"{path} is damaged; it should hold one Z85 public key")
    identity = load_or_create_identity(secrets, recorded)
    if recorded != identity.public:
        try:
            path.write_bytes(identity.public + b"\n")
        except OSError as exc:
            raise SetupError(f"cannot write {path}: {exc.strerror}") from exc
    return identity


def _office(config: Config, secrets: SecretStore) -> Office:
    from hallway.identity import load_office_key

    if config.office is None:
        return Office.open()
    key = load_office_key(secrets)
    if key is None:
        raise SetupError(
            f"the key of the office {config.office!r} is missing from this home's secrets; "
            f"join it again: hallway init --name NAME --office {config.office!r}"
        )
    return Office(name=config.office, key=key)


def _configured(home: Path, setup: _Setup) -> Config:
    """The home's config, set up or updated first when init's options are given.

    The interface is saved only when the home is new; otherwise it is for this run alone.
    """
    current = load_config(home)
    if setup.given:
        setup = msgspec.structs.replace(setup, set_interface=current is None)
        return _apply(home, current, setup)
    if current is None:
        raise NotSetUp(home)
    return current


def _merged(current: list[str], added: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*current, *(text.strip() for text in added)]))


def _seeds(texts: list[str]) -> tuple[Seed, ...]:
    from hallway.core.seeds import SeedError, parse_seeds

    try:
        return parse_seeds(texts)
    except SeedError as exc:
        raise UsageError(str(exc)) from exc


def _knock_expiry() -> float:
    from hallway.core.knocks import KNOCK_EXPIRY

    text = os.environ.get(KNOCK_EXPIRY_ENV, "")
    try:
        value = float(text) if text else KNOCK_EXPIRY
    except ValueError:
        value = KNOCK_EXPIRY
    return value if 0 < value <= KNOCK_EXPIRY else KNOCK_EXPIRY


def _keep_port(home: Path, config: Config, port: int) -> Config:
    """Save the port now listened on in the config; a config that cannot be saved (a full
    disk) costs only that: the next run chooses again."""
    kept = msgspec.structs.replace(config, port=port)
    try:
        save_config(home, kept)
    except HallwayError as exc:
        log.warning("could not keep port %d in the config: %s", port, exc)
        return config
    return kept


def _serve(
    node_config: NodeConfig,
    node_factory: Callable[[NodeConfig], Node],
    on_event: Callable[[Event], None] | None,
    on_show: Callable[[], None] | None,
) -> tuple[Node, ControlServer]:
    from hallway.control.server import ControlServer

    node = node_factory(node_config)
    if on_event is not None:
        node.subscribe(on_event)
    try:
        node.start()
        server = ControlServer(control_socket_path(node_config.home), node, on_show)
        server.start()
    except BaseException:
        node.close()
        raise
    return node, server


class Runtime:
    """A running instance: the home's lock, its Node and its control server.

    Use `Runtime.start(...)`; `close()` stops everything (the node says BYE and the mDNS
    goodbye) and is idempotent. Attributes: `home`, `config`, `identity`, `secrets`, `node`,
    `server`.
    """

    def __init__(
        self,
        *,
        home: Path,
        lock: HomeLock,
        config: Config,
        identity: Identity,
        secrets: SecretStore,
        node: Node,
        server: ControlServer,
    ) -> None:
        self.home = home
        self.config = config
        self.identity = identity
        self.secrets = secrets
        self.node = node
        self.server = server
        self._lock = lock
        self._closed = False

    @property
    def warnings(self) -> list[str]:
        """Things the person should know about this instance (keys kept in a file, say)."""
        if self.secrets.kept_in_file():  # asks the file only: loading keyring costs ~10 MB
            message = "No system keyring found: this home's keys are in {} (only you can read it)."
            return [message.format(self.secrets.path)]
        return []

    @classmethod
    def start(
        cls,
        home: Path,
        *,
        name: str | None = None,
        office: str | None = None,
        passphrase: str | None = None,
        open_office: bool = False,
        interface: str | None = None,
        port: int = 0,
        keep_port: bool = False,
        peers: Sequence[str] = (),
        on_event: Callable[[Event], None] | None = None,
        on_show: Callable[[], None] | None = None,
        node_factory: Callable[[NodeConfig], Node] | None = None,
    ) -> Runtime:
        """Start the instance of `home`. Raises `HomeBusy`, `NotSetUp`, `UsageError`, ...

        `name`, `office` (with `passphrase`) and `open_office` are `init`'s options: with them a
        new home is set up in the same step, and an existing one is updated. `interface`
        overrides the configured one for this run only (it is saved when the home is new);
        `port` (ROUTER on it, PUB on the next, the office rendezvous on the one after; 0 for
        free ports) is for this run only, and so are `peers` (seeds, HOST[:PORT], asked as
        well as the config's `peers`). `keep_port` (the tray app): without `port`, listen on
        the config's `port` when it is free, and keep in the config the one listened on, so that
        colleagues on other networks can keep using the address Settings showed them.
        `on_event` is subscribed before the node starts, so it sees `ready`. `node_factory`
        (default `Node`) is for tests.
        """
        from hallway.identity import SecretStore

        if open_office and office is not None:
            raise UsageError("choose either --open or --office NAME, not both")
        lock = HomeLock(home)
        lock.acquire()
        secrets: SecretStore | None = None
        try:
            setup = _Setup(name, office, passphrase, open_office, interface)
            config = _configured(home, setup)
            secrets = SecretStore(config.instance, secrets_path(home))
            secrets.prepare()  # a keyring's helper loads while the engine's modules do
            from hallway.engine.node import Node, NodeConfig
            from hallway.net.interfaces import resolve_interfaces

            identity = _identity(home, secrets)
            chosen = interface if interface is not None else config.interface
            node_config = NodeConfig(
                home=home,
                name=config.name,
                public_key=identity.public,
                secret_key=identity.secret,
                office=_office(config, secrets),
                interfaces=resolve_interfaces(chosen) if chosen is not None else None,
                retention_days=float(config.retention_days),
                port=port,
                preferred_port=(config.port or 0) if keep_port else 0,
                quiet=config.quiet,
                knock_expiry=_knock_expiry(),
                seeds=_seeds([*config.peers, *peers]),
            )
            secrets.release()  # what a start needs of the keyring is read
            node, server = _serve(node_config, node_factory or Node, on_event, on_show)
            if keep_port and not port and config.port != node.info.router_port:
                config = _keep_port(home, config, node.info.router_port)
        except BaseException:
            if secrets is not None:
                secrets.release()
            lock.release()
            raise
        return cls(
            home=home,
            lock=lock,
            config=config,
            identity=identity,
            secrets=secrets,
            node=node,
            server=server,
        )

    def close(self) -> None:
        """Stop the node (BYE, goodbye), then the control server, then free the home."""
        if self._closed:
            return
        self._closed = True
        try:
            # The node first: its `stopped` event still reaches the watchers of the control socket.
            self.node.close()
        finally:
            try:
                self.server.close()
            finally:
                with contextlib.suppress(OSError):
                    self._lock.release()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

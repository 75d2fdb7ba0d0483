"""`init_home` and `Runtime` with a fake node: setup, the lock, the control socket, clean-up."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest

from hallway.control import ControlClient, NotRunning
from hallway.core.errors import HallwayError
from hallway.core.office import derive_office_key
from hallway.engine.node import NodeConfig, NodeError
from hallway.identity import IdentityError, SecretStore, load_office_key
from hallway.runtime import NotSetUp, Runtime, UsageError, init_home, public_key_path
from hallway.store.config import load_config
from hallway.store.errors import HomeBusy
from hallway.store.home import HomeLock, control_socket_path, secrets_path
from tests.unit.control.fake_node import FakeNode
from tests.unit.store.hostile import HOSTILE_LISTENER, NOBODY, give_to_nobody, require_root


class StartableNode(FakeNode):
    """The fake node with the lifecycle the runtime drives."""

    instances: ClassVar[list[StartableNode]] = []

    def __init__(self, config: NodeConfig, *, fail: bool = False) -> None:
        super().__init__()
        self.config = config
        self.fail = fail
        self.started = False
        self.closed = 0
        StartableNode.instances.append(self)

    def start(self) -> None:
        if self.fail:
            raise NodeError("cannot bind")
        self.started = True

    def close(self) -> None:
        self.closed += 1


@pytest.fixture(autouse=True)
def _forget_nodes() -> None:
    StartableNode.instances.clear()


def start(home: Path, **options: object) -> Runtime:
    return Runtime.start(home, node_factory=StartableNode, **options)  # type: ignore[arg-type]


def office_key(home: Path) -> bytes | None:
    config = load_config(home)
    assert config is not None
    return load_office_key(SecretStore(config.instance, secrets_path(home)))


def test_init_an_open_office(home: Path) -> None:
    config = init_home(
        home, name="  Ann  ", office=None, passphrase=None, open_office=True, interface=None
    )
    assert config.name == "Ann"
    assert config.open is True
    assert config.office is None
    assert load_config(home) == config
    assert public_key_path(home).read_bytes().strip()
    assert office_key(home) is None


def test_our_own_name_is_one_line_too(home: Path) -> None:
    # The same rule as for peers' names (issue 9, item 8): no line of ours can be forged either.
    config = init_home(
        home, name="Ann\n01:50:00 Bob:\u2028x", office=None, passphrase=None, open_office=True,
        interface=None,
    )  # fmt: skip
    assert config.name == "Ann 01:50:00 Bob: x"


def test_init_a_closed_office_stores_its_key(home: Path) -> None:
    init_home(
        home, name="Ann", office="Acme", passphrase="s3cret", open_office=False, interface="lo"
    )
    assert office_key(home) == derive_office_key("Acme", "s3cret")
    config = load_config(home)
    assert config is not None
    assert config.interface == "lo"
    # Going open forgets the office key; the identity stays the same.
    public = public_key_path(home).read_bytes()
    init_home(home, name="Ann", office=None, passphrase=None, open_office=True, interface=None)
    assert office_key(home) is None
    assert public_key_path(home).read_bytes() == public


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"office": None, "passphrase": None, "open_office": False}, "either --open or --office"),
        ({"office": "Acme", "passphrase": None, "open_office": True}, "either --open or --office"),
        ({"office": "Acme", "passphrase": None, "open_office": False}, "needs its passphrase"),
    ],
)
def test_init_usage_errors(home: Path, options: dict[str, object], says: str) -> None:
    with pytest.raises(UsageError, match=says):
        init_home(home, name="Ann", interface=None, **options)  # type: ignore[arg-type]
    assert load_config(home) is None


def test_init_refuses_bad_names(home: Path) -> None:
    with pytest.raises(UsageError, match="cannot be empty"):
        init_home(home, name=" ", office=None, passphrase=None, open_office=True, interface=None)
    with pytest.raises(UsageError, match="too long"):
        init_home(
            home, name="x" * 65, office=None, passphrase=None, open_office=True, interface=None
        )


def test_init_while_running_is_refused(home: Path) -> None:
    with HomeLock(home), pytest.raises(HomeBusy):
        init_home(home, name="Ann", office=None, passphrase=None, open_office=True, interface=None)


def test_start_needs_a_setup(home: Path) -> None:
    with pytest.raises(NotSetUp, match="hallway init --name NAME --open"):
        start(home)
    with pytest.raises(UsageError, match="needs an office"):
        start(home, name="Ann")
    assert not StartableNode.instances
    with HomeLock(home):  # the lock was released
        pass


def test_start_sets_up_a_new_home_in_one_step(home: Path) -> None:
    runtime = start(home, name="Ann", office="Acme", passphrase="pw", interface="127.0.0.1")
    with runtime:
        node = StartableNode.instances[0]
        assert node.started
        assert node.config.name == "Ann"
        assert node.config.office.name == "Acme"
        assert node.config.office.key == derive_office_key("Acme", "pw")
        assert node.config.interfaces == ("127.0.0.1",)
        assert node.config.public_key == runtime.identity.public
        assert runtime.config.interface == "127.0.0.1"  # saved with the new home
        assert ControlClient(control_socket_path(home)).request("status_get")["name"] == "Ann"
        with pytest.raises(HomeBusy):
            start(home)
    assert node.closed == 1
    runtime.close()  # idempotent
    assert node.closed == 1
    with pytest.raises(NotRunning):
        ControlClient(control_socket_path(home)).request("ping")


def test_restart_reuses_setup_and_overrides_for_one_run(home: Path) -> None:
    init_home(home, name="Ann", office="Acme", passphrase="pw", open_office=False, interface=None)
    with start(home, interface="127.0.0.1", office="Acme") as runtime:
        assert runtime.node.config.interfaces == ("127.0.0.1",)  # type: ignore[attr-defined]
    config = load_config(home)
    assert config is not None
    assert config.interface is None  # an override on an existing home is not saved
    with start(home, name="Annie") as runtime:
        assert runtime.config.name == "Annie"
    with pytest.raises(UsageError, match="needs its passphrase"):
        start(home, office="Other Co")


def test_a_node_that_fails_to_start_frees_the_home(home: Path) -> None:
    init_home(home, name="Ann", office=None, passphrase=None, open_office=True, interface=None)

    def failing(config: NodeConfig) -> StartableNode:
        return StartableNode(config, fail=True)

    with pytest.raises(NodeError, match="cannot bind"):
        Runtime.start(home, node_factory=failing)  # type: ignore[arg-type]
    assert not os.path.lexists(control_socket_path(home))
    with start(home):
        pass


def test_a_lost_secret_is_an_error_not_a_new_identity(home: Path) -> None:
    init_home(home, name="Ann", office=None, passphrase=None, open_office=True, interface=None)
    config = load_config(home)
    assert config is not None
    SecretStore(config.instance, secrets_path(home)).delete("curve-secret")
    with pytest.raises(IdentityError):
        start(home)


def test_a_damaged_public_key_file_is_reported(home: Path) -> None:
    init_home(home, name="Ann", office=None, passphrase=None, open_office=True, interface=None)
    public_key_path(home).write_text("garbage")
    with pytest.raises(HallwayError, match="damaged"):
        start(home)


# Which commands make a home (issue 8): only what runs an instance; a client command never does.


def hallway(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hallway", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [["peers"], ["post", "hello"], ["status", "set", "busy"], ["feed"], ["watch"]]
)
def test_a_client_command_for_a_home_where_nothing_runs_creates_nothing(
    short_tmp: Path, command: list[str]
) -> None:
    home = short_tmp / "x" / "new"
    result = hallway("--home", str(home), *command)
    assert result.returncode == 3, result.stderr
    assert f"No Hallway is running for home {home}." in result.stderr
    assert not (short_tmp / "x").exists()


def test_nor_does_one_for_the_default_home(short_tmp: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HALLWAY_HOME"}
    env["XDG_DATA_HOME"] = str(short_tmp / "share")
    result = hallway("peers", env=env)
    assert result.returncode == 3, result.stderr
    assert f"No Hallway is running for home {short_tmp / 'share' / 'hallway'}." in result.stderr
    assert not (short_tmp / "share").exists()


def test_init_and_start_make_a_new_home_owner_only(short_tmp: Path) -> None:
    made_by_init = short_tmp / "a" / "home"
    init_home(
        made_by_init, name="Ann", office=None, passphrase=None, open_office=True, interface=None
    )
    assert stat.S_IMODE(made_by_init.stat().st_mode) == 0o700
    made_by_start = short_tmp / "b" / "home"
    with start(made_by_start, name="Ann", open_office=True):
        assert stat.S_IMODE(made_by_start.stat().st_mode) == 0o700


def test_a_client_command_refuses_a_home_another_user_made(short_tmp: Path) -> None:
    home = short_tmp / "home"
    home.mkdir(mode=0o777)
    home.chmod(0o777)
    give_to_nobody(home)
    result = hallway("--home", str(home), "peers")
    assert result.returncode == 1
    assert f"{home} belongs to nobody (uid {NOBODY}), not to you" in result.stderr
    assert result.stdout == ""


def test_a_client_command_sends_nothing_to_a_listener_of_another_user(short_tmp: Path) -> None:
    require_root()
    home = short_tmp
    listener = subprocess.Popen(
        [sys.executable, "-c", HOSTILE_LISTENER, str(control_socket_path(home)), str(NOBODY)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert listener.stdout is not None
    try:
        assert listener.stdout.readline() == "listening\n"
        result = hallway("--home", str(home), "post", "the secret plan")
        assert result.returncode == 1
        assert "runs as nobody" in result.stderr
        assert "nothing was sent to it" in result.stderr
        assert listener.stdout.readline() == "captured 0 bytes\n"
    finally:
        listener.kill()
        listener.wait()
        listener.stdout.close()


def test_the_tray_app_keeps_its_port_and_moves_when_it_is_taken(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's ports stay the same from run to run (colleagues on other networks were given
    HOST:PORT), unless another program took them: then free ones, kept from then on."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    init_home(home, name="Ann", office=None, passphrase=None, open_office=True,
              interface="127.0.0.1")  # fmt: skip
    with Runtime.start(home, keep_port=True) as runtime:
        first = runtime.node.info.router_port
        assert runtime.config.port == first
    assert load_config(home).port == first  # type: ignore[union-attr]
    with Runtime.start(home, keep_port=True) as runtime:
        assert runtime.node.info.router_port == first
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", first + 1))  # the PUB's port: all three move together
        squatter.listen()
        with Runtime.start(home, keep_port=True) as runtime:
            moved = runtime.node.info.router_port
            assert moved != first
    assert load_config(home).port == moved  # type: ignore[union-attr]
    with Runtime.start(home):  # `hallway node`: its own ports, the config untouched
        pass
    assert load_config(home).port == moved  # type: ignore[union-attr]

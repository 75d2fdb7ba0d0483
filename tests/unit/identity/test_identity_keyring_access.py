"""The keyring through its helper process (`keyring_access`): the same answers as in place, and
the asking process never loads keyring. Every helper here runs a test backend
(`tests/support/file_keyring.py`, or keyring's fail backend), never the real keyring."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backends import fail

from hallway.identity import SecretStore, keyring_access, secret_store
from hallway.identity import helper as helper_module
from hallway.identity.helper import HelperUnavailableError
from hallway.identity.keyring_access import (
    SERVICE,
    KeyringError,
    NotStoredError,
    ProcessKeyring,
    open_keyring,
    serve_keyring,
)
from hallway.identity.secret_store import CURVE_SECRET
from tests.support.file_keyring import ENV

ROOT = Path(__file__).resolve().parents[3]
FILE_KEYRING = "tests.support.file_keyring.FileKeyring"


@pytest.fixture
def helper_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Helpers started from here use the file keyring, which lives in the returned file."""
    path = tmp_path / "keyring.json"
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", FILE_KEYRING)
    monkeypatch.setenv(ENV, str(path))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    return path


@pytest.fixture
def helper(helper_backend: Path) -> Iterator[ProcessKeyring]:
    keyring = ProcessKeyring.start()
    try:
        yield keyring
    finally:
        keyring.close()


def test_a_helper_stores_reads_and_deletes(helper: ProcessKeyring, helper_backend: Path) -> None:
    assert helper.label == FILE_KEYRING
    helper.set("home-a/office-key", "secret value")
    assert json.loads(helper_backend.read_text()) == {
        f"{SERVICE}/home-a/office-key": "secret value"
    }
    assert helper.get("home-a/office-key") == "secret value"
    helper.delete("home-a/office-key")
    assert helper.get("home-a/office-key") is None
    with pytest.raises(NotStoredError, match="PasswordDeleteError: no password"):
        helper.delete("home-a/office-key")


def test_without_a_keyring_the_helper_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(KeyringError, match="no usable keyring backend") as raised:
        ProcessKeyring.start()
    assert raised.value.no_keyring


def test_a_refusal_crosses_with_its_reason(
    helper_backend: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.file_keyring.LockedKeyring")
    keyring = ProcessKeyring.start()
    try:
        with pytest.raises(KeyringError) as raised:
            keyring.get("home-a/curve-secret")
        assert raised.value.reason == "KeyringLocked: Failed to unlock the collection!"
        assert not raised.value.no_keyring
    finally:
        keyring.close()


def _reaped(pid: int | None) -> bool:
    """Whether `pid` has ended and been waited for (no zombie left)."""
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_close_ends_the_helper_and_the_next_call_starts_another(helper: ProcessKeyring) -> None:
    helper.set("home-a/curve-secret", "kept")
    first = helper.pid
    helper.close()
    assert _reaped(first)  # it ended on its own when its stdin closed
    assert helper.get("home-a/curve-secret") == "kept"  # from a new helper
    assert helper.pid not in (None, first)


def test_a_helper_that_died_is_replaced_and_the_request_still_answered(
    helper: ProcessKeyring,
) -> None:
    helper.set("home-a/curve-secret", "kept")
    first = helper.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    assert helper.get("home-a/curve-secret") == "kept"
    assert _reaped(first)


def test_a_helper_that_cannot_run_means_the_keyring_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(HelperUnavailableError, match="ended"):
        ProcessKeyring.start([sys.executable, "-c", "pass"])
    with pytest.raises(HelperUnavailableError, match="could not be started"):
        ProcessKeyring.start([str(ROOT / "no-such-program")])
    # open_keyring then does without it: here, the tests' in-memory keyring.
    monkeypatch.setattr(keyring_access, "in_process", lambda _backend: False)
    monkeypatch.setattr(helper_module, "helper_command", lambda _flag: [sys.executable, "-c", ""])
    assert open_keyring().label == "hallway.identity.memory.MemoryKeyring"


def test_serve_answers_each_request_and_ends_with_its_input() -> None:
    """In this process (the tests' in-memory keyring): the protocol, bad requests included."""
    requests = [
        {"op": "set", "account": "home-a/office-key", "value": "v"},
        {"op": "get", "account": "home-a/office-key"},
        {"op": "delete", "account": "home-a/nothing"},
        {"op": "shout", "account": "home-a/office-key"},
        {"op": "get"},
    ]
    read_in, write_in = os.pipe()
    read_out, write_out = os.pipe()
    with os.fdopen(read_in, "rb") as stdin, os.fdopen(write_out, "wb") as stdout:
        ended: list[int] = []
        server = threading.Thread(target=lambda: ended.append(serve_keyring(stdin, stdout)))
        server.start()
        try:
            with os.fdopen(write_in, "wb") as feed:
                for request in requests:
                    feed.write(json.dumps(request).encode() + b"\n")
                feed.write(b"not json\n[]\n")
        finally:
            server.join(10)
    with os.fdopen(read_out, "rb") as answers:
        replies = [json.loads(line) for line in answers]
    assert ended == [0]
    assert replies[0] == {"label": "hallway.identity.memory.MemoryKeyring"}
    assert replies[1:3] == [{"ok": True}, {"value": "v"}]
    assert replies[3]["not_stored"].startswith("PasswordDeleteError")
    assert replies[4] == {"failure": {"reason": "unknown request 'shout'"}}
    assert replies[5] == {"failure": {"reason": "unreadable request: no 'account'"}}
    assert replies[6]["failure"]["reason"].startswith("unreadable request")
    assert replies[7] == {"failure": {"reason": "unreadable request: not an object"}}


def test_a_process_that_has_not_loaded_keyring_reaches_it_through_the_helper(
    helper_backend: Path, tmp_path: Path
) -> None:
    """A fresh interpreter, as a node or tray app is: its secrets reach the keyring, and
    keyring (~11 MB) is loaded only in the helper, which ends once released."""
    script = """
import json, sys
from pathlib import Path
from hallway.identity import SecretStore
store = SecretStore("home-a", Path(sys.argv[1]))
store.set("office-key", "in the keyring")
again = SecretStore("home-a", Path(sys.argv[1]))
found = again.lookup("office-key")
store.release(); again.release()
print(json.dumps({"found": list(found), "backend": again.backend_name,
                  "fallback": again.using_fallback, "loaded": "keyring" in sys.modules}))
"""
    secrets = tmp_path / "secrets.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "desktop"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", script, str(secrets)],
        capture_output=True, text=True, env=env, timeout=60, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout)
    assert result == {
        "found": ["in the keyring", f"the system keyring ({FILE_KEYRING})"],
        "backend": FILE_KEYRING,
        "fallback": False,
        "loaded": False,
    }
    assert not secrets.exists()
    assert json.loads(helper_backend.read_text()) == {
        f"{SERVICE}/home-a/office-key": "in the keyring"
    }


def test_prepare_starts_the_helper_early_and_the_first_read_uses_it(
    helper: ProcessKeyring, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A node's start: the helper loads the keyring while the engine's modules are imported,
    and the secrets are then read from it, with no second helper; the file answers alone when
    it holds them."""
    helper.set("home-a/curve-secret", "from the keyring")
    monkeypatch.setattr(secret_store, "in_process", lambda _backend: False)  # as a fresh process
    store = SecretStore("home-a", tmp_path / "secrets.json")
    store.prepare()
    launched = store._launched
    assert launched is not None
    assert launched.pid is not None
    assert store.get(CURVE_SECRET) == "from the keyring"
    assert store._backend is launched
    pid = launched.pid
    store.release()
    assert _reaped(pid)

    in_file = SecretStore("home-b", tmp_path / "secrets.json", backend=fail.Keyring())
    in_file.set(CURVE_SECRET, "in the file")  # no keyring works: the file takes it
    again = SecretStore("home-b", tmp_path / "secrets.json")
    again.prepare()
    assert again._launched is None
    assert again.get(CURVE_SECRET) == "in the file"


def test_prepare_with_a_helper_that_cannot_start_leaves_the_keyring_to_the_first_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Never an error at a start: the first read then does without the helper."""
    monkeypatch.setattr(secret_store, "in_process", lambda _backend: False)  # as a fresh process
    monkeypatch.setattr(keyring_access, "in_process", lambda _backend: False)
    monkeypatch.setattr(helper_module, "helper_command", lambda _flag: [str(ROOT / "no-such")])
    store = SecretStore("home-a", tmp_path / "secrets.json")
    store.prepare()
    assert store._launched is None
    assert store.get(CURVE_SECRET) is None  # asked of the tests' in-memory keyring, in place
    assert store.backend_name == "hallway.identity.memory.MemoryKeyring"

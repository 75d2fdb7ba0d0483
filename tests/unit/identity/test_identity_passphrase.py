from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from hallway.identity import PASSPHRASE_MAX, IdentityError, prompt_passphrase, read_passphrase_file


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "passphrase"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"correct horse", "correct horse"),
        (b"correct horse\n", "correct horse"),
        (b"correct horse\r\n", "correct horse"),
        (b"  spaced  \n", "  spaced  "),
        ("\ufeffpåss".encode(), "påss"),
        (b"x" * PASSPHRASE_MAX, "x" * PASSPHRASE_MAX),
    ],
)
def test_a_passphrase_file_gives_its_single_line(
    tmp_path: Path, data: bytes, expected: str
) -> None:
    assert read_passphrase_file(_write(tmp_path, data)) == expected


def test_a_passphrase_file_may_be_named_by_a_string(tmp_path: Path) -> None:
    assert read_passphrase_file(str(_write(tmp_path, b"pw\n"))) == "pw"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "is empty"),
        (b"\n", "is empty"),
        (b"   \n", "is empty"),
        (b"one\ntwo\n", "more than one line"),
        (b"pw\n\n", "more than one line"),
        (b"\xff\xfe", "not UTF-8"),
        (b"x" * (PASSPHRASE_MAX + 1), "too long; the limit is 1024"),
        (b"x" * 100_000, "too long; the limit is 1024"),
    ],
)
def test_a_bad_passphrase_file_is_refused_clearly(
    tmp_path: Path, data: bytes, message: str
) -> None:
    with pytest.raises(IdentityError, match=message):
        read_passphrase_file(_write(tmp_path, data))


def test_a_missing_passphrase_file(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="does not exist"):
        read_passphrase_file(tmp_path / "nope")


def test_a_directory_as_passphrase_file(tmp_path: Path) -> None:
    with pytest.raises(IdentityError, match="is a directory"):
        read_passphrase_file(tmp_path)


def test_an_unreadable_passphrase_file() -> None:
    # Root reads any file, so as root the check runs in a child that drops to "nobody".
    folder = Path(tempfile.mkdtemp(prefix="hallway-pass-"))
    try:
        folder.chmod(0o755)
        path = _write(folder, b"pw")
        path.chmod(0)
        if os.geteuid() != 0:
            with pytest.raises(IdentityError, match="permission denied"):
                read_passphrase_file(path)
            return
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            os.close(read_end)
            try:
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                read_passphrase_file(path)
                message = b"read it"
            except IdentityError as exc:
                message = str(exc).encode()
            except BaseException as exc:  # noqa: BLE001
                message = repr(exc).encode()
            os.write(write_end, message)
            os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read().decode()
        os.waitpid(pid, 0)
        assert "permission denied" in message
    finally:
        shutil.rmtree(folder)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _answers(monkeypatch: pytest.MonkeyPatch, *answers: str) -> list[str]:
    prompts: list[str] = []
    queue = list(answers)

    def getpass(prompt: str = "Password: ", stream: object = None) -> str:
        prompts.append(prompt)
        if not queue:
            raise EOFError
        return queue.pop(0)

    monkeypatch.setattr("sys.stdin", _Terminal())
    monkeypatch.setattr("getpass.getpass", getpass)
    return prompts


def test_prompt_without_a_terminal_points_to_the_file_option(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("pw\n"))

    with pytest.raises(
        IdentityError, match="no terminal to ask for a passphrase; use --passphrase"
    ):
        prompt_passphrase(confirm=False)


def test_prompt_asks_once(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = _answers(monkeypatch, "correct horse")

    assert prompt_passphrase(confirm=False) == "correct horse"
    assert prompts == ["Office passphrase: "]


def test_prompt_with_confirmation_asks_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts = _answers(monkeypatch, "correct horse", "correct horse")

    assert prompt_passphrase(confirm=True) == "correct horse"
    assert len(prompts) == 2


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        (("correct horse", "battery staple"), "do not match"),
        (("",), "is empty"),
        (("x" * (PASSPHRASE_MAX + 1),), "too long"),
        ((), "No passphrase was entered"),
    ],
)
def test_prompt_refuses_bad_answers(
    monkeypatch: pytest.MonkeyPatch, answers: tuple[str, ...], message: str
) -> None:
    _answers(monkeypatch, *answers)

    with pytest.raises(IdentityError, match=message):
        prompt_passphrase(confirm=True)

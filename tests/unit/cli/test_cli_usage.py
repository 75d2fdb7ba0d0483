"""The command-line contract: usage errors (2), nothing running (3), --version, no tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hallway import __version__
from tests.unit.cli.conftest import Run

CLIENT_COMMANDS = [
    ["status"],
    ["status", "--json"],
    ["status", "set", "busy", "In a call", "--for", "45m"],
    ["status", "clear"],
    ["post", "Cake in the kitchen"],
    ["peers"],
    ["peers", "--json"],
    ["feed", "--limit", "5"],
    ["watch", "--json"],
]


def test_version(run: Run) -> None:
    result = run("--version")
    assert result.code == 0
    assert result.out.strip() == f"hallway {__version__}"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["launch"], "invalid choice"),
        (["status", "set"], "error: PRESENCE is required: choose available, away, busy or dnd"),
        (["status", "set", "busy", "--for", "-5m"], "--for: a duration must be positive"),
        (["status", "set", "busy", "--emoji", "notanemoji"], "'notanemoji' is not one emoji"),
        (["status", "set", "busy", "--emoji", "☕☕"], "is not one emoji; give a single emoji"),
        (["status", "set", "busy", "--emoji", "🙂" * 17], "is not one emoji"),
        (["status", "set", "sleeping"], "is not a presence"),
        (["status", "set", "busy", "--for", "soon"], "cannot read 'soon' as a duration"),
        (["status", "set", "busy", "--for", "0m"], "longer than zero"),
        (["status", "set", "busy", "--for", "90d"], "30 days at most"),
        (["status", "set", "busy", "--until", "25:99"], "not a valid time"),
        (["status", "set", "busy", "--until", "teatime"], "cannot read 'teatime' as a time"),
        (["status", "set", "busy", "--for", "1h", "--until", "15:00"], "not allowed with"),
        (["feed", "--limit", "0"], "from 1 to 1000"),
        (["feed", "--limit", "lots"], "not a whole number"),
        (["post"], "TEXT"),
        (["init", "--open"], "--name"),
        (["init", "--name", "Ann"], "--open --office"),
        (["init", "--name", "Ann", "--open", "--office", "Acme"], "not allowed with"),
        (["node", "--open", "--office", "Acme"], "not allowed with"),
        (["peers", "--bogus"], "unrecognized arguments"),
        (["peers", "--hme", "x"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2_with_a_message(run: Run, argv: list[str], says: str) -> None:
    result = run(*argv)
    assert result.code == 2
    assert says in result.err
    assert "usage:" in result.err
    assert "Traceback" not in result.err
    assert result.out == ""


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["status", "set", "busy", "x" * 141], "limit is 140"),
        (["post", " "], "needs some text"),
        (["post", "x" * 2001], "limit is 2000"),
        (["node", "--passphrase-file", "/nonexistent"], "goes with --office"),
    ],
)
def test_checks_after_parsing_are_usage_errors_too(
    run: Run, home: Path, argv: list[str], says: str
) -> None:
    result = run("--home", str(home), *argv)
    assert result.code == 2
    assert says in result.err
    assert "usage: hallway" in result.err


@pytest.mark.parametrize("argv", CLIENT_COMMANDS)
def test_client_commands_with_nothing_running_exit_3(run: Run, home: Path, argv: list[str]) -> None:
    result = run("--home", str(home), *argv)
    assert result.code == 3
    assert result.err.strip() == (
        f"No Hallway is running for home {home}. Start one with `hallway node` or `hallway`."
    )
    assert result.out == ""


def test_home_comes_from_the_environment_and_after_the_command(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLWAY_HOME", str(home))
    assert str(home) in run("peers").err
    monkeypatch.delenv("HALLWAY_HOME")
    assert str(home) in run("peers", "--home", str(home)).err


def test_status_set_without_arguments_asks_only_for_the_presence(run: Run) -> None:
    result = run("status", "set")
    assert result.err.splitlines() == [
        "usage: hallway status set PRESENCE [TEXT ...] [--emoji E] [--for DURATION | --until TIME]",
        "hallway status set: error: PRESENCE is required: choose available, away, busy or dnd",
    ]


def test_help_says_what_until_words_and_exit_statuses_mean(run: Run) -> None:
    status_set = " ".join(run("status", "set", "--help").out.split())  # wrapped to the terminal
    assert "today (23:59)" in status_set
    assert "tomorrow (09:00 tomorrow)" in status_set
    assert "today (or tonight, eod) = 23:59 today, tomorrow = 09:00 tomorrow" in status_set
    assert "E is exactly one emoji" in status_set
    assert "DURATION is positive" in status_set
    assert "130 interrupted (Ctrl-C)" in " ".join(run("--help").out.split())


def test_help_has_examples_for_every_command(run: Run) -> None:
    for command in ["init", "node", "status", "post", "peers", "feed", "watch", "demo"]:
        result = run(command, "--help")
        assert result.code == 0
        assert "examples:" in result.out, command
    assert "examples:" in run("status", "set", "--help").out


def test_an_unexpected_error_is_one_line_and_a_hint(
    run: Run, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hallway.cli import commands

    def explode(*_: object) -> int:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(commands, "run_client_command", explode)
    result = run("--home", str(home), "peers")
    assert result.code == 1
    assert "unexpected error: RuntimeError: kaboom" in result.err
    assert "HALLWAY_DEBUG=1" in result.err
    assert "Traceback" not in result.err

    monkeypatch.setenv("HALLWAY_DEBUG", "1")
    assert "Traceback" in run("--home", str(home), "peers").err


def test_node_without_setup_says_how(run: Run, home: Path) -> None:
    result = run("--home", str(home), "node")
    assert result.code == 1
    assert "hallway init --name NAME --open" in result.err
    assert "Traceback" not in result.err


def _hallway(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}
    env.pop("HALLWAY_HOME", None)
    return subprocess.run(
        [sys.executable, "-m", "hallway", "--home", str(home), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_as_a_process(home: Path) -> None:
    usage = _hallway("status", "set", "busy", "--for", "soon", home=home)
    assert usage.returncode == 2
    assert "as a duration" in usage.stderr
    assert "Traceback" not in usage.stderr
    absent = _hallway("peers", home=home)
    assert absent.returncode == 3
    assert "hallway node" in absent.stderr


def test_the_headless_modules_never_load_qt() -> None:
    code = (
        "import sys\n"
        "import hallway.cli.main, hallway.cli.app, hallway.cli.demo_app, hallway.cli.node\n"
        "import hallway.runtime\n"
        "import hallway.demo, hallway.control, hallway.control.server\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'hallway.ui'))]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

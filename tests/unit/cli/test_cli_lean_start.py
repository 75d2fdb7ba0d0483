"""Issue 13: a client command loads only what it needs, and parsing it the lean way changes nothing.

Module sets, not timings: `bench/cli_start.py` measures the time. Each command runs in a fresh
interpreter against a fake instance on the home's control socket, served from this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hallway.cli.parser import COMMANDS, build_parser, command_in
from hallway.control import ControlServer
from hallway.control.transport import decode_event, decode_reply, encode_json, encode_request
from hallway.store.home import control_socket_path
from tests.unit.control.fake_node import FakeNode

# Nothing a client command needs: the engine, the network, the database, msgspec's schemas,
# the runtime, the config, logging, and the model's dataclasses (core.plain has what it prints).
HEAVY = (
    "dataclasses",
    "hallway.core.model",
    "zmq",
    "zeroconf",
    "sqlite3",
    "msgspec",
    "keyring",
    "hallway.engine",
    "hallway.net",
    "hallway.runtime",
    "hallway.store.config",
    "hallway.control.protocol",
    "hallway.control.server",
    "logging",
    # typing is 11 ms of a 25 ms Python start here (modules say TYPE_CHECKING = False), shutil
    # comes with argparse's default width (bz2, lzma), shlex only with a refusal's words.
    "typing",
    "shutil",
    "shlex",
    # pathlib brings fnmatch, ntpath and urllib.parse: ~0.3x of a bare Python start. A client
    # command's paths are plain strings (hallway.store.home).
    "pathlib",
    "fnmatch",
    "ntpath",
    "urllib",
)

RUN = """
import json, sys
from hallway.cli.main import main
try:
    code = main({argv!r})
except SystemExit as exc:  # --help
    code = exc.code
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}), file=sys.stderr)
"""


def run_client(argv: list[str]) -> tuple[int, set[str]]:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(RUN.format(argv=argv))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
    )
    assert result.stderr.strip(), result.stdout
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "argv", [["peers"], ["peers", "--json"], ["status", "--json"], ["status", "clear"], ["watch"]]
)
def test_a_client_command_loads_nothing_heavy(short_tmp: Path, argv: list[str]) -> None:
    node = FakeNode()
    with ControlServer(control_socket_path(short_tmp), node):
        if argv == ["watch"]:  # the stream ends when the instance stops: parse only
            code, modules = run_client(["--home", str(short_tmp), "watch", "--help"])
            assert code == 0
        else:
            code, modules = run_client(["--home", str(short_tmp), *argv])
            assert code == 0
    assert heavy_in(modules) == []


# Nor, for the plainest command lines (hallway.cli.flags), argparse; nor the socket module (the
# client's sockets are _socket's), nor ifaddr for `status` (the node counts the networks).
PLAIN_LEAVES_OUT = {"argparse", "gettext", "locale", "socket", "selectors", "ifaddr", "ctypes"}


@pytest.mark.parametrize("argv", [["peers"], ["peers", "--json"], ["status"], ["status", "--json"]])
def test_the_plainest_command_lines_load_no_argparse(short_tmp: Path, argv: list[str]) -> None:
    with ControlServer(control_socket_path(short_tmp), FakeNode()):
        code, modules = run_client(["--home", str(short_tmp), *argv])
    assert code == 0
    assert sorted(PLAIN_LEAVES_OUT & modules) == []


def test_no_instance_running_is_said_without_loading_anything_heavy(short_tmp: Path) -> None:
    code, modules = run_client(["--home", str(short_tmp / "nothing"), "peers"])
    assert code == 3
    assert heavy_in(modules) == []


ARGVS = [
    ["peers"],
    ["peers", "--json", "--home", "/tmp/x"],
    ["--home", "/tmp/x", "status", "set", "busy", "In", "a", "call", "--for", "45m"],
    ["status", "set", "dnd", "--until", "15:30", "--emoji", "☕"],
    ["status", "clear"],
    ["feed", "--limit", "5", "--questions"],
    ["feed", "--search", "badge", "printer"],
    ["post", "--urgent", "Fire drill"],
    ["reply", "a:1:2", "yes"],
    ["event", "list"],
    ["knock", "ben", "hi", "--urgent"],
    ["knocks", "--json"],
    ["quiet", "set", "18:00-08:00", "--weekends"],
    ["node", "--name", "Ann", "--open", "--port", "5000"],
    ["init", "--name", "Ann", "--open", "--peer", "10.0.0.2"],
    ["demo", "--headless"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_the_lean_parser_parses_as_the_whole_one(argv: list[str]) -> None:
    only = command_in(argv)
    assert only is not None
    lean = vars(build_parser(only).parse_args(argv))
    whole = vars(build_parser().parse_args(argv))
    # usage_parser is the subparser object itself: compare what it prints instead.
    assert lean.pop("usage_parser").format_help() == whole.pop("usage_parser").format_help()
    assert lean == whole


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_the_same_help_either_way(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = []
    for parser in (build_parser(command), build_parser()):
        with pytest.raises(SystemExit):
            parser.parse_args([command, "--help"])
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(f"usage: hallway {command}")


def test_the_whole_tree_is_every_command() -> None:
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices or ()) == COMMANDS


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["peers"], "peers"),
        (["--home", "/h", "peers"], "peers"),
        (["--home=/h", "status", "set"], "status"),
        (["--help", "peers"], None),
        (["--version"], None),
        (["--home", "--json", "peers"], None),
        (["--home"], None),
        (["peer"], None),
        ([], None),
    ],
)
def test_command_in(argv: list[str], expected: str | None) -> None:
    assert command_in(argv) == expected


VALUES = [
    {"v": 1, "cmd": "post", "args": {"text": "Café ☕ \x00\x1f\x7f\u2028", "urgent": True}},
    {"until": 1764410400.25, "n": -(2**63), "m": 2**64 - 1, "l": [True, None, 0.1, 2.0, -0.0]},
    {"tiny": 5e-05, "huge": 1e16, "big": 2**64},
    ["\udcff"],
]


@pytest.mark.parametrize("value", VALUES)
def test_encode_json_writes_msgspecs_bytes(value: object) -> None:
    msgspec = pytest.importorskip("msgspec")
    try:
        expected: bytes | str = msgspec.json.encode(value)
    except (UnicodeEncodeError, OverflowError) as exc:
        expected = f"{type(exc).__name__}: {exc}"
    try:
        got: bytes | str = encode_json(value)
    except (UnicodeEncodeError, OverflowError) as exc:
        got = f"{type(exc).__name__}: {exc}"
    assert got == expected


def test_a_request_line_is_msgspecs() -> None:
    msgspec = pytest.importorskip("msgspec")
    args = {"presence": "busy", "text": "In a call", "emoji": "📞", "until": 1764410400.5}
    expected = msgspec.json.encode({"v": 1, "cmd": "status_set", "args": args}) + b"\n"
    assert encode_request("status_set", args) == expected


@pytest.mark.parametrize(
    "line",
    [
        b'{"ok":true,"result":[1,2.5,"x",null]}\n',
        b'{"ok":false,"error":"no","code":"bad_request"}\n',
        b'{"ok":true,"error":null}\n',
        b'{"ok":1}\n',
        b"[1]\n",
        b"not json\n",
        b'{"ok":true,"result":NaN}\n',
        b'{"ok":true,"result":123456789012345678901234567890}\n',
        b'{"ok":true} trailing\n',
        b'{"ok":true,"result":"\xff"}\n',
    ],
)
def test_replies_decode_as_msgspec_decodes_them(line: bytes) -> None:
    msgspec = pytest.importorskip("msgspec")

    class Reply(msgspec.Struct, frozen=True):
        ok: bool
        result: object = None
        error: str = ""
        code: str = ""

    def strict() -> object:
        try:
            r = msgspec.json.decode(line, type=Reply)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            return f"the running Hallway sent an unreadable reply: {exc}"
        except UnicodeDecodeError as exc:
            return f"UnicodeDecodeError: {exc}"
        return (r.ok, r.result, r.error, r.code)

    def light() -> object:
        try:
            r = decode_reply(line)
        except UnicodeDecodeError as exc:
            return f"UnicodeDecodeError: {exc}"
        except Exception as exc:  # noqa: BLE001 -- ControlError's message is what is compared
            return str(exc)
        return (r.ok, r.result, r.error, r.code)

    assert light() == strict()


def test_events_decode_as_before() -> None:
    assert decode_event(b'{"type":"ready","at":"x"}\n') == {"type": "ready", "at": "x"}
    with pytest.raises(Exception, match="not an object"):
        decode_event(b"[1]\n")
    with pytest.raises(Exception, match="unreadable event"):
        decode_event(b"{\n")

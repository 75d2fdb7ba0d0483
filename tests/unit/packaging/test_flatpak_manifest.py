"""The Flatpak manifest: well-formed YAML with the keys and permissions Hallway needs.

flatpak-builder and the runtimes are not available to the tests, and PyYAML is not a dependency,
so a small parser reads the block-style subset the manifest is written in and refuses the rest.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeAlias

import pytest

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = ROOT / "packaging" / "flatpak" / "io.github.hallway.Hallway.yml"

Node: TypeAlias = "str | list[Node] | dict[str, Node]"


class YamlSubsetError(ValueError):
    pass


def _scalar(text: str, where: int) -> str:
    text = text.strip()
    if text[:1] in {"'", '"'}:
        if len(text) < 2 or text[-1] != text[0]:
            raise YamlSubsetError(f"line {where}: unterminated quote in {text!r}")
        return text[1:-1]
    if " #" in text or text[:1] in set("&*!|>{}[]%@`"):
        raise YamlSubsetError(f"line {where}: unsupported scalar {text!r}")
    return text


def parse_yaml_subset(text: str) -> Node:
    """Block mappings and sequences of plain or quoted scalars, with full-line comments."""
    lines: list[tuple[int, int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if "\t" in raw:
            raise YamlSubsetError(f"line {number}: tab character")
        content = raw.strip()
        if content and not content.startswith("#"):
            lines.append((number, len(raw) - len(raw.lstrip(" ")), content))

    def block(i: int, indent: int) -> tuple[Node, int]:
        if lines[i][2].startswith("- "):
            return sequence(i, indent)
        return mapping(i, indent)

    def sequence(i: int, indent: int) -> tuple[Node, int]:
        items: list[Node] = []
        while i < len(lines) and lines[i][1] == indent and lines[i][2].startswith("- "):
            number, _, content = lines[i]
            rest = content[2:]
            if ":" in rest and not rest.startswith(("'", '"')):
                lines[i] = (number, indent + 2, rest)  # "- key: value" opens a mapping
                item, i = mapping(i, indent + 2)
            else:
                item, i = _scalar(rest, number), i + 1
            items.append(item)
        return items, i

    def mapping(i: int, indent: int) -> tuple[Node, int]:
        result: dict[str, Node] = {}
        while i < len(lines) and lines[i][1] == indent:
            number, _, content = lines[i]
            key, colon, value = content.partition(":")
            if not colon or not key or key != key.strip() or key in result:
                raise YamlSubsetError(
                    f"line {number}: expected a new 'key: value', got {content!r}"
                )
            if value.strip():
                if not value.startswith(" "):
                    raise YamlSubsetError(f"line {number}: no space after ':'")
                result[key], i = _scalar(value, number), i + 1
            elif i + 1 < len(lines) and lines[i + 1][1] > indent:
                result[key], i = block(i + 1, lines[i + 1][1])
            else:
                raise YamlSubsetError(f"line {number}: {key!r} has no value")
        return result, i

    if not lines:
        raise YamlSubsetError("empty document")
    node, end = block(0, lines[0][1])
    if end != len(lines):
        number, _, content = lines[end]
        raise YamlSubsetError(f"line {number}: unexpected indentation at {content!r}")
    return node


@pytest.fixture(scope="module")
def manifest() -> dict[str, Node]:
    node = parse_yaml_subset(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(node, dict)
    return node


def test_parser_refuses_what_it_does_not_understand() -> None:
    assert parse_yaml_subset("a: '1'\nb:\n  - x\n  - k: v\n    l: w\n") == {
        "a": "1",
        "b": ["x", {"k": "v", "l": "w"}],
    }
    for bad in ["a: 1\n  b: 2\n", "a:\n", "a: 1\na: 2\n", "a: [1, 2]\n", "a:\tb\n", "a: 'x\n"]:
        with pytest.raises(YamlSubsetError):
            parse_yaml_subset(bad)


def test_identity_runtime_and_base(manifest: dict[str, Node]) -> None:
    assert manifest["app-id"] == "io.github.hallway.Hallway"
    assert manifest["runtime"] == "org.kde.Platform"
    assert manifest["sdk"] == "org.kde.Sdk"
    assert manifest["base"] == "io.qt.PySide.BaseApp"
    assert manifest["runtime-version"] == manifest["base-version"], "BaseApp follows the runtime"
    assert manifest["command"] == "hallway-tray"


def test_permissions(manifest: dict[str, Node]) -> None:
    args = manifest["finish-args"]
    assert isinstance(args, list)
    assert set(args) >= {
        "--share=network",
        "--share=ipc",
        "--socket=wayland",
        "--socket=fallback-x11",
        "--talk-name=org.freedesktop.Notifications",
        "--talk-name=org.kde.StatusNotifierWatcher",
        "--talk-name=org.freedesktop.secrets",
    }
    assert not [a for a in args if isinstance(a, str) and a.startswith("--filesystem")]


def test_hallway_module_installs_the_package_and_icons(manifest: dict[str, Node]) -> None:
    modules = manifest["modules"]
    assert isinstance(modules, list)
    hallway = [m for m in modules if isinstance(m, dict) and m.get("name") == "hallway"]
    assert len(hallway) == 1
    commands = hallway[0]["build-commands"]
    assert isinstance(commands, list)
    assert any("pip3 install" in c and "--no-deps" in c for c in commands if isinstance(c, str))
    assert "packaging/linux/install-icons --prefix /app" in commands
    assert (ROOT / "packaging" / "linux" / "install-icons").is_file()

"""Replay the fuzz corpus and every kept finding through the fuzz targets' invariants.

Fast, and no atheris: this runs in the default test run. The directory a file sits in names its
target (tests/fuzz/corpus/<target>/, tests/fuzz/regressions/<target>/). A regression file whose
name starts with `<id>--`, for an id in `checks.KNOWN_BUGS`, is a reported bug not fixed yet and
is a strict xfail: fixing the bug turns it into a failure until the entry is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hallway.core.errors import DecodeError
from tests.fuzz import checks

HERE = Path(__file__).resolve().parent
INPUTS = sorted(
    path
    for root in (HERE / "corpus", HERE / "regressions")
    for path in root.rglob("*")
    if path.is_file() and not path.name.startswith(".")
)


def _param(path: Path) -> object:
    rel = path.relative_to(HERE).as_posix()
    bug = path.name.split("--", 1)[0] if "--" in path.name else None
    marks = []
    if bug in checks.KNOWN_BUGS:
        marks.append(
            pytest.mark.xfail(
                reason=f"known bug {bug}, fix pending",
                raises=checks.KNOWN_BUGS[bug],
                strict=True,
            )
        )
    return pytest.param(path, id=rel, marks=marks)


def test_inputs_exist() -> None:
    for target in checks.TARGETS:
        assert list((HERE / "corpus" / target).glob("seed-*")), f"no seeds for {target}"


def test_every_input_belongs_to_a_target() -> None:
    for path in INPUTS:
        assert path.parent.name in checks.CHECKS, f"{path}: not under a target's directory"


@pytest.mark.parametrize("path", [_param(p) for p in INPUTS])
def test_replay(path: Path) -> None:
    checks.CHECKS[path.parent.name](path.read_bytes())


@pytest.mark.parametrize(
    "path", sorted((HERE / "corpus").glob("*/seed-*")), ids=lambda p: p.parent.name + "/" + p.name
)
def test_seeds_are_valid(path: Path) -> None:
    """Seeds must decode, or the fuzzer starts from nothing (re-run make_seeds after a change)."""
    data = path.read_bytes()
    target = path.parent.name
    if target == "wire":
        checks.WIRE_DECODERS[data[0] % 3](data[1:])
    elif target == "txt":
        from hallway.core.txt import parse_txt

        parse_txt(checks.txt_props(data))
    else:
        from hallway.control.protocol import decode_request

        decode_request(data)


def test_the_invariant_rejects_a_foreign_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checks really fail when a decoder lets anything but its own error escape."""

    def broken(data: bytes) -> object:
        raise ValueError(data)

    monkeypatch.setattr(checks, "WIRE_DECODERS", (broken, broken, broken))
    with pytest.raises(ValueError, match="x"):
        checks.check_wire(b"\x00x")

    def refuses(data: bytes) -> object:
        raise DecodeError("no")

    monkeypatch.setattr(checks, "WIRE_DECODERS", (refuses, refuses, refuses))
    checks.check_wire(b"\x00x")


def test_txt_props_mirror_zeroconf() -> None:
    """`checks.unpack_rdata` is a copy of zeroconf's TXT unpacking; keep them in step."""
    from zeroconf import ServiceInfo

    rdata = b"\x03v=1\x01m\x02o=\x04o=xx\x00\x05p=1=2"
    info = ServiceInfo("_hallway._tcp.local.", "x._hallway._tcp.local.", properties=rdata)
    assert checks.unpack_rdata(rdata) == info.properties
    assert checks.unpack_rdata(checks.pack_rdata(info.properties)) == info.properties

"""Issue 9, item 7: a member names itself like another ("Bob", and "Bob" with a Cyrillic o).

Three real nodes: Bob, the impostor and an observer. The observer flags both names, tells them
apart by distinct short fingerprints in `peers`, `feed` and its events, warns once, and keeps the
name the impostor posted under after the impostor renames. The observer's CPU time and memory
are printed before and after.
"""

from __future__ import annotations

import json

import pytest

from tests.net.conftest import Office, RunningNode, is_type
from tests.support.procstat import cpu_seconds, rss_kb

pytestmark = pytest.mark.net

FAKE_BOB = "B\u043eb"  # a Cyrillic small o


def _usage(node: RunningNode) -> str:
    assert node.proc is not None
    pid = node.proc.pid
    return f"RSS {rss_kb(pid) / 1024:.1f} MB, CPU time {cpu_seconds(pid):.2f} s"


def _peers(node: RunningNode) -> dict[str, dict[str, object]]:
    return {p["id"]: p for p in json.loads(node.cli("peers", "--json").stdout)}


def test_a_look_alike_name_is_flagged_and_an_old_post_keeps_its_name(
    office: Office, capsys: pytest.CaptureFixture[str]
) -> None:
    def report(text: str) -> None:
        with capsys.disabled():
            print(f"\n[impersonation] {text}", end="")

    ann, bob = office.node("Ann"), office.node("Bob")
    ann.wait(is_type("peer_online", peer=bob.id))
    report(f"observer before: {_usage(ann)}")
    mallory = office.node(FAKE_BOB)
    ann.wait(is_type("peer_online", peer=mallory.id))

    # One warning, about the newcomer, naming both by their short fingerprints.
    warning = ann.wait(is_type("warning", peer=mallory.id))
    peers = _peers(ann)
    real, fake = peers[bob.id], peers[mallory.id]
    assert real["look_alike"] is True
    assert fake["look_alike"] is True
    assert real["look_alikes"] == [mallory.id]
    assert fake["look_alikes"] == [bob.id]
    assert real["short_fingerprint"] != fake["short_fingerprint"]
    assert str(real["fingerprint"]).startswith(str(real["short_fingerprint"]))
    assert peers[ann.id]["look_alike"] is False
    assert f"Bob ({real['short_fingerprint']})" in str(warning["message"])
    assert f"{FAKE_BOB} ({fake['short_fingerprint']})" in str(warning["message"])
    table = ann.cli("peers").stdout
    assert f"Bob ({real['short_fingerprint']})" in table
    assert f"{FAKE_BOB} ({fake['short_fingerprint']})" in table

    mark = ann.mark()
    mallory.cli("post", "Free pizza in the kitchen")
    post = ann.wait_after(mark, is_type("post", peer=mallory.id))
    assert (post["name"], post["look_alike"]) == (FAKE_BOB, True)
    assert post["short_fingerprint"] == fake["short_fingerprint"]
    report(f"observer with two Bobs: {_usage(ann)}")

    # The impostor renames (a restart with another name): its old post keeps the name it was
    # posted under, still flagged, since it still reads like Bob's.
    mallory.stop()
    mark = ann.mark()
    mallory.name = "Mallory"
    mallory.start()
    ann.wait_after(mark, is_type("peer_online", peer=mallory.id, name="Mallory"))
    peers = _peers(ann)
    assert peers[mallory.id]["name"] == "Mallory"
    assert peers[mallory.id]["look_alike"] is False
    assert peers[bob.id]["look_alike"] is False
    [item] = [i for i in json.loads(ann.cli("feed", "--json").stdout) if i["peer"] == mallory.id]
    assert (item["name"], item["look_alike"]) == (FAKE_BOB, True)
    assert item["short_fingerprint"] == fake["short_fingerprint"]
    assert f"{FAKE_BOB} ({fake['short_fingerprint']})" in ann.cli("feed").stdout
    assert ann.find(is_type("warning", peer=bob.id)) is None  # said once, about the newcomer
    report(f"observer after: {_usage(ann)}")

"""The engine's book of look-alike names (hallway/engine/names_view.py); no sockets."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core import names as core_names
from hallway.core.model import Post, Status
from hallway.engine import events as ev
from hallway.engine.names_view import LOOK_ALIKES_SHOWN, WARN_BURST, NameBook, start_names
from hallway.store.db import Store
from hallway.store.records import StoredItem

CYRILLIC_O = "\u043e"
OWN = "0" * 32
BOB = "3f9a1c2b" + "0" * 24
MALLORY = "3f9a1c2f" + "0" * 24  # made keys until the first digits matched Bob's
ANN = "a" * 32
KEY = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"


def test_a_second_bob_is_flagged_and_announced_once() -> None:
    book = NameBook(OWN, "Sam")
    assert book.learn(BOB, "Bob", now=1.0) == []
    assert not book.look_alike(BOB)
    assert book.short_fingerprint(BOB) == "3f9a"
    [warning] = book.learn(MALLORY, f"B{CYRILLIC_O}b", now=2.0)
    assert warning.peer == MALLORY
    assert warning.code is None
    assert warning.message == (
        f"Two members have names that look alike: B{CYRILLIC_O}b (3f9a 1c2f) and Bob "
        "(3f9a 1c2b). Tell them apart by the fingerprint."
    )
    assert book.look_alike(BOB)
    assert book.look_alike(MALLORY)
    assert not book.look_alike(OWN)
    assert book.look_alikes(BOB) == (MALLORY,)
    assert book.look_alikes(OWN) == ()
    # Their fingerprints start alike, so each is shown as far as it differs.
    assert book.short_fingerprint(BOB) == "3f9a 1c2b"
    assert book.short_fingerprint(MALLORY) == "3f9a 1c2f"
    # Learning the same name again, or another spelling of it, says nothing new.
    assert book.learn(MALLORY, f"B{CYRILLIC_O}b", now=3.0) == []
    assert book.learn(MALLORY, "BOB", now=3.0) == []


def test_renaming_away_clears_the_flag_and_a_forgotten_peer_collides_with_nobody() -> None:
    book = NameBook(OWN, "Sam")
    book.learn(BOB, "Bob")
    book.learn(MALLORY, "Bob")
    book.learn(MALLORY, "Mallory")
    assert not book.look_alike(BOB)
    assert not book.look_alike(MALLORY)
    assert book.short_fingerprint(BOB) == "3f9a"
    book.learn(MALLORY, "bob")
    assert book.look_alike(BOB)
    book.forget(MALLORY)  # the engine evicted it
    assert not book.look_alike(BOB)
    assert book.look_alikes(BOB) == ()
    book.forget(OWN)  # never forgets us
    assert book.learn(ANN, "Sam", now=5.0)[0].peer == ANN


def test_our_own_name_counts_both_ways() -> None:
    book = NameBook(OWN, "Bob")
    [warning] = book.learn(BOB, "B0b", now=1.0)
    assert warning.message == (
        "B0b (3f9a) has a name that looks like yours, Bob (0000). "
        "Tell them apart by the fingerprint."
    )
    book.learn(BOB, "Ann")
    [warning] = book.learn(OWN, "ANN", now=2.0)
    assert warning.peer == OWN
    assert warning.message == (
        "Your name, ANN (0000), looks like Ann (3f9a). "
        "Tell them apart by the fingerprint, or choose another name."
    )


def test_a_name_an_item_was_posted_under_is_tagged_too() -> None:
    book = NameBook(OWN, "Sam")
    book.learn(BOB, "Bob")
    book.learn(MALLORY, "Mallory")
    # Mallory posted as "Bob", then renamed: the old item still reads like Bob.
    assert book.tag(MALLORY, "Bob") == (True, "3f9a 1c2f")
    assert book.tag(MALLORY) == (False, "3f9a")
    assert book.tag(BOB, "Bob") == (False, "3f9a")
    assert book.tag(ANN, "Nobody") == (False, "aaaa")


def test_events_that_name_a_look_alike_carry_its_short_fingerprint() -> None:
    book = NameBook(OWN, "Sam")
    seen: list[ev.Event] = []
    emit = book.tagging(seen.append)
    online = ev.PeerOnline(at=1.0, peer=BOB, name="Bob", address="10.0.0.2")
    emit(online)
    assert seen[-1] is online  # nothing to say: not even a copy
    book.learn(BOB, "Bob")
    book.learn(MALLORY, "Bob")
    post = Post(id="x", peer=MALLORY, text="Free pizza", urgent=False, sent_at=1.0)
    emit(ev.PostReceived(at=2.0, post=post, name="Bob"))
    emit(ev.StatusChanged(at=3.0, peer=BOB, name="Bob", status=Status()))
    emit(ev.NodeWarning(at=4.0, message="unrelated"))
    tagged_post, tagged_status, warning = seen[1:]
    assert isinstance(tagged_post, ev.PostReceived)
    assert (tagged_post.look_alike, tagged_post.short_fingerprint) == (True, "3f9a 1c2f")
    assert tagged_post.label == "Bob (3f9a 1c2f)"
    assert tagged_post.to_json()["look_alike"] is True
    assert tagged_post.to_json()["short_fingerprint"] == "3f9a 1c2f"
    assert isinstance(tagged_status, ev.StatusChanged)
    assert tagged_status.label == "Bob (3f9a 1c2b)"
    assert warning == ev.NodeWarning(at=4.0, message="unrelated")
    plain = online.to_json()
    assert (plain["look_alike"], plain["short_fingerprint"]) == (False, "3f9a")
    assert online.label == "Bob"


def test_a_flood_of_bobs_is_grouped_and_says_little() -> None:
    book = NameBook(OWN, "Sam")
    warnings = []
    ids = [f"{i:032x}" for i in range(1, 3001)]
    for i, peer in enumerate(ids):
        warnings += book.learn(peer, "Bob" if i % 2 else "B0B", now=100.0)
    assert len(warnings) == WARN_BURST
    assert all(book.look_alike(peer) for peer in ids)
    assert len(book.look_alikes(ids[0])) == LOOK_ALIKES_SHOWN
    labels = {book.short_fingerprint(peer) for peer in ids}
    assert len(labels) == len(ids)  # every Bob can still be told apart
    assert "and" in warnings[-1].message
    # A minute later one more may be said.
    assert len(book.learn("f" * 32, "bob", now=161.0)) == 1


class CountingBook(NameBook):
    """Counts the book's look-ups of other members: the work a learned name costs."""

    def __init__(self, own_id: str, own_name: str) -> None:
        self.shared_calls = self.alike_calls = 0
        super().__init__(own_id, own_name)

    def _shared(self, other: str, peer: str, keys: frozenset[str]) -> bool:
        self.shared_calls += 1
        return super()._shared(other, peer, keys)

    def _alike(self, peer: str, *, besides: frozenset[str] = frozenset()) -> frozenset[str]:
        self.alike_calls += 1
        return super()._alike(peer, besides=besides)


@pytest.mark.parametrize("warn", [True, False])
def test_learning_a_flood_of_look_alikes_costs_the_same_per_name(warn: bool) -> None:
    """5,000 look-alike names: each new one is checked against O(1) others, not the whole
    group (which made a flood quadratic: 8,000 names took seconds on the engine thread). Only a
    warning that is said lists the group, and those are rate-limited."""
    book = CountingBook(OWN, "Sam")
    count = 5_000
    ids = [f"{i:032x}" for i in range(1, count + 1)]
    said = 0
    for i, peer in enumerate(ids):
        said += len(book.learn(peer, "Bob" if i % 2 else f"B{CYRILLIC_O}b", now=1.0, warn=warn))
    assert said == (WARN_BURST if warn else 0)
    assert book.alike_calls == said
    assert book.shared_calls <= 3 * count
    assert all(book.look_alike(peer) for peer in ids)
    assert len({book.short_fingerprint(peer) for peer in ids}) == count
    # Renaming within the group reads like the same others: nothing new, and no group scan.
    before = book.shared_calls
    assert book.learn(ids[1], "BOB", now=1.0) == []
    assert book.shared_calls - before <= 3 * count


@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.sampled_from(["Bob", "BOB", "B0b", "Ann", "x"])),
        max_size=12,
    )
)
def test_a_warning_is_said_exactly_when_someone_new_reads_alike(
    steps: list[tuple[str, str]],
) -> None:
    book = NameBook(OWN, "Sam")
    everyone = {OWN: "Sam"}
    for step, (letter, name) in enumerate(steps):
        peer = f"3f9a1c2{letter}" + "0" * 24  # alike up to their eighth digit
        before = core_names.look_alikes(peer, everyone) if peer in everyone else set()
        if everyone.get(peer) == name:
            continue
        everyone[peer] = name
        after = core_names.look_alikes(peer, everyone)
        warnings = book.learn(peer, name, now=step * 1000.0)
        assert bool(warnings) == bool(after - before)
    flagged = core_names.colliding(everyone)
    expected = core_names.short_fingerprints(flagged)
    for peer in flagged:
        assert book.short_fingerprint(peer) == expected[peer]


@given(st.dictionaries(st.sampled_from("abcdef"), st.sampled_from(["Bob", "B0b", "Ann", "", "x"])))
def test_the_book_agrees_with_colliding(names: dict[str, str]) -> None:
    book = NameBook(OWN, "Sam")
    for peer, name in names.items():
        book.learn(peer * 32, name)
    everyone = {peer * 32: name for peer, name in names.items()} | {OWN: "Sam"}
    flagged = core_names.colliding(everyone)
    for peer in everyone:
        assert book.look_alike(peer) == (peer in flagged)
        assert set(book.look_alikes(peer)) == core_names.look_alikes(peer, everyone)


@pytest.fixture
def without_icu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    core_names._checker.cache_clear()
    monkeypatch.setitem(sys.modules, "icu", None)
    yield
    core_names._checker.cache_clear()


@pytest.mark.usefixtures("without_icu")
def test_without_icu_names_are_compared_by_case_and_that_is_said_once() -> None:
    book = NameBook(OWN, "Sam")
    warnings = book.learn(BOB, "Zo\u00eb", now=1.0)
    assert len(warnings) == 1
    assert "pip install pyicu-wheels" in warnings[0].message
    assert "only by case" in warnings[0].message
    [warning] = book.learn(MALLORY, "ZO\u00cb", now=2.0)
    assert warning.peer == MALLORY
    assert book.learn(ANN, "Bob", now=3.0) == []  # ASCII still needs no ICU


def test_start_names_seeds_from_the_store_and_names_old_own_items(tmp_path: Path) -> None:
    with Store.open(tmp_path / "hallway.db") as store:
        store.upsert_peer(BOB, KEY, "Bob", 1.0, True)
        store.upsert_peer(MALLORY, KEY, "BOB", 1.0, True)
        store.add_item(StoredItem(OWN, 1, 1, "post", 1.0, 1.0, "old"))
        seen: list[ev.Event] = []
        book, emit = start_names(OWN, "Sam", store, store.peers(), seen.append)
        assert book.look_alike(BOB)
        assert book.look_alike(MALLORY)
        assert [item.name for item in store.items()] == ["Sam"]
        emit(ev.PeerOffline(at=1.0, peer=BOB, name="Bob", reason="bye"))
        assert seen == [
            ev.PeerOffline(
                at=1.0,
                peer=BOB,
                name="Bob",
                reason="bye",
                look_alike=True,
                short_fingerprint="3f9a 1c2b",
            )
        ]

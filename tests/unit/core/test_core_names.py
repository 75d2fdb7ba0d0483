"""Display names that read alike (hallway/core/names.py): TR39 skeletons, folded for case."""

from __future__ import annotations

import string
import subprocess
import sys
from collections.abc import Iterator

import icu
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hallway.core import names as names_module
from hallway.core.model import NAME_MAX, display_fingerprint
from hallway.core.names import (
    LOOK_ALIKE_MARK,
    NamesUnavailableError,
    colliding,
    confusable,
    fingerprint_suffix,
    labelled,
    look_alikes,
    short_fingerprint,
    short_fingerprints,
    skeleton,
)

CYRILLIC_O = "\u043e"
GREEK_BETA = "\u0392"
ZERO_WIDTH_SPACE = "\u200b"
HANGUL_FILLER = "\u3164"  # renders blank, and is a letter

BOBS = [
    "Bob",
    "bob",
    "BOB",
    "B0b",  # TR39 maps 0 to O
    f"{GREEK_BETA}ob",
    f"B{CYRILLIC_O}b",
    "Bob ",
    "  Bob",
    "Bob\u00a0",
    f"Bo{ZERO_WIDTH_SPACE}b",  # default-ignorable: TR39 drops it
    "\U0001d401\U0001d428\U0001d41b",  # MATHEMATICAL BOLD Bob
    "\uff22ob",  # a fullwidth B
]

# Plain letters that TR39 maps to no other ASCII letter, even after folding case ("I", "L" and
# "l" read alike, and "m" like "rn").
PLAIN = "".join(c for c in string.ascii_letters if c not in "IiLlMm")
names_text = st.text(max_size=NAME_MAX)


@pytest.mark.parametrize("name", BOBS)
def test_every_bob_reads_as_bob(name: str) -> None:
    assert skeleton(name) == skeleton("Bob") == "bob"
    assert confusable(name, "Bob")
    assert colliding({"alice": "Alice", "bob": "Bob", "mallory": name}) == {"bob", "mallory"}


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("Bob Smith", "Bob  Smith"),
        ("Bob Smith", "Bob\tSmith"),
        ("Bob Smith", "Bob\u2003Smith"),  # an em space
        ("Ian", "lan"),  # a capital I and a small l
        ("Ian", "IAN"),
        ("Ian", "ian"),  # TR39 maps I to l but not i: the case-folded names are compared too
        ("\u0412\u041e\u0412", "\u0432\u043e\u0432"),  # Cyrillic: the same name in two cases
        ("Sam", "Sarn"),
        ("Zoe\u0308", "Zo\u00eb"),  # decomposed and precomposed
        ("Ann", "Ann"),
    ],
)
def test_names_that_read_alike(name: str, other: str) -> None:
    assert confusable(name, other)
    assert confusable(other, name)
    assert colliding({"a": name, "b": other}) == {"a", "b"}


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("Bob", "B o b"),  # only runs of whitespace are collapsed
        ("Bob", "Rob"),
        ("Ann", "Bob"),
        ("Ali", "All"),  # small i and small l are told apart
        ("Zoe", "Zo\u00eb"),
        ("Bob", ""),
    ],
)
def test_names_that_do_not(name: str, other: str) -> None:
    assert not confusable(name, other)
    assert colliding({"a": name, "b": other}) == frozenset()


def test_a_blank_name_is_nothing_to_impersonate() -> None:
    # Peers not heard from yet have no name; the UI shows their fingerprint instead.
    blank = {"a": "", "b": "", "c": HANGUL_FILLER, "d": ZERO_WIDTH_SPACE, "e": " "}
    assert colliding(blank) == frozenset()
    assert look_alikes("a", blank) == frozenset()


def test_a_crowd_is_grouped_not_compared_pairwise() -> None:
    names = {f"{i:032x}": f"Member {i}" for i in range(5000)}
    names["bob"] = "Bob"
    names["mallory"] = f"B{CYRILLIC_O}b"
    names["mallory2"] = "BOB "
    assert colliding(names) == {"bob", "mallory", "mallory2"}
    assert look_alikes("bob", names) == {"mallory", "mallory2"}
    assert look_alikes(f"{7:032x}", names) == frozenset()
    assert look_alikes("nobody", names) == frozenset()


def test_ascii_names_are_mapped_as_icu_maps_them() -> None:
    checker = icu.SpoofChecker()
    for code in range(128):
        char = chr(code)
        if char != "%":  # its prototype is not ASCII, so ICU maps it
            assert char.translate(names_module._ASCII_PROTOTYPES) == checker.getSkeleton(0, char)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=NAME_MAX))
def test_ascii_skeletons_are_icus(name: str) -> None:
    checker = icu.SpoofChecker()
    expected = name
    for _ in range(16):
        folded = " ".join(checker.getSkeleton(0, expected).casefold().split())
        if folded == expected:
            break
        expected = folded
    assert skeleton(name) == expected


def test_icu_loads_only_for_a_name_beyond_ascii() -> None:
    # The headless node's start-up and RSS: ~11 MiB that an all-ASCII office never pays.
    code = (
        "import sys\n"
        "from hallway.core.names import colliding\n"
        "assert colliding({'a': 'Bob', 'b': 'B0b', 'c': 'Ann'}) == {'a', 'b'}\n"
        "assert 'icu' not in sys.modules, 'imported early'\n"
        "from hallway.cli import output\n"  # labels names for every CLI command
        "assert 'icu' not in sys.modules, 'imported by the CLI output'\n"
        "assert colliding({'a': 'Bob', 'b': 'B\\u043eb'}) == {'a', 'b'}\n"
        "assert 'icu' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


@pytest.fixture
def without_icu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    names_module._checker.cache_clear()
    monkeypatch.setitem(sys.modules, "icu", None)  # makes `import icu` fail
    yield
    names_module._checker.cache_clear()


@pytest.mark.usefixtures("without_icu")
def test_without_icu_the_message_says_what_to_install() -> None:
    assert skeleton("Plain  Text") == "plain text"
    with pytest.raises(NamesUnavailableError, match="pip install pyicu-wheels"):
        skeleton(f"B{CYRILLIC_O}b and no one else")


@given(names_text)
def test_skeleton_is_idempotent(name: str) -> None:
    once = skeleton(name)
    assert skeleton(once) == once
    assert once == " ".join(once.split())


@given(names_text)
def test_a_name_reads_like_itself_in_any_case(name: str) -> None:
    assume(skeleton(name))
    for variant in (name.upper(), name.lower(), name.casefold(), name.swapcase(), name.title()):
        assert confusable(name, variant)
        assert colliding({"a": name, "b": variant}) == {"a", "b"}


@given(st.dictionaries(st.text(min_size=1, max_size=4), names_text | st.sampled_from(BOBS)))
def test_colliding_is_symmetric_and_never_flags_a_peer_alone(names: dict[str, str]) -> None:
    flagged = colliding(names)
    assert flagged <= names.keys()
    for peer_id, name in names.items():
        alikes = look_alikes(peer_id, names)
        assert (peer_id in flagged) == bool(alikes)
        assert peer_id not in alikes
        for other in alikes:
            assert peer_id in look_alikes(other, names)
            assert confusable(name, names[other])
        assert colliding({peer_id: name}) == frozenset()


@given(st.text(PLAIN, min_size=1, max_size=12), st.text(PLAIN, min_size=1, max_size=12))
def test_plain_ascii_names_collide_only_when_equal_but_for_case(name: str, other: str) -> None:
    assert confusable(name, other) == (name.casefold() == other.casefold())


def test_a_short_fingerprint_is_the_first_group_of_the_full_one() -> None:
    peer_id = "3f9a1c2b" + "0" * 24
    assert short_fingerprint(peer_id) == "3f9a"
    assert display_fingerprint(peer_id).startswith(short_fingerprint(peer_id))
    assert short_fingerprint(peer_id, 6) == "3f9a 1c"


def test_short_fingerprints_grow_until_they_differ() -> None:
    # An impostor can make keys until the first digits of its id match its victim's.
    bob = "3f9a1c2b" + "0" * 24
    mallory = "3f9a1c2f" + "0" * 24
    other = "77770000" + "0" * 24
    assert short_fingerprints([bob, mallory, other]) == {
        bob: "3f9a 1c2b",
        mallory: "3f9a 1c2f",
        other: "7777",
    }
    assert short_fingerprints([]) == {}
    assert short_fingerprints([bob, bob]) == {bob: "3f9a"}


@given(st.lists(st.text("0123456789abcdef", min_size=32, max_size=32), unique=True))
def test_short_fingerprints_are_distinct_prefixes(peer_ids: list[str]) -> None:
    labels = short_fingerprints(peer_ids)
    assert labels.keys() == set(peer_ids)
    assert len(set(labels.values())) == len(peer_ids)
    for peer_id, label in labels.items():
        assert display_fingerprint(peer_id).startswith(label)
        assert len(label.replace(" ", "")) >= 4


def test_a_look_alike_is_labelled_with_its_short_fingerprint() -> None:
    assert labelled("Bob", "3f9a", True) == "Bob (3f9a)"
    assert labelled("Bob", "3f9a", False) == "Bob"
    assert labelled("Bob", "", True) == "Bob"  # nothing to tell them apart by: the name alone
    assert labelled("Bo\u2026", "3f9a", True) == "Bo\u2026" + fingerprint_suffix("3f9a", True)
    assert fingerprint_suffix("3f9a", False) == ""
    assert LOOK_ALIKE_MARK == "\u26a0"

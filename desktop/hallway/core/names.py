"""Display names that look alike, so no member can pass for another by name alone.

Names are compared by their Unicode TR39 confusable skeleton ("Bob" with a Cyrillic o (U+043E),
with a Greek Beta (U+0392) or as "B0b" all read as "Bob"), folded for case, with each run of
whitespace one space. The skeleton and its data are ICU's (`SpoofChecker.getSkeleton`, from the
pyicu-wheels package): maintained upstream with each Unicode release, and exactly the algorithm
TR39 specifies (NFD, drop default-ignorable characters, map each character to its prototype, NFD).

Loading ICU costs ~25 ms and 11-19 MiB of RSS (2.5 MiB of it not file-backed), so it is loaded on
first use, and a name in plain ASCII is mapped through ICU's own ASCII prototypes (a test checks
them against ICU): an office whose names are all ASCII never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, lru_cache
from itertools import pairwise

from hallway.core.errors import HallwayError
from hallway.core.plain import NAME_MAX, display_fingerprint

TYPE_CHECKING = False  # typing's own would import typing: 11 ms of every client command
if TYPE_CHECKING:
    from typing import Final, Protocol

__all__ = [
    "LOOK_ALIKE_MARK",
    "SHORT_FINGERPRINT",
    "NamesUnavailableError",
    "colliding",
    "confusable",
    "fingerprint_suffix",
    "labelled",
    "look_alikes",
    "short_fingerprint",
    "short_fingerprints",
    "skeleton",
]

#: Hex digits of a peer id shown next to a name that collides: the first group of its fingerprint.
SHORT_FINGERPRINT = 4
#: Drawn after a look-alike's label, "Bob (3f9a) ⚠", wherever people read it (CLI, window, pop-ups).
LOOK_ALIKE_MARK: Final = "⚠"

# ICU's prototypes for the ASCII characters it maps, but "%" (whose prototype is not ASCII).
_ASCII_PROTOTYPES = str.maketrans(
    {'"': "''", "0": "O", "1": "l", "I": "l", "`": "'", "m": "rn", "|": "l"}
)
# Folding case can make a character that maps again ("M" -> "m" -> "rn"); three rounds are the
# most any character needs, so this only stops input built to never settle.
_MAX_ROUNDS = 16


class NamesUnavailableError(HallwayError):
    """ICU, which compares display names, could not be loaded."""


if TYPE_CHECKING:

    class _SpoofChecker(Protocol):
        def getSkeleton(self, kind: int, text: str) -> str: ...  # noqa: N802 (ICU's name)


@cache
def _checker() -> _SpoofChecker:
    try:
        import icu  # type: ignore[import-untyped]
    except ImportError as exc:
        raise NamesUnavailableError(
            "Comparing display names needs ICU's Python binding, which is not installed "
            f"({exc}). Reinstall Hallway, or install it with `pip install pyicu-wheels`."
        ) from None
    checker: _SpoofChecker = icu.SpoofChecker()
    return checker


def _tr39(text: str) -> str:
    if text.isascii() and "%" not in text:
        return text.translate(_ASCII_PROTOTYPES)
    return str(_checker().getSkeleton(0, text))  # the kind argument is ignored since ICU 58


def _fold(text: str) -> str:
    for _ in range(_MAX_ROUNDS):
        folded = " ".join(_tr39(text).casefold().split())
        if folded == text:
            break
        text = folded
    return text


_skeleton = lru_cache(maxsize=4096)(_fold)  # a roster's names; bounded under a Sybil flood


def skeleton(name: str) -> str:
    """What `name` looks like: its TR39 skeleton, case-folded, whitespace runs as one space.

    Equal skeletons mean names that read alike. TR39 maps some case pairs apart ("I" looks like
    "l", "i" does not), so `confusable` and `colliding` also compare the case-folded names.
    """
    return _skeleton(name) if len(name) <= NAME_MAX else _fold(name)


def _keys(name: str) -> set[str]:
    keys = {skeleton(name), skeleton(name.casefold())}
    keys.discard("")  # no visible name: nothing to impersonate (the UI shows the fingerprint)
    return keys


def confusable(name: str, other: str) -> bool:
    """True when the two names read alike, whatever their case."""
    return not _keys(name).isdisjoint(_keys(other))


def colliding(names: Mapping[str, str]) -> frozenset[str]:
    """The peer ids, of `names` (peer id -> display name, ours included), whose name reads like
    another peer's. Grouped by skeleton: linear in the number of peers."""
    owners: dict[str, set[str]] = {}
    for peer_id, name in names.items():
        for key in _keys(name):
            owners.setdefault(key, set()).add(peer_id)
    flagged: set[str] = set()
    for ids in owners.values():
        if len(ids) > 1:
            flagged |= ids
    return frozenset(flagged)


def look_alikes(peer_id: str, names: Mapping[str, str]) -> frozenset[str]:
    """The other peer ids whose names read like `peer_id`'s: what a collision is shown with."""
    mine = _keys(names.get(peer_id, ""))
    if not mine:
        return frozenset()
    return frozenset(
        other
        for other, name in names.items()
        if other != peer_id and not mine.isdisjoint(_keys(name))
    )


def fingerprint_suffix(short_fingerprint: str, look_alike: bool) -> str:
    """ " (3f9a)" for a name that reads like another member's, "" otherwise: what `labelled` adds,
    for views that elide the name and must keep the digits, which tell two Bobs apart."""
    return f" ({short_fingerprint})" if look_alike and short_fingerprint else ""


def labelled(name: str, short_fingerprint: str, look_alike: bool) -> str:
    """ "Bob (3f9a)" for a name that reads like another member's; the name alone otherwise."""
    return name + fingerprint_suffix(short_fingerprint, look_alike)


def short_fingerprint(peer_id: str, length: int = SHORT_FINGERPRINT) -> str:
    """The start of the peer's fingerprint, as the full one is shown: "3f9a", "3f9a 1c"."""
    return display_fingerprint(peer_id[: max(length, 1)])


def short_fingerprints(peer_ids: Iterable[str]) -> dict[str, str]:
    """A short fingerprint for each peer id, long enough that no two of them are the same.

    Pass the ids whose names collide (`colliding`): an impostor who made keys until the first four
    digits of its id matched its victim's gets one more digit shown than they share.
    """
    ordered = sorted(set(peer_ids))
    shared = [_common_prefix(a, b) for a, b in pairwise(ordered)]
    result: dict[str, str] = {}
    for index, peer_id in enumerate(ordered):
        before = shared[index - 1] if index else 0
        after = shared[index] if index < len(shared) else 0
        result[peer_id] = short_fingerprint(peer_id, max(SHORT_FINGERPRINT, before + 1, after + 1))
    return result


def _common_prefix(a: str, b: str) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))

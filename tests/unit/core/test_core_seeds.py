"""Seeds as given (HOST[:PORT]) and their back-off (issue 14), and the rendezvous secret."""

from __future__ import annotations

import pytest

from hallway.core.office import Office, derive_office_key
from hallway.core.seeds import BACKOFF_MAX, Backoff, Seed, SeedError, parse_seed, parse_seeds


@pytest.mark.parametrize(
    ("text", "seed"),
    [
        ("198.18.1.1", Seed("198.18.1.1", 0)),
        (" 198.18.1.1:4000 ", Seed("198.18.1.1", 4000)),
        ("Desk-Ann.example.com", Seed("desk-ann.example.com", 0)),
        ("ann:65533", Seed("ann", 65533)),
        ("ann.local.:1", Seed("ann.local.", 1)),
    ],
)
def test_seeds_parse(text: str, seed: Seed) -> None:
    assert parse_seed(text) == seed


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("198.18.1.1:", "must be a number"),
        ("198.18.1.1:http", "must be a number"),
        ("198.18.1.1:0", "from 1 to 65533"),
        ("198.18.1.1:65534", "from 1 to 65533"),
        ("198.18.1.300", "neither an IPv4 address"),
        ("0.0.0.0", "neither an IPv4 address"),
        ("224.0.0.251", "neither an IPv4 address"),
        ("[::1]:4000", "neither an IPv4 address"),
        ("ann smith", "neither an IPv4 address"),
        ("-ann", "neither an IPv4 address"),
        ("a" * 64 + ".example", "neither an IPv4 address"),
    ],
)
def test_bad_seeds_say_why(text: str, says: str) -> None:
    with pytest.raises(SeedError, match=says):
        parse_seed(text)


def test_seed_lists_drop_repeats_and_are_bounded() -> None:
    assert parse_seeds(["ann", "ANN", "ann:7000"]) == (Seed("ann"), Seed("ann", 7000))
    with pytest.raises(SeedError, match="at most 64"):
        parse_seeds([f"198.18.1.{n}" for n in range(1, 70)])
    assert Seed("ann").text(7000) == "ann:7000"
    assert Seed("ann").text() == "ann"
    assert Seed("ann", 4000).router_port(7000) == 4000


def test_backoff_doubles_to_once_a_minute_and_resets() -> None:
    backoff = Backoff()
    assert backoff.delay() == 0.0
    delays = [backoff.failed() for _ in range(8)]
    assert delays == [2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]
    assert backoff.given_up
    for _ in range(1000):  # no overflow however long a seed stays dead
        assert backoff.failed() == BACKOFF_MAX
    backoff.reset()
    assert backoff.failed() == 2.0


def test_every_member_derives_the_same_rendezvous_secret_and_others_another() -> None:
    acme = Office("Acme", derive_office_key("Acme", "correct horse"))
    again = Office("Acme", derive_office_key("Acme", "correct horse"))
    other = Office("Acme", derive_office_key("Acme", "wrong horse"))
    assert acme.rendezvous_secret() == again.rendezvous_secret()
    assert len(acme.rendezvous_secret()) == 32
    assert acme.rendezvous_secret() != other.rendezvous_secret()
    assert acme.rendezvous_secret() not in (acme.tag.encode(), acme.key)
    assert Office.open().rendezvous_secret() == Office.open().rendezvous_secret()

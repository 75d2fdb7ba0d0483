"""Office membership (hallway/core/office.py): key derivation, tags and proofs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallway.core import z85
from hallway.core.office import (
    OPEN_TAG,
    Office,
    derive_office_key,
)
from hallway.core.txt import TxtRecord, build_txt, parse_txt

office_keys = st.binary(min_size=32, max_size=32)
public_keys = st.binary(min_size=32, max_size=32).map(z85.encode)


@pytest.fixture(scope="module")
def acme() -> Office:
    return Office(name="Acme", key=derive_office_key("Acme", "correct horse"))


def test_derived_key_is_stable_and_32_bytes(acme: Office) -> None:
    key = derive_office_key("Acme", "correct horse")
    assert len(key) == 32
    assert key == acme.key


def test_office_name_is_matched_without_case_or_surrounding_space(acme: Office) -> None:
    assert derive_office_key("  ACME ", "correct horse") == acme.key


def test_passphrase_is_exact(acme: Office) -> None:
    assert derive_office_key("Acme", "Correct horse") != acme.key
    assert derive_office_key("Acme", "correct horse ") != acme.key


def test_tag_is_stable_and_differs_per_office_and_passphrase(acme: Office) -> None:
    same = Office(name="Acme", key=derive_office_key("Acme", "correct horse"))
    other_passphrase = Office(name="Acme", key=derive_office_key("Acme", "battery staple"))
    other_office = Office(name="Initech", key=derive_office_key("Initech", "correct horse"))
    assert acme.tag == same.tag
    assert len({acme.tag, other_passphrase.tag, other_office.tag, OPEN_TAG}) == 4


@given(office_keys)
def test_tag_fits_the_txt_record(key: bytes) -> None:
    tag = Office(name="x", key=key).tag
    assert len(tag) == 16
    assert tag.isascii()
    assert tag.isalnum()
    assert tag != OPEN_TAG


def test_demo_office_is_closed_and_has_its_own_tag() -> None:
    from hallway.demo import DEMO_OFFICE, DEMO_PASSPHRASE

    demo = Office(name=DEMO_OFFICE, key=derive_office_key(DEMO_OFFICE, DEMO_PASSPHRASE))
    assert not demo.is_open
    assert demo.tag != OPEN_TAG


@given(office_keys, public_keys)
def test_proof_verifies(key: bytes, public_key: bytes) -> None:
    office = Office(name="x", key=key)
    proof = office.proof(public_key)
    assert len(proof) == 32
    assert office.proof(public_key) == proof
    assert office.admits(office.tag, public_key, proof)


@given(office_keys, office_keys, public_keys)
def test_proof_from_another_office_is_rejected(key: bytes, other: bytes, public_key: bytes) -> None:
    office, stranger = Office(name="x", key=key), Office(name="x", key=other)
    if key == other:
        return
    assert not office.admits(office.tag, public_key, stranger.proof(public_key))
    assert not office.admits(stranger.tag, public_key, stranger.proof(public_key))


@given(office_keys, public_keys, public_keys)
def test_proof_for_another_key_is_rejected(key: bytes, public_key: bytes, other: bytes) -> None:
    office = Office(name="x", key=key)
    if public_key == other:
        return
    assert not office.admits(office.tag, other, office.proof(public_key))


def test_wrong_tag_or_missing_proof_is_rejected(acme: Office) -> None:
    public_key = z85.encode(bytes(32))
    proof = acme.proof(public_key)
    assert not acme.admits(OPEN_TAG, public_key, proof)
    assert not acme.admits(acme.tag.upper(), public_key, proof)
    assert not acme.admits(acme.tag, public_key, b"")
    assert not acme.admits(acme.tag, public_key, proof[:-1])


@given(public_keys, st.binary(max_size=40))
def test_open_office_admits_everyone_with_the_open_tag(public_key: bytes, proof: bytes) -> None:
    office = Office.open()
    assert office.is_open
    assert office.name is None
    assert office.tag == OPEN_TAG
    assert office.proof(public_key) == b""
    assert office.admits(OPEN_TAG, public_key, proof)
    assert not office.admits("0123456789abcdef", public_key, proof)


def test_membership_survives_the_txt_record(acme: Office) -> None:
    public_key = z85.encode(bytes(range(32)))
    record = TxtRecord(
        public_key=public_key, pub_port=9, office_tag=acme.tag, proof=acme.proof(public_key)
    )
    parsed = parse_txt(dict(build_txt(record)))
    assert acme.admits(parsed.office_tag, parsed.public_key, parsed.proof)
    assert not Office.open().admits(parsed.office_tag, parsed.public_key, parsed.proof)

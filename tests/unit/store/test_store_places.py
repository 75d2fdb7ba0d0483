"""Places (schema v8, issue 14): where members answered, kept, trimmed and aged out; the v7 to
v8 migration keeps real data; and the `peers` (seeds) list of config.toml."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from hallway.store import SCHEMA_VERSION, Store, StoreError, schema
from hallway.store.config import Config, load_config, save_config
from hallway.store.errors import ConfigError
from hallway.store.places import PLACES_PER_PEER, StoredPlace, better_via

ANN, BEN = "a" * 32, "b" * 32
KEY = b"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"


def test_v7_data_goes_on_through_v8(db_path: Path) -> None:
    with closing(sqlite3.connect(db_path, isolation_level=None)) as conn:
        schema.migrate(conn, db_path, target=7)
        conn.execute("INSERT INTO peers VALUES (?, ?, 'Ann', 10.0, 20.0, 1)", (ANN, KEY))
        conn.execute(
            "INSERT INTO items (peer, inc, seq, kind, sent_at, received_at, text, urgent, tags, "
            "until, emoji, presence, name, reply_to, question) "
            "VALUES (?, 7, 3, 'post', 50.0, 51.0, 'Where is the printer?', 0, '[]', NULL, '', "
            "NULL, 'Ann', '', 1)",
            (ANN,),
        )
    with Store.open(db_path) as store:
        assert [p.name for p in store.peers()] == ["Ann"]
        assert [i.text for i in store.items()] == ["Where is the printer?"]
        assert store.places() == []
        store.save_place(ANN, "198.18.2.1", 7000, 7001, via="seed", at=100.0)
        assert store.places() == [StoredPlace(ANN, KEY, "198.18.2.1", 7000, 7001, "seed", 100.0)]
    with closing(sqlite3.connect(db_path)) as conn:
        assert schema.user_version(conn) == SCHEMA_VERSION == 8
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_place_keeps_the_best_way_it_was_found_and_its_newest_time(store: Store) -> None:
    store.upsert_peer(ANN, KEY, "Ann", 1.0, True)
    store.upsert_peer(BEN, KEY, "Ben", 1.0, True)
    store.save_place(ANN, "198.18.2.1", 7000, 7001, via="seed", at=100.0)
    store.save_place(ANN, "198.18.2.1", 7000, 7005, via="exchange", at=200.0)
    store.save_place(ANN, "198.18.2.1", 7000, 7001, via="mdns", at=150.0)  # older: kept 200
    [place] = store.places()
    assert (place.via, place.last_ok, place.pub_port) == ("seed", 200.0, 7001)
    for via in ("exchange", "mdns", "exchange"):  # a reflected record beats hearsay
        store.save_place(BEN, "198.18.3.1", 7000, 7001, via=via, at=1.0)  # type: ignore[arg-type]
    assert [p.via for p in store.places() if p.peer == BEN] == ["mdns"]


def test_better_via_ranks_seed_then_mdns_then_exchange() -> None:
    assert better_via(None, "exchange") == "exchange"
    assert better_via("exchange", "mdns") == "mdns"
    assert better_via("mdns", "exchange") == "mdns"
    assert better_via("mdns", "seed") == "seed"
    assert better_via("seed", "mdns") == "seed"


def test_each_peer_keeps_its_newest_places_and_old_ones_age_out(store: Store) -> None:
    store.upsert_peer(ANN, KEY, "Ann", 1.0, True)
    store.upsert_peer(BEN, KEY, "Ben", 1.0, True)
    for n in range(PLACES_PER_PEER + 2):
        store.save_place(ANN, f"198.18.1.{n + 1}", 7000, 7001, via="mdns", at=float(n))
    store.save_place(BEN, "198.18.3.1", 7000, 7001, via="exchange", at=50.0)
    ann = [p.address for p in store.places() if p.peer == ANN]
    assert ann == [f"198.18.1.{n + 1}" for n in range(PLACES_PER_PEER + 1, 1, -1)]
    assert [p.peer for p in store.places(since=10.0)] == [BEN]
    assert store.prune_places(before=10.0) == PLACES_PER_PEER
    assert [p.peer for p in store.places()] == [BEN]


def test_a_place_needs_its_peer_and_a_known_way(store: Store) -> None:
    with pytest.raises(StoreError):
        store.save_place(ANN, "198.18.2.1", 7000, 7001, via="mdns", at=1.0)  # no peer row
    store.upsert_peer(ANN, KEY, "Ann", 1.0, True)
    with pytest.raises(StoreError):
        store.save_place(ANN, "198.18.2.1", 7000, 7001, via="rumour", at=1.0)  # type: ignore[arg-type]


def base(**changes: object) -> Config:
    cfg = Config(name="Ann", office=None, open=True, interface=None, instance="ab" * 8)
    for key, value in changes.items():
        setattr(cfg, key, value)
    return cfg


def test_seeds_round_trip_in_config(tmp_path: Path) -> None:
    cfg = base(peers=["198.18.1.1", "desk-ann.example:4000"])
    save_config(tmp_path, cfg)
    assert '"desk-ann.example:4000",' in (tmp_path / "config.toml").read_text()
    assert load_config(tmp_path) == cfg
    save_config(tmp_path, base())
    assert load_config(tmp_path) == base()  # none: the key is absent, the list empty


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('peers = ["198.18.1.1:70000"]', "the port must be from 1 to 65533"),
        ('peers = ["not a host"]', "neither an IPv4 address nor a host name"),
        ('peers = "198.18.1.1"', "Expected `array`"),
    ],
)
def test_bad_seeds_in_config_are_named(tmp_path: Path, line: str, says: str) -> None:
    text = f'name = "Ann"\nopen = true\ninstance = "{"ab" * 8}"\n{line}\n'
    (tmp_path / "config.toml").write_text(text)
    with pytest.raises(ConfigError, match=says):
        load_config(tmp_path)

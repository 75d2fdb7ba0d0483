"""kill -9 durability: every write the store acknowledged is there after the writer dies."""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from hallway.store import Store

# The `spawn` fixture (conftest.py) starts `python -c script args...`.
Spawn = Callable[..., subprocess.Popen[str]]

# Writes single items and batches alternately, printing each id only after its commit returned.
WRITER = """
import sys
from pathlib import Path
from hallway.store import Store, StoredItem

def item(seq):
    return StoredItem(peer="a" * 32, inc=1, seq=seq, kind="post", sent_at=float(seq),
                      received_at=float(seq), text="x" * 300, tags=("load",))

with Store.open(Path(sys.argv[1])) as store:
    store.set_meta("writer", "started")
    seq = 0
    while True:
        seq += 1
        store.add_item(item(seq))
        print(item(seq).id, flush=True)
        batch = [item(seq + n) for n in range(1, 6)]
        seq += 5
        assert all(store.add_items(batch))
        for written in batch:
            print(written.id, flush=True)
"""

ACKNOWLEDGED_BEFORE_KILL = 600


def test_acknowledged_items_survive_kill_9(db_path: Path, spawn: Spawn) -> None:
    writer = spawn(WRITER, str(db_path))
    assert writer.stdout is not None
    reported: list[str] = []
    while len(reported) < ACKNOWLEDGED_BEFORE_KILL:
        line = writer.stdout.readline()
        assert line, f"the writer ended early with {writer.wait()}"
        reported.append(line.strip())

    writer.kill()  # SIGKILL, mid-write: no close, no checkpoint
    # Ids printed between our last read and the kill were committed too: collect them.
    reported.extend(line.strip() for line in writer.stdout)
    writer.wait()
    assert (db_path.parent / (db_path.name + "-wal")).exists()  # recovery really had work to do

    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store.open(db_path) as store:
        stored = {item.id for item in store.items(limit=len(reported) + 1000)}
        assert store.get_meta("writer") == "started"
    missing = [item_id for item_id in reported if item_id not in stored]
    assert not missing, f"{len(missing)} acknowledged items lost, first {missing[:3]}"

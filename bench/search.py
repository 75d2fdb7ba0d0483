"""The search scenario (issue 11): how fast a node answers a search over 10,000 items.

One node's home (lab host 1) is filled, while the node is stopped, with `ITEMS` items stored the
way the engine stores what it receives: posts, replies, questions and statuses of 40 colleagues
through `Store.add_items` in batches of 25 (one engine loop turn's worth, so FTS5 builds its
segments as on a node that received them over days), some edits and deletions through
`Store.put_item_version` (a deletion merges the index, as it does at work), and events through
`Store.put_records` (which indexes their words). Posting them through real peers would take
minutes (each post is a control request and a delivery), and a colleague's storage quota
would refuse most of them; the store's triggers build the same index either way.

The text comes from a seeded word list (office words and a long tail of made-up names, drawn
with Zipf weights), with a few words planted at known rates, so each query kind matches a known
share of the items. The node is then started and searched through the real paths, query kinds
taking turns: its control socket from this process (what `hallway feed --search` and the GUI's
search box send), `hallway feed --search WORDS --json` processes (Python's start-up included,
next to a `hallway feed --json --limit 1` baseline), and, with the node stopped again, the
engine in a process on the lab host: `Node.search` (the actor's thread and the conversion
included) and `Store.search` (SQL alone), with a breakdown of the SQL (`profile`).

Pyre has no search: this scenario is Hallway only, and there is no ratio to Pyre.
Results: samples in results.json, and `search.json` and `search.md` beside it.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import latency_stats
from bench.scenarios import Progress, Results, Settings, cluster
from bench.systems import REPO, HallwaySystem, Node, System, Unsupported
from tests.support.netlab import Host

ITEMS = int(os.environ.get("HALLWAY_BENCH_SEARCH_ITEMS", "10000"))
REPS = int(os.environ.get("HALLWAY_BENCH_SEARCH_REPS", "100"))
CLI_REPS = int(os.environ.get("HALLWAY_BENCH_SEARCH_CLI_REPS", "50"))
RARE, RARE_WORD = 3, "zeppelin"
LIMIT = 50  # the CLI's and the GUI's default
TARGET_MS = 50.0
COLLEAGUES = 40
BATCH = 25
SEED = 11
DAY = 86400.0

# (kind, words). The first five are the issue's; the last two are the worst cases of a search
# box that searches as one types ("t" is a prefix of a third of the vocabulary).
QUERIES: tuple[tuple[str, str], ...] = (
    ("common", "coffee"),
    ("rare", "zeppelin"),
    ("prefix", "badg"),
    ("two_words", "printer reset"),
    ("nothing", "xylophone"),
    ("very_common", "the"),
    ("one_letter", "t"),
)
CLI_KINDS = ("common", "rare", "prefix", "two_words", "nothing")

def _words(text: str) -> list[str]:
    return text.split()


_FUNCTION = _words(
    "the a to and of in for on is it we our this that with at be have from by you i are was "
    "will can not all but so if there about please new today tomorrow just"
)
_OFFICE = _words(
    "meeting room kitchen lunch team project release deadline review build server deploy "
    "client budget report slides demo sprint ticket bug fix test laptop screen monitor "
    "keyboard network wifi vpn password account access door key parking bike train bus "
    "holiday vacation sick leave office floor desk chair plant window heating cooling "
    "birthday cake cookies pizza friday monday morning afternoon evening week month quarter "
    "customer invoice contract legal hiring interview onboarding training workshop talk "
    "conference travel hotel flight visa expense receipt approval manager design feedback "
    "roadmap milestone launch bugfix hotfix database backup restore migration upgrade "
    "update install license calendar invite agenda notes minutes whiteboard projector "
    "camera microphone headset call video standup retro planning estimate scope risk "
    "security audit policy compliance incident outage alert monitoring dashboard metrics "
    "cloud storage cluster container pipeline branch merge commit repository docs wiki "
    "question answer help thanks welcome congrats reminder update fire drill evacuation "
    "package delivery mail reception visitor guest lobby elevator stairs toilet shower "
    "gym yoga football running lunchbox fridge dishwasher microwave kettle tea water milk "
    "sugar fruit salad soup sandwich bakery canteen menu vegan allergy"
)
_SYLLABLES = _words("ka lo mi ne ru sa ti vo ze bo da fe gi hu ja ki lu ma no pe ri so tu va we yo")
# Planted at known rates: each query kind matches a known share of the items.
_PLANTED_AVOID = ("coffee", "printer", "reset", "badg", "zeppelin", "xylophone")
_STATUS = (
    "In a meeting", "Lunch", "Working from home", "On a call", "Focus time", "Back at 3",
    "Travelling", "At the dentist", "In the lab", "Out for a walk",
)
_PLACES = ("Room 1", "Room 2", "Kitchen", "Lobby", "Roof terrace", "Big room", "Library")


class Corpus:
    """Seeded sentences: Zipf-weighted words, with the planted ones at fixed rates."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        tail: set[str] = set()
        while len(tail) < 3000:
            word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
            if not word.startswith(_PLANTED_AVOID):
                tail.add(word)
        self.words = _FUNCTION + _OFFICE + sorted(tail)
        weights = [1.0 / (rank + 1) for rank in range(len(self.words))]
        total = sum(weights)
        acc = 0.0
        self.cum: list[float] = []
        for w in weights:
            acc += w / total
            self.cum.append(acc)

    def sentence(self, low: int, high: int) -> str:
        n = self.rng.randint(low, high)
        words = self.rng.choices(self.words, cum_weights=self.cum, k=n)
        r = self.rng.random()
        if r < 0.20:
            words.insert(self.rng.randrange(n + 1), "coffee")
        r = self.rng.random()
        if r < 0.02:
            words.insert(self.rng.randrange(n + 1), self.rng.choice(
                ("badge", "badges", "badger", "badging")))
        r = self.rng.random()
        if r < 0.01:
            words[self.rng.randrange(n + 1):] = ["how", "do", "i", "reset", "the", "printer"]
        elif r < 0.04:
            words.insert(self.rng.randrange(n + 1), "printer")
        elif r < 0.07:
            words.insert(self.rng.randrange(n + 1), "reset")
        if self.rng.random() < 0.05:
            words.append("#" + self.rng.choice(("food", "it", "hr", "fun", "ops")))
        text = " ".join(words)
        return text[:1].upper() + text[1:]


# filling the home ---------------------------------------------------------------------------


def fill(db: Path, own_id: str, count: int, now: float) -> dict[str, Any]:
    """Store `count` items (about 2 % of them events) in the database of a stopped node."""
    import zmq

    from hallway.core import wire
    from hallway.core.meetups import EVENT_KEEP_AFTER_END, EventSpec
    from hallway.core.model import POST_TEXT_MAX, STATUS_TEXT_MAX, Presence, fingerprint
    from hallway.core.records import local_key
    from hallway.store.db import Store
    from hallway.store.records import StoredItem, StoredRecord

    rng = random.Random(SEED)
    corpus = Corpus(rng)
    t0 = time.monotonic()
    people: list[list[Any]] = []  # id, name, inc, last seq
    with Store.open(db) as store:
        for i in range(COLLEAGUES):
            public, _ = zmq.curve_keypair()
            peer = fingerprint(public)
            if peer == own_id:
                continue
            name = f"Colleague {i + 1}"
            store.upsert_peer(peer, public, name, now - rng.uniform(0, 3 * DAY), verified=True)
            people.append([peer, name, rng.randrange(1, 2**31), 0])  # id, name, inc, last seq
        counts = dict.fromkeys(("post", "question", "reply", "status", "event", "edited",
                                "deleted"), 0)
        events = max(1, count // 50)
        span = 6 * DAY  # inside the 7 days posts are kept: nothing is pruned at start
        times = sorted(now - span + rng.uniform(0, span - 60) for _ in range(count))
        posts: list[str] = []
        questions: list[str] = []
        batch: list[StoredItem] = []
        mine: list[tuple[StoredItem, float]] = []  # (stored, when it is changed)

        def flush() -> None:
            if batch:
                store.add_items(batch)
                batch.clear()

        event_at = set(rng.sample(range(count), events))
        rare_at = sorted(rng.sample(range(count), RARE))  # the next top-level posts get the word
        for n, at in enumerate(times):
            person = rng.choice(people)
            person[3] += 1
            peer, name, inc, seq = person
            if n in event_at:
                flush()
                spec = EventSpec(
                    title=corpus.sentence(2, 6)[:80], start=at + rng.uniform(-DAY, 20 * DAY),
                    duration=3600.0, where=rng.choice(_PLACES), note=corpus.sentence(5, 30)[:900],
                )
                store.put_records([StoredRecord(
                    author=peer, kind="event", key=local_key(inc, seq), ver=seq, inc=inc, at=at,
                    received_at=at, value=wire.encode_value(spec),
                    expires=max(spec.end, now) + EVENT_KEEP_AFTER_END,
                )])
                counts["event"] += 1
                continue
            roll = rng.random()
            common: dict[str, Any] = {"peer": peer, "inc": inc, "seq": seq, "sent_at": at - 0.05,
                                      "received_at": at, "name": name}
            if roll < 0.16:
                item = StoredItem(kind="status", text=(rng.choice(_STATUS) + " "
                                  + corpus.sentence(0, 6))[:STATUS_TEXT_MAX].strip(),
                                  presence=rng.choice(list(Presence)).value, **common)
                counts["status"] += 1
            elif roll < 0.48 and posts:
                thread = rng.choice(questions) if questions and rng.random() < 0.4 else \
                    rng.choice(posts[-300:])
                item = StoredItem(kind="post", text=corpus.sentence(3, 25), reply_to=thread,
                                  **common)
                counts["reply"] += 1
            else:
                question = roll > 0.90
                long_post = rng.random() < 0.05
                text = corpus.sentence(80, 250) if long_post else corpus.sentence(5, 35)
                rare = bool(rare_at) and n >= rare_at[0] and not question
                if rare:
                    rare_at.pop(0)
                    text = f"{text[:POST_TEXT_MAX - 20]} {RARE_WORD}"
                item = StoredItem(kind="post", text=text[:POST_TEXT_MAX], question=question,
                                  urgent=rng.random() < 0.02, ack=rng.random() < 0.02,
                                  tags=tuple(w[1:] for w in text.split() if w.startswith("#")),
                                  **common)
                (questions if question else posts).append(item.id)
                counts["question" if question else "post"] += 1
            batch.append(item)
            if item.kind == "post" and RARE_WORD not in item.text and rng.random() < 0.02:
                mine.append((item, at + rng.uniform(60, 3600)))
            if len(batch) >= BATCH:
                flush()
            # Edits and deletions arrive among the rest, in their time.
            while mine and min(when for _, when in mine) <= at:
                due = min(mine, key=lambda m: m[1])
                mine.remove(due)
                flush()
                _change(store, due[0], people, rng, corpus, counts)
        flush()
        for item, _ in mine:
            _change(store, item, people, rng, corpus, counts)
        size = db.stat().st_size
    return {"items": count, "kinds": counts, "colleagues": len(people),
            "fill_s": round(time.monotonic() - t0, 2), "db_bytes": size}


def _change(store: Any, item: Any, people: list[list[Any]], rng: random.Random, corpus: Corpus,
            counts: dict[str, int]) -> None:
    """A later version of `item` from its author: an edit, or (one in five) a deletion."""
    from msgspec.structs import replace

    person = next(p for p in people if p[0] == item.peer)
    person[3] += 1
    if rng.random() < 0.2:
        new = replace(item, text="", deleted=True, ver=person[3], ver_inc=person[2])
        counts["deleted"] += 1
    else:
        new = replace(item, text=corpus.sentence(5, 30), edits=1, ver=person[3],
                      ver_inc=person[2])
        counts["edited"] += 1
    store.put_item_version(new)


def matches(db: Path) -> dict[str, int]:
    """How many items and events each query matches."""
    from hallway.core.knowledge import fts_query

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = {}
        for kind, words in QUERIES:
            q = fts_query(words)
            items = conn.execute("SELECT count(*) FROM items_fts WHERE items_fts MATCH ?",
                                 (q,)).fetchone()[0]
            events = conn.execute("SELECT count(*) FROM events_fts WHERE events_fts MATCH ?",
                                  (q,)).fetchone()[0]
            out[kind] = int(items) + int(events)
        return out
    finally:
        conn.close()


# measuring -----------------------------------------------------------------------------------


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = fn()
    return (time.perf_counter() - t0) * 1e3, result


def _rounds(reps: int, kinds: list[tuple[str, str]], call: Callable[[str], Any],
            p: Progress, label: str) -> tuple[dict[str, list[float]], dict[str, int]]:
    """`reps` rounds, each query kind once a round (drift hits every kind alike)."""
    samples: dict[str, list[float]] = {k: [] for k, _ in kinds}
    hits: dict[str, int] = {}
    for rep in range(reps):
        p(f"hallway search: {label} {rep + 1}/{reps}")
        for kind, words in kinds:
            ms, result = _timed(functools.partial(call, words))
            samples[kind].append(ms)
            hits[kind] = len(result) if isinstance(result, list) else -1
    return samples, hits


def _cli(system: HallwaySystem, node: Node, p: Progress) -> dict[str, Any]:
    """`hallway feed --search WORDS --json` processes, as a person runs them (no namespace: the
    control socket is a path), next to `hallway feed --json --limit 1`."""
    assert node.home is not None
    base = [str(system.hallway), "--home", str(node.home), "feed", "--json"]
    env = {k: v for k, v in os.environ.items() if k != "HALLWAY_HOME"}

    def run(argv: list[str]) -> list[Any]:
        res = subprocess.run(argv, capture_output=True, text=True, env=env, check=False,
                             timeout=60)
        if res.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[3:])}: exit {res.returncode}: "
                               f"{res.stderr.strip()[-200:]}")
        return list(json.loads(res.stdout))

    kinds = [(k, w) for k, w in QUERIES if k in CLI_KINDS]
    try:
        run([*base, "--search", kinds[0][1]])
    except RuntimeError as exc:
        return {"error": str(exc)}
    kinds.append(("baseline", ""))

    def call(words: str) -> list[Any]:
        if not words:
            return run([*base, "--limit", "1"])
        return run([*base, "--search", *words.split()])

    samples, _ = _rounds(CLI_REPS, kinds, call, p, "cli")
    return {"samples": samples}


def _engine(system: HallwaySystem, host: Host, home: Path) -> dict[str, Any]:
    """Node.search and Store.search in a process on the lab host (the node must be stopped)."""
    python = system.hallway.parent / "python"
    env = {k: v for k, v in os.environ.items() if k != "HALLWAY_HOME"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (env.get("PYTHONPATH", ""), str(REPO)) if p)
    res = host.run([str(python if python.exists() else sys.executable), "-m", "bench.search",
                    "--engine", str(home), "--address", host.address, "--reps", str(REPS)],
                   env=env, check=False, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"engine search helper failed ({res.returncode}): "
                           f"{res.stderr.strip()[-500:]}")
    return dict(json.loads(res.stdout))


def search(system: System, hosts: list[Host], s: Settings, r: Results, p: Progress) -> None:
    """Fill one node's home with ITEMS items, then time its searches by every path."""
    if not isinstance(system, HallwaySystem):
        raise Unsupported("Pyre has no search: no ratio to Pyre")
    from hallway.store.home import database_path

    host = hosts[0]
    with cluster(system, [host], p, s) as c:
        p("hallway search: setting a home up")
        node = c.start(host)
        node.wait_ready(s.mesh_timeout)
        own_id, home = node.id, node.home
        assert home is not None
        system.quit(node)
        c.remove(node)
        p(f"hallway search: storing {ITEMS} items")
        info = fill(database_path(home), own_id, ITEMS, time.time())
        info["matches"] = matches(database_path(home))
        node = system.restart(host, node.name, home)
        c.nodes.append(node)
        node.wait_ready(s.mesh_timeout)
        cold = {}
        for kind, words in QUERIES:  # the first search after the start, then warm ones
            cold[kind] = round(_timed(functools.partial(
                system.control, node, "search", words=words, limit=LIMIT))[0], 3)
        info["cold_control_ms"] = cold
        control, hits = _rounds(REPS, list(QUERIES), lambda w: system.control(
            node, "search", words=w, limit=LIMIT), p, "control socket")
        info["hits"] = hits
        cli = _cli(system, node, p)
        system.quit(node)
        c.remove(node)
    p("hallway search: Node.search and Store.search on the host")
    engine = _engine(system, host, home)
    paths = {"control": control, "node": engine["node"], "store": engine["store"]}
    if "samples" in cli:
        paths["cli"] = cli["samples"]
    else:
        info["cli_error"] = cli["error"]
    for path, per_kind in paths.items():
        for kind, values in per_kind.items():
            r.add(f"search_{kind}_{path}_ms", values)
    info["profile"] = engine["profile"]
    info["plan"] = engine["plan"]
    info["stats"] = {path: {k: latency_stats(v) for k, v in per_kind.items()}
                     for path, per_kind in paths.items()}
    info["target_ms"] = TARGET_MS
    info["reps"] = {"control": REPS, "node": REPS, "store": REPS, "cli": CLI_REPS}
    r.extra["search"] = info
    out = system.log_dir.parent
    (out / "search.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "search.md").write_text(markdown(info))


def markdown(info: dict[str, Any]) -> str:
    stats = info["stats"]
    lines = [
        f"# Search over {info['items']} items (Hallway only: Pyre has no search, no ratio)",
        "",
        (f"Kinds: {info['kinds']}; {info['colleagues']} colleagues; database "
         f"{info['db_bytes'] / 1e6:.1f} MB, filled in {info['fill_s']} s. Limit {LIMIT} hits; "
         f"target: {TARGET_MS:.0f} ms."),
        "",
        ("| query | words | matches | control p50 / p99 | Node.search p50 / p99 "
         "| Store.search p50 / p99 | CLI p50 / p99 | control p99 ≤ 50 ms |"),
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for kind, words in (*QUERIES, ("baseline", "feed --limit 1")):
        cells = []
        for path in ("control", "node", "store", "cli"):
            st = stats.get(path, {}).get(kind)
            cells.append(f"{st['p50']:.2f} / {st['p99']:.2f}" if st else "-")
        ctl = stats["control"].get(kind)
        met = "-" if ctl is None else "yes" if ctl["p99"] <= TARGET_MS else "**no**"
        lines.append(f"| {kind} | `{words}` | {info['matches'].get(kind, '-')} | "
                     + " | ".join(cells) + f" | {met} |")
    lines += ["", "SQL breakdown, median ms (`profile`):", "",
              "| query | " + " | ".join(next(iter(info["profile"].values()))) + " |",
              "|---|" + "---:|" * len(next(iter(info["profile"].values())))]
    for kind, row in info["profile"].items():
        lines.append(f"| {kind} | " + " | ".join(f"{v:.2f}" for v in row.values()) + " |")
    if info.get("cli_error"):
        lines += ["", f"CLI not measured: {info['cli_error']}"]
    lines += ["", "Plan of the items query:", "", "```", *info["plan"], "```"]
    return "\n".join(lines) + "\n"


# the engine side, run on the lab host: python -m bench.search --engine HOME --address ADDR ---

_PROFILE = {
    # What each variant leaves out of the engine's items query.
    "fts_count": "SELECT count(*), ?2 FROM items_fts WHERE items_fts MATCH ?1",
    "fts_bm25_topk": ("SELECT rowid, bm25(items_fts) AS r FROM items_fts WHERE items_fts "
                      "MATCH ?1 ORDER BY r LIMIT ?2"),
    "fts_rank_topk": ("SELECT rowid FROM items_fts WHERE items_fts MATCH ?1 ORDER BY rank "
                      "LIMIT ?2"),
    "join_no_snippet": ("SELECT i.peer, i.text, bm25(items_fts) AS rank FROM items_fts "
                        "JOIN items AS i ON i.rowid = items_fts.rowid WHERE items_fts MATCH ?1 "
                        "AND i.deleted = 0 ORDER BY rank LIMIT ?2"),
    # The whole statement, newest matches first: no bm25 over every match.
    "newest_first": (
        "SELECT i.peer, i.text, snippet(items_fts, 0, '«', '»', '…', 12), bm25(items_fts) "
        "FROM items_fts JOIN items AS i ON i.rowid = items_fts.rowid WHERE items_fts MATCH ?1 "
        "AND i.deleted = 0 ORDER BY items_fts.rowid DESC LIMIT ?2"),
}


def _engine_main(home: Path, address: str, reps: int) -> dict[str, Any]:
    from hallway.core.knowledge import fts_query
    from hallway.runtime import Runtime
    from hallway.store.db import Store
    from hallway.store.home import database_path
    from hallway.store.knowledge import _SEARCH_EVENTS, _SEARCH_ITEMS

    db = database_path(home)
    out: dict[str, Any] = {}
    with Runtime.start(home, interface=address) as runtime:
        node = runtime.node
        for _, words in QUERIES:
            node.search(words, LIMIT)
        out["node"], _ = _rounds(reps, list(QUERIES), lambda w: node.search(w, LIMIT),
                                 lambda _m: None, "")
    with Store.open(db) as store:
        for _, words in QUERIES:
            store.search(fts_query(words), LIMIT)
        out["store"], _ = _rounds(reps, list(QUERIES),
                                  lambda w: store.search(fts_query(w), LIMIT),
                                  lambda _m: None, "")
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        # The engine's statements take (match, limit) in that order, as the variants' ?1 and ?2.
        variants = {"engine_items": _SEARCH_ITEMS, "engine_events": _SEARCH_EVENTS, **_PROFILE}
        profile: dict[str, dict[str, float]] = {}
        for kind, words in QUERIES:
            row: dict[str, float] = {}
            for name, sql, q in [
                *((name, sql, fts_query(words)) for name, sql in variants.items()),
                # The engine's statement with whole words only ("t" is then only the word t).
                ("whole_words", _SEARCH_ITEMS, fts_query(words).replace('"*', '"')),
            ]:
                conn.execute(sql, (q, LIMIT)).fetchall()
                def run(sql: str = sql, q: str = q) -> list[Any]:
                    return conn.execute(sql, (q, LIMIT)).fetchall()

                times = [_timed(run)[0] for _ in range(max(10, reps // 5))]
                row[name] = round(statistics.median(times), 3)
            profile[kind] = row
        out["profile"] = profile
        out["plan"] = [str(r[3]) for r in conn.execute(
            "EXPLAIN QUERY PLAN " + _SEARCH_ITEMS, (fts_query("coffee"), LIMIT))]
    finally:
        conn.close()
    return out


def _main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    ap.add_argument("--engine", type=Path, required=True, help="a stopped node's home")
    ap.add_argument("--address", required=True, help="the interface to start the node on")
    ap.add_argument("--reps", type=int, default=REPS)
    args = ap.parse_args(argv)
    print(json.dumps(_engine_main(args.engine, args.address, args.reps)))
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

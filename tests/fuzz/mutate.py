"""A structure-aware mutator for the msgpack and JSON targets.

msgspec's decoders are C code that atheris does not instrument, so coverage guidance barely sees
inside them. This mutator helps: it decodes an input into plain Python values, changes one value
to something hostile (an edge-case number, a string at or over a limit, a wrong type, a missing or
extra field, another tag), and encodes it again. Half the time the targets use libFuzzer's own
byte-level mutation instead, which reaches what plain values cannot (bad UTF-8, truncation).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Final

FIELDS: Final = (
    "k", "v", "inc", "seq", "at", "body", "presence", "text", "emoji", "until", "urgent",
    "name", "office", "proof", "router_port", "pub_port", "proto", "recs", "more", "kind", "key",
    "val", "t", "title", "start", "duration", "where", "capacity", "note", "remind", "cancelled",
    "edits", "answer", "reason", "cmd", "args", "limit",
)  # fmt: skip
TAGS: Final = (
    "rec", "status", "post", "event", "rsvp", "profile", "hb", "bye", "hello", "snap", "welcome",
    "snapshot", "status_get", "status_set", "status_clear", "peers", "feed", "watch", "ping",
    "show", "available", "away", "busy", "dnd", "going", "maybe", "no", "", "0:0", "1f:12",
    "ffffffffffffffff:9223372036854775807", "0123456789abcdef0123456789abcdef:1f:12",
)  # fmt: skip
INTS: Final = (
    0, 1, -1, 2, 255, 256, 65535, 65536, 1000, 1001, 2**31, 2**32, 2**35, 2**35 + 1,
    2**63 - 1, 2**63, 2**64 - 1, -(2**63),
)  # fmt: skip
FLOATS: Final = (
    0.0, -0.0, 0.5, -1e-300, 1e-310, 2.0**35, 2.0**35 + 1, 1e300, float("inf"), float("-inf"),
    float("nan"), 1.7e9,
)  # fmt: skip
CHARS: Final = ("a", "é", "€", "\U0001f600", "\x00", "\n", '"', "\\", "#")
LENGTHS: Final = (0, 1, 16, 17, 32, 33, 64, 65, 140, 141, 200, 201, 255, 256, 2000, 2001)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 2 else 6)
    if kind == 0:
        return rng.choice(INTS) + rng.choice((0, 0, 0, 1, -1))
    if kind == 1:
        return rng.choice(FLOATS)
    if kind == 2:
        return rng.choice(CHARS) * rng.choice(LENGTHS)
    if kind == 3:
        return rng.choice(TAGS)
    if kind == 4:
        return bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 32, 64, 65))))
    if kind == 5:
        return rng.choice((None, True, False))
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 7:
        return {rng.choice(FIELDS): _random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return {"k": rng.choice(TAGS)}


def _containers(value: Any, out: list[Any]) -> list[Any]:
    if isinstance(value, dict | list):
        out.append(value)
        for child in value.values() if isinstance(value, dict) else value:
            _containers(child, out)
    return out


def mutate_tree(value: Any, rng: random.Random) -> Any:
    """Return `value` with one random structural change (it may change `value` in place)."""
    containers = _containers(value, [])
    if not containers or rng.randrange(20) == 0:
        return _random_value(rng)
    node = rng.choice(containers)
    if isinstance(node, dict):
        action = rng.randrange(4)
        if action == 0 or not node:
            node[rng.choice(FIELDS)] = _random_value(rng)
        elif action == 1:
            del node[rng.choice(list(node))]
        elif action == 2 and "k" in node:
            node["k"] = rng.choice(TAGS)
        else:
            node[rng.choice(list(node))] = _random_value(rng)
    else:
        action = rng.randrange(4)
        if action == 0 or not node:
            node.append(_random_value(rng))
        elif action == 1:
            node.pop(rng.randrange(len(node)))
        elif action == 2:
            node.extend(node[: rng.randrange(1, 4)] * rng.choice((1, 2, 100, 501)))
        else:
            node[rng.randrange(len(node))] = _random_value(rng)
    return value


def structured(
    data: bytes,
    max_size: int,
    seed: int,
    *,
    loads: Callable[[bytes], Any],
    dumps: Callable[[Any], bytes],
    fallback: Callable[[bytes, int], bytes],
    prefix: int = 0,
) -> bytes:
    """One mutation of `data`: structured half the time, else `fallback` (libFuzzer's own).

    The first `prefix` bytes (a selector) are kept as they are, or sometimes changed.
    """
    rng = random.Random(seed)
    if rng.randrange(2):
        return fallback(data, max_size)
    head, body = data[:prefix], data[prefix:]
    if prefix and (len(head) < prefix or rng.randrange(8) == 0):
        head = bytes(rng.randrange(256) for _ in range(prefix))
    try:
        value = loads(body)
        out = head + dumps(mutate_tree(value, rng))
    except Exception:  # noqa: BLE001 -- anything this cannot handle (too deep, odd keys) mutates bytewise
        return fallback(data, max_size)
    return out[:max_size]

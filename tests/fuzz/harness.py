"""The atheris side of the fuzz targets: instrumentation, the entry point, the custom mutator."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import atheris

from tests.fuzz import mutate  # the mutator itself is not under test: not instrumented

with atheris.instrument_imports(include=["hallway", "tests.fuzz.checks"]):
    from tests.fuzz import checks

#: Set by `tests/fuzz/run --skip-known`: keep fuzzing past bugs listed in checks.KNOWN_BUGS.
SKIP_KNOWN = os.environ.get("HALLWAY_FUZZ_SKIP_KNOWN") == "1"


def main(
    target: str,
    *,
    loads: Callable[[bytes], Any] | None = None,
    dumps: Callable[[Any], bytes] | None = None,
    prefix: int = 0,
) -> None:
    """Fuzz `checks.CHECKS[target]`; with `loads`/`dumps`, mutate structurally half the time."""
    check = checks.CHECKS[target]

    def test_one_input(data: bytes) -> None:
        try:
            check(data)
        except Exception as exc:
            if SKIP_KNOWN and checks.tolerated(exc):
                return
            raise

    kwargs: dict[str, Any] = {}
    if loads is not None and dumps is not None:

        def custom_mutator(data: bytes, max_size: int, seed: int) -> bytes:
            return mutate.structured(
                data,
                max_size,
                seed,
                loads=loads,
                dumps=dumps,
                fallback=atheris.Mutate,
                prefix=prefix,
            )

        kwargs["custom_mutator"] = custom_mutator
    atheris.Setup(sys.argv, test_one_input, **kwargs)
    atheris.Fuzz()

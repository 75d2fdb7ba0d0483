"""atheris target: the wire decoders (`decode_envelope`, `decode_request`, `decode_reply`).

Input: one selector byte (byte % 3 picks the decoder, in that order), then the frame.
Run from the repository root: `.venv/bin/python -m tests.fuzz.fuzz_wire [libFuzzer flags]`,
or all targets with `tests/fuzz/run`.
"""

from __future__ import annotations

import msgspec

from tests.fuzz.harness import main

if __name__ == "__main__":
    main("wire", loads=msgspec.msgpack.decode, dumps=msgspec.msgpack.encode, prefix=1)

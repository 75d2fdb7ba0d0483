"""atheris target: the control socket's request decoder (`hallway.control.protocol`).

Input: one request line, as a client writes it to the socket.
Run from the repository root: `.venv/bin/python -m tests.fuzz.fuzz_control [libFuzzer flags]`.
"""

from __future__ import annotations

import msgspec

from tests.fuzz.harness import main

if __name__ == "__main__":
    main("control", loads=msgspec.json.decode, dumps=msgspec.json.encode)

"""atheris target: the TXT-record parser (`hallway.core.txt.parse_txt`).

Input: see `checks.txt_props`. An even first byte: TXT RDATA as python-zeroconf unpacks it;
odd: a wider format reaching values over 255 bytes and keys holding `=`.
Run from the repository root: `.venv/bin/python -m tests.fuzz.fuzz_txt [libFuzzer flags]`.
"""

from __future__ import annotations

from tests.fuzz.harness import main

if __name__ == "__main__":
    main("txt")

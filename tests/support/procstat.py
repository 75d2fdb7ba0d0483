"""A victim's CPU, memory and descriptors, read from /proc: what the attack tests print."""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    # Fields after the command (which may hold spaces) start at state; utime and stime are the
    # 14th and 15th fields of the whole line.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def fd_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


class Meter:
    """CPU use of one process between two readings (a measurement, not a wait)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu = cpu_seconds(pid)
        self.wall = time.monotonic()

    def percent(self) -> float:
        cpu, wall = cpu_seconds(self.pid), time.monotonic()
        used = 100.0 * (cpu - self.cpu) / max(wall - self.wall, 1e-6)
        self.cpu, self.wall = cpu, wall
        return used

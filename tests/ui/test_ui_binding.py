"""The Qt binding must not leak references on signal emits (PySide6 6.12.0 did, fatally)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Probe(QObject):
    fired = Signal(str)


def test_emit_keeps_reference_counts(qapp: object) -> None:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(500):
        probe.fired.emit("x")
    # A few references may come and go elsewhere; a leak per emit would show as ~500.
    assert abs(sys.getrefcount(True) - before) < 50

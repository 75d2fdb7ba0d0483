"""results.json, results.md and latency.png from the raw samples of each system."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench.scenarios import Results

LATENCIES = [
    ("discovery_ms", "pairwise discovery (from start)"),
    ("discovery_from_ready_ms", "pairwise discovery (from newcomer's ready)"),
    ("propagation_ms", "propagation (sent_at to receiver)"),
    ("killed_offline_ms", "killed process marked offline"),
    ("quit_offline_ms", "clean quit marked offline"),
    ("late_join_ms", "late join, all statuses held"),
    ("burst_latency_ms", "burst: per-post delay"),
    ("meetups_empty_ms", "meetups: discovery, empty office (from start)"),
    ("meetups_loaded_ms", "meetups: discovery, loaded office (from start)"),
    ("meetups_empty_from_ready_ms", "meetups: discovery, empty office (from ready)"),
    ("meetups_loaded_from_ready_ms", "meetups: discovery, loaded office (from ready)"),
    ("meetups_empty_all_ms", "meetups: whole empty office online (from start)"),
    ("meetups_loaded_all_ms", "meetups: whole loaded office online (from start)"),
    ("meetups_empty_all_from_ready_ms", "meetups: whole empty office online (from ready)"),
    ("meetups_loaded_all_from_ready_ms", "meetups: whole loaded office online (from ready)"),
    ("meetups_records_ms", "meetups: newcomer holds every event and answer (from start)"),
]
# Loaded office against the same office empty, in the same run (issue 10: at most 20 % slower).
MEETUP_PAIRS = [("meetups_{}_ms", "discovery per member, from start"),
                ("meetups_{}_from_ready_ms", "discovery per member, from ready"),
                ("meetups_{}_all_ms", "whole office online, from start"),
                ("meetups_{}_all_from_ready_ms", "whole office online, from ready")]
MEETUP_LIMIT = 1.20
RESOURCES = [
    ("rss_mb", "RSS per node (MB)"),
    ("idle_cpu_pct", "idle CPU per node (% of a core)"),
    ("soak_rss_before_mb", "soak: RSS per node before the load (MB)"),
    ("soak_rss_peak_mb", "soak: highest RSS per node from the load on (MB)"),
    ("soak_rss_after_mb", "soak: RSS per node after the load (MB)"),
    ("soak_cpu_ms_per_item", "soak: CPU per node per item (ms)"),
]


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def latency_stats(values: list[float] | None) -> dict[str, float | int] | None:
    if not values:
        return None
    return {"p50": round(percentile(values, 0.50), 3), "p99": round(percentile(values, 0.99), 3),
            "max": round(max(values), 3), "n": len(values)}


def resource_stats(values: list[float] | None) -> dict[str, float | int] | None:
    if not values:
        return None
    return {"mean": round(sum(values) / len(values), 3), "max": round(max(values), 3),
            "n": len(values)}


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import zmq
        libzmq: str | None = zmq.zmq_version()
    except ImportError:
        libzmq = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pyzmq": _version("pyzmq"),
        "libzmq": libzmq,
        "zeroconf": _version("zeroconf"),
        "pyre": _version("zeromq-pyre"),
        "hallway": _version("hallway"),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def system_summary(res: Results) -> dict[str, Any]:
    out: dict[str, Any] = {key: latency_stats(res.samples.get(key)) for key, _ in LATENCIES}
    out.update({key: resource_stats(res.samples.get(key)) for key, _ in RESOURCES})
    out["burst"] = res.extra.get("burst")
    out["soak"] = res.extra.get("soak")
    if "meetups" in res.extra:
        out["meetups"] = {**res.extra["meetups"], **meetup_ratios(out)}
    out["errors"] = res.errors or None
    out["samples"] = {k: [round(v, 3) for v in vs] for k, vs in res.samples.items()}
    return out


def write_all(out_dir: Path, doc: dict[str, Any], results: dict[str, Results]) -> None:
    doc.update({key: system_summary(res) for key, res in results.items()})
    for key in ("hallway", "pyre"):
        doc.setdefault(key, None)
    (out_dir / "results.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out_dir / "results.md").write_text(markdown(doc))
    plot(out_dir / "latency.png", doc)


def meetup_ratios(summary: dict[str, Any]) -> dict[str, Any]:
    """Loaded / empty, per figure and statistic."""
    ratios: dict[str, Any] = {}
    for pattern, _ in MEETUP_PAIRS:
        empty, loaded = summary.get(pattern.format("empty")), summary.get(pattern.format("loaded"))
        if empty and loaded:
            ratios[pattern.format("ratio")] = {
                stat: round(loaded[stat] / empty[stat], 3) for stat in ("p50", "p99")
                if empty[stat]}
    return ratios


def meetups_markdown(data: dict[str, Any]) -> list[str]:
    info = data.get("meetups")
    if not info:
        return []
    lines = ["", (f"Hallway meetups: {info['members']} members holding {info['events']} events "
                  f"and {info['rsvps']} answers (loaded in {info['load_s']} s), against the "
                  f"same members without them; target: loaded at most "
                  f"{MEETUP_LIMIT - 1:.0%} slower."),
             ""]
    if info.get("note"):
        lines += [f"Note: {info['note']}.", ""]
    lines += ["| figure | empty p50 / p99 | loaded p50 / p99 | n | ratio p50 / p99 | met |",
              "|---|---:|---:|---:|---:|---|"]
    for pattern, label in MEETUP_PAIRS:
        empty, loaded = data.get(pattern.format("empty")), data.get(pattern.format("loaded"))
        ratio = info.get(pattern.format("ratio"))
        if not (empty and loaded and ratio):
            continue
        met = "yes" if max(ratio.values()) <= MEETUP_LIMIT else "**no**"
        lines.append(f"| {label} (ms) | {_fmt(empty['p50'])} / {_fmt(empty['p99'])} | "
                     f"{_fmt(loaded['p50'])} / {_fmt(loaded['p99'])} | {loaded['n']} | "
                     f"{ratio.get('p50', 0):.2f} / {ratio.get('p99', 0):.2f} | {met} |")
    return lines


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"


def markdown(doc: dict[str, Any]) -> str:
    hw, py = doc.get("hallway") or {}, doc.get("pyre") or {}
    lines = [
        f"# Hallway vs Pyre, {doc['nodes']} nodes",
        "",
        (f"{doc['machine']['cpu']}, {doc['machine']['cores']} cores, Linux "
         f"{doc['machine']['kernel']}, Python {doc['machine']['python']}, "
         f"{doc['machine']['date']}."),
        "",
        f"Command: `{' '.join(doc['command'])}`",
        "",
        "| figure | stat | Hallway | Pyre | Hallway / Pyre |",
        "|---|---|---:|---:|---:|",
    ]
    rows: list[tuple[str, str, tuple[str, ...]]] = [
        (key, label, ("p50", "p99", "max", "n")) for key, label in LATENCIES
    ]
    rows += [(key, label, ("mean", "max", "n")) for key, label in RESOURCES]
    for key, label, stats in rows:
        a, b = hw.get(key), py.get(key)
        if a is None and b is None:
            continue
        for stat in stats:
            va = a.get(stat) if a else None
            vb = b.get(stat) if b else None
            ratio = "-"
            if stat != "n" and va is not None and vb:
                ratio = f"{va / vb:.2f}"
            unit = "" if stat == "n" or key in dict(RESOURCES) else " ms"
            lines.append(f"| {label if stat == stats[0] else ''} | {stat} | "
                         f"{_fmt(va)}{unit if va is not None else ''} | "
                         f"{_fmt(vb)}{unit if vb is not None else ''} | {ratio} |")
    for name, data in (("Hallway", hw), ("Pyre", py)):
        if data.get("burst"):
            bst = data["burst"]
            lines += ["", (f"{name} burst: {bst['posts']} posts to {bst['receivers']} "
                           f"receivers, fewest delivered {bst['delivered_min']}, "
                           f"all delivered: {bst['delivered_all']}, "
                           f"{bst['duration_ms']:.0f} ms from first send to last delivery"
                           + (f" (posting took {bst['posting_ms']:.0f} ms)."
                              if "posting_ms" in bst else "."))]
        if data.get("soak"):
            sk = data["soak"]
            lines += ["", (f"{name} soak: {sk['posted']} items in {sk['load_s']} s "
                           f"({sk['rate']} a second), all delivered: {sk['delivered_all']}.")]
        lines += meetups_markdown(data)
        if data.get("errors"):
            lines += ["", f"{name} errors:"]
            lines += [f"- {scen}: {msg.splitlines()[0]}" for scen, msg in data["errors"].items()]
    return "\n".join(lines) + "\n"


def plot(path: Path, doc: dict[str, Any]) -> None:
    path.unlink(missing_ok=True)  # never leave a previous run's picture beside new numbers
    try:
        import matplotlib as mpl
        mpl.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no latency.png (pip install -e '.[bench]')",
              file=sys.stderr)
        return
    keys = [(k, label) for k, label in LATENCIES
            if any((doc.get(s) or {}).get("samples", {}).get(k) for s in ("hallway", "pyre"))]
    if not keys:
        return
    cols = 2
    rows = math.ceil(len(keys) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(11, 3.2 * rows), squeeze=False)
    for ax, (key, label) in zip(axes.flat, keys, strict=False):
        seen: list[float] = []
        for system, colour in (("hallway", "tab:blue"), ("pyre", "tab:orange")):
            values = sorted((doc.get(system) or {}).get("samples", {}).get(key) or [])
            if not values:
                continue
            seen += values
            ys = [(i + 1) / len(values) for i in range(len(values))]
            ax.step(values, ys, where="post", color=colour, label=f"{system} (n={len(values)})")
        # A log axis only where the values span decades; elsewhere its labels collide.
        if min(seen) > 0 and max(seen) / min(seen) > 20:
            ax.set_xscale("log")
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("ms")
        ax.set_ylabel("fraction")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    fig.suptitle(f"Latency distributions (ECDF), {doc['nodes']} nodes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

"""Command line of bench/run: arguments, the lab, the scenario loop, the progress line."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import TextIO

from bench import report
from bench.meetups import meetups
from bench.scenarios import SCENARIOS as BASE_SCENARIOS
from bench.scenarios import Results, Settings
from bench.systems import REPO, HallwaySystem, PyreSystem, System, Unsupported
from tests.support.netlab import Lab, LabError, netns_available, sweep_stale

DEFAULT_SCENARIOS = ["discovery", "propagation", "crash", "quit", "late_join", "footprint",
                     "burst"]
# Hallway only, and a few minutes long: run on request (`--scenario meetups`), not by default.
SCENARIOS = {**BASE_SCENARIOS, "meetups": meetups}


class ProgressLine:
    """One line on stderr, rewritten in place on a terminal; plain lines otherwise."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        self._last = ""

    def __call__(self, message: str) -> None:
        line = f"[{time.monotonic() - self.t0:6.1f}s] {message}"
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r\x1b[K" + line[:width])
        elif message.split(":", 1)[0] != self._last.split(":", 1)[0]:
            self.stream.write(line + "\n")  # not a terminal: one line per phase, not per step
        self._last = message
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="bench/run", description=__doc__)
    ap.add_argument("--nodes", type=int, required=True, help="hosts (one node each), 2 to 50")
    ap.add_argument("--out", type=Path, required=True, help="directory for the results")
    ap.add_argument("--scenario", action="append", choices=list(SCENARIOS), dest="scenarios",
                    help="repeat to pick several (default: all)")
    ap.add_argument("--system", choices=["hallway", "pyre", "both"], default="both")
    ap.add_argument("--idle-seconds", type=float, default=60.0)
    ap.add_argument("--messages", type=int, default=60, help="propagation: updates in total")
    ap.add_argument("--burst", type=int, default=1000, help="burst: posts from one node")
    ap.add_argument("--crash-rounds", type=int, default=1)
    ap.add_argument("--quit-rounds", type=int, default=3)
    ap.add_argument("--late-rounds", type=int, default=3)
    ap.add_argument("--offline-timeout", type=float, default=60.0,
                    help="crash/quit: seconds to wait for offline (Pyre expires peers at 30 s)")
    ap.add_argument("--mesh-timeout", type=float, default=None,
                    help="seconds to wait for a node's start or for a pair to see each other "
                         "(default: 60, or 3 s per node beyond 20)")
    ap.add_argument("--hallway-bin", type=Path, default=REPO / ".venv" / "bin" / "hallway")
    ap.add_argument("--hallway-driver", choices=["control", "cli"], default="control",
                    help="how statuses and posts reach a running node: its control socket, "
                         "from this process (default), or `hallway status set`/`post` processes")
    ap.add_argument("--hallway-init", choices=["before", "node"], default="before",
                    help="set each fresh home up with `hallway init` before the node's start is "
                         "timed (default), or let `hallway node` do it (every start a first one)")
    ap.add_argument("--hallway-office", choices=["open", "closed"], default="open",
                    help="an open office (default), or a closed one: every home joins the office "
                         "'Bench' with one passphrase")
    ap.add_argument("--events", type=int, default=200, help="meetups: events in the office")
    ap.add_argument("--rsvps", type=int, default=2000,
                    help="meetups: answers in the office (at most (nodes-1) x events)")
    ap.add_argument("--meetup-blocks", type=int, default=4,
                    help="meetups: restarts of each office, alternating empty and loaded")
    ap.add_argument("--meetup-rounds", type=int, default=3,
                    help="meetups: newcomers joining each office per block")
    ap.add_argument("--soak-rate", type=float, default=45.0,
                    help="soak: items a second the office posts between its nodes")
    ap.add_argument("--soak-seconds", type=float, default=180.0, help="soak: the load's length")
    ap.add_argument("--soak-settle", type=float, default=30.0,
                    help="soak: the idle windows before and after the load (seconds)")
    args = ap.parse_args(argv)
    for flag in ("events", "rsvps", "meetup_blocks", "meetup_rounds"):
        if getattr(args, flag) < (0 if flag == "rsvps" else 1):
            ap.error(f"--{flag.replace('_', '-')} must be at least "
                     f"{0 if flag == 'rsvps' else 1}")
    if args.soak_rate <= 0 or args.soak_seconds <= 0 or args.soak_settle < 0:
        ap.error("--soak-rate and --soak-seconds must be above 0, --soak-settle at least 0")
    if not 2 <= args.nodes <= 50:
        ap.error("--nodes must be between 2 and 50")
    if args.mesh_timeout is None:
        args.mesh_timeout = max(60.0, 3.0 * args.nodes)
    return args


def main(argv: list[str], command: list[str]) -> int:
    args = parse(argv)
    if os.geteuid() != 0:
        print("bench/run needs root: it builds network namespaces (ip netns). "
              "Run it with sudo, e.g. `sudo bench/run --nodes 6 --out bench/out`.",
              file=sys.stderr)
        return 2
    ok, why = netns_available()
    if not ok:
        print(f"bench/run cannot build its private network: {why}", file=sys.stderr)
        return 2
    systems = ["hallway", "pyre"] if args.system == "both" else [args.system]
    if "hallway" in systems and not args.hallway_bin.exists():
        print(f"{args.hallway_bin} not found: install the project (pip install -e .)",
              file=sys.stderr)
        return 2

    if "hallway" in systems:
        _compile_hallway(args.hallway_bin)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        messages=args.messages, crash_rounds=args.crash_rounds, quit_rounds=args.quit_rounds,
        late_rounds=args.late_rounds, idle_seconds=args.idle_seconds, burst=args.burst,
        offline_timeout=args.offline_timeout, mesh_timeout=args.mesh_timeout,
        hallway_driver=args.hallway_driver, hallway_init=args.hallway_init,
        meetup_events=args.events, meetup_rsvps=args.rsvps, meetup_blocks=args.meetup_blocks,
        meetup_rounds=args.meetup_rounds, soak_rate=args.soak_rate,
        soak_seconds=args.soak_seconds, soak_settle=args.soak_settle,
    )
    scenarios = args.scenarios or DEFAULT_SCENARIOS
    progress = ProgressLine()
    sweep_stale()  # leftovers of a run that was killed before it could clean up
    results: dict[str, Results] = {}
    interrupted: int | None = None
    try:
        for key in systems:
            results[key] = Results()
            run_system(key, args, out, scenarios, settings, progress, results[key])
    except (KeyboardInterrupt, SystemExit) as exc:
        # Ctrl-C, or SIGTERM turned into SystemExit by the lab: the lab is already torn down.
        interrupted = 130 if isinstance(exc, KeyboardInterrupt) else int(exc.code or 1)
        progress.done()
        print("interrupted: the lab was torn down; writing partial results", file=sys.stderr)
    finally:
        progress.done()
    doc = {
        "nodes": args.nodes,
        "machine": report.machine(),
        "command": command,
        "scenarios": scenarios,
        "settings": vars(settings),
    }
    report.write_all(out, doc, results)
    written = [str(out / f) for f in ("results.json", "results.md", "latency.png")
               if (out / f).exists()]
    print(f"wrote {', '.join(written)}", file=sys.stderr)
    if interrupted is not None:
        return interrupted
    failed = [f"{k}:{s}" for k, r in results.items() for s in r.errors]
    return 1 if failed else 0


def _compile_hallway(hallway_bin: Path) -> None:
    """Write Hallway's bytecode before anything is timed, as installing a wheel does.

    An editable install run with PYTHONDONTWRITEBYTECODE=1 (as here) would otherwise compile
    every module of the package from source at every start (~45 ms of a ~150 ms start), while
    Pyre, installed from a wheel, starts from its bytecode. `__pycache__/` is in .gitignore.
    """
    python = hallway_bin.parent / "python"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([str(python if python.exists() else sys.executable), "-m", "compileall", "-q",
                    str(REPO / "desktop" / "hallway")], env=env, check=False,
                   stdout=subprocess.DEVNULL)


def run_system(key: str, args: argparse.Namespace, out: Path, scenarios: list[str],
               settings: Settings, progress: ProgressLine, res: Results) -> None:
    logs = out / "logs"
    system: System
    if key == "pyre":
        system = PyreSystem(logs)
    else:
        system = HallwaySystem(logs, out / "homes", args.hallway_bin, driver=args.hallway_driver,
                               init=args.hallway_init, closed=args.hallway_office == "closed")
    with Lab() as lab:
        progress(f"{key}: building a lab of {args.nodes} hosts")
        hosts = lab.add_hosts(args.nodes)
        for name in scenarios:
            progress(f"{key} {name}")
            try:
                SCENARIOS[name](system, hosts, settings, res, progress)
            except Unsupported as exc:
                res.extra.setdefault("unsupported", []).append(f"{name}: {exc}")
            except (TimeoutError, LabError, RuntimeError, OSError) as exc:
                res.errors[name] = f"{type(exc).__name__}: {exc}"
                (logs / f"{key}-{name}.error.txt").write_text(traceback.format_exc())
                progress.done()
                print(f"{key} {name} failed: {str(exc).splitlines()[0]}", file=sys.stderr)

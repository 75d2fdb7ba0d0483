"""How long `hallway node` takes from exec to its `ready` event, and what it used (issue 13).

Usage (root, like bench/run):  .venv/bin/python bench/node_start.py [--runs 15] [--out FILE]
                               [--before DIR]

It re-executes itself in a network namespace of its own with only `lo` up (`unshare --net`, as
bench/cli_start.py does), so nothing reaches the machine's real interfaces. Each start gets a
fresh home set up first, untimed (`hallway init --name Bench --open --interface 127.0.0.1`), as
bench/run's homes are; then it times `hallway node --json` from just before `subprocess.Popen`
until its `ready` line is read, and reads, at that moment, the CPU its threads have used
(`/proc/PID/task/*/schedstat`, in nanoseconds: the threads alive at `ready`) and its RSS. The
node is stopped (SIGTERM to its process group) before the next start. `python -c pass`, the
floor, is timed in the same rounds. `--before DIR` starts another checkout's node too
(`PYTHONPATH=DIR/desktop`, through the console script DIR's pyproject.toml names), in the same
rounds; the order rotates from round to round. Both trees' bytecode is compiled first, as
installing a wheel does (bench/README.md). One untimed round comes first.

`--floors` times two more in the same rounds, to its `ready` line likewise: the stack alone
(`bench/stack_floor.py`: the libraries DESIGN.md fixes, started as a node starts them, with no
Hallway code), the floor under any start of this design; and Pyre's node (`bench/pyre_driver.py`),
what `bench/run` compares with. Pyre beacons on the first interface that is not loopback, so the
namespace gets one of its own for it: a veth pair with both ends in the namespace
(198.18.250.1/24), so its beacons stay there.

A start's share of `bench/run`'s discovery from start: what a node does before it can meet
anyone, without the other nodes' load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.cli_start import (  # noqa: E402
    INSIDE_ENV,
    compile_tree,
    launcher,
    lean_env,
    only_loopback,
    run_in_own_netns,
    stop_group,
)
from bench.connections import rss_kb, total_cpu  # noqa: E402
from bench.report import machine, percentile  # noqa: E402

WARMUP = 1
READY_TIMEOUT = 60.0


def start_once(hallway: str, env: dict[str, str], home: Path) -> dict[str, float]:
    """One timed start of `hallway node --json` for a fresh `home`, stopped again."""
    shutil.rmtree(home, ignore_errors=True)
    subprocess.run([hallway, "--home", str(home), "init", "--name", "Bench", "--open",
                    "--interface", "127.0.0.1"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return process_once([hallway, "--home", str(home), "node", "--json"], env)


def process_once(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """One timed start of a process that prints a `ready` JSON line (whole lines) and runs until
    stopped (SIGTERM to its group), or until its stdin closes."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert proc.stdout is not None
        while True:
            line = proc.stdout.readline()  # EOF if it exits
            if not line:
                raise RuntimeError(f"{argv[1]} exited ({proc.wait()}) before its ready event")
            if json.loads(line).get("type") == "ready":
                break
            if time.perf_counter() > t0 + READY_TIMEOUT:
                raise RuntimeError(f"{argv[1]}: no ready event in time")
        wall = (time.perf_counter() - t0) * 1e3
        return {"wall_ms": wall, "cpu_ms": total_cpu([proc.pid]), "rss_mb": rss_kb(proc.pid) / 1024}
    finally:
        stop_group(proc)
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()


def give_pyre_an_interface() -> None:
    """An interface in this (the run's own) namespace for Pyre, which needs one that is not
    loopback to beacon on: a veth pair with both ends here, so what it sends stays here (and
    nothing listens at the other end)."""
    for cmd in (["ip", "link", "add", "hwfloor0", "type", "veth", "peer", "name", "hwfloor1"],
                ["ip", "addr", "add", "198.18.250.1/24", "dev", "hwfloor0"],
                ["ip", "link", "set", "hwfloor1", "up"],
                ["ip", "link", "set", "hwfloor0", "up"]):
        subprocess.run(cmd, check=True)


def python_once(python: str, env: dict[str, str]) -> dict[str, float]:
    t0 = time.perf_counter()
    subprocess.run([python, "-c", "pass"], env=env, check=True)
    return {"wall_ms": (time.perf_counter() - t0) * 1e3}


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    python = str(args.python)
    runs: dict[str, Any] = {
        "python -c pass": lambda: python_once(python, lean_env()),
        "hallway node": lambda: start_once(str(args.hallway), lean_env(), tmp / "home"),
    }
    if args.before is not None:
        tree = args.before.resolve()
        old = str(launcher(tree, args.python, tmp / "hallway-before"))
        env = lean_env(str(tree / "desktop"))
        runs["hallway node (before)"] = lambda: start_once(old, env, tmp / "home-before")
    if args.floors:
        stack = [python, str(REPO / "bench" / "stack_floor.py")]
        pyre = [python, str(REPO / "bench" / "pyre_driver.py"), "--name", "floor"]
        runs["the stack alone"] = lambda: process_once(stack, lean_env())
        runs["pyre node"] = lambda: process_once(pyre, lean_env())
    names = list(runs)
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for rnd in range(WARMUP + args.runs):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:
            sample = runs[name]()
            if rnd >= WARMUP:
                samples[name].append(sample)
        print(f"\rround {rnd + 1}/{WARMUP + args.runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    results: dict[str, Any] = {}
    for name in names:
        figures: dict[str, Any] = {}
        for key in samples[name][0]:
            values = [s[key] for s in samples[name]]
            figures[key] = {"median": round(percentile(values, 0.5), 2),
                            "p99": round(percentile(values, 0.99), 2),
                            "min": round(min(values), 2),
                            "samples": [round(v, 2) for v in values]}
        results[name] = figures
    return results


def run_inside(args: argparse.Namespace) -> int:
    only_loopback()
    if args.floors:
        give_pyre_an_interface()
    tmp = Path(tempfile.mkdtemp(prefix="hwstart-", dir="/tmp"))  # short: AF_UNIX path limit
    try:
        compile_tree(args.python, REPO)
        if args.before is not None:
            compile_tree(args.python, args.before.resolve())
        results = measure(args, tmp)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report = {"machine": machine(), "command": [sys.executable, *sys.argv], "runs": args.runs,
              "warmup_rounds": WARMUP, "results": results}
    print(f"command: {' '.join(report['command'])}  (n={args.runs} each; median / p99 / min)")
    for name, figures in results.items():
        cells = [f"{key} {f['median']:.1f} / {f['p99']:.1f} / {f['min']:.1f}"
                 for key, f in figures.items()]
        print(f"{name:24} " + "   ".join(cells))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/node_start.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=15, help="timed starts of each (default 15)")
    ap.add_argument("--before", type=Path, metavar="DIR",
                    help="also start the node of this checkout (PYTHONPATH=DIR/desktop)")
    ap.add_argument("--floors", action="store_true",
                    help="also time the stack alone (bench/stack_floor.py) and Pyre's node")
    ap.add_argument("--python", type=Path, default=REPO / ".venv" / "bin" / "python")
    ap.add_argument("--hallway", type=Path, default=REPO / ".venv" / "bin" / "hallway")
    ap.add_argument("--out", type=Path, metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if os.environ.get(INSIDE_ENV) == "1":
        return run_inside(args)
    return run_in_own_netns(Path(__file__))

if __name__ == "__main__":
    sys.exit(main())

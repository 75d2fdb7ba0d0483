"""How long a client command takes from exec to exit, against Python's own start (issue 13).

Usage (root, like bench/run):  .venv/bin/python bench/cli_start.py [--runs 40] [--out FILE]
                               [--before DIR]

It re-executes itself in a network namespace of its own with only `lo` up (`unshare --net`, as
tests/run does), so nothing reaches the machine's real interfaces. There it sets up a throw-away
home (`hallway init --name Bench --open --interface 127.0.0.1`), starts `hallway node --json` on
loopback, waits for its `ready` event, and then times, taking turns within each round (the
order rotates from round to round):

- `python -c pass` with the same interpreter (the floor: Python's own start-up),
- `hallway peers` and `hallway status` (read-only client commands, each one request or two),
  once with `--home` and once as people type them ("default home"): no `--home`, no
  `HALLWAY_HOME`, no `XDG_DATA_HOME`, and `HOME` a throw-away directory, so that the home is the
  platform's default (`~/.local/share/hallway`, where the node runs) and finding it is timed too,

each from just before `subprocess.run` until it returned (time.perf_counter), stdout and stderr
to pipes. `--before DIR` times the same commands once more from another checkout
(`PYTHONPATH=DIR/desktop`, through the console script DIR's pyproject.toml names; e.g. after
`git worktree add DIR HEAD`), in the same rounds. Hallway's
bytecode is compiled first, as installing a wheel does (see bench/README.md). A few untimed
warm-up rounds come first.

Prints median and p99 per command and their ratios to `python -c pass`; `--out FILE` writes the
same as JSON with the samples. The node is stopped and the home removed on exit, on an error, on
Ctrl-C and on SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from types import FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import machine, percentile  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402

INSIDE_ENV = "HALLWAY_BENCH_CLI_NETNS"  # set on the re-executed run, inside the namespace
WARMUP = 3


def lean_env(pythonpath: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"HALLWAY_HOME", "PYTHONPATH"}}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # no keyring daemon here
    env.pop(INSIDE_ENV, None)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    return env


def compile_tree(python: Path, tree: Path) -> None:
    """Bytecode for `tree`'s package, as a wheel's install writes it (PYTHONDONTWRITEBYTECODE)."""
    env = {k: v for k, v in lean_env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([str(python), "-m", "compileall", "-q", str(tree / "desktop" / "hallway")],
                   env=env, check=False, stdout=subprocess.DEVNULL)


def only_loopback() -> None:
    names = sorted(name for _index, name in socket.if_nameindex())  # this namespace's, not sysfs'
    if names != ["lo"]:
        raise SystemExit(f"refusing to run: this namespace has interfaces {names}, not only lo")


class _TerminatedError(Exception):
    """SIGTERM, turned into an exception so that the cleanup runs."""


def _on_term(_signum: int, _frame: FrameType | None) -> None:
    raise _TerminatedError


def user_home(tmp: Path) -> Path:
    """The throw-away `HOME` of the default-home commands."""
    return tmp / "user"


def default_home(tmp: Path) -> Path:
    """Hallway's default home for `user_home(tmp)` on Linux (XDG_DATA_HOME unset)."""
    return user_home(tmp) / ".local" / "share" / "hallway"


class Node:
    """`hallway node --json` on loopback for a fresh home, in its own process group."""

    def __init__(self, hallway: Path, tmp: Path) -> None:
        self.hallway = hallway
        self.home = default_home(tmp)  # so that a command without --home finds it too
        self.log = tmp / "node.ndjson"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float) -> None:
        subprocess.run([str(self.hallway), "--home", str(self.home), "init", "--name", "Bench",
                        "--open", "--interface", "127.0.0.1"], env=lean_env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(self.hallway), "--home", str(self.home), "node", "--json"], env=lean_env(),
                stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
        wait_until(self._ready, timeout, lambda: f"the node's ready event: {self._tail()}")

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"the node exited with {self.proc.returncode}: {self._tail()}")
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                if json.loads(line).get("type") == "ready":
                    return True
            except ValueError:
                continue
        return False

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-500:] if self.log.exists() else "(no output)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process started with `start_new_session`, and its group: SIGTERM, then SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        proc.wait(5)


def launcher(tree: Path, python: Path, where: Path) -> Path:
    """The `hallway` console script that installing `tree` would write, at `where`.

    Another checkout may name another entry point in its pyproject.toml than the installed one.
    """
    with (tree / "pyproject.toml").open("rb") as f:
        target = tomllib.load(f)["project"]["scripts"]["hallway"]
    module, func = target.split(":")
    where.write_text(
        f"#!{python}\nimport sys\nfrom {module} import {func}\n"
        f"if __name__ == '__main__':\n    sys.exit({func}())\n"
    )
    where.chmod(0o755)
    return where


def _default_env(env: dict[str, str], tmp: Path) -> dict[str, str]:
    """`env` as a person's shell has it: HOME set, no XDG_DATA_HOME (nor HALLWAY_HOME)."""
    out = {k: v for k, v in env.items() if k != "XDG_DATA_HOME"}
    out["HOME"] = str(user_home(tmp))
    return out


def _commands(args: argparse.Namespace, home: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    python, hallway = str(args.python), str(args.hallway)
    tmp = home.parents[3]  # home is default_home(tmp): tmp/user/.local/share/hallway
    plain = lean_env()
    cmds = {"python -c pass": ([python, "-c", "pass"], plain)}
    for verb in args.command:
        cmds[f"hallway {verb}"] = ([hallway, "--home", str(home), *verb.split()], plain)
        mine = _default_env(plain, tmp)
        cmds[f"hallway {verb} (default home)"] = ([hallway, *verb.split()], mine)
    if args.before is not None:
        tree = args.before.resolve()
        old = str(launcher(tree, args.python, tmp / "hallway-before"))
        before = lean_env(str(tree / "desktop"))
        for verb in args.command:
            cmds[f"hallway {verb} (before)"] = ([old, "--home", str(home), *verb.split()], before)
            cmds[f"hallway {verb} (default home, before)"] = (
                [old, *verb.split()],
                _default_env(before, tmp),
            )
    return cmds


def _time_once(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = (time.perf_counter() - t0) * 1e3
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with {done.returncode}: "
                           f"{done.stderr.decode(errors='replace').strip()}")
    return elapsed


def measure(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    cmds = _commands(args, home)
    names = list(cmds)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for rnd in range(WARMUP + args.runs):
        shift = rnd % len(names)
        for name in names[shift:] + names[:shift]:  # everyone goes first in turn
            elapsed = _time_once(*cmds[name])
            if rnd >= WARMUP:
                samples[name].append(elapsed)
        print(f"\rround {rnd + 1}/{WARMUP + args.runs}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    base_p50 = percentile(samples[names[0]], 0.5)
    base_p99 = percentile(samples[names[0]], 0.99)
    results: dict[str, Any] = {}
    for name in names:
        p50, p99 = percentile(samples[name], 0.5), percentile(samples[name], 0.99)
        results[name] = {
            "argv": cmds[name][0],
            "pythonpath": cmds[name][1].get("PYTHONPATH"),
            "median_ms": round(p50, 2),
            "p99_ms": round(p99, 2),
            "median_ratio": round(p50 / base_p50, 2),
            "p99_ratio": round(p99 / base_p99, 2),
            "samples_ms": [round(v, 2) for v in samples[name]],
        }
    return results


def run_inside(args: argparse.Namespace) -> int:
    only_loopback()
    signal.signal(signal.SIGTERM, _on_term)
    tmp = Path(tempfile.mkdtemp(prefix="hwcli-", dir="/tmp"))  # short: AF_UNIX path limit
    node = Node(args.hallway, tmp)
    try:
        compile_tree(args.python, REPO)
        if args.before is not None:
            compile_tree(args.python, args.before.resolve())
        node.start(args.ready_timeout)
        results = measure(args, node.home)
    except (KeyboardInterrupt, _TerminatedError):
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        node.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report = {"machine": machine(), "command": [sys.executable, *sys.argv],
              "runs": args.runs, "warmup_rounds": WARMUP, "results": results}
    _print(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


def _print(report: dict[str, Any]) -> None:
    print(f"command: {' '.join(report['command'])}")
    head = f"{'median ms':>10} {'p99 ms':>8} {'x median':>9} {'x p99':>7}"
    print(f"{'':38} {head}  (n={report['runs']} each)")
    for name, r in report["results"].items():
        print(f"{name:38} {r['median_ms']:10.1f} {r['p99_ms']:8.1f} {r['median_ratio']:9.2f} "
              f"{r['p99_ratio']:7.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/cli_start.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=40, help="timed runs of each command (default 40)")
    ap.add_argument("--command", action="append", metavar="WORDS",
                    help="a client command to time, e.g. 'feed --limit 5' "
                         "(repeatable; default: peers, status)")
    ap.add_argument("--before", type=Path, metavar="DIR",
                    help="also time the commands from this checkout (PYTHONPATH=DIR/desktop)")
    ap.add_argument("--python", type=Path, default=REPO / ".venv" / "bin" / "python")
    ap.add_argument("--hallway", type=Path, default=REPO / ".venv" / "bin" / "hallway")
    ap.add_argument("--ready-timeout", type=float, default=60.0)
    ap.add_argument("--out", type=Path, metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    args.command = args.command or ["peers", "status"]
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if os.environ.get(INSIDE_ENV) == "1":
        return run_inside(args)
    # The whole run, clients included, in a namespace holding only loopback.
    return run_in_own_netns(Path(__file__))


def run_in_own_netns(script: Path) -> int:
    """Run `script` with this process's arguments again, inside a network namespace of its own
    with only `lo` up (INSIDE_ENV set), and return its exit status. Needs root."""
    if os.geteuid() != 0:
        print(f"bench/{script.name} needs root (unshare --net)", file=sys.stderr)
        return 2
    inner = [sys.executable, str(script.resolve()), *sys.argv[1:]]
    child = subprocess.Popen(
        ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *inner],
        env={**os.environ, INSIDE_ENV: "1"})
    signal.signal(signal.SIGTERM, lambda _s, _f: child.send_signal(signal.SIGTERM))
    try:
        return child.wait()
    except KeyboardInterrupt:  # the child got the SIGINT too and cleans up after itself
        return child.wait()


if __name__ == "__main__":
    sys.exit(main())

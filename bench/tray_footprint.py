"""The tray app's footprint: time from start to tray icon, then idle RSS and CPU, under Xvfb.

Usage (root, like bench/run):  .venv/bin/python -m bench.tray_footprint [--idle-seconds 60]
                               [--colleagues 1] [--rounds 3] [--out DIR]

Everything runs on lab hosts (tests/support/netlab.py): host 1 holds Xvfb, a private D-Bus
session bus, dunst (notifications), trayer (the system tray, XEmbed) and the app
(`python -m hallway`, QT_QPA_PLATFORM=xcb); hosts 2.. run `hallway node --json` colleagues,
so the app idles with peers, heartbeats and all. The app's home is set up with `hallway init`
before the start is timed.

- **start to tray icon**: from just before the app's Popen until a window of at least 16 px is
  embedded in trayer's panel (polled with `xwininfo` every 10 ms, so ±10 ms). One per round.
- **start to ready**: until the session is up (its node running, the menu and pop-ups wired),
  which the app's log says with "started, in the tray" (polled every 10 ms). The icon shows
  first, in a "starting" state, since the node starts behind it (`hallway.ui.starting`).
- **idle RSS / CPU**: after the last round's icon, 5 s to settle, then `--idle-seconds` of nothing:
  VmRSS at the end, utime+stime over the window, from /proc.

Writes DIR/tray.json (default bench/out/tray) and prints a short table.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.report import machine, percentile  # noqa: E402
from bench.systems import lab_problem  # noqa: E402
from tests.e2e.desktop import Desktop  # noqa: E402 -- the e2e tests' desktop, one of them
from tests.support.netlab import Lab  # noqa: E402
from tests.support.waiting import wait_until  # noqa: E402

PYTHON = REPO / ".venv" / "bin" / "python"
_READY = b"started, in the tray"
_CHILD = re.compile(r"^\s*(0x[0-9a-f]+) .*?(\d+)x(\d+)[+-]")

def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HALLWAY_HOME", None)
    env.pop("WAYLAND_DISPLAY", None)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # no keyring daemon here
    env.update(extra or {})
    return env


def _icons(desk: Desktop) -> list[str]:
    """Windows of 16 px or more embedded in trayer's panel (the XEmbed tray icons)."""
    panel = desk.tray_window()
    if panel is None:
        return []
    tree = desk.run(["xwininfo", "-children", "-id", panel], check=False).stdout
    return [m.group(1) for line in tree.splitlines()
            if (m := _CHILD.match(line)) and int(m.group(3)) >= 16]  # fmt: skip


def _logged(log: Path, offset: int) -> bool:
    """Whether the app said it is ready in its log after `offset`."""
    return _READY in log.read_bytes()[offset:]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _stop(proc: subprocess.Popen[Any]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, 15)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait(5)


def run(args: argparse.Namespace) -> dict[str, Any]:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / "tmp"
    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    tmp.mkdir(parents=True)
    hallway = [str(PYTHON), "-m", "hallway"]
    icon_ms: list[float] = []
    ready_ms: list[float] = []
    with Lab() as lab:
        hosts = lab.add_hosts(1 + args.colleagues)
        desk = Desktop(hosts[0], tmp).start(dunst=True, trayer=True)
        for k, host in enumerate(hosts[1:]):
            home = tmp / f"colleague-{k}"
            host.run([*hallway, "--home", str(home), "init", "--name", f"C{k}", "--open",
                      "--interface", host.address], env=_env())
            host.popen([*hallway, "--home", str(home), "node", "--json"], env=_env(),
                       stdout=subprocess.DEVNULL, stderr=(tmp / f"c{k}.log").open("a"))
        home = tmp / "home-app"
        app_env = {**_env(), **desk.env, "QT_QPA_PLATFORM": "xcb"}
        hosts[0].run([*hallway, "--home", str(home), "init", "--name", "Ann", "--open",
                      "--interface", hosts[0].address], env=app_env)
        app: subprocess.Popen[str] | None = None
        for rnd in range(args.rounds):
            app_log = tmp / "app.log"
            log = app_log.open("a")
            seen = app_log.stat().st_size
            t0 = time.monotonic()
            app = hosts[0].popen([*hallway, "--home", str(home)], env=app_env, stdout=log,
                                 stderr=log)
            wait_until(lambda: _icons(desk), 30, "the tray icon", interval=0.01)
            icon_ms.append((time.monotonic() - t0) * 1e3)
            wait_until(functools.partial(_logged, app_log, seen), 30, "the app to be ready",
                       interval=0.01)  # fmt: skip
            ready_ms.append((time.monotonic() - t0) * 1e3)
            print(f"round {rnd + 1}: tray icon after {icon_ms[-1]:.0f} ms, ready after "
                  f"{ready_ms[-1]:.0f} ms", file=sys.stderr)  # fmt: skip
            if rnd + 1 < args.rounds:
                _stop(app)
                wait_until(lambda: not _icons(desk), 15, "the icon to go", interval=0.01)
        assert app is not None
        time.sleep(5.0)  # settle: first paint, peers' snapshots
        hz = os.sysconf("SC_CLK_TCK")
        before, t0 = _ticks(app.pid), time.monotonic()
        time.sleep(args.idle_seconds)  # the idle window is the measurement
        cpu = (_ticks(app.pid) - before) / hz / (time.monotonic() - t0) * 100
        rss = _rss_mb(app.pid)
        _stop(app)
        desk.close()
    return {
        "machine": machine(),
        "command": sys.argv,
        "colleagues": args.colleagues,
        "idle_seconds": args.idle_seconds,
        "tray_icon_ms": {"p50": percentile(icon_ms, 0.5), "max": max(icon_ms), "n": len(icon_ms),
                         "samples": [round(v, 1) for v in icon_ms]},
        "ready_ms": {"p50": percentile(ready_ms, 0.5), "max": max(ready_ms), "n": len(ready_ms),
                     "samples": [round(v, 1) for v in ready_ms]},
        "idle_rss_mb": round(rss, 1),
        "idle_cpu_pct": round(cpu, 3),
    }


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/tray_footprint.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idle-seconds", type=float, default=60.0)
    ap.add_argument("--colleagues", type=int, default=1, help="headless nodes on other hosts")
    ap.add_argument("--rounds", type=int, default=3, help="starts timed to the tray icon")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "tray")
    args = ap.parse_args()
    problem = lab_problem("bench/tray_footprint.py")
    if problem:
        print(problem, file=sys.stderr)
        return 2
    result = run(args)
    (args.out / "tray.json").write_text(json.dumps(result, indent=2) + "\n")
    t = result["tray_icon_ms"]
    r = result["ready_ms"]
    print(f"tray icon after start: p50 {t['p50']:.0f} ms, max {t['max']:.0f} ms (n={t['n']}); "
          f"ready: p50 {r['p50']:.0f} ms, max {r['max']:.0f} ms; "
          f"idle RSS {result['idle_rss_mb']} MB, idle CPU {result['idle_cpu_pct']} % of a core "
          f"over {args.idle_seconds:.0f} s with {args.colleagues} colleague(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What a join costs the office: the CPU the members spend while one newcomer meets them (issue 13).

Usage (root, like bench/run):  .venv/bin/python bench/join_cpu.py [--nodes 25] [--rounds 3]
                               [--system hallway|pyre]

On a private lab of namespaces (the harness's `Lab`, as bench/run builds it), it starts
`--nodes` - 1 members and waits for the full mesh, then lets `--rounds` newcomers join one at a
time, 3 s apart. For each join it reads every member's CPU time per thread from /proc
(schedstat's nanoseconds) just before the newcomer starts and again 0.5 s after each pair has
seen each other, and prints the members' CPU per member for that join, split into libzmq's
threads (`ZMQbg/...`) and the process's other threads, with the pairs' discovery from the
newcomer's `ready` (p50 and max, as bench/run's discovery scenario counts it), and the
newcomer's own CPU from its `ready` (read as the harness sees the event) to the same moment.

At N = 25 the 24 members meet a newcomer at once, on the same cores: their summed CPU per join
bounds the time to discovery from below (docs/benchmarks.md, "Issue 13, third pass"). The window
includes 0.5 s of idle time, which Pyre's polling fills (about 1 % of a core per node at N = 25).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.connections import Threads, thread_cpu  # noqa: E402
from bench.scenarios import cluster  # noqa: E402
from bench.systems import lab_problem, one_system, ts  # noqa: E402
from tests.support.netlab import Lab  # noqa: E402

CPU = dict[str, float]  # ms of CPU by kind of thread


def spent(before: Threads, after: Threads) -> CPU:
    kinds: CPU = defaultdict(float)
    for tid, (name, cpu) in after.items():
        kind = "libzmq" if name.startswith("ZMQbg") else "other threads"
        kinds[kind] += cpu - before.get(tid, (name, 0.0))[1]
    return kinds


def add_up(parts: Iterable[CPU]) -> CPU:
    total: CPU = defaultdict(float)
    for part in parts:
        for kind, ms in part.items():
            total[kind] += ms
    return total


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/join_cpu.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=25, help="office size with the newcomer")
    ap.add_argument("--rounds", type=int, default=3, help="newcomers, one after the other")
    ap.add_argument("--system", choices=["hallway", "pyre"], default="hallway")
    ap.add_argument("--out", type=Path, default=Path("bench/out/join_cpu"),
                    help="where the nodes' logs and homes go")
    args = ap.parse_args()
    problem = lab_problem("bench/join_cpu.py")
    if problem:
        print(problem, file=sys.stderr)
        return 2
    system = one_system(args.system, args.out)
    members = args.nodes - 1
    with Lab() as lab:
        hosts = lab.add_hosts(members + args.rounds)
        with cluster(system, hosts[:members], lambda _text: None) as c:
            c.start_all(hosts[:members])
            for r in range(args.rounds):
                time.sleep(3.0)  # the mesh settled: nothing but heartbeats left
                olds = list(c.nodes)
                before = {node.pid: thread_cpu(node.pid) for node in olds}
                new = c.start(hosts[members + r])
                ready = ts(new.wait_ready(60.0))
                at_ready = thread_cpu(new.pid)
                seen = [max(c.link_time(old, new), c.link_time(new, old)) - ready
                        for old in c.peers_of(new)]
                time.sleep(0.5)
                kinds = add_up(spent(before[node.pid], thread_cpu(node.pid)) for node in olds)
                per = ", ".join(f"{k} {v / len(olds):.1f}" for k, v in sorted(kinds.items()))
                mine = spent(at_ready, thread_cpu(new.pid))
                own = ", ".join(f"{k} {v:.1f}" for k, v in sorted(mine.items()))
                print(f"join {r + 1} ({args.system}, {len(olds)} members): discovery from ready "
                      f"p50 {statistics.median(seen) * 1e3:.0f} ms, max {max(seen) * 1e3:.0f} ms; "
                      f"members' CPU per member (ms): {per}; the newcomer's from its ready "
                      f"(ms): {own}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

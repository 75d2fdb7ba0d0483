"""What an update costs the office: the CPU every node spends per status change (or post), by
thread (issue 13).

Usage (root, like bench/run):  .venv/bin/python bench/update_cpu.py [--nodes 25] [--messages 100]
                               [--system hallway|pyre]

On a private lab of namespaces it starts `--nodes` nodes, waits for the full mesh and 3 s more,
then sends `--messages` updates round-robin as bench/run's propagation scenario does (the next
one once every receiver has the last). It reads every node's CPU time per thread from /proc
(schedstat's nanoseconds) before the first update, after it and after the last, and prints the
CPU per node for the first update, and per update per node for the others, split into libzmq's
threads (`ZMQbg/...`), the process's main thread and its other threads, with the slowest
delivery of the first update and the p50 and p99 of the others.

The first update after a start is apart: it is the first a node applies, with code and data it
has not used yet (docs/benchmarks.md, "Issue 13, eighth pass"), and in a bench run of 60
updates at N = 25 its 24 deliveries are about the slowest 1.7 %, so they set the p99.

At N = 25 every update is applied by 24 nodes at once on the same cores, so the CPU each spends
on it is what the last receiver waits for (docs/benchmarks.md, "Issue 13, fifth pass"). CPU per
update moves less with the load of the machine than the delivery times do, but on a machine
shared with other guests one run can read a fifth more than the next: compare alternating runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.connections import Threads, thread_cpu  # noqa: E402
from bench.join_cpu import CPU, add_up, spent  # noqa: E402
from bench.scenarios import Settings, cluster, send_update  # noqa: E402
from bench.systems import lab_problem, one_system  # noqa: E402
from tests.support.netlab import Lab  # noqa: E402


def spent_by(pid: int, before: Threads, after: Threads) -> CPU:
    """`join_cpu.spent`, with the main thread's share on its own."""
    kinds = spent(before, after)
    main = after[str(pid)][1] - before[str(pid)][1]
    kinds["main thread"] += main
    kinds["other threads"] -= main
    return kinds


def _split(kinds: CPU, per: int) -> str:
    return ", ".join(f"{k} {v / per:.3f}" for k, v in sorted(kinds.items()))


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/update_cpu.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, default=25, help="office size")
    ap.add_argument("--messages", type=int, default=100,
                    help="updates, round-robin (at least 2: the first is reported on its own)")
    ap.add_argument("--system", choices=["hallway", "pyre"], default="hallway")
    ap.add_argument("--mesh-timeout", type=float, default=120.0, help="seconds (default 120)")
    ap.add_argument("--out", type=Path, default=Path("bench/out/update_cpu"),
                    help="where the nodes' logs and homes go")
    args = ap.parse_args()
    if args.messages < 2:
        ap.error("--messages must be at least 2")
    problem = lab_problem("bench/update_cpu.py")
    if problem:
        print(problem, file=sys.stderr)
        return 2
    system = one_system(args.system, args.out)
    with Lab() as lab:
        hosts = lab.add_hosts(args.nodes)
        settings = Settings(mesh_timeout=args.mesh_timeout)
        with cluster(system, hosts, lambda _text: None, settings) as c:
            nodes = c.start_all(hosts)
            time.sleep(3.0)  # the mesh settled: nothing but heartbeats left
            before = {node.pid: thread_cpu(node.pid) for node in nodes}
            first = send_update(system, c, nodes[0], "cpu-0")
            between = {node.pid: thread_cpu(node.pid) for node in nodes}
            delays = []
            for i in range(1, args.messages):
                delays += send_update(system, c, nodes[i % len(nodes)], f"cpu-{i}")
            after = {node.pid: thread_cpu(node.pid) for node in nodes}
    cold = add_up(spent_by(pid, before[pid], between[pid]) for pid in after)
    kinds = add_up(spent_by(pid, between[pid], after[pid]) for pid in after)
    print(f"{args.system}, {len(nodes)} nodes, the first update: CPU per node "
          f"{sum(cold.values()) / len(nodes):.3f} ms ({_split(cold, len(nodes))}); "
          f"slowest delivery {max(first):.2f} ms", flush=True)
    per = (args.messages - 1) * len(nodes)
    delays.sort()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(f"{args.system}, {len(nodes)} nodes, the next {args.messages - 1} updates: CPU per "
          f"update per node {sum(kinds.values()) / per:.3f} ms ({_split(kinds, per)}); "
          f"delivery p50 {statistics.median(delays):.2f} ms, p99 {p99:.2f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

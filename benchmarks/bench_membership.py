"""What membership changes and snapshots cost `raftcheck explore`: distinct states and seconds
at 3 and 4 servers, the fixed cluster beside single-server changes, etcd-io/raft's changes
(joint consensus) and snapshots, at one scope per cluster size.

    python benchmarks/bench_membership.py         # 3 and 4 servers
    python benchmarks/bench_membership.py 3       # only 3 servers

The scope leaves room for a configuration change to commit: one client write (a leader changes
the configuration only after committing an entry of its term, with single-server changes) and a
log of two entries; one message in flight, two elections, terms up to 3, no partition. Symmetry
is on. Each row is one search in one process; the load average is printed with the figures.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace

from raftcheck.checker.search import breadth_first
from raftcheck.spec.config import SpecConfig, describe_membership, profile_defaults
from raftcheck.spec.model import RaftModel

SCOPE = dict(max_term=3, max_log=2, max_msgs=1, max_writes=1, max_restarts=1, max_elections=2,
             max_partitions=0)

ROWS = {
    3: [
        ("fixed", {}),
        ("single", dict(membership="single")),
        ("joint", dict(membership="joint")),
        ("single, n3 outside", dict(membership="single", initial_voters=2)),
        ("snapshots", dict(max_snapshots=1)),
    ],
    4: [
        ("fixed", {}),
        ("single", dict(membership="single")),
        ("single, n4 outside", dict(membership="single", initial_voters=3)),
        # Two changes with etcd's rule (a leader may change at once when its log is empty)
        # is past an hour here: one change.
        ("joint, 1 change", dict(membership="joint", max_config_changes=1)),
    ],
}


def run(nodes: int, title: str, options: dict) -> None:
    bounds = replace(profile_defaults("raftcheck", nodes), **SCOPE)
    config = SpecConfig(nodes=nodes, bounds=bounds, **options)
    started = time.perf_counter()
    result = breadth_first(RaftModel(config), symmetry=True)
    seconds = time.perf_counter() - started
    print(f"{nodes} servers {title:<20} {result.stats.distinct:>12,} states  depth "
          f"{result.stats.depth:>3}  {seconds:>8.1f} s  {result.outcome.value}"
          f"{describe_membership(config)}", flush=True)


def main(sizes: list[int]) -> None:
    scope = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in SCOPE.items())
    print(f"scope: {scope}; load average before: {load()}")
    for nodes in sizes:
        for title, options in ROWS[nodes]:
            run(nodes, title, options)
    print(f"load average after: {load()}")


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [3, 4])

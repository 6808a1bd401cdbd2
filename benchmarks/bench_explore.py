"""How fast `raftcheck explore` is, in distinct states per second and total time.

    python benchmarks/bench_explore.py            # runs 1 and 2 below
    python benchmarks/bench_explore.py raft-tla   # only the TLC comparison
    python benchmarks/bench_explore.py default    # only the default 5-server scope
    python benchmarks/bench_explore.py any-links  # only when asked: about 40 min, 15 GB

1. raft-tla profile at TLC's reference bounds (3 servers, MaxTerm 2, MaxLogLen 0, MaxMsgs 1,
   MaxDup 1, no symmetry): TLC explores 705,532 distinct states in 84 s with 2 workers on this
   machine (about 8,400 states/s). The target is 10x that rate.
2. `raftcheck explore --nodes 5` at its default scope (symmetry on): two messages in flight
   between one pair of servers.
3. (`any-links` only) the same with two messages between any pairs, `--max-links none`, with
   every core: 50,416,294 states in 38 min 38 s on this machine.

Each of 1 and 2 is run with one process and with every available core.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace

from raftcheck.checker.parallel import default_workers, parallel_breadth_first
from raftcheck.checker.search import breadth_first
from raftcheck.spec.config import SpecConfig, profile_defaults
from raftcheck.spec.model import RaftModel

TLC_STATES_PER_SECOND = 705_532 / 84


def run(title: str, config: SpecConfig, symmetry: bool, workers: int) -> None:
    model = RaftModel(config)
    started = time.perf_counter()
    if workers == 1:
        result = breadth_first(model, symmetry=symmetry)
    else:
        result = parallel_breadth_first(model, workers=workers, symmetry=symmetry)
    seconds = time.perf_counter() - started
    stats = result.stats
    print(f"{title}, {workers} process{'es' if workers > 1 else ''}: "
          f"{stats.distinct:,} distinct states, depth {stats.depth}, {seconds:.1f} s, "
          f"{stats.distinct / seconds:,.0f} states/s "
          f"({stats.distinct / seconds / TLC_STATES_PER_SECOND:.1f}x TLC's rate), "
          f"verdict {result.outcome.value}", flush=True)


def main(which: list[str]) -> None:
    cores = default_workers()
    if not which or "raft-tla" in which:
        config = SpecConfig(nodes=3, profile="raft-tla", bounds=profile_defaults("raft-tla"))
        for workers in sorted({1, cores}):
            run("raft-tla 3 servers MaxTerm 2 MaxLogLen 0 MaxMsgs 1 MaxDup 1", config, False,
                workers)
    if not which or "default" in which:
        config = SpecConfig(nodes=5, bounds=profile_defaults("raftcheck", 5))
        for workers in sorted({1, cores}):
            run("raftcheck --nodes 5 default scope", config, True, workers)
    if "any-links" in which:
        bounds = replace(profile_defaults("raftcheck", 5), max_links=None)
        run("raftcheck --nodes 5 --max-links none", SpecConfig(nodes=5, bounds=bounds), True,
            cores)


if __name__ == "__main__":
    main(sys.argv[1:])

"""How fast liveness is checked on the timed model, through the command itself.

    python benchmarks/bench_liveness.py            # every run below
    python benchmarks/bench_liveness.py jitter     # only the named runs

Each run is `raftcheck explore --liveness ... --json` in one process; printed: distinct states
of the state graph, wall time, states/s and each property's verdict.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import redirect_stdout
from io import StringIO

from raftcheck.cli import main

QUIET = ["--clients", "0", "--max-writes", "0", "--max-restarts", "0", "--max-partitions", "0"]
SLOW_N1 = ["--max-restarts", "0", "--max-partitions", "0", "--slow-disk", "n1"]

RUNS = {
    "fixed-timeout": [*QUIET, "--election-timeout", "2"],
    "random-timeout": QUIET,
    "prevote": [*QUIET, "--prevote"],
    "jitter": [*QUIET, "--jitter", "1"],
    "slow-leader": [*SLOW_N1, "--fsync", "4"],
    "short-fsync": [*SLOW_N1, "--fsync", "1"],
    "default": [],
    "retry": ["--retry", "--max-partitions", "0"],
    "retry-partition": ["--retry", "--max-log", "2"],
}


def run(name: str, flags: list[str]) -> None:
    out = StringIO()
    started = time.perf_counter()
    with redirect_stdout(out):
        main(["explore", "--liveness", *flags, "--json", "--no-progress"])
    seconds = time.perf_counter() - started
    result = json.loads(out.getvalue())
    states = result["statistics"]["distinct_states"]
    verdicts = ", ".join(f"{k} {v}" for k, v in result["liveness"].items())
    print(f"{name:14s} explore --liveness {' '.join(flags)}: {states:,} states, "
          f"{seconds:.1f} s, {states / seconds:,.0f} states/s; {verdicts}", flush=True)


if __name__ == "__main__":
    wanted = sys.argv[1:] or list(RUNS)
    for name in wanted:
        run(name, RUNS[name])

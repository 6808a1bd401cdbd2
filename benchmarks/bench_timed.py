"""How fast the timed model (time, clients, reads) explores, through the command itself.

    python benchmarks/bench_timed.py          # every run below
    python benchmarks/bench_timed.py lease5   # only the 5-server lease run (about 5 minutes)

Each run is `raftcheck explore ... --json` in one process; printed: distinct states, depth,
wall time, states/s and the verdict.
"""

from __future__ import annotations

import json
import sys
import time

from raftcheck.cli import main

RUNS = {
    "time3": ["--time"],
    "index3": ["--reads", "index"],
    "lease3-drift": ["--reads", "lease", "--drift", "1/3"],
    "lease-mutant": ["--mutant", "lease-no-drift-margin"],
    "lease5": ["--nodes", "5", "--reads", "lease"],
}


def run(name: str, flags: list[str]) -> None:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    started = time.perf_counter()
    with redirect_stdout(out):
        main(["explore", *flags, "--json", "--no-progress"])
    seconds = time.perf_counter() - started
    result = json.loads(out.getvalue())
    stats = result["statistics"]
    print(f"{name:13s} explore {' '.join(flags)}: {stats['distinct_states']:,} states, "
          f"depth {stats['depth']}, {seconds:.1f} s, {stats['distinct_states'] / seconds:,.0f} "
          f"states/s, {result['verdict']}", flush=True)


if __name__ == "__main__":
    chosen = sys.argv[1:] or list(RUNS)
    for name in chosen:
        run(name, RUNS[name])

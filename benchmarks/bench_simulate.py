"""How fast `raftcheck simulate` finds bugs, side by side: steps/s, and the time and walks each
seed needs to find a mutant.

    python benchmarks/bench_simulate.py                # every row
    python benchmarks/bench_simulate.py figure8        # figure8 at 5 and 7 servers only
    python benchmarks/bench_simulate.py mutants        # every mutant at its own scope only
    python benchmarks/bench_simulate.py exhaustive     # figure8 at 5 servers by explore only
    python benchmarks/bench_simulate.py --seeds 1,2,3  # which seeds (default 1..5)
    python benchmarks/bench_simulate.py --workers 2    # walking processes (default 1)

Rows:

1. steps/s of walks at the 3- and 5-server default scopes (no violation there: the whole
   budget is walked).
2. `--mutant figure8 --nodes 5` and `--nodes 7`: per seed, the walks, steps, wall and CPU time
   to the violation, within a budget of walks worth about 60 s of CPU each (the goals: found
   in under 60 s of CPU).
3. every mutant at its own scope: per seed, the time to find it, within 30 s each.
4. the same figure8 at 5 servers found exhaustively, for comparison: `raftcheck explore` with
   docs/figure8.md's bounds (a shortest counterexample, where simulate's is only shrunk), run
   as that command in a process of its own, with --workers as given here.

Each row prints the load average while it ran: other jobs share this machine, so wall times
are what this process got of it; the CPU column is its own (and its workers') time.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import subprocess
import sys
import time

from measure import cpu_seconds

from raftcheck.explore.options import ModelSetup
from raftcheck.simulate.command import DEFAULT_DEPTH
from raftcheck.simulate.coverage import model_kinds
from raftcheck.simulate.engine import SimulationBudget, simulate
from raftcheck.spec.config import merged_config
from raftcheck.spec.mutants import MUTANTS
from raftcheck.spec.timed.config import mutant_config

DEPTH = DEFAULT_DEPTH
#: figure8's budgets in walks, not seconds, so that a busy machine does not cut them short:
#: about 60 s of CPU each (5 servers walk some 13,000 steps/s, 7 servers 9,000; 56 per walk).
FIGURE8_WALKS = {5: 14_000, 7: 10_000}
#: docs/figure8.md's command: Figure 8 at five servers, exhaustively.
FIGURE8_EXHAUSTIVE = ["explore", "--mutant", "figure8", "--nodes", "5", "--max-dup", "1",
                      "--max-candidates", "2", "--max-drops", "0"]


def setup_for(mutant: str | None, nodes: int | None) -> ModelSetup:
    if mutant and MUTANTS[mutant].timed is not None:
        return ModelSetup(mutant_config(mutant), True, "")
    return ModelSetup(merged_config(nodes=nodes, mutant=mutant), False, "")


def walk(setup: ModelSetup, seed: int, seconds: float | None, workers: int,
         walks: int | None = None) -> dict:
    model = setup.model(exact_network=True)
    load = os.getloadavg()[0]
    cpu = cpu_seconds()
    run = simulate(model, seed=seed, depth=DEPTH, workers=workers,
                   budget=SimulationBudget(walks=walks, seconds=seconds),
                   kinds=model_kinds(setup.config))
    return {"run": run, "cpu": cpu_seconds() - cpu, "load": (load + os.getloadavg()[0]) / 2}


def header() -> None:
    print(f"  {'run':<34}{'seed':>5}{'found':>7}{'walks':>9}{'steps':>11}{'wall s':>8}"
          f"{'cpu s':>8}{'steps/s':>9}{'load':>6}")


def line(title: str, seed: int, row: dict) -> None:
    run, stats = row["run"], row["run"].stats
    found = "yes" if run.found else "no"
    print(f"  {title:<34}{seed:>5}{found:>7}{stats.walks:>9,}{stats.steps:>11,}"
          f"{stats.seconds:>8.1f}{row['cpu']:>8.1f}{stats.rate:>9,.0f}{row['load']:>6.1f}",
          flush=True)


def exhaustive(workers: int) -> None:
    """Row 4: the explore command in a child process, its wall and CPU time and its result."""
    command = [sys.executable, "-m", "raftcheck", *FIGURE8_EXHAUSTIVE, "--json",
               "--workers", str(workers)]
    print(f"\nfigure8 --nodes 5 exhaustively: {' '.join(['raftcheck', *command[3:]])}")
    print(f"  {'verdict':<10}{'steps':>6}{'distinct states':>17}{'depth':>7}{'wall s':>9}"
          f"{'cpu s':>8}{'load':>6}")
    load, cpu, start = os.getloadavg()[0], cpu_seconds(), time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    if done.returncode not in (0, 1):
        print(f"  failed (exit {done.returncode}): {done.stderr.strip()[-300:]}")
        return
    result = json.loads(done.stdout)
    stats, cex = result["statistics"], result.get("counterexample") or {}
    print(f"  {result['verdict']:<10}{cex.get('length', 0):>6}{stats['distinct_states']:>17,}"
          f"{stats['depth']:>7}{wall:>9.1f}{cpu:>8.1f}{(load + os.getloadavg()[0]) / 2:>6.1f}",
          flush=True)


def main(argv: list[str]) -> None:
    which = [a for a in argv if not a.startswith("--") and not a[0].isdigit()]
    seeds = [1, 2, 3, 4, 5]
    workers = 1
    for flag, value in itertools.pairwise(argv):
        if flag == "--seeds":
            seeds = [int(s) for s in value.split(",")]
        if flag == "--workers":
            workers = int(value)
    print(f"{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {workers} worker(s), depth {DEPTH}")
    print(f"uptime: {os.popen('uptime').read().strip()}")
    if not which or "rate" in which:
        print("\nsteps/s at the default scopes (no violation; 20 s each)")
        header()
        for nodes in (3, 5):
            line(f"--nodes {nodes} default", 1, walk(setup_for(None, nodes), 1, 20, workers))
    if not which or "figure8" in which:
        print("\n--mutant figure8: time to the violation (budget: walks, about 60 s of one "
              "idle core)")
        header()
        for nodes, walks in FIGURE8_WALKS.items():
            for seed in seeds:
                line(f"figure8 --nodes {nodes}", seed,
                     walk(setup_for("figure8", nodes), seed, None, workers, walks))
    if not which or "mutants" in which:
        print("\nevery mutant at its own scope: time to the violation (budget 30 s)")
        header()
        for name in sorted(MUTANTS):
            for seed in seeds[:3]:
                line(name, seed, walk(setup_for(name, None), seed, 30, workers))
    if not which or "exhaustive" in which:
        exhaustive(workers)
    print(f"\nuptime: {os.popen('uptime').read().strip()}")


if __name__ == "__main__":
    main(sys.argv[1:])

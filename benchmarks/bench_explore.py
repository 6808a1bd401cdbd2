"""How fast `raftcheck explore` is, side by side: one process, worker processes, a Ray cluster.

    python benchmarks/bench_explore.py               # every row below but any-links
    python benchmarks/bench_explore.py raft-tla      # only the TLC comparisons
    python benchmarks/bench_explore.py default       # only the 5-server default scope
    python benchmarks/bench_explore.py --no-ray      # leave out the Ray rows
    python benchmarks/bench_explore.py raft-tla --no-ray --against /work/main
                                                     # one process of another checkout
                                                     # first (before and after, one run)
    python benchmarks/bench_explore.py any-links     # only when asked: the 50.4M-state scope,
                                                     # one process, visited set on disk
    python benchmarks/bench_explore.py any-links-workers  # the same with two workers
    python benchmarks/bench_explore.py raft-tla --no-ray --repeat 5
                                                     # each row's engines run in turn five
                                                     # times: the best run, and the range
    python benchmarks/bench_explore.py raft-tla --no-ray --pair
                                                     # also two independent one-process
                                                     # searches side by side, one per core:
                                                     # what two processes can gain here

Like `raftcheck explore`, the benchmark starts itself again with glibc's huge-page tunable where
Linux gives huge pages on request (raftcheck/huge_pages.py); RAFTCHECK_HUGE_PAGES=0 leaves it
out. --against's checkout runs under the same environment.

This machine's speed drifts by 10 to 20 % from minute to minute: a single run compares engines
only roughly, and a before/after under ~15 % needs --repeat (engines interleaved, so the drift
falls on all of them) or instruction counts (benchmarks/bench_instructions.py).

Rows (engines: 1 process, --workers 2, --engine ray --workers 2 on a local Ray instance):

1. raft-tla profile, 3 servers, no symmetry, bounds (MaxTerm, MaxLogLen, MaxMsgs, MaxDup) =
   (2, 0, 1, 1): 705,532 states; TLC with one worker: 49.4 s on this machine.
2. the same at (2, 1, 1, 1): 2,379,781 states; TLC with one worker: 159 s.
3. `raftcheck explore --nodes 5` at its default scope (symmetry on): 2,377,178 states.
4. (any-links only) `--nodes 5 --max-links none`: 50,719,566 states (50,416,294 with the engine
   and spec of 2026-11-28).

With --pair, a row "2 copies" runs two one-process searches at once, each pinned to its own
core, sharing nothing: its search seconds are the slower copy's, and its speed-up is two searches
in that time against one alone. No two-process engine can beat it on this machine: it measures
what two cores give this work here (the copies share the memory bus and the last-level cache,
and a VM's two vCPUs may share more), against the 2x that counting instructions assumes.

Each row prints distinct states, depth, the search's wall time, the CPU time of this process
and its worker processes (not of Ray's actors) and its ratio to one process's (the figure that
predicts an idle machine's speed-up, workers / ratio, where other jobs inflate wall times),
states/s, the speed-up over one process, the visited set's bytes per state (one process), and
the load average while it ran (other jobs share this machine).
"""

from __future__ import annotations

import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from measure import cpu_seconds

from raftcheck.checker.parallel import parallel_breadth_first
from raftcheck.checker.result import Statistics
from raftcheck.checker.search import LevelSearch
from raftcheck.huge_pages import start_again_with_huge_pages
from raftcheck.spec.config import SpecConfig, profile_defaults
from raftcheck.spec.model import RaftModel

TLC_ONE_WORKER_SECONDS = {(2, 0, 1, 1): 49.4, (2, 1, 1, 1): 159.0}
WORKERS = 2


def run(config: SpecConfig, symmetry: bool, engine: str, spill: Path | None = None) -> dict:
    model = RaftModel(config)
    cpu, started = cpu_seconds(), time.perf_counter()
    load = os.getloadavg()[0]
    bytes_per_state = None
    if engine == "1 process":
        search = LevelSearch(model, symmetry=symmetry, spill=spill)
        result = search.run()
        bytes_per_state = search.store.nbytes / max(len(search.store), 1)
    elif engine == "workers":
        result = parallel_breadth_first(model, workers=WORKERS, symmetry=symmetry, spill=spill)
    else:
        from raftcheck.checker.ray_engine import ray_breadth_first

        result = ray_breadth_first(model, workers=WORKERS, symmetry=symmetry)
    wall = time.perf_counter() - started
    return {"result": result, "wall": wall, "search": result.stats.seconds,
            "cpu": cpu_seconds() - cpu, "load": (load + os.getloadavg()[0]) / 2,
            "bytes": bytes_per_state}


# One process of another checkout (--against), as a script: it must import that checkout's
# raftcheck, which this process cannot do beside its own.
_AGAINST = """
import os, pickle, sys, time
sys.path.insert(0, sys.argv[1])
from raftcheck.checker.result import Statistics
from raftcheck.checker.search import LevelSearch
from raftcheck.spec.model import RaftModel
config, symmetry = pickle.loads(bytes.fromhex(sys.argv[2]))
cpu, started, load = time.process_time(), time.perf_counter(), os.getloadavg()[0]
result = LevelSearch(RaftModel(config), symmetry=symmetry).run()
print(pickle.dumps({"distinct": result.stats.distinct, "depth": result.stats.depth,
                    "wall": time.perf_counter() - started, "search": result.stats.seconds,
                    "cpu": time.process_time() - cpu,
                    "load": (load + os.getloadavg()[0]) / 2}).hex())
"""


def _one_process(checkout: Path, config: SpecConfig, symmetry: bool,
                 core: int | None = None) -> subprocess.Popen:
    """One process of a checkout's search, started (pinned to a core where given)."""
    pin = None if core is None else (lambda: os.sched_setaffinity(0, {core}))
    return subprocess.Popen([sys.executable, "-c", _AGAINST, str(checkout),
                             pickle.dumps((config, symmetry)).hex()],
                            cwd=tempfile.gettempdir(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=pin)


def _finished(child: subprocess.Popen) -> dict:
    out, err = child.communicate()
    if child.returncode:
        raise RuntimeError(f"a one-process search failed: {err[-2000:]}")
    row = pickle.loads(bytes.fromhex(out.split()[-1]))
    stats = Statistics(distinct=row.pop("distinct"), depth=row.pop("depth"))
    return {**row, "result": SimpleNamespace(stats=stats), "bytes": None}


def run_against(checkout: Path, config: SpecConfig, symmetry: bool) -> dict:
    """One process of another checkout's search (its CPU alone, not this one's)."""
    return _finished(_one_process(checkout, config, symmetry))


def run_pair(config: SpecConfig, symmetry: bool) -> dict:
    """Two one-process searches of this checkout at once, one per core, sharing nothing: the
    slower one's figures, with the search seconds of one copy alone halved in the speed-up
    (show): two searches done in that time."""
    cores = sorted(os.sched_getaffinity(0))
    repo = Path(__file__).resolve().parent.parent
    children = [_one_process(repo, config, symmetry, cores[k % len(cores)]) for k in range(2)]
    copies = [_finished(child) for child in children]
    slower = dict(max(copies, key=lambda c: c["search"]))
    slower["cpu"] = sum(c["cpu"] for c in copies)
    slower["searches"] = 2
    return slower


def show(title: str, rows: list[tuple[str, dict]], tlc: float | None) -> None:
    print(f"\n{title}")
    repeated = "range" in rows[0][1]
    print(f"  {'engine':<18}{'distinct':>12}{'depth':>7}{'search s':>10}{'cpu s':>9}"
          f"{'cpu x':>7}{'states/s':>11}{'speed-up':>10}{'B/state':>9}{'load':>6}"
          + (f"  {'search s, every run':<24}" if repeated else ""))
    base, base_cpu = rows[0][1]["search"], rows[0][1]["cpu"]
    for engine, row in rows:
        stats = row["result"].stats
        searches = row.get("searches", 1)  # two copies finish two searches in their time
        speedup = searches * base / row["search"] if row["search"] else 0
        per_state = f"{row['bytes']:.1f}" if row["bytes"] else "-"
        # CPU of all processes over one process's: on a loaded machine this, not the wall
        # time, says what an idle one gains (workers / it, with even work)
        cpu, ratio = "-", "-"
        if engine != "ray":  # actors are Ray's processes
            cpu = f"{row['cpu']:.1f}"
            ratio = f"{row['cpu'] / searches / base_cpu:.2f}"
        every = ("  " + " ".join(f"{t:.1f}" for t in row["range"])) if repeated else ""
        print(f"  {engine:<18}{stats.distinct:>12,}{stats.depth:>7}{row['search']:>10.1f}"
              f"{cpu:>9}{ratio:>7}{searches * stats.distinct / row['search']:>11,.0f}"
              f"{speedup:>9.2f}x"
              f"{per_state:>9}{row['load']:>6.1f}{every}")
    if tlc:
        print(f"  TLC, one worker: {tlc:.1f} s; one process is {tlc / base:.1f}x faster")
    sys.stdout.flush()


def row(title: str, config: SpecConfig, symmetry: bool, engines: list[str],
        tlc: float | None = None, against: Path | None = None, repeat: int = 1,
        pair: bool = False) -> None:
    names = engines[:1] + ([f"1 process, {against.name}"] if against is not None else []) \
        + engines[1:] + (["2 copies"] if pair else [])
    runs: dict[str, list[dict]] = {name: [] for name in names}
    for _ in range(repeat):  # in turn, so that the machine's drift falls on every engine
        runs[engines[0]].append(run(config, symmetry, engines[0]))
        if against is not None:  # right after this checkout's one process, to compare the two
            runs[names[1]].append(run_against(against, config, symmetry))
        for engine in engines[1:]:
            runs[engine].append(run(config, symmetry, engine))
        if pair:
            runs["2 copies"].append(run_pair(config, symmetry))
    rows = []
    for name in names:
        best = dict(min(runs[name], key=lambda r: r["search"]))
        if repeat > 1:
            best["range"] = [r["search"] for r in runs[name]]
        rows.append((name, best))
    show(title, rows, tlc)


def any_links(workers: int) -> None:
    """The 50.4M-state scope with the visited set and the levels on disk, in a child process
    so that its peak memory (every process) is measured alone: one process (issue 13's goal:
    4 GB in all) or worker processes (which do not forget what the model named)."""
    bounds = replace(profile_defaults("raftcheck", 5), max_links=None)
    with tempfile.TemporaryDirectory(prefix="raftcheck-disk-") as spill:
        if workers == 1:
            search = (f"r = LevelSearch(RaftModel(config), symmetry=True, spill=Path({spill!r}))"
                      ".run()\n")
        else:
            search = (f"r = parallel_breadth_first(RaftModel(config), workers={workers},"
                      f" symmetry=True, spill=Path({spill!r}))\n")
        code = (
            "import resource, sys, time\n"
            "from pathlib import Path\n"
            "from raftcheck.checker.parallel import parallel_breadth_first\n"
            "from raftcheck.checker.search import LevelSearch\n"
            "from raftcheck.spec.config import Bounds, SpecConfig\n"
            "from raftcheck.spec.model import RaftModel\n"
            f"config = SpecConfig(nodes=5, bounds={bounds!r})\n"
            "t = time.perf_counter()\n"
            + search +
            "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
            "me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            "print(r.outcome.value, r.stats.distinct, r.stats.depth,"
            " round(time.perf_counter() - t, 1), 's; peak MB: this process', me // 1024,"
            " 'largest worker', kids // 1024, flush=True)\n")
        load = os.getloadavg()[0]
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        engine = "one process" if workers == 1 else f"{workers} workers"
        print(f"\n--nodes 5 --max-links none, {engine}, --disk: {out.stdout.strip()} "
              f"(load {load:.1f}) {out.stderr[-500:]}")


def main(argv: list[str]) -> None:
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        return
    start_again_with_huge_pages()  # as `raftcheck explore` does (RAFTCHECK_HUGE_PAGES=0: not)
    against = None
    if "--against" in argv:
        at = argv.index("--against")
        against = Path(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    repeat = 1
    if "--repeat" in argv:
        at = argv.index("--repeat")
        repeat = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    pair = "--pair" in argv
    which = [a for a in argv if not a.startswith("--")]
    engines = ["1 process", "workers"] + ([] if "--no-ray" in argv else ["ray"])
    print(f"{platform.node()}: {os.cpu_count()} cores, {platform.processor() or 'cpu'}, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M %Z')}, "
          f"GLIBC_TUNABLES={os.environ.get('GLIBC_TUNABLES', '(none)')}")
    if not which or "raft-tla" in which:
        for bounds in ((2, 0, 1, 1), (2, 1, 1, 1)):
            term, log, msgs, dup = bounds
            config = SpecConfig(nodes=3, profile="raft-tla", bounds=replace(
                profile_defaults("raft-tla"), max_term=term, max_log=log, max_msgs=msgs,
                max_dup=dup))
            row(f"raft-tla, 3 servers, no symmetry, bounds {bounds}", config, False, engines,
                TLC_ONE_WORKER_SECONDS[bounds], against, repeat, pair)
    if not which or "default" in which:
        config = SpecConfig(nodes=5, bounds=profile_defaults("raftcheck", 5))
        row("raftcheck --nodes 5 default scope (symmetry)", config, True, engines,
            against=against, repeat=repeat, pair=pair)
    if "any-links" in which:
        any_links(1)
    if "any-links-workers" in which:
        any_links(WORKERS)


if __name__ == "__main__":
    main(sys.argv[1:])

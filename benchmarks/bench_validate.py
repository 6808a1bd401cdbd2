"""Validation speed and memory (not a test: prints numbers, asserts nothing).

    python benchmarks/bench_validate.py [--corpus DIR] [--copies N] [--quick]
                                        [--against CHECKOUT] [--folder DIR] [RUN ...]

Long runs are real recorded runs repeated, each copy shifted in time, term and index past the
previous one (benchmarks/longrun.py), so that they conform as the original does:

- flapping: the recorded 3-member etcd 3.5 run with links flapping and no pre-vote (raft lines
  are most of it: every election logs its votes) — the hardest case per line;
- debug: the 3-member etcd 3.5 leader-kill run at debug level (transport and apply lines make
  most of it, as in a real debug log);
- the corpus's etcd-raft TLA+ trace, whole.

- any recorded ``RUN`` directories given, as they are.

For each: lines, events, verdict, CPU seconds of validate in a process of its own after one
warm-up call (grammars built, shapes learnt; the best of three) and lines/s, the same through
`raftcheck validate` in a fresh process (wall clock), and the peak traced memory at two lengths
to show it stays flat. ``--against CHECKOUT`` adds the CPU seconds of another raftcheck
checkout (e.g. the main branch) on the same input, measured the same way, so that before and
after come out of one run side by side. (Both are measured the same way, each in a process of
its own, not one of them in this process after the long runs were built and other inputs
validated.)
``--folder DIR`` adds a folder of many runs as CI gives them: the wall time of a fresh
`raftcheck validate DIR` with `--workers 1` and with `--workers auto` (one process per usable
core), alternated, best of three each, side by side.
The machine's load average is printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.longrun import build_long_run  # noqa: E402
from raftcheck.validate import validate_paths  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
FLAPPING = REPO / "tests" / "data" / "etcd" / "3.5-flapping-no-pre-vote"
DEBUG = REPO / "tests" / "data" / "logs" / "etcd-3.5" / "leader-kill-zap-debug"


def measure(path: Path) -> tuple[float, float, object]:
    """(CPU seconds, warm, the best of three, in a process of its own; wall seconds in a fresh
    process; verdict)."""
    verdict = validate_paths([path])
    cpu = cpu_of(REPO, path)
    if cpu is None:
        raise RuntimeError(f"validate failed on {path} in a process of its own")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(path)], cwd=REPO,
                   stdout=subprocess.DEVNULL, check=False)
    return cpu, time.perf_counter() - t0, verdict


# A warm-up and the best of three, as a script: it imports a given checkout's raftcheck (another
# checkout's cannot be imported beside this one's).
_AGAINST = """
import sys, time
sys.path.insert(0, sys.argv[1])
from raftcheck.validate import validate_paths
validate_paths([sys.argv[2]])
times = []
for _ in range(3):
    t0 = time.process_time()
    validate_paths([sys.argv[2]])
    times.append(time.process_time() - t0)
print(min(times))
"""


def cpu_of(checkout: Path, path: Path) -> float | None:
    """CPU seconds (warm, best of three) of a checkout's validate on ``path``."""
    done = subprocess.run([sys.executable, "-c", _AGAINST, str(checkout), str(path)],
                          cwd=tempfile.gettempdir(), capture_output=True, text=True, check=False)
    try:
        return float(done.stdout.split()[-1])
    except (IndexError, ValueError):
        return None


def peak_memory(path: Path) -> float:
    tracemalloc.start()
    validate_paths([path])
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def row(name: str, path: Path, against: Path | None) -> None:
    cpu, cold, verdict = measure(path)
    lines = sum(f.lines for f in verdict.files)  # type: ignore[attr-defined]
    other = ""
    if against is not None:
        before = cpu_of(against, path)
        other = "failed | " if before is None else \
            f"{before:.2f} s = {lines / before:,.0f} lines/s | "
    print(f"| {name} | {lines:,} | {verdict.events:,} | {verdict.status} | "  # type: ignore
          f"{cpu:.2f} s = {lines / cpu:,.0f} lines/s | {other}{cold:.2f} s = "
          f"{lines / cold:,.0f} lines/s |")


def long_runs(fixture: Path, copies: int, tmp: Path, against: Path | None) -> None:
    if not fixture.is_dir():
        print(f"| {fixture.name}: not found | | | | | |")
        return
    short, long = tmp / f"{fixture.name}-x{copies // 4}", tmp / f"{fixture.name}-x{copies}"
    build_long_run(fixture, short, max(1, copies // 4))
    build_long_run(fixture, long, copies)
    row(f"{fixture.name} x{copies}", long, against)
    mem_short, mem_long = peak_memory(short), peak_memory(long)
    print(f"|   peak traced memory: x{copies // 4} {mem_short:.1f} MB, x{copies} "
          f"{mem_long:.1f} MB | | | | | |")


def wall_of_folder(folder: Path, workers: str) -> tuple[float, str]:
    """Wall seconds of a fresh ``raftcheck validate folder --workers W``, and its summary."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(folder),
                           "--workers", workers], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    seconds = time.perf_counter() - started
    return seconds, (done.stdout.strip().splitlines() or ["(no output)"])[-1]


def folder_row(folder: Path) -> None:
    walls: dict[str, list[float]] = {"1": [], "auto": []}
    summary = ""
    for _ in range(3):
        for workers, times in walls.items():
            seconds, summary = wall_of_folder(folder, workers)
            times.append(seconds)
    one = min(walls["1"])
    print(f"\n{folder}: {summary}")
    print("| workers | wall (best of 3) | every run | speed-up |\n|---|---|---|---|")
    for workers, times in walls.items():
        print(f"| {workers} | {min(times):.2f} s | {', '.join(f'{t:.2f}' for t in times)} | "
              f"{one / min(times):.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="fewer copies (a smoke run)")
    parser.add_argument("--against", type=Path, metavar="CHECKOUT",
                        help="also measure another raftcheck checkout (e.g. the main branch)")
    parser.add_argument("--folder", type=Path, metavar="DIR",
                        help="also time a folder of runs with --workers 1 and auto")
    parser.add_argument("runs", nargs="*", type=Path, metavar="RUN",
                        help="recorded runs to measure as they are")
    args = parser.parse_args()
    copies = 4 if args.quick else args.copies
    print(f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}")
    against = f" CPU, {args.against} |" if args.against else ""
    print(f"| input | lines | events | verdict | CPU, this process |{against} fresh process "
          "(wall) |")
    print("|---|---|---|---|---|---|" + ("---|" if args.against else ""))
    with tempfile.TemporaryDirectory(prefix="raftcheck-bench-") as tmp:
        long_runs(FLAPPING, copies * 4, Path(tmp), args.against)  # 581 lines a copy
        long_runs(DEBUG, copies * 3 // 2, Path(tmp), args.against)  # 1,968 lines a copy
    for run in args.runs:
        row(str(run), run.resolve(), args.against)  # (measured from another directory)
    trace = args.corpus / "etcd-raft-trace" / "example.ndjson"
    if trace.is_file():
        row("etcd-raft-trace/example.ndjson", trace, args.against)
    if args.folder is not None:
        folder_row(args.folder)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

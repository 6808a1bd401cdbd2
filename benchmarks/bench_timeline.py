"""Timeline speed (not a test: prints numbers, asserts nothing).

    python benchmarks/bench_timeline.py [--copies 10,50]

- the longest kept fixture (tests/data/etcd/3.5-flapping-no-pre-vote: 23 s of flapping links,
  pre-vote off, 6 elections and 13 terms), and the hashicorp one;
- long runs made of that fixture repeated (benchmarks/longrun.py: each copy shifted in time,
  term and index), to show how the time grows with the length of the logs.

For each: lines, events, elections, CPU seconds to build the timeline in this process (warm
grammars), wall seconds for `raftcheck timeline DIR` and `... --html FILE` in a fresh process.
The machine's load average is printed with the figures: the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.longrun import build_long_run  # noqa: E402
from benchmarks.measure import load_average  # noqa: E402
from raftcheck.timeline import build_timeline  # noqa: E402

FLAPPING = REPO / "tests" / "data" / "etcd" / "3.5-flapping-no-pre-vote"
HASHICORP = REPO / "tests" / "data" / "hashicorp" / "flapping"


def lines_of(folder: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in folder.glob("node*.log"))


def fresh(*args: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "raftcheck", "timeline", *args], cwd=REPO,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def row(name: str, folder: Path, html: Path) -> None:
    build_timeline([folder])  # warm: grammars built, shapes learnt
    t0 = time.process_time()
    t = build_timeline([folder])
    cpu = time.process_time() - t0
    print(f"{name:34} {lines_of(folder):>8} {t.events:>8} {len(t.elections):>6} "
          f"{cpu:>8.2f} {fresh(str(folder)):>8.2f} {fresh(str(folder), '--html', str(html)):>8.2f}"
          f" {html.stat().st_size / 1024:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", default="10,50",
                        help="lengths of the long runs, in copies of the fixture")
    args = parser.parse_args()
    print(f"load average: {load_average()}; {os.cpu_count()} CPUs")
    print(f"{'run':34} {'lines':>8} {'events':>8} {'elect.':>6} {'cpu s':>8} {'cli s':>8} "
          f"{'html s':>8} {'html KiB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "t.html"
        row("3.5-flapping-no-pre-vote (kept)", FLAPPING, html)
        row("hashicorp flapping (kept)", HASHICORP, html)
        for copies in (int(c) for c in args.copies.split(",")):
            folder = Path(tmp) / f"long{copies}"
            build_long_run(FLAPPING, folder, copies)
            row(f"flapping x{copies}", folder, html)
    print(f"load average: {load_average()}")


if __name__ == "__main__":
    main()

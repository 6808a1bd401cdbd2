"""Validation speed (not a test: prints numbers, asserts nothing).

    python benchmarks/bench_validate.py [--corpus DIR] [--repeat N]

1. ``etcd-raft-trace/example.ndjson`` (4,888 records) validated end to end. Target: < 5 s.
2. etcd server logs end to end (read, merge, check): a long 3-node etcd 3.5 run built from the
   leader-kill fixture repeated ``--repeat`` times, each copy shifted in time and in term so that
   it continues the previous one (every copy is a real run: elections, a kill, a restart), with
   lines/s and peak traced memory. Target: >= 50,000 lines/s.
"""

from __future__ import annotations

import argparse
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
FIXTURE = REPO / "tests" / "data" / "etcd35" / "leader-kill"


def bench_trace(corpus: Path) -> None:
    path = corpus / "etcd-raft-trace" / "example.ndjson"
    if not path.exists():
        print(f"example.ndjson: not found under {corpus}")
        return
    t0 = time.perf_counter()
    verdict = validate_paths([path])
    dt = time.perf_counter() - t0
    lines = sum(f.lines for f in verdict.files)
    print(f"example.ndjson: {lines} lines, {verdict.events} events -> {verdict.status} in "
          f"{dt:.2f} s (target < 5 s)")


def bench_etcd(repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="raftcheck-bench-") as tmp:
        run = Path(tmp) / "run"
        lines = build_long_run(FIXTURE, run, repeat)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "raftcheck", "validate", str(run)], cwd=REPO,
                       stdout=subprocess.DEVNULL, check=False)
        cold = time.perf_counter() - t0
        validate_paths([run])  # warm up the grammars
        t0 = time.perf_counter()
        verdict = validate_paths([run])
        dt = time.perf_counter() - t0
        print(f"etcd 3.5 server logs: 3 files, {lines} lines, {verdict.events} events -> "
              f"{verdict.status} in {dt:.2f} s = {lines / dt:,.0f} lines/s end to end "
              f"(target >= 50,000)")
        print(f"  `raftcheck validate` in a fresh process (start-up, imports, grammars): "
              f"{cold:.2f} s = {lines / cold:,.0f} lines/s")
        if verdict.status != "conforms":
            print("  " + "\n  ".join(verdict.lines()[:4]))
        tracemalloc.start()
        validate_paths([run])
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  peak traced memory {peak / 1e6:.1f} MB; at most {verdict.max_candidates} "
              "candidate state(s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    bench_trace(args.corpus)
    bench_etcd(args.repeat)


if __name__ == "__main__":
    main()

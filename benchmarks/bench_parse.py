"""Parse speed of the log readers (not a test: prints numbers, asserts nothing).

    python benchmarks/bench_parse.py [--corpus DIR] [--repeat N]

1. etcd server logs, end to end (detection, envelope, grammar, events): every ``*.log`` of the
   corpus's ``etcd-3.4`` runs (else the etcd 3.5 fixtures in tests/data/logs), read with
   ``read_logs``; then the same files concatenated ``--repeat`` times into one temporary file
   per format and streamed with ``iter_events`` (events dropped), with peak memory.
   Target: >= 50,000 lines/s.
2. ``etcd-raft-trace/example.ndjson`` (4,888 records), read with ``read_logs``.
   Target: well under 5 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from raftcheck.traces.logfiles import iter_events, read_logs  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"


def _etcd_logs(corpus: Path) -> list[Path]:
    files = sorted((corpus / "etcd-3.4").glob("*/node*.log"))
    if not files:
        files = sorted((REPO / "tests/data/logs/etcd-3.5").glob("*/node*.log"))
    return files


def _count_lines(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        with open(p, "rb") as f:
            total += sum(1 for _ in f)
    return total


def bench_etcd(corpus: Path, repeat: int) -> None:
    files = _etcd_logs(corpus)
    if not files:
        print("etcd server logs: none found")
        return
    lines = _count_lines(files)
    read_logs([str(files[0])])  # build the grammars once, outside the timing
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        parsed = read_logs([str(p) for p in files])
        best = min(best, time.perf_counter() - t0)
    print(f"etcd server logs: {len(files)} files, {lines} lines, {len(parsed.events)} events, "
          f"{len(parsed.problems)} problems: best of 3 {best * 1000:.0f} ms = "
          f"{lines / best:,.0f} lines/s")

    with tempfile.TemporaryDirectory(prefix="raftcheck-bench-") as tmp:
        for kind in ("capnslog", "zap"):
            sources = [p for p in files if kind in p.parent.name] or files
            big = Path(tmp) / f"big-{kind}.log"
            with open(big, "wb") as out:
                for _ in range(repeat):
                    for src in sources:
                        with open(src, "rb") as f:
                            shutil.copyfileobj(f, out)
            n = _count_lines([big])
            t0 = time.perf_counter()
            events = sum(1 for _ in iter_events([str(big)]))
            dt = time.perf_counter() - t0
            tracemalloc.start()
            sum(1 for _ in iter_events([str(big)]))
            _cur, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"  streamed one {big.stat().st_size / 1e6:.1f} MB {kind} file: {n} lines, "
                  f"{events} events in {dt:.2f} s = {n / dt:,.0f} lines/s; "
                  f"peak traced memory while streaming {peak / 1e6:.1f} MB")


def bench_trace(corpus: Path) -> None:
    path = corpus / "etcd-raft-trace" / "example.ndjson"
    if not path.exists():
        print(f"example.ndjson: not found under {corpus}")
        return
    t0 = time.perf_counter()
    parsed = read_logs([str(path)])
    dt = time.perf_counter() - t0
    print(f"example.ndjson: {parsed.files[0].lines} records -> {len(parsed.events)} events, "
          f"{len(parsed.problems)} problems in {dt:.3f} s (cold, grammar loading included)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=20, help="copies in the streamed big file")
    args = ap.parse_args()
    bench_trace(args.corpus)
    bench_etcd(args.corpus, args.repeat)


if __name__ == "__main__":
    main()

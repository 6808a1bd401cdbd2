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
import json
import re
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from raftcheck.validate import validate_paths  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"
FIXTURE = REPO / "tests" / "data" / "etcd35" / "leader-kill"
TERM = re.compile(r"(term:? |\[term: |at term |\[term )(\d+)")
INDEX = re.compile(r"(index: |lastindex: |commit: )(\d+)")


def _shift_line(line: str, dt: timedelta, dterm: int, dindex: int) -> str:
    try:
        record = json.loads(line)
    except ValueError:
        return line
    ts = datetime.fromisoformat(record["ts"].replace("Z", "+00:00")) + dt
    record["ts"] = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
    msg = record.get("msg", "")
    if record.get("logger") == "raft":
        msg = TERM.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + dterm}", msg)
        msg = INDEX.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + dindex}", msg)
        msg = msg.replace("at term 0", "at term 0")
        record["msg"] = msg
    return json.dumps(record, separators=(",", ":")) + "\n"


def build_long_run(out: Path, repeat: int) -> int:
    """The fixture's run, ``repeat`` times in a row (terms, indexes and clocks advanced)."""
    out.mkdir(parents=True, exist_ok=True)
    lines = 0
    sources = {f.name: f.read_text().splitlines(keepends=True) for f in FIXTURE.glob("node*.log")}
    with_raft_start = {name: [k for k, text in enumerate(src) if '"logger":"raft"' in text]
                       for name, src in sources.items()}
    for name, src in sources.items():
        first_raft = with_raft_start[name][0]
        with open(out / name, "w") as f:
            for r in range(repeat):
                body = src if r == 0 else src[first_raft + 3:]  # later copies: no bootstrap
                for text in body:
                    f.write(_shift_line(text, timedelta(seconds=10 * r), 3 * r, 20 * r))
                    lines += 1
    return lines


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
        lines = build_long_run(run, repeat)
        validate_paths([run])  # warm up the grammars
        t0 = time.perf_counter()
        verdict = validate_paths([run])
        dt = time.perf_counter() - t0
        print(f"etcd 3.5 server logs: 3 files, {lines} lines, {verdict.events} events -> "
              f"{verdict.status} in {dt:.2f} s = {lines / dt:,.0f} lines/s end to end "
              f"(target >= 50,000)")
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

"""Long etcd logs made from one real run, for speed and memory measurements (benchmarks only).

A recorded run (``node*.log``, zap JSON) is repeated: every copy after the first drops the
bootstrap lines of each member and is shifted in time, in term and in index past the end of
the previous copy, so that it continues it. Every copy is a real run (elections, faults,
restarts), so the result conforms when the original does, and its length is chosen freely.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

_TERM = re.compile(r"((?:log|last|existing |conflicting )?term:? |\[term: |at term |\[term )(\d+)")
_INDEX = re.compile(r"((?:last)?index:? |commit: |applied: )(\d+)")
_BOOTSTRAP_RAFT_LINES = 3  # newRaft and the first "became follower" lines of a fresh member


def _when(record: dict) -> datetime:
    return datetime.fromisoformat(str(record["ts"]).replace("Z", "+00:00"))


def _shift(number: str, by: int) -> int:
    """A term or index moved on; 0 stays 0 (no entry, no term)."""
    return int(number) + by if int(number) else 0


def shift_line(line: str, dt: timedelta, dterm: int, dindex: int) -> str:
    """One zap line moved ``dt`` later, its raft terms and indexes raised (other text kept)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    ts = _when(record) + dt
    record["ts"] = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
    if record.get("logger") == "raft":
        msg = record.get("msg", "")
        msg = _TERM.sub(lambda m: f"{m.group(1)}{_shift(m.group(2), dterm)}", msg)
        record["msg"] = _INDEX.sub(lambda m: f"{m.group(1)}{_shift(m.group(2), dindex)}", msg)
    for key in ("index", "local-member-applied-index"):
        if isinstance(record.get(key), int) and record[key]:
            record[key] += dindex
    if isinstance(record.get("term"), int) and record["term"]:
        record["term"] += dterm
    return json.dumps(record, separators=(",", ":")) + "\n"


def _extent(texts: list[list[str]]) -> tuple[timedelta, int, int]:
    """How far one copy reaches: its time span, highest term and highest index."""
    times, terms, indexes = [], [0], [0]
    for text in texts:
        for line in text:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            times.append(_when(record))
            msg = str(record.get("msg", ""))
            terms += [int(m.group(2)) for m in _TERM.finditer(msg)]
            indexes += [int(m.group(2)) for m in _INDEX.finditer(msg)]
    span = max(times) - min(times) if times else timedelta()
    return span + timedelta(seconds=5), max(terms) + 1, max(indexes) + 1


def build_long_run(fixture: Path, out: Path, repeat: int) -> int:
    """Write ``fixture``'s ``node*.log`` files ``repeat`` times in a row into ``out``; returns
    the number of lines written."""
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted(fixture.glob("node*.log"))
    texts = [s.read_text().splitlines(keepends=True) for s in sources]
    span, terms, indexes = _extent(texts)
    lines = 0
    for source, text in zip(sources, texts, strict=True):
        first_raft = next(k for k, t in enumerate(text) if '"logger":"raft"' in t)
        with open(out / source.name, "w") as f:
            for r in range(repeat):
                body = text if r == 0 else text[first_raft + _BOOTSTRAP_RAFT_LINES:]
                for line in body:
                    f.write(shift_line(line, span * r, terms * r, indexes * r) if r
                            else line.rstrip("\n") + "\n")
                    lines += 1
    return lines

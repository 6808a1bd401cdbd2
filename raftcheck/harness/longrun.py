"""Long etcd 3.5 logs made from one real run, for speed and memory measurements.

A recorded run (``node*.log``, zap JSON) is repeated: every copy after the first drops the
bootstrap lines and is shifted in time, in term and in index so that it continues the previous
copy. Every copy is a real run (elections, a kill, a restart), so the result conforms when the
original does, and its length is chosen freely.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

_TERM = re.compile(r"(term:? |\[term: |at term |\[term )(\d+)")
_INDEX = re.compile(r"(index: |lastindex: |commit: )(\d+)")
_SECONDS_PER_COPY, _TERMS_PER_COPY, _INDEXES_PER_COPY = 10, 3, 20
_BOOTSTRAP_RAFT_LINES = 3  # newRaft and the first "became follower" lines of a fresh member


def shift_line(line: str, dt: timedelta, dterm: int, dindex: int) -> str:
    """One zap line moved ``dt`` later, its raft terms and indexes raised (other text kept)."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    ts = datetime.fromisoformat(record["ts"].replace("Z", "+00:00")) + dt
    record["ts"] = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
    if record.get("logger") == "raft":
        msg = record.get("msg", "")
        msg = _TERM.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + dterm}", msg)
        record["msg"] = _INDEX.sub(lambda m: f"{m.group(1)}{int(m.group(2)) + dindex}", msg)
    return json.dumps(record, separators=(",", ":")) + "\n"


def build_long_run(fixture: Path, out: Path, repeat: int) -> int:
    """Write ``fixture``'s ``node*.log`` files ``repeat`` times in a row into ``out``; returns
    the number of lines written."""
    out.mkdir(parents=True, exist_ok=True)
    lines = 0
    for source in sorted(fixture.glob("node*.log")):
        text = source.read_text().splitlines(keepends=True)
        first_raft = next(k for k, t in enumerate(text) if '"logger":"raft"' in t)
        with open(out / source.name, "w") as f:
            for r in range(repeat):
                body = text if r == 0 else text[first_raft + _BOOTSTRAP_RAFT_LINES:]
                shift = (timedelta(seconds=_SECONDS_PER_COPY * r), _TERMS_PER_COPY * r,
                         _INDEXES_PER_COPY * r)
                for line in body:
                    f.write(shift_line(line, *shift) if r else line.rstrip("\n") + "\n")
                    lines += 1
    return lines
